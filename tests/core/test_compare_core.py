"""core.compare: metrics as scikit-learn defines them, and the paired tests against scipy and by hand."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from scipy import stats

from normcli.core import compare as C

A = np.array([-5.0, 8, -3, -12, 4, 4, 6])
B = np.array([10.0, -7, 12, -18, -6, -8, 13])


# ---------------------------------------------------------------- metrics
def test_metrics_of_the_song_example_by_hand():
    m = C.metrics(A)
    assert m["L1"] == 42.0
    assert m["L2"] == math.sqrt(310)
    assert m["MAE"] == 6.0
    assert m["MSE"] == 310 / 7
    assert m["RMSE"] == math.sqrt(310 / 7)
    assert m["max|e|"] == 12.0
    assert m["median|e|"] == 5.0  # |e| sorted: 3 4 4 5 6 8 12
    assert m["bias"] == 2 / 7
    assert "R^2" not in m and "MAPE" not in m


def test_truth_metrics_follow_scikit_learn_definitions():
    y = np.array([3.0, -0.5, 2.0, 7.0])
    pred = np.array([2.5, 0.0, 2.0, 8.0])
    m = C.metrics(pred - y, y)
    # sklearn's documented examples: r2_score(y, pred) = 0.9486081370449679,
    # mean_absolute_percentage_error(y, pred) = 0.3273809523809524 (a fraction)
    assert m["R^2"] == pytest.approx(0.9486081370449679, rel=1e-15)
    assert m["MAPE"] == pytest.approx(0.3273809523809524, rel=1e-15)
    # MAPE divides by max(eps, |y|): a zero truth gives a huge but finite term
    assert C.metrics(np.array([1.0]), np.array([0.0]), ["MAPE"])["MAPE"] == 1 / np.finfo(float).eps


def test_r2_of_a_constant_truth_is_nan_or_minus_inf_as_force_finite_false():
    y = np.array([2.0, 2.0, 2.0])
    assert math.isnan(C.metrics(np.zeros(3), y, ["R^2"])["R^2"])
    assert C.metrics(np.array([1.0, 0, 0]), y, ["R^2"])["R^2"] == -math.inf


def test_metrics_do_not_overflow_or_lose_tiny_errors():
    m = C.metrics(np.array([1e200, -1e200]))
    assert m["L2"] == pytest.approx(math.sqrt(2) * 1e200, rel=1e-15)
    assert m["RMSE"] == 1e200 and m["bias"] == 0.0
    assert C.metrics(np.array([3e-320, 4e-320]))["RMSE"] > 0


def test_truth_metrics_need_the_truth():
    with pytest.raises(ValueError, match="--truth"):
        C.metrics(A, None, ["R^2"])


@pytest.mark.parametrize("text,name", [("mae", "MAE"), ("RMSE", "RMSE"), ("max", "max|e|"), ("median", "median|e|"),
                                       ("r2", "R^2"), ("MAPE", "MAPE"), ("l1", "L1")])
def test_metric_names(text, name):
    assert C.metric_name(text) == name


def test_unknown_metric_names_the_choices():
    with pytest.raises(ValueError, match="unknown metric 'mad'.*RMSE"):
        C.metric_name("mad")


def test_ranks_are_competition_ranks_and_respect_direction():
    assert C.rank([2.0, 1.0, 2.0, 0.5], "MAE") == [3, 2, 3, 1]
    assert C.rank([0.1, 0.9], "R^2") == [2, 1]
    assert C.rank([-3.0, 1.0, 2.0], "bias") == [3, 1, 2]
    assert C.rank([float("nan"), 1.0], "MSE") == [None, 1]


# ---------------------------------------------------------------- tests
def test_diebold_mariano_reference_values_of_the_issue():
    r = C.diebold_mariano(A**2 - B**2)
    assert r.statistic == pytest.approx(-3.1063364634, abs=1e-10)
    assert r.p == pytest.approx(0.0209464611, abs=1e-10)


@pytest.mark.parametrize("seed", range(5))
def test_horizon_one_is_the_paired_t_test(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(3, 300))
    x, y = rng.standard_normal(n), rng.standard_normal(n) * 1.3 + 0.1
    ref = stats.ttest_rel(x, y)
    r = C.diebold_mariano(x - y)
    assert r.statistic == pytest.approx(ref.statistic, rel=1e-12)
    assert r.p == pytest.approx(ref.pvalue, rel=1e-10)


def _dm_by_hand(d, h):
    n = len(d)
    dbar = sum(d) / n
    gamma = [sum((d[t] - dbar) * (d[t - k] - dbar) for t in range(k, n)) / n for k in range(h)]
    v = (gamma[0] + 2 * sum(gamma[1:])) / n
    dm = dbar / math.sqrt(v)
    return dm * math.sqrt((n + 1 - 2 * h + h * (h - 1) / n) / n)


@pytest.mark.parametrize("h", [2, 3, 5])
def test_longer_horizons_match_the_formula_written_out(h):
    rng = np.random.default_rng(h)
    e = rng.standard_normal(200)
    d = e[1:] + 0.6 * e[:-1] + 0.2  # MA(1): autocorrelated, as multi-step forecast errors are
    r = C.diebold_mariano(d, h)
    expect = _dm_by_hand(d.tolist(), h)
    assert r.statistic == pytest.approx(expect, rel=1e-12)
    assert r.p == pytest.approx(2 * stats.t.sf(abs(expect), len(d) - 1), rel=1e-10)


def test_diebold_mariano_degenerate_cases_answer():
    assert C.diebold_mariano(np.zeros(5)).p is None
    assert "identical" in C.diebold_mariano(np.zeros(5)).why
    r = C.diebold_mariano(np.full(4, 2.0))  # a zero variance: no t statistic, not "p = 0"
    assert r.statistic is None and r.p is None and "variance is 0" in r.why
    assert C.diebold_mariano(np.array([1.0])).p is None
    assert "horizon" in C.diebold_mariano(np.array([1.0, 2.0, 3.0]), 3).why
    with pytest.raises(ValueError, match="horizon"):
        C.diebold_mariano(np.ones(3), 0)


def _exact_wilcoxon_by_enumeration(d):
    ranks = stats.rankdata(np.abs(d))
    w = min(ranks[d > 0].sum(), ranks[d < 0].sum())
    count = 0
    total = 0
    for signs in itertools.product((0, 1), repeat=len(d)):
        plus = sum(r for r, s in zip(ranks, signs) if s)
        minus = ranks.sum() - plus
        count += min(plus, minus) <= w
        total += 1
    return w, count / total


def test_wilcoxon_reference_value_of_the_issue():
    r = C.wilcoxon(A**2 - B**2)
    assert (r.statistic, r.p, r.method) == (1.0, 0.03125, "exact")


@pytest.mark.parametrize("seed", range(4))
def test_wilcoxon_exact_p_equals_enumerating_every_sign_pattern(seed):
    rng = np.random.default_rng(seed)
    d = rng.standard_normal(int(rng.integers(4, 11))) + 0.3
    w, p = _exact_wilcoxon_by_enumeration(d)
    r = C.wilcoxon(d)
    assert r.method == "exact" and r.statistic == w and r.p == pytest.approx(p, rel=1e-12)


def test_wilcoxon_with_ties_enumerates_and_large_n_is_asymptotic():
    d = np.array([1.0, 1.0, -2.0, 3.0, 3.0, 4.0, 0.0])
    r = C.wilcoxon(d)
    w, p = _exact_wilcoxon_by_enumeration(d[d != 0])
    assert r.method == "exact permutation" and r.p == pytest.approx(p, rel=1e-12)
    big = np.random.default_rng(0).standard_normal(500)
    r = C.wilcoxon(big)
    assert r.method == "normal approximation"
    assert r.p == pytest.approx(stats.wilcoxon(big, method="asymptotic").pvalue, rel=1e-12)


def test_wilcoxon_all_zero_differences_is_undefined_not_a_crash():
    r = C.wilcoxon(np.zeros(6))
    assert r.p is None and "zero" in r.why


def test_holm_by_hand():
    # p sorted 0.01, 0.03, 0.04 over m = 3: 3*0.01, max(0.03, 2*0.03), max(0.06, 1*0.04)
    assert C.holm([0.01, 0.04, 0.03]) == pytest.approx([0.03, 0.06, 0.06])
    assert C.holm([0.5, None, 0.01]) == [0.5, None, 0.02]
    assert C.holm([0.9, 0.8]) == [1.0, 1.0]  # 2 * 0.8 capped at 1; monotone, so 0.9 rises to 1
    assert C.holm([0.2, 0.01]) == [0.2, 0.02]


# ---------------------------------------------------------------- bootstrap
def test_bootstrap_is_reproducible_by_seed_and_changes_with_it():
    d = np.random.default_rng(3).standard_normal((60, 2))
    a = C.bootstrap_intervals(d, 0.9, 500, seed=7)
    b = C.bootstrap_intervals(d, 0.9, 500, seed=7)
    c = C.bootstrap_intervals(d, 0.9, 500, seed=8)
    assert [(i.low, i.high) for i in a] == [(i.low, i.high) for i in b]
    assert [(i.low, i.high) for i in a] != [(i.low, i.high) for i in c]
    assert "B = 500" in a[0].method


def test_percentile_bootstrap_agrees_with_scipy_within_monte_carlo_error():
    rng = np.random.default_rng(11)
    d = rng.exponential(size=80) - 0.8  # skewed
    ours = C.bootstrap_intervals(d, 0.95, 20000, seed=1)[0]
    ref = stats.bootstrap((d,), np.mean, confidence_level=0.95, n_resamples=20000, method="percentile",
                          random_state=np.random.default_rng(2)).confidence_interval
    se = d.std() / math.sqrt(d.size)
    assert abs(ours.low - ref.low) < 0.1 * se and abs(ours.high - ref.high) < 0.1 * se


def test_large_sample_interval_matches_resampling():
    rng = np.random.default_rng(5)
    d = rng.exponential(size=20_000) - 1.0  # skewness 2: the Cornish-Fisher term matters a little
    exact = C.bootstrap_intervals(d, 0.95)[0]
    assert "large-sample" in exact.method
    resampled = C.bootstrap_intervals(d[:, None], 0.95, 4000, seed=3)[0]
    se = d.std() / math.sqrt(d.size)
    assert abs(exact.low - resampled.low) < 0.1 * se and abs(exact.high - resampled.high) < 0.1 * se
    # the skew shows: the interval is not symmetric about the mean
    mid = d.mean()
    assert (exact.high - mid) > (mid - exact.low)


def test_small_inputs_resample_by_default():
    assert "B = 2000" in C.bootstrap_intervals(np.arange(10.0))[0].method


# ---------------------------------------------------------------- compare
def test_compare_ranks_picks_the_best_as_reference_and_signs_differences():
    c = C.compare(["B", "A"], np.c_[B, A], sort_by="MSE")
    assert c.ranks == [2, 1] and c.reference == "A" and c.loss == "squared"
    (p,) = c.pairs
    assert p.model == "B" and p.mean_diff == pytest.approx(np.mean(B**2 - A**2))
    assert p.dm.statistic == pytest.approx(3.1063364634, abs=1e-10)
    assert p.verdict == "worse" and "B is worse than A" in p.sentence
    assert p.interval.low > 0  # the interval excludes 0 too


def test_compare_with_a_baseline_and_holm_over_three_models():
    rng = np.random.default_rng(2)
    e = rng.standard_normal((400, 3)) * [1.0, 1.3, 1.0]
    c = C.compare(["a", "b", "c"], e, baseline="c", sort_by="RMSE")
    assert c.reference == "c" and [p.model for p in c.pairs] == ["a", "b"]
    raw = [p.dm.p for p in c.pairs]
    assert [p.dm_holm for p in c.pairs] == pytest.approx(C.holm(raw))
    assert c.pairs[1].verdict == "worse" and c.pairs[0].verdict == "not significant"


def test_compare_degenerate_inputs_answer():
    one = C.compare(["only"], A[:, None])
    assert one.pairs == [] and "one model" in one.notes[0]
    same = C.compare(["x", "y"], np.c_[A, A])
    assert same.pairs[0].verdict == "identical" and same.pairs[0].wilcoxon.p is None
    tiny = C.compare(["x", "y"], np.array([[1.0, 2.0]]))
    assert tiny.pairs[0].verdict == "undefined" and "at least 2" in tiny.pairs[0].sentence


def test_compare_refuses_what_it_cannot_do():
    with pytest.raises(ValueError, match="unique"):
        C.compare(["a", "a"], np.c_[A, B])
    with pytest.raises(ValueError, match="--truth"):
        C.compare(["a", "b"], np.c_[A, B], sort_by="R^2")
    with pytest.raises(ValueError, match="percentage loss"):
        C.compare(["a", "b"], np.c_[A, B], loss="percentage")
    with pytest.raises(ValueError, match="confidence"):
        C.compare(["a", "b"], np.c_[A, B], confidence=95)


def test_result_tables_carry_every_number():
    c = C.compare(["A", "B", "C"], np.c_[A, B, A * 1.5])
    r = C.comparison_result(c)
    assert [row[1] for row in r.rows] == ["A", "C", "B"]  # ranked
    assert r.columns[0] == "model" and r.plain == [0, r.columns.index("MAE"), r.columns.index("verdict")]
    assert [row[-1] for row in r.rows] == ["reference", c.pairs[1].verdict, c.pairs[0].verdict]
    assert r.hidden == ["verdict"]
    assert r.highlight == [0]
    (pairs,) = r.extra
    assert "DM p (Holm)" in pairs.columns and "Wilcoxon p (Holm)" in pairs.columns
    assert len(pairs.rows) == 2 and all(len(row) == len(pairs.columns) + 1 for row in pairs.rows)


# ---------------------------------------------------------------- scale, tails, degenerate sizes
@pytest.mark.parametrize("scale", [1e-170, 1e-80, 1.0, 1e150, 1e200])
def test_tests_and_intervals_do_not_depend_on_the_scale(scale):
    rng = np.random.default_rng(4)
    d = rng.standard_normal(30) + 0.4
    ref_dm, ref_ci = C.diebold_mariano(d), C.bootstrap_intervals(d, 0.95, 500, seed=1)[0]
    dm, ci = C.diebold_mariano(d * scale), C.bootstrap_intervals(d * scale, 0.95, 500, seed=1)[0]
    assert dm.statistic == pytest.approx(ref_dm.statistic, rel=1e-12) and dm.p == pytest.approx(ref_dm.p, rel=1e-10)
    assert ci.low == pytest.approx(ref_ci.low * scale, rel=1e-12)
    assert ci.high == pytest.approx(ref_ci.high * scale, rel=1e-12)
    big = np.random.default_rng(5).exponential(size=20_000) - 0.9
    ref = C.bootstrap_intervals(big)[0]
    got = C.bootstrap_intervals(big * scale)[0]
    assert "large-sample" in got.method
    assert (got.low == pytest.approx(ref.low * scale, rel=1e-12)
            and got.high == pytest.approx(ref.high * scale, rel=1e-12))


def test_one_dominating_difference_is_resampled_not_approximated():
    rng = np.random.default_rng(6)
    d = rng.standard_normal(20_000) * 3 + 0.05
    d[0] = 2e4  # one wild prediction: the mean's bootstrap distribution is far from normal
    got = C.bootstrap_intervals(d)[0]
    assert "heavy-tailed" in got.method and "B = 2000" in got.method
    resampled = C.bootstrap_intervals(d, 0.95, 2000, seed=0)[0]
    assert got.low == resampled.low and got.high == resampled.high


def test_heavy_tails_at_large_n_bound_the_replicates():
    d = np.random.default_rng(7).standard_normal(200_001)
    d[0] = 1e6
    got = C.bootstrap_intervals(d)[0]
    assert "B = 200" in got.method and "fewer than 2000" in got.method


def test_moving_blocks_for_longer_horizons():
    rng = np.random.default_rng(8)
    e = rng.standard_normal(401)
    d = e[1:] + 0.9 * e[:-1]  # MA(1): the iid bootstrap would be too narrow
    iid = C.bootstrap_intervals(d, 0.95, 2000, seed=0)[0]
    blocks = C.bootstrap_intervals(d, 0.95, 2000, seed=0, block=2)[0]
    assert "moving-block" in blocks.method
    # blocks of 2 keep half of the lag-1 covariance: sd ratio about sqrt(1 + 0.9/1.81) = 1.22 here
    assert (blocks.high - blocks.low) > 1.1 * (iid.high - iid.low)
    big = np.concatenate([d] * 50)
    large = C.bootstrap_intervals(big, 0.95, block=2)[0]
    assert "long-run variance" in large.method


def test_single_observation_leaves_every_test_undefined():
    c = C.compare(["x", "y"], np.array([[1.0, 2.0]]))
    (p,) = c.pairs
    assert p.dm.p is None and p.wilcoxon.p is None and p.interval.low is None
    assert p.verdict == "undefined"


def test_constant_difference_is_undefined_for_dm_but_wilcoxon_answers():
    a = np.arange(1.0, 9.0)
    c = C.compare(["a", "b"], np.c_[a, a + 1])
    (p,) = c.pairs
    assert p.verdict == "undefined" and "variance is 0" in p.sentence
    assert p.wilcoxon.p == pytest.approx(2 / 2**8)  # all 8 differences positive, exact


def test_a_nan_in_one_model_leaves_the_other_pairs_tested():
    e = np.c_[A, B, np.r_[A[:-1], np.nan]]
    c = C.compare(["A", "B", "C"], e)
    pairs = {p.model: p for p in c.pairs}
    assert pairs["B"].dm.statistic == pytest.approx(3.6546575, rel=1e-7)
    assert pairs["C"].dm.p is None and "nan" in pairs["C"].dm.why


def test_values_near_the_float64_limit():
    c = C.compare(["A", "B"], np.c_[[1e308, 1e308, -1e308], [1.0, 2.0, 3.0]])
    assert c.values["A"]["median|e|"] == 1e308
    assert any("L1 of A" in w and "MSE of A" in w for w in c.warnings)
    (p,) = c.pairs
    assert p.interval.low is not None and math.isfinite(p.interval.low)


def test_level_wording_keeps_its_digits():
    c = C.compare(["A", "B"], np.c_[A, B], confidence=0.975)
    assert "< 2.5%" in c.pairs[0].sentence and "97.5% interval" in c.pairs[0].sentence


def test_a_horizon_longer_than_the_data_leaves_the_interval_undefined():
    (p,) = C.compare(["a", "b"], np.c_[[1.0, 2.0, 3.0], [2.0, 2.5, 5.0]], horizon=5).pairs
    assert p.interval.low is None and "blocks of 5" in p.interval.method
    assert p.dm.p is None and "horizon" in p.dm.why


@pytest.mark.parametrize("confidence,fewest", [(0.9, 20), (0.95, 40), (0.99, 200), (0.8, 10), (0.999, 2000)])
def test_the_fewest_replicates_named_are_the_fewest_that_give_an_interval(confidence, fewest):
    from fractions import Fraction

    d = np.random.default_rng(1).standard_normal((50, 1))
    (short,) = C.bootstrap_intervals(d, confidence, replicates=fewest - 1)
    (enough,) = C.bootstrap_intervals(d, confidence, replicates=fewest)
    assert short.low is None and f"(B >= {fewest} needed)" in short.method
    assert enough.low is not None and enough.low < enough.high
    for k in range(500, 1000):  # every confidence 0.500 ... 0.999: the exact least B with B (1 - c) / 2 >= 1
        exact = math.ceil(2 / (1 - Fraction(k, 1000)))
        assert C.fewest_replicates(1 - k / 1000) == exact, k
