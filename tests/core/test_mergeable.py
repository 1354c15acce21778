"""The mergeable reductions of compare-models and dist: any partitioning gives the one-pass answer."""

from __future__ import annotations

import math

import numpy as np
import pytest

from normcli.core import compare, mergeable
from normcli.core.distributions import signed_rank_test


def _reduced(reducer, x, cuts):
    state = reducer.start()
    for part in np.array_split(x, cuts):
        state = reducer.merge(state, reducer.add(reducer.start(), part))
    return state


@pytest.mark.parametrize("cuts", [1, 2, 7, 64])
def test_moments_merged_are_the_central_moments(cuts):
    rng = np.random.default_rng(3)
    x = rng.standard_gamma(0.5, 5001) + 1e3  # skewed, far from 0: the merge's cross terms matter
    m = mergeable.Moments()
    for part in np.array_split(x, cuts):
        m = m.merge(mergeable.Moments.of(part))
    c = x - x.mean()
    assert m.n == x.size and m.mean == pytest.approx(x.mean(), rel=1e-15)
    for got, k in ((m.m2, 2), (m.m3, 3), (m.m4, 4)):
        assert got == pytest.approx(float(np.sum(c ** k)), rel=1e-9)


@pytest.mark.parametrize("n", [1, 2, 3, 10, 1001, 1002])
def test_the_median_is_selected_exactly_from_two_counts(n):
    rng = np.random.default_rng(n)
    e = np.column_stack([rng.standard_normal(n), rng.integers(-3, 4, n).astype(float),
                         rng.standard_normal(n) * 1e-300])
    first = _reduced(mergeable.ErrorPass(3, None, True), e, min(n, 5))
    ranks = mergeable.median_wanted(n)
    located = [mergeable.median_bins(b, ranks) for b in first.median_bins]
    fine = _reduced(mergeable.MedianPass(None, tuple(c for c, _ in located)), e, min(n, 3))
    for j in range(3):
        got = mergeable.median_value(fine[j], ranks, *located[j])
        assert got == compare.metrics(e[:, j], names=["median|e|"])["median|e|"]


def test_signed_ranks_from_the_exact_histogram_are_the_local_test():
    rng = np.random.default_rng(5)
    d = np.round(rng.standard_normal(4000), 2)  # many ties
    d = d[d != 0]
    state = _reduced(mergeable.DifferencePass(None, "absolute", 0, (1,), (1.0,)),
                     np.column_stack([np.zeros_like(d), d]), 9)
    # the pass's losses are |e|: rebuild the signed differences it saw
    w_plus, w_minus, ties, off = mergeable.signed_ranks(state.positive[0], state.negative[0])
    dd = np.abs(d)  # loss of model 1 minus loss of model 0 (zero errors): every difference is positive
    statistic, p, method = signed_rank_test(dd)
    assert (min(w_plus, w_minus), off) == (statistic, 0.0)
    mixed = np.column_stack([np.abs(d) + (d < 0) * 0.0, np.abs(d) * (d > 0) * 2])
    state = _reduced(mergeable.DifferencePass(None, "absolute", 0, (1,), (1.0,)), mixed, 4)
    diff = np.abs(mixed[:, 1]) - np.abs(mixed[:, 0])
    diff = diff[diff != 0]
    w_plus, w_minus, ties, off = mergeable.signed_ranks(state.positive[0], state.negative[0])
    statistic, p, method = signed_rank_test(diff)
    assert min(w_plus, w_minus) == statistic and off == 0


def test_coarse_ranks_bound_their_error():
    rng = np.random.default_rng(8)
    d = rng.standard_normal(3000) * (1 + 1e-9 * rng.standard_normal(3000))
    exact = _reduced(mergeable.DifferencePass(None, "absolute", 0, (1,), (1.0,)),
                     np.column_stack([np.zeros_like(d), d]), 3)
    coarse = _reduced(mergeable.DifferencePass(None, "absolute", 0, (1,), (1.0,), shift=mergeable.COARSE_SHIFT),
                      np.column_stack([np.zeros_like(d), d]), 3)
    w_exact = mergeable.signed_ranks(exact.positive[0], exact.negative[0])[0]
    w_coarse, _, _, off = mergeable.signed_ranks(coarse.positive[0], coarse.negative[0], exact=False)
    assert abs(w_coarse - w_exact) <= off


def test_paired_tests_match_the_local_comparison():
    rng = np.random.default_rng(2)
    n = 20_000
    e = np.column_stack([rng.standard_normal(n), rng.standard_normal(n) * 1.02 + 0.01])
    local = compare.compare(["a", "b"], e, sort_by="MAE")
    first = _reduced(mergeable.ErrorPass(2), e, 6)
    sc = mergeable.difference_scale(first, "absolute", 1, 0)
    state = _reduced(mergeable.DifferencePass(None, "absolute", 0, (1,), (sc,)), e, 6)
    mean, dm, wx, interval = mergeable.paired_tests(state, 0, n, sc, 0, 0.05)
    pair = local.pairs[0]
    assert mean == pytest.approx(pair.mean_diff, rel=1e-12)
    assert dm.statistic == pytest.approx(pair.dm.statistic, rel=1e-9) and dm.p == pytest.approx(pair.dm.p, rel=1e-8)
    assert wx.statistic == pair.wilcoxon.statistic and wx.p == pytest.approx(pair.wilcoxon.p, rel=1e-12)
    assert interval.low == pytest.approx(pair.interval.low, rel=1e-9)
    assert interval.high == pytest.approx(pair.interval.high, rel=1e-9)
    values = mergeable.metric_values(first, ["L1", "L2", "MAE", "MSE", "RMSE", "max|e|", "bias"])
    for j, name in enumerate("ab"):
        for metric, v in values[j].items():
            assert v == pytest.approx(local.values[name][metric], rel=2e-16, abs=0), metric


def test_distance_pass_counts_overflowed_differences():
    x = np.array([[1.5e308, -1.5e308], [1.0, 4.0]])
    acc, over = _reduced(mergeable.DistancePass((2.0,)), x, 2)
    assert over == 1 and math.isinf(acc.evaluate(2.0).value)


@pytest.mark.parametrize("cuts", [1, 3, 50, 400])
def test_lag_sums_merged_are_the_autocovariances(cuts):
    rng = np.random.default_rng(9)
    e = np.convolve(rng.standard_normal(1203), [1.0, 0.6, 0.3], mode="same") + 0.01
    h = 4
    lag = mergeable.LagSums.empty(h)
    for part in np.array_split(e, cuts):  # 400 parts: some shorter than h - 1
        lag = lag.merge(mergeable.LagSums.of(part, h))
    c = e - e.mean()
    for k in range(1, h):
        assert lag.autocovariance(k) == pytest.approx(float(np.dot(c[k:], c[:-k])) / e.size, rel=1e-10)


def test_horizon_tests_match_the_local_comparison():
    rng = np.random.default_rng(10)
    n = 20_000
    noise = np.convolve(rng.standard_normal(n + 2), [1.0, 0.7, 0.4], mode="valid")
    e = np.column_stack([rng.standard_normal(n), rng.standard_normal(n) * 1.01 + 0.02 * noise])
    for h in (2, 3):
        local = compare.compare(["a", "b"], e, sort_by="MSE", horizon=h)
        first = _reduced(mergeable.ErrorPass(2), e, 7)
        sc = mergeable.difference_scale(first, "squared", 1, 0)
        centre = mergeable.difference_centre(first, "squared", 1, 0, sc)
        state = _reduced(mergeable.DifferencePass(None, "squared", 0, (1,), (sc,), 0, h, (centre,)), e, 7)
        mean, dm, wx, interval = mergeable.paired_tests(state, 0, n, sc, 0, 0.05, h)
        pair = local.pairs[0]
        assert dm.statistic == pytest.approx(pair.dm.statistic, rel=1e-9) and dm.p == pytest.approx(pair.dm.p,
                                                                                                     rel=1e-8)
        assert interval.method == pair.interval.method
        assert (interval.low, interval.high) == pytest.approx((pair.interval.low, pair.interval.high), rel=1e-9)


@pytest.mark.parametrize("col", [np.arange(50.0), np.arange(1.0, 51.0), 7 + 2 * np.arange(50.0),
                                 np.r_[np.arange(20.0), 19.0, np.arange(21.0, 50.0)],
                                 np.r_[np.arange(20.0), np.nan, np.arange(21.0, 50.0)],
                                 np.random.default_rng(2).standard_normal(50) + 4])
def test_column_facts_merged_from_any_cut_are_the_whole_column_s(col):
    from normcli.core.mergeable import ColumnFacts

    whole = ColumnFacts.of(col)
    rng = np.random.default_rng(3)
    for _ in range(20):
        cuts = np.sort(rng.choice(np.arange(1, col.size), size=rng.integers(1, 8), replace=False))
        merged = ColumnFacts()
        for piece in np.split(col, cuts):
            merged = merged.merge(ColumnFacts.of(piece))
        assert (merged.n, merged.integral, merged.unit_steps, merged.rising) == \
            (whole.n, whole.integral, whole.unit_steps, whole.rising)
        assert (merged.first, merged.last) == (whole.first, whole.last)
        assert merged.finite.mean == pytest.approx(whole.finite.mean, rel=1e-14)
        assert merged.finite.m2 == pytest.approx(whole.finite.m2, rel=1e-12)
    assert whole.unit_steps == bool((np.diff(col) == 1).all()) and whole.rising == bool((np.diff(col) > 0).all())


@pytest.mark.parametrize("sizes", [(0, 0), (0, 5), (7, 0), (1, 1), (300, 200), (5000, 5000)])
def test_histograms_merge_as_numpy_s_unique_counts_them(sizes):
    rng = np.random.default_rng(sum(sizes))
    xa = rng.integers(0, 400, sizes[0]).astype(np.uint64)
    xb = rng.integers(200, 600, sizes[1]).astype(np.uint64)
    a, b = mergeable._counted(xa), mergeable._counted(xb)
    for (keys, counts), x in ((a, xa), (b, xb)):
        ref = np.unique(x, return_counts=True)
        assert np.array_equal(keys, ref[0]) and np.array_equal(counts, ref[1]) and counts.dtype == np.int64
    keys, counts = mergeable._merge_counts(a, b)
    ref = np.unique(np.concatenate([xa, xb]), return_counts=True)
    assert np.array_equal(keys, ref[0]) and np.array_equal(counts, ref[1])
    assert np.array_equal(mergeable._union(a[0], b[0]), np.union1d(a[0], b[0]))
