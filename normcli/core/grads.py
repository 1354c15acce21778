"""(Sub)gradients and Hessians of the norms in :mod:`normcli.core.norms`, and their checks.

Every closed form is evaluated on scaled quantities: with s the power of two
taken from the largest |x_i| and y = x / s (exact), the gradient of
||x||_p is sign(x_i) (|y_i| / ||y||_p)^(p-1), a ratio that neither
overflows nor underflows. So the gradient of the L2 norm at [1e200, 1e200]
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

from .norms import INF, NormAccumulator, column_name, matrix_norm, norm, order_name
from .result import Result

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


def _scaled(x: np.ndarray) -> tuple[np.ndarray, float]:
    """x / s and s, with s the power of two at or below max |x| (exact scaling)."""
    peak = float(np.max(np.abs(x))) if x.size else 0.0
    if peak == 0 or not math.isfinite(peak):
        return x, 1.0
    s = math.ldexp(1.0, math.frexp(peak)[1] - 1)
    return x / s, s


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
    mean G, it is G / (n x_i)).

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
        raise ValueError(f"unknown kind {kind!r}")
    if x.size == 0:
        raise ValueError("the vector is empty")
    if kind == "power" and math.isinf(p):
        raise ValueError("||x||_p^p is not defined for p = inf or -inf")
    if not np.isfinite(x).all():
        raise ValueError("the gradient needs finite values")
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
            return Gradient(value / (n * x), value, nondiff, reasons, notes)
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

    y, s = _scaled(x)
    ay = np.abs(y)
    if kind == "power":
        g = _power_grad(ay, sign, s, p)
    elif p == 1:
        g = sign.copy() if kind == "norm" else sign / _ext_pow(n, 1.0)
    else:
        # In extended precision, so each component is rounded once.
        ext = np.longdouble
        ay_ext = ay.astype(ext)
        fy = _norm_ext(ay_ext, p)
        with np.errstate(divide="ignore", over="ignore"):
            ratio = ay_ext / fy  # in [0, 1] for p > 0, >= 1 for p < 0
            g_ext = np.power(ratio, ext(p) - ext(1.0))
            if kind == "mean":
                g_ext = g_ext / ext(n) ** (ext(1.0) / ext(p))
        g = np.where(zero, 0.0, sign * np.where(zero, 0.0, g_ext.astype(np.float64)))
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


def _norm_ext(ay_ext: np.ndarray, p: float):
    """||y||_p in extended precision for scaled y (largest |y_i| in [1, 2))."""
    ext = np.longdouble
    with np.errstate(over="ignore", divide="ignore"):
        total = np.power(ay_ext, ext(p)).sum()
        return total ** (ext(1.0) / ext(p))


def _ext_pow(base: float, e: float) -> float:
    return float(np.longdouble(base) ** np.longdouble(e))


def _power_grad(ay: np.ndarray, sign: np.ndarray, s: float, p: float) -> np.ndarray:
    """p sign(x_i) |x_i|^(p-1) from y = x / s, with s^(p-1) applied in extended precision."""
    if p == 2:
        return 2.0 * (sign * ay) * s  # 2x, exact
    if p == 1:
        return sign.copy()
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):  # x_i = 0, p < 1: fixed by the caller
        local = np.power(ay, p - 1.0)
        factor = np.longdouble(s) ** np.longdouble(p - 1.0) * np.longdouble(p)
        return (sign * (local.astype(np.longdouble) * factor)).astype(np.float64)


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
        raise ValueError("the Hessian is computed for finite p > 1")
    if not np.isfinite(x).all():
        raise ValueError("the Hessian needs finite values")
    n = x.size
    ax = np.abs(x)
    if kind == "power":
        with np.errstate(divide="ignore", over="ignore"):
            return np.diag(p * (p - 1.0) * np.power(ax, p - 2.0))
    if not ax.any():
        raise ValueError("the Hessian of a norm does not exist at x = 0")
    y, s = _scaled(x)
    fy = norm(y, p)
    g = grad(x, p).values
    with np.errstate(divide="ignore"):
        r = np.abs(y) / fy
        diag = np.power(r, p - 2.0)
    f = np.longdouble(s) * np.longdouble(fy)
    h = ((p - 1.0) * (np.diag(diag) - np.outer(g, g)).astype(np.longdouble) / f).astype(np.float64)
    if kind == "mean":
        h = h / _ext_pow(n, 1.0 / p)
    return h


def matrix_grad(a, order: str = "fro") -> Gradient:
    """The (sub)gradient of a matrix norm with respect to the matrix.

    fro: A / ||A||_F; nuc: U V^T (over the non-zero singular values);
    2: u1 v1^T; 1: sign(a_ij) in the column(s) of largest |a_ij| sum (ties
    split equally); inf: the same over rows.

    >>> matrix_grad([[3.0, 0.0], [0.0, 4.0]], "2").values.tolist()
    [[0.0, 0.0], [0.0, 1.0]]
    """
    a = np.asarray(a, dtype=np.float64)
    if a.ndim != 2:
        raise ValueError("a matrix gradient needs a 2-D array")
    if order not in MATRIX_GRAD_ORDERS:
        raise ValueError(f"the gradient is computed for --matrix {', '.join(MATRIX_GRAD_ORDERS)}, not {order!r}")
    if not np.isfinite(a).all():
        raise ValueError("the gradient needs finite values")
    value = matrix_norm(a, order).value
    nondiff = np.zeros(a.shape, dtype=bool)
    reasons: list[str] = []
    if not a.any():
        nondiff[:] = True
        return Gradient(np.zeros(a.shape), value, nondiff, ["A = 0: not differentiable; gradient 0 (torch)"])
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
    scaled, _ = _scaled(a)
    u, sv, vt = np.linalg.svd(scaled, full_matrices=False)
    tol = sv.max() * max(a.shape) * np.finfo(np.float64).eps
    if order == "2":
        ties = int((sv >= sv[0] - tol).sum())
        g = np.outer(u[:, 0], vt[0])
        if ties > 1:
            nondiff[:] = True
            reasons.append(f"the largest singular value has multiplicity {ties}: u1 v1^T is one subgradient")
        return Gradient(g, value, nondiff, reasons)
    rank = int((sv > tol).sum())
    g = u[:, :rank] @ vt[:rank]
    if rank < min(a.shape):
        nondiff[:] = True
        reasons.append(f"rank {rank} < {min(a.shape)}: U V^T over the non-zero singular values is one subgradient")
    return Gradient(g, value, nondiff, reasons)


# --------------------------------------------------------------------------
# Finite-difference checks
# --------------------------------------------------------------------------
@dataclass
class Check:
    """Analytic against central finite differences, component by component.

    ``error[i]`` is |analytic - numeric| relative to the larger of the two
    and of the gradient's largest component, so a component that is 0 in
    both is not judged by rounding noise.
    """

    analytic: np.ndarray
    numeric: np.ndarray
    error: np.ndarray
    steps: np.ndarray
    tolerance: float

    @property
    def worst(self) -> int:
        return int(np.argmax(self.error)) if self.error.size else 0

    @property
    def worst_error(self) -> float:
        return float(self.error.max()) if self.error.size else 0.0


def finite_difference(f: Callable[[np.ndarray], float], x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Central differences (f(x + h e_i) - f(x - h e_i)) / 2h, h scaled to each |x_i|.

    h_i = eps^(1/3) max(|x_i|, tiny) where tiny is eps^(1/3) of the largest
    |x| (for x_i = 0), rounded so that x_i +- h_i are exact.
    """
    x = np.asarray(x, dtype=np.float64)
    flat = x.ravel()
    base = np.cbrt(np.finfo(np.float64).eps)
    peak = float(np.abs(flat).max()) if flat.size else 1.0
    floor = base * (peak if peak > 0 else 1.0)
    numeric = np.empty(flat.size)
    steps = np.empty(flat.size)
    for i in range(flat.size):
        h = base * abs(flat[i]) if flat[i] != 0 else floor
        h = (flat[i] + h) - flat[i]  # representable step
        if h == 0:
            h = floor
        up = flat.copy()
        down = flat.copy()
        up[i] += h
        down[i] -= h
        numeric[i] = (f(up.reshape(x.shape)) - f(down.reshape(x.shape))) / (2 * h)
        steps[i] = h
    return numeric.reshape(x.shape), steps.reshape(x.shape)


def check(analytic: np.ndarray, f: Callable[[np.ndarray], float], x: np.ndarray,
          tolerance: float = TOLERANCE) -> Check:
    """Compare an analytic gradient of ``f`` at ``x`` with central differences."""
    analytic = np.asarray(analytic, dtype=np.float64)
    numeric, steps = finite_difference(f, x)
    scale = max(float(np.abs(analytic).max()) if analytic.size else 0.0, np.finfo(np.float64).tiny)
    denom = np.maximum(np.maximum(np.abs(analytic), np.abs(numeric)), scale)
    with np.errstate(invalid="ignore"):
        error = np.abs(analytic - numeric) / denom
    error = np.where(np.isnan(error), np.inf, error)
    return Check(analytic, numeric, error, steps, tolerance)


def hessian_check(x: np.ndarray, p: float, kind: str = "norm", tolerance: float = TOLERANCE) -> Check:
    """The Hessian against central differences of the analytic gradient, column by column."""
    x = np.asarray(x, dtype=np.float64)
    analytic = hessian(x, p, kind)
    numeric = np.empty_like(analytic)
    steps = np.empty(x.size)
    base = np.cbrt(np.finfo(np.float64).eps)
    floor = base * float(np.abs(x).max())
    for j in range(x.size):
        h = base * abs(x[j]) if x[j] != 0 else floor
        h = (x[j] + h) - x[j]
        up, down = x.copy(), x.copy()
        up[j] += h
        down[j] -= h
        numeric[:, j] = (grad(up, p, kind).values - grad(down, p, kind).values) / (2 * h)
        steps[j] = h
    scale = max(float(np.abs(analytic).max()), np.finfo(np.float64).tiny)
    error = np.abs(analytic - numeric) / np.maximum(np.maximum(np.abs(analytic), np.abs(numeric)), scale)
    return Check(analytic, numeric, error, steps, tolerance)


def vector_function(p: float, kind: str = "norm", target: np.ndarray | None = None) -> Callable:
    """f(x) = ||x - t||_p (or its power or power mean), as :func:`check` wants it."""

    def f(x: np.ndarray) -> float:
        d = x if target is None else x - target
        return float(NormAccumulator([p]).add(d).evaluate(p, kind).value)

    return f


def matrix_function(order: str) -> Callable:
    return lambda a: float(matrix_norm(a, order).value)


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
    if not g.differentiable or chk.worst_error <= chk.tolerance:
        return None
    i = chk.worst
    return (f"gradient check failed at component {labels[i]}: analytic {float(chk.analytic.flat[i])!r}, "
            f"finite difference {float(chk.numeric.flat[i])!r}, relative error {chk.worst_error:.2e} "
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

    def batches():
        for block in blocks:
            out = []
            for i in range(block.data.shape[0]):
                row = block.data[i] if block.keep is None else block.data[i][block.keep[i]]
                label = str(block.first + i)
                g = grad(row, p, kind)
                for r in g.reasons:
                    if r not in seen_reasons:
                        seen_reasons.add(r)
                        result.notes.append(f"row {label}: {r}")
                cells = [label, g.values.tolist()]
                if tolerance is not None:
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
