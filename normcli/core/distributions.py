"""The few distribution functions the paired tests need, without importing scipy.

scipy has all of these, but importing ``scipy.special`` costs about 0.4 s
here and ``scipy.stats`` about 1.1 s, several times the whole budget of a
one-shot ``compare-models`` call (a minimal Typer + numpy script takes
0.25 s). The functions are small and classical; the tests compare each
with scipy across its range (to 1e-12 relative or better).

- :func:`t_sf`: Student's t upper tail, through the regularized
  incomplete beta function (continued fraction, modified Lentz).
- :func:`normal_sf`, :func:`normal_ppf`: ``math.erfc`` and the standard
  library's ``statistics.NormalDist`` (Wichura's AS 241).
- :func:`signed_rank_counts`: the exact null distribution of the Wilcoxon
  signed-rank statistic, as integer counts.
"""

from __future__ import annotations

import math
from functools import lru_cache

_TINY = 1e-300
_EPS = 1e-16


def normal_sf(z: float) -> float:
    """P(Z > z) for a standard normal Z, accurate in the far tail.

    >>> normal_sf(0.0), round(normal_sf(1.9599639845400536), 12)
    (0.5, 0.025)
    """
    return 0.5 * math.erfc(z / math.sqrt(2.0))


def normal_ppf(q: float) -> float:
    """The standard normal quantile (Wichura's AS 241, from the standard library).

    >>> normal_ppf(0.975)
    1.9599639845400536
    """
    from statistics import NormalDist

    return NormalDist().inv_cdf(q)


def _log_beta(a: float, b: float) -> float:
    """ln B(a, b); for b = 1/2 and large a through the expansion of Gamma(a + 1/2) / Gamma(a).

    lgamma(a) - lgamma(a + 1/2) for a near 10^6 loses ten digits to
    cancellation; the series does not.
    """
    if b == 0.5 and a > 50:
        # Gamma(a + 1/2) / Gamma(a) = sqrt(a) (1 - 1/(8a) + 1/(128a^2) + 5/(1024a^3) - 21/(32768a^4) + ...)
        r = 1.0 / a
        series = 1 - r / 8 + r * r / 128 + 5 * r ** 3 / 1024 - 21 * r ** 4 / 32768
        return 0.5 * math.log(math.pi) - 0.5 * math.log(a) - math.log(series)
    return math.lgamma(a) + math.lgamma(b) - math.lgamma(a + b)


def _beta_cf(a: float, b: float, x: float) -> float:
    """The continued fraction of I_x(a, b) (modified Lentz), for x < (a + 1) / (a + b + 2)."""
    qab, qap, qam = a + b, a + 1.0, a - 1.0
    c, d = 1.0, 1.0 - qab * x / qap
    d = 1.0 / (d if abs(d) > _TINY else _TINY)
    h = d
    for m in range(1, 100_000):
        m2 = 2 * m
        aa = m * (b - m) * x / ((qam + m2) * (a + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > _TINY else _TINY)
        c = 1.0 + aa / c
        c = c if abs(c) > _TINY else _TINY
        h *= d * c
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > _TINY else _TINY)
        c = 1.0 + aa / c
        c = c if abs(c) > _TINY else _TINY
        step = d * c
        h *= step
        if abs(step - 1.0) < _EPS:
            return h
    return h  # pragma: no cover - converges in O(sqrt(max(a, b))) steps


def _betainc(a: float, b: float, x: float, y: float) -> float:
    """I_x(a, b), the regularized incomplete beta function, given x and y = 1 - x (both exact).

    The logarithms come from log1p of the smaller of x and y: with a near
    10^6 an ulp of error in log x would cost five digits of the result.
    """
    if x <= 0:
        return 0.0
    if y <= 0:
        return 1.0
    lx = math.log1p(-y) if y < 0.5 else math.log(x)
    ly = math.log1p(-x) if x < 0.5 else math.log(y)
    front = math.exp(a * lx + b * ly - _log_beta(a, b))
    if x < (a + 1) / (a + b + 2):
        return front / a * _beta_cf(a, b, x)
    return 1.0 - front / b * _beta_cf(b, a, y)


def t_sf(t: float, df: float) -> float:
    """P(T > t) for Student's t with ``df`` degrees of freedom.

    Examples
    --------
    >>> round(t_sf(3.1063364634, 6) * 2, 10)  # the two-sided p of the paired t-test
    0.0209464611
    >>> t_sf(0.0, 5)
    0.5
    """
    if math.isnan(t):
        return math.nan
    if t == math.inf:
        return 0.0
    if t == -math.inf:
        return 1.0
    t2 = t * t
    x = df / (df + t2)
    y = t2 / (df + t2)  # 1 - x without cancellation
    tail = 0.5 * _betainc(df / 2.0, 0.5, x, y)
    return tail if t >= 0 else 1.0 - tail


@lru_cache(maxsize=64)
def signed_rank_counts(n: int) -> tuple[int, ...]:
    """How many of the 2^n sign patterns give each value 0..n(n+1)/2 of the signed-rank sum W+.

    >>> signed_rank_counts(3)
    (1, 1, 1, 2, 1, 1, 1)
    """
    counts = [1]
    for k in range(1, n + 1):
        grown = counts + [0] * k
        for s, c in enumerate(counts):
            grown[s + k] += c
        counts = grown
    return tuple(counts)


def signed_rank_exact_p(r_plus: float, n: int) -> float:
    """Two-sided exact p of the signed-rank sum (no ties, no zeros), as scipy's ``method="exact"``.

    >>> signed_rank_exact_p(1.0, 7)
    0.03125
    """
    counts = signed_rank_counts(n)
    total = 1 << n
    lo = sum(counts[: math.ceil(r_plus) + 1])  # P(W+ <= r) * 2^n
    hi = sum(counts[math.floor(r_plus):])  # P(W+ >= r) * 2^n
    return min(1.0, 2 * min(lo, hi) / total)


def average_ranks(values):
    """Ranks 1..n of ``values`` (a numpy array), ties sharing their average rank; and the tie group sizes.

    >>> r, t = average_ranks(__import__("numpy").array([3.0, 1.0, 3.0, 2.0]))
    >>> r.tolist(), t.tolist()
    ([3.5, 1.0, 3.5, 2.0], [1, 1, 2])
    """
    import numpy as np

    order = np.argsort(values, kind="mergesort")
    sorted_values = values[order]
    starts = np.flatnonzero(np.r_[True, sorted_values[1:] != sorted_values[:-1]])
    sizes = np.diff(np.r_[starts, values.size])
    average = starts + (sizes + 1) / 2.0  # 1-based mean rank of each tie group
    ranks = np.empty(values.size)
    ranks[order] = np.repeat(average, sizes)
    return ranks, sizes


def signed_rank_test(d) -> tuple[float, float, str]:
    """Two-sided Wilcoxon signed-rank test of non-zero differences ``d``: (min(W+, W-), p, method).

    The same choices as ``scipy.stats.wilcoxon`` (method "auto",
    ``correction=False``): the exact null distribution for up to 50
    differences without ties; with ties, an exhaustive permutation test
    (all 2^n sign patterns) for up to 13; otherwise the normal
    approximation with the tie correction of the variance.

    >>> signed_rank_test(__import__("numpy").array([75.0, -15, 135, 180, 20, 48, 133]))
    (1.0, 0.03125, 'exact')
    """
    import numpy as np

    d = np.asarray(d, dtype=np.float64)
    n = d.size
    if n > 50:
        return _signed_rank_large(d)
    ranks, sizes = average_ranks(np.abs(d))
    positive = d > 0
    r_plus = float(ranks[positive].sum())
    r_minus = float(ranks[~positive].sum())
    statistic = min(r_plus, r_minus)
    ties = bool((sizes > 1).any())
    if not ties and n <= 50:
        return statistic, signed_rank_exact_p(r_plus, n), "exact"
    if n <= 13:
        # Every sign pattern: W+ of each is the sum of the ranks it makes positive.
        patterns = (np.arange(1 << n)[:, None] >> np.arange(n)) & 1
        null = patterns @ ranks
        gamma = abs(r_plus) * np.finfo(np.float64).eps * 100  # scipy's tolerance for equal sums
        less = np.count_nonzero(null <= r_plus + gamma) / null.size
        greater = np.count_nonzero(null >= r_plus - gamma) / null.size
        return statistic, min(1.0, 2 * min(less, greater)), "exact permutation"
    mean = n * (n + 1) / 4.0
    se = math.sqrt((n * (n + 1) * (2 * n + 1) - float(np.sum(sizes ** 3 - sizes)) / 2) / 24)
    z = (r_plus - mean) / se
    return statistic, min(1.0, 2 * normal_sf(abs(z))), "normal approximation"


def _signed_rank_large(d) -> tuple[float, float, str]:
    """The normal approximation for n > 50 in O(n) memory: one sorted copy of |d|, ranks by binary search.

    The rank of |d_i| is its position among the sorted |d| (ties: the mean
    of their positions), so W+ sums, over the positive d_i, searchsorted
    left + right + 1, halved; no rank array of n entries is built.
    """
    import numpy as np

    n = d.size
    ordered = np.abs(d)
    ordered.sort()
    same = ordered[1:] == ordered[:-1]
    ties = bool(same.any())
    r_plus = 0.0
    positive = d > 0
    for start in range(0, n, 1 << 20):
        chunk = np.abs(d[start:start + (1 << 20)][positive[start:start + (1 << 20)]])
        left = np.searchsorted(ordered, chunk, "left")
        if ties:
            right = np.searchsorted(ordered, chunk, "right")
            r_plus += float(((left + right + 1) / 2.0).sum())
        else:
            r_plus += float((left + 1).sum(dtype=np.float64))
    tie_term = 0.0
    if ties:
        starts = np.flatnonzero(np.r_[True, ~same])
        sizes = np.diff(np.r_[starts, n]).astype(np.float64)
        tie_term = float(np.sum(sizes ** 3 - sizes))
    r_minus = n * (n + 1) / 2.0 - r_plus
    mean = n * (n + 1) / 4.0
    se = math.sqrt((n * (n + 1) * (2 * n + 1) - tie_term / 2) / 24)
    z = (r_plus - mean) / se
    return min(r_plus, r_minus), min(1.0, 2 * normal_sf(abs(z))), "normal approximation"
