#!/usr/bin/env python3
"""The Dask engine against the local engine on Parquet shards.

    python benchmarks/dask_engine.py [--quick]

10^8 rows of one float64 column in 32 Parquet shards (10^7 with --quick),
``normcli norm --p 1 --p 2 -f 'shards/*.parquet'`` with the local engine,
and with ``--engine dask`` on a local cluster of 1 and of 2 worker
processes (started here on 127.0.0.1, outside the timing). Prints the time
per row of each, and the scheduler's overhead per partition (1,000 empty
tasks through the same client), from which the README estimates a 10^10-row
run on 100 workers.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import Row, find_normcli, interpreter_of, median, print_suite, progress, scratch_dir, time_once  # noqa: E402

SHARDS = 32

CLUSTER = """
import sys, time, distributed
n = int(sys.argv[1])
cluster = distributed.LocalCluster(n_workers=n, threads_per_worker=1, processes=True, host="127.0.0.1",
                                   dashboard_address=None)
client = distributed.Client(cluster.scheduler_address)
t0 = time.perf_counter()
client.gather(client.map(lambda i: i, range(1000), pure=False))
print(cluster.scheduler_address, (time.perf_counter() - t0) / 1000, flush=True)
sys.stdin.read()  # until the benchmark closes stdin
client.close(); cluster.close()
"""


def _shards(folder: Path, rows: int, python: str) -> None:
    code = ("import sys, numpy as np, pyarrow as pa, pyarrow.parquet as pq\n"
            "folder, rows, shards = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])\n"
            "rng = np.random.default_rng(3); per = rows // shards\n"
            "for k in range(shards):\n"
            "    pq.write_table(pa.table({'err': rng.standard_normal(per)}), f'{folder}/part-{k:03d}.parquet',\n"
            "                   row_group_size=1 << 20)\n")
    subprocess.run([python, "-c", code, str(folder), str(rows), str(SHARDS)], check=True)


def run(quick: bool = False) -> list[Row]:
    normcli = find_normcli()
    python = interpreter_of(normcli)
    for module, extra in (("pyarrow", "pyarrow>=14"), ("distributed", "dask[distributed]>=2024.1")):
        if subprocess.run([python, "-c", f"import {module}"], capture_output=True).returncode:
            progress(f"installing {extra} into normcli's environment")
            subprocess.run([python, "-m", "pip", "install", "-q", extra], check=False)
    rows_total = 10_000_000 if quick else 100_000_000
    runs = 1 if quick else 3
    out: list[Row] = []
    with scratch_dir("dask-") as tmp:
        progress(f"writing {rows_total:,} rows in {SHARDS} Parquet shards")
        _shards(tmp, rows_total, python)
        pattern = str(tmp / "*.parquet")
        base = [normcli, "norm", "--p", "1", "--p", "2", "-f", pattern]
        local = median([time_once(base)[0] for _ in range(runs)])
        out.append(Row("dask engine", f"normcli norm -f 'shards/*.parquet' ({rows_total:.0e} rows, local)", local,
                       ratio="1.00", check=f"{local / rows_total * 1e9:.2f} ns per row"))
        want = time_once(base)[1]
        for workers in (1, 2):
            proc = subprocess.Popen([python, "-c", CLUSTER, str(workers)], stdin=subprocess.PIPE,
                                    stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
            address, overhead = proc.stdout.readline().split()
            try:
                cmd = [*base, "--engine", "dask", "--scheduler", address]
                times = []
                for _ in range(runs):
                    dt, got = time_once(cmd)
                    times.append(dt)
                    assert got == want, (got, want)
                t = median(times)
            finally:
                proc.stdin.close()
                proc.wait(60)
            # a shard's row groups are one partition up to 64 MiB of the column: one task per shard here
            parts = SHARDS * -(-(rows_total // SHARDS) * 8 // (64 << 20))
            out.append(Row("dask engine", f"... --engine dask, {workers} worker(s)", t, ratio=f"{t / local:.2f}",
                           check=f"{t / rows_total * 1e9:.2f} ns per row; scheduling {float(overhead) * 1e3:.2f} ms "
                                 f"per task (about {parts} partitions); same output as local"))
    return out


if __name__ == "__main__":
    started = time.perf_counter()
    print_suite(run, legend="Ratio: time / the local engine's time.")
    progress(f"done in {time.perf_counter() - started:.0f} s")
