#!/usr/bin/env python3
"""Many small vectors: ``normcli norm --rows`` against mawk, and against a shell loop of one-shot calls.

    python benchmarks/rows.py [--quick]

A CSV of 10^6 rows x 10 columns (10^5 with --quick), standard normal. Per
row, the L2 norm: ``normcli norm --rows -f FILE`` and
``mawk -F, '{s=0; for(i=1;i<=NF;i++) s+=$i*$i; print sqrt(s)}' FILE``, both
writing to a pipe, median of 3 interleaved runs (1 with --quick).
Targets: normcli at least 2x mawk's speed (as installed: polars reads
large files with the fast extra), and a cost per vector at least 100x
below one one-shot call (a shell loop of ``normcli norm ...``, timed over
20 calls of a 10-vector).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (  # noqa: E402
    Row,
    find_normcli,
    median,
    need_tools,
    print_suite,
    progress,
    scratch_dir,
    warm_cache,
    write_normal_csv,
)

TARGET_MAWK = 2.0
TARGET_LOOP = 100.0


def _run(cmd: list[str], env=None) -> tuple[float, bytes]:
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    dt = time.perf_counter() - t0
    if proc.returncode:
        raise RuntimeError(f"{cmd[0]} exited {proc.returncode}: {proc.stderr.decode(errors='replace')[-300:]}")
    return dt, proc.stdout


def run(quick: bool = False) -> list[Row]:
    normcli = find_normcli()
    n = 100_000 if quick else 1_000_000
    reps = 1 if quick else 3
    mawk = need_tools("mawk")["mawk"]
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    rows: list[Row] = []
    with scratch_dir("rows-") as tmp:
        env["PYTHONPYCACHEPREFIX"] = str(tmp / "pycache")
        path = tmp / "rows10.csv"
        progress(f"rows: writing {n} rows x 10 columns")
        size = write_normal_csv(path, n, 10)
        warm_cache(path)
        cmds = {"normcli": [normcli, "norm", "--rows", "-f", str(path)],
                "numpy reader": [normcli, "norm", "--rows", "-f", str(path)]}
        envs = {"normcli": env, "numpy reader": {**env, "NORMCLI_READER": "numpy"}}
        if mawk:
            cmds["mawk"] = [mawk, "-F,", "{s=0; for(i=1;i<=NF;i++) s+=$i*$i; print sqrt(s)}", str(path)]
            envs["mawk"] = env
        for key, cmd in cmds.items():  # warm up: bytecode (polars is large), page cache
            _run(cmd, envs[key])
        times = {k: [] for k in cmds}
        outs = {}
        for rep in range(reps):
            for key, cmd in cmds.items():
                progress(f"rows: run {rep + 1}/{reps}: {key}")
                dt, out = _run(cmd, envs[key])
                times[key].append(dt)
                outs[key] = out
        med = {k: median(v) for k, v in times.items()}
        t = med["normcli"]
        same = outs["normcli"] == outs["numpy reader"]
        rows.append(Row(f"rows: {n:.0e} x 10".replace("e+0", "e"), "normcli norm --rows -f FILE  [fast]", t,
                        size / t / 1e6, ratio="1.00",
                        check=f"{t / n * 1e6:.2f} us per vector; n={reps}, min {min(times['normcli']):.2f} s"))
        rows.append(Row(f"rows: {n:.0e} x 10".replace("e+0", "e"), "NORMCLI_READER=numpy normcli norm --rows -f FILE",
                        med["numpy reader"], size / med["numpy reader"] / 1e6,
                        ratio=f"{med['numpy reader'] / t:.2f}",
                        check=f"default reader; identical output: {'yes' if same else 'NO'}"))
        if mawk:
            speed = med["mawk"] / t
            rows.append(Row(f"rows: {n:.0e} x 10".replace("e+0", "e"), "mawk -F, '{...sqrt(s)}' FILE", med["mawk"],
                            size / med["mawk"] / 1e6, ratio=f"{speed:.2f}",
                            check=f"normcli speed / mawk's = {speed:.2f} >= {TARGET_MAWK}: "
                                  f"{'PASS' if speed >= TARGET_MAWK else 'FAIL'} (mawk prints %.6g)"))
        vector = ",".join(f"{0.1 * i:.1f}" for i in range(1, 11))
        _run([normcli, "norm", vector], env)  # warm the bytecode cache
        calls = 20
        progress(f"rows: {calls} one-shot calls")
        t0 = time.perf_counter()
        for _ in range(calls):
            _run([normcli, "norm", vector], env)
        per_call = (time.perf_counter() - t0) / calls
        per_vector = t / n
        factor = per_call / per_vector
        rows.append(Row("rows: shell loop", f"for v in ...; do normcli norm $v; done  ({calls} calls)", per_call,
                        ratio=f"{factor:.0f}",
                        check=f"one call {per_call * 1e3:.0f} ms vs {per_vector * 1e6:.2f} us per vector with --rows: "
                              f"{factor:.0f}x >= {TARGET_LOOP:.0f}x: {'PASS' if factor >= TARGET_LOOP else 'FAIL'}"))
    return rows


if __name__ == "__main__":
    print_suite(run, legend="Ratio: the tool's time / normcli --rows time; shell loop: seconds per call, "
                            "ratio = per-call / per-vector cost.")
