"""core.distributions against scipy and mpmath: the p-values compare-models prints rest on these."""

from __future__ import annotations

import math
import warnings

import mpmath
import numpy as np
import pytest
from scipy import special, stats

from normcli.core import distributions as D

DFS = [1, 2, 3, 5, 6, 10, 30, 100, 999, 1e4, 1e5, 999_999]
TS = [0.0, 1e-8, 0.001, 0.1, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 7.0, 10.0, 20.0, 40.0, 100.0]


def _t_sf_mpmath(t, df):
    """P(T > t) at 50 digits, from the exact binary values of t and df."""
    with mpmath.workdps(50):
        t, df = mpmath.mpf(t), mpmath.mpf(df)
        upper = mpmath.betainc(df / 2, mpmath.mpf(1) / 2, 0, df / (df + t * t), regularized=True) / 2
        return upper if t >= 0 else 1 - upper


def _relative_error(got, ref):
    with mpmath.workdps(50):
        return float(abs(mpmath.mpf(got) / ref - 1))


@pytest.mark.parametrize("df", DFS)
def test_t_tail_against_mpmath(df):
    for t in TS:
        if special.stdtr(df, -t) < 1e-250:
            continue  # beyond where a p-value means anything
        ref = float(_t_sf_mpmath(t, df))
        assert D.t_sf(t, df) == pytest.approx(ref, rel=1e-12, abs=0), (t, df)  # approx's abs=1e-12 hid 4e-11
        assert D.t_sf(-t, df) == pytest.approx(1 - ref, rel=1e-12, abs=1e-300)


# Every regime of t_sf: small df (the shift a -> a + n below a = 15, df = 30),
# large df (where the 5-term series of ln B(df/2, 1/2) was off by 4.6e-12 at
# df = 101, and the continued fraction by 3.8e-10 at df = 1e7, 5e-8 near 1e9),
# and t from 0 to tails of 1e-300, on both sides of the switch y = t^2 / (df + t^2) = 0.29.
GRID_DFS = [1, 2, 3, 4.5, 7, 10, 29, 30, 31, 50, 100, 101, 150, 333, 1000, 1001, 12345, 1e5, 3e5, 1e6, 1e7, 1e9]
GRID_TS = [1e-8, 0.01, 0.3, 0.8, 1.0, 1.2, 1.25, 1.5, 2.0, 2.5, 3.0, 5.0, 8.0, 12.0, 20.0, 37.0, 100.0, 1e4, 1e50]
GRID_PS = [0.2, 0.01, 1e-5, 1e-10, 1e-20, 1e-50, 1e-100, 1e-150, 1e-200, 1e-250, 1e-300]


@pytest.mark.parametrize("df", GRID_DFS)
def test_t_tail_to_1e_12_of_mpmath_for_every_df_and_tail(df):
    # Measured worst (this grid, and 4000 random points of df in [0.1, 1e9]):
    # 1.5e-15 for p >= 1e-3; 1.1e-14 down to 1e-20; 2.2e-13 near 1e-240 (the
    # error grows like 2 ulp * ln(1/p): an ulp of t moves such a tail by
    # 2 ln(1/p) ulp). The old implementation: 3.8e-10 at df = 1e7, t = 2; 2e-8 at df = 1e9.
    switch = math.sqrt(df * 0.29 / 0.71)
    ts = GRID_TS + [switch * 0.999, switch * 1.001] + [float(-special.stdtrit(df, p)) for p in GRID_PS]
    worst = (0.0,)
    for t in ts:
        if not math.isfinite(t) or special.stdtr(df, -t) < 1e-300:
            continue
        for signed in (t, -t):
            ref = _t_sf_mpmath(signed, df)
            if ref < 1e-300:
                continue
            error = _relative_error(D.t_sf(signed, df), ref)
            if ref > 1e-3:
                assert error <= 1e-14, (signed, df, error)
            worst = max(worst, (error, signed))
    assert worst[0] <= 1e-12, (df, worst)


def test_two_sided_p_of_the_diebold_mariano_test_to_1e_12():
    # the p compare-models prints is min(1, 2 t_sf(|t|, n - 1)); n - 1 = 101 is where the issue started
    for df, t in [(101, 2.0), (101, 4.5), (1000, 3.0), (1e5, 2.5), (1e7, 2.0), (1e7, 6.0), (999, 30.0)]:
        ref = 2 * _t_sf_mpmath(t, df)
        assert _relative_error(min(1.0, 2 * D.t_sf(t, df)), ref) <= 1e-12, (df, t)


def test_t_tail_for_extreme_arguments():
    # |t| past 1e154, where t^2 overflows: the Cauchy tail is 1 / (pi t)
    assert D.t_sf(1e200, 1) == pytest.approx(1 / (math.pi * 1e200), rel=1e-14)
    assert D.t_sf(1e300, 1) == pytest.approx(1 / (math.pi * 1e300), rel=1e-14)
    # beyond df = 1e25 the normal tail is the t tail to far under an ulp
    for t in (1e-9, 2.0, 37.0, -3.0):
        assert D.t_sf(t, 1e30) == D.normal_sf(t)
        assert D.t_sf(t, 1e20) == pytest.approx(D.normal_sf(t), rel=1e-12)
    assert math.isnan(D.t_sf(1.0, 0.0)) and math.isnan(D.t_sf(1.0, math.nan))


def test_t_tail_against_scipy_at_random_points():
    rng = np.random.default_rng(0)
    for _ in range(500):
        df = float(rng.integers(1, 5000))
        t = float(abs(rng.standard_cauchy()))
        ref = special.stdtr(df, -t)
        if ref > 1e-250:
            assert D.t_sf(t, df) == pytest.approx(ref, rel=1e-8)


def test_t_tail_edges():
    assert D.t_sf(math.inf, 3) == 0.0 and D.t_sf(-math.inf, 3) == 1.0 and math.isnan(D.t_sf(math.nan, 3))
    assert D.t_sf(1e-8, 1) == pytest.approx(0.5 - math.atan(1e-8) / math.pi, rel=1e-15)  # Cauchy, exactly


def test_normal_functions():
    for z in [0.0, 0.5, 1.96, 5.0, 10.0, 30.0]:
        assert D.normal_sf(z) == pytest.approx(special.ndtr(-z), rel=1e-14)
    # erfc(z / sqrt 2) alone was off by up to 1.7e-13 near z = 37; measured now: 3.4e-16
    for z in [-8.0, -1.0, 0.3, 2.0, 3.62, 12.25, 25.0, 30.0, 34.25, 36.75, 37.5]:
        with mpmath.workdps(50):
            ref = mpmath.erfc(mpmath.mpf(z) / mpmath.sqrt(2)) / 2
        assert _relative_error(D.normal_sf(z), ref) <= 2e-15, z
    assert D.normal_sf(math.inf) == 0.0 and D.normal_sf(-math.inf) == 1.0 and math.isnan(D.normal_sf(math.nan))
    for q in [1e-12, 0.001, 0.025, 0.5, 0.9, 0.975, 0.999999]:
        assert D.normal_ppf(q) == pytest.approx(special.ndtri(q), rel=1e-14, abs=1e-15)


def test_signed_rank_counts_are_the_exact_distribution():
    for n in (1, 5, 12):
        counts = D.signed_rank_counts(n)
        assert sum(counts) == 2**n and len(counts) == n * (n + 1) // 2 + 1
        assert counts == counts[::-1]  # symmetric about n(n+1)/4


def test_signed_rank_test_equals_scipy():
    warnings.simplefilter("ignore")
    rng = np.random.default_rng(1)
    for trial in range(1500):
        n = int(rng.integers(1, 80))
        d = rng.integers(-5, 6, n).astype(float) if trial % 3 == 0 else rng.standard_normal(n) + 0.3
        d = d[d != 0]
        if d.size == 0:
            continue
        stat, p, method = D.signed_rank_test(d)
        ties = np.unique(np.abs(d)).size < d.size
        want = {"exact": "exact", "exact permutation": stats.PermutationMethod(),
                "normal approximation": "asymptotic"}[method]
        assert method == ("exact" if not ties and d.size <= 50 else
                          "exact permutation" if d.size <= 13 else "normal approximation")
        ref = stats.wilcoxon(d, method=want)
        assert stat == ref.statistic
        assert p == pytest.approx(ref.pvalue, rel=1e-12)
