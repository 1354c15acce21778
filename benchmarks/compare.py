#!/usr/bin/env python3
"""compare-models on 10^6 observations x 3 models, against the numpy/scipy script a user would write.

    python benchmarks/compare.py [--quick]

Both read the same CSV of errors (three columns, header), compute the
metrics, and test each model against the best by MAE with the paired
t-test and the Wilcoxon signed-rank test. The script's bootstrap is the
obvious one (resample the indices B times); normcli, above 10^4
observations, uses the large-sample bootstrap interval instead (see the
README), so the script is timed twice: without a bootstrap, and with a
resampling bootstrap of B = 200 (a tenth of the usual 2000; its time grows
linearly with B). Medians of interleaved runs, one process tree, warm page
cache. normcli's bytecode is cached, as for an installed package.
"""

from __future__ import annotations

import os
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

SCRIPT = '''\
import sys
import numpy as np
from scipy import stats

B = int(sys.argv[2])
e = np.loadtxt(sys.argv[1], delimiter=",", skiprows=1)
a = np.abs(e)
mae = a.mean(axis=0)
metrics = [a.sum(0), np.sqrt((e * e).sum(0)), mae, (e * e).mean(0), np.sqrt((e * e).mean(0)),
           a.max(0), np.median(a, axis=0), e.mean(0)]
best = int(np.argmin(mae))
rng = np.random.default_rng(0)
for j in range(e.shape[1]):
    if j == best:
        continue
    d = a[:, j] - a[:, best]
    t = stats.ttest_rel(a[:, j], a[:, best])
    w = stats.wilcoxon(d)
    if B:
        means = [d[rng.integers(0, d.size, d.size)].mean() for _ in range(B)]
        lo, hi = np.quantile(means, [0.025, 0.975])
    print(j, d.mean(), t.pvalue, w.pvalue)
'''


def run(quick: bool = False) -> list[Row]:
    normcli = find_normcli()
    python = interpreter_of(normcli)
    n = 200_000 if quick else 1_000_000
    reps = 1 if quick else 3
    rows: list[Row] = []
    with scratch_dir("compare-") as tmp:
        csv = tmp / "errors.csv"
        progress(f"compare: writing {n} x 3 errors")
        # three models, the third clearly worse
        size = write_normal_csv(csv, n, 3, seed=7)
        warm_cache(csv)
        script = tmp / "compare_numpy.py"
        script.write_text(SCRIPT)
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        env["PYTHONPYCACHEPREFIX"] = str(tmp / "pycache")
        cmds = {
            "normcli": [normcli, "compare-models", "-f", str(csv), "-o", "plain"],
            "script": [python, str(script), str(csv), "0"],
            "script B=200": [python, str(script), str(csv), "200"],
        }
        for cmd in cmds.values():  # warm up: bytecode, page cache; failures surface here
            time_once(cmd, env=env)
        times = {k: [] for k in cmds}
        for _ in range(reps):
            for k, cmd in cmds.items():
                times[k].append(time_once(cmd, env=env)[0])
        t = {k: median(v) for k, v in times.items()}
        mb = size / 1e6
        rows.append(Row("compare-models", f"normcli compare-models -f errors.csv  ({n} x 3)", t["normcli"],
                        mb / t["normcli"], ratio="1.00",
                        check=f"metrics, DM-HLN, Wilcoxon, Holm, large-sample bootstrap CI (n={reps})"))
        for k in ("script", "script B=200"):
            rows.append(Row("compare-models",
                            f"numpy/scipy script ({k.replace('script', '').strip() or 'no bootstrap'})",
                            t[k], mb / t[k], ratio=f"{t[k] / t['normcli']:.2f}",
                            check="script time / normcli time (loadtxt, ttest_rel, wilcoxon"
                                  + (", 200 resamples)" if "B" in k else ")")))
    return rows


if __name__ == "__main__":
    print_suite(run, legend="Ratio: script time / normcli time (> 1: normcli is faster).")
