"""The installed command in real processes: pipes, a terminal, signals, imports.

CliRunner cannot show these: its stdout is never a terminal, it has no real
pipe to close early, and it shares one interpreter between runs.
"""

from __future__ import annotations

import os
import pty
import re
import select
import signal
import subprocess
import sys
import time

import pytest
from conftest import normcli_exe

NORMCLI = normcli_exe()


def run(args, **kw):
    return subprocess.run([*NORMCLI, *args], capture_output=True, text=True, timeout=60, **kw)


def test_pipe_prints_the_exact_number():
    r = run(["norm", "--p", "2", "1,2,3"])
    assert (r.returncode, r.stdout, r.stderr) == (0, "3.7416573867739413\n", "")


def test_python_dash_m():
    r = subprocess.run([sys.executable, "-m", "normcli", "norm", "-3,4"], capture_output=True, text=True, timeout=60)
    assert (r.returncode, r.stdout) == (0, "5.0\n")


def test_stdin_from_a_file(tmp_path):
    path = tmp_path / "errors.csv"
    path.write_text("err\n3\n-4\n")
    with open(path) as fh:
        r = run(["norm", "--p", "1"], stdin=fh)
    assert (r.returncode, r.stdout, r.stderr) == (0, "7.0\n", "")


def _big_rows(tmp_path, n=300_000):
    path = tmp_path / "rows.csv"
    with open(path, "w") as fh:
        fh.write("3,4\n" * n)
    return path


@pytest.mark.parametrize("fmt, first", [("plain", "5.0"), ("table", "L2 norm of each row")])
def test_head_ends_quietly(tmp_path, fmt, first):
    path = _big_rows(tmp_path)
    if fmt == "table":  # a table is drawn whole: a few thousand rows overfill the pipe
        path.write_text("3,4\n" * 3000)
    cmd = f"{' '.join(NORMCLI)} norm --rows -o {fmt} -f {path} | head -1"
    r = subprocess.run(["bash", "-o", "pipefail", "-c", cmd], capture_output=True, text=True, timeout=60)
    assert r.stdout == first + "\n"
    assert r.stderr == ""
    assert r.returncode == 0  # rich's own handler would exit 1


def test_rows_stream_before_the_input_ends():
    proc = subprocess.Popen([*NORMCLI, "norm", "--rows"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    try:
        proc.stdin.write(b"3,4\n")
        proc.stdin.flush()
        ready, _, _ = select.select([proc.stdout], [], [], 30)
        assert ready, "no result while the input was still open"
        assert proc.stdout.readline() == b"5.0\n"
        proc.stdin.write(b"6,8\n")
        proc.stdin.close()
        assert proc.stdout.read() == b"10.0\n"
        assert proc.wait(30) == 0
    finally:
        proc.kill()


def _in_pty(args, stdin_tty=True, env=None, timeout=30):
    """Run with stdout (and optionally stdin) on a pseudo-terminal; return (code, output)."""
    master, slave = pty.openpty()
    proc = subprocess.Popen([*NORMCLI, *args], stdin=slave if stdin_tty else subprocess.DEVNULL, stdout=slave,
                            stderr=slave, env=env, close_fds=True)
    os.close(slave)
    text = _read_terminal(master, proc, timeout)
    code = proc.wait(timeout)
    os.close(master)
    return code, text


def _read_terminal(master: int, proc, timeout: float) -> str:
    """All that ``proc`` writes to the pseudo-terminal ``master`` until it closes it or exits."""
    chunks = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 0.5)
        if ready:
            try:
                data = os.read(master, 65536)
            except OSError:  # Linux: EIO once the last writer has closed the terminal
                break
            if not data:
                break
            chunks.append(data)
        elif proc.poll() is not None:
            break
    return b"".join(chunks).decode("utf-8", "replace")


@pytest.mark.parametrize("command", ["norm", "grad", "normalize"])
def test_no_input_on_a_terminal_is_a_usage_error_not_a_hang(command):
    code, out = _in_pty([command])
    assert code == 2
    assert "normcli: error: no input" in out and f"normcli {command} 1,2,3" in out  # an example of this command


def test_terminal_gets_a_table():
    env = {**os.environ, "COLUMNS": "100"}
    code, out = _in_pty(["norm", "--p", "1", "--p", "2", "-3,4"], env=env)
    assert code == 0
    assert "Lp norms, p = 1, 2" in out
    assert "7.0" in out and "5.0" in out
    assert "\u2503" in out or "\u2502" in out or "|" in out  # a drawn table


_COLOUR = re.compile(r"\x1b\[[0-9;]*?(?:3[0-8]|9[0-7])(?:;[0-9;]*)?m")


def test_no_color_is_honoured():
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    code, out = _in_pty(["norm", "-3,4"], env={**env, "COLUMNS": "100", "TERM": "xterm-256color"})
    assert code == 0 and _COLOUR.search(out), "expected colour on a terminal"
    code, out = _in_pty(["norm", "-3,4"], env={**env, "NO_COLOR": "1", "COLUMNS": "100", "TERM": "xterm-256color"})
    assert code == 0 and "5.0" in out
    assert not _COLOUR.search(out)


def test_ctrl_c_exits_130_quietly():
    proc = subprocess.Popen([*NORMCLI, "norm"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    try:
        proc.stdin.write(b"1\n")
        proc.stdin.flush()
        time.sleep(1.5)  # let it start and block on the rest of stdin
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
        assert proc.returncode == 130
        assert b"Traceback" not in err
    finally:
        proc.kill()


@pytest.mark.parametrize("args", [["--help"], ["norm", "--help"], ["compare-models", "--help"], ["regstep", "--help"],
                                  ["dist", "--help"], ["ball", "--help"], ["sobolev", "--help"], ["--version"]])
def test_help_does_not_import_numpy_or_rich_tables(args):
    code = (
        "import sys\n"
        "from normcli.cli import main\n"
        f"sys.argv = ['normcli', *{args!r}]\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "heavy = sorted(m for m in sys.modules if m in ('numpy', 'scipy', 'rich.table'))\n"
        "print('HEAVY', heavy, file=sys.stderr)\n"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert "HEAVY []" in r.stderr


def test_plain_run_does_not_import_rich_or_scipy():
    code = (
        "import sys\n"
        "from normcli.cli import main\n"
        "sys.argv = ['normcli', 'norm', '1,2,3']\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print('HEAVY', sorted({m.split('.')[0] for m in sys.modules} & {'rich', 'scipy'}), file=sys.stderr)\n"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert r.stdout == "3.7416573867739413\n"
    assert "HEAVY []" in r.stderr


def test_large_input_uses_the_parse_pool_and_keeps_line_numbers(tmp_path):
    # Enough full blocks that worker processes take over; the error in a
    # late block must still name its true line.
    path = tmp_path / "big.csv"
    n = 7_000_000
    with open(path, "w") as fh:
        fh.write("err\n")
        fh.write("0.5\n" * (n - 1))
        fh.write("oops\n")
        fh.write("0.5\n" * 10)
    r = run(["norm", "-f", str(path)], env={**os.environ, "NORMCLI_WORKERS": "2"})
    assert r.returncode == 1
    assert r.stderr == f"normcli: error: line {n + 1}, column 'err': 'oops' is not a number\n"
    with open(path, "w") as fh:
        fh.write("err\n")
        fh.write("0.5\n" * n)
    r = run(["norm", "-f", str(path), "--p", "1"], env={**os.environ, "NORMCLI_WORKERS": "2"})
    assert r.stdout == f"{0.5 * n!r}\n"


def test_shell_completion_is_light_and_works():
    code = (
        "import sys\n"
        "from normcli.cli import main\n"
        "sys.argv = ['normcli']\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print('HEAVY', sorted(m for m in sys.modules if m in ('numpy', 'scipy', 'rich.table')), file=sys.stderr)\n"
    )
    env = {**os.environ, "_NORMCLI_COMPLETE": "complete_bash", "COMP_WORDS": "normcli norm --ma", "COMP_CWORD": "2"}
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=env)
    assert r.stdout.split() == ["--matrix"]
    assert "HEAVY []" in r.stderr


@pytest.mark.parametrize("args", [
    ["norm", "1,2,3"], ["grad", "3,4"], ["regstep", "--lr", "0.1", "--l2", "0.01", "--grad", "0.1,0.2", "0.5,1"],
    ["compare-models", "-m", "A=-5,8,-3,-12,4,4,6", "-m", "B=10,-7,12,-18,-6,-8,13"],
    ["dist", "1,2,3", "4,6,8"], ["normalize", "3,4"], ["sobolev", "--dx", "0.1", "1,2,4,8"],
])
def test_one_shot_runs_import_neither_scipy_nor_polars_nor_rich(args):
    heavy = {'rich', 'scipy', 'polars', 'plotext', 'matplotlib'}
    code = (
        "import sys\n"
        "from normcli.cli import main\n"
        f"sys.argv = ['normcli', *{args!r}]\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        f"print('HEAVY', sorted({{m.split('.')[0] for m in sys.modules}} & {heavy!r}), file=sys.stderr)\n"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert r.stdout and "HEAVY []" in r.stderr, r.stderr


def _stderr_pty(args, env, stdin_path):
    """stderr on a pseudo-terminal, stdout a pipe: returns (code, stdout, terminal text)."""
    master, slave = pty.openpty()
    with open(stdin_path, "rb") as fh:
        proc = subprocess.Popen([*NORMCLI, *args], stdin=fh, stdout=subprocess.PIPE, stderr=slave, env=env,
                                close_fds=True)
        os.close(slave)
        term = _read_terminal(master, proc, 60)
        out = proc.stdout.read().decode()
        code = proc.wait(30)
    os.close(master)
    return code, out, term


def test_progress_bar_on_a_terminal_stderr_only_and_never_with_quiet(tmp_path):
    path = tmp_path / "big.csv"
    path.write_text("err\n" + "0.5\n" * 2_000_000)
    env = {**os.environ, "NORMCLI_PROGRESS_DELAY": "0", "TERM": "xterm", "COLUMNS": "100"}
    code, out, term = _stderr_pty(["norm", "--p", "1", "-f", str(path)], env, os.devnull)
    assert code == 0 and out == "1000000.0\n"
    assert "reading" in term and "rows" in term and "MB" in term
    code, out, term = _stderr_pty(["norm", "--p", "1", "--quiet", "-f", str(path)], env, os.devnull)
    assert code == 0 and out == "1000000.0\n" and "reading" not in term
    r = run(["norm", "--p", "1", "-f", str(path)], env=env)  # stderr a pipe: nothing
    assert r.stderr == "" and r.stdout == "1000000.0\n"


def test_the_console_script_builds_only_the_invoked_command_and_still_lists_all():
    r = run(["--help"])
    assert all(c in r.stdout for c in ("norm", "grad", "compare-models", "regstep", "dist", "normalize", "sobolev",
                                       "ball"))
    r = run(["regstep", "--lr", "0.1", "--grad", "0", "1"])
    assert (r.returncode, r.stdout) == (0, "1.0\n")
    r = run(["nosuch"])
    assert r.returncode == 2 and "No such command 'nosuch'" in r.stderr


@pytest.mark.parametrize("args", [["norm", "1,2"], ["norm", "-o", "json", "1,2"], ["grad", "--rows", "1,2", "3,4"],
                                  ["--version"], ["--help"], ["regstep", "--help"]])
def test_output_that_cannot_be_written_is_one_error_line(args):
    env = {**os.environ, "COLUMNS": "80"}
    if os.path.exists("/dev/full"):  # a full disk
        with open("/dev/full", "w") as full:
            r = subprocess.run([*NORMCLI, *args], stdout=full, stderr=subprocess.PIPE, text=True, timeout=60, env=env)
        assert (r.returncode, r.stderr) == (1, "normcli: error: cannot write the output: No space left on device\n")
    # stdout closed before the start (`>&-`)
    r = subprocess.run([*NORMCLI, *args], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, timeout=60,
                       env=env, preexec_fn=lambda: os.close(1))
    assert (r.returncode, r.stderr) == (1, "normcli: error: cannot write the output: standard output is closed\n")


@pytest.mark.parametrize("words, expected", [
    ("normcli regstep --convention h", ["half"]),
    ("normcli regstep --l1-method s", ["subgradient"]),
    ("normcli compare-models --sort-by m", ["mae", "mse", "max", "median", "mape"]),
    ("normcli compare-models --loss ", ["absolute", "squared", "percentage"]),
    ("normcli norm --nan o", ["omit"]),
    ("normcli dist --output j", ["json"]),
    ("normcli norm --matrix n", ["nuc"]),
])
def test_option_values_complete_to_their_choices_not_file_names(words, expected, tmp_path):
    (tmp_path / "houses.csv").write_text("a\n1\n")  # a file that must not be offered
    env = {**os.environ, "_NORMCLI_COMPLETE": "complete_bash", "COMP_WORDS": words,
           "COMP_CWORD": str(len(words.split()) - (0 if words.endswith(" ") else 1))}
    r = subprocess.run([*normcli_exe()], capture_output=True, text=True, timeout=60, env=env, cwd=tmp_path)
    assert r.stdout.split() == expected


def test_help_lists_the_choices_of_option_values(run):
    text = run(["compare-models", "--help"], env={"COLUMNS": "200"}).stdout
    assert "--sort-by [l1|l2|mae|mse|rmse|max|median|bias|r2|mape]" in text
    assert "--loss [absolute|squared|percentage]" in text and "--nan [error|omit|propagate]" in text
    assert "-o, --output [auto|table|plain|csv|json]" in text
    for command in ("norm", "grad", "compare-models", "regstep", "dist", "normalize", "sobolev", "ball"):
        assert "<str>" not in run([command, "--help"], env={"COLUMNS": "200"}).stdout, command
