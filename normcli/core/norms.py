"""p-norms, power means and matrix norms, safe from overflow and underflow.

Every reduction here is a mergeable accumulator: a chunk of a vector is
reduced to a scale and a scaled sum, and two partial results merge into the
result of one pass. That is what lets a file be reduced chunk by chunk in
bounded memory.

Why not ``numpy.linalg.norm``: it squares (or raises to p) unscaled values,
so ``[1e200, 1e200]`` gives inf and ``[3e-320, 4e-320]`` gives 0, and it
sums in float64. Here values are scaled by a power of two taken from the
largest magnitude (exact), the terms are summed in extended precision where
the platform has it, and the result is rescaled once. Near p = 0, where
(sum |x|^p)^(1/p) would turn the sum's last-bit error into a large one,
the sums hold |x|^p - 1 about the values' center instead, and the
geometric mean (p = 0) adds the values' binary exponents as integers.

:func:`power_means` is the one implementation of the power mean and the
geometric mean in core: ``norm --mean`` rounds its values, and
:mod:`normcli.core.grads` differences them and builds the gradient on them.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from .errors import CoreError
from .precision import EXT, EXTENDED, LN2, ext, rows_to_float64, to_float64
from .result import ColumnBatch, Outcome, Result

INF = math.inf

#: Names accepted for an order, besides numbers and ``inf``/``-inf``.
NAMED_ORDERS: dict[str, float] = {
    "l1": 1.0,
    "taxicab": 1.0,
    "manhattan": 1.0,
    "l2": 2.0,
    "euclidean": 2.0,
    "linf": INF,
    "max": INF,
    "chebyshev": INF,
}

#: Matrix orders accepted by :func:`matrix_norm` (as typed on the command line).
MATRIX_ORDERS: tuple[str, ...] = ("fro", "nuc", "2", "-2", "1", "-1", "inf", "-inf")

# The sums are in extended precision where the platform has it (see
# normcli.core.precision); elsewhere the scaled terms are summed exactly with
# math.fsum, which is slower but just as accurate.

# Above this |p| a power-of-two scale can take the largest term
# (in [1, 2) ** p) beyond the float64 range; divide by the extreme value
# itself instead, so that term is exactly 1.
_POW2_LIMIT = 1000.0

# For 0 < |p| < SMALL_P the sums hold expm1(p ln(|x| / c)) = (|x| / c)^p - 1
# (see _tiny_terms), with c a power of two at the center of the values (see
# _centers), not the powers of the values scaled by the extreme one:
#
# * The power mean is c (1 + m)^(1/p), m = mean (|x| / c)^p - 1, and m is
#   O(p): a sum of powers rounded to relative eps is an error of eps / |p|
#   in the result (1.0 for [1, 2] at p = 1e-16, the limit being sqrt(2)),
#   while m summed on its own keeps its relative accuracy and
#   c exp(log1p(m) / p) loses nothing.
# * Scaling by the extreme value would push values whose terms still count
#   out of range (subnormal for p > 0, past the float64 range for p < 0),
#   and make ln(|x| / c), whose rounding error ends up in the result, large.
#   About the center the mean of the terms is at least exp(-|p|) (Jensen).
#
# From SMALL_P on, the terms are the scaled powers, in extended precision
# below |p| = 1 (see _terms): their error of eps_ext grows to eps_ext / |p|.
#: Below this |p| (p != 0) the power sums hold (|x| / c)^p - 1 about the values' center c, not powers
#: scaled by the extreme value; a caller that pre-scales vectors (distances) must leave them unscaled there.
SMALL_P = 0.25

# sqrt(1/2) for the geometric mean (see _log_parts).
_SQRT_HALF = math.sqrt(0.5)


def parse_order(text: str) -> float:
    """Return the order p named by ``text``.

    Parameters
    ----------
    text : str
        A real number, ``inf``, ``-inf`` or one of the names in
        :data:`NAMED_ORDERS` (case-insensitive).

    Returns
    -------
    float

    Raises
    ------
    CoreError
        If ``text`` names no order; the message lists what is accepted.

    Examples
    --------
    >>> parse_order("euclidean"), parse_order("-inf"), parse_order("0.5")
    (2.0, -inf, 0.5)
    """
    key = text.strip().lower()
    if key in NAMED_ORDERS:
        return NAMED_ORDERS[key]
    try:
        p = float(key)
    except ValueError:
        p = math.nan
    if math.isnan(p) or "_" in key:
        names = ", ".join(NAMED_ORDERS)
        raise CoreError(
            f"{text!r} is not an order; use a real number, inf, -inf or one of {names}"
        ) from None
    return p


def order_name(p: float) -> str:
    """Short name of an order: ``2``, ``0.5``, ``inf``, ``-inf``.

    >>> order_name(2.0), order_name(0.5), order_name(-INF)
    ('2', '0.5', '-inf')
    """
    if math.isinf(p):
        return "inf" if p > 0 else "-inf"
    if p == int(p) and abs(p) < 1e16:
        return str(int(p))
    return repr(p)


def order_kind(p: float) -> str:
    """What ||x||_p is for this p: ``norm``, ``count``, ``quasi-norm`` or ``not a norm``.

    >>> [order_kind(p) for p in (1, 0, 0.5, -1, -INF)]
    ['norm', 'count', 'quasi-norm', 'not a norm', 'not a norm']
    """
    if p >= 1:
        return "norm"
    if p == 0:
        return "count"
    if p > 0:
        return "quasi-norm"
    return "not a norm"


def scaled(x: np.ndarray) -> tuple[np.ndarray, float]:
    """x / s and s, with s the power of two at or below max |x|: exact, and sums of powers of x / s
    neither overflow nor underflow. An all-zero or non-finite x comes back unscaled (s = 1).

    >>> scaled(np.array([3e300, -1e300]))[1] == 2.0 ** 998
    True
    """
    peak = float(np.max(np.abs(x))) if x.size else 0.0
    if peak == 0 or not math.isfinite(peak):
        return x, 1.0
    s = math.ldexp(1.0, math.frexp(peak)[1] - 1)
    return x / s, s


def _scaled_sum(a: np.ndarray, p: float, scale: float):
    """Sum of the terms (see _terms, _tiny_terms) of a / scale for finite ``a`` >= 0, accurately.

    A zero's term is 0 for p > 0; for p < 0, ``a`` must have no zeros.
    """
    if abs(p) < SMALL_P:
        terms = _tiny_terms(a, p, scale)
        if p > 0:
            terms = np.where(a > 0, terms, 0)  # not expm1(-inf) = -1: zeros are counted apart
        return terms.sum() if EXTENDED else math.fsum(terms)
    if scale != 1.0:
        # Exact for a power-of-two scale, bar subnormals. For p < 0 a value
        # far above the smallest may overflow to inf: its term is then 0,
        # as good as exact beside the smallest value's term of about 1
        # (|p| >= SMALL_P here, so the true term is below 2^-255).
        with np.errstate(over="ignore"):
            a = a / scale
    terms = _terms(a, p)
    if EXTENDED:
        return terms.sum(dtype=EXT)
    return math.fsum(terms)


def _terms(a: np.ndarray, p: float) -> np.ndarray:
    """The summed terms |a|^p of scaled non-negative values ``a`` (any shape), for |p| >= SMALL_P.

    Where the platform has extended precision and |p| < 1, the terms are
    computed in it: a float64 term's error of 2^-53 would grow to
    2^-53 / |p| in the p-th root. exp(p ln a) there, not ``np.power``:
    powl is several times slower and no more accurate once its result is
    rounded to 64 bits.
    """
    if p == 1.0:
        return a
    if p == 2.0:
        return np.square(a)  # exact squares, as numpy's power gives them
    if not (EXTENDED and abs(p) < 1):
        return np.power(a, p)
    with np.errstate(divide="ignore", over="ignore"):
        return np.exp(np.log(a.astype(EXT)) * EXT(p))


def _tiny_terms(a: np.ndarray, p: float, scale) -> np.ndarray:
    """expm1(p ln(a / scale)) = (a / scale)^p - 1 for non-negative ``a``, |p| < SMALL_P.

    The sum of these keeps the O(p) part that the power mean is made of.
    ``scale`` (a power of two, broadcast against ``a``) is the center of
    the values (see _centers), so that ln(a / scale), and the rounding
    error of each logarithm, is small. a / scale is taken in extended
    precision, which holds it exactly whatever the spread; in float64 its
    exponent is taken apart instead. A zero gives -1 (p > 0) or inf
    (p < 0): callers leave zeros out of the sum.
    """
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if EXTENDED:
            logs = np.log(a.astype(EXT) / np.asarray(scale).astype(EXT))
            return np.expm1(logs * EXT(p))
        # a / scale could leave the float64 range: ln m + (e - k) ln 2 for a = m 2^e, scale = 2^k
        m, e = np.frexp(a)
        return np.expm1((np.log(m) + (e - (np.frexp(scale)[1] - 1)) * LN2) * p)


def _centers(a: np.ndarray) -> np.ndarray:
    """The scale of each row of ``a`` (>= 0, 2-D) for _tiny_terms: 2^round(mean log2 of its non-zeros).

    Integer arithmetic on the exponents only, so that a row of
    :func:`row_norms` and the same vector in a :class:`NormAccumulator`
    get the same scale.
    """
    e = np.frexp(a)[1].astype(np.int64) - 1  # a zero gives -1: taken back out below
    count = np.count_nonzero(a, axis=1)
    total = e.sum(axis=1) + (a.shape[1] - count)
    k = (2 * total + count) // (2 * np.maximum(count, 1))  # floor(mean + 1/2), in [-1074, 1023] for float64
    return np.ldexp(a.dtype.type(1), k)  # of a's type: an EXT center may lie beyond the float64 range


def _log_parts(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(ln m, e) with a = m 2^e exactly, m in [sqrt(1/2), sqrt(2)), for positive ``a`` (any shape).

    The geometric mean is exp(mean ln a). ln a itself, rounded, is off by
    up to |ln a| eps, 745 eps for 1e-323; split like this only ln m is
    rounded (|ln m| < 0.35) and the exponents add up exactly as integers.
    ln m is taken in extended precision where the platform has it.
    """
    m, e = np.frexp(a)
    low = m < _SQRT_HALF
    m = np.where(low, m * 2.0, m)  # exact
    e = e.astype(np.int64) - low
    with np.errstate(divide="ignore"):  # a zero (m = 0) gives -inf, and the mean 0
        logs = np.log(m.astype(EXT)) if EXTENDED else np.log(m)
    return logs, e


def _geometric(log_total, log2_total, n):
    """exp((log_total + log2_total ln 2) / n) for the sums of :func:`_log_parts`, to extended precision.

    Scalars (Python int ``log2_total``) or arrays alike. The integer part
    of log2_total / n becomes an exact power of two; what is left of the
    exponent is below 1.1 in size, so exp adds no error of its own size.
    """
    q = log2_total // n  # floor, so 0 <= r < n
    r = log2_total - q * n
    arg = (log_total + np.asarray(r).astype(EXT) * LN2) / EXT(n)
    with np.errstate(over="ignore", under="ignore"):
        return np.ldexp(np.exp(arg), q)


@dataclass
class _PowerSum:
    """The part of the state that belongs to one finite non-zero order."""

    scale: float = 1.0
    total: object = 0.0  # EXT where extended precision exists; see _tiny_terms for |p| < SMALL_P
    kept: int = 0  # entries in the sum


@dataclass
class NormAccumulator:
    """Mergeable reduction of a vector to all the quantities ``norm`` reports.

    Feed chunks with :meth:`add`, combine partial results with :meth:`merge`,
    then ask for :meth:`evaluate`. Merging the accumulators of any chunking
    of a vector gives the result of one pass (exactly for integer p, to
    rounding otherwise).

    Parameters
    ----------
    orders : sequence of float
        The orders p that will be evaluated.

    Examples
    --------
    >>> acc = NormAccumulator([2.0]).add([3.0]).merge(NormAccumulator([2.0]).add([4.0]))
    >>> acc.evaluate(2.0).value
    5.0
    """

    orders: Sequence[float]
    count: int = 0
    nonzero: int = 0
    zeros: int = 0
    nans: int = 0
    infs: int = 0
    maxabs: float = 0.0
    minabs: float = INF
    log_total: object = 0.0  # sum of ln m over finite non-zero x = m 2^e (see _log_parts)
    log2_total: int = 0  # sum of those e: exact, as a Python int
    sums: dict[float, _PowerSum] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.orders = tuple(float(p) for p in self.orders)
        for p in self.orders:
            if math.isfinite(p) and p != 0:
                self.sums.setdefault(p, _PowerSum(total=ext(0.0)))
        self.log_total = ext(0.0)

    # -- feeding ---------------------------------------------------------
    def add(self, x: Iterable[float]) -> NormAccumulator:
        """Reduce one chunk into this accumulator and return it."""
        a = np.abs(np.asarray(x, dtype=np.float64).ravel())
        if a.size == 0:
            return self
        self.count += a.size
        finite = np.isfinite(a)
        if not finite.all():
            nans = int(np.isnan(a).sum())
            self.nans += nans
            self.infs += a.size - int(finite.sum()) - nans
            self.nonzero += a.size - int(finite.sum()) - nans  # inf is non-zero
            self.maxabs = max(self.maxabs, float(a.max()) if not nans else INF)
            a = a[finite]
        nz = int(np.count_nonzero(a))
        self.nonzero += nz
        self.zeros += a.size - nz
        if a.size == 0:
            return self
        hi = float(a.max())
        self.maxabs = max(self.maxabs, hi)
        self.minabs = min(self.minabs, float(a.min()))
        if nz == 0:
            return self
        pos = a if nz == a.size else a[a > 0]
        lo = float(pos.min())
        for p, ps in self.sums.items():
            if abs(p) >= SMALL_P:
                scale = _chunk_scale(hi if p > 0 else lo, p)
            else:  # the first chunk's center serves all: nothing to convert
                scale = ps.scale if ps.kept else float(_centers(pos[None, :])[0])
            # For p > 0 the zeros stay in, with terms of 0: the sum then adds the same
            # numbers in the same order as row_norms does, and rounds the same.
            self._merge_sum(ps, p, scale, _scaled_sum(a if p > 0 else pos, p, scale), pos.size)
        if 0.0 in self.orders:
            logs, exps = _log_parts(pos)
            self.log_total += logs.sum() if EXTENDED else math.fsum(logs)
            self.log2_total += int(exps.sum())
        return self

    def _merge_sum(self, ps: _PowerSum, p: float, scale: float, total, kept: int) -> None:
        if kept == 0:
            return
        if ps.kept == 0:
            ps.scale, ps.total, ps.kept = scale, total, kept
            return
        ps.kept += kept
        if abs(p) < SMALL_P:
            if scale != ps.scale:  # to ps.scale: sum (y r)^p - 1 = total + (r^p - 1) (kept + total)
                log_rp = _ratio_log_pow(scale, ps.scale, p)
                # r^p - 1 is O(p) for nearby centers; far apart, it is near -1 or large and
                # the two parts of that sum would cancel: r^p (kept + total) - kept then.
                if abs(log_rp) < 0.4:
                    total = total + np.expm1(log_rp) * (kept + total)
                else:
                    total = np.exp(log_rp) * (kept + total) - kept
            ps.total = ps.total + total
            return
        # Keep the scale of the extreme value: largest for p > 0, smallest
        # for p < 0, so every term stays <= 1 and the sum cannot overflow.
        keep_new = scale > ps.scale if p > 0 else scale < ps.scale
        if keep_new:
            ps.total = total + ps.total * _ratio_pow(ps.scale, scale, p)
            ps.scale = scale
        elif scale == ps.scale:
            ps.total = ps.total + total
        else:
            ps.total = ps.total + total * _ratio_pow(scale, ps.scale, p)

    def merge(self, other: NormAccumulator) -> NormAccumulator:
        """Return a new accumulator holding both partial results."""
        if tuple(other.orders) != tuple(self.orders):
            raise CoreError("cannot merge accumulators of different orders")
        out = NormAccumulator(self.orders)
        for part in (self, other):
            out.count += part.count
            out.nonzero += part.nonzero
            out.zeros += part.zeros
            out.nans += part.nans
            out.infs += part.infs
            out.maxabs = max(out.maxabs, part.maxabs)
            out.minabs = min(out.minabs, part.minabs)
            out.log_total += part.log_total
            out.log2_total += part.log2_total
            for p, ps in part.sums.items():
                out._merge_sum(out.sums[p], p, ps.scale, ps.total, ps.kept)
        return out

    # -- results ---------------------------------------------------------
    def evaluate(self, p: float, kind: str = "norm") -> Outcome:
        """The norm (``kind="norm"``), ``"power"`` ||x||_p^p or ``"mean"``.

        ``mean`` is the power mean ||x||_p / n^(1/p): RMS for p = 2, mean
        absolute value for p = 1, the geometric mean for p = 0 (its limit),
        max |x| for inf and min |x| for -inf.
        """
        p = float(p)
        if kind not in ("norm", "power", "mean"):
            raise CoreError(f"unknown kind {kind!r}")
        n = self.count
        if n == 0:
            raise CoreError("the vector is empty")
        if kind == "power" and math.isinf(p):
            raise CoreError("||x||_p^p is not defined for p = inf or -inf")
        if self.nans:
            return Outcome(math.nan)
        if p == INF:
            return Outcome(INF if self.infs else self.maxabs)
        if p == -INF:
            return Outcome(self.minabs)
        if p == 0:
            if kind != "mean":  # ||x||_0 and sum |x_i|^0 with 0^0 = 0 agree
                return Outcome(self.nonzero)
            return self._geometric_mean()
        if self.infs and p > 0:
            return Outcome(INF)
        if self.infs == n:  # p < 0 and every |x_i|^p is 0
            return Outcome(0.0 if kind == "power" else INF)
        ps = self.sums[p]
        if p < 0 and self.zeros:
            # |0|^p is inf, so the sum is inf and its 1/p-th power is 0.
            return Outcome(INF if kind == "power" else 0.0)
        if self.nonzero == 0:  # every entry is zero (p > 0: an inf returned above)
            return Outcome(0.0)
        # Entries whose term is 0 and not in the sums: zeros for p > 0, infs for p < 0.
        empty = self.zeros + self.infs
        return to_float64(_combine(ps.total, ps.scale, p, kind, n, empty), nonzero=True)

    def _geometric_mean(self) -> Outcome:
        if self.zeros:
            return Outcome(0.0)
        if self.infs:
            return Outcome(INF)
        return to_float64(_geometric(self.log_total, self.log2_total, self.count))


def _chunk_scale(extreme: float, p: float) -> float:
    """The scale of a chunk: the power of two at or just below its extreme |x|.

    Largest |x| for p > 0, smallest non-zero for p < 0, so the extreme
    scaled value is in [1, 2): the largest term is at least 1 (it cannot
    underflow) and at most 2^|p| (it cannot overflow). For |p| above
    _POW2_LIMIT that could underflow, so the extreme value itself is the
    scale (its term is exactly 1). Below SMALL_P the scale is the
    center of the values instead (see _centers).
    """
    return float(_scales(np.array([extreme]), p)[0])


def _combine(total, scale, p: float, kind: str, n: int, empty):
    """The norm, power sum or power mean from a sum of terms (see _terms) and its scale.

    Scalars or arrays (one value per row) alike, in the sums' precision;
    ``n`` entries of which ``empty`` (zeros for p > 0, infs for p < 0) add
    nothing to ``total``. The caller has dealt with nan, inf, and the
    vectors where every term is 0 or one is inf.
    """
    with np.errstate(divide="ignore", over="ignore", under="ignore", invalid="ignore"):
        big = np.asarray(scale).astype(EXT)
        if abs(p) < SMALL_P:
            # total = sum of (|x| / c)^p - 1 over the n - empty other entries (c = scale).
            kept = EXT(n) - empty
            if kind == "power":
                return (total + kept) * big ** EXT(p)
            if kind == "mean":  # c (1 + m)^(1/p), m = mean (|x| / c)^p - 1
                m = (total - empty) / EXT(n)
                # m is O(p) but for the empty entries; with most of them empty, m's
                # absolute error would be large beside 1 + m: take the log of that.
                log_mean = np.where(m < -0.5, np.log((total + kept) / EXT(n)), np.log1p(m))
                return _times_exp(scale, log_mean / EXT(p))
            # c (kept + total)^(1/p) = c kept^(1/p) (1 + total / kept)^(1/p). kept^(1/p)
            # overflows (kept >= 2) unless the rest is as tiny; powl takes it to
            # eps_ext, where exp of a sum of logs would lose eps_ext |ln kept / p|.
            inv = EXT(1.0) / EXT(p)
            if not EXTENDED:  # kept^(1/p) alone would overflow float64 too often
                return _times_exp(scale, (np.log(kept) + np.log1p(total / kept)) * inv)
            return big * kept ** inv * np.exp(np.log1p(total / kept) * inv)
        if kind == "power":
            if EXTENDED or np.ndim(total):
                return total * big ** EXT(p)
            return _pow_times(scale, p, total)
        # 1/p in the sums' precision: a float64 1/p is off by up to half an
        # ulp, which total ** (1/p) multiplies by |ln total|.
        inv = EXT(1.0) / EXT(p)
        if kind == "mean":
            return big * (total / EXT(n)) ** inv
        return big * total ** inv


def _times_exp(scale, arg):
    """scale * exp(arg) for a power of two ``scale``, in the sums' precision.

    In float64 exp(arg) alone can overflow or underflow where the product
    does not (the scale is the values' center, arg up to about 1500): the
    power of two nearest exp(arg) is split off and added to the scale's.
    """
    if EXTENDED:
        return np.asarray(scale).astype(EXT) * np.exp(arg)
    j = np.round(arg / LN2)
    exps = np.where(np.isfinite(j), j, np.sign(arg) * 4096).astype(np.int64)  # inf: still inf or 0
    return np.ldexp(np.exp(arg - exps * LN2), exps + np.frexp(scale)[1] - 1)


def _ratio_log_pow(num: float, den: float, p: float):
    """ln((num / den) ** p) for powers of two ``num`` and ``den``, in the precision of the sums."""
    steps = math.frexp(num)[1] - math.frexp(den)[1]  # exact: log2(num / den)
    return EXT(steps) * LN2 * EXT(p)


def _ratio_pow(num: float, den: float, p: float):
    """(num / den) ** p in the precision of the sums."""
    if EXTENDED:
        return (EXT(num) / EXT(den)) ** EXT(p)
    return (num / den) ** p if num / den > 0 else 0.0


def _pow_times(scale: float, p: float, total: float) -> float:
    # float64 fallback of total * scale**p without intermediate overflow
    try:
        return math.exp(p * math.log(scale) + math.log(total))
    except OverflowError:
        return INF


def norm(x: Iterable[float], p: float = 2.0) -> float:
    """The p-norm of a vector, safe from overflow and underflow.

    Parameters
    ----------
    x : array_like
        The vector (flattened if it has more dimensions).
    p : float
        Any real number, ``inf`` or ``-inf``. p = 0 counts the non-zero
        entries; 0 < p < 1 and p < 0 follow numpy's formula
        ``sum(abs(x)**p)**(1/p)`` and are not norms.

    Returns
    -------
    float
        ``inf`` only when the true value exceeds the float64 range.

    Notes
    -----
    Differs from ``numpy.linalg.norm`` in scaling (no spurious overflow or
    underflow, for every p) and in summing in extended precision.

    Examples
    --------
    >>> norm([1, 2, 3])
    3.7416573867739413
    >>> norm([1e200, 1e200])
    1.414213562373095e+200
    >>> norm([-3, 4], p=1), norm([-3, 4], p=INF), norm([0, 2, 0], p=0)
    (7.0, 4.0, 1)
    """
    p = float(p)
    return NormAccumulator([p]).add(x).evaluate(p).value


def power_sum(x: Iterable[float], p: float = 2.0) -> float:
    """||x||_p^p, the sum of |x_i|^p (the sum of squares for p = 2).

    >>> power_sum([1, 2, 3])
    14.0
    """
    p = float(p)
    return NormAccumulator([p]).add(x).evaluate(p, "power").value


def power_mean(x: Iterable[float], p: float = 2.0) -> float:
    """The power mean ||x||_p / n^(1/p) of |x| (RMS for p = 2, geometric for 0).

    >>> power_mean([3, 4], 2) == (12.5) ** 0.5, power_mean([1, 4], 0)
    (True, 2.0)
    """
    p = float(p)
    return NormAccumulator([p]).add(x).evaluate(p, "mean").value


def matrix_norm(a: np.ndarray, order: str = "fro") -> Outcome:
    """A matrix norm, scaled by a power of two so it neither overflows nor underflows.

    Parameters
    ----------
    a : array_like, 2-D
    order : str
        One of :data:`MATRIX_ORDERS`: ``fro`` (Frobenius), ``nuc`` (sum of
        singular values), ``2``/``-2`` (largest/smallest singular value),
        ``1``/``-1`` (max/min column sum of |a|), ``inf``/``-inf`` (max/min
        row sum). Only fro, nuc, 2, 1 and inf are norms.

    Examples
    --------
    >>> matrix_norm([[1, 2], [3, 4]], "1").value
    6.0
    >>> matrix_norm([[1e300, 0], [0, 1e300]], "nuc").value
    2e+300
    """
    a = np.asarray(a, dtype=np.float64)
    if a.ndim != 2:
        raise CoreError(f"a matrix norm needs a 2-D array, got {a.ndim}-D")
    if order not in MATRIX_ORDERS:
        raise CoreError(f"unknown matrix norm {order!r}; use one of {', '.join(MATRIX_ORDERS)}")
    if a.size == 0:
        raise CoreError("the matrix is empty")
    if order == "fro":
        return NormAccumulator([2.0]).add(a).evaluate(2.0)
    if not np.isfinite(a).all():
        return Outcome(math.nan if np.isnan(a).any() else INF)
    peak = float(np.abs(a).max())
    if peak == 0:
        return Outcome(0.0)
    # Norms are homogeneous: scale by 2^-e (exact), compute, scale back.
    exp = math.frexp(peak)[1]
    ord_ = {"nuc": "nuc", "2": 2, "-2": -2, "1": 1, "-1": -1, "inf": INF, "-inf": -INF}[order]
    scaled = float(np.linalg.norm(np.ldexp(a, -exp), ord_))
    if EXTENDED:
        return to_float64(np.ldexp(EXT(scaled), exp))
    try:
        return to_float64(math.ldexp(scaled, exp))
    except OverflowError:
        return to_float64(INF)


def row_norms(
    a: np.ndarray, p: float, kind: str = "norm", keep: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """The norm (or ``power``/``mean``) of every row of a 2-D array, vectorized.

    Same scaling and summation as :class:`NormAccumulator`, one row at a
    time in effect, so ``row_norms(a, p)[0][i] == norm(a[i], p)``.

    Parameters
    ----------
    a : ndarray, 2-D
    p : float
    kind : {"norm", "power", "mean"}
    keep : ndarray of bool, optional
        Cells to use; the others are left out of their row's vector.

    Returns
    -------
    values : ndarray of float64
    out_of_range : ndarray of bool
        Rows whose true result left the float64 range (shown as inf or 0).

    Examples
    --------
    >>> row_norms(np.array([[3.0, 4.0], [1e200, 1e200]]), 2.0)[0].tolist()
    [5.0, 1.414213562373095e+200]
    """
    a = np.ascontiguousarray(a, dtype=np.float64)  # row sums in the accumulator's order, whatever the layout
    p = float(p)
    m = a.shape[0]
    values = np.empty(m)
    flags = np.zeros(m, dtype=bool)
    general = keep is not None or a.shape[1] == 0 or (kind == "power" and math.isinf(p)) or \
        kind not in ("norm", "power", "mean")
    x = None if general else np.abs(a)
    if not general and p > 0:
        # The common case in as few passes as possible: the largest |x_i| of each row also tells
        # whether the row holds a nan or an inf (then the general path) and whether it is all zeros.
        extreme = x.max(axis=1)
        general = not np.isfinite(extreme).all()
    if general or (p <= 0 and not np.isfinite(x).all()):
        for i in range(m):
            row = a[i] if keep is None else a[i][keep[i]]
            if row.size == 0:  # nothing left of the row (--nan omit): no vector, no norm
                values[i] = math.nan
                continue
            out = NormAccumulator([p]).add(row).evaluate(p, kind)
            values[i], flags[i] = out.value, out.note is not None
        return values, flags
    if p == INF:
        return extreme, flags
    if p == -INF:
        return x.min(axis=1), flags
    if p == 0:
        if kind != "mean":
            return np.count_nonzero(x, axis=1).astype(np.float64), flags
        return rows_to_float64(_geometric_rows(x))
    if p > 0:
        allzero = extreme == 0
        zero_rows = None
    else:
        pos = x > 0
        zero_rows = ~pos.all(axis=1)
        extreme = np.where(pos, x, INF).min(axis=1)
    values, flags = rows_to_float64(_row_results(x, p, kind, extreme))  # x: |a|, not needed again
    # Every row here is finite and has a non-zero term (zero rows are reset below): an inf or
    # a 0 is out of range, even where the extended result itself overflowed (2^(1/p), p = 1e-16).
    flags |= (values == 0) | np.isinf(values)
    if p < 0:  # a zero entry makes the sum inf and the root 0
        values[zero_rows] = INF if kind == "power" else 0.0
        flags[zero_rows] = False
    else:
        values[allzero] = 0.0
        flags[allzero] = False
    return values, flags


def _row_results(x: np.ndarray, p: float, kind: str, extreme: np.ndarray) -> np.ndarray:
    """The norm, power sum or power mean of each row of ``x``, in the sums' precision, before rounding.

    ``x``: magnitudes (2-D, finite), float64 or EXT, overwritten here;
    finite p != 0; ``extreme``: each row's largest entry for p > 0, its
    smallest non-zero one for p < 0. Rows that are all zero (p > 0) or hold
    a zero (p < 0) come out meaningless: callers set them apart.
    """
    n = x.shape[1]
    extreme = np.where(np.isfinite(extreme) & (extreme > 0), extreme, 1.0)
    zeros = 0
    if abs(p) < SMALL_P:
        scale = _centers(x)
        zero = x == 0
        x = _tiny_terms(x, p, scale[:, None])
        x[zero] = 0  # a zero's term is left out of the sum and counted, as the accumulator does
        zeros = zero.sum(axis=1)
    else:
        scale = _scales(extreme, p)
        with np.errstate(divide="ignore", over="ignore"):
            x /= scale[:, None]  # in place
            if p == 2:
                x *= x  # numpy's power squares exactly so too
            elif p != 1:
                x = _terms(x, p)
    total = x.sum(axis=1, dtype=EXT)
    return _combine(total, scale, p, kind, n, zeros)


def _geometric_rows(x: np.ndarray) -> np.ndarray:
    """exp(mean ln x) of each row of ``x`` (>= 0, 2-D, finite), in the sums' precision; a zero makes its row 0."""
    logs, exps = _log_parts(x)  # a zero gives -inf, and its row 0
    return _geometric(logs.sum(axis=1), exps.sum(axis=1), x.shape[1])


def power_means(x: np.ndarray, p: float) -> np.ndarray:
    """The power mean M_p of each row of ``x`` in the sums' precision: the value ``norm --mean`` rounds.

    The one implementation of the power mean, and of the geometric mean
    (p = 0, its limit): :func:`row_norms` rounds these values to float64
    (bit for bit the results of :class:`NormAccumulator`), and
    :mod:`normcli.core.grads` differences them in ``grad --check`` and
    forms the power mean's gradient from them.

    Parameters
    ----------
    x : ndarray, 2-D
        Magnitudes |x_i| (>= 0, finite), one vector per row: float64, or
        :data:`~normcli.core.precision.EXT`, taken at its own precision and
        range (points float64 cannot hold).
    p : float
        Finite. For p > 0 a row must have a non-zero entry, for p < 0 no
        zero (M_p is 0 in those cases: the caller's to set); for p = 0 a
        zero makes the mean 0.

    Returns
    -------
    ndarray of :data:`~normcli.core.precision.EXT`
        Where the platform has no extended precision, float64 (see
        :mod:`normcli.core.precision`).

    Examples
    --------
    >>> [float(v) for v in power_means(np.array([[1.0, 4.0], [2.0, 8.0]]), 0.0)]
    [2.0, 4.0]
    >>> float(power_means(np.array([[3.0, 4.0]]), 1.0)[0])
    3.5
    """
    x = np.array(x, dtype=EXT if np.asarray(x).dtype == EXT else np.float64)  # a copy: overwritten below
    p = float(p)
    if p == 0:
        return _geometric_rows(x)
    extreme = x.max(axis=1) if p > 0 else np.where(x > 0, x, INF).min(axis=1)
    return _row_results(x, p, "mean", extreme)


def _scales(extreme: np.ndarray, p: float) -> np.ndarray:
    """Per-vector scale: a power of two near the extreme |x| (see _chunk_scale), of the type of ``extreme``."""
    if abs(p) > _POW2_LIMIT:
        return extreme
    # 2^(e-1) puts the extreme value in [1, 2); 2^e could itself overflow.
    return np.ldexp(extreme.dtype.type(1), np.frexp(extreme)[1] - 1)


def count_column(values: np.ndarray) -> np.ndarray:
    """Counts (p = 0, from float64 results) as shown: integers, and nan for a row that has no count.

    A row holding a nan (``--nan propagate``) or left with no values
    (``--nan omit``) has nan for its count, as the vector itself gets from
    :meth:`NormAccumulator.evaluate`; cast to int64, nan would print as
    -2^63 (with a RuntimeWarning). Then the column is an object array of
    ints and nans; else int64, as every count is.

    >>> count_column(np.array([2.0, np.nan])).tolist()
    [2, nan]
    """
    missing = np.isnan(values)
    if not missing.any():
        return values.astype(np.int64)
    out = values.astype(object)
    out[~missing] = values[~missing].astype(np.int64)  # stored as Python ints
    return out


# --------------------------------------------------------------------------
# Results for the `norm` command
# --------------------------------------------------------------------------
KINDS = ("norm", "power", "mean")


def column_name(p: float, kind: str) -> str:
    """Header of a result column: ``L2``, ``L2^2`` (power), ``M2`` (power mean).

    >>> column_name(2.0, "norm"), column_name(0.5, "power"), column_name(INF, "mean")
    ('L2', 'L0.5^0.5', 'Minf')
    """
    name = order_name(p)
    if kind == "power":
        return f"L{name}^{name}"
    if kind == "mean":
        return f"M{name}"
    return f"L{name}"


def _title(orders: Sequence[float], kind: str) -> str:
    names = ", ".join(order_name(p) for p in orders)
    if kind == "power":
        what = "sum of |x_i|^p (||x||_p^p)"
    elif kind == "mean":
        what = "power mean ||x||_p / n^(1/p)"
    else:
        what = "norm" if len(orders) == 1 and order_kind(orders[0]) == "norm" else "norms"
        return f"L{names} {what}" if len(orders) == 1 else f"Lp {what}, p = {names}"
    return f"{what}, p = {names}"


def order_notes(orders: Sequence[float], kind: str) -> list[str]:
    """The notes of a result with these orders: which columns are not norms, what a power mean is.

    ``kind`` is ``norm``, ``power`` or ``mean``, as for :func:`column_name`;
    one sentence per order that needs one.

    >>> order_notes([2.0, 0.5], "norm")
    ['L0.5: 0 < p < 1 gives a quasi-norm (the triangle inequality fails), not a norm.']
    """
    notes = []
    for p in orders:
        col = column_name(p, kind)
        k = order_kind(p)
        if kind == "mean":
            special = {2.0: "the root mean square", 1.0: "the mean |x_i|",
                       0.0: "the geometric mean of |x_i| (the limit p -> 0)",
                       -1.0: "the harmonic mean of |x_i|", INF: "max |x_i|", -INF: "min |x_i|"}.get(p)
            if special:
                notes.append(f"{col} is {special}.")
            continue
        if k == "count":
            notes.append(f"{col} counts the non-zero entries; it is not a norm.")
        elif k == "quasi-norm":
            notes.append(f"{col}: 0 < p < 1 gives a quasi-norm (the triangle inequality fails), not a norm.")
        elif p == -INF:
            notes.append(f"{col} is min |x_i|; it is not a norm.")
        elif k == "not a norm":
            notes.append(f"{col}: p < 0 follows numpy's formula (sum |x_i|^p)^(1/p), 0 if any entry is 0; not a norm.")
    return notes


def norm_table(
    names: Sequence[str],
    chunks: Iterable[Sequence[np.ndarray]],
    orders: Sequence[float],
    kind: str = "norm",
    label: str = "vector",
) -> Result:
    """Reduce named column vectors, delivered chunk by chunk, to one row each.

    ``chunks`` yields one array per column per chunk (any chunking); each
    column is reduced with a :class:`NormAccumulator`.

    >>> r = norm_table(["x"], [[np.array([3.0])], [np.array([4.0])]], [1.0, 2.0])
    >>> r.columns, r.rows
    (['L1', 'L2'], [('x', 7.0, 5.0)])
    """
    accs = [NormAccumulator(orders) for _ in names]
    for cols in chunks:
        for acc, col in zip(accs, cols):
            acc.add(col)
    return accumulators_table(names, accs, orders, kind, label)


def accumulators_table(names: Sequence[str], accs: Sequence[NormAccumulator], orders: Sequence[float],
                       kind: str = "norm", label: str = "vector") -> Result:
    """:func:`norm_table` of columns already reduced (and merged) to one accumulator each.

    >>> accs = [NormAccumulator([2.0]).add([3.0]).merge(NormAccumulator([2.0]).add([4.0]))]
    >>> accumulators_table(["x"], accs, [2.0]).rows
    [('x', 5.0)]
    """
    result = Result(_title(orders, kind), [column_name(p, kind) for p in orders], label=label,
                    notes=order_notes(orders, kind))
    for name, acc in zip(names, accs):
        if acc.count == 0:
            raise CoreError(f"column {name!r} has no values left")
        row = [name]
        for p in orders:
            out = acc.evaluate(p, kind)
            row.append(out.value)
            if out.note:
                result.warnings.append(f"{column_name(p, kind)} of {name!r}: {out.note}")
        result.rows.append(tuple(row))
    return result


def rows_table(blocks: Iterable, orders: Sequence[float], kind: str = "norm") -> Result:
    """One result row per input row, computed and yielded block by block.

    ``blocks`` yields objects with ``first`` (1-based row number), ``data``
    (2-D array) and ``keep`` (mask or None), as ``inputs.read_rows`` does.
    """
    return computed_rows_table(((b.first, *row_columns(b.data, b.keep, orders, kind)) for b in blocks), orders, kind)


def row_columns(data: np.ndarray, keep, orders: Sequence[float], kind: str = "norm") -> tuple[list, list]:
    """(one column of results per order, one mask per order of the rows whose result left the float64 range)."""
    cols, flagged = [], []
    for p in orders:
        values, flags = row_norms(data, p, kind, keep)
        flagged.append(flags)
        cols.append(values if not (p == 0 and kind != "mean") else count_column(values))
    return cols, flagged


def computed_rows_table(computed: Iterable, orders: Sequence[float], kind: str = "norm") -> Result:
    """:func:`rows_table` from blocks already computed: (first row, columns, flags) from :func:`row_columns`,
    in input order (a partitioned input computes them where its rows are)."""
    result = Result(_title(orders, kind) + " of each row", [column_name(p, kind) for p in orders], label="row",
                    notes=order_notes(orders, kind))

    def batches():
        for first, cols, flagged in computed:
            for p, flags in zip(orders, flagged):
                for i in np.flatnonzero(flags):
                    result.warnings.append(
                        f"{column_name(p, kind)} of row {first + i}: the result is outside the float64 range"
                    )
            yield ColumnBatch(first, cols)

    result.batches = batches()
    return result


def matrix_table(a: np.ndarray, order: str, label: str = "matrix") -> Result:
    """The ``--matrix`` norm of a 2-D array as a one-row result."""
    rows, cols = np.shape(a)
    return matrix_result(matrix_norm(a, order), order, (rows, cols), label)


def frobenius(accs: Sequence[NormAccumulator]) -> Outcome:
    """The Frobenius norm of a matrix from its columns' accumulators of order 2 (merged: exact to combine).

    >>> frobenius([NormAccumulator([2.0]).add([3.0]), NormAccumulator([2.0]).add([4.0])]).value
    5.0
    """
    total = NormAccumulator([2.0])
    for acc in accs:
        total = total.merge(acc)
    return total.evaluate(2.0)


def matrix_result(out: Outcome, order: str, shape: tuple[int, int], label: str = "matrix") -> Result:
    """The one-row result of the ``--matrix`` norm ``out`` of a matrix of ``shape``."""
    names = {"fro": "Frobenius norm", "nuc": "nuclear norm (sum of singular values)",
             "2": "spectral norm (largest singular value)", "-2": "smallest singular value",
             "1": "max column sum of |a_ij|", "-1": "min column sum of |a_ij|",
             "inf": "max row sum of |a_ij|", "-inf": "min row sum of |a_ij|"}
    rows, cols = shape
    result = Result(f"{names[order]} of the {rows}x{cols} matrix", [order], label=label,
                    rows=[(f"{rows}x{cols}", out.value)])
    if order in ("-2", "-1", "-inf"):
        result.notes.append(f"{order} is not a norm.")
    if out.note:
        result.warnings.append(out.note)
    return result


# The pieces of the reduction that the grouped accumulator (core/groups.py) applies per group:
# public names for what NormAccumulator and row_norms use themselves.
combine = _combine
geometric = _geometric
log_parts = _log_parts
scales = _scales
terms = _terms
tiny_terms = _tiny_terms
title = _title
