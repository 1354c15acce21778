#!/usr/bin/env python3
"""Peak memory of normcli as the input grows: it should stay flat (streamed reduction).

    python benchmarks/memory.py [--quick]

Measures ``normcli norm -f FILE`` (1 column), ``normcli norm --rows -f FILE``
and ``normcli grad --rows -f FILE`` (2 columns) at 10^6, 10^7 and 5 x 10^7
rows (10^5 and 10^6 with --quick), and ``compare-models`` on 10^7
observations of 2 models (10^6 with --quick), one subprocess per
measurement; the budget is 150 MiB:

* Peak RSS: ``/usr/bin/time -v`` ("Maximum resident set size") when present,
  else ``resource.getrusage(RUSAGE_CHILDREN)`` in a fresh helper process.
  This is the largest single process (normcli or one of its parsing
  workers), not their sum.
* Peak tree PSS: the sum of PSS (shared pages split fairly) over normcli and
  its worker processes, sampled from /proc every 20 ms, so the worker pool
  is counted too. Sampling can miss a short spike.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (  # noqa: E402
    Row,
    find_normcli,
    interpreter_of,
    print_suite,
    progress,
    scratch_dir,
    write_normal_csv,
)

GNU_TIME = "/usr/bin/time"
BUDGET = 150  # MiB
RUSAGE_HELPER = (
    "import resource,subprocess,sys; "
    "rc=subprocess.run(sys.argv[1:],stdout=subprocess.DEVNULL).returncode; "
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr); sys.exit(rc)"
)


def _children(pid: int) -> list[int]:
    kids = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as fh:
                kids += [int(k) for k in fh.read().split()]
    except OSError:
        pass
    return kids


def _descendants(pid: int) -> list[int]:
    out, todo = [], _children(pid)
    while todo:
        p = todo.pop()
        out.append(p)
        todo += _children(p)
    return out


def _pss_kib(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup") as fh:
            for line in fh:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def measure(cmd: list[str]) -> tuple[float, float, float | None]:
    """(seconds, peak RSS MiB of the largest process, peak PSS MiB of the whole tree or None)."""
    use_time = os.access(GNU_TIME, os.X_OK)
    wrapper = [GNU_TIME, "-v"] if use_time else [sys.executable, "-c", RUSAGE_HELPER]
    can_sample = os.path.exists("/proc/self/smaps_rollup") and os.path.exists(
        f"/proc/self/task/{os.getpid()}/children")
    t0 = time.perf_counter()
    proc = subprocess.Popen([*wrapper, *cmd], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    peak_tree = 0
    if can_sample:
        while proc.poll() is None:
            # the wrapper's own memory is left out: only its descendants count
            total = sum(_pss_kib(p) for p in _descendants(proc.pid))
            peak_tree = max(peak_tree, total)
            time.sleep(0.02)
    err = proc.communicate()[1].decode(errors="replace")
    dt = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} exited {proc.returncode}: {err[-500:]}")
    if use_time:
        m = re.search(r"Maximum resident set size \(kbytes\):\s*(\d+)", err)
        kib = int(m.group(1)) if m else 0
    else:
        kib = int(err.strip().splitlines()[-1])
    return dt, kib / 1024, (peak_tree / 1024 if can_sample else None)


def run(quick: bool = False) -> list[Row]:
    normcli = find_normcli()
    python = interpreter_of(normcli)
    sizes = (100_000, 1_000_000) if quick else (1_000_000, 10_000_000, 50_000_000)
    how = "/usr/bin/time -v" if os.access(GNU_TIME, os.X_OK) else "getrusage(RUSAGE_CHILDREN)"
    rows: list[Row] = []

    dt, floor, tree = measure([python, "-c", "import numpy"])
    rows.append(Row("memory", "python -c 'import numpy'", dt, mib=floor,
                    check=f"floor: interpreter + numpy; tree PSS {tree:.1f} MiB" if tree else "floor"))
    with scratch_dir("memory-") as tmp:
        cases = (("norm -f FILE", 1, ["norm"]), ("norm --rows -f FILE", 2, ["norm", "--rows"]),
                 ("grad --rows -f FILE", 2, ["grad", "--rows"]))
        for n in sizes:
            for ncols in (1, 2):
                path = tmp / f"normal_{ncols}col_{n}.csv"
                progress(f"writing {n} rows x {ncols} col(s)")
                write_normal_csv(path, n, ncols)
        for label, ncols, args in cases:
            peaks = {}
            for n in sizes:
                path = tmp / f"normal_{ncols}col_{n}.csv"
                size = path.stat().st_size
                progress(f"memory: normcli {label} at {n} rows")
                dt, rss, tree = measure([normcli, *args, "-f", str(path)])
                peaks[n] = (rss, tree)
                group = f"memory {ncols}-col, {n:.0e} rows, {size / 1e6:.0f} MB".replace("e+0", "e")
                ratio = ""
                check = (f"RSS < {BUDGET} MiB: {'PASS' if rss < BUDGET else 'FAIL'}; 1 run; "
                         f"peak RSS of the largest process ({how})")
                if tree is not None:
                    check += f"; peak tree PSS {tree:.1f} MiB (normcli + workers, sampled)"
                if n == sizes[-1]:
                    r0, t0 = peaks[sizes[0]]
                    ratio = f"{rss / r0:.2f}"
                    grow = f"{n // sizes[0]}x rows -> {rss / r0:.2f}x RSS"
                    if tree is not None and t0:
                        grow += f", {tree / t0:.2f}x tree PSS"
                    check = f"{grow}; " + check
                rows.append(Row(group, f"normcli {label}", dt, size / dt / 1e6, rss, ratio, check))
        # compare-models keeps every observation (the tests need them all): 16 bytes per observation
        # for 2 models, plus the losses and their difference while the tests run.
        n = 1_000_000 if quick else 10_000_000
        path = tmp / f"two_models_{n}.csv"
        progress(f"writing {n} observations x 2 models")
        size = write_normal_csv(path, n, 2)
        progress("memory: normcli compare-models")
        dt, rss, tree = measure([normcli, "compare-models", "-f", str(path), "-o", "plain"])
        rows.append(Row(f"memory compare-models, {n:.0e} x 2".replace("e+0", "e"), "normcli compare-models -f FILE",
                        dt, size / dt / 1e6, rss, "",
                        f"holds the {n:.0e} x 2 errors as float64 ({n * 16 / 2**20:.0f} MiB) and one loss "
                        f"difference at a time; tree PSS {tree:.1f} MiB" if tree else "peak RSS"))
        for n in sizes:
            for ncols in (1, 2):
                (tmp / f"normal_{ncols}col_{n}.csv").unlink(missing_ok=True)
    return rows


def main(argv: list[str] | None = None) -> None:
    print_suite(run, argv)


if __name__ == "__main__":
    main()
