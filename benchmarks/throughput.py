#!/usr/bin/env python3
"""Throughput: the 2-norm of a big CSV column, normcli against datamash, mawk, numpy, pandas.

    python benchmarks/throughput.py [--quick]

Generates 10^7 rows (10^6 with --quick) of standard-normal floats printed
with %.17g into a scratch directory under benchmarks/data/ (removed
afterwards), as a 1-column file and a 3-column CSV, and times every tool
reading the file on stdin, interleaved, median of 3 runs (1 with --quick):
first redirected from the file (``< file``), then normcli, datamash and
mawk again through a real pipe (``cat file | ...``, cat's time included).

normcli runs twice: as installed (with the ``fast`` extra, polars reads
large inputs) and with ``NORMCLI_READER=numpy`` (the default install's
reader). Targets: the fast path at least 2x datamash's speed and 3x mawk's;
the default within 0.8x datamash's (datamash computes only a sum, so it is
a parsing-speed yardstick, not the same answer). normcli's result must
agree with numpy's to 1e-12 relative, on both readers.
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
    need_tools,
    print_suite,
    progress,
    scratch_dir,
    warm_cache,
    write_normal_csv,
)

TARGET_FAST = 2.0  # x datamash's speed
TARGET_FAST_MAWK = 3.0
TARGET_DEFAULT = 0.8
AGREE = 1e-12


def _has_pandas(python: str) -> bool:
    return subprocess.run([python, "-c", "import pandas"], capture_output=True).returncode == 0


def _tools(normcli: str, python: str, ncols: int, tools: dict) -> list[tuple[str, str, list[str], dict | None]]:
    """(key, label, argv, extra env) for every available tool."""
    if ncols == 1:
        np_code = "import numpy as np,sys; x=np.loadtxt(sys.stdin); print(np.sqrt(x@x))"
        pd_code = ("import numpy as np,pandas as pd,sys; "
                   "x=pd.read_csv(sys.stdin.buffer,header=None).iloc[:,0].to_numpy(); print(np.sqrt(x@x))")
        out = [
            ("normcli", "normcli norm < file  [fast: polars]", [normcli, "norm"], None),
            ("normcli-numpy", "NORMCLI_READER=numpy normcli norm < file  [default]", [normcli, "norm"],
             {"NORMCLI_READER": "numpy"}),
            ("datamash", "datamash sum 1 < file", [tools["datamash"] or "", "sum", "1"], None),
            ("mawk", "mawk '{s+=$1*$1} END {print sqrt(s)}' < file",
             [tools["mawk"] or "", "{s+=$1*$1} END {print sqrt(s)}"], None),
            ("numpy", f'python -c "{np_code}" < file', [python, "-c", np_code], None),
            ("pandas", "python -c \"...pd.read_csv(stdin, header=None)...\" < file", [python, "-c", pd_code], None),
        ]
    else:
        np_code = ("import numpy as np,sys; x=np.loadtxt(sys.stdin,delimiter=',',usecols=1); "
                   "print(np.sqrt(x@x))")
        pd_code = ("import numpy as np,pandas as pd,sys; "
                   "x=pd.read_csv(sys.stdin.buffer,header=None,usecols=[1]).iloc[:,0].to_numpy(); "
                   "print(np.sqrt(x@x))")
        out = [
            ("normcli", "normcli norm -c 2 < file  [fast: polars]", [normcli, "norm", "-c", "2"], None),
            ("normcli-numpy", "NORMCLI_READER=numpy normcli norm -c 2 < file  [default]",
             [normcli, "norm", "-c", "2"], {"NORMCLI_READER": "numpy"}),
            ("datamash", "datamash -t, sum 2 < file", [tools["datamash"] or "", "-t,", "sum", "2"], None),
            ("mawk", "mawk -F, '{s+=$2*$2} END {print sqrt(s)}' < file",
             [tools["mawk"] or "", "-F,", "{s+=$2*$2} END {print sqrt(s)}"], None),
            ("numpy", f'python -c "{np_code}" < file', [python, "-c", np_code], None),
            ("pandas", "python -c \"...pd.read_csv(stdin, header=None, usecols=[1])...\" < file",
             [python, "-c", pd_code], None),
        ]
    return out


def _time(argv: list[str], path: Path, env: dict | None, piped: bool = False) -> tuple[float, str]:
    """Wall time and stdout of ``argv`` reading ``path`` on stdin: redirected from the file, or,
    ``piped``, through a pipe that ``cat`` fills (the time then includes cat's)."""
    import time

    full_env = {**os.environ, **env} if env else None
    t0 = time.perf_counter()
    if piped:
        cat = subprocess.Popen(["cat", str(path)], stdout=subprocess.PIPE)
        with cat.stdout:
            proc = subprocess.run(argv, stdin=cat.stdout, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  env=full_env)
        cat.wait()
    else:
        with open(path, "rb") as fh:
            proc = subprocess.run(argv, stdin=fh, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=full_env)
    dt = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(f"{argv[0]} exited {proc.returncode}: {proc.stderr.decode(errors='replace')[-500:]}")
    if proc.stderr.strip():
        progress(f"stderr of {' '.join(argv)[:60]}: {proc.stderr.decode(errors='replace').strip()[:300]}")
    return dt, proc.stdout.decode(errors="replace").strip()


#: The tools run again through a real pipe (``cat file | tool``): the one-liners are left out there.
PIPED = ("normcli", "normcli-numpy", "datamash", "mawk")


def _bench_file(path: Path, size: int, n: int, ncols: int, normcli: str, python: str,
                tools: dict, pandas: bool, reps: int, piped: bool = False,
                reference: float | None = None) -> tuple[list[Row], float | None]:
    """Rows for one input file, and numpy's result (the reference of the piped run)."""
    group = f"throughput {ncols}-col, {n:.0e} rows, {size / 1e6:.0f} MB".replace("e+0", "e")
    cands = _tools(normcli, python, ncols, tools)
    if piped:
        group += ", piped"
        cands = [(key, "cat file | " + label.replace(" < file", ""), argv, env)
                 for key, label, argv, env in cands if key in PIPED]
    skipped = []
    runnable = []
    for key, label, argv, env in cands:
        if key in ("datamash", "mawk") and not tools[key]:
            skipped.append((key, label, f"skipped: {key} not installed (apt-get install -y {key})"))
        elif key == "pandas" and not pandas:
            skipped.append((key, label, "skipped: pandas not installed in normcli's Python "
                                        "(optional: pip install pandas into the venv)"))
        else:
            runnable.append((key, label, argv, env))
    warm_cache(path)
    times: dict[str, list[float]] = {k: [] for k, *_ in runnable}
    outs: dict[str, str] = {}
    for rep in range(reps):
        for key, _label, argv, env in runnable:
            progress(f"{group}: run {rep + 1}/{reps}: {key}")
            dt, out = _time(argv, path, env, piped)
            times[key].append(dt)
            outs[key] = out
    med = {k: median(v) for k, v in times.items()}
    t_norm = med["normcli"]

    # Agreement of normcli with numpy (and with mawk at mawk's %.6g).
    def num(key):
        try:
            return float(outs[key].split()[0])
        except (KeyError, ValueError, IndexError):
            return None

    v_n, v_np, v_mawk = num("normcli"), num("numpy") if reference is None else reference, num("mawk")
    rows = []
    for key, label, _argv, _env in runnable:
        t = med[key]
        note = f"n={reps}, min {min(times[key]):.2f} s"
        if key == "normcli":
            if v_n is not None and v_np is not None:
                rel = abs(v_n - v_np) / abs(v_np)
                note = (f"= {v_n!r}; vs numpy rel diff {rel:.1e} <= 1e-12: "
                        f"{'PASS' if rel <= AGREE else 'FAIL'}; " + note)
            else:
                note = f"printed {outs.get('normcli')!r}, numpy {outs.get('numpy')!r}; " + note
        elif key == "normcli-numpy":
            v1 = num("normcli-numpy")
            note = f"numpy reader; same result: {'yes' if v1 == v_n else f'NO ({v1!r})'}; " + note
            if "datamash" in med:
                speed = med["datamash"] / t
                note = (f"speed / datamash's = {speed:.2f} >= {TARGET_DEFAULT}: "
                        f"{'PASS' if speed >= TARGET_DEFAULT else 'FAIL'}; " + note)
        elif key == "datamash":
            speed = t / t_norm  # normcli speed / datamash speed
            note = (f"normcli [fast] speed / datamash's = {speed:.2f} >= {TARGET_FAST}: "
                    f"{'PASS' if speed >= TARGET_FAST else 'FAIL'} (sum only); " + note)
        elif key == "mawk" and v_mawk is not None and v_n is not None:
            rel = abs(v_mawk - v_n) / abs(v_n)
            speed = t / t_norm
            note = (f"normcli [fast] speed / mawk's = {speed:.2f} >= {TARGET_FAST_MAWK}: "
                    f"{'PASS' if speed >= TARGET_FAST_MAWK else 'FAIL'}; prints %.6g: agrees to {rel:.0e}; " + note)
        elif key in ("numpy", "pandas"):
            v = num(key)
            note = f"= {v!r}; " + note if v is not None else note
        rows.append(Row(group, label, t, size / t / 1e6, ratio=f"{t / t_norm:.2f}", check=note))
    for _key, label, why in skipped:
        rows.append(Row(group, label, check=why))
    return rows, v_np


def run(quick: bool = False) -> list[Row]:
    normcli = find_normcli()
    python = interpreter_of(normcli)
    n = 1_000_000 if quick else 10_000_000
    reps = 1 if quick else 3
    tools = need_tools("datamash", "mawk")
    pandas = _has_pandas(python)
    rows: list[Row] = []
    with scratch_dir("throughput-") as tmp:
        for ncols in (1, 3):
            path = tmp / f"normal_{ncols}col.csv"
            progress(f"writing {n} rows x {ncols} col(s) to {path}")
            size = write_normal_csv(path, n, ncols)
            redirected, v_np = _bench_file(path, size, n, ncols, normcli, python, tools, pandas, reps)
            piped, _ = _bench_file(path, size, n, ncols, normcli, python, tools, pandas, reps, piped=True,
                                   reference=v_np)
            rows += redirected + piped
            path.unlink()
    return rows


def main(argv: list[str] | None = None) -> None:
    print_suite(run, argv,
                legend="Ratio = the tool's median time / normcli's median time (above 1: slower than normcli).")


if __name__ == "__main__":
    main()
