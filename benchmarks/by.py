#!/usr/bin/env python3
"""Per-group norms: ``normcli norm --by key -c err`` against datamash and Miller.

    python benchmarks/by.py [--quick]

A CSV ``key,err`` of 10^7 rows (10^6 with --quick), 1,000 groups (keys
``k0`` .. ``k999`` drawn at random, so every block holds every group),
err standard normal printed with %.17g. Timed, median of 3 interleaved runs
(1 with --quick), output to a pipe:

* ``normcli norm --by key -c err FILE`` (as installed: polars reads the
  values of large files with the fast extra) and with NORMCLI_READER=numpy;
* ``datamash -t, --header-in -g 1 sum 2`` on a copy sorted by key (datamash
  needs its groups sorted; normcli does not; the sort is not timed);
* ``mlr --icsv --ocsv stats1 -a sum -f err -g key FILE``.

Target: normcli at least as fast as datamash. Then the memory of many
groups: a file of 10^6 groups (2 rows each; 10^5 with --quick), peak RSS of
normcli against the same rows in one group.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import Row, find_normcli, median, need_tools, print_suite, progress, scratch_dir, warm_cache  # noqa: E402

GROUPS = 1000


def _write(path: Path, n: int, groups: int, seed: int = 12345, sort: bool = False, chunk: int = 1_000_000) -> int:
    import numpy as np

    rng = np.random.default_rng(seed)
    with open(path, "w") as fh:
        fh.write("key,err\n")
        for start in range(0, n, chunk):
            m = min(chunk, n - start)
            keys = rng.integers(0, groups, m) if groups < n else np.arange(start, start + m) % groups
            err = rng.standard_normal(m)
            fh.write(("k%d,%.17g\n" * m) % tuple(v for pair in zip(keys.tolist(), err.tolist()) for v in pair))
    if sort:
        import shlex

        sorted_path = path.with_name(path.stem + "-sorted.csv")
        sorted_path.write_text("key,err\n")
        src, dst = shlex.quote(str(path)), shlex.quote(str(sorted_path))
        subprocess.run(f"tail -n +2 {src} | sort -t, -k1,1 -S 25% >> {dst}", shell=True, check=True,
                       env={**os.environ, "LC_ALL": "C"})
    return path.stat().st_size


def _run(cmd: list[str], env=None) -> tuple[float, bytes]:
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    dt = time.perf_counter() - t0
    if proc.returncode:
        raise RuntimeError(f"{cmd[0]} exited {proc.returncode}: {proc.stderr.decode(errors='replace')[-300:]}")
    return dt, proc.stdout


def _peak_rss_mib(cmd: list[str], env=None) -> float:
    """Peak RSS of one run of ``cmd`` (and its worker processes: the largest of them), in MiB."""
    code = ("import resource, subprocess, sys; subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, check=True); "
            "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
    out = subprocess.run([sys.executable, "-c", code, *cmd], capture_output=True, text=True, env=env, check=True)
    return int(out.stdout.split()[-1]) / 1024


def run(quick: bool = False) -> list[Row]:
    normcli = find_normcli()
    n = 1_000_000 if quick else 10_000_000
    reps = 1 if quick else 3
    tools = need_tools("datamash", "mlr")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    rows: list[Row] = []
    label = f"--by: {n:.0e} rows, {GROUPS} groups".replace("e+0", "e")
    with scratch_dir("by-") as tmp:
        env["PYTHONPYCACHEPREFIX"] = str(tmp / "pycache")
        path = tmp / "by.csv"
        progress(f"by: writing {n} rows in {GROUPS} groups (and a sorted copy for datamash)")
        size = _write(path, n, GROUPS, sort=bool(tools["datamash"]))
        sorted_path = path.with_name("by-sorted.csv")
        warm_cache(path)
        cmds = {"normcli": ([normcli, "norm", "--by", "key", "-c", "err", "-f", str(path)], env),
                "numpy": ([normcli, "norm", "--by", "key", "-c", "err", "-f", str(path)],
                          {**env, "NORMCLI_READER": "numpy"})}
        if tools["datamash"]:
            warm_cache(sorted_path)
            cmds["datamash"] = ([tools["datamash"], "-t,", "--header-in", "-g", "1", "sum", "2"], env)
        if tools["mlr"]:
            cmds["mlr"] = ([tools["mlr"], "--icsv", "--ocsv", "stats1", "-a", "sum", "-f", "err", "-g", "key",
                            str(path)], env)

        def once(key: str) -> tuple[float, bytes]:
            cmd, e = cmds[key]
            if key == "datamash":
                with open(sorted_path, "rb") as fh:
                    t0 = time.perf_counter()
                    proc = subprocess.run(cmd, stdin=fh, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=e)
                    dt = time.perf_counter() - t0
                if proc.returncode:
                    raise RuntimeError(f"datamash exited {proc.returncode}: {proc.stderr.decode(errors='replace')}")
                return dt, proc.stdout
            return _run(cmd, e)

        for key in cmds:  # warm up: bytecode (polars is large), page cache
            once(key)
        times: dict[str, list[float]] = {k: [] for k in cmds}
        outs: dict[str, bytes] = {}
        for rep in range(reps):
            for key in cmds:
                progress(f"by: run {rep + 1}/{reps}: {key}")
                dt, outs[key] = once(key)
                times[key].append(dt)
        med = {k: median(v) for k, v in times.items()}
        t = med["normcli"]
        groups_seen = len(outs["normcli"].splitlines())
        rows.append(Row(label, "normcli norm --by key -c err -f FILE  [as installed]", t, size / t / 1e6, ratio="1.00",
                        check=f"{groups_seen} groups out; n={reps}, min {min(times['normcli']):.2f} s"))
        same = outs["numpy"] == outs["normcli"]
        rows.append(Row(label, "NORMCLI_READER=numpy normcli norm --by key -c err -f FILE", med["numpy"],
                        size / med["numpy"] / 1e6, ratio=f"{med['numpy'] / t:.2f}",
                        check=f"default install; identical output: {'yes' if same else 'NO'}"))
        if "datamash" in med:
            speed = med["datamash"] / t
            rows.append(Row(label, "datamash -t, --header-in -g 1 sum 2 < SORTED", med["datamash"],
                            size / med["datamash"] / 1e6, ratio=f"{speed:.2f}",
                            check=f"normcli speed / datamash's = {speed:.2f} >= 1: {'PASS' if speed >= 1 else 'FAIL'}"
                                  f"; numpy reader {med['datamash'] / med['numpy']:.2f} (sort not timed)"))
        if "mlr" in med:
            rows.append(Row(label, "mlr --icsv --ocsv stats1 -a sum -f err -g key FILE", med["mlr"],
                            size / med["mlr"] / 1e6, ratio=f"{med['mlr'] / t:.2f}", check="for comparison"))

        many = 100_000 if quick else 1_000_000
        progress(f"by: memory of {many} groups")
        many_path = tmp / "many.csv"
        _write(many_path, 2 * many, many)
        one_path = tmp / "one.csv"
        _write(one_path, 2 * many, 1)
        cmd = [normcli, "norm", "--by", "key", "-c", "err", "-f"]
        t0 = time.perf_counter()
        rss_many = _peak_rss_mib([*cmd, str(many_path)], env)
        t_many = time.perf_counter() - t0
        rss_one = _peak_rss_mib([*cmd, str(one_path)], env)
        per_group = (rss_many - rss_one) * (1 << 20) / many
        rows.append(Row(f"--by: {many:.0e} groups".replace("e+0", "e"), "normcli norm --by key -c err -f FILE", t_many,
                        mib=rss_many, check=f"{rss_one:.0f} MiB for the same rows in 1 group: "
                                            f"{per_group:.0f} bytes per group in all (keys, index, state, output)"))
    return rows


if __name__ == "__main__":
    print_suite(run, legend="Ratio: the tool's time / normcli's time (above 1: normcli is faster).")
