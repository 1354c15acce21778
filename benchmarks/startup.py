#!/usr/bin/env python3
"""Startup time: a one-shot plain run of normcli against a minimal Typer + numpy script.

    python benchmarks/startup.py [--quick]

* ``normcli norm 1,2,3`` with stdout a pipe (plain output), versus a Typer
  script that imports numpy and prints ``np.linalg.norm`` of its argument,
  run by the same interpreter as normcli. Interleaved, median of N runs
  each; target: normcli / baseline <= 1.3.
* ``normcli --help`` time, and whether ``--help`` imports numpy (checked in
  a subprocess through ``sys.modules`` and through ``-X importtime``).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (  # noqa: E402
    Row,
    find_normcli,
    interpreter_of,
    median,
    print_suite,
    progress,
    scratch_dir,
    time_once,
)

TARGET = 1.3

BASELINE = '''\
import numpy as np
import typer


def main(values: str) -> None:
    x = np.array([float(t) for t in values.split(",")])
    print(np.linalg.norm(x))


if __name__ == "__main__":
    typer.run(main)
'''

# Runs normcli's --help in-process exactly as the console script does, then
# reports which heavy modules got imported.
HELP_PROBE = '''\
import sys
sys.argv = ["normcli", "--help"]
from normcli.cli import main
try:
    main()
except SystemExit:
    pass
heavy = ("numpy", "rich", "rich.table", "rich.console")
sys.stderr.write("\\nLOADED=" + ",".join(m for m in heavy if m in sys.modules) + "\\n")
'''


def _imported_modules(python: str, script: str, args: list[str]) -> set[str]:
    """Top-level modules imported when running ``script args`` (from -X importtime)."""
    proc = subprocess.run([python, "-X", "importtime", script, *args],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    mods = set()
    for line in proc.stderr.splitlines():
        if line.startswith("import time:") and "|" in line and "imported package" not in line:
            name = line.rsplit("|", 1)[1].strip()
            mods.add(name)
    return mods


def run(quick: bool = False) -> list[Row]:
    normcli = find_normcli()
    python = interpreter_of(normcli)
    reps = 5 if quick else 20
    rows: list[Row] = []
    with scratch_dir("startup-") as tmp:
        base = tmp / "baseline_typer_numpy.py"
        base.write_text(BASELINE)
        cmd_n = [normcli, "norm", "1,2,3"]
        cmd_b = [python, str(base), "1,2,3"]
        cmd_h = [normcli, "--help"]
        others = {
            "normcli grad 3,4 | cat": [normcli, "grad", "3,4"],
            "normcli compare-models -m A=... -m B=... | cat": [normcli, "compare-models", "-m", "A=-5,8,-3,-12,4,4,6",
                                                              "-m", "B=10,-7,12,-18,-6,-8,13"],
            "normcli regstep --lr 0.1 --l2 0.01 --grad ... | cat": [normcli, "regstep", "--lr", "0.1", "--l2", "0.01",
                                                                   "--grad", "0.1,0.2,-0.3", "0.5,-1.2,2"],
        }
        # Bytecode is cached for every module, as for an installed package: an
        # inherited PYTHONDONTWRITEBYTECODE=1 would make normcli (an editable
        # install, no .pyc yet) compile its sources on every run. The cache goes
        # to the scratch directory, never into the source tree.
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        env["PYTHONPYCACHEPREFIX"] = str(tmp / "pycache")
        # Warm up: compile .pyc files, fill the page cache; check the answers.
        for _ in range(2):
            _, out_n = time_once(cmd_n, env=env)
            _, out_b = time_once(cmd_b, env=env)
            time_once(cmd_h, env=env)
        if out_n.strip() != "3.7416573867739413":
            progress(f"WARNING: normcli norm 1,2,3 printed {out_n.strip()!r}")
        no_pyc = os.environ.get("PYTHONDONTWRITEBYTECODE")
        progress(f"startup: {reps} interleaved runs each of normcli, baseline, --help"
                 + (", normcli without bytecode cache" if no_pyc else ""))
        for cmd in others.values():
            time_once(cmd, env=env)
        t_n, t_b, t_h, t_x = [], [], [], []
        t_o: dict[str, list[float]] = {k: [] for k in others}
        for _ in range(reps):
            t_n.append(time_once(cmd_n, env=env)[0])
            t_b.append(time_once(cmd_b, env=env)[0])
            t_h.append(time_once(cmd_h, env=env)[0])
            for label, cmd in others.items():
                t_o[label].append(time_once(cmd, env=env)[0])
            if no_pyc:  # as this environment runs it: normcli's own modules compiled each time
                t_x.append(time_once(cmd_n)[0])
        mn, mb, mh = median(t_n), median(t_b), median(t_h)
        ratio = mn / mb
        rows.append(Row("startup", "normcli norm 1,2,3 | cat", mn, ratio=f"{ratio:.2f}",
                        check=f"normcli/baseline <= {TARGET}: {'PASS' if ratio <= TARGET else 'FAIL'} "
                              f"(n={reps}, min {min(t_n):.3f})"))
        for label, ts in t_o.items():
            mo = median(ts)
            rows.append(Row("startup", label, mo, ratio=f"{mo / mb:.2f}",
                            check=f"<= {TARGET}: {'PASS' if mo / mb <= TARGET else 'FAIL'} "
                                  f"(n={reps}, min {min(ts):.3f})"))
        rows.append(Row("startup", "python baseline_typer_numpy.py 1,2,3 | cat", mb, ratio="1.00",
                        check=f"typer+numpy baseline (n={reps}, min {min(t_b):.3f})"))
        rows.append(Row("startup", "normcli --help | cat", mh, ratio=f"{mh / mb:.2f}",
                        check=f"ratio vs baseline (n={reps}, min {min(t_h):.3f})"))
        if t_x:
            mx = median(t_x)
            rows.append(Row("startup", "PYTHONDONTWRITEBYTECODE=1 normcli norm 1,2,3 | cat", mx,
                            ratio=f"{mx / mb:.2f}",
                            check=f"as inherited here: no .pyc for normcli's own modules (n={reps}, "
                                  f"min {min(t_x):.3f})"))

    # Does --help import numpy? (1) sys.modules after an in-process --help.
    proc = subprocess.run([python, "-c", HELP_PROBE], stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE, text=True)
    loaded_line = [ln for ln in proc.stderr.splitlines() if ln.startswith("LOADED=")]
    loaded = set(loaded_line[-1][len("LOADED="):].split(",")) - {""} if loaded_line else None
    # (2) -X importtime on the real console script.
    help_mods = _imported_modules(python, normcli, ["--help"])
    if loaded is None:
        verdict = f"probe failed: {proc.stderr.strip()[-300:]}"
    else:
        np_in = "numpy" in loaded or "numpy" in help_mods
        verdict = "yes" if np_in else "no"
    rich_tables = "rich.table" in help_mods or (loaded is not None and "rich.table" in loaded)
    rows.append(Row("startup", "normcli --help imports numpy?", ratio="",
                    check=f"{verdict} (target: no; sys.modules + -X importtime); "
                          f"rich.table imported: {'yes' if rich_tables else 'no'}"))
    plain_mods = _imported_modules(python, normcli, ["norm", "1,2,3"])
    rows.append(Row("startup", "normcli norm 1,2,3 | cat imports rich?",
                    check=f"{'yes' if 'rich' in plain_mods else 'no'} (-X importtime; "
                          f"{len(plain_mods)} modules imported)"))
    return rows


def main(argv: list[str] | None = None) -> None:
    print_suite(run, argv)


if __name__ == "__main__":
    main()
