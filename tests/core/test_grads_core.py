"""Tests of the (sub)gradients, Hessians and checks in :mod:`normcli.core.grads`.

No reference here comes from the code under test:

* derivatives are central differences of the norm evaluated with mpmath at
  120 digits with a relative step of 1e-30 (truncation error ~1e-60, far
  below a double's resolution); Hessians are second differences the same
  way; matrix references use mpmath's own SVD at 40 digits;
* at points whose dynamic range makes differences impractical (1e300 next
  to 1e-300, p = 20000) the reference is the textbook closed form
  sign(x_i) (|x_i| / ||x||_p)^(p-1) (or p sign(x_i) |x_i|^(p-1)) evaluated
  in mpmath, whose exponent range is unbounded;
* the conventions at non-differentiable points are literal numbers that
  were computed with torch 2.13.0 (CPU wheel, float64)
  ``torch.linalg.vector_norm(x, ord).backward()`` /
  ``torch.linalg.matrix_norm(a, ord).backward()`` in a scratch venv; torch
  is not imported here.
"""

from __future__ import annotations

import math
import sys

import mpmath
import numpy as np
import pytest
from conftest import ulps
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from normcli.core.grads import (
    TOLERANCE,
    Gradient,
    check,
    failed_component,
    finite_difference,
    function_name,
    grad,
    hessian,
    hessian_check,
    matrix_function,
    matrix_grad,
    vector_function,
)

INF = math.inf
KINDS = ("norm", "power", "mean")
MAX = sys.float_info.max
TINY = 2.0**-1022  # smallest normal double
SUBNORMAL_ULP = 2.0**-1074
U = 2.0**-53  # unit roundoff

PROPERTY = settings(max_examples=40, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
SLOW_PROPERTY = settings(max_examples=12, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])


# ---------------------------------------------------------------------------
# Independent references (mpmath)
# ---------------------------------------------------------------------------


def mpv(x) -> list:
    """The entries of x as exact mpf values."""
    return [mpmath.mpf(float(v)) for v in np.asarray(x, dtype=np.float64).ravel()]


def mp_value(xs, p: float, kind: str = "norm"):
    """||x||_p, ||x||_p^p ("power") or ||x||_p / n^(1/p) ("mean", geometric mean for p = 0)."""
    a = [abs(v) for v in xs]
    n = len(a)
    if p == INF:
        return max(a)
    if p == -INF:
        return min(a)
    if p == 0:
        assert kind == "mean"
        return mpmath.exp(mpmath.fsum(mpmath.log(v) for v in a) / n)
    big_p = mpmath.mpf(p)
    total = mpmath.fsum(v**big_p for v in a)
    if kind == "power":
        return total
    if kind == "mean":
        total = total / n
    return total ** (1 / big_p)


def mp_gradient(x, p: float, kind: str = "norm") -> list:
    """Central differences of mp_value at 120 digits, relative step 1e-30."""
    with mpmath.workdps(120):
        xs = mpv(x)
        out = []
        for i in range(len(xs)):
            h = abs(xs[i]) * mpmath.mpf(10) ** -30
            up, down = list(xs), list(xs)
            up[i] += h
            down[i] -= h
            out.append((mp_value(up, p, kind) - mp_value(down, p, kind)) / (2 * h))
        return out


def mp_hessian(x, p: float, kind: str = "norm") -> list:
    """Second central differences of mp_value at 120 digits, relative step 1e-25."""
    with mpmath.workdps(120):
        xs = mpv(x)
        n = len(xs)
        hs = [abs(v) * mpmath.mpf(10) ** -25 for v in xs]

        def at(**moves):
            ys = list(xs)
            for k, d in moves.items():
                ys[int(k[1:])] += d
            return mp_value(ys, p, kind)

        f0 = mp_value(xs, p, kind)
        h = [[None] * n for _ in range(n)]
        for i in range(n):
            hi = hs[i]
            h[i][i] = (at(**{f"i{i}": hi}) - 2 * f0 + at(**{f"i{i}": -hi})) / hi**2
            for j in range(i + 1, n):
                hj = hs[j]
                v = (at(**{f"i{i}": hi, f"i{j}": hj}) - at(**{f"i{i}": hi, f"i{j}": -hj})
                     - at(**{f"i{i}": -hi, f"i{j}": hj}) + at(**{f"i{i}": -hi, f"i{j}": -hj})) / (4 * hi * hj)
                h[i][j] = h[j][i] = v
        return h


def closed_form_gradient(x, p: float, kind: str = "norm", dps: int = 100) -> list:
    """The textbook formulas, in mpmath (no overflow or underflow at any magnitude)."""
    with mpmath.workdps(dps):
        xs = mpv(x)
        big_p = mpmath.mpf(p)
        if kind == "power":
            return [big_p * mpmath.sign(v) * abs(v) ** (big_p - 1) for v in xs]
        f = mp_value(xs, p, "norm")
        g = [mpmath.sign(v) * (abs(v) / f) ** (big_p - 1) for v in xs]
        if kind == "mean":
            g = [gi / mpmath.mpf(len(xs)) ** (1 / big_p) for gi in g]
        return g


def rel_err(got: float, ref) -> float:
    with mpmath.workdps(50):
        return float(abs(mpmath.mpf(float(got)) - ref) / abs(ref))


def assert_matches(got: np.ndarray, ref: list, rtol: float) -> None:
    """Component by component: a finite reference within rtol, one beyond the
    float64 range as inf of its sign, one below the normal range within a few
    subnormal ulps."""
    assert len(got) == len(ref)
    with mpmath.workdps(50):
        for i, (gi, ri) in enumerate(zip(np.asarray(got).tolist(), ref)):
            if abs(ri) > MAX:
                assert gi == math.copysign(INF, float(mpmath.sign(ri))), (i, gi, ri)
            elif abs(ri) < TINY:
                assert math.isfinite(gi) and abs(mpmath.mpf(gi) - ri) <= 2 * SUBNORMAL_ULP + rtol * abs(ri), (i, gi, ri)
            else:
                assert math.isfinite(gi) and abs(mpmath.mpf(gi) - ri) <= rtol * abs(ri), (i, gi, mpmath.nstr(ri, 17))


# ---------------------------------------------------------------------------
# Strategies
# ---------------------------------------------------------------------------


def nonzero_entries(lo: float = 1e-3, hi: float = 1e3):
    return st.builds(lambda m, neg: -m if neg else m, st.floats(lo, hi), st.booleans())


def vectors(min_size: int = 1, max_size: int = 6, lo: float = 1e-3, hi: float = 1e3):
    return st.lists(nonzero_entries(lo, hi), min_size=min_size, max_size=max_size).map(
        lambda v: np.array(v, dtype=np.float64))


def matrices(max_rows: int = 3, max_cols: int = 4):
    shapes = st.tuples(st.integers(1, max_rows), st.integers(1, max_cols))
    return shapes.flatmap(lambda s: hnp.arrays(np.float64, s, elements=nonzero_entries(0.05, 10.0)))


def unique_extreme(x: np.ndarray, largest: bool = True, gap: float = 1e-3) -> bool:
    """One entry of largest (smallest) |x_i|, apart from the next by a relative gap."""
    a = np.sort(np.abs(x))
    if a.size == 1:
        return True
    if largest:
        return a[-2] < a[-1] * (1 - gap)
    return a[1] > a[0] * (1 + gap)


def conjugate(p: float) -> float:
    return INF if p == 1 else 1.0 if p == INF else p / (p - 1)


# ---------------------------------------------------------------------------
# 1. Properties: dual norm, Euler's identity, high-precision derivatives
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("p", [1.0, 1.1, 1.5, 2.0, 3.0, 4.5, 10.0, INF])
@PROPERTY
@given(x=vectors())
def test_dual_norm_of_the_gradient_is_one(p, x):
    # ||grad ||x||_p||_q = 1 with 1/p + 1/q = 1: the gradient is a unit vector of the dual norm.
    if p == INF:
        assume(unique_extreme(x, gap=0.0) or x.size == 1)
    g = grad(x, p)
    assert g.differentiable and g.reasons == []
    with mpmath.workdps(50):
        dual = mp_value(mpv(g.values), conjugate(p))
        assert abs(dual - 1) <= 1e-12, mpmath.nstr(dual, 20)
    if p == 1:
        assert g.values.tolist() == np.sign(x).tolist()
    if p == INF:
        k = int(np.argmax(np.abs(x)))
        want = np.zeros(x.size)
        want[k] = np.sign(x[k])
        assert g.values.tolist() == want.tolist()


@pytest.mark.parametrize("kind", ["norm", "mean"])
@pytest.mark.parametrize("p", [0.3, 0.5, 0.8, 1.0, 1.5, 2.0, 3.0, 10.0, INF, -0.5, -1.0, -3.0, -INF])
@PROPERTY
@given(x=vectors())
def test_euler_identity_for_the_norm_and_the_power_mean(p, kind, x):
    # Both are positively homogeneous of degree 1 for every p != 0 (norms,
    # quasi-norms and negative p alike), so grad . x = f(x); ties of +-inf too.
    g = grad(x, p, kind)
    with mpmath.workdps(50):
        ref = mp_value(mpv(x), p, kind)
        lhs = mpmath.fsum(mpmath.mpf(gi) * mpmath.mpf(xi) for gi, xi in zip(g.values.tolist(), x.tolist()))
        assert abs(lhs - ref) <= 1e-12 * ref, (mpmath.nstr(lhs, 20), mpmath.nstr(ref, 20))
    assert rel_err(g.value, ref) <= 4 * U  # the reported function value


@PROPERTY
@given(x=vectors())
def test_euler_identity_for_the_geometric_mean(x):
    g = grad(x, 0.0, "mean")
    assert g.differentiable
    with mpmath.workdps(50):
        ref = mp_value(mpv(x), 0.0, "mean")
        lhs = mpmath.fsum(mpmath.mpf(gi) * mpmath.mpf(xi) for gi, xi in zip(g.values.tolist(), x.tolist()))
        assert abs(lhs - ref) <= 1e-12 * ref


@pytest.mark.parametrize("p", [0.3, 0.5, 1.0, 1.5, 2.0, 3.0, 10.0, -0.5, -1.0, -3.0])
@PROPERTY
@given(x=vectors())
def test_euler_identity_for_the_power(p, x):
    # ||x||_p^p is homogeneous of degree p: grad . x = p ||x||_p^p.
    g = grad(x, p, "power")
    with mpmath.workdps(50):
        ref = p * mp_value(mpv(x), p, "power")
        lhs = mpmath.fsum(mpmath.mpf(gi) * mpmath.mpf(xi) for gi, xi in zip(g.values.tolist(), x.tolist()))
        assert abs(lhs - ref) <= 1e-12 * abs(ref)


GRADIENT_CASES = [(p, kind) for p in (0.3, 0.5, 1.0, 1.5, 2.0, 3.0, 4.5, 10.0, -1.0, -2.5) for kind in KINDS]


@pytest.mark.parametrize("p, kind", GRADIENT_CASES + [(0.0, "mean")])
@PROPERTY
@given(x=vectors())
def test_gradient_matches_high_precision_differences(p, kind, x):
    g = grad(x, p, kind)
    assert g.differentiable and g.notes == []
    ref = mp_gradient(x, p, kind)
    worst = max(rel_err(gi, ri) for gi, ri in zip(g.values.tolist(), ref))
    assert worst <= 16 * U, f"{worst / U:.1f} units of 2^-53"  # observed <= ~4


@pytest.mark.parametrize("p", [INF, -INF])
@PROPERTY
@given(x=vectors())
def test_max_and_min_gradient_match_high_precision_differences(p, x):
    assume(unique_extreme(x, largest=p > 0))
    g = grad(x, p)
    assert g.differentiable
    k = int(np.argmax(np.abs(x))) if p > 0 else int(np.argmin(np.abs(x)))
    want = np.zeros(x.size)
    want[k] = np.sign(x[k])
    assert g.values.tolist() == want.tolist()
    with mpmath.workdps(50):
        assert all(abs(mpmath.mpf(w) - r) < 1e-25 for w, r in zip(want.tolist(), mp_gradient(x, p)))


# ---------------------------------------------------------------------------
# 1b. Hessians
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["norm", "mean"])
@pytest.mark.parametrize("p", [1.5, 2.0, 3.0, 4.5, 10.0])
@PROPERTY
@given(x=vectors(min_size=2, lo=0.1, hi=10.0))
@example(x=np.array([1.0, 3.0]))
def test_hessian_is_symmetric_and_annihilates_x(p, kind, x):
    # f is 1-homogeneous, so grad f is 0-homogeneous and H x = 0.
    h = hessian(x, p, kind)
    assert h.shape == (x.size, x.size) and np.isfinite(h).all()
    scale = np.abs(h).max()
    assert np.abs(h - h.T).max() <= 1e-15 * scale
    # Normwise: H is accurate to rounding relative to its largest entry (a
    # diagonal entry of a dominant component, (p-1)/f (r^(p-2) - r^(2p-2)),
    # cancels and is accurate only to eps * max|H|), so that is the bound.
    hx = h @ x
    assert np.abs(hx).max() <= 1e-13 * scale * np.abs(x).sum(), (hx, scale)
    # and it is positive semi-definite (the norm is convex for p >= 1)
    assert np.linalg.eigvalsh(h).min() >= -1e-12 * scale


@pytest.mark.parametrize("kind", ["norm", "mean"])
@pytest.mark.parametrize("p", [1.5, 2.0, 3.0, 7.0])
@SLOW_PROPERTY
@given(x=vectors(min_size=2, max_size=4))
@example(x=np.array([1.0, 5.0]))
def test_hessian_matches_high_precision_second_differences(p, kind, x):
    h = hessian(x, p, kind)
    ref = mp_hessian(x, p, kind)
    with mpmath.workdps(50):
        scale = max(abs(v) for row in ref for v in row)
        for i in range(x.size):
            for j in range(x.size):
                err = abs(mpmath.mpf(float(h[i, j])) - ref[i][j])
                assert err <= 1e-13 * scale, (i, j, h[i, j], mpmath.nstr(ref[i][j], 17))


@pytest.mark.parametrize("x, p", [
    ([1.0, 30.0], 10.0),   # H[1,1] true 5.0805263425e-16 (r^(p-2) - g^2 gave 6.66e-16)
    ([1.0, 10.0], 10.0),   # (that form: 8e-8 relative error)
    ([1.0, 1000.0], 3.0),  # (that form: 1.4e-7 relative error)
])
def test_hessian_diagonal_of_a_dominant_component_is_accurate(x, p):
    # H_kk = (p-1)/f r_k^(p-2) (1 - r_k^p) is tiny when x_k dominates; forming
    # it as r_k^(p-2) - g_k^2 cancels (1 - r_k^p = sum over j != k of r_j^p
    # has no cancellation). Every entry should be accurate, not just the largest.
    h = hessian(x, p)
    ref = mp_hessian(x, p)
    for i in range(len(x)):
        for j in range(len(x)):
            assert rel_err(h[i, j], ref[i][j]) <= 1e-12, (i, j, h[i, j], mpmath.nstr(ref[i][j], 17))


@pytest.mark.parametrize("kind", ["norm", "mean"])
@pytest.mark.parametrize("p", [1.5, 2.0, 3.0, 10.0])
def test_hessian_in_one_dimension_is_zero(p, kind):
    # ||x||_p = |x| for n = 1: linear away from 0, so H = 0 up to rounding of (p-1)/|x|
    for x in (3.5, -0.01, 1e200):
        assert abs(hessian([x], p, kind)[0, 0]) <= 8 * U * (p - 1) / abs(x)
    assert hessian([-3.0], p, "power")[0, 0] == pytest.approx(p * (p - 1) * 3.0 ** (p - 2), rel=4 * U)


def test_hessian_of_the_l2_norm_closed_form():
    # (I - x x^T / ||x||^2) / ||x|| at [3, 4]: [[16, -12], [-12, 9]] / 125
    h = hessian([3.0, 4.0], 2.0)
    np.testing.assert_allclose(h, np.array([[16.0, -12.0], [-12.0, 9.0]]) / 125, rtol=4 * U, atol=0)
    assert np.abs(h @ np.array([3.0, 4.0])).max() <= 1e-16


@pytest.mark.parametrize("p", [1.5, 2.0, 3.0, 4.5])
@PROPERTY
@given(x=vectors())
def test_power_hessian_is_diagonal(p, x):
    h = hessian(x, p, "power")
    off = h - np.diag(np.diag(h))
    assert not off.any()
    with mpmath.workdps(120):
        for i, xi in enumerate(mpv(x)):
            # independent: second central difference of |t|^p
            step = abs(xi) * mpmath.mpf(10) ** -25
            big_p = mpmath.mpf(p)
            ref = (abs(xi + step) ** big_p - 2 * abs(xi) ** big_p + abs(xi - step) ** big_p) / step**2
            assert rel_err(h[i, i], ref) <= 8 * U
            assert rel_err(h[i, i], big_p * (big_p - 1) * abs(xi) ** (big_p - 2)) <= 8 * U


@pytest.mark.parametrize("p", [1.5, 2.0, 3.0])
@PROPERTY
@given(x=vectors(lo=0.1, hi=10.0))  # wider ranges: see test_hessian_check_passes_with_entries_of_different_magnitudes
def test_hessian_check_passes_at_random_points(p, x):
    chk = hessian_check(x, p)
    assert chk.worst_error < 1e-6, chk.error


def test_hessian_refuses_what_does_not_exist():
    for p in (1.0, 0.5, -1.0, INF):
        with pytest.raises(ValueError):
            hessian([1.0, 2.0], p)
    with pytest.raises(ValueError):
        hessian([0.0, 0.0], 2.0)
    with pytest.raises(ValueError):
        hessian([1.0, math.nan], 2.0)


# ---------------------------------------------------------------------------
# 2. Overflow and underflow safety
# ---------------------------------------------------------------------------

HALF_SQRT2 = 0.7071067811865476  # 1/sqrt(2) correctly rounded


def test_l2_gradient_at_1e200_does_not_overflow():
    x = np.array([1e200, 1e200])
    g = grad(x, 2.0)
    assert all(ulps(v, HALF_SQRT2) <= 1 for v in g.values), g.values.tolist()
    assert g.differentiable and g.notes == []
    # The textbook one-liner: ||x|| overflows to inf and x / inf is 0 (numpy
    # 2.x gives [0, 0] here, not nan).
    with np.errstate(over="ignore", invalid="ignore"):
        naive = x / np.linalg.norm(x)
    assert naive.tolist() == [0.0, 0.0]


def test_l2_gradient_at_1e_minus_200_does_not_underflow():
    g = grad([1e-200, -1e-200], 2.0)
    assert ulps(g.values[0], HALF_SQRT2) <= 1 and ulps(-g.values[1], HALF_SQRT2) <= 1


def test_l2_gradient_at_subnormals():
    x = np.array([3e-320, 4e-320])  # 6072 and 8096 times 2^-1074: exactly 3:4
    g = grad(x, 2.0)
    assert ulps(g.values[0], 0.6) <= 2 and ulps(g.values[1], 0.8) <= 2
    with np.errstate(divide="ignore", invalid="ignore", under="ignore"):
        naive = x / np.linalg.norm(x)  # the norm underflows to 0
    assert np.isinf(naive).all()


@pytest.mark.parametrize("p", [3.0, 1.5, 0.5, 10.0, -1.0])
@pytest.mark.parametrize("k", [700, -700, -1070])
@pytest.mark.parametrize("kind", ["norm", "mean"])
def test_gradient_is_scale_free_at_huge_and_tiny_magnitudes(p, k, kind):
    # Integers times 2^k are exact (2^-1070 * 3 = 48 * 2^-1074 is subnormal);
    # the gradient of a 1-homogeneous function does not depend on the scale.
    base = np.array([3.0, -4.0, 5.0, 1.0])
    x = np.ldexp(base, k)
    assert (np.ldexp(x, -k) == base).all()
    ref = closed_form_gradient(base, p, kind)
    assert_matches(grad(x, p, kind).values, ref, rtol=4 * U)
    assert_matches(grad(base, p, kind).values, ref, rtol=4 * U)


@pytest.mark.parametrize("scale", [1e250, 1e-250, 1e-310])
@pytest.mark.parametrize("p", [3.0, 2.0, 0.5])
def test_gradient_at_non_power_of_two_extremes(p, scale):
    x = np.array([1.0, -2.0, 3.0]) * scale
    g = grad(x, p)
    assert g.notes == []
    assert_matches(g.values, closed_form_gradient(x, p), rtol=4 * U)


# Points whose entries span a range a power-of-two scaling of float64 values
# cannot squeeze into [tiny, 2) without losing the small ones (scaling by the
# largest entry gave inf, nan or 0 here), and very large |p|. Every
# reference component here is a finite normal double unless marked, so the
# right answer is representable; inf or 0 or nan in its place is wrong.
WIDE_RANGE_POINTS = [
    pytest.param([1e300, 1e-300], 0.5, "norm", id="quasi-norm 1e300,1e-300 (ref [1, 1e300])"),
    pytest.param([1e300, 1e-300], -1.0, "norm", id="p=-1 1e300,1e-300 (ref [1e-1200->0, 1])"),
    pytest.param([1e300, 1e-300], 1.5, "norm", id="p=1.5 1e300,1e-300 (ref [1, 1e-300])"),
    pytest.param([1e10, 5e-315], 0.5, "norm", id="quasi-norm subnormal entry (ref [1, 1.4e162])"),
    pytest.param([1.9, 1.0], 20000.0, "norm", id="p=20000 (ref [1, ~0])"),
    pytest.param([1e200, 1.0], -30.0, "norm", id="p=-30 (ref [~0, 1])"),
    pytest.param([1e80, 1.0], -3.0, "power", id="power p=-3 1e80,1 (ref [-3e-320, -3])"),
    pytest.param([1e200, 1.0], -1.0, "power", id="power p=-1 1e200,1 (ref [-1e-400->-0, -1])"),
    pytest.param([1e150, 1e-30], 3.0, "power", id="power p=3 1e150,1e-30 (ref [3e300, 3e-60])"),
    pytest.param([1e200, 1.0], 3.0, "power", id="power p=3 1e200,1 (ref [3e400->inf, 3])"),
    pytest.param([1e300, 1e-300], 0.5, "power", id="power p=0.5 1e300,1e-300 (ref [5e-151, 5e149])"),
    pytest.param([1e200, 3e199], 2.0, "power", id="power p=2 huge (ref 2x)"),
    pytest.param([1e-200, 1.0], 3.0, "power", id="power p=3 1e-200,1 (ref [3e-400->0, 3])"),
]


@pytest.mark.parametrize("x, p, kind", WIDE_RANGE_POINTS)
def test_gradient_over_a_wide_dynamic_range(x, p, kind):
    g = grad(x, p, kind)
    ref = closed_form_gradient(x, p, kind, dps=200)
    assert_matches(g.values, ref, rtol=8 * U)
    # a range note exactly when a true component is beyond the float64 range
    beyond = any(abs(r) > MAX for r in ref)
    assert bool(g.notes) == beyond, g.notes


def test_power_gradient_beyond_the_range_is_inf_with_a_note():
    g = grad([1e200, -1e200], 3.0, "power")  # 3e400: beyond float64
    assert g.values.tolist() == [INF, -INF]
    assert g.notes and "range" in g.notes[0]


# ---------------------------------------------------------------------------
# 3. Non-differentiable points: torch's conventions, marked with a reason
# ---------------------------------------------------------------------------

T = 1.0 / 3.0
# (x, ord, gradient of torch.linalg.vector_norm(x, ord) in torch 2.13.0, which components are
# subgradient choices). Verified against torch 2.13.0+cpu, float64.
TORCH_VECTOR_CONVENTIONS = [
    ([0.0, 0.0, 0.0], 2.0, [0.0, 0.0, 0.0], [True, True, True]),
    ([0.0, 0.0], 1.5, [0.0, 0.0], [True, True]),
    ([0.0, 0.0], 3.0, [0.0, 0.0], [True, True]),
    ([0.0, 0.0], 1.0, [0.0, 0.0], [True, True]),
    ([0.0, 0.0], 0.5, [0.0, 0.0], [True, True]),
    ([0.0, 0.0], INF, [0.0, 0.0], [True, True]),
    ([0.0, 0.0], -INF, [0.0, 0.0], [True, True]),
    ([0.0, 3.0, -4.0], 1.0, [0.0, 1.0, -1.0], [True, False, False]),
    ([0.0, -2.0, 0.0, 5.0], 1.0, [0.0, -1.0, 0.0, 1.0], [True, False, True, False]),
    # quasi-norm: exact values 1 + 2/sqrt(3) and -(2 + sqrt(3))/2; torch is 1 ulp off the first
    ([0.0, 3.0, -4.0], 0.5, [0.0, 2.154700538379252, -1.8660254037844386], [True, False, False]),
    ([0.0, -2.0, 0.0, 5.0], 0.5, [0.0, -2.5811388300841895, 0.0, 1.6324555320336758], [True, False, True, False]),
    # p > 1: |x_i|^p is differentiable at 0 with slope 0, so these are true gradients
    ([0.0, 3.0, -4.0], 2.0, [0.0, 0.6, -0.8], [False, False, False]),
    ([0.0, 3.0, -4.0], 1.5, [0.0, 0.7329564758289748, -0.8463452372482761], [False, False, False]),
    ([0.0, 3.0, -4.0], 3.0, [0.0, 0.4448513517305356, -0.7908468475209521], [False, False, False]),
    # max norm: ties split equally with their signs (torch.amax(|x|) does the same)
    ([3.0, -3.0, 1.0], INF, [0.5, -0.5, 0.0], [True, True, False]),
    ([3.0, -3.0, 3.0, 1.0], INF, [T, -T, T, 0.0], [True, True, True, False]),
    ([2.0, -2.0, 2.0, -2.0], INF, [0.25, -0.25, 0.25, -0.25], [True, True, True, True]),
    ([0.0, 0.0, -2.0], INF, [0.0, 0.0, -1.0], [False, False, False]),
    # min "norm": likewise
    ([1.0, -1.0, 3.0], -INF, [0.5, -0.5, 0.0], [True, True, False]),
    ([-2.0, 5.0, 2.0, -2.0], -INF, [-T, 0.0, T, -T], [True, False, True, True]),
    ([0.0, 3.0, -4.0], -INF, [0.0, 0.0, 0.0], [True, False, False]),
]


@pytest.mark.parametrize("x, p, torch_grad, nondiff", TORCH_VECTOR_CONVENTIONS)
def test_torch_conventions_at_non_differentiable_points(x, p, torch_grad, nondiff):
    g = grad(x, p)
    np.testing.assert_allclose(g.values, torch_grad, rtol=4 * U, atol=0)
    assert g.nondiff.tolist() == nondiff
    assert g.differentiable == (not any(nondiff))
    assert bool(g.reasons) == any(nondiff)  # every subgradient choice is explained
    assert g.notes == []


def test_negative_order_with_a_zero_entry_is_zero_like_torch():
    # torch 2.13: vector_norm([0, 3, -4], -1) and (-0.5) backward -> [0, 0, -0]
    for p in (-1.0, -0.5):
        g = grad([0.0, 3.0, -4.0], p)
        assert g.values.tolist() == [0.0, 0.0, 0.0]
        assert g.nondiff[0] and g.reasons


@pytest.mark.parametrize("kind", ["mean", "power"])
def test_conventions_hold_for_the_power_and_the_mean(kind):
    # the same subgradient choices, scaled: zero entry of L1 and of the quasi-norm -> 0
    for p in (1.0, 0.5):
        g = grad([0.0, 3.0, -4.0], p, kind)
        assert g.values[0] == 0.0 and g.nondiff.tolist() == [True, False, False] and g.reasons
    g = grad([0.0, 0.0], 1.5, kind)
    assert g.values.tolist() == [0.0, 0.0]


def test_count_has_zero_gradient_and_marks_zero_entries():
    # p = 0 counts non-zeros (torch gives no gradient at all: its result has no grad_fn)
    g = grad([0.0, 2.0, -1.0], 0.0)
    assert g.values.tolist() == [0.0, 0.0, 0.0]
    assert g.nondiff.tolist() == [True, False, False]
    assert grad([1.0, 2.0], 0.0).differentiable


# ---------------------------------------------------------------------------
# 4. Matrix norms
# ---------------------------------------------------------------------------


def mp_matrix_norm(rows, order: str):
    if order == "fro":
        return mpmath.sqrt(mpmath.fsum(v * v for row in rows for v in row))
    if order == "1":
        return max(mpmath.fsum(abs(row[j]) for row in rows) for j in range(len(rows[0])))
    if order == "inf":
        return max(mpmath.fsum(abs(v) for v in row) for row in rows)
    sv = mpmath.svd_r(mpmath.matrix(rows), compute_uv=False)
    return max(sv) if order == "2" else mpmath.fsum(sv)


def mp_matrix_gradient(a: np.ndarray, order: str, dps: int = 40) -> np.ndarray:
    """Central differences of the mpmath matrix norm (relative step 1e-15)."""
    with mpmath.workdps(dps):
        rows = [[mpmath.mpf(float(v)) for v in r] for r in a]
        out = np.empty(a.shape)
        for i in range(a.shape[0]):
            for j in range(a.shape[1]):
                h = abs(rows[i][j]) * mpmath.mpf(10) ** -15
                up = [list(r) for r in rows]
                down = [list(r) for r in rows]
                up[i][j] += h
                down[i][j] -= h
                out[i, j] = float((mp_matrix_norm(up, order) - mp_matrix_norm(down, order)) / (2 * h))
        return out


def differentiable_matrix(a: np.ndarray, order: str) -> bool:
    if order in ("1", "inf"):
        sums = np.sort(np.abs(a).sum(axis=0 if order == "1" else 1))
        return sums.size == 1 or sums[-2] < sums[-1] * (1 - 1e-9)
    sv = np.linalg.svd(a, compute_uv=False)
    if order == "2":
        return sv.size == 1 or sv[1] < sv[0] * (1 - 1e-2)
    if order == "nuc":
        return sv[-1] > 1e-2 * sv[0]
    return True


@pytest.mark.parametrize("order", ["fro", "nuc", "2", "1", "inf"])
@SLOW_PROPERTY
@given(a=matrices())
def test_matrix_gradient_matches_high_precision_differences(order, a):
    assume(differentiable_matrix(a, order))
    g = matrix_grad(a, order)
    assert g.values.shape == a.shape
    assert g.differentiable and g.reasons == []
    ref = mp_matrix_gradient(a, order)
    np.testing.assert_allclose(g.values, ref, rtol=0, atol=1e-11)
    if order in ("1", "inf"):
        # sign pattern of the arg-max column (row), 0 elsewhere, exactly
        axis = 0 if order == "1" else 1
        k = int(np.argmax(np.abs(a).sum(axis=axis)))
        want = np.zeros(a.shape)
        if axis == 0:
            want[:, k] = np.sign(a[:, k])
        else:
            want[k, :] = np.sign(a[k, :])
        assert g.values.tolist() == want.tolist()


@SLOW_PROPERTY
@given(a=matrices())
def test_frobenius_gradient_is_a_over_its_norm(a):
    g = matrix_grad(a, "fro")
    with mpmath.workdps(50):
        rows = [[mpmath.mpf(float(v)) for v in r] for r in a]
        f = mp_matrix_norm(rows, "fro")
        for i in range(a.shape[0]):
            for j in range(a.shape[1]):
                assert rel_err(g.values[i, j], rows[i][j] / f) <= 4 * U


@SLOW_PROPERTY
@given(a=matrices())
def test_nuclear_gradient_is_u_vt(a):
    assume(differentiable_matrix(a, "nuc"))
    g = matrix_grad(a, "nuc").values
    with mpmath.workdps(40):
        nuc = mp_matrix_norm([[mpmath.mpf(float(v)) for v in r] for r in a], "nuc")
        assert rel_err(float(np.sum(g * a)), nuc) <= 1e-12  # <U V^T, A> = sum of singular values
    sv = np.linalg.svd(g, compute_uv=False)  # U V^T of full rank: every singular value 1
    np.testing.assert_allclose(sv, np.ones(min(a.shape)), rtol=0, atol=1e-12)


@SLOW_PROPERTY
@given(a=matrices())
def test_spectral_gradient_is_u1_v1t(a):
    assume(differentiable_matrix(a, "2"))
    g = matrix_grad(a, "2").values
    with mpmath.workdps(40):
        s1 = mp_matrix_norm([[mpmath.mpf(float(v)) for v in r] for r in a], "2")
        assert rel_err(float(np.sum(g * a)), s1) <= 1e-12  # <u1 v1^T, A> = sigma_1
    sv = np.linalg.svd(g, compute_uv=False)  # rank one, unit
    assert abs(sv[0] - 1) <= 1e-12 and (sv[1:] <= 1e-12).all()


# Verified against torch 2.13.0 torch.linalg.matrix_norm(a, ord).backward(), float64.
TORCH_MATRIX_CONVENTIONS = [
    ([[1.0, -2.0], [-3.0, 2.0]], "1", [[0.5, -0.5], [-0.5, 0.5]], [[True, True], [True, True]]),
    ([[1.0, -1.0, 1.0], [1.0, 1.0, -1.0]], "1", [[T, -T, T], [T, T, -T]], [[True] * 3, [True] * 3]),
    ([[1.0, -2.0], [-2.0, 1.0]], "inf", [[0.5, -0.5], [-0.5, 0.5]], [[True, True], [True, True]]),
    ([[4.0, 1.0], [0.0, 2.0]], "1", [[1.0, 0.0], [0.0, 0.0]], [[False, False], [True, False]]),
    ([[4.0, 0.0], [1.0, 2.0]], "inf", [[1.0, 0.0], [0.0, 0.0]], [[False, True], [False, False]]),
    ([[1.0, -2.0], [3.0, 0.0]], "1", [[1.0, 0.0], [1.0, 0.0]], [[False, False], [False, False]]),
    ([[0.0, 0.0], [0.0, 0.0]], "fro", [[0.0, 0.0], [0.0, 0.0]], [[True, True], [True, True]]),
    ([[0.0, 0.0], [0.0, 0.0]], "1", [[0.0, 0.0], [0.0, 0.0]], [[True, True], [True, True]]),
    ([[3.0, 0.0], [0.0, 4.0]], "2", [[0.0, 0.0], [0.0, 1.0]], [[False, False], [False, False]]),
]


@pytest.mark.parametrize("a, order, torch_grad, nondiff", TORCH_MATRIX_CONVENTIONS)
def test_matrix_conventions_like_torch(a, order, torch_grad, nondiff):
    g = matrix_grad(np.array(a), order)
    np.testing.assert_allclose(g.values, torch_grad, rtol=4 * U, atol=1e-15)
    assert g.nondiff.tolist() == nondiff
    assert bool(g.reasons) == any(map(any, nondiff))


def spectral_dual(g: np.ndarray) -> float:
    return float(np.linalg.svd(g, compute_uv=False).sum())


@pytest.mark.parametrize("a", [
    np.eye(2),                                   # torch 2.13: I / 2
    np.diag([2.0, 2.0, 1.0]),                    # torch 2.13: diag(0.5, 0.5, 0)
    np.array([[1.0, 0.0], [0.0, -1.0], [0.0, 0.0]]),
    np.array([[1.0, -1.0], [1.0, 1.0]]) * 1e200,  # orthogonal times a huge scale
    np.zeros((2, 2)),                            # torch 2.13: I / 2
])
def test_spectral_subgradient_at_a_repeated_singular_value(a):
    # The subdifferential of ||A||_2 is {G : ||G||_nuc <= 1, <G, A> = ||A||_2}.
    g = matrix_grad(a, "2")
    assert not g.differentiable and g.reasons
    assert abs(float(np.sum(g.values * a)) - np.linalg.norm(a, 2)) <= 1e-14 * max(1.0, np.linalg.norm(a, 2))
    assert spectral_dual(g.values) <= 1 + 1e-12


@pytest.mark.parametrize("a, torch_grad", [
    (np.eye(2), np.eye(2) / 2),                                  # verified against torch 2.13
    (np.diag([2.0, 2.0, 1.0]), np.diag([0.5, 0.5, 0.0])),        # verified against torch 2.13
])
def test_spectral_ties_split_equally_like_torch(a, torch_grad):
    np.testing.assert_allclose(matrix_grad(a, "2").values, torch_grad, rtol=0, atol=1e-15)


@pytest.mark.parametrize("a", [
    np.array([[1.0, 0.0], [0.0, 0.0]]),        # torch 2.13: I
    np.array([[1.0, 2.0], [2.0, 4.0]]),        # rank 1; torch 2.13: ~I
    np.outer([1.0, -2.0, 0.5], [3.0, 1.0, 2.0]),
    np.zeros((2, 2)),                          # torch 2.13: I
])
def test_nuclear_subgradient_at_a_rank_deficient_matrix(a):
    # The subdifferential of ||A||_nuc is {G : ||G||_2 <= 1, <G, A> = ||A||_nuc}.
    g = matrix_grad(a, "nuc")
    assert not g.differentiable and g.reasons
    nuc = np.linalg.norm(a, "nuc")
    assert abs(float(np.sum(g.values * a)) - nuc) <= 1e-14 * max(1.0, nuc)
    assert np.linalg.norm(g.values, 2) <= 1 + 1e-12


def test_matrix_gradients_at_huge_magnitudes():
    big = np.array([[3e200, 0.0], [0.0, 4e200]])
    np.testing.assert_allclose(matrix_grad(big, "fro").values, [[0.6, 0.0], [0.0, 0.8]], rtol=4 * U, atol=0)
    np.testing.assert_allclose(matrix_grad(big, "2").values, [[0.0, 0.0], [0.0, 1.0]], rtol=0, atol=1e-15)
    np.testing.assert_allclose(matrix_grad(big, "nuc").values, np.eye(2), rtol=0, atol=1e-15)
    tiny = np.array([[3e-320, 0.0], [0.0, 4e-320]])
    np.testing.assert_allclose(matrix_grad(tiny, "fro").values, [[0.6, 0.0], [0.0, 0.8]], rtol=4 * U, atol=0)


def test_matrix_grad_refuses_bad_input():
    with pytest.raises(ValueError):
        matrix_grad([1.0, 2.0], "fro")
    with pytest.raises(ValueError):
        matrix_grad([[1.0, 2.0]], "-2")
    with pytest.raises(ValueError):
        matrix_grad([[1.0, math.inf]], "fro")


# ---------------------------------------------------------------------------
# 5. check(): finite differences accept right gradients and reject wrong ones
# ---------------------------------------------------------------------------

CHECK_CASES = [(p, kind) for p in (1.0, 1.5, 2.0, 3.0, 0.5, INF, -1.0) for kind in KINDS
               if not (kind == "power" and math.isinf(p))]


@pytest.mark.parametrize("p, kind", CHECK_CASES)
@PROPERTY
@given(x=vectors())
def test_check_passes_at_differentiable_points(p, kind, x):
    if p == INF:
        assume(unique_extreme(x))
    g = grad(x, p, kind)
    assert g.differentiable
    chk = check(g.values, vector_function(p, kind), x)
    assert chk.worst_error < 1e-6, (chk.error, chk.numeric, g.values)
    assert chk.passed and (chk.excess <= chk.error).all()
    assert chk.tolerance == TOLERANCE
    assert failed_component(chk, g, [str(i) for i in range(x.size)]) is None
    assert ((x + chk.steps) - x == chk.steps).all() and (chk.steps > 0).all()


@pytest.mark.parametrize("p, kind", CHECK_CASES)
@PROPERTY
@given(x=vectors())
def test_check_rejects_a_gradient_off_by_one_percent(p, kind, x):
    if p == INF:
        assume(unique_extreme(x))
    g = grad(x, p, kind)
    chk = check(g.values * 1.01, vector_function(p, kind), x)
    # the largest component is off by 0.01 relative to 1.01 of itself (~0.0099,
    # give or take the differences' own error)
    assert 0.009 < chk.worst_error < 0.011
    # the allowance for the differences' rounding must not excuse a 1% error
    assert not chk.passed and float(chk.excess.max()) > 0.009
    labels = [f"c{i}" for i in range(x.size)]
    msg = failed_component(chk, g, labels)
    assert msg is not None and f"component {labels[chk.worst]}:" in msg


@pytest.mark.parametrize("x, p, kind", [
    ([1000.0, 0.001], 1.0, "norm"),
    ([973.0, 0.00390625], 2.0, "mean"),  # found by hypothesis
])
def test_check_passes_with_entries_of_different_magnitudes(x, p, kind):
    # Correct gradients at differentiable points (verified against mpmath) must
    # pass. The step h_i = eps^(1/3) |x_i| is tiny for a small x_i, and the
    # rounding noise of f(x + h) - f(x - h), about eps |f| / h_i, swamped the
    # difference while f was evaluated in float64 (check reported 3e-6 here).
    x = np.array(x)
    g = grad(x, p, kind)
    assert_matches(g.values, mp_gradient(x, p, kind), rtol=4 * U)
    chk = check(g.values, vector_function(p, kind), x)
    assert chk.worst_error < 1e-6, (chk.numeric, g.values, chk.error)
    assert chk.passed and failed_component(chk, g, ["1", "2"]) is None
    # and a wrong gradient still fails at such a point: the small component off
    # by 1% of the gradient's scale (what the relative error measures against)
    wrong = g.values.copy()
    wrong[1] += 0.01 * np.abs(g.values).max()
    bad = check(wrong, vector_function(p, kind), x)
    assert not bad.passed and failed_component(bad, g, ["1", "2"]).startswith("gradient check failed at component 2:")


@pytest.mark.parametrize("x, p", [
    ([169.0, 0.001], 2.0),
    ([-0.004214040331146123, -533.6946258510309], 3.0),  # hessian_check reported 1.36e-4
    ([-103.36404178225169, -0.0012736204818103278], 3.0),  # 4.7e-5
])
def test_hessian_check_passes_with_entries_of_different_magnitudes(x, p):
    # The analytic Hessian is right here (entry by entry against mpmath), so
    # its check must pass: a step h_j = eps^(1/3) |x_j| for a small x_j moves
    # the dominant gradient component (~1) by far less than its rounding.
    x = np.array(x)
    ref = mp_hessian(x, p)
    h = hessian(x, p)
    for i in range(2):
        for j in range(2):
            assert rel_err(h[i, j], ref[i][j]) <= 1e-12
    chk = hessian_check(x, p)
    # the raw error may exceed 1e-6 here, but only within the differences'
    # own rounding bound, which the pass/fail judgement allows for
    assert chk.passed, (chk.error, chk.excess)
    assert float(chk.excess.max()) < 1e-6


def test_check_rejects_classic_mistakes():
    x = np.array([1.0, 2.0, 3.0])
    power = vector_function(2.0, "power")
    assert check(x, power, x).worst_error == pytest.approx(0.5, rel=1e-6)  # x instead of 2x
    assert check(2 * x[::-1], power, x).worst_error > 0.5  # components swapped
    assert check(-2 * x, power, x).worst_error == pytest.approx(2.0, rel=1e-6)  # wrong sign
    assert check(2 * x, power, x).worst_error < 1e-9  # and the right one passes


def test_check_with_a_target():
    t = np.array([1.0, -1.0, 0.5])
    x = np.array([4.0, 3.0, -2.0])
    f = vector_function(2.0, "norm", target=t)
    with mpmath.workdps(50):
        assert rel_err(f(x), mp_value(mpv(x - t), 2.0)) <= 2 * U
    chk = check(grad(x - t, 2.0).values, f, x)
    assert chk.worst_error < 1e-8
    assert check(grad(x, 2.0).values, f, x).worst_error > 0.1  # forgetting the target is caught


def test_finite_difference_of_an_independent_function():
    x = np.array([0.5, -2.0, 0.0, 1e5])
    numeric, steps, _ = finite_difference(lambda v: float(np.sum(v**3)), x)
    np.testing.assert_allclose(numeric, 3 * x**2, rtol=1e-9, atol=1e-9 * 3e10)
    assert (steps > 0).all() and ((x + steps) - x == steps).all()
    assert steps[2] > 0  # a zero entry still gets a step (from the largest |x|)


def test_matrix_check_against_the_analytic_gradient():
    a = np.array([[1.0, -2.0, 0.5], [3.0, 1.5, -1.0]])
    for order in ("fro", "nuc", "2", "1", "inf"):
        g = matrix_grad(a, order)
        assert check(g.values, matrix_function(order), a).worst_error < 1e-6, order
        assert check(g.values * 1.01, matrix_function(order), a).worst_error > 5e-3, order


# ---------------------------------------------------------------------------
# 6. function_name and failed_component
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("p, kind, target, name", [
    (2.0, "norm", False, "||x||_2"),
    (1.0, "power", True, "||x - t||_1^1"),
    (2.0, "mean", False, "M_2(x) = ||x||_2 / n^(1/2)"),
    (INF, "norm", False, "||x||_inf"),
    (-INF, "norm", True, "||x - t||_-inf"),
    (0.5, "power", False, "||x||_0.5^0.5"),
    (3.0, "mean", True, "M_3(x - t) = ||x - t||_3 / n^(1/3)"),
])
def test_function_name(p, kind, target, name):
    assert function_name(p, kind, target) == name


def test_failed_component_is_none_at_a_non_differentiable_point_even_with_a_large_error():
    x = np.array([0.0, 3.0, -4.0])
    g = grad(x, 1.0)
    assert not g.differentiable
    chk = check(g.values * 3.0, vector_function(1.0), x)
    assert chk.worst_error > 0.5
    assert failed_component(chk, g, ["a", "b", "c"]) is None


def test_failed_component_names_the_worst_component():
    x = np.array([1.0, -2.0, 3.0])
    g = grad(x, 3.0)
    wrong = g.values.copy()
    wrong[1] *= 1.5
    chk = check(wrong, vector_function(3.0), x)
    msg = failed_component(chk, g, ["a", "b", "c"])
    assert chk.worst == 1
    assert msg is not None
    assert msg.startswith("gradient check failed at component b:")
    assert repr(float(wrong[1])) in msg and repr(float(chk.numeric[1])) in msg
    assert f"{chk.worst_error:.2e}" in msg and f"> tolerance {TOLERANCE:g}" in msg
    # within tolerance: no message; a looser tolerance accepts the same error
    assert failed_component(check(g.values, vector_function(3.0), x), g, ["a", "b", "c"]) is None
    assert failed_component(check(wrong, vector_function(3.0), x, tolerance=1.0), g, ["a", "b", "c"]) is None


def test_gradient_dataclass_differentiable_flag():
    g = Gradient(np.zeros(2), 0.0, np.array([False, True]))
    assert not g.differentiable
    assert Gradient(np.zeros(2), 0.0, np.zeros(2, dtype=bool)).differentiable


def test_grad_refuses_bad_input():
    with pytest.raises(ValueError):
        grad([], 2.0)
    with pytest.raises(ValueError):
        grad([1.0, math.nan], 2.0)
    with pytest.raises(ValueError):
        grad([1.0, math.inf], 2.0)
    with pytest.raises(ValueError):
        grad([1.0, 2.0], INF, "power")
    with pytest.raises(ValueError):
        grad([1.0, 2.0], 2.0, "sum")


# -- row_grads: the vectorized --rows path equals grad() row by row -----------
_ROW_VALUES = st.one_of(
    st.floats(min_value=-1e6, max_value=1e6, allow_nan=False),
    st.sampled_from([0.0, -0.0, 1.0, -1.0, 3.0, 1e-300, -1e300, 5e-324, 1.7e308]),
)


@settings(max_examples=300, deadline=None)
@given(st.integers(1, 12).flatmap(lambda n: st.lists(st.lists(_ROW_VALUES, min_size=n, max_size=n),
                                                     min_size=1, max_size=6)),
       st.sampled_from([1.0, 2.0, 3.0, 1.5, 0.5, -1.0, 0.0, math.inf, -math.inf]),
       st.sampled_from(["norm", "power", "mean"]))
def test_row_grads_equal_grad_row_by_row(rows, p, kind):
    from normcli.core.grads import row_grads

    if kind == "power" and math.isinf(p):
        return
    a = np.array(rows)
    g, regular = row_grads(a, p, kind)
    for i in np.flatnonzero(regular):
        one = grad(a[i], p, kind)
        assert one.differentiable and not one.notes
        assert np.array_equal(g[i], one.values), (a[i], g[i], one.values)


def test_row_grads_leave_every_convention_to_grad():
    from normcli.core.grads import row_grads

    a = np.array([[0.0, 0.0], [3.0, -3.0], [0.0, 2.0], [1.0, 2.0]])
    _, regular = row_grads(a, math.inf)
    assert regular.tolist() == [False, False, True, True]
    _, regular = row_grads(a, 1.0)  # |x_i| at 0 is a subgradient point
    assert regular.tolist() == [False, True, False, True]
    _, regular = row_grads(a, 0.5)
    assert regular.tolist() == [False, True, False, True]


# ---------------------------------------------------------------------------
# 7. The power mean at small |p|, and checks at subnormal and huge points
# ---------------------------------------------------------------------------

SMALL_ORDERS = [1e-5, -1e-5, 1e-8, -1e-8, 1e-12, 1e-4, -1e-3, 0.01]


@pytest.mark.parametrize("p", SMALL_ORDERS)
@pytest.mark.parametrize("x", [[1.0, 2.0], [3.0, -0.25, 7.0], [1e-300, 1e300], [5e-321, -2e-320, 1e-310]])
def test_power_mean_gradient_at_small_orders(p, x):
    # (sum |x_i|^p)^(1/p) / n^(1/p) overflows (n^(1/p) = 2^100000 at p = 1e-5)
    # and lost eps/|p| before: grad --mean --p 1e-5 1,2 gave nan nan and a
    # false range note. The gradient is (M_p / |x_i|)^(1-p) / n, ~G / (n x_i).
    g = grad(x, p, "mean")
    ref = closed_form_gradient(x, p, "mean")
    assert g.differentiable
    assert bool(g.notes) == any(abs(r) > MAX for r in ref), g.notes  # 1e-300 next to 1e300 for p >= 1e-4
    assert_matches(g.values, ref, rtol=2 * U)
    assert_matches(g.values, mp_gradient(x, p, "mean"), rtol=2 * U)


@pytest.mark.parametrize("p", [1e-5, 1e-12, -1e-12])
def test_power_mean_gradient_tends_to_the_geometric_means(p):
    x = np.array([1.0, 2.0, -5.0])
    geo = grad(x, 0.0, "mean").values
    assert np.allclose(grad(x, p, "mean").values, geo, rtol=10 * abs(p), atol=0)
    assert_matches(geo, mp_gradient(x, 0.0, "mean"), rtol=2 * U)


@pytest.mark.parametrize("x", [[1e-320, 2e-320], [3e-322, -5e-324, 1e-318], [1e300, 2e300, -3.0]])
def test_geometric_mean_gradient_does_not_use_the_rounded_mean(x):
    # G / (n x_i) with G rounded to a subnormal double kept 4 digits of it
    # (0.70701... for 0.70710... at 1e-320, 2e-320).
    assert_matches(grad(x, 0.0, "mean").values, mp_gradient(x, 0.0, "mean"), rtol=2 * U)


@PROPERTY
@given(x=vectors(max_size=8, lo=1e-200, hi=1e200), p=st.sampled_from(SMALL_ORDERS + [0.3, -0.7, 2.5]))
def test_power_mean_gradient_property(x, p):
    assert_matches(grad(x, p, "mean").values, closed_form_gradient(x, p, "mean"), rtol=2 * U)


@pytest.mark.parametrize("p", SMALL_ORDERS)
def test_power_mean_rows_equal_grad_at_small_orders(p):
    from normcli.core.grads import row_grads

    a = np.array([[1.0, 2.0, 3.0], [-4.0, 1e-300, 2.0], [5e-324, -1.0, 2.0]])
    g, regular = row_grads(a, p, "mean")
    assert regular.all()
    for i in range(a.shape[0]):
        assert np.array_equal(g[i], grad(a[i], p, "mean").values)


@pytest.mark.parametrize("p", SMALL_ORDERS)
def test_check_of_the_power_mean_at_small_orders(p):
    x = np.array([1.0, 2.0, -4.0])
    f = vector_function(p, "mean")
    with mpmath.workdps(60):
        assert rel_err(f(x), mp_value(mpv(x), p, "mean")) <= 2 * U  # lost 1e-14 at p = 1e-5
    g = grad(x, p, "mean")
    chk = check(g.values, f, x)
    assert chk.passed and chk.worst_error < 1e-9, (chk.numeric, g.values)
    assert not check(g.values * 1.01, f, x).passed


# Points whose steps eps^(1/3) |x_i| underflowed (to 0 below ~1e-318: the
# check divided by 0, warned and failed with "finite difference nan"), whose
# x_i + h_i overflowed, or that mix such entries with ordinary ones.
EXTREME_CHECK_POINTS = [
    pytest.param([1e-320, 1e-320], 2.0, "norm", id="1e-320,1e-320"),
    pytest.param([5e-324], 2.0, "norm", id="smallest subnormal"),
    pytest.param([1e-320, -2e-321, 0.0], 3.0, "norm", id="p=3 subnormals and a 0"),
    pytest.param([3e-320, 1e-321], -1.0, "norm", id="p=-1 subnormals"),
    pytest.param([1e-320, 2e-320], 3.0, "mean", id="mean p=3 subnormals"),
    pytest.param([1e-320, 2e-320], 0.0, "mean", id="geometric mean subnormals"),
    pytest.param([1e-320, 2e-320], 1e-5, "mean", id="mean p=1e-5 subnormals"),
    pytest.param([1e-320, 2e-320], INF, "norm", id="max norm subnormals"),
    pytest.param([1e-320, 1e-320], 3.0, "power", id="power p=3 subnormals"),
    pytest.param([1e-310, 3e-310], 0.5, "power", id="power p=0.5 subnormals"),
    pytest.param([1e-305, 4e-306], 2.0, "norm", id="tiny normal"),
    pytest.param([1e300, 1e300], 2.0, "norm", id="1e300"),
    pytest.param([MAX, -MAX], 2.0, "norm", id="largest double"),
    pytest.param([MAX, 1e300], 0.5, "power", id="power p=0.5 largest double"),
    pytest.param([1e300, 1e-300], 2.0, "norm", id="1e300,1e-300"),
    pytest.param([1e300, 1e-320], 1.0, "norm", id="p=1 1e300,1e-320"),
    pytest.param([1e300, -1e-300], -1.0, "norm", id="p=-1 1e300,1e-300"),
    pytest.param([MAX, -1e-320, 3.0], 3.0, "norm", id="largest double and a subnormal"),
]


@pytest.mark.parametrize("x, p, kind", EXTREME_CHECK_POINTS)
def test_check_at_subnormal_huge_and_mixed_points(x, p, kind, recwarn):
    x = np.array(x)
    g = grad(x, p, kind)
    assert g.differentiable
    assert_matches(g.values, closed_form_gradient(x, p, kind) if p != 0 else mp_gradient(x, p, kind), rtol=4 * U)
    chk = check(g.values, vector_function(p, kind), x)
    assert np.isfinite(chk.numeric).all(), chk.numeric
    assert chk.passed and failed_component(chk, g, [str(i) for i in range(x.size)]) is None, (chk.numeric, chk.error)
    assert (chk.steps > 0).all()
    assert not [w for w in recwarn if issubclass(w.category, RuntimeWarning)], [str(w.message) for w in recwarn]
    # and a wrong gradient is still caught there: its largest component off by 1%
    if not np.abs(g.values).max():
        return  # the power's gradient underflows to 0 here
    wrong = g.values.copy()
    j = int(np.argmax(np.abs(wrong)))
    wrong[j] *= 1.01
    assert not check(wrong, vector_function(p, kind), x).passed


@pytest.mark.parametrize("x", [[1e-320, 2e-320, -4e-321], [1e-200, -3e-200, 2e-200], [0.25, -0.5, 0.125]])
def test_check_at_tiny_points_is_that_at_a_scaled_point(x):
    # A norm's gradient is the same at 2^k x: the check at a tiny point gives
    # what it gives at the point scaled up (exactly) to 1.
    x = np.array(x)
    k = -math.frexp(float(np.abs(x).max()))[1]
    big = np.ldexp(x, k)
    assert (np.ldexp(big, -k) == x).all()
    tiny = check(grad(x, 3.0).values, vector_function(3.0), x)
    ref = check(grad(big, 3.0).values, vector_function(3.0), big)
    assert np.allclose(tiny.numeric, ref.numeric, rtol=1e-12, atol=0)
    # the steps are those taken at x itself (extended precision below float64's range)
    assert (tiny.steps > 0).all() and ((x + tiny.steps) - x == tiny.steps).all()


def test_check_with_a_target_at_subnormal_points(recwarn):
    t = np.array([1e-320, 0.0])
    x = np.array([3e-320, 1e-320])
    g = grad(x - t, 2.0)
    assert_matches(g.values, closed_form_gradient(x - t, 2.0), rtol=4 * U)
    chk = check(g.values, vector_function(2.0, "norm", target=t), x)
    assert chk.passed and chk.worst_error < 1e-9
    assert not check(grad(x, 2.0).values, vector_function(2.0, "norm", target=t), x).passed  # target forgotten
    assert not [w for w in recwarn if issubclass(w.category, RuntimeWarning)]


def test_check_at_subnormal_points_without_extended_precision(monkeypatch):
    # Where long double is double (no wider exponent), the step underflows as
    # before; a norm is then differenced at 2^k x, which float64 holds exactly.
    import normcli.core.grads as grads_module

    monkeypatch.setattr(grads_module, "EXT", np.float64)
    x = np.array([1e-320, 1e-320])
    with np.errstate(all="raise"):
        chk = check(grad(x, 2.0).values, vector_function(2.0), x)
    assert chk.passed and chk.worst_error < 1e-9


@pytest.mark.parametrize("order", ["fro", "nuc", "2", "1", "inf"])
@pytest.mark.parametrize("scale", [1e-320, 1e-310, 1e300])
def test_matrix_check_at_subnormal_and_huge_matrices(order, scale, recwarn):
    base = np.array([[1.0, -2.0, 0.5], [3.0, 1.5, -1.0]])
    a = base * scale
    g = matrix_grad(a, order)
    chk = check(g.values, matrix_function(order), a)
    assert chk.passed and np.isfinite(chk.numeric).all(), (order, chk.numeric)
    if scale > 1e-315:  # the gradient is scale-free (at 1e-320 the entries are rounded: another matrix)
        assert np.allclose(g.values, matrix_grad(base, order).values, rtol=1e-12, atol=1e-15)
    assert not [w for w in recwarn if issubclass(w.category, RuntimeWarning)]


def test_check_of_a_plain_function_keeps_float64_steps():
    # Functions that are not norms get no scaling and no extended steps.
    x = np.array([0.5, -2.0, 3.0])
    numeric, steps, _ = finite_difference(lambda v: float(np.sum(v**3)), x)
    assert steps.dtype == np.float64 and ((x + steps) - x == steps).all()
    np.testing.assert_allclose(numeric, 3 * x**2, rtol=1e-9)
