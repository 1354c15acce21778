"""The few distribution functions the paired tests need, without importing scipy.

scipy has all of these, but importing ``scipy.special`` costs about 0.4 s
here and ``scipy.stats`` about 1.1 s, several times the whole budget of a
one-shot ``compare-models`` call (a minimal Typer + numpy script takes
0.25 s). The functions are small and classical; the tests compare each
with scipy across its range (to 1e-12 relative or better).

- :func:`t_sf`: Student's t upper tail, through the regularized
  incomplete beta function I_x(df/2, 1/2), by the power series and the
  asymptotic expansion that TOMS 708 (DiDonato and Morris; R's pbeta)
  uses for b = 1/2.
- :func:`normal_sf`, :func:`normal_ppf`: ``math.erfc`` (its argument's
  rounding error put back) and the standard library's
  ``statistics.NormalDist`` (Wichura's AS 241).
- :func:`signed_rank_counts`: the exact null distribution of the Wilcoxon
  signed-rank statistic, as integer counts.
"""

from __future__ import annotations

import math
from functools import lru_cache

_SQRT_PI = math.sqrt(math.pi)

# 1/sqrt(2) as an unevaluated sum of two doubles
_RSQRT2_HI = 0.7071067811865476
_RSQRT2_LO = -4.833646656726457e-17


def _split(v: float) -> tuple[float, float]:
    """Veltkamp's split of v into two halves of 26 bits, whose products are exact."""
    c = 134217729.0 * v  # 2^27 + 1
    hi = c - (c - v)
    return hi, v - hi


def normal_sf(z: float) -> float:
    """P(Z > z) for a standard normal Z, to a few ulp down to 1e-300.

    erfc(z / sqrt 2) alone is off by about z^2 ulp: the rounding of the
    argument is amplified by erfc's slope, 2e-13 relative near z = 37. The
    rounding error of z / sqrt 2 is recovered exactly (Dekker's product) and
    put back to first order, erfc(h + l) = erfc(h) - l 2 exp(-h^2) / sqrt(pi).

    >>> normal_sf(0.0), round(normal_sf(1.9599639845400536), 12)
    (0.5, 0.025)
    """
    if not abs(z) < 40.0:  # nan, inf, or a tail that underflows: nothing to correct
        return 0.5 * math.erfc(z * _RSQRT2_HI)
    h = z * _RSQRT2_HI
    zh, zl = _split(z)
    ch, cl = _split(_RSQRT2_HI)
    low = (((zh * ch - h) + zh * cl + zl * ch) + zl * cl) + z * _RSQRT2_LO
    return 0.5 * (math.erfc(h) - low * (2.0 / _SQRT_PI) * math.exp(-h * h))


def normal_ppf(q: float) -> float:
    """The standard normal quantile (Wichura's AS 241, from the standard library).

    >>> normal_ppf(0.975)
    1.9599639845400536
    """
    from statistics import NormalDist

    return NormalDist().inv_cdf(q)


# B_2k / (2k (2k - 1)), k = 1..8: the Stirling series of ln Gamma. From x = 10 on, the
# first omitted term is below 2e-18, far under an ulp of anything it is added to.
_STIRLING = (1 / 12, -1 / 360, 1 / 1260, -1 / 1680, 1 / 1188, -691 / 360360, 1 / 156, -3617 / 122400)


def _stirling_tail(x: float) -> float:
    """ln Gamma(x) - ((x - 1/2) ln x - x + ln(2 pi) / 2), for x >= 10."""
    r = 1.0 / x
    r2 = r * r
    s = 0.0
    for c in reversed(_STIRLING):
        s = s * r2 + c
    return s * r


def _log_ratio_correction(a: float) -> float:
    """ln G(a), G(a) = Gamma(a + 1/2) / (Gamma(a) sqrt(a - 1/4)), for a >= 10.

    Stirling's formula for both Gammas, arranged so that no ln a is left:
    lgamma(a + 1/2) - lgamma(a) is the difference of two numbers near
    a ln a and keeps their ulp (1e-9 at a = 5e6) as an absolute error,
    which the exponential turns into a relative error of the p-value. Here
    every term is O(1) or O(1/a), and the result (about 1/(64 a^2)) is good
    to an ulp of G.
    """
    h = 0.5 / a
    return (a * math.log1p(h) - 0.5) - 0.5 * math.log1p(-0.5 * h) + (_stirling_tail(a + 0.5) - _stirling_tail(a))


def _gamma_ratio(a: float) -> float:
    """Gamma(a + 1/2) / Gamma(a) for a > 0: below 10, shifted up by Gamma(a + 1) = a Gamma(a) first."""
    n = max(0, math.ceil(10.0 - a))
    shifted = a + n
    ratio = math.sqrt(shifted - 0.25) * math.exp(_log_ratio_correction(shifted))
    for k in range(n):
        ratio *= (a + k) / (a + k + 0.5)
    return ratio


def _bpser_half(a: float, x: float, xa: float) -> float:
    """I_x(a, 1/2) by its power series in x (DiDonato and Morris's BPSER), for x <= 0.71; ``xa`` is x^a.

    I_x(a, 1/2) = x^a Gamma(a + 1/2) / (Gamma(a + 1) sqrt(pi)) * (1 + a sum_j (1/2)_j / j! x^j / (a + j)):
    positive terms falling at least as fast as 0.71^j, so no cancellation,
    and about 110 terms at the worst x.
    """
    term = 1.0
    s = 0.0
    j = 0
    while True:
        j += 1
        term *= (j - 0.5) / j * x
        step = term / (a + j)
        s += step
        # the rest is below step * x / (1 - x) <= 2.5 step
        if a * step <= 1e-17 * (1.0 + a * s):
            break
    return xa * (_gamma_ratio(a) / (a * _SQRT_PI)) * (1.0 + a * s)


def _bgrat_half(a: float, lnx: float) -> float:
    """I_x(a, 1/2) for a >= 15 by DiDonato and Morris's asymptotic expansion BGRAT (TOMS 708, section 9).

    With nu = a - 1/4 and z = -nu ln x, I_x(a, 1/2) = M sum_n d_n J_n, where
    M = e^-z sqrt(z / pi) G(a), J_0 = erfc(sqrt z) / (e^-z sqrt(z / pi)),
    and J_n follows from J_(n-1) by a two-term recurrence, so that
    J_n = alpha_n J_0 + beta_n. Kept apart like that, the factors e^-z and
    e^z of M J_0 never meet: the result is G (erfc(sqrt z) sum d_n alpha_n
    + e^-z sqrt(z / pi) sum d_n beta_n), with no exp(z) to overflow and no
    large exponent to round, even where the tail is 1e-300. The terms fall
    like (ln x / (2 nu))^2n.
    """
    nu = a - 0.25
    z = -nu * lnx
    root = math.sqrt(z)
    tail = math.erfc(root)
    r = math.exp(-z) * root / _SQRT_PI
    v = 0.25 / (nu * nu)
    t2 = 0.25 * lnx * lnx
    alpha, beta, power, cn = 1.0, 0.0, 1.0, 1.0
    s_alpha, s_beta = 1.0, 0.0  # d_0 = 1, J_0 = 1 * J_0 + 0
    c: list[float] = []
    d: list[float] = []
    for n in range(1, 31):
        bp = 2.0 * n - 1.5  # b + 2(n - 1)
        k = bp * (bp + 1.0)
        alpha = k * alpha * v
        beta = (k * beta + (z + bp + 1.0) * power) * v
        power *= t2
        cn /= (2.0 * n) * (2.0 * n + 1.0)  # 1 / (2n + 1)!
        c.append(cn)
        s = 0.0
        for i in range(1, n):
            s += (0.5 * i - n) * c[i - 1] * d[n - 1 - i]
        dn = -0.5 * cn + s / n  # (b - 1) c_n + ...
        d.append(dn)
        s_alpha += dn * alpha
        s_beta += dn * beta
        if abs(dn * (alpha * tail + beta * r)) <= 1e-17 * (tail * s_alpha + r * s_beta):
            break
    return math.exp(_log_ratio_correction(a)) * (tail * s_alpha + r * s_beta)


def _t_upper(s: float, df: float) -> float:
    """I_x(df/2, 1/2) with x = df / (df + s^2): twice P(T > s), for s > 0.

    The methods are those TOMS 708 (R's pbeta) picks for b = 1/2. For
    y = 1 - x >= 0.29 the power series in x. Below, DiDonato and Morris's
    expansion for large a; under a = 15 it is not yet accurate, so a is
    first raised to a + n >= 15 by I_x(a, b) = I_x(a + n, b) + sum_i<n
    x^(a+i) y^b / ((a + i) B(a + i, b)), all terms positive. (The continued
    fraction once used here cancels in its denominators, 1 + a_m d with
    a_m d near -1, when a is large and x near 1: it lost 4e-10 at df = 10^7
    and 5e-8 near 10^9.)
    """
    a = 0.5 * df
    if s * s < df:
        r = s * s / df
        x, y = 1.0 / (1.0 + r), r / (1.0 + r)
        lnx = -math.log1p(r)  # not log(x): an ulp of x near 1 would cost a * 1e-16 of x^a
    else:
        q = df / s / s  # no s * s, which overflows for |t| > 1e154
        x, y = q / (1.0 + q), 1.0 / (1.0 + q)
        # x may underflow while x^a (a < 1) does not
        lnx = math.log(x) if x > 1e-300 else math.log(df / s) - math.log(s) - math.log1p(q)
    if y >= 0.29:
        # pow of the (1-ulp) x rather than exp(a ln x): ln x is large here
        # for small a, and the rounding of a ln x would become ~|a ln x| ulp
        return _bpser_half(a, x, x ** a if x > 1e-300 else math.exp(a * lnx))
    total = 0.0
    if a < 15:
        n = math.ceil(15.0 - a)
        term = math.exp(a * lnx) * math.sqrt(y) * _gamma_ratio(a) / (a * _SQRT_PI)
        for i in range(n):
            total += term
            term *= x * (a + i + 0.5) / (a + i + 1.0)
        a += n
    return total + _bgrat_half(a, lnx)


def t_sf(t: float, df: float) -> float:
    """P(T > t) for Student's t with ``df`` degrees of freedom, to 1e-15 relative where p > 1e-3.

    Through I_x(df/2, 1/2), x = df / (df + t^2), by the methods of TOMS 708
    for b = 1/2 (see :func:`_t_upper`). Against mpmath, over df from 0.1
    to 1e9, the relative error stays under about 2 ulp * ln(1/p): 1e-14 at
    p = 1e-20, 2e-13 near 1e-250. Deep in the tail that is what an ulp of
    t itself is worth, since it moves p by 2 ln(1/p) ulp.

    Examples
    --------
    >>> round(t_sf(3.1063364634, 6) * 2, 10)  # the two-sided p of the paired t-test
    0.0209464611
    >>> t_sf(0.0, 5)
    0.5
    """
    if math.isnan(t) or not df > 0:
        return math.nan
    if t == 0:
        return 0.5
    if df > 1e25:
        # t / normal - 1 is about t^4 / (4 df): under 1e-19 wherever either tail is a
        # normal double, while t^2 / df would already be subnormal for tiny t
        return normal_sf(t)
    s = abs(t)
    tail = 0.0 if s == math.inf else 0.5 * _t_upper(s, df)
    return tail if t > 0 else 1.0 - tail


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
        chunk.sort()  # only the sum of the ranks is needed; sorted queries walk ``ordered`` in order (10x faster)
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
