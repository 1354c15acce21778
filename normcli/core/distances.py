"""Distances, distance matrices, unit vectors, norms through a linear map, unit-ball outlines.

Everything here is built on :mod:`normcli.core.norms`: the scaled,
extended-precision sums of :class:`~normcli.core.norms.NormAccumulator`
(one vector) and :func:`~normcli.core.norms.row_norms` (many, vectorized;
bit for bit the same numbers). What this module adds is getting the vector
whose norm is wanted without losing it on the way:

* ``a - b`` can overflow although some distances (p < 0) are finite;
* ``x / ||x||_p`` must work when ``||x||_p`` itself overflows or is
  subnormal;
* ``A x`` is summed in extended precision and rounded once.

No I/O: the ``*_result`` builders return :class:`~normcli.core.result.Result`
objects for ``render``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Sequence

import numpy as np

from .errors import CoreError
from .norms import (
    INF,
    SMALL_P,
    NormAccumulator,
    column_name,
    count_column,
    order_kind,
    order_name,
    order_notes,
    row_norms,
    scaled,
)
from .precision import EXT, EXTENDED, rows_to_float64, to_float64
from .result import ColumnBatch, Outcome, Result

#: The smallest normal float64, 2^-1022: dividing by anything smaller rounds the divisor itself.
_NORMAL = float(np.finfo(np.float64).tiny)

#: Values per streamed batch of a distance matrix (or of rows of A x): bounded memory per batch.
_BATCH_VALUES = 1 << 16

#: Values in one temporary block X[j:j+block] - X[i] of the distance matrix.
_BLOCK_VALUES = 1 << 20

#: Out-of-range warnings listed one by one before they are only counted.
_MAX_WARNINGS = 10


# --------------------------------------------------------------------------
# Checks shared by every function
# --------------------------------------------------------------------------
def _order(p: float) -> float:
    p = float(p)
    if math.isnan(p):
        raise CoreError("the order p is nan; use a real number, inf or -inf")
    return p


def _vector(x) -> np.ndarray:
    return np.asarray(x, dtype=np.float64).ravel()


def _values(n: int) -> str:
    return f"{n} value{'' if n == 1 else 's'}"


def _pair(a, b, names: Sequence[str] = ("a", "b")) -> tuple[np.ndarray, np.ndarray]:
    a, b = _vector(a), _vector(b)
    if a.size != b.size:
        raise CoreError(f"{names[0]} has {_values(a.size)} but {names[1]} has {b.size}")
    if a.size == 0:
        raise CoreError(f"{names[0]} and {names[1]} are empty")
    return a, b


def _matrix(A, what: str = "A") -> np.ndarray:
    A = np.asarray(A, dtype=np.float64)
    if A.ndim != 2:
        raise CoreError(f"{what} must be a 2-D matrix, not {A.ndim}-D")
    if A.size == 0:
        raise CoreError(f"{what} is empty")
    if not np.isfinite(A).all():
        raise CoreError(f"{what} holds a non-finite value (nan or inf)")
    return A


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


# --------------------------------------------------------------------------
# Distances
# --------------------------------------------------------------------------
def distance(a: Iterable[float], b: Iterable[float], p: float = 2.0) -> Outcome:
    """||a - b||_p, for every order :func:`~normcli.core.norms.norm` accepts, safe from overflow.

    Parameters
    ----------
    a, b : array_like
        Vectors of the same length (flattened).
    p : float
        Any real number, ``inf`` or ``-inf``. p = 0 counts the components
        with a_i != b_i (the Hamming distance); 0 < p < 1 and p < 0 follow
        numpy's formula and are not metrics.

    Returns
    -------
    Outcome
        The distance, with a note when the true value is beyond the float64
        range (then ``inf``) or below it (then 0).

    Raises
    ------
    CoreError
        ``"a has 3 values but b has 4"``; empty vectors; a nan order.

    Notes
    -----
    Each difference a_i - b_i is rounded once to float64 (as numpy and
    scipy do); its norm is then as accurate as ``norm``'s. A difference of
    subnormals is exact. When a_i - b_i overflows, |a_i - b_i| is above the
    float64 range, and so is ||a - b||_p for every p > 0 (and for
    ``-inf`` when every difference overflows): the result is ``inf`` with a
    note, as the correctly rounded value is. For p < 0 the distance can
    still be finite; it is computed as 2 ||a/2 - b/2||_p (halving is exact
    for these normal numbers, so each half-difference is rounded once too).
    A difference below 2^-1021 whose half would not be exact is kept whole:
    the finite differences and the halved overflowed ones are then reduced
    apart and combined, ||(N_R, 2 N_O)||_p (which matters only for p close
    to 0).
    Non-finite inputs follow IEEE arithmetic (inf - inf is nan, and a nan
    makes the distance nan).

    Examples
    --------
    >>> distance([1, 2, 3], [4, 6, 8]).value
    7.0710678118654755
    >>> distance([0, 0], [3, -4], 1).value, distance([1, 2, 3], [1, 0, 0], 0).value
    (7.0, 2)
    >>> distance([1.5e308, 1.5e308], [-1.5e308, -1.5e308], -1).value
    1.5e+308
    >>> distance([1.5e308], [-0.5e308]).note
    'the result exceeds the float64 range (about 1.8e308)'
    """
    a, b = _pair(a, b)
    p = _order(p)
    with np.errstate(over="ignore", invalid="ignore"):
        d = a - b
    over = np.isinf(d) & np.isfinite(a) & np.isfinite(b)
    if not over.any() or p == 0 or np.isnan(d).any():
        # p = 0: an overflowed difference is still a non-zero one.
        return NormAccumulator([p]).add(d).evaluate(p)
    return _overflowed_distance(a, b, d, over, p)


def _overflowed_distance(a: np.ndarray, b: np.ndarray, d: np.ndarray, over: np.ndarray, p: float) -> Outcome:
    """||a - b||_p when some a_i - b_i overflowed (a, b finite, p != 0)."""
    if p > 0:
        # ||d||_p >= max |d_i| >= 2^1024 - 2^970 (the overflow threshold), so the distance is beyond the range.
        return to_float64(INF)
    if p == -INF:
        out = NormAccumulator([p]).add(d).evaluate(p)  # the min over the finite differences
        return to_float64(INF) if out.value == INF else out
    if (d == 0).any():  # |0|^p is inf: the sum is inf and its root 0, as norm() gives
        return Outcome(0.0)
    with np.errstate(over="ignore", under="ignore"):
        h = np.where(over, a * 0.5 - b * 0.5, d * 0.5)
        lossy = ~over & (h * 2.0 != d)  # a tiny difference whose half is not exact
    if not lossy.any():
        out = NormAccumulator([p]).add(h).evaluate(p)
        if out.note:
            return out
        return to_float64(EXT(out.value) * EXT(2.0), nonzero=out.value != 0)
    # Both overflowed and tiny (< 2^-1021) differences, p < 0: the two parts apart, then combined.
    # ||d||_p = ||(N_R, N_O)||_p with N_R the norm of the finite differences and N_O = 2 ||h_O||_p.
    # N_R <= min |d_R| < 2^-1021 and N_O > 2^1023, so (N_O / N_R)^p <= 2^(2044 p): it matters only for
    # p close to 0.
    rest = NormAccumulator([p]).add(d[~over]).evaluate(p)
    big = NormAccumulator([p]).add(h[over]).evaluate(p)
    if rest.note or rest.value == 0 or big.value == 0:
        return rest if rest.value == 0 or rest.note else big
    log_ratio = p * (math.log2(big.value) + 1.0 - math.log2(rest.value))
    if log_ratio < -80.0:
        return rest
    factor = math.exp(math.log1p(2.0 ** log_ratio) / p)
    return to_float64(EXT(rest.value) * EXT(factor), nonzero=True)


def hamming(a: Iterable[float], b: Iterable[float]) -> int:
    """The number of components where a_i != b_i (the Hamming distance, ||a - b||_0 for finite values).

    A nan differs from everything, itself included (IEEE ``!=``, as
    ``scipy.spatial.distance.hamming`` counts it); -0.0 equals 0.0.

    >>> hamming([1, 0, 1, 1], [1, 1, 0, 1])
    2
    """
    a, b = _pair(a, b)
    return int(np.count_nonzero(a != b))


def hamming_fraction(a: Iterable[float], b: Iterable[float]) -> float:
    """The share of components where a_i != b_i, as ``scipy.spatial.distance.hamming``.

    >>> hamming_fraction([1, 0, 1, 1], [1, 1, 0, 1])
    0.5
    """
    a, b = _pair(a, b)
    return int(np.count_nonzero(a != b)) / a.size


def _distance_notes(orders: Sequence[float]) -> list[str]:
    notes = []
    for p in orders:
        col = column_name(p, "norm")
        kind = order_kind(p)
        if kind == "count":
            notes.append(f"{col} counts the components that differ (the Hamming distance, a metric); "
                         "||.||_0 itself is not a norm.")
        elif kind == "quasi-norm":
            notes.append(f"{col}: 0 < p < 1 is not a norm: the triangle inequality fails, so ||a - b||_p is "
                         "not a metric (||a - b||_p^p is one).")
        elif p == -INF:
            notes.append(f"{col} is min |a_i - b_i|: not a metric (it is 0 as soon as one component agrees).")
        elif kind == "not a norm":
            notes.append(f"{col}: p < 0 follows numpy's formula (sum |a_i - b_i|^p)^(1/p), 0 if any component "
                         "agrees; not a metric.")
    return notes


def _out_of_range(col: str, what: str) -> str:
    return f"{col} of {what}: the result is outside the float64 range"


def distance_result(a, b, orders: Sequence[float], names: Sequence[str] = ("A", "B")) -> Result:
    """``dist A B``: one row, one column per order.

    >>> r = distance_result([1, 2, 3], [4, 6, 8], [1.0, 2.0])
    >>> r.title, r.columns, r.rows
    ('Lp distances ||A - B||_p, p = 1, 2', ['L1', 'L2'], [('A - B', 12.0, 7.0710678118654755)])
    """
    a, b = _pair(a, b, names)
    orders = [_order(p) for p in orders]
    first, second = names
    if len(orders) == 1:
        name = order_name(orders[0])
        title = f"L{name} distance ||{first} - {second}||_{name}"
    else:
        title = f"Lp distances ||{first} - {second}||_p, p = {', '.join(order_name(p) for p in orders)}"
    result = Result(title, [column_name(p, "norm") for p in orders], label="vectors",
                    notes=_distance_notes(orders))
    _add_outcomes(result, f"{first} - {second}", orders, lambda p: distance(a, b, p), "")
    return result


def accumulated_distance_result(acc, overflowed: int, orders: Sequence[float],
                                names: Sequence[str] = ("A", "B")) -> Result:
    """:func:`distance_result` from the merged accumulator of the differences (a partitioned input).

    ``overflowed`` differences a_i - b_i are beyond the float64 range: every distance of p > 0 is then
    too (inf, with the note); p < 0 needs those differences themselves (the local reduction)."""
    orders = [_order(p) for p in orders]
    if overflowed and any(p < 0 for p in orders):
        raise CoreError(f"{overflowed} difference(s) a_i - b_i overflow float64; p < 0 needs them reduced as "
                        "halves: use --engine local")
    first, second = names
    name = order_name(orders[0]) if len(orders) == 1 else "p"
    title = (f"L{name} distance ||{first} - {second}||_{name}" if len(orders) == 1 else
             f"Lp distances ||{first} - {second}||_p, p = {', '.join(order_name(p) for p in orders)}")
    result = Result(title, [column_name(p, "norm") for p in orders], label="vectors",
                    notes=_distance_notes(orders))
    over = Outcome(math.inf, "the result exceeds the float64 range (about 1.8e308)")
    _add_outcomes(result, f"{first} - {second}", orders,
                  lambda p: over if overflowed and p > 0 and not acc.nans else acc.evaluate(p), "")
    return result


def _add_outcomes(result: Result, label: str, orders: Sequence[float], compute, where: str) -> None:
    """Append the row (label, compute(p) for each order) to ``result``; out-of-range notes become warnings."""
    row = [label]
    for p in orders:
        out = compute(p)
        row.append(out.value)
        if out.note:
            result.warnings.append(f"{column_name(p, 'norm')}{where}: {out.note}")
    result.rows.append(tuple(row))


def hamming_result(a, b, names: Sequence[str] = ("A", "B")) -> Result:
    """``dist --hamming A B``: the count of differing components and their share.

    >>> r = hamming_result([1, 0, 1, 1], [1, 1, 0, 1])
    >>> r.columns, r.rows
    (['count', 'fraction'], [('A - B', 2, 0.5)])
    """
    a, b = _pair(a, b, names)
    count = int(np.count_nonzero(a != b))
    first, second = names
    notes = [f"count: the components where {first}_i != {second}_i, out of n = {a.size} (the Hamming distance); "
             "fraction: count / n, as scipy.spatial.distance.hamming."]
    if np.isnan(a).any() or np.isnan(b).any():
        notes.append("a nan differs from everything, itself included (IEEE !=, as scipy counts it).")
    return Result(f"Hamming distance between {first} and {second}", ["count", "fraction"],
                  rows=[(f"{first} - {second}", count, count / a.size)], label="vectors", notes=notes)


# --------------------------------------------------------------------------
# Distance matrices, streamed row by row
# --------------------------------------------------------------------------
def _table(X) -> np.ndarray:
    X = np.ascontiguousarray(X, dtype=np.float64)
    if X.ndim != 2:
        raise CoreError(f"a distance matrix needs a 2-D table, not {X.ndim}-D")
    if X.shape[0] == 0:
        raise CoreError("the table has no rows")
    if X.shape[1] == 0:
        raise CoreError("the table has no columns")
    return X


def _step(X: np.ndarray, block: int | None) -> int:
    if block is not None:
        if block < 1:
            raise CoreError(f"block must be at least 1, not {block}")
        return int(block)
    return max(1, _BLOCK_VALUES // max(1, X.shape[1]))


def _pairwise(X: np.ndarray, p: float, step: int) -> Iterator[tuple[int, np.ndarray, np.ndarray]]:
    """Row i of the distance matrix and its out-of-range flags, one temporary block of rows at a time."""
    n = X.shape[0]
    finite_rows = np.isfinite(X).all(axis=1)
    for i in range(n):
        xi = X[i]
        values = np.empty(n)
        flags = np.zeros(n, dtype=bool)
        for start in range(0, n, step):
            stop = min(n, start + step)
            with np.errstate(over="ignore", invalid="ignore"):
                diff = X[start:stop] - xi
            # An overflowed difference (finite inputs): distance() knows what it means for each p.
            over = np.isinf(diff).any(axis=1) & finite_rows[start:stop] & finite_rows[i]
            if over.any():
                diff[over] = 0.0
            v, f = row_norms(diff, p)
            for j in np.flatnonzero(over):
                out = distance(X[start + j], xi, p)
                v[j], f[j] = out.value, out.note is not None
            values[start:stop] = v
            flags[start:stop] = f
        yield i, values, flags


def pairwise_rows(X, p: float = 2.0, block: int | None = None) -> Iterator[tuple[int, np.ndarray]]:
    """The distance matrix of the rows of X, streamed: ``(i, [||X_j - X_i||_p for every j])``.

    Parameters
    ----------
    X : array_like, 2-D (n, d)
    p : float
        As for :func:`distance`.
    block : int, optional
        Rows j per temporary block ``X[j:j+block] - X[i]`` (default: about
        10^6 values); memory is X, one block and one output row of n.

    Yields
    ------
    i : int
        0-based row index.
    distances : ndarray of float64, shape (n,)
        ``distances[j] == distance(X[i], X[j], p).value`` bit for bit. The
        matrix is exactly symmetric, with a zero diagonal for finite X.

    Examples
    --------
    >>> [d.tolist() for _, d in pairwise_rows([[0, 0], [3, 4], [6, 8]])]
    [[0.0, 5.0, 10.0], [5.0, 0.0, 5.0], [10.0, 5.0, 0.0]]
    """
    X = _table(X)
    p = _order(p)
    for i, values, _ in _pairwise(X, p, _step(X, block)):
        yield i, values


def pairwise_hamming(X, fraction: bool = False, block: int | None = None) -> Iterator[tuple[int, np.ndarray]]:
    """The Hamming distance matrix of the rows of X, streamed like :func:`pairwise_rows`.

    Yields ``(i, counts)`` with ``counts[j]`` the number of components where
    X_i and X_j differ (int64); with ``fraction``, that count / d (float64,
    scipy's ``cdist(X, X, "hamming")``).

    >>> [c.tolist() for _, c in pairwise_hamming([[1, 0, 1], [1, 1, 1]])]
    [[0, 1], [1, 0]]
    """
    X = _table(X)
    n, d = X.shape
    step = _step(X, block)
    for i in range(n):
        counts = np.empty(n, dtype=np.int64)
        for start in range(0, n, step):
            counts[start:start + step] = np.count_nonzero(X[start:start + step] != X[i], axis=1)
        yield i, (counts / d if fraction else counts)


def pairwise_result(names: Sequence[str], X, p: float = 2.0, hamming: bool = False, by: str = "rows") -> Result:
    """``dist --pairwise``: the distance matrix, one result row per row of X, in streamed batches.

    The label column is the row's name and there is one value column per
    name (the header is ``names``). ``by`` ("rows" or "columns") only names
    what X's rows are, for the title.

    >>> r = pairwise_result(["1", "2"], [[0, 0], [3, 4]])
    >>> r.title, r.columns, [row for batch in r.iter_batches() for row in batch]
    ('L2 distance matrix (rows)', ['1', '2'], [('1', 0.0, 5.0), ('2', 5.0, 0.0)])
    """
    X = _table(X)
    names = [str(n) for n in names]
    n, d = X.shape
    if len(names) != n:
        raise CoreError(f"{_plural(len(names), 'name')} for {_plural(n, 'row')}")
    p = _order(p)
    what = "columns" if by == "columns" else "rows"
    if hamming:
        title = f"Hamming distance matrix ({what})"
        notes = [f"the number of components that differ, out of d = {d}; divide by {d} for the share "
                 "(scipy's hamming)."]
    else:
        title = f"L{order_name(p)} distance matrix ({what})"
        notes = _distance_notes([p])
    result = Result(title, names, label="row" if what == "rows" else "column", notes=notes)
    col = column_name(p, "norm")
    per_batch = max(1, _BATCH_VALUES // n)

    def batches():
        rows, flagged = [], 0
        if hamming:
            source = ((i, c, None) for i, c in pairwise_hamming(X))
        else:
            source = _pairwise(X, p, _step(X, None))
        for i, values, flags in source:
            if flags is not None:
                for j in np.flatnonzero(flags[i + 1:]) + i + 1:  # each pair once
                    flagged += 1
                    if flagged <= _MAX_WARNINGS:
                        result.warnings.append(_out_of_range(col, f"{names[i]!r} and {names[j]!r}"))
            cells = values.tolist() if hamming or p != 0 else count_column(values).tolist()
            rows.append((names[i], *cells))
            if len(rows) >= per_batch:
                yield rows
                rows = []
        if rows:
            yield rows
        if flagged > _MAX_WARNINGS:
            result.warnings.append(f"{col}: {flagged - _MAX_WARNINGS} more pair(s) outside the float64 range")

    result.batches = batches()
    return result


# --------------------------------------------------------------------------
# Unit vectors x / ||x||_p
# --------------------------------------------------------------------------
_P0_MESSAGE = ("p = 0 counts non-zeros: ||c x||_0 = ||x||_0, it is not homogeneous, so there is nothing to "
               "normalize to 1; give p != 0")


def _unit(x: np.ndarray, p: float) -> tuple[np.ndarray, Outcome, list[str], list[str]]:
    """x / ||x||_p, the norm, notes and warnings (the unit vector's entries out of range)."""
    if p == 0:
        raise CoreError(_P0_MESSAGE)
    if x.size == 0:
        raise CoreError("x is empty")
    if not np.isfinite(x).all():
        raise CoreError("x holds a non-finite value (nan or inf): it has no unit vector")
    out = NormAccumulator([p]).add(x).evaluate(p)
    N = out.value
    name = order_name(p)
    if N == 0 and out.note is None:
        if p > 0:
            note = "the zero vector stays zero, as scikit-learn's normalize does"
        else:
            why = "p = -inf" if p == -INF else "p < 0"
            note = f"||x||_{name} is 0 (a zero entry with {why}): x is left unchanged"
        return x.copy(), out, [note], []
    notes, warnings = [], []
    if math.isfinite(N) and N >= _NORMAL:
        with np.errstate(over="ignore", under="ignore"):
            y = x / N  # one rounding per entry, as x / np.linalg.norm(x) with the same norm
    else:
        y = _unit_scaled(x, p)
        if out.note:
            notes.append(f"||x||_{name}: {out.note}; x / ||x||_{name} is computed from x scaled by a power of "
                         "two, which that does not affect")
    if np.isinf(y).any():
        warnings.append(f"some entries of x / ||x||_{name} exceed the float64 range (p < 0 divides by at most "
                        "min |x_i|)")
    if ((y == 0) & (x != 0)).any():
        warnings.append(f"some entries of x / ||x||_{name} are below the smallest float64 and round to 0")
    return y, out, notes, warnings


def _unit_scaled(x: np.ndarray, p: float) -> np.ndarray:
    """x / ||x||_p when ||x||_p is beyond the float64 range, below it, or subnormal.

    x is scaled by 2^-k (the extreme |x_i| to [1, 2): the largest for p > 0,
    the smallest for p < 0, none of which is 0 here), its norm m 2^j taken
    with m in [1, 2), and x divided by m 2^(k + j) without forming it.
    """
    ax = np.abs(x)
    extreme = float(ax.max() if p > 0 else ax.min())
    k = math.frexp(extreme)[1] - 1
    with np.errstate(over="ignore", under="ignore"):
        xs = np.ldexp(x, -k)  # exact where it stays normal; a far-off entry's term is negligible
    inner = NormAccumulator([p]).add(xs).evaluate(p).value
    if inner == INF:  # 0 < p << 1 and many entries: every x_i / ||x||_p underflows
        return np.copysign(np.zeros_like(x), x)
    if inner == 0:  # p < 0 close to 0 and many entries: every x_i / ||x||_p overflows
        return np.copysign(np.full_like(x, INF), x)
    f, j = math.frexp(inner)
    m, e = 2.0 * f, k + j - 1  # ||x||_p = m 2^e, m in [1, 2)
    with np.errstate(over="ignore", under="ignore"):
        if e >= 0:
            return np.ldexp(x / m, -e)  # x / m cannot overflow; a second rounding only for subnormal results
        t = np.ldexp(x, -e)  # scaling up is exact unless it overflows (p < 0, entries far above the smallest)
        y = t / m
        big = np.isinf(t)
        if big.any():
            y[big] = np.ldexp(x[big] / m, -e)
    return y


def normalize(x: Iterable[float], p: float = 2.0) -> tuple[np.ndarray, float, list[str]]:
    """The unit vector x / ||x||_p, safe when ||x||_p overflows or underflows.

    Parameters
    ----------
    x : array_like
        A finite vector (flattened).
    p : float
        Any real number but 0, ``inf`` or ``-inf``.

    Returns
    -------
    y : ndarray of float64
        x / ||x||_p, so that ||y||_p = 1 to a few ulp. When ||x||_p is 0 (the
        zero vector; for p < 0 or ``-inf`` a zero entry), x unchanged.
    norm : float
        ||x||_p as :func:`~normcli.core.norms.norm` gives it (``inf`` or 0
        when beyond the float64 range: y is right all the same).
    notes : list of str
        Why x was left unchanged; the range of ||x||_p or of y's entries.

    Raises
    ------
    CoreError
        p = 0 (the count of non-zeros is not homogeneous); a non-finite or
        empty x.

    Notes
    -----
    When ||x||_p is a normal float64 this is ``x / norm(x, p)``, one
    rounding per entry, as scikit-learn's ``normalize`` divides by
    ``numpy.linalg.norm`` (here the norm is the accurate one). Otherwise x is
    scaled by a power of two first (exact), so ``[1.5e308, 1.5e308]`` and
    ``[3e-320, 4e-320]`` have unit vectors although their norms are inf and
    subnormal.

    Examples
    --------
    >>> y, n, _ = normalize([3, 4]); y.tolist(), n
    ([0.6, 0.8], 5.0)
    >>> normalize([3e-320, 4e-320])[0].tolist()
    [0.6, 0.8]
    >>> normalize([1.5e308, 1.5e308])[0].tolist()
    [0.7071067811865476, 0.7071067811865476]
    >>> normalize([0, 0])[2]
    ["the zero vector stays zero, as scikit-learn's normalize does"]
    """
    p = _order(p)
    y, out, notes, warnings = _unit(_vector(x), p)
    return y, out.value, notes + warnings


def normalize_rows(X, p: float = 2.0) -> tuple[np.ndarray, np.ndarray, int]:
    """Every row of X divided by its p-norm, vectorized; row i is ``normalize(X[i], p)`` bit for bit.

    Returns
    -------
    Y : ndarray (m, n)
    norms : ndarray (m,)
        ||X_i||_p, as ``row_norms`` gives it.
    zeros : int
        Rows whose norm is 0, left unchanged.

    Raises
    ------
    CoreError
        p = 0, a non-finite value (naming its row), X not 2-D.

    >>> Y, N, z = normalize_rows([[3, 4], [0, 0]]); Y.tolist(), N.tolist(), z
    ([[0.6, 0.8], [0.0, 0.0]], [5.0, 0.0], 1)
    """
    Y, N, zero = _normalize_rows(X, _order(p))
    return Y, N, int(np.count_nonzero(zero))


def _normalize_rows(X, p: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """normalize_rows, with the mask of the rows left unchanged because their norm is 0."""
    if p == 0:
        raise CoreError(_P0_MESSAGE)
    X = np.ascontiguousarray(X, dtype=np.float64)
    if X.ndim != 2:
        raise CoreError(f"normalize_rows needs a 2-D array, not {X.ndim}-D")
    bad = ~np.isfinite(X).all(axis=1)
    if bad.any():
        raise CoreError(f"row {int(np.argmax(bad)) + 1} holds a non-finite value (nan or inf): "
                        "it has no unit vector")
    m, n = X.shape
    if n == 0:
        return X.copy(), np.zeros(m), np.ones(m, dtype=bool)
    N, flags = row_norms(X, p)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore", under="ignore"):
        Y = X / N[:, None]
    zero = (N == 0) & ~flags
    Y[zero] = X[zero]
    for i in np.flatnonzero(~zero & ~(np.isfinite(N) & (N >= _NORMAL))):
        Y[i] = _unit(X[i], p)[0]
    return Y, N, zero


def _normalize_notes(p: float) -> list[str]:
    name = order_name(p)
    kind = order_kind(p)
    if kind == "quasi-norm":
        return [f"0 < p < 1: ||.||_{name} is a quasi-norm (the triangle inequality fails), not a norm; "
                f"x / ||x||_{name} still has ||.||_{name} = 1."]
    if p == -INF:
        return ["||x||_-inf is min |x_i|, not a norm: x / ||x||_-inf divides by the smallest |x_i|."]
    if kind == "not a norm":
        return [f"p < 0 follows numpy's formula (sum |x_i|^p)^(1/p), not a norm; x / ||x||_{name} still has "
                f"||.||_{name} = 1."]
    return []


def normalize_result(x, p: float = 2.0) -> Result:
    """``normalize``: a table of x and x / ||x||_p (plain output: the unit vector, one value per line).

    >>> r = normalize_result([3, 4])
    >>> r.title, r.columns, r.rows, r.plain, r.notes
    ('L2 unit vector x / ||x||_2', ['x', 'normalized'], [('1', 3.0, 0.6), ('2', 4.0, 0.8)], [1], ['||x||_2 = 5.0'])
    """
    p = _order(p)
    x = _vector(x)
    y, out, notes, warnings = _unit(x, p)
    name = order_name(p)
    rows = [(str(i), xi, yi) for i, (xi, yi) in enumerate(zip(x.tolist(), y.tolist()), start=1)]
    return Result(f"L{name} unit vector x / ||x||_{name}", ["x", "normalized"], rows=rows, label="i", plain=[1],
                  notes=[f"||x||_{name} = {out.value!r}", *_normalize_notes(p), *notes], warnings=warnings)


def normalize_rows_result(blocks: Iterable, p: float = 2.0) -> Result:
    """``normalize --rows``: each row's unit vector and norm, streamed block by block.

    ``blocks`` yields objects with ``first`` (1-based row number), ``data``
    and ``keep`` (mask or None), as ``inputs.read_rows`` does. Plain output
    is one unit vector per line, tab-separated (``plain=[0]``), which
    ``normcli norm --rows`` reads back. With a ``keep`` mask (``--nan
    omit``) a row's left-out cells are left out of its unit vector too, as
    ``grad --rows`` does.
    """
    p = _order(p)
    if p == 0:
        raise CoreError(_P0_MESSAGE)
    name = order_name(p)
    result = Result(f"L{name} unit vectors x / ||x||_{name} of each row", ["normalized", f"L{name}"], label="row",
                    plain=[0], notes=_normalize_notes(p))

    def batches():
        zero_rows: list[str] = []
        zero_count = 0
        odd: dict[str, list[str]] = {}
        omitted = False

        def remember(label: str, y: np.ndarray, x: np.ndarray) -> None:
            if np.isinf(y).any():
                odd.setdefault("exceed the float64 range", []).append(label)
            if ((y == 0) & (x != 0)).any():
                odd.setdefault("are below the smallest float64 and round to 0", []).append(label)

        for block in blocks:
            data = np.asarray(block.data, dtype=np.float64)
            if block.keep is None:
                Y, N, zero_mask = _normalize_rows(data, p)
                zero = np.flatnonzero(zero_mask)
                zero_count += zero.size
                zero_rows.extend(str(block.first + i) for i in zero[:_MAX_WARNINGS])
                for i in np.flatnonzero(~np.isfinite(Y).all(axis=1) | ((Y == 0) & (data != 0)).any(axis=1)):
                    remember(str(block.first + i), Y[i], data[i])
                yield ColumnBatch(block.first, [Y, N])
                continue
            omitted = True
            rows = []
            for i in range(data.shape[0]):
                label = str(block.first + i)
                x = data[i][block.keep[i]]
                if x.size == 0:
                    y, value = x, 0.0
                    zero_count += 1
                    zero_rows.append(label)
                else:
                    y, out, notes, _ = _unit(x, p)
                    value = out.value
                    if notes and out.value == 0 and out.note is None:
                        zero_count += 1
                        zero_rows.append(label)
                    remember(label, y, x)
                rows.append((label, y.tolist(), value))
            yield rows
        if zero_count:
            shown = ", ".join(zero_rows[:_MAX_WARNINGS]) + (", ..." if zero_count > _MAX_WARNINGS else "")
            why = "the zero vector stays zero, as scikit-learn's normalize does" if p > 0 else \
                "a zero entry makes ||x||_p 0 for p < 0"
            result.notes.append(f"{_plural(zero_count, 'row')} with ||x||_{name} = 0 left unchanged ({why}): "
                                f"row {shown}")
        if omitted:
            result.notes.append("--nan omit: a row's omitted cells are left out of its unit vector")
        for what, labels in odd.items():
            shown = ", ".join(labels[:_MAX_WARNINGS]) + (", ..." if len(labels) > _MAX_WARNINGS else "")
            result.warnings.append(f"entries of x / ||x||_{name} {what} in row {shown}")

    result.batches = batches()
    return result


# --------------------------------------------------------------------------
# ||A x||_p: the norm induced through a linear map
# --------------------------------------------------------------------------
def injectivity(A, rtol: float | None = None) -> tuple[int, float, float]:
    """The numerical rank of A (m x d), the tolerance used and the smallest singular value.

    Parameters
    ----------
    A : array_like, 2-D, finite
    rtol : float, optional
        Relative tolerance; default ``max(m, d) * eps``, numpy's
        ``matrix_rank`` default.

    Returns
    -------
    rank : int
        The singular values above ``tol``. x -> ||A x||_p is a norm on R^d
        (for p >= 1) exactly when rank == d.
    tol : float
        ``rtol * sigma_max``.
    sigma_min : float
        The smallest singular value of A as a map from R^d (0 when m < d).

    Notes
    -----
    The SVD is of A / 2^e (exact), so A with entries near 1e308 or 1e-320
    has a rank too.

    Examples
    --------
    >>> injectivity([[1, 2], [2, 4], [0, 0]])[0], injectivity([[2, 0], [0, 1]])
    (1, (2, 8.881784197001252e-16, 1.0))
    """
    A = _matrix(A)
    m, d = A.shape
    As, s = scaled(A)
    sv = np.linalg.svd(As, compute_uv=False)
    if rtol is None:
        rtol = max(m, d) * float(np.finfo(np.float64).eps)
    tol = float(sv[0]) * float(rtol)
    rank = int(np.count_nonzero(sv > tol))
    smallest = float(sv[-1]) if sv.size == d else 0.0
    return rank, tol * s, smallest * s


def transform_notes(A, rtol: float | None = None) -> list[str]:
    """What ||A x||_p is: a norm on R^d when A is injective, else only a seminorm.

    >>> print(transform_notes([[1, 0], [0, 1], [1, 1]])[0])  # doctest: +NORMALIZE_WHITESPACE
    A (3x2) is injective (rank 2; SVD, tolerance 6.7e-16 * sigma_max; smallest singular value 1):
    ||A x||_p is a norm on R^2 (for p >= 1)
    >>> print(transform_notes([[1, 1], [2, 2], [3, 3]])[0])  # doctest: +NORMALIZE_WHITESPACE
    A (3x2) has rank 1 < 2 columns (SVD, tolerance 6.7e-16 * sigma_max):
    ||A x||_p is only a seminorm (A x = 0 for some x != 0)
    """
    A = _matrix(A)
    m, d = A.shape
    rank, _, smallest = injectivity(A, rtol)
    r = max(m, d) * float(np.finfo(np.float64).eps) if rtol is None else float(rtol)
    how = f"SVD, tolerance {r:.2g} * sigma_max"
    if rank == d:
        return [f"A ({m}x{d}) is injective (rank {d}; {how}; smallest singular value {smallest:.3g}): "
                f"||A x||_p is a norm on R^{d} (for p >= 1)"]
    return [f"A ({m}x{d}) has rank {rank} < {d} columns ({how}): ||A x||_p is only a seminorm "
            "(A x = 0 for some x != 0)"]


def _products(A: np.ndarray, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The rows of X times A^T as (Y, E): A x_i = Y[i] * 2^E[i].

    With extended precision (x86-64) Y is X A^T summed in long double: its
    exponent range holds every product, so E = 0. Elsewhere A and each x_i
    are scaled by powers of two first, so the float64 products cannot
    overflow.
    """
    if EXTENDED:
        return X.astype(EXT) @ A.T.astype(EXT), np.zeros(X.shape[0], dtype=np.int64)
    As, sa = scaled(A)
    peak = np.abs(X).max(axis=1) if X.shape[1] else np.zeros(X.shape[0])
    ex = np.where(peak > 0, np.frexp(peak)[1] - 1, 0)
    Y = np.ldexp(X, -ex[:, None]) @ As.T
    return Y, ex + (math.frexp(sa)[1] - 1)


def _scaled_products(Y: np.ndarray, E: np.ndarray, p: float) -> tuple[np.ndarray, np.ndarray]:
    """Rows of Y rounded once to float64 after scaling each by a power of two: (Ys, E) with A x_i = Ys[i] 2^E[i].

    The extreme |y| of a row goes to [1, 2): the largest for p > 0, the
    smallest non-zero for p < 0, as the accumulator scales. For 0 < |p| <
    1/4, where terms far from the extreme one still count (scaling would
    make them subnormal for p > 0, or overflow for p < 0), rows inside the
    float64 range are not scaled.
    """
    a = np.abs(Y)
    if p > 0:
        extreme = a.max(axis=1) if a.shape[1] else np.zeros(a.shape[0])
    else:
        extreme = np.where(a > 0, a, np.inf).min(axis=1) if a.shape[1] else np.zeros(a.shape[0])
        extreme = np.where(np.isfinite(extreme), extreme, 0)
    shift = np.where(extreme > 0, np.frexp(extreme)[1] - 1, 0).astype(np.int64)
    if 0 < abs(p) < SMALL_P:
        inside = (extreme >= _NORMAL) & (extreme < 2.0 ** 1023)
        shift = np.where(inside, 0, shift)
    with np.errstate(over="ignore", under="ignore"):
        Ys = np.ldexp(Y, -shift[:, None]).astype(np.float64)
    return Ys, E + shift


def _rescale(value: float, e: int) -> Outcome:
    with np.errstate(over="ignore", under="ignore"):  # beyond float64 (no long double): to_float64 notes it
        exact = np.ldexp(EXT(value), int(e))
    return to_float64(exact, nonzero=value != 0)


def _transform_setup(A, X) -> tuple[np.ndarray, np.ndarray]:
    A = _matrix(A)
    X = np.asarray(X, dtype=np.float64)
    return A, X


def transform_norm(A, x, p: float = 2.0) -> Outcome:
    """||A x||_p with A (m x d) and x (d,): A x in extended precision, rounded once, then the safe norm.

    Parameters
    ----------
    A : array_like, 2-D, finite
    x : array_like, d values
    p : float
        As for :func:`~normcli.core.norms.norm`.

    Returns
    -------
    Outcome
        With a note when the true value is beyond the float64 range.

    Raises
    ------
    CoreError
        ``"A has 3 columns but x has 2 values"``; a non-finite A or x.

    Notes
    -----
    On x86-64 each (A x)_i is summed in long double (64-bit mantissa, an
    exponent range that holds every product), so it is accurate to about
    d 2^-64 relative to sum_j |A_ij x_j|; it is then scaled by a power of two
    (the vector's extreme component to [1, 2), as the norms scale) and
    rounded once to float64. Without extended precision A and x are scaled
    by powers of two and multiplied in float64. x -> ||A x||_p is a norm
    when A is injective (see :func:`injectivity`), else a seminorm.

    Examples
    --------
    >>> transform_norm([[2, 0], [0, 1]], [1, 1], 2).value == 5 ** 0.5
    True
    >>> transform_norm([[1e300, 0], [0, 1e300]], [1e10, 1e10], 2).note
    'the result exceeds the float64 range (about 1.8e308)'
    """
    A, x = _transform_setup(A, x)
    x = x.ravel()
    if x.size != A.shape[1]:
        raise CoreError(f"A has {_plural(A.shape[1], 'column')} but x has {_values(x.size)}")
    if not np.isfinite(x).all():
        raise CoreError("x holds a non-finite value (nan or inf)")
    p = _order(p)
    Y, E = _products(A, x[None, :])
    if p == 0:
        return Outcome(int(np.count_nonzero(Y)))
    Ys, E = _scaled_products(Y, E, p)
    out = NormAccumulator([p]).add(Ys[0]).evaluate(p)
    if out.note:
        return out
    return _rescale(out.value, E[0])


def transform_rows(A, X, p: float = 2.0) -> tuple[np.ndarray, np.ndarray]:
    """||A x_i||_p for every row x_i of X, vectorized; row i is ``transform_norm(A, X[i], p)`` bit for bit.

    Returns (values, out_of_range) as :func:`~normcli.core.norms.row_norms`.

    >>> transform_rows([[2, 0], [0, 1]], [[1, 0], [0, 3]], 1)[0].tolist()
    [2.0, 3.0]
    """
    A, X = _transform_setup(A, X)
    if X.ndim != 2:
        raise CoreError(f"transform_rows needs a 2-D array of rows, not {X.ndim}-D")
    if X.shape[1] != A.shape[1]:
        raise CoreError(f"A has {_plural(A.shape[1], 'column')} but the rows have {_values(X.shape[1])}")
    if not np.isfinite(X).all():
        raise CoreError("the rows hold a non-finite value (nan or inf)")
    p = _order(p)
    Y, E = _products(A, X)
    if p == 0:
        return np.count_nonzero(Y, axis=1).astype(np.float64), np.zeros(X.shape[0], dtype=bool)
    Ys, E = _scaled_products(Y, E, p)
    values, flags = row_norms(Ys, p)
    exact = np.ldexp(values.astype(EXT), E)
    with np.errstate(over="ignore", under="ignore"):
        out, range_flags = rows_to_float64(exact)
    range_flags |= (out == 0) & (values != 0)
    out[flags] = values[flags]  # already out of range before rescaling: as the scalar path gives
    return out, flags | range_flags


def _transform_title(orders: Sequence[float]) -> str:
    if len(orders) == 1:
        return f"L{order_name(orders[0])} norm of A x"
    return f"Lp norms of A x, p = {', '.join(order_name(p) for p in orders)}"


def transform_result(A, x, orders: Sequence[float]) -> Result:
    """``norm --transform A``: ||A x||_p for each order, with what A makes of it.

    >>> r = transform_result([[2, 0], [0, 1]], [3, 4], [1.0, 2.0])
    >>> r.title, r.columns, r.rows
    ('Lp norms of A x, p = 1, 2', ['L1', 'L2'], [('A x', 10.0, 7.211102550927978)])
    """
    orders = [_order(p) for p in orders]
    A = _matrix(A)
    result = Result(_transform_title(orders), [column_name(p, "norm") for p in orders], label="vector",
                    notes=[*transform_notes(A), *order_notes(orders, "norm")])
    _add_outcomes(result, "A x", orders, lambda p: transform_norm(A, x, p), " of A x")
    return result


def transform_rows_result(A, blocks: Iterable, orders: Sequence[float]) -> Result:
    """``norm --transform A --rows``: ||A x||_p of every row, streamed as ``ColumnBatch``es.

    A row with an omitted cell (``--nan omit``) has no A x: its values are
    nan, with a note. A block whose rows do not have d values stops the
    stream with an error naming its first row.
    """
    orders = [_order(p) for p in orders]
    A = _matrix(A)
    d = A.shape[1]
    result = Result(_transform_title(orders) + " of each row", [column_name(p, "norm") for p in orders],
                    label="row", notes=[*transform_notes(A), *order_notes(orders, "norm")])

    def batches():
        incomplete = 0
        flagged = 0
        for block in blocks:
            data = np.asarray(block.data, dtype=np.float64)
            if data.shape[1] != d:
                raise CoreError(f"row {block.first}: A has {_plural(d, 'column')} but the row has "
                                f"{_values(data.shape[1])}")
            whole = np.ones(data.shape[0], dtype=bool) if block.keep is None else block.keep.all(axis=1)
            incomplete += int(np.count_nonzero(~whole))
            cols = []
            for p in orders:
                values = np.full(data.shape[0], np.nan)
                flags = np.zeros(data.shape[0], dtype=bool)
                if whole.any():
                    values[whole], flags[whole] = transform_rows(A, data[whole], p)
                for i in np.flatnonzero(flags):
                    flagged += 1
                    if flagged <= _MAX_WARNINGS:
                        result.warnings.append(_out_of_range(column_name(p, "norm"), f"row {block.first + i}"))
                cols.append(count_column(values) if p == 0 else values)  # an omitted row's nan stays nan
            yield ColumnBatch(block.first, cols)
        if flagged > _MAX_WARNINGS:
            result.warnings.append(f"{flagged - _MAX_WARNINGS} more result(s) outside the float64 range")
        if incomplete:
            result.notes.append(f"{_plural(incomplete, 'row')} with an omitted value (--nan omit) have no A x: "
                                "shown as nan")

    result.batches = batches()
    return result


# --------------------------------------------------------------------------
# Unit-ball outlines for pictures
# --------------------------------------------------------------------------
#: Above this many rows of A, the directions where two rows of A x tie (the L-inf corners) are not added.
_MAX_PAIR_ROWS = 64


def _special_directions(A: np.ndarray) -> np.ndarray:
    """Directions where the outline may have a corner, as exact vectors (not angles).

    The axes and diagonals; for each row a of A the directions where
    a . u = 0 (a component of A u vanishes: the corners of p <= 1, the
    A^-1 e_i of a square A); for each pair of rows those where
    |a . u| = |b . u| (the corners of p = inf, A^-1 (1, +-1)).
    """
    dirs = [(1.0, 0.0), (0.0, 1.0), (1.0, 1.0), (1.0, -1.0)]
    rows = [r for r in A.tolist() if r != [0.0, 0.0]]
    dirs += [(-r[1], r[0]) for r in rows]
    if len(rows) <= _MAX_PAIR_ROWS:
        for i in range(len(rows)):
            for k in range(i + 1, len(rows)):
                for sign in (1.0, -1.0):
                    v = (rows[i][0] + sign * rows[k][0], rows[i][1] + sign * rows[k][1])
                    if v != (0.0, 0.0) and all(map(math.isfinite, v)):
                        dirs.append((-v[1], v[0]))
    u = np.array(dirs, dtype=np.float64)
    return np.concatenate([u, -u])


def ball_boundary(p: float, A=None, n: int = 721) -> tuple[np.ndarray, np.ndarray]:
    """The closed curve {x in R^2 : ||A x||_p = 1} (A = identity when None), for pictures.

    Parameters
    ----------
    p : float
        > 0 (``inf`` included).
    A : array_like (m x 2), optional
        Injective; the curve is then the unit sphere of the norm
        x -> ||A x||_p.
    n : int
        Evenly spaced angles in [0, 2 pi] (721: every half degree).

    Returns
    -------
    x, y : ndarray
        Points x(t) = u / ||A u||_p for directions u: the n angles plus every
        direction where the curve may have a corner (axes, diagonals, the
        directions A^-1 e_i and A^-1 (1, +-1), and in general where a
        component of A u vanishes or two tie), exact vectors so that the
        vertices of p = 1, p = inf and the cusps of p < 1 are hit exactly.
        Sorted by angle from the direction (1, 0); the last point repeats
        the first.

    Raises
    ------
    CoreError
        p <= 0 or ``-inf`` (``"the unit ball of p = 0 is unbounded; give p >
        0"``); A not 2-column, not finite or not injective (``"the unit ball
        of a seminorm is unbounded: A has rank 1 < 2"``).

    Examples
    --------
    >>> x, y = ball_boundary(1.0, n=5)
    >>> list(zip(x.tolist(), y.tolist()))[:3]
    [(1.0, 0.0), (0.5, 0.5), (0.0, 1.0)]
    """
    p = _order(p)
    if not p > 0:
        raise CoreError(f"the unit ball of p = {order_name(p)} is unbounded; give p > 0")
    if n < 3:
        raise CoreError(f"n must be at least 3, not {n}")
    if A is not None:
        A = _matrix(A)
        if A.shape[1] != 2:
            raise CoreError(f"the ball is drawn in the plane, so A needs 2 columns; it has {A.shape[1]}")
        rank = injectivity(A)[0]
        if rank < 2:
            raise CoreError(f"the unit ball of a seminorm is unbounded: A has rank {rank} < 2")
    t = np.linspace(0.0, 2.0 * math.pi, n)[:-1]
    even = np.column_stack([np.cos(t), np.sin(t)])
    special = _special_directions(np.eye(2) if A is None else A)
    s_angle = np.mod(np.arctan2(special[:, 1], special[:, 0]), 2 * math.pi)
    # One vector per special angle (the first, exact one), and no even angle right next to one.
    s_angle, first = np.unique(np.round(s_angle, 12), return_index=True)
    special = special[first]
    e_angle = np.mod(t, 2 * math.pi)
    gap = np.abs(e_angle[:, None] - s_angle[None, :])
    near = (np.minimum(gap, 2 * math.pi - gap) < 1e-9).any(axis=1)
    U = np.concatenate([special, even[~near]])
    angle = np.concatenate([s_angle, e_angle[~near]])
    U = U[np.argsort(angle, kind="stable")]
    norms = row_norms(U, p)[0] if A is None else transform_rows(A, U, p)[0]
    P = U / norms[:, None]
    P = np.concatenate([P, P[:1]])
    return P[:, 0].copy(), P[:, 1].copy()


__all__ = [
    "ball_boundary",
    "distance",
    "distance_result",
    "hamming",
    "hamming_fraction",
    "hamming_result",
    "injectivity",
    "normalize",
    "normalize_result",
    "normalize_rows",
    "normalize_rows_result",
    "pairwise_hamming",
    "pairwise_result",
    "pairwise_rows",
    "transform_norm",
    "transform_notes",
    "transform_result",
    "transform_rows",
    "transform_rows_result",
]
