"""Tests of the numerics in :mod:`normcli.core.norms`.

The reference values never come from the code under test:

* for integer p (1, 2, 3, 7, 10) the power sum is computed exactly with
  Python integers (every float is an integer times a power of two), and the
  p-th root is taken with mpmath at 320 bits;
* for other p the power sum is computed with mpmath at 120 bits;
* a reference is then rounded to the nearest double exactly, through
  ``fractions.Fraction`` (``float(mpf)`` in mpmath truncates, and
  ``math.ldexp`` would round twice in the subnormal range).

Errors are measured in ulps of that correctly rounded double.
"""

from __future__ import annotations

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

from normcli.core.norms import (
    NAMED_ORDERS,
    NormAccumulator,
    Outcome,
    matrix_norm,
    norm,
    parse_order,
    power_mean,
    power_sum,
    row_norms,
)

INF = math.inf
KINDS = ("norm", "power", "mean")
TINY = 2.0**-1022  # smallest normal double

# ---------------------------------------------------------------------------
# High-precision references
# ---------------------------------------------------------------------------


def _mantissas(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """|x_i| = m_i * 2**e_i exactly for the non-zero x_i, with int64 m_i < 2**53."""
    a = np.abs(np.asarray(x, dtype=np.float64))
    a = a[a != 0]
    f, e = np.frexp(a)  # frexp normalizes subnormals too
    m = np.ldexp(f, 53).astype(np.int64)
    return m, e.astype(np.int64) - 53


def _distinct(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct non-zero |x_i| and how often each occurs."""
    a = np.abs(np.asarray(x, dtype=np.float64))
    return np.unique(a[a != 0], return_counts=True)


def exact_power_sum(x: np.ndarray, p: int) -> Fraction:
    """sum |x_i|**p exactly, for a positive integer p."""
    values, counts = _distinct(x)
    if values.size == 0:
        return Fraction(0)
    m, e = _mantissas(values)  # values are sorted, so e is non-decreasing
    exps, starts = np.unique(e, return_index=True)
    bounds = [*starts.tolist(), m.size]
    emin = int(exps[0])
    total = 0
    for k, ev in enumerate(exps.tolist()):
        group = m[bounds[k] : bounds[k + 1]].astype(object)
        times = counts[bounds[k] : bounds[k + 1]].astype(object)
        total += int((times * group**p).sum()) << (p * (ev - emin))
    return Fraction(total) * Fraction(2) ** (p * emin)


def mp_power_sum(x: np.ndarray, p: float) -> mpmath.mpf:
    """sum |x_i|**p with mpmath at the current precision (x_i exact as mpf)."""
    pp = mpmath.mpf(p)
    values, counts = _distinct(x)
    return mpmath.fsum(c * mpmath.mpf(v) ** pp for v, c in zip(values.tolist(), counts.tolist()))


def references(x: np.ndarray, p: float) -> dict[str, float]:
    """Correctly rounded norm, power sum and power mean of x (finite p > 0)."""
    n = x.size
    if p == int(p):
        s = exact_power_sum(x, int(p))
        with mpmath.workprec(320):
            sm = mpmath.mpf(s.numerator) / s.denominator  # denominator: power of 2
            return {
                "power": to_double(s),
                "norm": to_double(s) if p == 1 else to_double(mpmath.root(sm, int(p))),
                "mean": to_double(s / n) if p == 1 else to_double(mpmath.root(sm / n, int(p))),
            }
    with mpmath.workprec(120):
        s = mp_power_sum(x, p)
        inv = 1 / mpmath.mpf(p)
        return {"power": to_double(s), "norm": to_double(s**inv), "mean": to_double((s / n) ** inv)}


def root_times(v: float, k: int) -> float:
    """The double nearest to v * 2**(1/k), for a double v (k = 2: sqrt(2) v)."""
    with mpmath.workprec(320):
        return to_double(mpmath.mpf(v) * mpmath.root(2, k))


# ---------------------------------------------------------------------------
# Test vectors (fixed seeds)
# ---------------------------------------------------------------------------

MAGNITUDES = (3e-320, 1e-310, 1e-200, 1.0, 1e200, 1e300)
SHAPES = ("gauss", "spread", "pool")


def make_vector(n: int, mag: float, shape: str, seed: int) -> np.ndarray:
    """A reproducible vector of n values around ``mag``.

    ``gauss``: mag * N(0, 1). ``spread``: random signs, magnitudes spread
    log-uniformly over 2**-60 .. 1 times mag (in the subnormal range some
    of them round to zero, which is part of the test). ``pool``: n draws
    from 2000 gauss values, so that a high-precision reference of a long
    vector costs only 2000 powers.
    """
    rng = np.random.default_rng([seed, n, int(math.log2(mag)) + 2000, SHAPES.index(shape)])
    if shape == "gauss":
        return rng.standard_normal(n) * mag
    if shape == "pool":
        return rng.choice(rng.standard_normal(2000) * mag, n)
    signs = rng.choice([-1.0, 1.0], n)
    return signs * (mag * np.exp2(rng.uniform(-60.0, 0.0, n)))


def accuracy_errors(p: float, mag: float, cases) -> dict[str, tuple[float, str]]:
    """Worst ulp error of norm / power_sum / power_mean over ``cases``.

    ``cases`` is a sequence of (shape, n); returns {kind: (ulps, case)}.
    """
    worst = {}
    funcs = {"norm": norm, "power": power_sum, "mean": power_mean}
    for shape, n in cases:
        x = make_vector(n, mag, shape, seed=20240611)
        if math.isinf(p):
            ref = float(np.max(np.abs(x)))  # exact
            refs = {"norm": ref, "mean": ref}
        else:
            refs = references(x, p)
        for kind, ref in refs.items():
            got = funcs[kind](x, p)
            err = ulps(got, ref)
            if kind not in worst or err > worst[kind][0]:
                worst[kind] = (err, f"{shape} n={n}: got {got!r}, reference {ref!r}")
    return worst


def _cases(**sizes) -> tuple[tuple[str, int], ...]:
    return tuple((shape, n) for shape, ns in sizes.items() for n in ns)


SMALL_SIZES = (1, 2, 3, 10, 1000)
# p = 1, 2, inf: exact integer references, up to 10**6 distinct values.
EXACT_CASES = _cases(gauss=SMALL_SIZES + (100_000, 1_000_000), spread=SMALL_SIZES + (100_000,),
                     pool=(1_000_000,))
# p = 3, 7, 10: exact integer references, up to 10**5 distinct values.
INT_CASES = _cases(gauss=SMALL_SIZES + (100_000,), spread=SMALL_SIZES + (100_000,),
                   pool=(100_000, 1_000_000))
# Other p: mpmath at 120 bits, 10**4 distinct values; 10**6 from a pool of 2000.
MP_CASES = _cases(gauss=SMALL_SIZES + (10_000,), spread=SMALL_SIZES, pool=(100_000, 1_000_000))


def _check(worst: dict, limit: float) -> None:
    bad = {kind: w for kind, w in worst.items() if w[0] > limit}
    assert not bad, f"errors above {limit} ulp: {bad}"


@pytest.mark.parametrize("mag", MAGNITUDES)
@pytest.mark.parametrize("p", [1.0, 2.0, INF])
def test_accuracy_within_1_ulp_for_p_1_2_inf(p, mag):
    _check(accuracy_errors(p, mag, EXACT_CASES), 1.0)


@pytest.mark.parametrize("mag", MAGNITUDES)
@pytest.mark.parametrize("p", [3.0, 7.0, 10.0])
def test_accuracy_within_2_ulp_integer_p(p, mag):
    _check(accuracy_errors(p, mag, INT_CASES), 2.0)


@pytest.mark.parametrize("mag", MAGNITUDES)
@pytest.mark.parametrize("p", [0.5, 0.75, 1.5, 4.5])
def test_accuracy_within_2_ulp_fractional_p(p, mag):
    _check(accuracy_errors(p, mag, MP_CASES), 2.0)


@pytest.mark.parametrize("p", [0.5, 0.75, 1.5, 3.0, 4.5, 7.0, 10.0])
@pytest.mark.parametrize("v", [1e-310, 1e-300, 1e-200, 1e-20, 3.0, 1e20, 1e200, 1e300])
def test_single_entry_norm_is_its_magnitude(v, p):
    # ||[v]||_p = |v| and the power mean of [v, v, v] is |v|, for every p.
    assert ulps(norm([-v], p), v) <= 2.0, (v, p, norm([-v], p))
    assert ulps(power_mean([v, -v, v], p), v) <= 2.0, (v, p, power_mean([v, -v, v], p))


def test_reference_machinery_is_sound():
    # The references are independent of the code under test; check them
    # against cases known in closed form.
    assert root_times(1e200, 2) == 1.414213562373095e200  # the value in DESIGN.md
    assert root_times(3.0, 1) == 6.0 and root_times(2.0**-1074, 2) == 2.0**-1074
    assert to_double(Fraction(5, 2**1074)) == 5 * 2.0**-1074
    assert to_double(Fraction(5, 2**1075)) == 2 * 2.0**-1074  # tie -> even
    assert to_double(Fraction(2**1024)) == INF
    x = np.array([3e-320, -4e-320, 1.5, -2.25e100])
    assert exact_power_sum(x, 1) == sum(Fraction(abs(v)) for v in x.tolist())
    assert exact_power_sum(x, 3) == sum(Fraction(abs(v)) ** 3 for v in x.tolist())
    assert references(np.array([3.0, 4.0]), 2.0)["norm"] == 5.0
    assert references(np.array([3.0, 4.0]), 1.5)["power"] == to_double(
        mpmath.mpf(27) ** 0.5 + 8
    )
    assert ulps(1.0 + 2**-52, 1.0) == 1.0 and ulps(INF, INF) == 0.0
    # repeated values are counted with their multiplicity
    y = np.array([0.5, -0.5, 3.0, 0.0, 0.5])
    assert exact_power_sum(y, 2) == Fraction(3, 4) + 9
    with mpmath.workprec(120):
        assert mp_power_sum(y, 1.5) == 3 * mpmath.mpf(0.5) ** 1.5 + mpmath.mpf(3) ** 1.5


# ---------------------------------------------------------------------------
# Overflow and underflow
# ---------------------------------------------------------------------------

BIG = np.array([1e200, 1e200])
SMALL = np.array([3e-320, 4e-320])
ALL_P = (0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 4.5, 7.0, 10.0)


def test_spec_examples():
    assert norm([1e200, 1e200]) == 1.414213562373095e200
    assert norm([1e200, 1e200]) == 1.4142135623730951e200  # same double
    assert norm([1e200, 1e200]) == root_times(1e200, 2)
    assert norm([3e-320, 4e-320]) == 5e-320
    assert norm([3.0, 4.0]) == 5.0


@pytest.mark.parametrize("x", [BIG, SMALL], ids=["1e200", "3e-320"])
@pytest.mark.parametrize("p", ALL_P)
def test_no_spurious_overflow_or_underflow(x, p):
    got = norm(x, p)
    assert math.isfinite(got) and got > 0
    limit = 1.0 if p in (1.0, 2.0) else 2.0
    assert ulps(got, references(x, p)["norm"]) <= limit
    assert ulps(power_mean(x, p), references(x, p)["mean"]) <= limit


@pytest.mark.parametrize("p", [2.0, 3.0, 4.5, 7.0, 10.0])
def test_numpy_really_overflows_and_underflows_there(p):
    with np.errstate(all="ignore"):
        assert np.linalg.norm(BIG, p) == INF
        assert np.linalg.norm(SMALL, p) == 0.0
    assert math.isfinite(norm(BIG, p)) and norm(SMALL, p) > 0


@pytest.mark.parametrize(
    "x, p, expected, note",
    [
        ([1e200, 1e200], 2.0, INF, "exceeds"),  # power sum 2e400
        ([1e300, 1e300], 3.0, INF, "exceeds"),
        ([1e-200, 1e-200], 2.0, 0.0, "below"),  # power sum 2e-400
        ([3e-320, 4e-320], 3.0, 0.0, "below"),
        ([1e-310], 20.0, 0.0, "below"),  # 1e-6200
    ],
)
def test_power_sum_out_of_range_is_inf_or_0_with_a_note(x, p, expected, note):
    assert power_sum(x, p) == expected
    out = NormAccumulator([p]).add(x).evaluate(p, "power")
    assert isinstance(out, Outcome)
    assert out.value == expected
    assert out.note is not None and note in out.note
    # The norm itself is in range and carries no note.
    n = NormAccumulator([p]).add(x).evaluate(p)
    assert math.isfinite(n.value) and n.value > 0 and n.note is None


@pytest.mark.parametrize("x, p", [([8e307] * 6, 2.0), ([8e307] * 3, 1.0), ([8e307] * 2, 0.5)])
def test_true_norm_overflow_is_inf_with_a_note(x, p):
    # 8e307 < 2**1023, and the true norms (about 1.96e308, 2.4e308, 3.2e308)
    # exceed the largest double.
    out = NormAccumulator([p]).add(x).evaluate(p)
    assert out.value == INF and out.note is not None
    assert norm(x, p) == INF


@pytest.mark.parametrize("p", [1.0, 2.0, 3.0, 1.5, 10.0, -1.0, INF])
@pytest.mark.parametrize("v", [1e308, 2.0**1023, 1.7976931348623157e308])
def test_largest_doubles(v, p):
    # Entries at or above 2**1023 (about 8.99e307) are ordinary doubles: the
    # norm of [v] and the power mean of [v, -v] are v (to the ulp targets),
    # never 0 or nan.
    got = norm([v], p)
    assert ulps(got, v) <= 2.0, (v, p, got)
    got = power_mean([v, -v], p)
    assert ulps(got, v) <= 2.0, (v, p, got)


@pytest.mark.parametrize("p", [1.0, 2.0, 3.0])
def test_largest_doubles_two_entries(p):
    x = np.array([1e308, 1e308])
    expected = root_times(1e308, int(p))  # inf (2e308), 1.41e308, 1.26e308
    got = norm(x, p)
    assert got == expected or ulps(got, expected) <= 2.0, (p, got, expected)


def test_largest_doubles_matrix_and_rows():
    a = np.array([[1e308, 0.0], [0.0, 1e308]])
    assert ulps(matrix_norm(a, "fro").value, root_times(1e308, 2)) <= 1
    assert row_norms(a, 2.0)[0].tolist() == [1e308, 1e308]


# ---------------------------------------------------------------------------
# Special orders and special values
# ---------------------------------------------------------------------------


def test_p0_counts_nonzeros():
    x = np.array([0.0, -0.0, 1.5, -2.0, 5e-324, 0.0, INF, -1e300])
    assert norm(x, 0) == 5
    assert power_sum(x, 0) == 5
    assert norm(x, 0) == np.count_nonzero(x) == np.linalg.norm(x, 0)
    assert norm(np.zeros(4), 0) == 0


def test_power_mean_p0_is_the_geometric_mean():
    assert power_mean([1.0, 4.0], 0) == 2.0
    assert power_mean([2.0, 8.0, 4.0], 0) == 4.0  # exactly: the exponents add up as integers
    assert power_mean([5.0], 0) == 5.0 and power_mean([2.0, 8.0], 0) == 4.0
    assert power_mean([0.0, 4.0], 0) == 0.0
    assert power_mean([1e300, 1e-300, 7.0], 0) == pytest.approx(7.0 ** (1 / 3), rel=1e-15)


def numpy_formula(x, p):
    with np.errstate(all="ignore"):
        return float(np.sum(np.abs(np.asarray(x, dtype=np.float64)) ** p) ** (1.0 / p))


@pytest.mark.parametrize("p", [0.1, 0.25, 0.5, 0.75, 0.99, -0.5, -1.0, -2.0, -3.5])
def test_quasi_and_negative_orders_follow_numpys_formula(p):
    rng = np.random.default_rng(7)
    for n in (1, 2, 5, 100, 5000):
        for scale in (1e-5, 1.0, 1e5):
            x = rng.standard_normal(n) * scale
            expected = numpy_formula(x, p)
            assert math.isfinite(expected) and expected > 0
            assert math.isclose(norm(x, p), expected, rel_tol=1e-13), (n, scale)
            assert math.isclose(norm(x, p), float(np.linalg.norm(x, p)), rel_tol=1e-13)
            assert math.isclose(power_sum(x, p), float(np.sum(np.abs(x) ** p)), rel_tol=1e-13)
            assert math.isclose(power_mean(x, p), expected / n ** (1 / p), rel_tol=1e-13)


@pytest.mark.parametrize("p", [-0.5, -1.0, -2.0])
def test_negative_p_with_a_zero_is_zero_like_numpy(p):
    x = [1.0, 0.0, 3.0]
    assert numpy_formula(x, p) == 0.0
    assert norm(x, p) == 0.0
    assert power_sum(x, p) == INF
    assert power_mean(x, p) == 0.0


@pytest.mark.parametrize("p", [-0.5, -1.0, -2.0])
def test_negative_p_ignores_infinite_entries_like_numpy(p):
    x = [INF, 2.0, -INF, 4.0]
    assert math.isclose(norm(x, p), numpy_formula(x, p), rel_tol=1e-15)
    assert math.isclose(norm(x, p), (2.0**p + 4.0**p) ** (1 / p), rel_tol=1e-15)


def test_inf_and_minus_inf_orders():
    rng = np.random.default_rng(3)
    x = rng.standard_normal(1001) * 1e-100
    x[17] = -7e-98
    assert norm(x, INF) == 7e-98 == np.max(np.abs(x))
    assert power_mean(x, INF) == 7e-98
    assert norm(x, -INF) == np.min(np.abs(x))
    assert power_mean(x, -INF) == np.min(np.abs(x))
    assert norm([3.0, -0.0, 2.0], -INF) == 0.0
    assert norm([-5.0, INF], -INF) == 5.0
    assert norm([-5.0, -INF], INF) == INF
    with pytest.raises(ValueError):
        power_sum(x, INF)
    with pytest.raises(ValueError):
        power_sum(x, -INF)


@pytest.mark.parametrize("p", [0.0, 0.5, 1.0, 2.0, 3.0, -1.0, INF, -INF])
def test_nan_propagates(p):
    x = [1.0, math.nan, 2.0]
    assert math.isnan(norm(x, p))
    assert math.isnan(power_mean(x, p))
    if math.isfinite(p):
        assert math.isnan(power_sum(x, p))
    acc = NormAccumulator([p]).add([1.0, 2.0]).merge(NormAccumulator([p]).add([math.nan]))
    assert math.isnan(acc.evaluate(p).value)


@pytest.mark.parametrize("p", [0.5, 1.0, 1.5, 2.0, 3.0, 10.0, 2000.0, INF])
def test_infinite_entries_give_inf_for_positive_p(p):
    for x in ([1.0, INF, 2.0], [-INF], [0.0, -INF, 1e-300]):
        assert norm(x, p) == INF
        assert power_mean(x, p) == INF
        if math.isfinite(p):
            assert power_sum(x, p) == INF


def test_empty_vector_is_an_error():
    with pytest.raises(ValueError):
        norm([], 2.0)


def test_all_zero_vector():
    for p in (0.5, 1.0, 2.0, 3.0, INF, -INF):
        assert norm(np.zeros(5), p) == 0.0
        assert power_mean(np.zeros(5), p) == 0.0


# ---------------------------------------------------------------------------
# Properties (hypothesis)
# ---------------------------------------------------------------------------

PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Values up to 1e300 in magnitude, subnormals included.
wide = st.floats(min_value=-1e300, max_value=1e300, allow_nan=False, allow_infinity=False)
wide_vectors = st.lists(wide, min_size=1, max_size=40).map(lambda v: np.array(v, dtype=np.float64))


def moderate_floats():
    mag = st.floats(min_value=1e-20, max_value=1e20)
    return st.one_of(st.just(0.0), st.builds(lambda m, s: m if s else -m, mag, st.booleans()))


moderate_vectors = st.lists(moderate_floats(), min_size=1, max_size=40).map(np.array)

P_ANY = st.sampled_from([0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 4.5, 7.0, 10.0, -1.0, -2.5, INF, -INF])
P_NORM = st.sampled_from([1.0, 1.5, 2.0, 3.0, 4.5, 7.0, 10.0, INF])


@PROPERTY
@given(x=wide_vectors, k=st.integers(-300, 300),
       p=st.sampled_from([1.0, 1.5, 2.0, 3.0, 4.5, 10.0, INF, -INF, -1.0, -2.5]))
def test_homogeneity_power_of_two_is_exact(x, k, p):
    c = 2.0**k
    with np.errstate(over="ignore", under="ignore"):
        cx = x * c
    # c * x must be exact (subnormal entries are fine), and both results
    # normal (the rounding of a subnormal result is not scale invariant).
    assume(np.all(np.isfinite(cx)) and np.array_equal(cx / c, x))
    base = norm(x, p)
    # a true 0 (not a subnormal result that rounded to 0) scales exactly too
    true_zero = bool(np.any(x == 0)) if p < 0 else not np.any(x)
    # strictly above TINY: a base of exactly TINY may be a subnormal true value rounded up
    assume((base == 0 and true_zero) or (TINY < base and TINY < base * c < 1e300))
    assert norm(cx, p) == c * base
    assert norm(-cx, p) == c * base


@PROPERTY
@given(x=moderate_vectors, c=st.floats(min_value=1e-5, max_value=1e5), neg=st.booleans(), p=P_ANY)
def test_homogeneity(x, c, neg, p):
    c = -c if neg else c
    lhs, rhs = norm(c * x, p), abs(c) * norm(x, p)
    assert math.isclose(lhs, rhs, rel_tol=16 * 2.0**-53), (lhs, rhs)


@PROPERTY
@given(x=moderate_vectors, k=st.integers(-20, 20), p=st.sampled_from([0.5, 0.75, 0.25]))
def test_homogeneity_quasi_norm_power_of_two(x, k, p):
    c = 2.0**k
    # each side within 2 ulp of the truth: they differ by at most 4 ulp
    assert math.isclose(norm(c * x, p), c * norm(x, p), rel_tol=8 * 2.0**-53)


@PROPERTY
@given(data=st.data(), p=P_NORM)
def test_triangle_inequality(data, p):
    n = data.draw(st.integers(1, 30))
    elems = st.floats(min_value=-1e150, max_value=1e150)
    x = np.array(data.draw(st.lists(elems, min_size=n, max_size=n)))
    y = np.array(data.draw(st.lists(elems, min_size=n, max_size=n)))
    assert norm(x + y, p) <= (norm(x, p) + norm(y, p)) * (1 + 4 * 2.0**-52)


@PROPERTY
@given(x=moderate_vectors,
       p=st.sampled_from([0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 4.5, 7.0, 10.0, -1.0, -2.5, INF, -INF, 0.0]))
def test_agrees_with_numpy(x, p):
    with np.errstate(all="ignore"):
        expected = float(np.linalg.norm(x, p))
    assume(math.isfinite(expected) and expected > 0)
    assert math.isclose(norm(x, p), expected, rel_tol=1e-13), (norm(x, p), expected)


MERGE_ORDERS = (0.0, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 4.5, -1.0, -2.5, INF, -INF)
EXACT_MERGE = {0.0, 1.0, 2.0, 3.0, -1.0, INF, -INF}


def _outcomes(acc: NormAccumulator) -> dict:
    out = {}
    for p in MERGE_ORDERS:
        for kind in KINDS:
            if kind == "power" and math.isinf(p):
                continue
            out[p, kind] = acc.evaluate(p, kind).value
    return out


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(x=wide_vectors, data=st.data())
def test_merge_of_any_chunking_in_any_tree_equals_one_pass(x, data):
    cuts = sorted(data.draw(st.lists(st.integers(0, x.size), max_size=6), label="cuts"))
    accs = [NormAccumulator(MERGE_ORDERS).add(piece) for piece in np.split(x, cuts)]
    while len(accs) > 1:  # merge two random partial results, in a random order
        a = accs.pop(data.draw(st.integers(0, len(accs) - 1), label="left"))
        b = accs.pop(data.draw(st.integers(0, len(accs) - 1), label="right"))
        accs.append(a.merge(b))
    merged = accs[0]
    one = NormAccumulator(MERGE_ORDERS).add(x)
    assert (merged.count, merged.nonzero, merged.zeros) == (one.count, one.nonzero, one.zeros)
    got, want = _outcomes(merged), _outcomes(one)
    for (p, kind), w in want.items():
        g = got[p, kind]
        if p in EXACT_MERGE and not (p == 0 and kind == "mean"):
            assert g == w, (p, kind, g, w)
        else:
            assert ulps(g, w) <= 1.0, (p, kind, g, w)


def test_merge_example_against_reference():
    rng = np.random.default_rng(11)
    x = np.concatenate([rng.standard_normal(5000) * 1e-300, rng.standard_normal(3) * 1e250,
                        rng.standard_normal(4000)])
    orders = (1.0, 2.0, 3.0)
    accs = [NormAccumulator(orders).add(piece) for piece in np.array_split(x, 7)]
    merged = accs[0]
    for acc in accs[1:]:
        merged = acc.merge(merged)
    for p in orders:
        assert ulps(merged.evaluate(p).value, references(x, p)["norm"]) <= (1.0 if p < 3 else 2.0)
    with pytest.raises(ValueError):
        NormAccumulator([1.0]).merge(NormAccumulator([2.0]))


finite_or_special = st.one_of(
    st.floats(min_value=-1e300, max_value=1e300), st.sampled_from([0.0, math.nan, INF, -INF])
)


@PROPERTY
@given(
    a=hnp.arrays(np.float64, st.tuples(st.integers(1, 6), st.integers(1, 12)),
                 elements=st.floats(min_value=-1e300, max_value=1e300)),
    p=st.sampled_from([0.0, 0.5, 1.0, 1.5, 2.0, 3.0, 4.5, 10.0, -1.0, -2.5, INF, -INF]),
    kind=st.sampled_from(KINDS),
)
def test_row_norms_equal_norm_of_each_row(a, p, kind):
    assume(not (kind == "power" and math.isinf(p)))
    funcs = {"norm": norm, "power": power_sum, "mean": power_mean}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        values, flags = row_norms(a, p, kind)
    expected = np.array([funcs[kind](row, p) for row in a], dtype=np.float64)
    np.testing.assert_array_equal(values, expected)
    for i, row in enumerate(a):
        assert flags[i] == (NormAccumulator([p]).add(row).evaluate(p, kind).note is not None)


@PROPERTY
@given(
    a=hnp.arrays(np.float64, st.tuples(st.integers(1, 5), st.integers(1, 8)), elements=finite_or_special),
    data=st.data(),
    p=st.sampled_from([0.0, 0.5, 1.0, 2.0, 3.0, -1.0, INF, -INF]),
    kind=st.sampled_from(KINDS),
)
def test_row_norms_with_special_values_and_keep_mask(a, data, p, kind):
    assume(not (kind == "power" and math.isinf(p)))
    keep = data.draw(hnp.arrays(bool, a.shape))
    keep[:, 0] = True  # every row keeps at least one cell
    funcs = {"norm": norm, "power": power_sum, "mean": power_mean}
    values, _ = row_norms(a, p, kind, keep)
    expected = np.array([funcs[kind](a[i][keep[i]], p) for i in range(a.shape[0])], dtype=np.float64)
    np.testing.assert_array_equal(values, expected)


def test_row_norms_reference_examples():
    a = np.array([[3.0, 4.0], [1e200, 1e200], [3e-320, 4e-320]])
    values, flags = row_norms(a, 2.0)
    assert values.tolist() == [5.0, 1.414213562373095e200, 5e-320]
    assert not flags.any()
    values, flags = row_norms(a, 2.0, "power")
    assert values.tolist() == [25.0, INF, 0.0]
    assert flags.tolist() == [False, True, True]


# ---------------------------------------------------------------------------
# Matrix norms
# ---------------------------------------------------------------------------

MATRIX_NUMPY = {"fro": "fro", "nuc": "nuc", "2": 2, "-2": -2, "1": 1, "-1": -1, "inf": INF, "-inf": -INF}


@pytest.mark.parametrize("order", list(MATRIX_NUMPY))
@pytest.mark.parametrize("shape", [(1, 1), (3, 3), (5, 2), (2, 7), (40, 30)])
def test_matrix_norm_agrees_with_numpy(order, shape):
    rng = np.random.default_rng(sum(shape))
    for scale in (1e-3, 1.0, 1e3):
        a = rng.standard_normal(shape) * scale
        out = matrix_norm(a, order)
        assert out.note is None
        assert math.isclose(out.value, float(np.linalg.norm(a, MATRIX_NUMPY[order])), rel_tol=1e-13)


@pytest.mark.parametrize("order", ["fro", "nuc", "2", "1", "inf"])
def test_matrix_norm_of_huge_entries_is_finite(order):
    a = np.full((3, 3), 1e300)
    out = matrix_norm(a, order)
    assert math.isfinite(out.value) and out.note is None
    # rank one: every one of these norms is 3e300 (sum of 3 entries)
    assert math.isclose(out.value, 3e300, rel_tol=1e-13)
    if order == "fro":
        assert out.value == to_double(3 * Fraction(1e300))
        with np.errstate(all="ignore"):
            assert np.linalg.norm(a, "fro") == INF  # numpy squares unscaled values
    # a non-trivial matrix: the same norms as its scaled-down copy, scaled back
    b = np.random.default_rng(5).standard_normal((4, 6))
    huge = b * 2.0**990  # exact
    assert math.isclose(matrix_norm(huge, order).value,
                        float(np.linalg.norm(b, MATRIX_NUMPY[order])) * 2.0**990, rel_tol=1e-13)


def test_matrix_norm_of_subnormal_entries():
    a = np.array([[3e-320, 0.0], [0.0, 4e-320]])
    assert matrix_norm(a, "fro").value == 5e-320
    assert matrix_norm(a, "nuc").value == 7e-320
    assert matrix_norm(a, "2").value == 4e-320
    with np.errstate(all="ignore"):
        assert np.linalg.norm(a, "fro") == 0.0


def test_matrix_norm_errors_and_specials():
    with pytest.raises(ValueError):
        matrix_norm(np.ones(3), "fro")
    with pytest.raises(ValueError):
        matrix_norm(np.ones((2, 2)), "3")
    with pytest.raises(ValueError):
        matrix_norm(np.ones((0, 2)), "fro")
    assert matrix_norm(np.zeros((2, 2)), "2").value == 0.0
    assert math.isnan(matrix_norm([[1.0, math.nan]], "nuc").value)
    assert matrix_norm([[1.0, INF]], "1").value == INF


# ---------------------------------------------------------------------------
# parse_order
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, p",
    [
        ("l1", 1.0), ("L1", 1.0), ("taxicab", 1.0), ("Manhattan", 1.0), ("MANHATTAN", 1.0),
        ("l2", 2.0), ("L2", 2.0), ("euclidean", 2.0), ("Euclidean", 2.0),
        ("linf", INF), ("LINF", INF), ("max", INF), ("Max", INF), ("chebyshev", INF), ("Chebyshev", INF),
        (" l2 ", 2.0), ("2", 2.0), ("0.5", 0.5), ("-1", -1.0), ("1e1", 10.0), ("3.25", 3.25), ("0", 0.0),
        ("inf", INF), ("Inf", INF), ("+inf", INF), ("infinity", INF), ("-inf", -INF), ("-INF", -INF),
    ],
)
def test_parse_order(text, p):
    assert parse_order(text) == p


def test_every_named_order_parses():
    assert set(NAMED_ORDERS) == {"l1", "l2", "linf", "max", "taxicab", "manhattan", "euclidean", "chebyshev"}
    for name, p in NAMED_ORDERS.items():
        assert parse_order(name) == p
        assert parse_order(name.upper()) == p
        assert parse_order(name.title()) == p


@pytest.mark.parametrize("text", ["abc", "1_0", "", "  ", "nan", "NaN", "l3", "1,5", "2x", "--1", "euclid"])
def test_parse_order_rejects_junk(text):
    with pytest.raises(ValueError) as err:
        parse_order(text)
    message = str(err.value)
    assert repr(text) in message
    assert "euclidean" in message and "inf" in message
