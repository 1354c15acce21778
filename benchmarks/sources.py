#!/usr/bin/env python3
"""Parquet and gzip sources against the one-liners users would otherwise run.

    python benchmarks/sources.py [--quick]

* Parquet: ``normcli norm -f FILE.parquet -c c1`` (the L2 norm of one
  float64 column of 10^7 rows; 10^6 with --quick) and of one of three
  columns, against a pyarrow one-liner run by the same interpreter:
  ``np.linalg.norm(pq.read_table(FILE, columns=['c1']).column('c1').to_numpy())``.
  Target: normcli / one-liner <= 1.3. Peak RSS of ``normcli norm`` at
  5 x 10^7 rows (5 x 10^6 with --quick): target < 150 MiB.
* gzip CSV: ``normcli norm -f FILE.csv.gz`` against ``zcat FILE.csv.gz |
  normcli norm`` (10^7 rows; 10^6 with --quick). Target <= 1.2.

The tools run interleaved, median of 3 runs each (1 with --quick), on
inputs generated here (benchmarks/data/, removed afterwards).
"""

from __future__ import annotations

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
    warm_cache,
    write_normal_csv,
)

ONE_LINER = ("import sys, numpy as np, pyarrow.parquet as pq; "
             "print(np.linalg.norm(pq.read_table(sys.argv[1], columns=[sys.argv[2]]).column(sys.argv[2]).to_numpy()))")


def _parquet(path: Path, n: int, ncols: int, python: str) -> None:
    code = ("import sys, numpy as np, pyarrow as pa, pyarrow.parquet as pq\n"
            "n, k = int(sys.argv[2]), int(sys.argv[3]); rng = np.random.default_rng(7)\n"
            "schema = pa.schema([(f'c{j + 1}', pa.float64()) for j in range(k)])\n"
            "with pq.ParquetWriter(sys.argv[1], schema) as w:\n"
            "    for s in range(0, n, 1_000_000):\n"
            "        m = min(1_000_000, n - s)\n"
            "        w.write_table(pa.table({f'c{j + 1}': rng.standard_normal(m) for j in range(k)}, schema=schema))\n")
    subprocess.run([python, "-c", code, str(path), str(n), str(ncols)], check=True)


def _peak_mib(cmd: list[str]) -> float | None:
    try:
        proc = subprocess.run(["/usr/bin/time", "-v", *cmd], capture_output=True, text=True)
    except FileNotFoundError:
        return None
    for line in proc.stderr.splitlines():
        if "Maximum resident set size" in line:
            return int(line.split()[-1]) / 1024
    return None


def _race(commands: dict[str, list[str]], runs: int, shell: dict[str, str] | None = None) -> dict[str, float]:
    """Median seconds of each command, run interleaved; ``shell`` entries run through bash."""
    times: dict[str, list[float]] = {k: [] for k in [*commands, *(shell or {})]}
    for _ in range(runs):
        for k, cmd in commands.items():
            times[k].append(time_once(cmd)[0])
        for k, line in (shell or {}).items():
            times[k].append(time_once(["bash", "-c", line])[0])
    return {k: median(v) for k, v in times.items()}


def run(quick: bool = False) -> list[Row]:
    normcli = find_normcli()
    python = interpreter_of(normcli)
    if subprocess.run([python, "-c", "import pyarrow"], capture_output=True).returncode:
        progress("installing normcli's parquet extra (pyarrow) into its environment")
        subprocess.run([python, "-m", "pip", "install", "-q", "pyarrow>=14"], check=False)
    n = 1_000_000 if quick else 10_000_000
    big = 5 * n
    runs = 1 if quick else 3
    rows: list[Row] = []
    with scratch_dir("sources-") as tmp:
        progress(f"writing Parquet files of {n:,} rows (1 and 3 columns) and {big:,} rows")
        one, three, large = tmp / "one.parquet", tmp / "three.parquet", tmp / "large.parquet"
        _parquet(one, n, 1, python)
        _parquet(three, n, 3, python)
        _parquet(large, big, 1, python)
        for path, label in ((one, "1 column"), (three, "1 of 3 columns")):
            warm_cache(path)
            t = _race({"normcli": [normcli, "norm", "-f", str(path), "-c", "c1"],
                       "pyarrow": [python, "-c", ONE_LINER, str(path), "c1"]}, runs)
            ratio = t["normcli"] / t["pyarrow"]
            rows.append(Row(f"parquet {label}", f"normcli norm -f FILE.parquet -c c1  ({n:.0e} rows)", t["normcli"],
                            ratio=f"{ratio:.2f}", check=f"normcli / pyarrow one-liner <= 1.3: "
                            f"{'PASS' if ratio <= 1.3 else 'FAIL'}"))
            rows.append(Row(f"parquet {label}", "python -c 'np.linalg.norm(pq.read_table(...).to_numpy())'",
                            t["pyarrow"], ratio="1.00", check="the pyarrow one-liner"))
        progress(f"peak memory on {big:,} rows")
        warm_cache(large)
        mib = _peak_mib([normcli, "norm", "-f", str(large), "-c", "c1"])
        rows.append(Row("parquet memory", f"normcli norm -f FILE.parquet -c c1  ({big:.0e} rows)", mib=mib,
                        check="" if mib is None else f"< 150 MiB: {'PASS' if mib < 150 else 'FAIL'}"))

        progress(f"writing a gzip CSV of {n:,} rows")
        csv = tmp / "errors.csv"
        write_normal_csv(csv, n)
        subprocess.run(["gzip", "-1", "-k", str(csv)], check=True)
        gz = tmp / "errors.csv.gz"
        warm_cache(gz)
        t = _race({"normcli": [normcli, "norm", "-f", str(gz)]}, runs,
                  shell={"zcat": f"zcat {gz} | {normcli} norm"})
        ratio = t["normcli"] / t["zcat"]
        rows.append(Row("gzip csv", f"normcli norm -f FILE.csv.gz  ({n:.0e} rows)", t["normcli"], ratio=f"{ratio:.2f}",
                        check=f"normcli / (zcat | normcli) <= 1.2: {'PASS' if ratio <= 1.2 else 'FAIL'}"))
        rows.append(Row("gzip csv", "zcat FILE.csv.gz | normcli norm", t["zcat"], ratio="1.00",
                        check="decompressed by zcat in a process of its own"))
    return rows


if __name__ == "__main__":
    print_suite(run, legend="Ratio: normcli time / the other tool's time (< 1: normcli is faster).")
