"""Tests of :mod:`normcli.core.distances`: distances, distance matrices, unit vectors, ||A x||_p, unit balls.

References never come from the code under test: numpy and
``scipy.spatial.distance`` on well-scaled data, mpmath (on exact
differences and exact products, held as Fractions) for accuracy and for the
extreme scales, closed forms for the unit balls. Hypothesis checks that the
vectorized paths (``row_norms``) agree bit for bit with the one-vector
paths (``NormAccumulator``).
"""

from __future__ import annotations

import io
import math
import warnings
from fractions import Fraction

import mpmath
import numpy as np
import pytest
from conftest import to_double, ulps
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from scipy.spatial import distance as sd

from normcli import render
from normcli.core import distances as dist
from normcli.core.errors import CoreError
from normcli.core.norms import norm
from normcli.core.precision import EXTENDED
from normcli.core.result import ColumnBatch

INF = math.inf
MAX = np.finfo(np.float64).max
EPS = np.finfo(np.float64).eps
OVERFLOW_NOTE = "the result exceeds the float64 range (about 1.8e308)"

# ---------------------------------------------------------------------------
# High-precision references
# ---------------------------------------------------------------------------


def mp_norm(values, p: float, prec: int = 200) -> float:
    """||v||_p of exact values (floats, Fractions, ints), correctly rounded, with mpmath."""
    with mpmath.workprec(prec):
        v = [abs(mpmath.mpf(x.numerator) / x.denominator if isinstance(x, Fraction) else mpmath.mpf(x))
             for x in values]
        if p == INF:
            return to_double(max(v))
        if p == -INF:
            return to_double(min(v))
        if p == 0:
            return sum(1 for x in v if x != 0)
        if p < 0 and any(x == 0 for x in v):
            return 0.0
        pp = mpmath.mpf(p)
        s = mpmath.fsum(x**pp for x in v if x != 0)
        if s == 0:
            return 0.0
        return to_double(s ** (1 / pp))


def exact_diff(a, b) -> list[Fraction]:
    return [Fraction(x) - Fraction(y) for x, y in zip(np.asarray(a, float).tolist(), np.asarray(b, float).tolist())]


def exact_product(A, x) -> list[Fraction]:
    A = np.asarray(A, float)
    x = [Fraction(v) for v in np.asarray(x, float).tolist()]
    return [sum((Fraction(a) * xv for a, xv in zip(row, x)), Fraction(0)) for row in A.tolist()]


def same(x, y) -> bool:
    """Bit-for-bit equality of float arrays (nan equal to nan, -0.0 unequal to 0.0)."""
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    return x.shape == y.shape and x.tobytes() == y.tobytes()


def plain(result) -> str:
    out = io.StringIO()
    render.show(result, "plain", out=out)
    return out.getvalue()


ORDERS = [1.0, 2.0, 3.0, 0.5, -1.0, 0.0, INF, -INF]
# Every regime of the accumulator: p in (0, 1/4) unscaled, |p| > 1000 scaled by the extreme value itself.
ALL_ORDERS = [1.0, 2.0, 3.0, 2.5, 0.5, 0.1, -0.5, -1.0, -2.0, 0.0, INF, -INF, 1500.0, -1500.0]

wide = st.floats(allow_nan=False, allow_infinity=False)  # the whole float64 range, subnormals included
settings.register_profile("distances", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("distances")


# ---------------------------------------------------------------------------
# distance
# ---------------------------------------------------------------------------


def test_distance_hand_values():
    assert dist.distance([1, 2, 3], [4, 6, 8]).value == math.sqrt(50)
    assert dist.distance([0, 0], [3, -4], 1).value == 7.0
    assert dist.distance([0, 0], [3, -4], INF).value == 4.0
    assert dist.distance([0, 0], [3, -4], -INF).value == 3.0
    assert dist.distance([1, 2, 3], [1, 0, 0], 0).value == 2
    assert dist.distance([1, 2], [1, 5], -1).value == 0.0  # a component agrees: |0|^p = inf
    assert dist.distance([0, 0], [1, 1], 0.5).value == 4.0  # (1 + 1)^2


@pytest.mark.parametrize("p", ORDERS)
def test_distance_matches_numpy_on_well_scaled_data(p):
    rng = np.random.default_rng(int(abs(p) * 10) if math.isfinite(p) else 99)
    for _ in range(20):
        a, b = rng.standard_normal(17), rng.standard_normal(17)
        want = np.linalg.norm(a - b, p)
        got = dist.distance(a, b, p).value
        assert got == pytest.approx(want, rel=1e-13, abs=0), (p, got, want)


@pytest.mark.parametrize("p", [1.0, 2.0, 3.0, 1.5])
def test_distance_matches_scipy_minkowski(p):
    rng = np.random.default_rng(7)
    a, b = rng.standard_normal(50) * 10, rng.standard_normal(50) * 10
    assert dist.distance(a, b, p).value == pytest.approx(sd.minkowski(a, b, p), rel=1e-14)
    assert dist.distance(a, b, INF).value == sd.chebyshev(a, b)


@pytest.mark.parametrize("p, limit", [(1.0, 1), (2.0, 1), (INF, 0), (3.0, 2), (0.5, 2), (-1.0, 2)])
def test_distance_accuracy_against_mpmath(p, limit):
    """Each difference rounded once (as numpy), then the norm to about an ulp of those differences."""
    rng = np.random.default_rng(3)
    worst = 0.0
    for scale in (1e-310, 1e-150, 1.0, 1e150, 1e300):
        for _ in range(10):
            a, b = rng.standard_normal(40) * scale, rng.standard_normal(40) * scale
            ref = mp_norm((a - b).tolist(), p)  # the rounded differences, exactly
            worst = max(worst, ulps(dist.distance(a, b, p).value, ref))
    assert worst <= limit


def test_distance_overflowed_difference_is_truly_out_of_range():
    a, b = [1.5e308], [-0.5e308]
    assert mp_norm(exact_diff(a, b), 2) == INF  # 2e308: beyond the range, really
    for p in (2.0, 1.0, 0.5, 3.0, INF, 1500.0):
        out = dist.distance(a + [1.0], b + [0.0], p)
        assert out.value == INF and out.note == OVERFLOW_NOTE
    # numpy gets inf too, but with no way to tell it from an infinite input; a - b as nan never happens here
    assert dist.distance([1e308, 1.0], [-1e308, 1.0], 0).value == 1


def test_distance_finite_although_differences_overflow():
    """p < 0: ||a - b||_p <= min |a_i - b_i|, and is computed as 2 ||a/2 - b/2||_p."""
    a = np.array([1.5e308, 1.5e308, 1.7e308])
    b = np.array([-1.5e308, -1.5e308, -0.2e308])
    with np.errstate(over="ignore"):
        assert np.isinf(a - b).all()  # every difference overflows in float64
    finite = []
    for p in (-1.0, -0.5, -3.0, -20.0, -1500.0):
        out = dist.distance(a, b, p)
        ref = mp_norm(exact_diff(a, b), p)
        if math.isfinite(ref):
            finite.append(p)
            assert ulps(out.value, ref) <= 1 and out.note is None, (p, out, ref)
        else:  # p -> -inf: towards min |a_i - b_i| = 1.9e308
            assert out.value == INF and out.note == OVERFLOW_NOTE
    assert finite == [-1.0, -0.5, -3.0]
    # -inf: the smallest difference; here all overflow, so it is beyond the range
    assert dist.distance(a, b, -INF) == dist.distance([MAX], [-MAX], 2)
    assert dist.distance(a, b, -INF).note == OVERFLOW_NOTE
    # ... and where one difference is finite, it is the minimum
    assert dist.distance([1.5e308, 3.0], [-1.5e308, 1.0], -INF).value == 2.0
    # p = -2 with these: (2 (3e308)^-2)^(-1/2) = 2.1e308, beyond the range
    out = dist.distance([1.5e308, 1.5e308], [-1.5e308, -1.5e308], -2)
    assert mp_norm(exact_diff([1.5e308] * 2, [-1.5e308] * 2), -2) == INF
    assert out.value == INF and out.note == OVERFLOW_NOTE


def test_distance_overflow_beside_tiny_differences():
    # Halving a - b would turn the 5e-324 difference into 0 and the p < 0 distance into 0.
    a, b = [1.7e308, 5e-324], [-1.7e308, 0.0]
    for p in (-1.0, -0.5, -0.01):
        assert dist.distance(a, b, p).value == mp_norm(exact_diff(a, b), p) == 5e-324
    # A difference below 2^-1021 whose half is inexact, beside an overflowed one: for p near 0 the
    # overflowed term still counts (leaving it out is off by 1e11 ulp at p = -0.01). The 1/|p| in the
    # tolerance is norm()'s own: a term's rounding error is multiplied by 1/|p| in the root.
    a, b = [1.7e308, 4.0000000000000003e-308], [-1.7e308, 0.0]
    assert a[1] * 0.5 * 2 != a[1]
    for p in (-1.0, -0.5, -0.05, -0.01, -0.005, -0.003):
        ref = mp_norm(exact_diff(a, b), p)
        got = dist.distance(a, b, p)
        assert ulps(got.value, ref) <= 1 + 0.5 / abs(p) and got.note is None, (p, got, ref)
    assert ulps(mp_norm([a[1]], -0.01), mp_norm(exact_diff(a, b), -0.01)) > 1e9
    assert dist.distance(a, b, -0.001).value == mp_norm(exact_diff(a, b), -0.001) == 0.0  # truly below the range


def test_distance_of_subnormals_is_exact_and_not_zero():
    a, b = [3e-320, 0.0], [0.0, -4e-320]
    assert np.linalg.norm(np.array(a) - np.array(b)) == 0.0  # numpy squares into underflow
    for p in (1.0, 2.0, 3.0, 0.5, INF, -1.0):
        got = dist.distance(a, b, p)
        assert got.value == mp_norm(exact_diff(a, b), p) and got.value > 0, p
    assert dist.distance([5e-324], [1e-323], 2).value == 5e-324


def test_distance_errors_and_non_finite_inputs():
    with pytest.raises(ValueError, match=r"^a has 3 values but b has 4$"):
        dist.distance([1, 2, 3], [1, 2, 3, 4])
    with pytest.raises(ValueError, match=r"^a has 1 value but b has 2$"):
        dist.distance([1], [1, 2])
    with pytest.raises(ValueError, match="empty"):
        dist.distance([], [])
    with pytest.raises(ValueError, match="nan"):
        dist.distance([1], [2], math.nan)
    assert math.isnan(dist.distance([1, math.nan], [1, 2]).value)
    assert math.isnan(dist.distance([INF], [INF]).value)  # inf - inf
    assert dist.distance([INF, 1.0], [0.0, 1.0]).value == INF


@given(st.lists(st.tuples(wide, wide), min_size=1, max_size=6), st.sampled_from(ALL_ORDERS))
def test_distance_is_symmetric_bit_for_bit(pairs, p):
    a, b = np.array(pairs).T
    assert same(dist.distance(a, b, p).value, dist.distance(b, a, p).value)


@given(st.lists(st.tuples(wide, wide, wide), min_size=1, max_size=5), st.sampled_from([1.0, 2.0, 3.0, INF]))
def test_distance_triangle_inequality(triples, p):
    x, y, z = (np.array(c) / 16 for c in zip(*triples))  # /16: no sum of distances beyond the range
    lhs = dist.distance(x, z, p).value
    rhs = dist.distance(x, y, p).value + dist.distance(y, z, p).value
    assert lhs <= rhs * (1 + 8 * EPS) or rhs == INF


def test_quasi_norm_distances_break_the_triangle_inequality():
    x, y, z = [0.0, 0.0], [1.0, 0.0], [1.0, 1.0]
    assert dist.distance(x, z, 0.5).value > dist.distance(x, y, 0.5).value + dist.distance(y, z, 0.5).value
    # ... while ||a - b||_p^p is a metric there
    assert dist.distance(x, z, 0.5).value ** 0.5 <= dist.distance(x, y, 0.5).value ** 0.5 + 1.0


# ---------------------------------------------------------------------------
# Hamming
# ---------------------------------------------------------------------------


def test_hamming_count_and_fraction_match_scipy():
    rng = np.random.default_rng(11)
    for n in (1, 5, 40):
        a, b = rng.integers(0, 3, n).astype(float), rng.integers(0, 3, n).astype(float)
        assert dist.hamming_fraction(a, b) == sd.hamming(a, b)
        assert dist.hamming(a, b) == round(sd.hamming(a, b) * n)
    assert dist.hamming([1, 0, 1, 1], [1, 1, 0, 1]) == 2


def test_hamming_nan_and_signed_zero():
    assert dist.hamming([math.nan, 1.0], [math.nan, 1.0]) == 1  # nan != nan, as scipy counts it
    assert sd.hamming([math.nan, 1.0], [math.nan, 1.0]) == 0.5
    assert dist.hamming([-0.0], [0.0]) == 0
    with pytest.raises(ValueError, match=r"^a has 2 values but b has 1$"):
        dist.hamming([1, 2], [1])


@given(st.lists(st.tuples(wide, wide), min_size=1, max_size=8))
def test_hamming_is_the_l0_distance(pairs):
    a, b = np.array(pairs).T
    assert dist.hamming(a, b) == dist.distance(a, b, 0).value


def test_distance_and_hamming_results():
    r = dist.distance_result([1, 2, 3], [4, 6, 8], [2.0], ["u", "v"])
    assert (r.title, r.columns, r.rows, r.label) == ("L2 distance ||u - v||_2", ["L2"],
                                                     [("u - v", math.sqrt(50))], "vectors")
    assert r.notes == [] and r.warnings == []
    assert plain(r) == "7.0710678118654755\n"
    r = dist.distance_result([0, 0], [1, 1], [0.5, 0.0, -1.0, -INF], ["A", "B"])
    assert r.rows == [("A - B", 4.0, 2, 0.5, 1.0)]
    assert any("L0.5" in n and "triangle inequality fails" in n and "not a metric" in n for n in r.notes)
    assert any("L0 counts the components that differ" in n for n in r.notes)
    assert any("L-1" in n and "not a metric" in n for n in r.notes)
    assert any("L-inf is min |a_i - b_i|" in n for n in r.notes)
    r = dist.distance_result([1.5e308], [-0.5e308], [2.0])
    assert r.rows[0][1] == INF and r.warnings == [f"L2: {OVERFLOW_NOTE}"]
    with pytest.raises(ValueError, match=r"^A has 3 values but B has 4$"):
        dist.distance_result([1, 2, 3], [1, 2, 3, 4], [2.0], ["A", "B"])
    h = dist.hamming_result([1, 0, 1, 1], [1, 1, 0, 1], ["A", "B"])
    assert (h.columns, h.rows) == (["count", "fraction"], [("A - B", 2, 0.5)])
    assert plain(h) == "2\t0.5\n"


# ---------------------------------------------------------------------------
# Distance matrices
# ---------------------------------------------------------------------------


def matrix(X, p, **kw) -> np.ndarray:
    rows = list(dist.pairwise_rows(X, p, **kw))
    assert [i for i, _ in rows] == list(range(len(rows)))
    return np.array([d for _, d in rows])


@pytest.mark.parametrize("p", [1.0, 2.0, 3.0, 1.5, INF])
def test_pairwise_matches_scipy_cdist(p):
    rng = np.random.default_rng(5)
    X = rng.standard_normal((30, 6)) * 3
    want = sd.cdist(X, X, "chebyshev") if p == INF else sd.cdist(X, X, "minkowski", p=p)
    got = matrix(X, p)
    off = ~np.eye(30, dtype=bool)
    assert np.max(np.abs(got[off] - want[off]) / want[off]) <= 1e-13
    assert (np.diag(got) == 0).all()


def test_pairwise_hamming_matches_scipy_cdist():
    rng = np.random.default_rng(6)
    X = rng.integers(0, 2, (25, 9)).astype(float)
    got = np.array([c for _, c in dist.pairwise_hamming(X, fraction=True)])
    assert (got == sd.cdist(X, X, "hamming")).all()
    counts = np.array([c for _, c in dist.pairwise_hamming(X)])
    assert counts.dtype == np.int64 and (counts == np.rint(sd.cdist(X, X, "hamming") * 9)).all()


@pytest.mark.parametrize("p", ALL_ORDERS)
def test_pairwise_is_exactly_symmetric_with_zero_diagonal(p):
    rng = np.random.default_rng(8)
    X = rng.standard_normal((12, 5)) * np.logspace(-300, 300, 12)[:, None]
    X[3, 2] = X[4, 2]  # an agreeing component: 0 for p < 0
    D = matrix(X, p)
    assert same(D, D.T)
    assert (np.diag(D) == 0).all() and not np.signbit(np.diag(D)).any()


@given(hnp.arrays(np.float64, st.tuples(st.integers(1, 5), st.integers(1, 4)), elements=wide),
       st.sampled_from(ALL_ORDERS), st.integers(1, 3))
def test_pairwise_rows_are_distance_bit_for_bit(X, p, block):
    D = matrix(X, p, block=block)
    for i in range(X.shape[0]):
        for j in range(X.shape[0]):
            assert same(D[i, j], dist.distance(X[i], X[j], p).value), (i, j)


def test_pairwise_handles_overflowing_differences():
    X = np.array([[1.5e308, 1.0], [-1.5e308, 1.0], [0.0, 1.0]])
    D = matrix(X, 2.0)
    assert D[0, 1] == D[1, 0] == INF and D[0, 2] == D[2, 0] == 1.5e308
    D = matrix(X[:2] * [1, 0] + [0, 1.5e308] * np.array([[1], [-1]]), -1.0)
    assert D[0, 1] == D[1, 0] == 1.5e308  # finite: 2 ||a/2 - b/2||_-1, with every difference overflowing
    r = dist.pairwise_result(["a", "b", "c"], X, 2.0)
    rows = [row for batch in r.iter_batches() for row in batch]
    assert rows[0][2] == INF
    assert r.warnings == ["L2 of 'a' and 'b': the result is outside the float64 range"]  # each pair once


def test_pairwise_streams_row_by_row(monkeypatch):
    calls = []
    real = dist.row_norms
    monkeypatch.setattr(dist, "row_norms", lambda a, p: calls.append(a.shape) or real(a, p))
    X = np.arange(40.0).reshape(20, 2)
    rows = dist.pairwise_rows(X, 2.0, block=8)
    i, d = next(rows)
    assert i == 0 and d.shape == (20,)
    assert calls == [(8, 2), (8, 2), (4, 2)]  # only row 0's blocks have been computed
    r = dist.pairwise_result([str(k) for k in range(20)], X, 2.0)
    assert r.rows == [] and r.batches is not None  # nothing computed before rendering


def test_pairwise_result_shape_and_plain_output():
    X = np.array([[0.0, 0.0], [3.0, 4.0], [6.0, 8.0]])
    r = dist.pairwise_result(["1", "2", "3"], X, 2.0)
    assert (r.title, r.columns, r.label, r.notes) == ("L2 distance matrix (rows)", ["1", "2", "3"], "row", [])
    assert plain(r) == "0.0\t5.0\t10.0\n5.0\t0.0\t5.0\n10.0\t5.0\t0.0\n"
    r = dist.pairwise_result(["x", "y"], X[:2], 0.5, by="columns")
    assert r.title == "L0.5 distance matrix (columns)" and r.label == "column"
    assert any("triangle inequality fails" in n for n in r.notes)
    r = dist.pairwise_result(["1", "2", "3"], X, 0.0)
    rows = [row for batch in r.iter_batches() for row in batch]
    assert rows[0] == ("1", 0, 2, 2) and all(type(v) is int for v in rows[0][1:])
    r = dist.pairwise_result(["1", "2"], [[1, 0, 1], [1, 1, 1]], hamming=True)
    assert r.title == "Hamming distance matrix (rows)" and plain(r) == "0\t1\n1\t0\n"
    assert "out of d = 3" in r.notes[0]
    with pytest.raises(ValueError, match="2 names for 3 rows"):
        dist.pairwise_result(["1", "2"], X, 2.0)


def test_pairwise_count_of_a_row_with_nan_is_nan():
    """p = 0 with a nan (--nan propagate): nan, as distance() gives it, not -2^63 from a cast with a warning."""
    X = np.array([[1.0, 2.0], [3.0, math.nan], [0.0, 2.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        r = dist.pairwise_result(["1", "2", "3"], X, 0.0)
        text = plain(r)
    assert text == "0\tnan\t1\nnan\tnan\tnan\n1\tnan\t0\n"
    assert math.isnan(dist.distance(X[0], X[1], 0).value)
    rows = [row for batch in dist.pairwise_result(["1", "2", "3"], X, 0.0).iter_batches() for row in batch]
    assert rows[0][1] == 0 and type(rows[0][1]) is int and math.isnan(rows[0][2])


def test_transform_rows_result_counts_stay_integers_beside_an_omitted_row():
    data = np.array([[3.0, 0.0], [1.0, math.nan]])
    r = dist.transform_rows_result(np.eye(2), iter([Block(1, data, np.isfinite(data))]), [0.0])
    rows = [row for batch in r.iter_batches() for row in batch]
    assert rows[0] == ("1", 1) and type(rows[0][1]) is int and math.isnan(rows[1][1])


@pytest.mark.parametrize("p", [-1e-12, -1e-3, -0.1, 1e-3, 0.2])
def test_transform_norm_small_p_keeps_far_apart_components(p):
    """For small |p| a component 2^1000 times another still counts: rows in range are not scaled (p < 0 lost it)."""
    x = [1e-200, 1e200]
    want = norm(x, p)
    assert dist.transform_norm(np.eye(2), x, p).value == want
    assert dist.transform_rows(np.eye(2), np.array([x]), p)[0][0] == want
    with mpmath.workprec(200):
        log_value = mpmath.log(mpmath.mpf(1e-200) ** p + mpmath.mpf(1e200) ** p) / p
    assert want == (INF if log_value > 710 else 0.0 if log_value < -745.2 else to_double(mpmath.exp(log_value)))


def test_pairwise_result_batches_bound_memory(monkeypatch):
    monkeypatch.setattr(dist, "_BATCH_VALUES", 10)
    X = np.arange(12.0).reshape(6, 2)
    r = dist.pairwise_result([str(k) for k in range(6)], X, 1.0)
    sizes = [len(b) for b in r.iter_batches()]
    assert sizes == [1] * 6  # 10 values per batch at most: one row of 6 at a time


# ---------------------------------------------------------------------------
# Unit vectors
# ---------------------------------------------------------------------------


def test_normalize_hand_values_and_extreme_scales():
    y, n, notes = dist.normalize([3, 4])
    assert y.tolist() == [0.6, 0.8] and n == 5.0 and notes == []
    y, n, notes = dist.normalize([1.5e308, 1.5e308])
    assert y.tolist() == [0.7071067811865476] * 2 and n == INF  # 1/sqrt(2) correctly rounded
    assert notes and "exceeds the float64 range" in notes[0]
    y, n, notes = dist.normalize([3e-320, 4e-320])
    assert y.tolist() == [0.6, 0.8] and 0 < n < 1e-319 and notes == []
    # a subnormal norm has only a few bits: dividing by it would be far off
    x = np.array([1.0, 2.0, 3.0]) * 5e-324
    y, n, _ = dist.normalize(x)
    assert n == 2e-323 and (x / n).tolist() == [0.25, 0.5, 0.75]  # sqrt(14) units rounded to 4
    assert np.max(np.abs(y - np.array([1.0, 2.0, 3.0]) / math.sqrt(14))) <= EPS
    y, n, _ = dist.normalize([1.5e308, 1.5e308], 1)
    assert y.tolist() == [0.5, 0.5] and n == INF
    y, n, _ = dist.normalize([5e-324, 1e-323], -1)  # ||x||_-1 = 2/3 of 5e-324: below the subnormal spacing
    assert y.tolist() == [1.5, 3.0]
    y, _, _ = dist.normalize([-2.0, 1e-300, 0.0], INF)
    assert y.tolist() == [-1.0, 5e-301, 0.0]


def test_normalize_zero_norms_leave_x_unchanged():
    y, n, notes = dist.normalize([0.0, -0.0])
    assert same(y, [0.0, -0.0]) and n == 0.0
    assert notes == ["the zero vector stays zero, as scikit-learn's normalize does"]
    y, n, notes = dist.normalize([0.0, 2.0], -1)
    assert y.tolist() == [0.0, 2.0] and n == 0.0
    assert notes == ["||x||_-1 is 0 (a zero entry with p < 0): x is left unchanged"]
    y, n, notes = dist.normalize([3.0, 0.0], -INF)
    assert y.tolist() == [3.0, 0.0] and notes == ["||x||_-inf is 0 (a zero entry with p = -inf): x is left unchanged"]


def test_normalize_errors():
    with pytest.raises(ValueError, match=r"p = 0 counts non-zeros.*not homogeneous.*nothing to normalize to 1"):
        dist.normalize([1, 2], 0)
    with pytest.raises(ValueError, match="p = 0 counts non-zeros"):
        dist.normalize_rows([[1, 2]], 0)
    with pytest.raises(ValueError, match="non-finite"):
        dist.normalize([1, math.nan])
    with pytest.raises(ValueError, match=r"^row 2 holds a non-finite value"):
        dist.normalize_rows([[1, 2], [INF, 1]])
    with pytest.raises(ValueError, match="empty"):
        dist.normalize([])


def test_normalize_out_of_range_entries_are_reported():
    y, n, notes = dist.normalize([1e-300, 1e300], -1)
    assert y[0] == 1.0 and y[1] == INF and any("exceed the float64 range" in s for s in notes)
    y, n, notes = dist.normalize([1e300, 1e-300], 2)
    assert y.tolist() == [1.0, 0.0] and any("round to 0" in s for s in notes)


@pytest.mark.parametrize("p", [1.0, 2.0, INF])
def test_normalize_is_x_over_numpy_norm_on_well_scaled_data(p):
    rng = np.random.default_rng(12)
    for _ in range(50):
        x = rng.standard_normal(rng.integers(1, 30)) * 10.0 ** rng.integers(-5, 6)
        want = x / np.linalg.norm(x, p)
        assert np.max(np.abs(dist.normalize(x, p)[0] - want) / np.abs(want)) <= 1e-15


vectors = hnp.arrays(np.float64, st.integers(1, 8), elements=wide)


@given(vectors, st.sampled_from([1.0, 2.0, 3.0, INF, 0.5]))
def test_normalized_vector_has_norm_one(x, p):
    assume(np.any(x != 0))
    y, _, _ = dist.normalize(x, p)
    assume(np.all((y != 0) | (x == 0)))  # no entry lost to underflow (then ||y|| < 1 rightly)
    limit = {1.0: 4, 2.0: 2, 3.0: 2, INF: 0, 0.5: 8}[p]
    assert ulps(norm(y, p), 1.0) <= limit


@given(hnp.arrays(np.float64, st.tuples(st.integers(1, 6), st.integers(1, 5)), elements=wide),
       st.sampled_from([p for p in ALL_ORDERS if p != 0]))
def test_normalize_rows_is_normalize_bit_for_bit(X, p):
    if p < 0 and (X == 0).any() and X.shape[0] > 1:
        X[0] = np.where(X[0] == 0, 1.0, X[0])  # both kinds of row: with and without a zero entry
    Y, N, zeros = dist.normalize_rows(X, p)
    count = 0
    for i in range(X.shape[0]):
        y, n, notes = dist.normalize(X[i], p)
        assert same(Y[i], y) and same(N[i], n), i
        count += any("unchanged" in s or "stays zero" in s for s in notes)
    assert zeros == count


def test_normalize_rows_counts_zero_rows():
    Y, N, zeros = dist.normalize_rows([[3, 4], [0, 0], [1.5e308, 1.5e308], [3e-320, 4e-320]])
    assert Y.tolist() == [[0.6, 0.8], [0.0, 0.0], [0.7071067811865476] * 2, [0.6, 0.8]]
    assert N.tolist()[:2] == [5.0, 0.0] and N[2] == INF and zeros == 1


def test_normalize_result_plain_output_feeds_back():
    r = dist.normalize_result([3, 4], 2)
    assert (r.title, r.columns, r.label, r.plain) == ("L2 unit vector x / ||x||_2", ["x", "normalized"], "i", [1])
    assert r.rows == [("1", 3.0, 0.6), ("2", 4.0, 0.8)] and r.notes[0] == "||x||_2 = 5.0"
    text = plain(r)
    assert text == "0.6\n0.8\n"
    assert norm([float(v) for v in text.split()]) == 1.0
    r = dist.normalize_result([1, 1], 0.5)
    assert any("quasi-norm" in n for n in r.notes)
    with pytest.raises(ValueError, match="p = 0"):
        dist.normalize_result([1, 2], 0)


class Block:
    def __init__(self, first, data, keep=None):
        self.first, self.data, self.keep = first, np.asarray(data, dtype=np.float64), keep


def test_normalize_rows_result_streams_and_reads_back():
    from normcli.inputs import InputSpec, read_rows

    blocks = [Block(1, [[3, 4], [0, 0]]), Block(3, [[1.5e308, 1.5e308, 0.0]])]
    r = dist.normalize_rows_result(iter(blocks), 2)
    assert r.title == "L2 unit vectors x / ||x||_2 of each row" and r.columns == ["normalized", "L2"]
    assert r.plain == [0] and r.rows == []
    text = plain(r)
    assert text == "0.6\t0.8\n0.0\t0.0\n0.7071067811865476\t0.7071067811865476\t0.0\n"
    assert any("1 row with ||x||_2 = 0 left unchanged" in n and "row 2" in n for n in r.notes)
    back = list(read_rows(InputSpec(file="-", stdin=io.BytesIO(text.encode()))))
    norms = [norm(row) for b in back for row in b.data]
    assert norms == [1.0, 0.0, 1.0]


def test_normalize_rows_result_with_omitted_cells():
    data = np.array([[3.0, math.nan, 4.0], [1.0, 1.0, 1.0]])
    r = dist.normalize_rows_result(iter([Block(1, data, np.isfinite(data))]), 1)
    rows = [row for batch in r.iter_batches() for row in batch]
    assert rows[0] == ("1", [3 / 7, 4 / 7], 7.0)
    assert rows[1][1] == (np.array([1.0, 1, 1]) / 3).tolist()
    assert any("omitted cells" in n for n in r.notes)


# ---------------------------------------------------------------------------
# ||A x||_p
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("p, limit", [(2.0, 1), (1.0, 1), (INF, 0), (3.0, 2), (0.5, 2), (-1.0, 2), (0.0, 0)])
def test_transform_norm_against_exact_products(p, limit):
    rng = np.random.default_rng(21)
    worst = 0.0
    for scale in (1e-160, 1.0, 1e150):
        for _ in range(8):
            A = rng.standard_normal((4, 3)) * scale
            x = rng.standard_normal(3)
            ref = mp_norm(exact_product(A, x), p)
            worst = max(worst, ulps(dist.transform_norm(A, x, p).value, ref))
    if EXTENDED:  # A x in long double, rounded once
        assert worst <= limit
    else:
        assert worst <= 4 * limit + 4


def test_transform_norm_survives_cancellation_and_overflow():
    A = np.array([[1e16, 1.0, -1e16]])
    x = np.array([1.0, 1.0, 1.0])
    assert (A @ x)[0] == 0.0  # float64 loses the 1
    if EXTENDED:
        assert dist.transform_norm(A, x, 2).value == 1.0
    A = np.array([[1e308, -1e308]])
    x = np.array([10.0, 9.9999])
    with np.errstate(all="ignore"):
        assert not np.isfinite(A @ x).all()  # 1e309 - 9.9999e308: inf (or nan)
    ref = mp_norm(exact_product(A, x), 2)
    # Finite and as good as the long-double dot product: its error is about 2^-64 of sum |A_ij x_j| (2e309),
    # which the cancellation to 1e304 turns into a relative 1e-14.
    got = dist.transform_norm(A, x, 2).value
    bound = 2 * 2.0**-64 * float((np.abs(A[0]) / 1e300) @ x) * (1e300 / ref) if EXTENDED else 1e-10
    assert math.isfinite(got) and abs(got - ref) / ref <= bound
    out = dist.transform_norm([[1e300, 0], [0, 1e300]], [1e10, 1e10], 2)
    assert out.value == INF and out.note == OVERFLOW_NOTE
    out = dist.transform_norm([[1e-300]], [1e-300], 2)
    assert out.value == 0.0 and "below the smallest float64" in out.note
    A, x = [[1e-200, 0.0], [0.0, 1e-200]], [1e-120, 1e-120]
    assert dist.transform_norm(A, x, 2).value == mp_norm(exact_product(A, x), 2)  # subnormal, right


def test_transform_errors():
    with pytest.raises(ValueError, match=r"^A has 3 columns but x has 2 values$"):
        dist.transform_norm(np.ones((2, 3)), [1.0, 2.0])
    with pytest.raises(ValueError, match=r"^A has 1 column but x has 2 values$"):
        dist.transform_norm(np.ones((2, 1)), [1.0, 2.0])
    with pytest.raises(ValueError, match="A has 2 columns but the rows have 3 values"):
        dist.transform_rows(np.ones((2, 2)), np.ones((4, 3)))
    with pytest.raises(ValueError, match="non-finite"):
        dist.transform_norm([[1.0, math.nan]], [1.0, 2.0])


matrices = hnp.arrays(np.float64, st.tuples(st.integers(1, 4), st.integers(1, 3)), elements=wide)


@given(matrices, st.data(), st.sampled_from(ALL_ORDERS))
def test_transform_rows_is_transform_norm_bit_for_bit(A, data, p):
    X = data.draw(hnp.arrays(np.float64, st.tuples(st.integers(1, 4), st.just(A.shape[1])), elements=wide))
    values, flags = dist.transform_rows(A, X, p)
    for i in range(X.shape[0]):
        out = dist.transform_norm(A, X[i], p)
        assert same(values[i], out.value) and flags[i] == (out.note is not None), i


@given(matrices, st.data(), st.sampled_from([1e-16, -1e-12, 1e-3, -0.01, 0.2]))
def test_transform_rows_is_transform_norm_bit_for_bit_small_p(A, data, p):
    test_transform_rows_is_transform_norm_bit_for_bit.hypothesis.inner_test(A, data, p)


def test_injectivity_matches_numpy_matrix_rank():
    rng = np.random.default_rng(4)
    for m, d, r in [(5, 3, 3), (5, 3, 2), (3, 3, 1), (2, 4, 2), (6, 6, 5)]:
        A = rng.standard_normal((m, r)) @ rng.standard_normal((r, d))
        rank, tol, smallest = dist.injectivity(A)
        s = np.linalg.svd(A, compute_uv=False)
        assert rank == np.linalg.matrix_rank(A) == r
        assert tol == pytest.approx(max(m, d) * EPS * s[0], rel=1e-14)
        assert smallest == (pytest.approx(s[-1], rel=1e-9, abs=1e-13 * s[0]) if m >= d else 0.0)
    # scaling A by a power of two scales tol and sigma_min exactly and keeps the rank, at any scale
    A = rng.standard_normal((4, 3))
    base = dist.injectivity(A)
    for k in (1000, -1060):
        rank, tol, smallest = dist.injectivity(np.ldexp(A, k))
        assert rank == base[0] and tol == math.ldexp(base[1], k) and smallest == pytest.approx(
            math.ldexp(base[2], k), rel=1e-12)
    with np.errstate(all="ignore"):
        assert np.linalg.svd(np.full((2, 2), 1e308), compute_uv=False)[0] == INF  # unscaled: overflow
    assert dist.injectivity(np.full((2, 2), 1e308))[0] == 1
    assert dist.injectivity([[1e308, 1e308], [1e308, -1e308]])[0] == 2


def test_transform_notes():
    assert dist.transform_notes([[1, 0], [0, 1], [1, 1]]) == [
        "A (3x2) is injective (rank 2; SVD, tolerance 6.7e-16 * sigma_max; smallest singular value 1): "
        "||A x||_p is a norm on R^2 (for p >= 1)"]
    assert dist.transform_notes([[1, 2], [2, 4], [3, 6]]) == [
        "A (3x2) has rank 1 < 2 columns (SVD, tolerance 6.7e-16 * sigma_max): ||A x||_p is only a seminorm "
        "(A x = 0 for some x != 0)"]
    assert "rank 2 < 3 columns" in dist.transform_notes(np.ones((2, 3)) + np.eye(2, 3))[0]
    # a seminorm: A x = 0 for x = (2, -1)
    assert dist.transform_norm([[1, 2], [2, 4], [3, 6]], [2, -1], 2).value == 0.0


def test_transform_results():
    A = np.array([[2.0, 0.0], [0.0, 1.0]])
    r = dist.transform_result(A, [3, 4], [2.0, 0.5])
    assert r.title == "Lp norms of A x, p = 2, 0.5" and r.columns == ["L2", "L0.5"]
    assert r.rows == [("A x", math.hypot(6, 4), (math.sqrt(6) + 2) ** 2)]
    assert "is injective" in r.notes[0] and any("quasi-norm" in n for n in r.notes)
    assert plain(r) == f"{math.hypot(6, 4)!r}\t{(math.sqrt(6) + 2) ** 2!r}\n"
    with pytest.raises(ValueError, match="A has 2 columns but x has 3 values"):
        dist.transform_result(A, [1, 2, 3], [2.0])
    data = np.array([[3.0, 4.0], [1.0, math.nan], [1e308, 1e308]])
    blocks = [Block(1, data[:1]), Block(2, data[1:], np.isfinite(data[1:]))]
    r = dist.transform_rows_result(A, iter(blocks), [2.0, 0.0])
    batches = list(r.iter_batches(columnar=True))
    assert all(isinstance(b, ColumnBatch) for b in batches)
    rows = [row for b in batches for row in b.rows()]
    assert rows[0] == ("1", math.hypot(6, 4), 2) and math.isnan(rows[1][1]) and rows[2][1] == INF
    assert any("omitted value" in n for n in r.notes)
    assert r.warnings == ["L2 of row 3: the result is outside the float64 range"]
    r = dist.transform_rows_result(A, iter([Block(1, [[1.0, 2.0, 3.0]])]), [2.0])
    with pytest.raises(CoreError, match="row 1: A has 2 columns but the row has 3 values"):
        list(r.iter_batches())


# ---------------------------------------------------------------------------
# Unit-ball outlines
# ---------------------------------------------------------------------------


def points(p, A=None, n=721):
    x, y = dist.ball_boundary(p, A, n)
    assert x[0] == x[-1] and y[0] == y[-1]  # closed
    angle = np.mod(np.arctan2(y[:-1], x[:-1]), 2 * math.pi)
    assert (np.diff(angle) > 0).all()  # once around, in order
    return x, y, set(zip(x.tolist(), y.tolist()))


def test_ball_l1_is_the_diamond_with_its_vertices():
    x, y, pts = points(1.0)
    assert np.max(np.abs(np.abs(x) + np.abs(y) - 1)) <= 1e-15
    assert {(1.0, 0.0), (0.0, 1.0), (-1.0, 0.0), (0.0, -1.0)} <= {(a + 0.0, b + 0.0) for a, b in pts}
    assert len(x) >= 721


def test_ball_l2_and_linf_and_star():
    x, y, _ = points(2.0)
    assert np.max(np.abs(np.hypot(x, y) - 1)) <= 2e-16
    x, y, pts = points(INF)
    assert np.max(np.abs(np.maximum(np.abs(x), np.abs(y)) - 1)) == 0
    assert {(1.0, 1.0), (-1.0, 1.0), (-1.0, -1.0), (1.0, -1.0)} <= pts
    x, y, pts = points(0.5)
    assert np.max(np.abs((np.sqrt(np.abs(x)) + np.sqrt(np.abs(y))) ** 2 - 1)) <= 1e-15
    assert (0.25, 0.25) in pts and (1.0, 0.0) in pts  # the diagonal and a cusp


def test_ball_through_a_matrix():
    x, y, _ = points(2.0, [[2.0, 0.0], [0.0, 1.0]])
    assert np.max(np.abs((2 * x) ** 2 + y**2 - 1)) <= 2 * EPS
    assert np.max(np.abs(x)) == 0.5 and np.max(np.abs(y)) == 1.0  # the semi-axes
    A = np.array([[1.0, 1.0], [0.0, 1.0]])
    x, y, pts = points(1.0, A)
    assert np.max(np.abs(np.abs(x + y) + np.abs(y) - 1)) <= EPS
    assert {(1.0, 0.0), (-1.0, 1.0), (-1.0, 0.0), (1.0, -1.0)} <= {(a + 0.0, b + 0.0) for a, b in pts}
    x, y, pts = points(INF, A)  # vertices A^-1 (+-1, +-1) = +-(0, 1), +-(2, -1)
    assert {(0.0, 1.0), (2.0, -1.0), (-2.0, 1.0)} <= {(a + 0.0, b + 0.0) for a, b in pts}
    # corners off the axes and diagonals: A^-1 e_i for p = 1, A^-1 (1, +-1) for p = inf
    A = np.array([[2.0, 1.0], [1.0, 3.0]])
    x, y, pts = points(1.0, A)
    assert {(-0.2, 0.4), (0.2, -0.4), (0.6, -0.2), (-0.6, 0.2)} <= pts
    assert np.max(np.abs(np.abs(2 * x + y) + np.abs(x + 3 * y) - 1)) <= 2 * EPS
    x, y, pts = points(INF, A)
    assert {(-0.8, 0.6), (0.8, -0.6), (0.4, 0.2), (-0.4, -0.2)} <= pts
    # a 3x2 A: the corners of ||A x||_1 are where a component of A x vanishes
    A = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, -1.0]])
    x, y, pts = points(1.0, A)
    assert np.max(np.abs(np.abs(x) + np.abs(y) + np.abs(x - y) - 1)) <= 4e-16
    assert {(0.5, 0.5), (0.0, 0.5), (0.5, 0.0)} <= {(a + 0.0, b + 0.0) for a, b in pts}


def test_ball_errors():
    for p, name in [(0.0, "0"), (-1.0, "-1"), (-INF, "-inf")]:
        with pytest.raises(ValueError, match=rf"^the unit ball of p = {name} is unbounded; give p > 0$"):
            dist.ball_boundary(p)
    with pytest.raises(ValueError, match=r"^the unit ball of a seminorm is unbounded: A has rank 1 < 2$"):
        dist.ball_boundary(2.0, [[1.0, 2.0], [2.0, 4.0]])
    with pytest.raises(ValueError, match="A needs 2 columns; it has 3"):
        dist.ball_boundary(2.0, np.eye(3))
