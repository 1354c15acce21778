"""The Dask engine on a real cluster: a scheduler and two worker processes on 127.0.0.1, started and
stopped here. Its answers must be the local engine's (within 1 ulp; identical errors)."""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from dataclasses import replace

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import ulps

from normcli import distributed, inputs
from normcli.core import norms
from normcli.errors import InputError

ORDERS = [1.0, 2.0, 3.0, 0.5, 0.0, -1.0, 10.0, float("inf"), -float("inf"), 1.5]


@pytest.fixture(scope="module")
def cluster():
    import distributed as dd

    local = dd.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                            dashboard_address=None)
    try:
        with distributed.Cluster(local.scheduler_address) as c:
            assert len(c.client.scheduler_info()["workers"]) == 2
            yield c
    finally:
        local.close()


@pytest.fixture
def data(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    rng = np.random.default_rng(11)
    x = rng.standard_normal((20_000, 3)) * np.array([1.0, 1e-3, 1e200])
    x[::97, 0] = 0.0
    np.savetxt("d.csv", x, delimiter=",", header="a,b,c", comments="", fmt="%.17g")
    table = pa.table({"a": x[:, 0], "b": x[:, 1], "c": x[:, 2]})
    pq.write_table(table, "d.parquet", row_group_size=3000)
    return x


def _local(spec, orders, kind="norm"):
    cols = inputs.read_columns(spec)
    return norms.norm_table(cols.names, cols.chunks(), orders, kind).rows


def _dask(spec, orders, cluster, kind="norm", part_bytes=40_000):
    names, accs, _ = distributed.reduce(spec, orders, cluster, part_bytes=part_bytes)
    return norms.accumulators_table(names, accs, orders, kind).rows


@pytest.mark.parametrize("kind", ["norm", "power", "mean"])
def test_every_order_is_within_an_ulp_of_the_local_engine(cluster, data, kind):
    orders = [p for p in ORDERS if kind != "power" or np.isfinite(p)]
    worst = 0.0
    for name in ("d.csv", "d.parquet"):
        spec = inputs.InputSpec(file=name)
        plan = distributed.plan(spec, 40_000)
        assert len(plan.parts) >= 7  # byte ranges, or the row groups
        local, remote = _local(spec, orders, kind), _dask(spec, orders, cluster, kind)
        assert [r[0] for r in remote] == [r[0] for r in local] == ["a", "b", "c"]
        for lrow, rrow in zip(local, remote):
            for lv, rv in zip(lrow[1:], rrow[1:]):
                worst = max(worst, ulps(rv, lv))
    assert worst <= 1, worst  # measured: 0 for p in {1, 2, inf, -inf, 0}, at most 1 elsewhere


def test_consecutive_row_groups_are_one_partition_up_to_the_part_size(cluster, data):
    spec = inputs.InputSpec(file="d.parquet")  # 7 row groups: 6 of 3000 rows and one of 2000; 3 columns
    plan = distributed.plan(spec, 150_000)
    assert [(p.start, p.stop, p.first_row) for p in plan.parts] == [(0, 2, 1), (2, 4, 6001), (4, 6, 12001),
                                                                     (6, 7, 18001)]
    one = inputs.InputSpec(file="d.parquet", columns=("a",))
    assert [(p.start, p.stop) for p in distributed.plan(one, 150_000).parts] == [(0, 6), (6, 7)]
    assert [(p.start, p.stop) for p in distributed.plan(one).parts] == [(0, 7)]  # 64 MiB: the file is one
    assert len(distributed.plan(spec, 1000).parts) == 7  # a row group larger than the size is one alone
    for s in (spec, one):
        assert _dask(s, ORDERS, cluster, part_bytes=150_000) == _local(s, ORDERS)


def test_many_files_and_a_text_range_cut_mid_line(cluster, data):
    spec = inputs.InputSpec(file=("d.csv", "d.parquet", "d.csv"), columns=("b", "a"))
    assert _dask(spec, [2.0], cluster, part_bytes=12_345) == _local(spec, [2.0])


def test_nan_omit_counts_what_it_left_out(cluster, tmp_path):
    (tmp_path / "m.csv").write_text("a,b\n" + "1,2\n" * 500 + "x,3\n" + "4,nan\n" * 3)
    spec = inputs.InputSpec(file=str(tmp_path / "m.csv"), nan="omit")
    names, accs, omitted = distributed.reduce(spec, [1.0], cluster, part_bytes=700)
    assert names == ["a", "b"] and omitted == {"a": 1, "b": 3}
    assert [a.evaluate(1.0).value for a in accs] == [512.0, 1003.0]


def test_an_error_names_the_same_file_line_and_column_as_the_local_engine(cluster, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("a,b\n" + "1,2\n" * 3000 + "1,oops\n" + "1,2\n" * 10)
    spec = inputs.InputSpec(file=str(path))
    with pytest.raises(InputError) as local:
        _local(spec, [2.0])
    with pytest.raises(InputError) as remote:
        _dask(spec, [2.0], cluster, part_bytes=1000)
    assert str(remote.value) == str(local.value) == "line 3002, column 'b': 'oops' is not a number"
    table = pa.table({"a": pa.array([1.0] * 5000 + [None] + [1.0] * 5)})
    pq.write_table(table, tmp_path / "n.parquet", row_group_size=1000)
    pspec = inputs.InputSpec(file=str(tmp_path / "n.parquet"))
    with pytest.raises(InputError) as plocal:
        _local(pspec, [2.0])
    with pytest.raises(InputError) as premote:
        _dask(pspec, [2.0], cluster)
    assert str(premote.value) == str(plocal.value) and "row 5001, column 'a': a missing value (null)" in str(
        plocal.value)


def test_the_workers_read_urls_themselves(cluster, data, http_folder):
    import shutil

    folder, base, log = http_folder
    for name in ("d.csv", "d.parquet"):
        shutil.copy(name, folder / name)
    (folder / "bad.csv").write_text("a,b\n" + "1,2\n" * 3000 + "1,oops\n" + "1,2\n" * 10)
    log.clear()
    for name in ("d.csv", "d.parquet"):
        url = f"{base}/{name}"
        plan = distributed.plan(inputs.InputSpec(file=url), 40_000)
        assert len(plan.parts) >= 7 and all(p.path == url for p in plan.parts)
        assert _dask(inputs.InputSpec(file=url), ORDERS, cluster) == _local(inputs.InputSpec(file=name), ORDERS)
    ranges = [b for method, path, b in log if path == "/d.csv" and method == "GET" and 40_000 <= b < 50_000]
    assert len(ranges) >= len(distributed.plan(inputs.InputSpec(file="d.csv"), 40_000).parts) - 1  # its own range
    spec = inputs.InputSpec(file=f"{base}/bad.csv")
    with pytest.raises(InputError) as remote:
        _dask(spec, [2.0], cluster, part_bytes=1000)
    assert str(remote.value) == "line 3002, column 'b': 'oops' is not a number"


def test_files_whose_columns_differ_and_stdin_are_refused(cluster, data, tmp_path):
    (tmp_path / "o.csv").write_text("a,z\n1,2\n")
    with pytest.raises(InputError, match=r"^'o.csv' has the columns 'a', 'z' but 'd.csv' has 'a', 'b', 'c'"):
        distributed.plan(inputs.InputSpec(file=("d.csv", "o.csv")))
    with pytest.raises(Exception, match="stdin cannot be sent"):
        distributed.plan(inputs.InputSpec())


def test_a_worker_killed_mid_run_does_not_change_the_answer(cluster, tmp_path):
    rng = np.random.default_rng(5)
    np.savetxt(tmp_path / "big.csv", rng.standard_normal((600_000, 2)), delimiter=",", fmt="%.17g")
    spec = inputs.InputSpec(file=str(tmp_path / "big.csv"))
    want = _local(spec, [2.0, 1.0])
    pids = cluster.client.run(os.getpid)
    got: list = []
    worker = threading.Thread(target=lambda: got.append(_dask(spec, [2.0, 1.0], cluster, part_bytes=200_000)))
    worker.start()
    deadline = time.monotonic() + 60
    while not _busy(cluster) and time.monotonic() < deadline:  # kill it while partitions are being reduced
        time.sleep(0.02)
    assert worker.is_alive(), "the reduction ended before a worker could be killed"
    os.kill(next(iter(pids.values())), signal.SIGKILL)  # its nanny starts another; its tasks run again
    worker.join(120)
    assert not worker.is_alive() and got == [want]


def _busy(cluster) -> bool:
    """Whether partitions are being reduced (some tasks done, some not)."""
    counts = cluster.client.run_on_scheduler(
        lambda dask_scheduler: [t.state for t in dask_scheduler.tasks.values() if "normcli-part" in str(t.key)])
    return "memory" in counts and any(state != "memory" for state in counts)


def test_the_command_line_gives_the_local_answer(run, cluster, data):
    address = cluster.client.scheduler.address
    for args in (["--p", "1", "--p", "2", "--p", "inf", "-f", "d.csv"], ["--mean", "-f", "d.parquet", "-c", "b"]):
        local = run(["norm", *args, "-o", "csv"])
        remote = run(["norm", *args, "-o", "csv", "--engine", "dask", "--scheduler", address])
        assert remote.exit_code == 0, remote.stderr
        assert remote.stdout == local.stdout
    for args in (["--matrix", "fro", "-f", "d.csv"], ["--matrix", "fro", "-f", "d.parquet", "-c", "a", "-c", "b"]):
        local = run(["norm", *args, "-o", "json"])
        remote = run(["norm", *args, "-o", "json", "--engine", "dask", "--scheduler", address])
        assert remote.exit_code == 0, remote.stderr
        assert json.loads(remote.stdout)["rows"][0]["matrix"] == "20000x" + str(
            3 if "d.csv" in args else 2)
        assert ulps(json.loads(remote.stdout)["rows"][0]["fro"], json.loads(local.stdout)["rows"][0]["fro"]) <= 1
    refused = run(["norm", "--matrix", "nuc", "-f", "d.csv", "--engine", "dask", "--scheduler", address])
    assert refused.exit_code == 2 and "--engine dask reduces columns" in refused.stderr
    lonely = run(["norm", "-f", "d.csv", "--scheduler", address])
    assert lonely.exit_code == 2 and "give --engine dask too" in lonely.stderr


def test_spec_for_workers_drops_what_cannot_travel():
    from normcli.engines import Engine

    spec = inputs.InputSpec(file="x.csv", progress=object(), note=print)
    assert distributed.spec_for_workers(spec) == replace(spec, progress=None, note=None, engine=Engine("numpy", 1))


def test_frobenius_under_nan_omit_drops_rows_whole_as_the_local_engine(run, cluster, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "m.csv").write_text("a,b\n3,4\nnan,100\n1,2\n" * 50)
    address = cluster.client.scheduler.address
    local = run(["norm", "--matrix", "fro", "--nan", "omit", "-f", "m.csv", "-o", "csv"])
    remote = run(["norm", "--matrix", "fro", "--nan", "omit", "-f", "m.csv", "-o", "csv", "--engine", "dask",
                  "--scheduler", address])
    assert remote.exit_code == local.exit_code == 0, remote.stderr
    assert remote.stdout == local.stdout and "100x2" in local.stdout


@pytest.fixture
def models(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    rng = np.random.default_rng(4)
    n = 24_000
    y = rng.standard_normal(n) * 3 + 10
    table = np.column_stack([y + rng.standard_normal(n), y + rng.standard_normal(n) * 1.03 + 0.02,
                             y + rng.standard_t(4, n) * 0.8, y])
    np.savetxt("m.csv", table, delimiter=",", header="a,b,c,y", comments="", fmt="%.17g")
    pq.write_table(pa.table(dict(zip("abcy", table.T))), "m.parquet", row_group_size=5000)
    return table


@pytest.mark.parametrize("sort_by,truth", [("MAE", "y"), ("median|e|", "y"), ("RMSE", None), ("R^2", "y")])
def test_compare_models_in_partitions_decides_as_the_local_engine(cluster, models, sort_by, truth):
    from normcli.core import compare

    columns = () if truth else ("a", "b", "c")
    for name in ("m.csv", "m.parquet"):
        spec = inputs.InputSpec(file=name, columns=columns)
        assert len(distributed.plan(spec, 200_000).parts) >= 5
        remote, omitted, _ = distributed.compare(spec, cluster, truth, shown=None, sort_by=sort_by, baseline=None,
                                              loss=None, confidence=0.95, replicates=None, seed=0, horizon=1,
                                              part_bytes=200_000)
        e = models[:, :3] - models[:, 3:] if truth else models[:, :3]
        local = compare.compare(["a", "b", "c"], e, models[:, 3] if truth else None, sort_by=sort_by)
        assert omitted == 0 and remote.ranks == local.ranks and remote.reference == local.reference
        for m in local.values["a"]:
            for model in "abc":
                assert remote.values[model][m] == pytest.approx(local.values[model][m], rel=1e-13), (m, model)
        for lp, rp in zip(local.pairs, remote.pairs):
            assert (rp.model, rp.verdict) == (lp.model, lp.verdict)
            assert rp.dm.p == pytest.approx(lp.dm.p, rel=1e-8) and rp.wilcoxon.p == pytest.approx(lp.wilcoxon.p,
                                                                                                   rel=1e-10)
            assert rp.wilcoxon.statistic == lp.wilcoxon.statistic
            if lp.interval.method.startswith("resampled"):  # heavy tails: both resample, each its own way
                assert "Poisson bootstrap" in rp.interval.method and "B = 1666" in rp.interval.method
                width = lp.interval.high - lp.interval.low
                assert abs(rp.interval.low - lp.interval.low) < 0.1 * width
                assert abs(rp.interval.high - lp.interval.high) < 0.1 * width
            else:
                assert rp.interval.method == lp.interval.method
                assert rp.interval.low == pytest.approx(lp.interval.low, rel=1e-8)


def test_compare_models_and_dist_on_the_command_line(run, cluster, models, tmp_path):
    address = cluster.client.scheduler.address
    np.savetxt("small.csv", models[:300], delimiter=",", header="a,b,c,y", comments="", fmt="%.17g")
    for args in (["-f", "m.csv", "--truth", "y"], ["-f", "small.csv", "--truth", "y", "--sort-by", "rmse"],
                 ["-f", "m.parquet", "-c", "a", "-c", "b"]):
        local = run(["compare-models", *args, "-o", "csv"])
        remote = run(["compare-models", *args, "-o", "csv", "--engine", "dask", "--scheduler", address])
        assert remote.exit_code == 0, remote.stderr
        assert [r.split(",")[:2] + r.split(",")[-1:] for r in remote.stdout.splitlines()] == \
            [r.split(",")[:2] + r.split(",")[-1:] for r in local.stdout.splitlines()]
    for args in (["-f", "m.csv", "-c", "a", "-c", "y", "--p", "1", "--p", "2", "--p", "inf", "--p", "-1"],
                 ["-f", "m.parquet", "-c", "b", "-c", "c"]):
        local = run(["dist", *args, "-o", "csv"])
        remote = run(["dist", *args, "-o", "csv", "--engine", "dask", "--scheduler", address])
        assert remote.exit_code == 0, remote.stderr
        for lv, rv in zip(local.stdout.split("\n")[1].split(",")[1:], remote.stdout.split("\n")[1].split(",")[1:]):
            assert ulps(float(rv), float(lv)) <= 1
    refused = run(["dist", "-f", "m.csv", "--engine", "dask", "--scheduler", address])
    assert refused.exit_code == 2 and "dist needs two columns" in refused.stderr
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b\n" + "1,2\n" * 20_000 + "1,x\n")
    local = run(["compare-models", "-f", str(bad), "-o", "csv"])
    remote = run(["compare-models", "-f", str(bad), "-o", "csv", "--engine", "dask", "--scheduler", address])
    assert remote.exit_code == local.exit_code == 1 and remote.stderr == local.stderr


@pytest.mark.parametrize("nan", ["error", "omit", "propagate"])
def test_rows_come_back_in_input_order_as_the_local_engine(cluster, data, tmp_path, nan):
    x = data.copy()
    if nan != "error":
        x[::13, 1] = np.nan
    np.savetxt("r.csv", x, delimiter=",", header="a,b,c", comments="", fmt="%.17g")
    pq.write_table(pa.table({"a": x[:, 0], "b": x[:, 1], "c": x[:, 2]}), "r.parquet", row_group_size=3000)
    orders = [1.0, 2.0, 0.0, float("inf")]
    for name in ("r.csv", ("r.parquet", "r.csv")):
        spec = inputs.InputSpec(file=name, nan=nan)
        local = norms.rows_table(inputs.read_rows(spec), orders)
        remote = distributed.rows(spec, orders, "norm", cluster, part_bytes=50_000)
        lb, rb = list(local.batches), list(remote.batches)
        assert len(rb) >= 7
        assert np.array_equal(np.concatenate([b.columns[0] for b in lb]), np.concatenate([b.columns[0] for b in rb]),
                              equal_nan=True)
        firsts = [b.first for b in rb]
        assert firsts[0] == 1 and firsts == sorted(firsts)
        for j in range(len(orders)):
            lv = np.concatenate([np.asarray(b.columns[j], dtype=float) for b in lb])
            rv = np.concatenate([np.asarray(b.columns[j], dtype=float) for b in rb])
            assert np.array_equal(lv, rv, equal_nan=True)


def test_regstep_steps_on_rows_held_by_the_workers(run, cluster, tmp_path, monkeypatch):
    from normcli.core import regularize as reg

    monkeypatch.chdir(tmp_path)
    rng = np.random.default_rng(6)
    X = rng.standard_normal((6000, 3))
    y = X @ np.array([1.0, -2.0, 0.5]) + 0.3 + 0.1 * rng.standard_normal(6000)
    table = np.column_stack([X, y])
    table[::101, 1] = np.nan
    np.savetxt("lin.csv", table, delimiter=",", header="x1,x2,x3,y", comments="", fmt="%.17g")
    spec = inputs.InputSpec(file="lin.csv", nan="omit")
    rows = distributed.LinearData(spec, "y", cluster, part_bytes=30_000)
    assert len(rows.parts) >= 8 and rows.omitted == 60 and rows.rows == 6000 - 60
    keep = np.isfinite(table).all(axis=1)
    penalty = reg.Penalty(l2=0.01, l1=0.001)
    local = reg.iterate(np.zeros(3), 0.5, penalty, 40, data=(X[keep], y[keep]), intercept=True)
    remote = reg.iterate(np.zeros(3), 0.5, penalty, 40, intercept=True, oracle=rows)
    assert np.allclose(remote.w, local.w, rtol=1e-12, atol=0) and remote.b == pytest.approx(local.b, rel=1e-12)
    assert [r.objective for r in remote.records] == pytest.approx([r.objective for r in local.records], rel=1e-12)
    address = cluster.client.scheduler.address
    args = ["regstep", "--data", "lin.csv", "--target", "y", "--nan", "omit", "--lr", "0.5", "--steps", "5",
            "-o", "json"]
    lo, re_ = run(args), run([*args, "--engine", "dask", "--scheduler", address])
    assert re_.exit_code == lo.exit_code == 0, re_.stderr
    assert json.loads(re_.stdout)["notes"] == json.loads(lo.stdout)["notes"]
    lo = run([*args, "--l2", "0.05", "--solve"])
    re_ = run([*args, "--l2", "0.05", "--solve", "--engine", "dask", "--scheduler", address])
    assert re_.exit_code == lo.exit_code == 0, re_.stderr
    lj, rj = json.loads(lo.stdout), json.loads(re_.stdout)
    assert [n[:60] for n in rj["notes"]] == [n[:60] for n in lj["notes"]] and any("ridge w*" in n for n in rj["notes"])
    assert _floats_in(rj) == pytest.approx(_floats_in(lj), rel=1e-11, abs=1e-14)
    refused = run([*args, "--plot", "--engine", "dask", "--scheduler", address])
    assert refused.exit_code == 2 and "--plot" in refused.stderr


def _floats_in(tree) -> list[float]:
    """Every number in a JSON answer, in order."""
    if isinstance(tree, dict):
        return [v for k in tree for v in _floats_in(tree[k])]
    if isinstance(tree, list):
        return [v for item in tree for v in _floats_in(item)]
    return [float(tree)] if isinstance(tree, (int, float)) and not isinstance(tree, bool) else []


@pytest.mark.parametrize("intercept", [False, True])
def test_solve_on_the_workers_takes_the_tree_qr_when_the_gram_matrix_is_ill_conditioned(cluster, tmp_path,
                                                                                        intercept):
    from normcli.core import regularize as reg

    rng = np.random.default_rng(9)
    X = rng.standard_normal((5000, 3))
    X[:, 2] = X[:, 0] + 1e-5 * rng.standard_normal(5000)  # cond(X^T X) about 1e11: past the normal equations
    y = X @ np.array([1.0, -2.0, 0.5]) + 4.0 + 0.01 * rng.standard_normal(5000)
    np.savetxt(tmp_path / "ill.csv", np.column_stack([X, y]), delimiter=",", header="x1,x2,x3,y", comments="",
               fmt="%.17g")
    rows = distributed.LinearData(inputs.InputSpec(file=str(tmp_path / "ill.csv")), "y", cluster, part_bytes=40_000)
    assert len(rows.parts) >= 8
    G = X.T @ X
    assert np.linalg.cond(G) > reg._GRAM_COND_LIMIT
    for penalty in (reg.Penalty(l2=0.0), reg.Penalty(l2=1e-9)):
        w_local, b_local = reg.ridge_solve(X, y, penalty, intercept)
        w_remote, b_remote = rows.solve(penalty, intercept)
        # both backward stable: they agree to about cond(X) eps = 1e-11 (relative to ||w||)
        assert np.linalg.norm(w_remote - w_local) <= 1e-9 * np.linalg.norm(w_local)
        assert (b_remote is None) == (not intercept)
        if intercept:
            assert b_remote == pytest.approx(b_local, rel=1e-9)
    Xs = np.column_stack([X[:, :2], X[:, 0]])  # a repeated column and no L2: no unique minimizer
    np.savetxt(tmp_path / "sing.csv", np.column_stack([Xs, y]), delimiter=",", header="x1,x2,x3,y", comments="",
               fmt="%.17g")
    singular = distributed.LinearData(inputs.InputSpec(file=str(tmp_path / "sing.csv")), "y", cluster,
                                      part_bytes=40_000)
    from normcli.core.errors import CoreError

    with pytest.raises(CoreError) as local:
        reg.ridge_solve(Xs, y, reg.Penalty(l2=0.0), intercept)
    with pytest.raises(CoreError) as remote:
        singular.solve(reg.Penalty(l2=0.0), intercept)
    assert str(remote.value) == str(local.value) and "rank 2 < 3" in str(remote.value)


def test_compare_models_with_a_horizon_spans_partitions(cluster, models):
    from normcli.core import compare

    spec = inputs.InputSpec(file="m.parquet", columns=("a", "b", "c"))
    for h in (2, 5):
        remote, _, _ = distributed.compare(spec, cluster, None, shown=None, sort_by="MSE", baseline=None, loss=None,
                                        confidence=0.95, replicates=None, seed=0, horizon=h, part_bytes=200_000)
        local = compare.compare(["a", "b", "c"], models[:, :3], sort_by="MSE", horizon=h)
        assert remote.horizon == h and remote.reference == local.reference
        for lp, rp in zip(local.pairs, remote.pairs):
            assert rp.verdict == lp.verdict and rp.dm.p == pytest.approx(lp.dm.p, rel=1e-8)
            assert rp.interval.method == lp.interval.method
            assert rp.interval.high == pytest.approx(lp.interval.high, rel=1e-8)


def _close(rp, lp, share):
    width = lp.interval.high - lp.interval.low
    assert abs(rp.interval.low - lp.interval.low) < share * width, (rp.interval, lp.interval)
    assert abs(rp.interval.high - lp.interval.high) < share * width, (rp.interval, lp.interval)


def test_compare_models_bootstrap_b_is_a_poisson_bootstrap_on_the_workers(cluster, models):
    from normcli.core import compare

    spec = inputs.InputSpec(file="m.parquet", columns=("a", "b", "c", "y"))
    args = dict(shown=None, sort_by="MAE", baseline=None, loss=None, confidence=0.9, replicates=999, horizon=1,
                part_bytes=200_000)
    remote, _, _ = distributed.compare(spec, cluster, "y", seed=3, **args)
    again, _, _ = distributed.compare(spec, cluster, "y", seed=3, **args)
    local = compare.compare(["a", "b", "c"], models[:, :3] - models[:, 3:], models[:, 3], sort_by="MAE",
                            confidence=0.9, replicates=999, seed=3)
    assert remote.ranks == local.ranks and len(remote.pairs) == len(local.pairs) == 2
    for lp, rp, ap in zip(local.pairs, remote.pairs, again.pairs):
        assert lp.interval.method == "paired bootstrap, percentile, B = 999"
        assert rp.interval.method == ("Poisson bootstrap (each row weighted Poisson(1), on the workers), "
                                      "percentile, B = 999")
        assert (rp.interval.low, rp.interval.high) == (ap.interval.low, ap.interval.high)  # the seed decides
        assert rp.verdict == lp.verdict
        _close(rp, lp, 0.1)
    few, _, _ = distributed.compare(spec, cluster, "y", seed=3, **{**args, "replicates": 19})
    assert few.pairs[0].interval.low is None and "B >= 20 needed" in few.pairs[0].interval.method
    enough, _, _ = distributed.compare(spec, cluster, "y", seed=3, **{**args, "replicates": 20})
    assert enough.pairs[0].interval.low is not None


def test_a_horizon_whose_long_run_variance_is_not_positive_is_block_resampled(cluster, tmp_path):
    from normcli.core import compare

    rng = np.random.default_rng(8)
    n = 30_000
    a = 2 + rng.standard_normal(n) * 0.1  # errors > 0: the absolute loss difference alternates in sign
    b = a + np.where(np.arange(n) % 2 == 0, 1.0, -1.0) * 0.7 + rng.standard_normal(n) * 0.05 + 0.003
    pq.write_table(pa.table({"a": a, "b": b}), tmp_path / "alt.parquet", row_group_size=6000)
    spec = inputs.InputSpec(file=str(tmp_path / "alt.parquet"))
    remote, _, _ = distributed.compare(spec, cluster, None, shown=None, sort_by="MAE", baseline=None, loss="absolute",
                                    confidence=0.95, replicates=None, seed=0, horizon=2)
    local = compare.compare(["a", "b"], np.column_stack([a, b]), sort_by="MAE", loss="absolute", horizon=2)
    (lp,), (rp,) = local.pairs, remote.pairs
    assert "moving-block bootstrap (blocks of 2)" in lp.interval.method
    assert rp.interval.method.startswith("resampled because") and "Poisson block bootstrap" in rp.interval.method
    assert "each run of 2 consecutive rows" in rp.interval.method
    assert rp.dm.p is None and lp.dm.p is None and rp.verdict == lp.verdict
    _close(rp, lp, 0.25)


def test_index_like_columns_are_left_out_as_by_the_local_engine(run, cluster, models, tmp_path):
    n = models.shape[0]
    table = np.column_stack([np.arange(n), 5000 + 3 * np.arange(n), models])
    header = "step,id,a,b,c,y"
    np.savetxt("ix.csv", table, delimiter=",", header=header, comments="", fmt="%.17g")
    pq.write_table(pa.table(dict(zip(header.split(","), table.T))), "ix.parquet", row_group_size=4000)
    for name in ("ix.csv", "ix.parquet"):
        spec = inputs.InputSpec(file=name)
        remote, _, guess = distributed.compare(spec, cluster, "y", shown=None, sort_by="MAE", baseline=None,
                                               loss=None, confidence=0.95, replicates=None, seed=0, horizon=1,
                                               part_bytes=100_000)
        assert remote.names == ["a", "b", "c"]
        assert guess == ("took 'a', 'b', 'c' as the models (choose with -c); left out 'step': its values are "
                         f"0..{n - 1}, a row number; left out 'id': named 'id' with increasing integers, an identifier")
        local = run(["compare-models", "-f", name, "--truth", "y", "-o", "csv"])
        dask = run(["compare-models", "-f", name, "--truth", "y", "-o", "csv", "--engine", "dask", "--scheduler",
                    cluster.client.scheduler.address])
        assert dask.exit_code == local.exit_code == 0, dask.stderr
        assert dask.stderr == local.stderr and "left out 'step'" in dask.stderr
        assert [r.split(",")[:2] for r in dask.stdout.splitlines()] == [r.split(",")[:2] for r in
                                                                         local.stdout.splitlines()]
    shuffled = table.copy()
    shuffled[100, 0] = 7  # no longer a row number anywhere: a model
    np.savetxt("ix2.csv", shuffled, delimiter=",", header=header, comments="", fmt="%.17g")
    remote, _, guess = distributed.compare(inputs.InputSpec(file="ix2.csv"), cluster, "y", shown=None, sort_by="MAE",
                                           baseline=None, loss=None, confidence=0.95, replicates=None, seed=0,
                                           horizon=1, part_bytes=100_000)
    assert remote.names == ["step", "a", "b", "c"] and "left out 'id'" in guess
