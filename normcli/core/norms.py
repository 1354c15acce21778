"""p-norms, power means and matrix norms, safe from overflow and underflow.

Every reduction here is a mergeable accumulator: a chunk of a vector is
reduced to a scale and a scaled sum, and two partial results merge into the
result of one pass. That is what lets a file be reduced chunk by chunk in
bounded memory.

Why not ``numpy.linalg.norm``: it squares (or raises to p) unscaled values,
so ``[1e200, 1e200]`` gives inf and ``[3e-320, 4e-320]`` gives 0, and it
sums in float64. Here values are scaled by a power of two taken from the
largest magnitude (exact), the terms are summed in extended precision where
the platform has it, and the result is rescaled once.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from .result import ColumnBatch, Result

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

# Extended precision for the sums where the platform has a 64-bit-mantissa
# long double (x86-64); elsewhere the scaled terms are summed exactly with
# math.fsum, which is slower but just as accurate.
_EXTENDED = np.finfo(np.longdouble).nmant >= 63

# Above this |p| a power-of-two scale can take the largest term
# (in [1, 2) ** p) beyond the float64 range; divide by the extreme value
# itself instead, so that term is exactly 1.
_POW2_LIMIT = 1000.0

# For 0 < p < _SMALL_P the values are not scaled (see _chunk_scale): a value
# that scaling would make subnormal is at most 2^-1021 of the largest, and
# its term (2^-1021)^p only stops being negligible for such small p.
_SMALL_P = 0.25


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
    ValueError
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
        raise ValueError(
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
    """Sum of (a / scale) ** p for non-negative finite ``a``, accurately."""
    if scale != 1.0:
        # Exact for a power-of-two scale, bar subnormals. For p < 0 a value
        # far above the smallest may overflow to inf: its term is then 0,
        # as good as exact beside the smallest value's term of about 1.
        with np.errstate(over="ignore"):
            a = a / scale
    if p == 1.0:
        terms = a
    elif p == 2.0:
        terms = np.square(a)
    else:
        terms = np.power(a, p)
    if _EXTENDED:
        return terms.sum(dtype=np.longdouble)
    return math.fsum(terms)


def _ext(v: float):
    return np.longdouble(v) if _EXTENDED else float(v)


@dataclass
class _PowerSum:
    """The part of the state that belongs to one finite non-zero order."""

    scale: float = 1.0
    total: object = 0.0  # np.longdouble where extended precision exists


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
    log_total: object = 0.0  # sum of log|x| over finite non-zero x
    sums: dict[float, _PowerSum] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.orders = tuple(float(p) for p in self.orders)
        for p in self.orders:
            if math.isfinite(p) and p != 0:
                self.sums.setdefault(p, _PowerSum(total=_ext(0.0)))
        self.log_total = _ext(0.0)

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
            scale = _chunk_scale(hi if p > 0 else lo, p)
            self._merge_sum(ps, p, scale, _scaled_sum(pos, p, scale))
        if 0.0 in self.orders:
            logs = np.log(pos)
            self.log_total += logs.sum(dtype=np.longdouble) if _EXTENDED else math.fsum(logs)
        return self

    def _merge_sum(self, ps: _PowerSum, p: float, scale: float, total) -> None:
        if total == 0:
            return
        if ps.total == 0:
            ps.scale, ps.total = scale, total
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
            raise ValueError("cannot merge accumulators of different orders")
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
            for p, ps in part.sums.items():
                out._merge_sum(out.sums[p], p, ps.scale, ps.total)
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
            raise ValueError(f"unknown kind {kind!r}")
        n = self.count
        if n == 0:
            raise ValueError("the vector is empty")
        if kind == "power" and math.isinf(p):
            raise ValueError("||x||_p^p is not defined for p = inf or -inf")
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
        if ps.total == 0:  # every entry is zero
            return Outcome(0.0)
        total, scale = ps.total, _ext(ps.scale)
        # 1/p in the sums' precision: a float64 1/p is off by up to half an
        # ulp, which total ** (1/p) multiplies by |ln total|.
        inv = _ext(1.0) / _ext(p)
        with np.errstate(over="ignore", under="ignore"):
            if kind == "power":
                exact = total * scale ** _ext(p) if _EXTENDED else _pow_times(scale, p, total)
            elif kind == "mean":
                exact = scale * (total / n) ** inv
            else:
                exact = scale * total ** inv
        return _finish(exact, nonzero=True)

    def _geometric_mean(self) -> Outcome:
        if self.zeros:
            return Outcome(0.0)
        if self.infs:
            return Outcome(INF)
        if _EXTENDED:
            return _finish(np.exp(self.log_total / self.count))
        return _finish(math.exp(self.log_total / self.count))


@dataclass(frozen=True)
class Outcome:
    """A reduced value and, when it left the float64 range, why it reads so."""

    value: float | int
    note: str | None = None


def _chunk_scale(extreme: float, p: float) -> float:
    """The scale of a chunk: the power of two at or just below its extreme |x|.

    Largest |x| for p > 0, smallest non-zero for p < 0, so the extreme
    scaled value is in [1, 2): the largest term is at least 1 (it cannot
    underflow) and at most 2^|p| (it cannot overflow). For |p| above
    _POW2_LIMIT that could underflow, so the extreme value itself is the
    scale (its term is exactly 1). For 0 < p < 1, |x|^p can neither overflow
    nor underflow; below _SMALL_P scaling down could push tiny values into
    the subnormal range while their terms still count, so the scale is 1.
    """
    return float(_scales(np.array([extreme]), p)[0])


def _ratio_pow(num: float, den: float, p: float):
    """(num / den) ** p in the precision of the sums."""
    if _EXTENDED:
        return (np.longdouble(num) / np.longdouble(den)) ** np.longdouble(p)
    return (num / den) ** p if num / den > 0 else 0.0


def _pow_times(scale: float, p: float, total: float) -> float:
    # float64 fallback of total * scale**p without intermediate overflow
    try:
        return math.exp(p * math.log(scale) + math.log(total))
    except OverflowError:
        return INF


def _finish(exact, nonzero: bool = False) -> Outcome:
    """Round an extended-precision result to float64, noting range loss.

    ``nonzero``: the true result is known not to be 0, so a 0 here (even
    one the extended computation itself underflowed to) is range loss.
    """
    value = float(exact)
    if math.isinf(value):
        return Outcome(INF, "the result exceeds the float64 range (about 1.8e308)")
    if value == 0.0 and (nonzero or exact != 0):
        return Outcome(0.0, "the result is below the smallest float64 and rounds to 0")
    return Outcome(value)


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
        raise ValueError(f"a matrix norm needs a 2-D array, got {a.ndim}-D")
    if order not in MATRIX_ORDERS:
        raise ValueError(f"unknown matrix norm {order!r}; use one of {', '.join(MATRIX_ORDERS)}")
    if a.size == 0:
        raise ValueError("the matrix is empty")
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
    if _EXTENDED:
        return _finish(np.ldexp(np.longdouble(scaled), exp))
    try:
        return _finish(math.ldexp(scaled, exp))
    except OverflowError:
        return _finish(INF)


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
    n = x.shape[1]
    if p == INF:
        return extreme, flags
    if p == -INF:
        return x.min(axis=1), flags
    if p == 0:
        if kind != "mean":
            return np.count_nonzero(x, axis=1).astype(np.float64), flags
        with np.errstate(divide="ignore"):
            logs = np.log(x)
        total = logs.sum(axis=1, dtype=np.longdouble if _EXTENDED else np.float64)
        exact = np.exp(total / n)
        return _finish_rows(exact)
    if p > 0:
        allzero = extreme == 0
        zero_rows = None
    else:
        pos = x > 0
        zero_rows = ~pos.all(axis=1)
        extreme = np.where(pos, x, INF).min(axis=1)
    extreme = np.where(np.isfinite(extreme) & (extreme > 0), extreme, 1.0)
    scale = _scales(extreme, p)
    with np.errstate(divide="ignore", over="ignore"):
        x /= scale[:, None]  # in place: |a| is not needed again
        if p == 2:
            x *= x  # numpy's power squares exactly so too
        elif p != 1:
            x = np.power(x, p)
    total = x.sum(axis=1, dtype=np.longdouble if _EXTENDED else np.float64)
    big = np.asarray(scale, dtype=total.dtype)
    inv = total.dtype.type(1.0) / total.dtype.type(p)
    with np.errstate(divide="ignore", over="ignore", invalid="ignore", under="ignore"):
        if kind == "power":
            exact = total * big ** total.dtype.type(p)
        elif kind == "mean":
            exact = big * (total / n) ** inv
        else:
            exact = big * total ** inv
    values, flags = _finish_rows(exact)
    flags |= values == 0  # every row here has a non-zero term; zero rows are reset below
    if p < 0:  # a zero entry makes the sum inf and the root 0
        values[zero_rows] = INF if kind == "power" else 0.0
        flags[zero_rows] = False
    else:
        values[allzero] = 0.0
        flags[allzero] = False
    return values, flags


def _scales(extreme: np.ndarray, p: float) -> np.ndarray:
    """Per-vector scale: a power of two near the extreme |x| (see _chunk_scale)."""
    if abs(p) > _POW2_LIMIT:
        return extreme
    if 0 < p < _SMALL_P:
        return np.ones_like(extreme)
    # 2^(e-1) puts the extreme value in [1, 2); 2^e could itself overflow.
    return np.ldexp(1.0, np.frexp(extreme)[1] - 1)


def _finish_rows(exact: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    with np.errstate(over="ignore"):
        values = exact.astype(np.float64)
    flags = (np.isinf(values) & np.isfinite(exact)) | ((values == 0) & (exact != 0))
    return values, flags


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


def _notes(orders: Sequence[float], kind: str) -> list[str]:
    notes = []
    for p in orders:
        col = column_name(p, kind)
        k = order_kind(p)
        if kind == "mean":
            special = {2.0: "the root mean square", 1.0: "the mean |x_i|", 0.0: "the geometric mean of |x_i| (the limit p -> 0)",
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
    result = Result(_title(orders, kind), [column_name(p, kind) for p in orders], label=label,
                    notes=_notes(orders, kind))
    for name, acc in zip(names, accs):
        if acc.count == 0:
            raise ValueError(f"column {name!r} has no values left")
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
    result = Result(_title(orders, kind) + " of each row", [column_name(p, kind) for p in orders], label="row",
                    notes=_notes(orders, kind))

    def batches():
        for block in blocks:
            cols = []
            for p in orders:
                values, flags = row_norms(block.data, p, kind, block.keep)
                for i in np.flatnonzero(flags):
                    result.warnings.append(
                        f"{column_name(p, kind)} of row {block.first + i}: the result is outside the float64 range"
                    )
                cols.append(values if not (p == 0 and kind != "mean") else values.astype(np.int64))
            yield ColumnBatch(block.first, cols)

    result.batches = batches()
    return result


def matrix_table(a: np.ndarray, order: str, label: str = "matrix") -> Result:
    """The ``--matrix`` norm of a 2-D array as a one-row result."""
    names = {"fro": "Frobenius norm", "nuc": "nuclear norm (sum of singular values)",
             "2": "spectral norm (largest singular value)", "-2": "smallest singular value",
             "1": "max column sum of |a_ij|", "-1": "min column sum of |a_ij|",
             "inf": "max row sum of |a_ij|", "-inf": "min row sum of |a_ij|"}
    out = matrix_norm(a, order)
    rows, cols = np.shape(a)
    result = Result(f"{names[order]} of the {rows}x{cols} matrix", [order], label=label,
                    rows=[(f"{rows}x{cols}", out.value)])
    if order in ("-2", "-1", "-inf"):
        result.notes.append(f"{order} is not a norm.")
    if out.note:
        result.warnings.append(out.note)
    return result
