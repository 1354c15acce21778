#!/usr/bin/env python3
"""compare-models and regstep --data on the Dask engine, against the local engine and numpy.

    python benchmarks/dask_models.py [--quick]

Two sets of 16 Parquet shards (10^7 rows in all; 10^6 with --quick):

- ``y, a, b``: the truth and two models' predictions (b's noise 5% larger).
  ``normcli compare-models -f 'cmp/*.parquet' --truth y`` with the local
  engine and with ``--engine dask`` on local clusters of 1 and 2 worker
  processes (started here on 127.0.0.1, outside the timing). Above 10,000
  rows the Dask engine makes its passes over the files (errors and the
  median's first count, the median's bins, the differences). The
  reference is what a user would otherwise write: pyarrow reads the three
  columns, numpy computes each model's MAE, RMSE and median|e|, and scipy
  the paired t-test and Wilcoxon test on the absolute errors.
- ``x1..x4, y``: a linear model. ``normcli regstep --data 'lin/*.parquet'
  --target y --steps 20 --lr 0.1 --l2 0.01`` on both engines (on Dask the
  rows are loaded into the workers once, then each step is one reduction);
  the reference is pyarrow plus 20 numpy full-batch gradient steps.

Prints the time per row (per row and step for regstep) and the ratio to
the local engine; the numpy reference's ratio is the local engine's time
over numpy's.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import Row, find_normcli, interpreter_of, median, print_suite, progress, scratch_dir, time_once  # noqa: E402
from dask_engine import CLUSTER  # noqa: E402

SHARDS = 16
STEPS = 20

WRITE = """
import sys, numpy as np, pyarrow as pa, pyarrow.parquet as pq
folder, rows, shards = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rng = np.random.default_rng(7); per = rows // shards
for k in range(shards):
    y = rng.standard_normal(per) * 3 + 10
    pq.write_table(pa.table({'y': y, 'a': y + rng.standard_normal(per), 'b': y + 1.05 * rng.standard_normal(per)}),
                   f'{folder}/cmp/part-{k:03d}.parquet', row_group_size=1 << 20)
    X = rng.standard_normal((per, 4))
    t = X @ np.array([1.0, -2.0, 0.5, 3.0]) + 0.3 + 0.1 * rng.standard_normal(per)
    pq.write_table(pa.table({'x1': X[:, 0], 'x2': X[:, 1], 'x3': X[:, 2], 'x4': X[:, 3], 'y': t}),
                   f'{folder}/lin/part-{k:03d}.parquet', row_group_size=1 << 20)
"""

COMPARE_NUMPY = """
import sys, numpy as np, pyarrow.dataset as ds
from scipy import stats
t = ds.dataset(sys.argv[1], format='parquet').to_table(columns=['y', 'a', 'b'])
y, a, b = (t.column(c).to_numpy() for c in ('y', 'a', 'b'))
ea, eb = np.abs(a - y), np.abs(b - y)
for e in (ea, eb):
    print(e.mean(), np.sqrt(np.mean(e * e)), np.median(e))
print(stats.ttest_rel(eb, ea).pvalue, stats.wilcoxon(eb - ea).pvalue)
"""

REGSTEP_NUMPY = """
import sys, numpy as np, pyarrow.dataset as ds
t = ds.dataset(sys.argv[1], format='parquet').to_table()
X = np.column_stack([t.column(c).to_numpy() for c in ('x1', 'x2', 'x3', 'x4')]); y = t.column('y').to_numpy()
w = np.zeros(4); n = len(y)
for _ in range(int(sys.argv[2])):
    r = X @ w - y
    w -= 0.1 * (X.T @ r / n + 0.01 * w)
print(w)
"""


def run(quick: bool = False) -> list[Row]:
    normcli = find_normcli()
    python = interpreter_of(normcli)
    for module, extra in (("pyarrow", "pyarrow>=14"), ("distributed", "dask[distributed]>=2024.1"),
                          ("scipy", "scipy>=1.13")):
        if subprocess.run([python, "-c", f"import {module}"], capture_output=True).returncode:
            progress(f"installing {extra} into normcli's environment")
            subprocess.run([python, "-m", "pip", "install", "-q", extra], check=False)
    rows_total = 1_000_000 if quick else 10_000_000
    runs = 1 if quick else 3
    out: list[Row] = []
    with scratch_dir("dask-models-") as tmp:
        (tmp / "cmp").mkdir()
        (tmp / "lin").mkdir()
        progress(f"writing 2 x {rows_total:,} rows in {SHARDS} Parquet shards each")
        subprocess.run([python, "-c", WRITE, str(tmp), str(rows_total), str(SHARDS)], check=True)
        cmp_files, lin_files = str(tmp / "cmp" / "*.parquet"), str(tmp / "lin" / "*.parquet")
        commands = {
            "compare": [normcli, "compare-models", "-f", cmp_files, "--truth", "y", "-o", "csv"],
            "regstep": [normcli, "regstep", "--data", lin_files, "--target", "y", "--steps", str(STEPS),
                        "--lr", "0.1", "--l2", "0.01", "-o", "csv"],
        }
        per = {"compare": rows_total, "regstep": rows_total * STEPS}
        unit = {"compare": "ns per row", "regstep": "ns per row and step"}
        local = {name: median([time_once(cmd)[0] for _ in range(runs)]) for name, cmd in commands.items()}
        want = {name: _decisions(name, time_once(cmd)[1]) for name, cmd in commands.items()}
        reference = {
            "compare": median([time_once([python, "-c", COMPARE_NUMPY, str(tmp / "cmp")])[0] for _ in range(runs)]),
            "regstep": median([time_once([python, "-c", REGSTEP_NUMPY, str(tmp / "lin"), str(STEPS)])[0]
                               for _ in range(runs)]),
        }
        timed: dict[tuple[str, int], float] = {}
        for workers in (1, 2):
            proc = subprocess.Popen([python, "-c", CLUSTER, str(workers)], stdin=subprocess.PIPE,
                                    stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
            address, _ = proc.stdout.readline().split()
            try:
                for name, cmd in commands.items():
                    times = []
                    for _ in range(runs):
                        dt, got = time_once([*cmd, "--engine", "dask", "--scheduler", address])
                        times.append(dt)
                        assert _decisions(name, got) == want[name], (name, got, want[name])
                    timed[name, workers] = median(times)
            finally:
                proc.stdin.close()
                proc.wait(60)
        labels = {"compare": f"normcli compare-models -f 'cmp/*.parquet' --truth y ({rows_total:.0e} rows)",
                  "regstep": f"normcli regstep --data 'lin/*.parquet' --steps {STEPS} ({rows_total:.0e} rows)"}
        for name in commands:
            group = f"dask {name}"
            out.append(Row(group, f"pyarrow + numpy{' + scipy' if name == 'compare' else ''} one-liner",
                           reference[name], ratio=f"{local[name] / reference[name]:.2f}",
                           check="ratio: the local engine's time / this one's"))
            out.append(Row(group, f"{labels[name]}, local", local[name], ratio="1.00",
                           check=f"{local[name] / per[name] * 1e9:.2f} {unit[name]}"))
            for workers in (1, 2):
                t = timed[name, workers]
                out.append(Row(group, f"... --engine dask, {workers} worker(s)", t, ratio=f"{t / local[name]:.2f}",
                               check=f"{t / per[name] * 1e9:.2f} {unit[name]}; same "
                                     f"{'ranking and verdicts' if name == 'compare' else 'weights to 1e-12'}"))
    return out


def _decisions(name: str, csv: str):
    """What must not change between the engines: compare-models' ranking and verdicts; regstep's last weights
    (to 12 digits: the Dask engine's sums are merged in another order)."""
    import csv as csvlib

    lines = csv.strip().splitlines()
    if name == "compare":  # each table: its first two columns and its verdict, by the header
        picked, at = [], None
        for cells in csvlib.reader(lines):
            if not cells:
                at = None
                continue
            at = cells.index("verdict") if at is None else at
            picked.append((cells[0], cells[1], cells[at]))
        return picked
    return [f"{float(v):.12g}" for v in lines[-1].split(",")[1:]]


if __name__ == "__main__":
    started = time.perf_counter()
    print_suite(run, legend="Ratio: time / the local engine's time (the one-liner's: local / one-liner).")
    progress(f"done in {time.perf_counter() - started:.0f} s")
