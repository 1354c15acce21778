"""(Sub)gradients and Hessians of the norms in :mod:`normcli.core.norms`, and their checks.

Every closed form is evaluated in extended precision on ratios to the
extreme entry: the gradient of ||x||_p is sign(x_i) (|x_i| / ||x||_p)^(p-1),
with |x_i| / ||x||_p formed from y = |x| / s (s the largest |x_i|, or the
smallest non-zero one for p < 0), so no term overflows or underflows and
each component is rounded once. So the gradient of the L2 norm at [1e200, 1e200]
is 1/sqrt(2) in each component, where ``x / np.linalg.norm(x)`` gives 0
(the norm overflows to inf) and at x = 0 gives nan.

At points where the function is not differentiable the conventions of
torch are used and the component is marked: the gradient of a norm at
x = 0 is 0; |x_i| at x_i = 0 contributes 0 (L1, quasi-norms); ties of the
max norm share the gradient equally (1/m each, with their signs).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from .errors import CoreError
from .norms import INF, NormAccumulator, column_name, matrix_norm, order_name, power_means, scaled
from .precision import EXT
from .result import ColumnBatch, Result

#: Default tolerance of :func:`check` on the relative error (see its notes).
TOLERANCE = 1e-6

#: Matrix orders that have a gradient here.
MATRIX_GRAD_ORDERS = ("fro", "nuc", "2", "1", "inf")


@dataclass
class Gradient:
    """A gradient with the components where it is only a subgradient marked.

    Attributes
    ----------
    values : ndarray
        The gradient (same shape as the input).
    value : float
        The function's value at the point.
    nondiff : ndarray of bool
        True where the function is not differentiable and a convention chose
        the value.
    reasons : list of str
        Why, one sentence per kind of non-differentiability.
    notes : list of str
        Range notes (a component beyond the float64 range).
    """

    values: np.ndarray
    value: float
    nondiff: np.ndarray
    reasons: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def differentiable(self) -> bool:
        return not bool(self.nondiff.any())


def grad(x, p: float = 2.0, kind: str = "norm") -> Gradient:
    """The gradient of ||x||_p (``kind="norm"``), of ||x||_p^p (``"power"``) or of
    the power mean ||x||_p / n^(1/p) (``"mean"``) with respect to x.

    Parameters
    ----------
    x : array_like, 1-D
    p : float
        Any order :func:`normcli.core.norms.norm` accepts.
    kind : {"norm", "power", "mean"}

    Returns
    -------
    Gradient

    Notes
    -----
    For p finite and non-zero, d||x||_p/dx_i = sign(x_i) (|x_i| / ||x||_p)^(p-1).
    For p = inf it is sign(x_i) / m on the m entries of largest magnitude,
    for -inf the same on the smallest; p = 0 (a count) has gradient 0.
    The power's gradient is p sign(x_i) |x_i|^(p-1) (2x for p = 2); the
    power mean's is the norm's divided by n^(1/p) (for p = 0, the geometric
    mean G, it is G / (n x_i)), computed as sign(x_i) (M_p / |x_i|)^(1-p) / n,
    which neither overflows nor cancels as p -> 0.

    Examples
    --------
    >>> grad([3.0, 4.0]).values.tolist()
    [0.6, 0.8]
    >>> grad([1e200, 1e200]).values.tolist()
    [0.7071067811865476, 0.7071067811865476]
    >>> g = grad([3.0, -3.0, 1.0], INF); g.values.tolist(), g.nondiff.tolist()
    ([0.5, -0.5, 0.0], [True, True, False])
    >>> grad([3.0, 1.0], 2.0, "power").values.tolist()
    [6.0, 2.0]
    """
    x = np.asarray(x, dtype=np.float64).ravel()
    p = float(p)
    if kind not in ("norm", "power", "mean"):
        raise CoreError(f"unknown kind {kind!r}")
    if x.size == 0:
        raise CoreError("the vector is empty")
    if kind == "power" and math.isinf(p):
        raise CoreError("||x||_p^p is not defined for p = inf or -inf")
    if not np.isfinite(x).all():
        raise CoreError("the gradient needs finite values")
    n = x.size
    value = NormAccumulator([p]).add(x).evaluate(p, kind).value
    sign = np.sign(x)
    ax = np.abs(x)
    nondiff = np.zeros(n, dtype=bool)
    reasons: list[str] = []
    notes: list[str] = []

    if math.isinf(p):
        target = ax.max() if p > 0 else ax.min()
        hit = ax == target
        m = int(hit.sum())
        g = np.where(hit, sign / m, 0.0)
        if target == 0:
            nondiff[hit] = True
            reasons.append(f"|x_i| = 0 at the {'largest' if p > 0 else 'smallest'} entries: subgradient 0 (torch)")
            g[:] = 0.0
        elif m > 1:
            nondiff[hit] = True
            reasons.append(f"{m} entries tie for the {'largest' if p > 0 else 'smallest'} |x_i|: "
                           f"each gets sign(x_i)/{m} (torch)")
        return Gradient(g, value, nondiff, reasons, notes)

    if p == 0:
        zero = ax == 0
        if kind == "mean":  # geometric mean G: dG/dx_i = G / (n x_i)
            if zero.any():
                nondiff[:] = True
                reasons.append("an entry is 0: the geometric mean is not differentiable there; gradient 0")
                return Gradient(np.zeros(n), value, nondiff, reasons, notes)
            # G / (n |x_i|) from G of |x| scaled near 1 (norms.power_means, in extended precision):
            # not from the float64 value of G, which is subnormal (few digits) for tiny x
            y = _near_one(ax.astype(EXT)[np.newaxis, :], 0.0)
            g = power_means(y, 0.0)[:, np.newaxis] / y / EXT(n)
            return Gradient(sign * g[0].astype(np.float64), value, nondiff, reasons, notes)
        nondiff[zero] = True
        if zero.any():
            reasons.append("the count of non-zeros jumps where x_i = 0: gradient 0 there (and 0 elsewhere)")
        return Gradient(np.zeros(n), value, nondiff, reasons, notes)

    zero = ax == 0
    if p < 0 and zero.any():
        nondiff[:] = True
        reasons.append("p < 0 and an entry is 0: the function is 0 there and not differentiable; gradient 0")
        return Gradient(np.zeros(n), value, nondiff, reasons, notes)
    if zero.all():
        nondiff[:] = True
        reasons.append("x = 0: not differentiable; gradient 0 (torch)")
        return Gradient(np.zeros(n), value, nondiff, reasons, notes)

    with np.errstate(over="ignore", invalid="ignore"):
        g = np.where(zero, 0.0, sign * np.where(zero, 0.0, _magnitudes_ext(ax, p, kind).astype(np.float64)))
    if p < 1 and zero.any():  # |x_i|^p has infinite slope at 0 (and sign(0) for p = 1)
        g[zero] = 0.0
        nondiff[zero] = True
        reasons.append(f"|x_i| is not differentiable at x_i = 0 (p = {order_name(p)}): subgradient 0 (torch)")
    elif p == 1 and zero.any():
        nondiff[zero] = True
        reasons.append("|x_i| is not differentiable at x_i = 0: subgradient 0 (torch; any value in [-1, 1] is one)")
    big = ~np.isfinite(g)
    if big.any():
        notes.append(f"{int(big.sum())} component(s) exceed the float64 range")
    return Gradient(g, value, nondiff, reasons, notes)


# Gradients, Hessians and the values the checks difference are computed in
# extended precision (EXT, see normcli.core.precision: x87 80-bit on x86-64,
# float64 where long double is double): each component is then rounded once,
# and the exponent range (to 1e4932) holds |x_i|^p and the ratios
# |x_i| / ||x||_p across the whole float64 range.


def _ratios(ax_ext: np.ndarray, p: float) -> np.ndarray:
    """|x_i| / ||x||_p in extended precision, for finite non-zero p and x != 0 (a vector or a row each).

    Scaled by the extreme entry (largest for p > 0, smallest non-zero for
    p < 0) so every term (|x_i| / s)^p is at most 1 and one of them is 1.
    """
    s = ax_ext.max(axis=-1) if p > 0 else np.where(ax_ext > 0, ax_ext, EXT(np.inf)).min(axis=-1)
    y = ax_ext / s[..., np.newaxis]
    with np.errstate(divide="ignore", over="ignore", under="ignore"):
        total = np.power(y, EXT(p)).sum(axis=-1)
        return y / (total ** (1 / EXT(p)))[..., np.newaxis]


def _magnitudes_ext(ax: np.ndarray, p: float, kind: str) -> np.ndarray:
    """|d f / d x_i| in extended precision at a regular point (finite p != 0, x != 0), of a vector or of each row.

    The gradient is sign(x_i) times this; zero entries with p < 1 give inf
    here and are the caller's to replace.
    """
    ax_ext = np.asarray(ax).astype(EXT)
    with np.errstate(divide="ignore", over="ignore", under="ignore", invalid="ignore"):
        if kind == "power":  # p |x_i|^(p-1): the extended range holds what float64 cannot
            g = EXT(p) * np.power(ax_ext, EXT(p) - 1)
        elif kind == "mean":
            g = _mean_magnitudes(np.atleast_2d(ax_ext), p).reshape(ax_ext.shape)
        elif p == 1:
            g = np.ones(ax_ext.shape, dtype=EXT)
        else:
            g = np.power(_ratios(ax_ext, p), EXT(p) - 1)
    return g


def _near_one(ax_ext: np.ndarray, p: float) -> np.ndarray:
    """Each row of ``ax_ext`` (2-D) times the power of two that brings its extreme entry into [1, 2).

    The largest entry for p >= 0, the smallest for p < 0. Exact in extended
    precision, and a power mean of the row scales with it, so M_p / |x_i|
    is unchanged; where EXT is float64 it keeps M_p out of the subnormal
    range (as far as the row's spread allows).
    """
    extreme = ax_ext.max(axis=1) if p >= 0 else ax_ext.min(axis=1)
    shift = np.where(extreme > 0, np.frexp(extreme)[1] - 1, 0)
    with np.errstate(over="ignore", under="ignore"):
        return np.ldexp(ax_ext, -shift[:, np.newaxis])


def _mean_magnitudes(ax_ext: np.ndarray, p: float) -> np.ndarray:
    """|dM_p/dx_i| = (M_p / |x_i|)^(1-p) / n for each row of ``ax_ext`` (2-D, finite p != 0, no row 0).

    The power mean's gradient without n^(1/p) or ||x||_p, which overflow
    as p -> 0 while the gradient tends to the geometric mean's G / (n |x_i|).
    M_p is the extended value of :func:`normcli.core.norms.power_means`, the
    one ``norm --mean`` rounds (accurate however small |p| is), of the rows
    scaled by powers of two (:func:`_near_one`).
    A zero entry gives inf for p < 1 (the caller's to replace) and 0 for p > 1.
    """
    n = ax_ext.shape[-1]
    if p == 1:
        return np.full(ax_ext.shape, 1 / EXT(n))
    with np.errstate(divide="ignore", over="ignore", under="ignore", invalid="ignore"):
        y = _near_one(ax_ext, p)
        return np.power(power_means(y, p)[:, np.newaxis] / y, 1 - EXT(p)) / EXT(n)


def value_ext(d, p: float, kind: str = "norm"):
    """||d||_p (or its power, or the power mean) in extended precision.

    What :func:`check` differences: float64 rounding of a large value would
    swamp the change a small step makes to it. The power mean (and the
    geometric mean, p = 0) is :func:`normcli.core.norms.power_means`, the
    function ``norm --mean`` prints, evaluated at the point's own precision.
    """
    a = np.abs(np.asarray(d, dtype=EXT)).ravel()
    n = a.size
    if math.isinf(p):
        return a.max() if p > 0 else a.min()
    nz = a[a > 0]
    if p == 0:
        if kind != "mean":
            return EXT(nz.size)
        return EXT(0) if nz.size < n else power_means(a[np.newaxis, :], 0.0)[0]
    if p < 0 and nz.size < n:
        return EXT(np.inf) if kind == "power" else EXT(0)
    if nz.size == 0:
        return EXT(0)
    s = nz.max() if p > 0 else nz.min()
    with np.errstate(divide="ignore", over="ignore", under="ignore"):
        if kind == "mean":
            return power_means(a[np.newaxis, :], p)[0]
        total = np.power(nz / s, EXT(p)).sum()
        if kind == "power":
            return total * s ** EXT(p)
        return s * total ** (1 / EXT(p))


def hessian(x, p: float = 2.0, kind: str = "norm") -> np.ndarray:
    """The Hessian of ||x||_p (or its power, or the power mean) for finite p > 1.

    For the norm, H = (p-1)/f (diag(r_i^(p-2)) - g g^T) with f = ||x||_p,
    r_i = |x_i| / f and g the gradient; for p = 2 that is
    (I - x x^T / ||x||^2) / ||x||. For the power, H = diag(p (p-1) |x_i|^(p-2)).

    >>> hessian([3.0, 4.0]).round(3).tolist()
    [[0.128, -0.096], [-0.096, 0.072]]
    """
    x = np.asarray(x, dtype=np.float64).ravel()
    p = float(p)
    if not (math.isfinite(p) and p > 1):
        raise CoreError("the Hessian is computed for finite p > 1")
    if not np.isfinite(x).all():
        raise CoreError("the Hessian needs finite values")
    n = x.size
    ax = np.abs(x).astype(EXT)
    if kind == "power":
        with np.errstate(divide="ignore", over="ignore"):
            return np.diag((EXT(p) * (EXT(p) - 1) * np.power(ax, EXT(p) - 2)).astype(np.float64))
    if not ax.any():
        raise CoreError("the Hessian of a norm does not exist at x = 0")
    r = _ratios(ax, p)  # |x_i| / f
    f = value_ext(x, p)
    sign = np.sign(x).astype(EXT)
    with np.errstate(divide="ignore", over="ignore", invalid="ignore", under="ignore"):
        g = sign * np.power(r, EXT(p) - 1)
        h = -np.outer(g, g)
        # The diagonal r_k^(p-2) - g_k^2 = r_k^(p-2) (1 - r_k^p) cancels when
        # x_k dominates; 1 - r_k^p is the sum of the other r_j^p (they sum
        # to 1), taken from prefix and suffix sums, which do not cancel.
        rp = np.power(r, EXT(p))
        before = np.concatenate(([EXT(0)], np.cumsum(rp)[:-1]))
        after = np.concatenate((np.cumsum(rp[::-1])[::-1][1:], [EXT(0)]))
        np.fill_diagonal(h, np.power(r, EXT(p) - 2) * (before + after))
        h = (EXT(p) - 1) / f * h
        if kind == "mean":
            h = h / EXT(n) ** (1 / EXT(p))
    return h.astype(np.float64)


def matrix_grad(a, order: str = "fro") -> Gradient:
    """The (sub)gradient of a matrix norm with respect to the matrix.

    fro: A / ||A||_F; nuc: U V^T (over the non-zero singular values);
    2: u1 v1^T (the mean over tied top singular values); 1: sign(a_ij) in the column(s) of largest |a_ij| sum (ties
    split equally); inf: the same over rows.

    >>> matrix_grad([[3.0, 0.0], [0.0, 4.0]], "2").values.tolist()
    [[0.0, 0.0], [0.0, 1.0]]
    """
    a = np.asarray(a, dtype=np.float64)
    if a.ndim != 2:
        raise CoreError("a matrix gradient needs a 2-D array")
    if order not in MATRIX_GRAD_ORDERS:
        raise CoreError(f"the gradient is computed for --matrix {', '.join(MATRIX_GRAD_ORDERS)}, not {order!r}")
    if not np.isfinite(a).all():
        raise CoreError("the gradient needs finite values")
    value = matrix_norm(a, order).value
    nondiff = np.zeros(a.shape, dtype=bool)
    reasons: list[str] = []
    if not a.any():
        nondiff[:] = True
        return Gradient(np.zeros(a.shape), value, nondiff,
                        ["A = 0: not differentiable; gradient 0 "
                         "(a subgradient; torch also gives 0 for fro, 1 and inf)"])
    if order == "fro":
        g = grad(a.ravel(), 2.0)
        return Gradient(g.values.reshape(a.shape), value, nondiff, reasons)
    if order in ("1", "inf"):
        axis = 0 if order == "1" else 1  # column sums for 1, row sums for inf
        sums = np.abs(a).sum(axis=axis)
        hit = sums == sums.max()
        m = int(hit.sum())
        mask = hit[np.newaxis, :] if axis == 0 else hit[:, np.newaxis]
        g = np.where(mask, np.sign(a) / m, 0.0)
        what = "column" if axis == 0 else "row"
        if m > 1:
            nondiff |= np.broadcast_to(mask, a.shape)
            reasons.append(f"{m} {what}s tie for the largest |a_ij| sum: each gets sign(a_ij)/{m}")
        zero_in = np.broadcast_to(mask, a.shape) & (a == 0)
        if zero_in.any():
            nondiff |= zero_in
            reasons.append(f"a zero entry in the largest {what}: subgradient 0 there")
        return Gradient(g, value, nondiff, reasons)
    a_scaled, _ = scaled(a)
    u, sv, vt = np.linalg.svd(a_scaled, full_matrices=False)
    tol = sv.max() * max(a.shape) * np.finfo(np.float64).eps
    if order == "2":
        ties = int((sv >= sv[0] - tol).sum())
        # Tied top singular values share the gradient equally, as in torch:
        # the mean of u_i v_i^T over the tie (I/2 for the 2x2 identity).
        g = (u[:, :ties] @ vt[:ties]) / ties
        if ties > 1:
            nondiff[:] = True
            reasons.append(f"the largest singular value has multiplicity {ties}: "
                           f"the mean of u_i v_i^T over them is used (torch)")
        return Gradient(g, value, nondiff, reasons)
    rank = int((sv > tol).sum())
    g = u[:, :rank] @ vt[:rank]
    if rank < min(a.shape):
        nondiff[:] = True
        reasons.append(f"rank {rank} < {min(a.shape)}: U V^T over the non-zero singular values is used "
                       "(the smallest subgradient; torch's SVD-based choice may differ)")
    return Gradient(g, value, nondiff, reasons)


# --------------------------------------------------------------------------
# Finite-difference checks
# --------------------------------------------------------------------------
@dataclass
class Check:
    """Analytic against central finite differences, component by component.

    ``error[i]`` is |analytic - numeric| relative to the larger of the two
    and of the gradient's largest component, so a component that is 0 in
    both is not judged by rounding noise. ``excess`` is the same after
    taking off what the function's own rounding can put into the
    difference quotient; :attr:`passed` judges that.
    """

    analytic: np.ndarray
    numeric: np.ndarray
    error: np.ndarray
    steps: np.ndarray
    tolerance: float
    excess: np.ndarray | None = None  # error beyond the differences' own rounding bound

    def __post_init__(self) -> None:
        if self.excess is None:
            self.excess = self.error

    @property
    def worst(self) -> int:
        return int(np.argmax(self.error)) if self.error.size else 0

    @property
    def worst_error(self) -> float:
        return float(self.error.max()) if self.error.size else 0.0

    @property
    def passed(self) -> bool:
        """No component disagrees beyond ``tolerance`` once rounding is allowed for."""
        return not self.excess.size or float(self.excess.max()) <= self.tolerance


_STEP = float(np.cbrt(np.finfo(np.float64).eps))
# Relative rounding bound of an extended-precision function value: a
# difference quotient is trusted only beyond NOISE * |f| / h.
_NOISE = 16 * float(np.finfo(EXT).eps)


#: Below this |x_i| the float64 step eps^(1/3) |x_i| is subnormal (coarse) or 0; above
#: _LARGE, x_i + h_i may overflow.
_SMALL = float(np.finfo(np.float64).tiny) / _STEP
_LARGE = float(np.finfo(np.float64).max) / 2


def _steps(flat: np.ndarray) -> np.ndarray:
    """h_i = eps^(1/3) |x_i| (eps^(1/3) max|x| where x_i = 0), so that x_i +- h_i are exact.

    In the precision of ``flat`` (float64 or extended).
    """
    real = flat.dtype.type
    peak = np.abs(flat).max() if flat.size else real(1)
    floor = real(_STEP) * (peak if peak > 0 else real(1))
    steps = np.where(flat != 0, real(_STEP) * np.abs(flat), floor)
    with np.errstate(over="ignore", invalid="ignore"):  # beyond float64: finite_difference steps in extended
        steps = (flat + steps) - flat  # representable steps
    return np.where(steps == 0, floor, steps)


def _lift(f, flat: np.ndarray) -> int:
    """The k for which f is differenced at 2^k x instead, or 0.

    For a positively homogeneous f of degree 1 (a norm: its gradient is the
    same at 2^k x): a point too small for float64 steps gets its largest
    |x_i| (and |t_i|) into [1/2, 1), exactly (scaling up by a power of two
    is, subnormals included); one so large that x_i + h_i may overflow is
    halved (exact but for the last bit of subnormal entries next to it).
    """
    if not getattr(f, "homogeneous", False) or not flat.size:
        return 0
    target = getattr(f, "target", None)
    peak = max(float(np.abs(flat).max()), float(np.abs(target).max()) if target is not None and target.size else 0.0)
    if peak > _LARGE:
        return -1
    return -math.frexp(peak)[1] if 0 < peak < _SMALL else 0


def finite_difference(f: Callable[[np.ndarray], float], x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Central differences (f(x + h e_i) - f(x - h e_i)) / 2h, h scaled to each |x_i|.

    Returns the estimates, the steps and each estimate's rounding bound
    (what the function's own rounding can contribute).

    The step eps^(1/3) |x_i| is subnormal, or 0, for |x_i| below about
    4e-303. A point that small is differenced at 2^k x when f is a norm
    (:func:`vector_function`, :func:`matrix_function`: a positively
    homogeneous function of degree 1 has the same gradient there); and
    with :func:`vector_function`, which evaluates in extended precision,
    entries still that small (next to large ones), or so large that x_i + h_i
    overflows, are stepped in extended precision (exponents from 1e-4951 to
    1e4932). The steps returned are those at x: in extended precision where
    float64 cannot hold them.
    """
    x = np.asarray(x, dtype=np.float64)
    flat = x.ravel()
    k = _lift(f, flat)
    if k:
        flat = np.ldexp(flat, k)
        f = f.lifted(k)
    steps = _steps(flat)
    beyond = ((flat != 0) & (np.abs(flat) < _SMALL)) | (np.abs(flat) > _LARGE)
    if getattr(f, "extended", False) and beyond.any():
        flat = flat.astype(EXT)
        steps = np.where(beyond, _steps(flat), steps.astype(EXT))
    numeric = np.empty(flat.size)
    noise = np.empty(flat.size)
    with np.errstate(over="ignore"):  # a rounding bound beyond float64 is inf: the difference says nothing
        for i, h in enumerate(steps):
            up = flat.copy()
            down = flat.copy()
            up[i] += h
            down[i] -= h
            f_up, f_down = f(up.reshape(x.shape)), f(down.reshape(x.shape))
            numeric[i] = (f_up - f_down) / (2 * h)
            noise[i] = _NOISE * max(abs(f_up), abs(f_down)) / h
    if k:
        with np.errstate(under="ignore"):  # only where long double is double
            steps = np.ldexp(steps.astype(EXT), -k)
    return numeric.reshape(x.shape), steps.reshape(x.shape), noise.reshape(x.shape)


def _compare(analytic: np.ndarray, numeric: np.ndarray, noise: np.ndarray, steps, tolerance: float) -> Check:
    """Relative errors; a disagreement within the rounding bound counts as none."""
    scale = max(float(np.abs(analytic).max()) if analytic.size else 0.0, np.finfo(np.float64).tiny)
    denom = np.maximum(np.maximum(np.abs(analytic), np.abs(numeric)), scale)
    with np.errstate(invalid="ignore"):
        error = np.abs(analytic - numeric) / denom
        excess = np.maximum(np.abs(analytic - numeric) - noise, 0.0) / denom
    error = np.where(np.isnan(error), np.inf, error)
    excess = np.where(np.isnan(excess), np.inf, excess)
    return Check(analytic, numeric, error, steps, tolerance, excess)


def check(analytic: np.ndarray, f: Callable[[np.ndarray], float], x: np.ndarray,
          tolerance: float = TOLERANCE) -> Check:
    """Compare an analytic gradient of ``f`` at ``x`` with central differences."""
    numeric, steps, noise = finite_difference(f, x)
    return _compare(np.asarray(analytic, dtype=np.float64), numeric, noise, steps, tolerance)


def hessian_check(x: np.ndarray, p: float, kind: str = "norm", tolerance: float = TOLERANCE) -> Check:
    """The Hessian against central differences of the gradient, column by column.

    The gradient is differenced in extended precision: its float64 rounding
    would swamp the change a small step makes.
    """
    x = np.asarray(x, dtype=np.float64)
    analytic = hessian(x, p, kind)
    numeric = np.empty_like(analytic)
    noise = np.empty_like(analytic)
    steps = _steps(x)
    for j, h in enumerate(steps):
        up, down = x.copy(), x.copy()
        up[j] += h
        down[j] -= h
        g_up = np.sign(up) * _magnitudes_ext(np.abs(up), p, kind)
        g_down = np.sign(down) * _magnitudes_ext(np.abs(down), p, kind)
        numeric[:, j] = ((g_up - g_down) / (2 * EXT(h))).astype(np.float64)
        noise[:, j] = (_NOISE * np.maximum(np.abs(g_up), np.abs(g_down)) / EXT(h)).astype(np.float64)
    return _compare(analytic, numeric, noise, steps, tolerance)


class _VectorFunction:
    """f(x) = ||x - t||_p (or its power or power mean) in extended precision, for :func:`check`.

    ``extended``: it takes extended-precision points; ``homogeneous``:
    f(c x) = c f(x) for c > 0 (the norm and the power mean, not the power or
    the count), with ``lifted(k)`` the same function at 2^k x (the target
    scaled too). :func:`finite_difference` uses them at tiny points.
    """

    extended = True

    def __init__(self, p: float, kind: str = "norm", target: np.ndarray | None = None):
        self.p, self.kind = p, kind
        self.target = None if target is None else np.asarray(target, dtype=np.float64)
        self.homogeneous = kind == "mean" or (kind == "norm" and p != 0)

    def lifted(self, k: int) -> "_VectorFunction":
        return _VectorFunction(self.p, self.kind, None if self.target is None else np.ldexp(self.target, k))

    def __call__(self, x: np.ndarray):
        return value_ext(x if self.target is None else x - self.target, self.p, self.kind)


class _MatrixFunction:
    """||A|| for :func:`check`: float64, positively homogeneous (see :class:`_VectorFunction`)."""

    extended = False
    homogeneous = True
    target = None

    def __init__(self, order: str):
        self.order = order

    def lifted(self, k: int) -> "_MatrixFunction":
        return self

    def __call__(self, a: np.ndarray) -> float:
        return float(matrix_norm(a, self.order).value)


def vector_function(p: float, kind: str = "norm", target: np.ndarray | None = None) -> Callable:
    """f(x) = ||x - t||_p (or its power or power mean) in extended precision, for :func:`check`."""
    return _VectorFunction(p, kind, target)


def matrix_function(order: str) -> Callable:
    return _MatrixFunction(order)


# --------------------------------------------------------------------------
# Results for the `grad` command
# --------------------------------------------------------------------------
def function_name(p: float, kind: str, target: bool = False) -> str:
    """``||x||_2``, ``||x - t||_1^1``, ``M_2(x)`` as text for titles.

    >>> function_name(2.0, "norm"), function_name(1.0, "power", True), function_name(2.0, "mean")
    ('||x||_2', '||x - t||_1^1', 'M_2(x) = ||x||_2 / n^(1/2)')
    """
    arg = "x - t" if target else "x"
    name = order_name(p)
    if kind == "power":
        return f"||{arg}||_{name}^{name}"
    if kind == "mean":
        return f"M_{name}({arg}) = ||{arg}||_{name} / n^(1/{name})"
    return f"||{arg}||_{name}"


def _formula_note(p: float, kind: str) -> str:
    if kind == "power":
        return "d/dx_i sum |x_i|^p = p sign(x_i) |x_i|^(p-1)"
    if math.isinf(p):
        return "the gradient of max|x_i| (min for -inf) is sign(x_i)/m on the m extreme entries, 0 elsewhere"
    if p == 0:
        return "the count of non-zeros is piecewise constant: its gradient is 0" if kind != "mean" else \
            "d/dx_i of the geometric mean G is G / (n x_i)"
    base = "d||x||_p/dx_i = sign(x_i) (|x_i| / ||x||_p)^(p-1)"
    return base + (", divided by n^(1/p) for the power mean" if kind == "mean" else "")


def gradient_result(x: np.ndarray, g: Gradient, p: float, kind: str, labels=None, target: bool = False,
                    chk: Check | None = None) -> Result:
    """One row per component: x_i, the gradient, a mark where it is a subgradient."""
    labels = labels if labels is not None else [str(i) for i in range(1, x.size + 1)]
    columns = ["x", "gradient", "note"]
    rows = []
    for i, (label, xi, gi, nd) in enumerate(zip(labels, x.tolist(), g.values.tolist(), g.nondiff.tolist())):
        row = [label, xi, gi, "subgradient" if nd else ""]
        if chk is not None:  # an error estimate: three digits say all it knows
            row += [float(chk.numeric.flat[i]), float(f"{float(chk.error.flat[i]):.3g}")]
        rows.append(tuple(row))
    if chk is not None:
        columns += ["numeric", "rel. error"]
    value = column_name(p, kind)
    result = Result(f"gradient of {function_name(p, kind, target)}", columns, rows=rows, label="i", plain=[1],
                    notes=[f"{value} = {g.value!r}; {_formula_note(p, kind)}.", *g.reasons], warnings=list(g.notes))
    if chk is not None:
        result.notes.append(_check_note(chk, labels))
    return result


def _check_note(chk: Check, labels) -> str:
    return (f"finite differences (central, step eps^(1/3) |x_i|): worst relative error "
            f"{chk.worst_error:.2e} at {labels[chk.worst]} (tolerance {chk.tolerance:g})")


def failed_component(chk: Check, g: Gradient, labels) -> str | None:
    """Message naming the worst component beyond tolerance at a differentiable point, or None."""
    if not g.differentiable or chk.passed:
        return None
    i = int(np.argmax(np.where(chk.excess > chk.tolerance, chk.error, -1.0)))  # the worst that fails
    return (f"gradient check failed at component {labels[i]}: analytic {float(chk.analytic.flat[i])!r}, "
            f"finite difference {float(chk.numeric.flat[i])!r}, relative error {float(chk.error.flat[i]):.2e} "
            f"> tolerance {chk.tolerance:g}")


def hessian_result(h: np.ndarray, p: float, kind: str, labels=None, target: bool = False) -> Result:
    """The Hessian as a matrix: one row per row, so plain output is one matrix row per line."""
    n = h.shape[0]
    labels = labels if labels is not None else [str(i) for i in range(1, n + 1)]
    rows = [(labels[i], *h[i].tolist()) for i in range(n)]
    note = ("H = (I - x x^T / ||x||^2) / ||x||" if p == 2 and kind == "norm"
            else "H = (p-1)/f (diag(|x_i|^(p-2) / f^(p-2)) - g g^T), f = ||x||_p" if kind != "power"
            else "H = diag(p (p-1) |x_i|^(p-2))")
    if kind == "mean":
        note += ", divided by n^(1/p)"
    return Result(f"Hessian of {function_name(p, kind, target)}", list(labels), rows=rows, label="i",
                  notes=[note + "."])


def matrix_gradient_result(a: np.ndarray, g: Gradient, order: str, names, chk: Check | None = None) -> Result:
    """The gradient of a matrix norm, shaped like the matrix."""
    rows = [(str(i + 1), *g.values[i].tolist()) for i in range(a.shape[0])]
    result = Result(f"gradient of the matrix norm ||A||_{order}", list(names), rows=rows, label="row",
                    notes=[f"||A||_{order} = {g.value!r}.", *g.reasons])
    if chk is not None:
        flat_labels = [f"({i + 1}, {names[j]})" for i in range(a.shape[0]) for j in range(a.shape[1])]
        result.notes.append(_check_note(chk, flat_labels))
    return result


def row_grads(a: np.ndarray, p: float, kind: str = "norm") -> tuple[np.ndarray, np.ndarray]:
    """The gradient of every row of a 2-D array, vectorized where the point is regular.

    Returns (G, regular): ``G[i]`` equals ``grad(a[i], p, kind).values`` bit
    for bit where ``regular[i]``; the other rows (a zero where p < 1, x = 0,
    ties of the max norm, non-finite values, p = 0) are left for
    :func:`grad`, which knows their conventions and says why.

    Examples
    --------
    >>> g, ok = row_grads(np.array([[3.0, 4.0], [0.0, 0.0], [1.0, -1.0]]), 2.0)
    >>> g[ok].tolist(), ok.tolist()
    ([[0.6, 0.8], [0.7071067811865476, -0.7071067811865476]], [True, False, True])
    """
    a = np.ascontiguousarray(a, dtype=np.float64)
    m, n = a.shape
    out = np.zeros((m, n))
    if n == 0 or p == 0 or kind not in ("norm", "power", "mean") or (kind == "power" and math.isinf(p)):
        return out, np.zeros(m, dtype=bool)
    ax = np.abs(a)
    finite = np.isfinite(ax).all(axis=1)
    if math.isinf(p):
        target = np.where(finite[:, None], ax, 0.0)
        extreme = target.max(axis=1) if p > 0 else target.min(axis=1)
        hit = target == extreme[:, None]
        regular = finite & (hit.sum(axis=1) == 1) & (extreme > 0)
        out[regular] = np.where(hit[regular], np.sign(a[regular]), 0.0)
        return out, regular
    zero = ax == 0
    regular = finite & ~zero.all(axis=1)
    if p < 1:
        regular &= ~zero.any(axis=1)
    rows = np.flatnonzero(regular)
    # In slices: the extended-precision temporaries take 16 bytes a value, several at once.
    for start in range(0, rows.size, _ROW_SLICE):
        _regular_rows(a, ax, zero, rows[start:start + _ROW_SLICE], p, kind, out)
    if p == 1:  # |x_i| at x_i = 0 is a subgradient point: grad() marks it, so it goes there
        regular &= ~zero.any(axis=1)
    big = ~np.isfinite(out).all(axis=1)
    regular &= ~big  # a component beyond float64: grad() adds the note
    return out, regular


_ROW_SLICE = 1 << 14


def _regular_rows(a, ax, zero, rows, p: float, kind: str, out) -> None:
    g = _magnitudes_ext(ax[rows], p, kind)  # what grad() computes, row by row
    with np.errstate(over="ignore", invalid="ignore"):
        out[rows] = np.sign(a[rows]) * g.astype(np.float64)
    if (p > 1 or kind == "power") and zero[rows].any():
        out[rows] = np.where(zero[rows], 0.0, out[rows])


#: Why a row of ``--rows`` has a nan gradient (see :func:`_row_grad`).
_EMPTY_ROW = ("no values left after --nan omit: the norm is nan (as norm --rows shows) and the gradient "
             "is one nan, so the row keeps its line")
_NONFINITE_ROW = ("a missing or non-finite value under --nan propagate: the gradient needs finite values, "
                 "so every component is nan (nan propagates, as in torch)")


def _row_grad(row: np.ndarray, p: float, kind: str) -> Gradient:
    """:func:`grad` of one row of ``--rows``, with the rows it refuses given nan instead.

    A whole stream must not stop at one row: a row that ``--nan omit`` left
    empty has norm nan, and a single nan for its gradient; under ``--nan
    propagate`` a row holding nan or inf has nan in every component, as
    torch's backward pass propagates nan. ``value`` is nan for both, and
    the reason says which.
    """
    if row.size == 0:
        return Gradient(np.full(1, math.nan), math.nan, np.ones(1, dtype=bool), [_EMPTY_ROW])
    if not np.isfinite(row).all():
        return Gradient(np.full(row.size, math.nan), math.nan, np.ones(row.size, dtype=bool), [_NONFINITE_ROW])
    return grad(row, p, kind)


def rows_gradient_result(blocks, p: float, kind: str, tolerance: float | None = None) -> tuple[Result, list[str]]:
    """One gradient per input row, streamed (with ``tolerance``: checked per row).

    Returns the result and a list that fills, as the rows are shown, with
    a message per row whose check failed.
    """
    columns = ["gradient"] + (["worst rel. error"] if tolerance is not None else [])
    result = Result(f"gradient of {function_name(p, kind)} of each row", columns, label="row", plain=[0],
                    notes=[_formula_note(p, kind) + "."])
    failures: list[str] = []
    seen_reasons: set[str] = set()

    def note(label, reasons) -> None:
        for r in reasons:
            if r not in seen_reasons:
                seen_reasons.add(r)
                result.notes.append(f"row {label}: {r}")

    def batches():
        for block in blocks:
            if tolerance is None and block.keep is None:
                g, regular = row_grads(block.data, p, kind)
                for i in np.flatnonzero(~regular):  # the conventions, and the reasons, of grad()
                    one = _row_grad(block.data[i], p, kind)
                    g[i] = one.values
                    note(block.first + i, one.reasons)
                yield ColumnBatch(block.first, [g])
                continue
            out = []
            for i in range(block.data.shape[0]):
                row = block.data[i] if block.keep is None else block.data[i][block.keep[i]]
                label = str(block.first + i)
                g = _row_grad(row, p, kind)
                note(label, g.reasons)
                cells = [label, g.values.tolist()]
                if tolerance is not None and not (row.size and np.isfinite(row).all()):
                    cells.append(math.nan)  # nothing to difference: the nan of _row_grad
                elif tolerance is not None:
                    chk = check(g.values, vector_function(p, kind), row, tolerance)
                    cells.append(chk.worst_error)
                    msg = failed_component(chk, g, [str(j + 1) for j in range(row.size)])
                    if msg:
                        failures.append(f"row {label}: {msg}")
                out.append(tuple(cells))
            yield out

    result.batches = batches()
    return result, failures


__all__ = [
    "Check",
    "Gradient",
    "INF",
    "MATRIX_GRAD_ORDERS",
    "TOLERANCE",
    "check",
    "failed_component",
    "finite_difference",
    "function_name",
    "gradient_result",
    "hessian_result",
    "matrix_gradient_result",
    "rows_gradient_result",
    "grad",
    "hessian",
    "hessian_check",
    "matrix_function",
    "matrix_grad",
    "vector_function",
]


def matrix_labels(shape, names) -> list[str]:
    """The names of a matrix's entries, row by row: ``(1, a)``, ``(1, b)``, ``(2, a)``, ...

    >>> matrix_labels((2, 2), ["a", "b"])
    ['(1, a)', '(1, b)', '(2, a)', '(2, b)']
    """
    return [f"({i + 1}, {names[j]})" for i in range(shape[0]) for j in range(shape[1])]


def hessian_failure(chk, labels, tolerance: float) -> str | None:
    """Message naming the worst entry of a Hessian check beyond ``tolerance``, or None when it passed."""
    if chk.passed:
        return None
    worst = np.where(chk.excess > tolerance, chk.error, -1.0)
    i, j = np.unravel_index(int(np.argmax(worst)), worst.shape)
    return (f"Hessian check failed at ({labels[i]}, {labels[j]}): relative error "
            f"{float(chk.error[i, j]):.2e} > tolerance {tolerance:g}")


def offset(x, t=None) -> np.ndarray:
    """x - t, the point whose norm ||x - t||_p is differentiated (x itself without a target).

    >>> offset(np.array([3.0, 2.0]), np.array([1.0, 1.0])).tolist(), offset(np.array([3.0])).tolist()
    ([2.0, 1.0], [3.0])
    """
    return x if t is None else np.asarray(x, dtype=np.float64) - t
