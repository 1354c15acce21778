"""Shared helpers for the normcli benchmarks (standard library + numpy only).

Every benchmark script imports this module; each script is runnable on its
own (``python benchmarks/startup.py``) and importable by ``benchmarks/run``.
A benchmark returns a list of :class:`Row`; :func:`markdown_table` prints
them as one markdown table.
"""

from __future__ import annotations

import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
DATA = HERE / "data"  # git-ignored scratch space for generated inputs


# --------------------------------------------------------------------------
# Result rows and the table
# --------------------------------------------------------------------------
@dataclass
class Row:
    group: str  # "startup", "throughput 1-col", ...
    what: str  # the command, shortened
    seconds: float | None = None  # median wall time
    mbps: float | None = None
    mib: float | None = None  # peak RSS
    ratio: str = ""  # preformatted ratio
    check: str = ""  # target / verdict / note


COLUMNS = ("Benchmark", "Command", "Median s", "MB/s", "Peak RSS MiB", "Ratio", "Check / note")


def _cell(value, fmt: str) -> str:
    return "" if value is None else format(value, fmt)


def markdown_table(rows: list[Row]) -> str:
    def esc(text: str) -> str:
        return str(text).replace("|", "\\|")

    lines = [
        "| " + " | ".join(COLUMNS) + " |",
        "|" + "|".join(["---", "---", "---:", "---:", "---:", "---:", "---"]) + "|",
    ]
    for r in rows:
        cells = [
            r.group,
            f"`{esc(r.what)}`" if r.what else "",
            _cell(r.seconds, ".3f"),
            _cell(r.mbps, ".1f"),
            _cell(r.mib, ".1f"),
            r.ratio,
            r.check,
        ]
        lines.append("| " + " | ".join(esc(c) if i != 1 else c for i, c in enumerate(cells)) + " |")
    return "\n".join(lines)


# --------------------------------------------------------------------------
# The machine
# --------------------------------------------------------------------------
def machine_line(python: str | None = None) -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    cores = os.cpu_count() or 1
    py = python or sys.executable
    try:
        out = subprocess.run(
            [py, "-c", "import sys, numpy; print(sys.version.split()[0], numpy.__version__)"],
            capture_output=True, text=True, check=True,
        ).stdout.split()
        pyver, npver = out[0], out[1]
    except (OSError, subprocess.CalledProcessError, IndexError):
        pyver, npver = platform.python_version(), "?"
    return f"Machine: {cpu}, {cores} cores, Linux {platform.release()}; Python {pyver}, numpy {npver}"


# --------------------------------------------------------------------------
# Finding things
# --------------------------------------------------------------------------
def find_normcli() -> str:
    """The normcli executable: $NORMCLI, the active environment, then REPO/.venv."""
    candidates = []
    if os.environ.get("NORMCLI"):
        candidates.append(Path(os.environ["NORMCLI"]))
    candidates.append(Path(os.path.normpath(Path(sys.executable).parent)) / "normcli")
    if os.environ.get("VIRTUAL_ENV"):
        candidates.append(Path(os.environ["VIRTUAL_ENV"]) / "bin" / "normcli")
    candidates.append(REPO / ".venv" / "bin" / "normcli")
    for c in candidates:
        if c.is_file() and os.access(c, os.X_OK):
            return os.path.normpath(c)
    found = shutil.which("normcli")
    if found:
        return found
    sys.exit(
        "normcli not found: activate the project's virtualenv, or create it with\n"
        f"  python -m venv {REPO}/.venv && {REPO}/.venv/bin/pip install -e {REPO}"
    )


def interpreter_of(script: str) -> str:
    """The Python that runs a console script (its shebang), so baselines use the same one."""
    try:
        with open(script, "rb") as fh:
            first = fh.readline().decode(errors="replace").strip()
    except OSError:
        return sys.executable
    if first.startswith("#!"):
        parts = first[2:].split()
        if parts and parts[0].endswith("/env") and len(parts) > 1:
            return shutil.which(parts[1]) or sys.executable
        if parts and os.access(parts[0], os.X_OK):
            return parts[0]
    return sys.executable


_APT_TRIED = False


def need_tools(*tools: str) -> dict[str, str | None]:
    """Paths of external tools; installs missing Debian packages when running as root.

    Returns ``{tool: path or None}``; a None row is skipped by the caller,
    and how to install it is printed on stderr.
    """
    global _APT_TRIED
    found = {t: shutil.which(t) for t in tools}
    missing = [t for t, p in found.items() if p is None]
    if missing and not _APT_TRIED and hasattr(os, "geteuid") and os.geteuid() == 0 and shutil.which("apt-get"):
        _APT_TRIED = True
        print(f"installing {' '.join(missing)} with apt-get ...", file=sys.stderr)
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        rc = subprocess.run(["apt-get", "install", "-y", "-q", *missing], env=env,
                            stdout=subprocess.DEVNULL).returncode
        if rc != 0:  # maybe the package lists are empty
            subprocess.run(["apt-get", "update", "-q"], env=env, stdout=subprocess.DEVNULL)
            subprocess.run(["apt-get", "install", "-y", "-q", *missing], env=env, stdout=subprocess.DEVNULL)
        found = {t: shutil.which(t) for t in tools}
        missing = [t for t, p in found.items() if p is None]
    if missing:
        print(
            f"benchmarks: {', '.join(missing)} not found; those rows are skipped. Install with:\n"
            f"  sudo apt-get install -y {' '.join(missing)}",
            file=sys.stderr,
        )
    return found


# --------------------------------------------------------------------------
# Timing
# --------------------------------------------------------------------------
def time_once(cmd: list[str], stdin_path: str | None = None, stdout=subprocess.PIPE,
              check: bool = True, env: dict | None = None) -> tuple[float, str]:
    """Wall time of one run (perf_counter around subprocess.run) and its stdout."""
    fh = open(stdin_path, "rb") if stdin_path else subprocess.DEVNULL
    try:
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, stdin=fh, stdout=stdout, stderr=subprocess.PIPE, env=env)
        dt = time.perf_counter() - t0
    finally:
        if stdin_path:
            fh.close()
    if check and proc.returncode != 0:
        raise RuntimeError(
            f"{' '.join(cmd)} exited {proc.returncode}: {proc.stderr.decode(errors='replace').strip()[:500]}"
        )
    out = proc.stdout.decode(errors="replace") if isinstance(proc.stdout, bytes) else ""
    return dt, out


def median(xs: list[float]) -> float:
    return statistics.median(xs)


def progress(msg: str) -> None:
    print(f"[bench] {msg}", file=sys.stderr, flush=True)


@contextmanager
def scratch_dir(prefix: str):
    """A fresh directory under benchmarks/data/ (git-ignored), removed afterwards."""
    DATA.mkdir(exist_ok=True)
    path = Path(tempfile.mkdtemp(prefix=prefix, dir=DATA))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)
        try:
            DATA.rmdir()  # only if empty
        except OSError:
            pass


def write_normal_csv(path: Path, n: int, ncols: int = 1, seed: int = 12345, chunk: int = 1_000_000) -> int:
    """n rows of ncols standard-normal floats printed with %.17g; returns the byte size."""
    import numpy as np

    rng = np.random.default_rng(seed)
    fmt_row = ",".join(["%.17g"] * ncols) + "\n"
    with open(path, "w") as fh:
        for start in range(0, n, chunk):
            m = min(chunk, n - start)
            x = rng.standard_normal((m, ncols))
            fh.write((fmt_row * m) % tuple(x.ravel().tolist()))
    return path.stat().st_size


def warm_cache(path: Path) -> None:
    """Read a file once so every tool sees it in the page cache."""
    with open(path, "rb") as fh:
        while fh.read(1 << 24):
            pass


def parse_args(argv: list[str] | None = None):
    import argparse

    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="smaller sizes and fewer repetitions")
    return ap.parse_args(argv)


def print_suite(run, argv: list[str] | None = None, legend: str | None = None) -> None:
    """``main`` of a single benchmark script: run it and print its table."""
    args = parse_args(argv)
    rows = run(args.quick)
    print(machine_line(interpreter_of(find_normcli())))
    print()
    if legend:
        print(legend)
        print()
    print(markdown_table(rows))
