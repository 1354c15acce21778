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
    mpmath.mp.dps = 40
    t, df = mpmath.mpf(t), mpmath.mpf(df)
    return mpmath.betainc(df / 2, mpmath.mpf(1) / 2, 0, df / (df + t * t), regularized=True) / 2


@pytest.mark.parametrize("df", DFS)
def test_t_tail_against_mpmath(df):
    for t in TS:
        if special.stdtr(df, -t) < 1e-250:
            continue  # beyond where a p-value means anything
        ref = float(_t_sf_mpmath(t, df))
        assert D.t_sf(t, df) == pytest.approx(ref, rel=1e-9), (t, df)
        assert D.t_sf(-t, df) == pytest.approx(1 - ref, rel=1e-12, abs=1e-300)


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
