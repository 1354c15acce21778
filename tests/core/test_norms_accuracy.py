"""Accuracy of the power mean near p = 0, of the geometric mean, and the count (p = 0) of rows with nan.

References come from mpmath at 200 bits, rounded to the nearest double
exactly (``conftest.to_double``); errors are in ulps of that reference.
The power mean ((1/n) sum |x_i|^p)^(1/p) tends to the geometric mean as
p -> 0, so its evaluation must not go through (1 + O(p))^(1/p) rounded
(``[1, 2]`` at p = 1e-16 was 1.0, for sqrt(2)).
"""

from __future__ import annotations

import io
import math
import warnings
from dataclasses import dataclass

import mpmath
import numpy as np
import pytest
from conftest import to_double, ulps
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from normcli import render
from normcli.core.norms import NormAccumulator, norm, power_mean, power_sum, row_norms, rows_table

INF = math.inf
KINDS = ("norm", "power", "mean")
FUNCS = {"norm": norm, "power": power_sum, "mean": power_mean}
SMALL_P = (1e-300, 1e-16, -1e-16, 1e-12, -1e-10, 3e-8, -2e-6, 1e-4, -1e-3, 1e-3, 0.01, -0.05, 0.1, -0.2, 0.24)
PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def reference(x, p: float, kind: str) -> float:
    """The correctly rounded norm, power sum or power mean (p = 0: count, geometric mean) of x."""
    with mpmath.workprec(200):
        a = [abs(mpmath.mpf(float(v))) for v in np.ravel(x)]
        n = len(a)
        if p == 0:
            if kind != "mean":
                return float(sum(1 for v in a if v != 0))
            if any(v == 0 for v in a):
                return 0.0
            return _double(mpmath.exp(mpmath.fsum(mpmath.log(v) for v in a) / n))
        if p < 0 and any(v == 0 for v in a):
            return INF if kind == "power" else 0.0
        if all(v == 0 for v in a):
            return 0.0
        if abs(p) < 0.01:  # |x|^p - 1 and log1p: for p = 1e-300, 1 + O(p) needs no 1000 bits then
            zeros = sum(1 for v in a if v == 0)
            m = (mpmath.fsum(mpmath.expm1(p * mpmath.log(v)) for v in a if v != 0) - zeros) / n
            log_mean = mpmath.log1p(m)
        else:
            log_mean = mpmath.log(mpmath.fsum(v**p for v in a if v != 0) / n)
        if kind == "power":
            return _double(n * mpmath.exp(log_mean))
        # the p-th root through logs: for tiny p the value can be far beyond any float
        log_value = (log_mean if kind == "mean" else log_mean + mpmath.log(n)) / p
        if log_value > 710:
            return INF
        if log_value < -745.2:
            return 0.0
        return _double(mpmath.exp(log_value))


def _double(v) -> float:
    return to_double(v)


def random_vector(rng: np.random.Generator) -> np.ndarray:
    """Values around a random magnitude (1e-300 .. 1e300), spread by up to e^30 either way, random signs."""
    n = int(rng.choice([1, 2, 3, 5, 17, 100]))
    center = 10 ** rng.uniform(-300, 300)
    spread = float(rng.choice([0.1, 1.0, 10.0]))
    with np.errstate(over="ignore", under="ignore"):
        x = rng.choice([-1.0, 1.0], n) * center * np.exp(rng.uniform(-3, 3, n) * spread)
    x = x[np.isfinite(x) & (x != 0)]
    return x if x.size else np.array([1.0])


# ---------------------------------------------------------------------------
# Power mean (and norm, power sum) for small |p|
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("p", [1e-16, 1e-14, 1e-12, 1e-10, -1e-10, 1e-6, 1e-3, -1e-3])
def test_power_mean_of_1_2_at_small_p(p):
    # the limit p -> 0 is the geometric mean sqrt(2); these were 1.0, 1.41082, 1.41427, ...
    got = power_mean([1.0, 2.0], p)
    assert ulps(got, reference([1.0, 2.0], p, "mean")) <= 0.5
    assert abs(got - math.sqrt(2)) <= abs(p) + 2.3e-16


def test_power_mean_at_tiny_p_is_the_geometric_mean():
    for x in ([1.0, 2.0], [5.0], [2.0, 8.0], [3e-300, 7e299, 12.0], [1e-310, 5e-324]):
        assert power_mean(x, 1e-300) == power_mean(x, 0) == reference(x, 0, "mean"), x


@pytest.mark.parametrize("v", [5e-324, 1e-310, 3e-200, 0.1, 5.0, 7e150, 3.974858457252032e279, 1.7976931348623157e308])
@pytest.mark.parametrize("p", SMALL_P)
def test_power_mean_of_one_value_is_that_value(v, p):
    assert power_mean([v], p) == v
    assert power_mean([v, -v, v], p) == v


def test_power_mean_small_p_random_against_mpmath():
    """Worst error over 600 random vectors and orders |p| < 1/4: within 1 ulp (was up to 1e16 ulp)."""
    rng = np.random.default_rng(20240612)
    worst = (0.0, None)
    for _ in range(600):
        x = random_vector(rng)
        p = float(rng.choice(SMALL_P))
        kind = str(rng.choice(KINDS))
        ref = reference(x, p, kind)
        got = FUNCS[kind](x, p)
        err = ulps(got, ref)
        if err > worst[0]:
            worst = (err, (kind, p, x.tolist(), got, ref))
    assert worst[0] <= 1.0, worst


def test_power_mean_small_p_wide_spread_against_mpmath():
    """Values over the whole float64 range in one vector: no term is lost to scaling (p < 0 lost them)."""
    rng = np.random.default_rng(7)
    for _ in range(200):
        n = int(rng.choice([2, 3, 10]))
        x = 10 ** rng.uniform(-320, 307, n)
        p = float(rng.choice(SMALL_P))
        for kind in KINDS:
            assert ulps(FUNCS[kind](x, p), reference(x, p, kind)) <= 1.0, (kind, p, x.tolist())
    # p = -0.01 scaled [1e-200, 1e200] by 1e-200 and dropped 1e200 as inf: 1% off
    assert ulps(power_mean([1e-200, 1e200], -0.01), reference([1e-200, 1e200], -0.01, "mean")) <= 0.5


@pytest.mark.parametrize("p", [0.25, 0.3, -0.3, 0.5, -0.5, 0.75, -0.9])
def test_fractional_p_below_1_against_mpmath(p):
    """From |p| = 1/4 to 1 the scaled powers are taken in extended precision: an error of 2^-53 grew by 1/|p|."""
    rng = np.random.default_rng(3)
    for _ in range(60):
        x = random_vector(rng)
        for kind in KINDS:
            assert ulps(FUNCS[kind](x, p), reference(x, p, kind)) <= 1.0, (kind, p, x.tolist())


@pytest.mark.parametrize("p", [1e-16, 1e-3, 0.2, -1e-10, -0.2])
def test_small_p_with_zeros_and_infinities(p):
    x = [0.0, 1.0, 3.0, 0.0]
    for kind in KINDS:
        assert ulps(FUNCS[kind](x, p), reference(x, p, kind)) <= 1.0, kind
    assert norm(np.zeros(3), p) == power_mean(np.zeros(3), p) == 0.0
    if p < 0:  # |inf|^p = 0: an inf is a term of 0, as numpy's formula has it
        y = [INF, 2.0, 5.0]
        with mpmath.workprec(200):
            log_mean = mpmath.log((mpmath.mpf(2) ** p + mpmath.mpf(5) ** p) / 3) / p
            want = INF if log_mean > 710 else _double(mpmath.exp(log_mean))  # (2/3)^(1/p) for p = -1e-10
        assert ulps(power_mean(y, p), want) <= 1.0
        assert ulps(power_sum(y, p), reference([2.0, 5.0], p, "power")) <= 1.0
    else:
        assert power_mean([INF, 2.0], p) == INF


def test_small_p_out_of_range_is_noted():
    # ||(1, 1)||_p = 2^(1/p): beyond float64 for p = 1e-4; the mean of (0, 1) is 2^-(1/p), below it
    for p in (1e-4, 1e-16):
        out = NormAccumulator([p]).add([1.0, 1.0]).evaluate(p)
        assert out.value == INF and out.note is not None
        assert row_norms(np.ones((1, 2)), p)[1].tolist() == [True]
    out = NormAccumulator([1e-4]).add([0.0, 1.0]).evaluate(1e-4, "mean")
    assert out.value == 0.0 and out.note is not None
    # 2^(1/p) with p = 1/1000 times 1e-300: back in range
    assert ulps(norm([1e-300, 1e-300], 1e-3), reference([1e-300, 1e-300], 1e-3, "norm")) <= 1.0


def _split_merge(x: np.ndarray, orders, cuts, order_of_merges) -> NormAccumulator:
    accs = [NormAccumulator(orders).add(piece) for piece in np.split(x, cuts)]
    for i in order_of_merges:
        if len(accs) == 1:
            break
        a = accs.pop(i % len(accs))
        b = accs.pop(0)
        accs.append(a.merge(b))
    while len(accs) > 1:
        accs.append(accs.pop(0).merge(accs.pop(0)))
    return accs[0]


wide_vectors = st.lists(st.floats(min_value=-1e300, max_value=1e300), min_size=1, max_size=40).map(np.array)
SMALL_ORDERS = (0.0, 1e-16, -1e-12, 1e-6, -3e-4, 0.01, -0.1, 0.2, 0.5, -0.7)


@PROPERTY
@given(x=wide_vectors, cuts=st.lists(st.integers(0, 40), max_size=6), merges=st.lists(st.integers(0, 10), max_size=8))
def test_small_p_merge_of_any_chunking_equals_one_pass(x, cuts, merges):
    cuts = sorted(c for c in cuts if c <= x.size)
    merged = _split_merge(x, SMALL_ORDERS, cuts, merges)
    one = NormAccumulator(SMALL_ORDERS).add(x)
    for p in SMALL_ORDERS:
        for kind in KINDS:
            g, w = merged.evaluate(p, kind), one.evaluate(p, kind)
            assert ulps(g.value, w.value) <= 1.0, (p, kind, g, w)
            if kind == "mean":  # and both are right
                assert ulps(w.value, reference(x, p, kind)) <= 1.0, (p, kind, w)


def test_small_p_merge_of_far_apart_chunks():
    """Chunks centered 2^1000 apart: the second is converted to the first's center."""
    rng = np.random.default_rng(5)
    x = np.concatenate([rng.uniform(1, 2, 50) * 1e-150, rng.uniform(1, 2, 50) * 1e150, rng.uniform(1, 2, 3)])
    for p in (1e-14, -1e-6, 1e-3, 0.2):
        parts = [NormAccumulator([p]).add(c) for c in np.array_split(x, 5)]
        merged = parts[4].merge(parts[0]).merge(parts[2].merge(parts[1])).merge(parts[3])
        streamed = NormAccumulator([p])
        for c in np.array_split(x, 7):
            streamed.add(c)
        for kind in KINDS:
            ref = reference(x, p, kind)
            assert ulps(merged.evaluate(p, kind).value, ref) <= 1.0, (p, kind)
            assert ulps(streamed.evaluate(p, kind).value, ref) <= 1.0, (p, kind)


@PROPERTY
@given(
    a=st.lists(st.lists(st.floats(min_value=-1e300, max_value=1e300), min_size=6, max_size=6), min_size=1, max_size=5)
    .map(np.array),
    p=st.sampled_from(SMALL_ORDERS),
    kind=st.sampled_from(KINDS),
)
def test_small_p_row_norms_equal_norm_of_each_row(a, p, kind):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no warning either
        values, flags = row_norms(a, p, kind)
    expected = [FUNCS[kind](row, p) for row in a]
    np.testing.assert_array_equal(values, np.array(expected, dtype=np.float64))
    for i, row in enumerate(a):
        assert flags[i] == (NormAccumulator([p]).add(row).evaluate(p, kind).note is not None)


def test_wide_rows_with_zeros_equal_norm_of_each_row():
    """50 columns, a fifth of them 0: the extended-precision terms are summed in the same order both ways."""
    rng = np.random.default_rng(0)
    a = rng.standard_normal((300, 50)) * 10 ** rng.uniform(-300, 300, (300, 1))
    a[rng.random(a.shape) < 0.2] = 0
    a[:100] = np.where(a[:100] == 0, 1.0, a[:100])  # rows without a zero, for p < 0
    for p in (0.0, 1e-12, -1e-6, 1e-3, 0.1, -0.2, 0.5, -0.5):
        for kind in KINDS:
            expected = [FUNCS[kind](row, p) for row in a]
            np.testing.assert_array_equal(row_norms(a, p, kind)[0], np.array(expected, dtype=np.float64))


# ---------------------------------------------------------------------------
# Geometric mean (p = 0, mean)
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("x, want", [
    ([5.0], 5.0), ([2.0, 8.0], 4.0), ([1.0, 4.0], 2.0), ([3.0] * 7, 3.0), ([-2.0, 8.0, 4.0], 4.0),
    ([0.1, 10.0], 1.0), ([1e300, 1e-300], 1.0), ([5e-324], 5e-324),
    ([1.7976931348623157e308] * 3, 1.7976931348623157e308),
    ([2.0**-1074, 2.0**1022], 2.0**-26),
])
def test_geometric_mean_exact_cases(x, want):
    assert reference(x, 0, "mean") == want
    assert power_mean(x, 0) == want
    assert row_norms(np.array([x]), 0.0, "mean")[0][0] == want


def test_geometric_mean_random_against_mpmath():
    """Correctly rounded but for ties closer than 1/100 ulp, over 1000 random vectors (was up to 257 ulp)."""
    rng = np.random.default_rng(99)
    worst = 0.0
    for _ in range(1000):
        x = random_vector(rng)
        ref = reference(x, 0.0, "mean")
        got = power_mean(x, 0.0)
        err = ulps(got, ref)
        if err:
            with mpmath.workprec(200):  # how far the true value is from the midpoint between the two
                exact = mpmath.exp(mpmath.fsum(mpmath.log(abs(mpmath.mpf(float(v)))) for v in x) / x.size)
                off = abs(float((exact - mpmath.mpf(ref)) / math.ulp(ref)))
            assert err <= 1.0 and off > 0.49, (x.tolist(), got, ref, off)
        worst = max(worst, err)
    assert worst <= 1.0


@PROPERTY
@given(v=st.floats(min_value=5e-324, max_value=1.7976931348623157e308), k=st.integers(1, 9))
def test_geometric_mean_of_equal_values_is_that_value(v, k):
    assert power_mean([v] * k, 0.0) == v


@PROPERTY
@given(x=wide_vectors, cuts=st.lists(st.integers(0, 40), max_size=6), merges=st.lists(st.integers(0, 10), max_size=8))
def test_geometric_mean_merge_equals_one_pass_and_reference(x, cuts, merges):
    cuts = sorted(c for c in cuts if c <= x.size)
    merged = _split_merge(x, [0.0], cuts, merges).evaluate(0.0, "mean").value
    one = NormAccumulator([0.0]).add(x).evaluate(0.0, "mean").value
    ref = reference(x, 0.0, "mean")
    assert ulps(one, ref) <= 1.0 and ulps(merged, ref) <= 1.0, (one, merged, ref)


# ---------------------------------------------------------------------------
# The count ||x||_0 of a row with nan, or with nothing left
# ---------------------------------------------------------------------------


@dataclass
class Block:
    first: int
    data: np.ndarray
    keep: np.ndarray | None = None


def _plain(result) -> str:
    out = io.StringIO()
    render.show(result, "plain", out=out)
    return out.getvalue()


def test_count_of_rows_with_nan_is_nan_without_warning():
    data = np.array([[3.0, 4.0], [1.0, math.nan], [0.0, 2.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # nan cast to int64 warned and gave -2^63
        propagate = rows_table(iter([Block(1, data)]), [0.0])
        text = _plain(propagate)
        omit = rows_table(iter([Block(1, data, np.isfinite(data) & [[True, True], [False, False], [True, True]])]),
                          [0.0])
        rows = [row for batch in omit.iter_batches() for row in batch]
    assert text == "2\nnan\n1\n"
    assert rows[0] == ("1", 2) and type(rows[0][1]) is int
    assert math.isnan(rows[1][1]) and rows[2] == ("3", 1)
    # as the vector itself gives it
    assert math.isnan(norm([1.0, math.nan], 0))


def test_count_column_stays_integer_without_nan():
    r = rows_table(iter([Block(1, np.array([[3.0, 4.0], [0.0, 0.0]]))]), [0.0, 2.0])
    batch = next(r.iter_batches(columnar=True))
    assert batch.columns[0].dtype == np.int64
    assert _plain(rows_table(iter([Block(1, np.array([[3.0, 4.0], [0.0, 0.0]]))]), [0.0, 2.0])) == "2\t5.0\n0\t0.0\n"


@pytest.mark.parametrize("args, out", [
    (["norm", "--rows", "--p", "0", "--nan", "omit", "3,4", "nan"], "2\nnan\n"),
    (["norm", "--rows", "--p", "0", "--nan", "propagate", "3,4", "1,nan"], "2\nnan\n"),
    (["norm", "--p", "0", "--mean", "5"], "5.0\n"),
    (["norm", "--p", "0", "--mean", "2,8"], "4.0\n"),
    (["norm", "--mean", "--p", "1e-16", "1,2"], "1.4142135623730951\n"),
])
def test_cli(run, args, out):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = run(args)
    assert result.exit_code == 0, result.output
    assert result.stdout == out
