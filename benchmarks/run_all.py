#!/usr/bin/env python3
"""Run every normcli benchmark and print one markdown table (called by ``benchmarks/run``).

    benchmarks/run [--quick] [--only startup,throughput,memory,rows,compare,regstep,sources,by,dask,dask-models]
                   [--with-pandas]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import by  # noqa: E402
import compare  # noqa: E402
import dask_engine  # noqa: E402
import dask_models  # noqa: E402
import memory  # noqa: E402
import regstep  # noqa: E402
import rows  # noqa: E402
import sources  # noqa: E402
import startup  # noqa: E402
import throughput  # noqa: E402
from _common import find_normcli, interpreter_of, machine_line, markdown_table, need_tools, progress  # noqa: E402

SUITES = {"startup": startup.run, "throughput": throughput.run, "memory": memory.run, "rows": rows.run,
          "compare": compare.run, "regstep": regstep.run, "sources": sources.run, "by": by.run,
          "dask": dask_engine.run, "dask-models": dask_models.run}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="benchmarks/run", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true",
                    help="10^6 rows instead of 10^7 (memory: 10^5 and 10^6), 1 run per tool, 5 startup runs")
    ap.add_argument("--only", default=",".join(SUITES), help="comma-separated subset of: " + ", ".join(SUITES))
    ap.add_argument("--with-pandas", action="store_true",
                    help="pip install pandas into normcli's environment if missing (for the pandas rows)")
    args = ap.parse_args(argv)
    chosen = [s.strip() for s in args.only.split(",") if s.strip()]
    unknown = [s for s in chosen if s not in SUITES]
    if unknown:
        ap.error(f"unknown suite(s): {', '.join(unknown)}")

    normcli = find_normcli()
    python = interpreter_of(normcli)
    progress(f"normcli: {normcli} (Python: {python})")
    if "throughput" in chosen or "rows" in chosen:
        need_tools("datamash", "mawk")  # installs them first when root, so no timing is disturbed
        if subprocess.run([python, "-c", "import polars"], capture_output=True).returncode:
            progress("installing normcli's fast extra (polars) into its environment, for the [fast] rows")
            subprocess.run([python, "-m", "pip", "install", "-q", "polars>=1.20"], check=False)
        if args.with_pandas and subprocess.run([python, "-c", "import pandas"], capture_output=True).returncode:
            progress("installing pandas into normcli's environment (--with-pandas)")
            subprocess.run([python, "-m", "pip", "install", "-q", "pandas"], check=False)

    t0 = time.perf_counter()
    rows = []
    for name in chosen:
        progress(f"== {name} ==")
        rows += SUITES[name](args.quick)
    elapsed = time.perf_counter() - t0

    print(machine_line(python))
    print(f"normcli: {normcli}; mode: {'quick' if args.quick else 'full'}; total {elapsed:.0f} s")
    print()
    print(markdown_table(rows))
    print()
    print("Ratio: startup = time / baseline time; throughput = tool time / normcli time "
          "(> 1: slower than normcli); memory = peak RSS at the largest size / at the smallest.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
