"""The numbers behind normcli's pictures: unit balls, model intervals, optimisation paths.

Pure computation: each function returns :class:`~normcli.core.result.Picture`
data (or a :class:`~normcli.core.result.Result` holding some); drawing is
``normcli.plots``' business.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from .compare import losses
from .distributions import t_sf
from .errors import CoreError
from .norms import norm
from .result import Picture, Result, Series

INF = math.inf


# --------------------------------------------------------------------------
# Unit balls
# --------------------------------------------------------------------------
def ball_area(p: float) -> float:
    """Area of the unit ball of ||.||_p in the plane: 4 Gamma(1 + 1/p)^2 / Gamma(1 + 2/p).

    2 for p = 1 (the cross-polytope), pi for p = 2, 4 for p = inf (the
    square), 2/3 for p = 1/2 (the star of the quasi-norm).

    Examples
    --------
    >>> ball_area(2.0) == math.pi, ball_area(1.0), ball_area(math.inf)
    (True, 2.0, 4.0)
    """
    if p == INF:
        return 4.0
    if p == 2:
        return math.pi
    if not p > 0:
        raise CoreError(f"the unit ball of p = {p:g} is unbounded; give p > 0")
    if p >= 0.02:  # Gamma(1 + 2/p) is finite: the direct formula, a few ulp
        return 4.0 * math.gamma(1.0 + 1.0 / p) ** 2 / math.gamma(1.0 + 2.0 / p)
    return 4.0 * math.exp(2.0 * math.lgamma(1.0 + 1.0 / p) - math.lgamma(1.0 + 2.0 / p))


def ball_shape(p: float, transformed: bool = False) -> str:
    """A name for the unit ball of order p in the plane (``transformed``: its image under A^-1)."""
    if p == 1:
        shape = "cross-polytope (diamond)"
    elif p == 2:
        shape = "disc"
    elif p == INF:
        shape = "square"
    elif p < 1:
        shape = "star (not convex: a quasi-norm)"
    else:
        shape = "rounded square" if p > 2 else "rounded diamond"
    if not transformed:
        return shape
    return {"cross-polytope (diamond)": "parallelogram", "square": "parallelogram",
            "disc": "ellipse"}.get(shape, f"transformed {shape}")


def ball_result(orders: Sequence[float], boundary, A: np.ndarray | None = None) -> Result:
    """The table of unit balls (shape and area) and their picture.

    ``boundary(p)`` gives the closed curve (x, y) of {x : ||A x||_p = 1};
    with A the area is that of the p-ball divided by |det A|.
    """
    square = A is None or A.shape[0] == A.shape[1]
    det = _det2(A) if A is not None and square else None
    rows = []
    series = []
    for p in orders:
        with np.errstate(all="ignore"):  # a ball beyond float64 gives inf points; the warning below says so
            x, y = boundary(p)
        name = _order_label(p)
        if A is None:
            area, ext = ball_area(p), (1.0, 1.0)
        elif square:
            area = _divide(ball_area(p), abs(det))
            ext = _extents(A, p)
        else:
            area, ext = polygon_area(x, y), (float(np.max(np.abs(x))), float(np.max(np.abs(y))))
        rows.append((name, ball_shape(p, A is not None) if square else "convex body" if p >= 1 else "star",
                     area, *ext))
        series.append(Series(f"p = {name}", x, y))
    warnings = []
    if any(not (0 < r[2] < INF) for r in rows):
        warnings.append("an area or extent is beyond the float64 range (inf) or below it (0): A is too large or "
                        "too small for the ball to be drawn")
    what = "||A x||_p <= 1" if A is not None else "||x||_p <= 1"
    if square:
        notes = [f"the set {{x in R^2 : {what}}}; area 4 Gamma(1 + 1/p)^2 / Gamma(1 + 2/p)"
                 + (" / |det A|" if A is not None else "")]
    else:
        notes = [f"the set {{x in R^2 : {what}}}; A has {A.shape[0]} rows, so the area is that of the drawn "
                 "outline (a polygon through the boundary points)"]
    if any(p < 1 for p in orders):
        notes.append("p < 1: not a norm (the triangle inequality fails), so the ball is not convex")
    if A is not None:
        notes.append(f"A = {_matrix_text(A)}" + (f"; det A = {_float(det)!r}" if square else
                                                 "; max |x_i| read off the outline"))
    picture = Picture(f"Unit balls {what}", "curves", series, "x1", "x2", equal=True)
    return Result(f"Unit balls in the plane: {what}", ["shape", "area", "max |x1|", "max |x2|"], rows,
                  label="p", notes=notes, warnings=warnings, plain=[1], pictures=[picture])


def _det2(A: np.ndarray):
    """det A of a 2 x 2 matrix, exactly (a Fraction: no rounding, underflow or overflow)."""
    from fractions import Fraction

    (a, b), (c, d) = A.tolist()
    return Fraction(a) * Fraction(d) - Fraction(b) * Fraction(c)


def _float(q) -> float:
    try:
        return float(q)
    except OverflowError:
        return INF if q > 0 else -INF


def _divide(value: float, q) -> float:
    """value / q for a Fraction q, rounded once (inf when beyond float64)."""
    from fractions import Fraction

    return _float(Fraction(value) / q)


def _extents(A: np.ndarray, p: float) -> tuple[float, float]:
    """max |x_i| over {x : ||A x||_p <= 1} for an invertible 2 x 2 A.

    x = A^-1 y with ||y||_p <= 1, so max |x_i| = max over the ball of |r_i . y|
    with r_i row i of A^-1: the dual norm ||r_i||_q (1/p + 1/q = 1) for
    p >= 1; for p < 1 the ball's convex hull is the L1 ball, so ||r_i||_inf.
    A^-1 is adj(A) / det A, the division done once per entry.
    """
    from fractions import Fraction

    (a, b), (c, d) = A.tolist()
    det = _det2(A)
    inv = [[Fraction(d), -Fraction(b)], [-Fraction(c), Fraction(a)]]
    out = []
    for row in inv:
        r = np.array([_float(v / det) for v in row])
        dual = INF if p <= 1 else 1.0 if p == INF else p / (p - 1.0)
        out.append(norm(r, dual))
    return out[0], out[1]


def polygon_area(x, y) -> float:
    """The area enclosed by the closed polygon through (x_i, y_i) (the shoelace formula)."""
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    return 0.5 * abs(float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1))))


def _order_label(p: float) -> str:
    if p == INF:
        return "inf"
    return f"{p:g}" if p == round(p, 12) else repr(p)


def _matrix_text(A: np.ndarray) -> str:
    return "[" + "; ".join(" ".join(f"{v:g}" for v in row) for row in A.tolist()) + "]"


# --------------------------------------------------------------------------
# compare-models --plot
# --------------------------------------------------------------------------
#: Metrics that are a monotone function of the mean of a per-observation loss, so that an
#: interval for that mean gives one for the metric: metric -> (loss, map from the mean loss).
_MEAN_MAPS = {
    "MAE": ("absolute", lambda m, n: m),
    "L1": ("absolute", lambda m, n: m * n),
    "MSE": ("squared", lambda m, n: m),
    "RMSE": ("squared", lambda m, n: math.sqrt(m)),
    "L2": ("squared", lambda m, n: math.sqrt(m * n)),
    "bias": ("error", lambda m, n: m),
    "MAPE": ("percentage", lambda m, n: m),
}


def t_quantile(q: float, df: float) -> float:
    """The q-quantile of Student's t (``t_sf`` inverted by bisection; q in (0.5, 1))."""
    lo, hi = 0.0, 1.0
    while t_sf(hi, df) > 1.0 - q:
        hi *= 2.0
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if t_sf(mid, df) > 1.0 - q:
            lo = mid
        else:
            hi = mid
        if hi - lo <= 1e-15 * hi:
            break
    return 0.5 * (lo + hi)


def metric_intervals(errors: np.ndarray, truth, metric: str, confidence: float) -> list[tuple[float, float] | None]:
    """A confidence interval of ``metric`` per model (column of ``errors``), or None where there is none.

    The metric is a monotone map of a mean loss (MAE of |e|, MSE and RMSE of
    e^2, bias of e, ...): the t interval of that mean, mapped through it
    (the square root for RMSE; a negative lower end of a mean square is
    clipped at 0). Median and max have no such interval; R^2 maps the MSE
    interval through 1 - n MSE / SS_tot.
    """
    out: list[tuple[float, float] | None] = []
    n = errors.shape[0]
    if n < 2:
        return [None] * errors.shape[1]
    tq = t_quantile(0.5 + confidence / 2.0, n - 1)
    for j in range(errors.shape[1]):
        e = errors[:, j]
        if metric == "R^2":
            with np.errstate(over="ignore"):
                lo, hi = _mean_interval(losses(e, "squared"), tq)
            y = np.asarray(truth, dtype=np.float64)
            sst = float(np.sum(np.square(y - y.mean())))
            out.append(None if sst == 0 else (1 - n * hi / sst, 1 - n * lo / sst))
            continue
        if metric not in _MEAN_MAPS:
            out.append(None)
            continue
        loss, fmap = _MEAN_MAPS[metric]
        with np.errstate(over="ignore"):  # a square beyond float64 makes an infinite MSE interval
            lo, hi = _mean_interval(e if loss == "error" else losses(e, loss, truth), tq)
        if loss == "squared":
            lo = max(lo, 0.0)
        out.append((fmap(lo, n), fmap(hi, n)))
    return out


def _mean_interval(v: np.ndarray, tq: float) -> tuple[float, float]:
    scale = float(np.max(np.abs(v))) or 1.0
    if not math.isfinite(scale):
        return (math.nan, math.nan) if np.isnan(scale) else (-INF if np.any(v == -INF) else 0.0, INF)
    w = v / scale  # the spread of values near 1e308 must not overflow
    mean = float(np.mean(w))
    half = tq * float(np.std(w, ddof=1)) / math.sqrt(v.size)
    return (mean - half) * scale, (mean + half) * scale


def compare_pictures(names: Sequence[str], errors: np.ndarray, truth, metric: str, values: Sequence[float],
                     confidence: float) -> list[Picture]:
    """``compare-models --plot``: each model's metric with its interval, and the error distributions."""
    intervals = metric_intervals(errors, truth, metric, confidence)
    series = [Series(name, [value], [] if iv is None else list(iv))
              for name, value, iv in zip(names, values, intervals)]
    how = f"{confidence:.0%} t interval of the mean loss" if any(iv is not None for iv in intervals) \
        else "no interval for this metric"
    bars = Picture(f"{metric} per model ({how})", "intervals", series, xlabel=metric)
    dists = Picture("Error distributions (prediction - truth)" if truth is not None else "Error distributions",
                    "histograms", [Series(name, errors[:, j]) for j, name in enumerate(names)], xlabel="error",
                    ylabel="count")
    return [bars, dists]


# --------------------------------------------------------------------------
# regstep --steps N --plot
# --------------------------------------------------------------------------
def trajectory_pictures(records) -> list[Picture]:
    """Objective and ||w||_2 against the step, from a trajectory's records."""
    steps = [r.step for r in records]
    objective = Picture("Objective per step", "curves", [Series("objective", steps, [r.objective for r in records])],
                        "step", "objective")
    norms = Picture("||w||_2 per step", "curves", [Series("||w||_2", steps, [r.norm for r in records])],
                    "step", "||w||_2")
    return [objective, norms]


def plot_every(steps: int, every: int, points: int = 400) -> int:
    """The recording interval for a picture of ``steps`` steps: a divisor of ``every`` giving about ``points`` points.

    The table keeps its rows (every ``every`` steps); the picture needs more
    of them, so the records are taken at a divisor of ``every``.
    """
    want = max(1, -(-steps // points))
    return next(d for d in range(min(want, every), 0, -1) if every % d == 0)
