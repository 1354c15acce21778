"""Tests of :mod:`normcli.core.sobolev`.

References never come from the code under test: closed forms of trig
polynomials and of exp(x), mpmath (the exact DFT of the float samples, at
60 digits), and finite differences written out plainly here (numpy.gradient
and explicit stencils).
"""

from __future__ import annotations

import io
import math

import mpmath
import numpy as np
import pytest
from conftest import ulps
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import normcli.core.sobolev as sob
from normcli.core.sobolev import (
    RECT_NOTE,
    TRAPEZOID_NOTE,
    XI_NOTE,
    SobolevOutcome,
    derivative,
    fornberg_weights,
    grid_step,
    sobolev_fd,
    sobolev_result,
    sobolev_spectral,
)
from normcli.render import show

PI = math.pi
SQRT_2PI = 2.5066282746310002  # math.sqrt(2 * math.pi): sqrt of the double nearest 2 pi


def rel(value: float, ref) -> float:
    return float(abs(mpmath.mpf(value) - mpmath.mpf(ref)) / abs(mpmath.mpf(ref)))


def periodic_grid(n: int, length: float = 2 * PI) -> tuple[np.ndarray, float]:
    dx = length / n
    return np.arange(n) * dx, dx


def trig(x: np.ndarray) -> np.ndarray:
    """sin x + 0.5 cos 3x: ||f||^2 = pi + 0.25 pi, frequencies 1 and 3."""
    return np.sin(x) + 0.5 * np.cos(3 * x)


def exact_dft_norm(f, dx, weight, prec: int = 60):
    """sqrt((dx/N) sum_m w(xi_m) |F_m|^2) with the DFT of the float samples computed in mpmath."""
    with mpmath.workdps(prec):
        n = len(f)
        fs = [mpmath.mpf(float(v)) for v in f]
        length = n * mpmath.mpf(float(dx))
        total = mpmath.mpf(0)
        for m in range(n):
            fm = mpmath.fsum(fs[i] * mpmath.expjpi(mpmath.mpf(-2 * ((m * i) % n)) / n) for i in range(n))
            signed = m if 2 * m <= n else m - n
            total += weight(2 * mpmath.pi * signed / length) * abs(fm) ** 2
        return +mpmath.sqrt(mpmath.mpf(float(dx)) / n * total)


# ---------------------------------------------------------------------------
# The reference: sin x on [0, 2 pi), 1024 samples, H^1 = sqrt(2 pi)
# ---------------------------------------------------------------------------
N_REF = 1024
X_REF, DX_REF = periodic_grid(N_REF)
F_REF = np.sin(X_REF)


def test_reference_dx_is_exact():
    assert DX_REF == 2 * PI / 1024 and DX_REF * N_REF == 2 * PI


def test_reference_spectral_h1_is_sqrt_2pi_to_rounding():
    out = sobolev_spectral(F_REF, DX_REF, s=1)
    assert abs(out.value - SQRT_2PI) <= 2 * math.ulp(SQRT_2PI)
    # ||f||_L2 = sqrt(pi) (rect quadrature is exact for sin on a period)
    label, l2 = out.terms[0]
    assert label == "||f||_L2"
    assert abs(l2 - math.sqrt(PI)) <= 2 * math.ulp(math.sqrt(PI))


def test_reference_spectral_is_correctly_rounded():
    """The value is the double nearest the exact discrete H^1 norm of the float samples.

    Bracket: all the energy but that of m = +-1 is R = N sum f_i^2 - 2 |F_1|^2
    (Parseval, exact in mpmath); it carries a weight between 1 and
    1 + xi_max^2. The exact value rounds to 2.5066282746310007, one ulp above
    math.sqrt(2 * math.pi) (whose argument is the double below 2 pi).
    """
    with mpmath.workdps(60):
        fs = [mpmath.mpf(float(v)) for v in F_REF]
        f1 = mpmath.fsum(fs[i] * mpmath.expjpi(mpmath.mpf(-2 * i) / N_REF) for i in range(N_REF))
        energy = N_REF * mpmath.fsum(v * v for v in fs)
        rest = energy - 2 * abs(f1) ** 2
        assert 0 <= rest < mpmath.mpf(10) ** -20
        xi1 = 2 * mpmath.pi / (N_REF * mpmath.mpf(DX_REF))
        xi_max = mpmath.pi / mpmath.mpf(DX_REF)
        scale = mpmath.mpf(DX_REF) / N_REF
        main = (1 + xi1**2) * 2 * abs(f1) ** 2
        low = mpmath.sqrt(scale * (main + rest))
        high = mpmath.sqrt(scale * (main + (1 + xi_max**2) * rest))
        assert sob_float(low) == sob_float(high) == 2.5066282746310007
    assert sobolev_spectral(F_REF, DX_REF).value == 2.5066282746310007


def sob_float(v) -> float:
    """Round an mpf to the nearest double (mpmath's float() may truncate)."""
    from fractions import Fraction

    man, exp = int(v.man), int(v.exp)
    return float(Fraction(man) * Fraction(2) ** exp)


def test_reference_fd_h1_error_is_h2_over_12():
    out = sobolev_fd(F_REF, DX_REF, k=1, p=2, quadrature="rect")
    err = (out.value - SQRT_2PI) / SQRT_2PI
    assert -1e-5 < err < -1e-6  # below the true value, as the analysis says
    # (sin(x+h) - sin(x-h)) / 2h = cos(x) sin(h)/h ~ cos(x) (1 - h^2/6), so the norm is low by h^2/12
    assert err == pytest.approx(-(DX_REF**2) / 12, rel=0.02)
    assert out.terms[0] == ("||f||_L2", pytest.approx(math.sqrt(PI), rel=1e-15))
    assert out.terms[1][0] == "||f'||_L2"


# ---------------------------------------------------------------------------
# Spectral
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("s", [0.0, 0.25, 0.5, 1.0, 1.5, 2.5, 3.75])
def test_spectral_fractional_s_against_closed_form(s):
    x, dx = periodic_grid(64)
    with mpmath.workdps(50):
        s_ = mpmath.mpf(s)
        exact = mpmath.sqrt(mpmath.pi * 2**s_ + mpmath.pi / 4 * 10**s_)
    out = sobolev_spectral(trig(x), dx, s=s)
    assert ulps(out.value, exact) <= 4
    assert out.title == f"H^{sob.order_name(s)} norm (spectral, periodic)"


@pytest.mark.parametrize("s", [0.75, 2.0])
def test_spectral_against_mpmath_dft_of_the_samples(s):
    x, dx = periodic_grid(16)
    f = trig(x) + 0.125 * np.sin(5 * x + 0.3)
    exact = exact_dft_norm(f, dx, lambda xi: (1 + xi**2) ** s)
    assert ulps(sobolev_spectral(f, dx, s=s).value, exact) <= 3


@pytest.mark.parametrize("n", [1, 2, 7, 64, 101])
def test_spectral_s0_is_the_l2_norm(n):
    rng = np.random.default_rng(n)
    f = rng.standard_normal(n)
    dx = 0.37
    out = sobolev_spectral(f, dx, s=0)
    with mpmath.workdps(50):
        exact = mpmath.sqrt(mpmath.mpf(dx) * mpmath.fsum(mpmath.mpf(float(v)) ** 2 for v in f))
    assert ulps(out.value, exact) <= 2
    assert ulps(out.terms[0][1], exact) <= 2


def test_spectral_sum_weights_equal_the_sum_of_derivative_norms():
    x, dx = periodic_grid(64)
    out = sobolev_spectral(trig(x), dx, weights="sum", k=2)
    # ||f^(j)||^2 = pi + 0.25 pi 9^j
    parts = [1.25 * PI, 3.25 * PI, 21.25 * PI]
    assert [t for t, _ in out.terms] == ["||f||_L2", "||f'||_L2", "||f''||_L2"]
    for (_, v), e in zip(out.terms, parts):
        assert ulps(v, mpmath.sqrt(mpmath.mpf(e))) <= 4
    with mpmath.workdps(40):
        exact = mpmath.sqrt(mpmath.mpf(25.75) * mpmath.pi)
    assert ulps(out.value, exact) <= 4
    assert out.value == pytest.approx(math.sqrt(math.fsum(v * v for _, v in out.terms)), rel=1e-15)
    assert out.title == "W^{2,2} norm (spectral, periodic)"
    assert any("differs from the Bessel-potential H^2" in n for n in out.notes)
    # the Bessel-potential H^2 norm: (1 + xi^2)^2 gives pi 4 + 0.25 pi 100 = 29 pi, a different value
    bessel = sobolev_spectral(trig(x), dx, s=2)
    with mpmath.workdps(40):
        assert ulps(bessel.value, mpmath.sqrt(29 * mpmath.pi)) <= 4
    assert any("different, equivalent norm" in n for n in bessel.notes)


def test_spectral_sum_weights_k1_is_h1_and_k_defaults_to_s():
    x, dx = periodic_grid(50)
    f = trig(x)
    h1 = sobolev_spectral(f, dx, s=1).value
    assert sobolev_spectral(f, dx, weights="sum", k=1).value == pytest.approx(h1, rel=4e-16)
    assert sobolev_spectral(f, dx, s=3, weights="sum").value == sobolev_spectral(f, dx, weights="sum", k=3).value


def test_fd_converges_to_spectral_sum_weights():
    """For a periodic function the FD W^{2,2} norm tends to the spectral 'sum' norm (not to (1+xi^2)^2)."""
    x, dx = periodic_grid(2048)
    f = trig(x)
    fd = sobolev_fd(f, dx, k=2).value
    assert fd == pytest.approx(sobolev_spectral(f, dx, weights="sum", k=2).value, rel=1e-4)
    assert fd != pytest.approx(sobolev_spectral(f, dx, s=2).value, rel=1e-2)


@pytest.mark.parametrize("s", [2.5, 150.0])
def test_spectral_large_s_random_data_against_mpmath(s):
    """Random samples: every frequency carries energy, so the FFT's relative error is small in every bin."""
    rng = np.random.default_rng(7)
    x, dx = periodic_grid(64)
    f = rng.standard_normal(64)
    exact = exact_dft_norm(f, dx, lambda xi: (1 + xi**2) ** s)
    assert rel(sobolev_spectral(f, dx, s=s).value, exact) < 1e-15


def test_float64_path_uses_logarithms_beyond_the_range(monkeypatch):
    """Where long double is float64 (Windows, macOS arm64), (1 + xi^2)^150 ~ 1e451 overflows: logarithms take over."""
    fd_extended = sobolev_fd(F_REF, DX_REF).value
    monkeypatch.setattr(sob, "EXT", np.float64)
    rng = np.random.default_rng(7)
    x, dx = periodic_grid(64)
    f = rng.standard_normal(64)
    exact = exact_dft_norm(f, dx, lambda xi: (1 + xi**2) ** 150)
    out = sobolev_spectral(f, dx, s=150)
    assert rel(out.value, exact) < 1e-12
    assert any("formed from logarithms" in n for n in out.notes)
    exact = exact_dft_norm(f, dx, lambda xi: mpmath.fsum(xi ** (2 * j) for j in range(151)))
    out = sobolev_spectral(f, dx, weights="sum", k=150)
    assert rel(out.value, exact) < 1e-12
    # the reference case: a float64 FFT is a few ulps off in |F_1|^2 (the long double FFT is not)
    assert abs(sobolev_spectral(F_REF, DX_REF).value - 2.5066282746310007) <= 3 * math.ulp(SQRT_2PI)
    assert sobolev_fd(F_REF, DX_REF).value == pytest.approx(fd_extended, rel=1e-15)


def test_spectral_beyond_float64_is_inf_with_a_warning():
    x, dx = periodic_grid(64)
    out = sobolev_spectral(trig(x), dx, s=2000)
    assert out.value == math.inf
    assert out.warnings == ["the H^2000 norm exceeds the float64 range (about 1.8e308)"]


def test_spectral_notes_rounding_noise_at_large_s():
    x, dx = periodic_grid(64)
    out = sobolev_spectral(trig(x), dx, s=20)
    assert any("rounding of the samples alone" in n for n in out.notes)
    assert not any("rounding of the samples alone" in n for n in sobolev_spectral(trig(x), dx, s=1).notes)


def test_spectral_notes_state_the_conventions():
    x, dx = periodic_grid(32)
    notes = sobolev_spectral(trig(x), dx).notes
    assert RECT_NOTE in notes and XI_NOTE in notes
    assert "angular frequency xi = 2 pi * cycles per unit of x" in XI_NOTE
    assert RECT_NOTE == ("integrals are dx * sum |g|^p over the samples (each sample a cell of width dx; "
                         "no division by the length)")


# ---------------------------------------------------------------------------
# Finite differences
# ---------------------------------------------------------------------------
def test_fornberg_weights_known_stencils():
    def w(offsets, m):
        return [float(v) for v in fornberg_weights(offsets, m)]

    assert w([-1, 0, 1], 1) == [-0.5, 0.0, 0.5]
    assert w([-1, 0, 1], 2) == [1.0, -2.0, 1.0]
    assert w([0, 1, 2], 1) == [-1.5, 2.0, -0.5]
    assert w([0, 1, 2, 3], 2) == [2.0, -5.0, 4.0, -1.0]
    assert w([-2, -1, 0, 1, 2], 3) == [-0.5, 1.0, 0.0, -1.0, 0.5]
    assert w([-2, -1, 0, 1, 2], 4) == [1.0, -4.0, 6.0, -4.0, 1.0]
    assert w([-1, 0, 1, 2], 1) == pytest.approx([-1 / 3, -1 / 2, 1, -1 / 6])
    with pytest.raises(ValueError):
        fornberg_weights([0, 1], 2)


def test_first_derivative_is_numpy_gradient():
    rng = np.random.default_rng(3)
    f = rng.standard_normal(40)
    np.testing.assert_allclose(derivative(f, 0.3, 1), np.gradient(f, 0.3, edge_order=2), rtol=1e-14, atol=1e-14)


def test_second_derivative_is_the_plain_stencil():
    rng = np.random.default_rng(4)
    f = rng.standard_normal(30)
    dx = 0.5
    ref = np.empty_like(f)
    ref[1:-1] = (f[2:] - 2 * f[1:-1] + f[:-2]) / dx**2
    ref[0] = (2 * f[0] - 5 * f[1] + 4 * f[2] - f[3]) / dx**2
    ref[-1] = (2 * f[-1] - 5 * f[-2] + 4 * f[-3] - f[-4]) / dx**2
    np.testing.assert_allclose(derivative(f, dx, 2), ref, rtol=1e-13, atol=1e-13)


@pytest.mark.parametrize("order", [1, 2, 3, 4])
def test_derivative_is_second_order_at_every_node(order):
    errors = []
    for n in (17, 33, 65):
        x = np.linspace(0.0, 1.0, n)
        errors.append(np.max(np.abs(derivative(np.exp(x), x[1] - x[0], order) - np.exp(x))))
    ratios = [errors[i] / errors[i + 1] for i in range(len(errors) - 1)]
    assert all(3.5 < r < 4.5 for r in ratios), ratios


@pytest.mark.parametrize("k", [1, 2])
def test_fd_order_of_accuracy_exp_trapezoid(k):
    """exp on [0, 1] with both endpoints: every ||f^(j)||_L2^2 is (e^2 - 1)/2."""
    exact = math.sqrt((k + 1) * (math.e**2 - 1) / 2)
    errors = []
    for n in (65, 129, 257, 513):
        x = np.linspace(0.0, 1.0, n)
        errors.append(abs(sobolev_fd(np.exp(x), x[1] - x[0], k=k, quadrature="trapezoid").value - exact))
    ratios = [errors[i] / errors[i + 1] for i in range(len(errors) - 1)]
    assert all(3.8 < r < 4.2 for r in ratios), ratios
    assert errors[-1] / exact < 1e-5


def test_fd_against_numpy_gradient_reference():
    rng = np.random.default_rng(5)
    f = np.cumsum(rng.standard_normal(200)) * 0.1
    dx = 0.05
    g = np.gradient(f, dx, edge_order=2)
    for quad, w in (("rect", np.ones(200)), ("trapezoid", np.r_[0.5, np.ones(198), 0.5])):
        ref = math.sqrt(dx * math.fsum(w * f * f) + dx * math.fsum(w * g * g))
        assert sobolev_fd(f, dx, k=1, quadrature=quad).value == pytest.approx(ref, rel=1e-13)
    for p in (1.0, 3.0):
        ref = (dx * math.fsum(np.abs(f) ** p) + dx * math.fsum(np.abs(g) ** p)) ** (1 / p)
        assert sobolev_fd(f, dx, k=1, p=p).value == pytest.approx(ref, rel=1e-13)


X8 = np.arange(9) / 8  # x^2 on [0, 1], dx = 1/8: the stencils are exact and so is the arithmetic


def test_fd_p1_rect_by_hand():
    # dx sum x_i^2 = (1/8)(204/64); dx sum 2 x_i = (1/8) 9; dx sum 2 = (1/8) 18
    out = sobolev_fd(X8**2, 0.125, k=2, p=1)
    assert out.terms == [("||f||_L1", 0.3984375), ("||f'||_L1", 1.125), ("||f''||_L1", 2.25)]
    assert out.value == 0.3984375 + 1.125 + 2.25
    assert out.title == "W^{2,1} norm (finite differences)"


def test_fd_p1_trapezoid_by_hand():
    # the end samples weigh half: x^2 -> (204/64 - 1/2)/8, 2x -> (9 - 1)/8 = 1 (exact), 2 -> (18 - 2)/8 = 2 (exact)
    out = sobolev_fd(X8**2, 0.125, k=2, p=1, quadrature="trapezoid")
    assert [v for _, v in out.terms] == [0.3359375, 1.0, 2.0]
    assert out.value == 3.3359375
    assert TRAPEZOID_NOTE in out.notes


def test_fd_pinf_by_hand():
    f = 1 - 3 * X8**2  # from 1 to -2; f' = -6x down to -6; f'' = -6
    out = sobolev_fd(f, 0.125, k=2, p=math.inf)
    assert out.terms == [("||f||_Linf", 2.0), ("||f'||_Linf", 6.0), ("||f''||_Linf", 6.0)]
    assert out.value == 6.0
    assert sobolev_fd(f, 0.125, k=0, p=math.inf).value == 2.0
    assert sobolev_fd(f, 0.125, k=2, p=math.inf, quadrature="trapezoid").value == 6.0  # max ignores weights


def test_fd_p2_by_hand():
    # x on [0, 1]: sum x_i^2 = 204/64, f' = 1: ||f||^2 = 204/512, ||f'||^2 = 9/8
    out = sobolev_fd(X8, 0.125, k=1)
    assert out.value == pytest.approx(math.sqrt(204 / 512 + 9 / 8), rel=2e-16)
    assert out.terms[1] == ("||f'||_L2", pytest.approx(math.sqrt(9 / 8), rel=2e-16))


def test_fd_small_p_is_not_a_norm():
    f = X8 + 1
    out = sobolev_fd(f, 0.125, k=1, p=0.5)
    ref = (0.125 * math.fsum(np.sqrt(f)) + 0.125 * math.fsum(np.ones(9))) ** 2
    assert out.value == pytest.approx(ref, rel=1e-15)
    assert any("is not a norm" in n for n in out.notes)
    assert "not a norm" in out.title


def test_fd_notes_state_the_conventions():
    out = sobolev_fd(F_REF, DX_REF, k=2)
    assert RECT_NOTE in out.notes
    assert any("second order" in n and "Fornberg" in n for n in out.notes)
    assert any(n.startswith("||f||_W^{2,2} = (sum_(j=0..2)") for n in out.notes)


def test_fd_k0_is_the_lp_norm():
    rng = np.random.default_rng(9)
    f = rng.standard_normal(10)
    assert sobolev_fd(f, 0.25, k=0).value == pytest.approx(math.sqrt(0.25 * math.fsum(f * f)), rel=1e-15)
    assert sobolev_fd(np.zeros(5), 1.0, k=2).value == 0.0


# ---------------------------------------------------------------------------
# Scaling: no overflow, exact homogeneity
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("c", [1e200, 1e-200, -3e150])
def test_scaling_fd(c):
    base = sobolev_fd(F_REF, DX_REF, k=1)
    out = sobolev_fd(F_REF * c, DX_REF, k=1)
    assert out.value == pytest.approx(abs(c) * base.value, rel=1e-15)
    for (_, v), (_, b) in zip(out.terms, base.terms):
        assert v == pytest.approx(abs(c) * b, rel=1e-15)
    assert not out.warnings


@pytest.mark.parametrize("c", [1e200, 1e-200, -3e150])
def test_scaling_fd_k2(c):
    """f * c rounds every sample (relative 1e-16) and f'' amplifies that by about 1/dx^2 at each node:
    the data differ, so the norms agree to about 1e-14, not to the last bit (powers of two: exactly, below)."""
    base = sobolev_fd(F_REF, DX_REF, k=2)
    out = sobolev_fd(F_REF * c, DX_REF, k=2)
    assert out.value == pytest.approx(abs(c) * base.value, rel=1e-13)
    assert not out.warnings


@pytest.mark.parametrize("c", [1e200, 1e-200, -3e150])
def test_scaling_spectral(c):
    base = sobolev_spectral(F_REF, DX_REF, s=1.5).value
    assert sobolev_spectral(F_REF * c, DX_REF, s=1.5).value == pytest.approx(abs(c) * base, rel=1e-15)


@pytest.mark.parametrize("e", [600, -600, 1000])
def test_power_of_two_scaling_is_exact(e):
    c = 2.0**e
    f = trig(X_REF)
    assert sobolev_fd(f * c, DX_REF, k=3, p=3).value == c * sobolev_fd(f, DX_REF, k=3, p=3).value
    assert sobolev_spectral(f * c, DX_REF, s=0.5).value == c * sobolev_spectral(f, DX_REF, s=0.5).value


def test_tiny_and_huge_steps():
    """dx^-k beyond the float64 range is no problem while the norm itself is in range."""
    x = np.arange(20) / 19
    base = sobolev_fd(np.sin(x), 1 / 19, k=3)
    # g = 2^-800 sin on a step 2^-370 / 19: dx^-3 ~ 2^1123 is beyond float64, ||g^(j)|| = 2^(370 j - 985) ||sin^(j)||
    out = sobolev_fd(np.sin(x) * 2.0**-800, 2.0**-370 / 19, k=3)
    for j, ((_, v), (_, b)) in enumerate(zip(out.terms, base.terms)):
        assert v == pytest.approx(math.ldexp(b, 370 * j - 985), rel=1e-15)
    assert out.value == pytest.approx(out.terms[3][1], rel=1e-15)  # the others are 2^-370 times smaller
    assert not out.warnings


def test_overflow_is_inf_with_a_warning():
    out = sobolev_fd(F_REF * 1e300, DX_REF * 1e-10, k=2)
    assert out.value == math.inf
    assert "||f''||_L2 exceeds the float64 range (about 1.8e308)" in out.warnings
    assert "the W^{2,2} norm exceeds the float64 range (about 1.8e308)" in out.warnings


@settings(max_examples=60, deadline=None)
@given(hnp.arrays(np.float64, st.integers(5, 40), elements=st.floats(-1e6, 1e6)),
       st.integers(-900, 900), st.sampled_from([1.0, 2.0, 3.5, math.inf]), st.integers(0, 3))
def test_homogeneity_property(f, e, p, k):
    """Scaling by a power of two is exact, as long as neither the samples nor the results are subnormal."""
    c = 2.0**e
    tiny = np.finfo(np.float64).tiny

    def normal(v):
        return v == 0 or v >= tiny

    assume(np.all((f == 0) | ((np.abs(f) >= tiny) & (np.abs(f * c) >= tiny))))
    base, big = sobolev_fd(f, 0.1, k=k, p=p).value, sobolev_fd(f * c, 0.1, k=k, p=p).value
    assume(normal(base) and normal(c * base))
    assert big == c * base
    if p == 2.0:
        base, big = sobolev_spectral(f, 0.1, s=k / 2).value, sobolev_spectral(f * c, 0.1, s=k / 2).value
        assume(normal(base) and normal(c * base))
        assert big == c * base


# ---------------------------------------------------------------------------
# grid_step
# ---------------------------------------------------------------------------
def test_grid_step_uniform():
    assert grid_step([0.0, 0.5, 1.0, 1.5]) == 0.5
    assert grid_step(X_REF) == pytest.approx(DX_REF, rel=1e-15)
    assert grid_step(np.linspace(-3, 5, 1001)) == pytest.approx(0.008, rel=1e-14)
    assert grid_step([2.0, 3.0]) == 1.0


def test_grid_step_non_uniform_names_the_row():
    x = np.arange(10.0)
    x[6:] += 0.01
    with pytest.raises(ValueError, match=r"the step from row 6 to row 7 is 1\.0099.*median step is 1\.0 "
                                         r"\(relative tolerance 1e-06\)"):
        grid_step(x)


def test_grid_step_tolerance_is_1e6():
    x = np.arange(10.0)
    x[5:] += 5e-7
    assert grid_step(x) == pytest.approx(1 + 5e-7 / 9)
    x[5:] += 1e-6
    with pytest.raises(ValueError, match="row 5 to row 6"):
        grid_step(x)


def test_grid_step_not_increasing():
    with pytest.raises(ValueError, match=r"not strictly increasing: row 3 \(x = 0\.5\) follows row 2 \(x = 1\.0\)"):
        grid_step([0.0, 1.0, 0.5, 2.0])
    with pytest.raises(ValueError, match="row 2"):
        grid_step([1.0, 1.0, 2.0])
    with pytest.raises(ValueError, match="not strictly increasing: row 2"):
        grid_step([3.0, 2.0, 1.0])


def test_grid_step_too_few_or_non_finite():
    with pytest.raises(ValueError, match="at least 2 values to give a grid step; got 1"):
        grid_step([1.0])
    with pytest.raises(ValueError, match="got 0"):
        grid_step([])
    with pytest.raises(ValueError, match="non-finite value at row 2"):
        grid_step([0.0, math.nan, 2.0])


# ---------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------
def test_too_few_samples():
    with pytest.raises(ValueError, match="^sobolev with k=2 needs at least 4 samples; got 3$"):
        sobolev_fd([1.0, 2.0, 3.0], 0.1, k=2)
    with pytest.raises(ValueError, match="^sobolev with k=1 needs at least 3 samples; got 2$"):
        sobolev_fd([1.0, 2.0], 0.1)
    sobolev_fd([1.0, 2.0, 4.0, 8.0], 0.1, k=2)  # exactly enough
    with pytest.raises(ValueError, match="f has no samples"):
        sobolev_spectral([], 0.1)


@pytest.mark.parametrize("p", [1.0, 3.0, math.inf, "2.5"])
def test_spectral_needs_p2(p):
    with pytest.raises(ValueError, match="spectral method needs p = 2"):
        sobolev_spectral(F_REF, DX_REF, p=p)


@pytest.mark.parametrize("s", [-1.0, -1e-9, math.nan, math.inf])
def test_spectral_bad_s(s):
    with pytest.raises(ValueError, match="s must be a finite number >= 0"):
        sobolev_spectral(F_REF, DX_REF, s=s)


def test_spectral_bad_weights_and_k():
    with pytest.raises(ValueError, match="unknown weights 'pow'"):
        sobolev_spectral(F_REF, DX_REF, weights="pow")
    with pytest.raises(ValueError, match="k goes with weights='sum'"):
        sobolev_spectral(F_REF, DX_REF, k=2)
    with pytest.raises(ValueError, match="weights='sum' needs an integer order k; got s = 1.5"):
        sobolev_spectral(F_REF, DX_REF, s=1.5, weights="sum")
    with pytest.raises(ValueError, match="k must be a non-negative integer"):
        sobolev_spectral(F_REF, DX_REF, weights="sum", k=-1)


@pytest.mark.parametrize("fn", [sobolev_fd, sobolev_spectral])
def test_non_finite_samples(fn):
    for bad in (math.nan, math.inf, -math.inf):
        with pytest.raises(ValueError, match="^f has non-finite values$"):
            fn([0.0, 1.0, bad, 2.0, 3.0], 0.1)


@pytest.mark.parametrize("fn", [sobolev_fd, sobolev_spectral])
@pytest.mark.parametrize("dx", [0.0, -0.1, math.nan, math.inf, "a"])
def test_bad_dx(fn, dx):
    with pytest.raises(ValueError, match="dx must be a positive finite number"):
        fn([0.0, 1.0, 2.0, 3.0], dx)


def test_fd_bad_k_p_quadrature_and_shape():
    f = [0.0, 1.0, 2.0, 3.0, 4.0]
    for k in (-1, 1.5, True, "1"):
        with pytest.raises(ValueError, match="k must be a non-negative integer"):
            sobolev_fd(f, 0.1, k=k)
    for p in (0.0, -1.0, -math.inf, math.nan, "x"):
        with pytest.raises(ValueError, match=r"p must be > 0 \(or inf\)"):
            sobolev_fd(f, 0.1, p=p)
    with pytest.raises(ValueError, match="unknown quadrature 'simpson'; use one of rect, trapezoid"):
        sobolev_fd(f, 0.1, quadrature="simpson")
    with pytest.raises(ValueError, match="one-dimensional"):
        sobolev_fd(np.ones((3, 3)), 0.1)


# ---------------------------------------------------------------------------
# The result
# ---------------------------------------------------------------------------
def test_result_table_and_plain_output():
    out = sobolev_fd(F_REF, DX_REF, k=1)
    r = sobolev_result("y", out)
    assert r.title == "W^{1,2} norm (finite differences)"
    assert r.columns == ["value", "||f||_L2", "||f'||_L2"]
    assert r.rows == [("y", out.value, out.terms[0][1], out.terms[1][1])]
    assert r.label == "function" and r.plain == [0]
    assert RECT_NOTE in r.notes
    buf = io.StringIO()
    show(r, "plain", out=buf)
    assert buf.getvalue() == repr(out.value) + "\n"  # `normcli sobolev ... | cat` prints the total alone


def test_result_spectral():
    out = sobolev_spectral(F_REF, DX_REF, s=1)
    r = sobolev_result("sin", out, label="column")
    assert r.title == "H^1 norm (spectral, periodic)"
    assert r.columns == ["value", "||f||_L2"]
    assert r.label == "column"
    assert XI_NOTE in r.notes and RECT_NOTE in r.notes
    assert isinstance(out, SobolevOutcome)
