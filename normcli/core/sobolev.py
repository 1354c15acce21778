"""Sobolev norms W^{k,p} and H^s of a function sampled on a uniform grid.

The samples are f_i = f(x_0 + i dx), i = 0 .. N-1. No I/O here: every
function returns data (a :class:`SobolevOutcome`, or a :class:`Result` from
:func:`sobolev_result`).

Conventions
-----------
* **Integrals.** Each sample stands for a cell of width dx, so
  ``integral |g|^p ~ dx * sum_i |g_i|^p`` (``quadrature="rect"``, the
  default; exact for periodic band-limited functions sampled on [a, a + L)
  without the endpoint). ``quadrature="trapezoid"`` gives the two end
  samples weight dx/2, for data that includes both endpoints. There is no
  division by the length of the domain: the norms are those of the
  function, not means.
* **Finite differences** (:func:`sobolev_fd`):
  ``||f||_{W^{k,p}} = (sum_{j=0..k} ||f^(j)||_Lp^p)^(1/p)`` for finite p
  (0 < p < 1 is computed the same way but is not a norm), and
  ``max_j ||f^(j)||_Linf`` for p = inf. The derivative of order j is taken
  directly (not by repeating a first derivative) with second-order
  stencils whose weights come from Fornberg's algorithm, in exact rational
  arithmetic: the central stencil of 2*ceil(j/2) + 1 points in the
  interior, and the j + 2 consecutive samples nearest to the node at the
  two edges. The error is O(dx^2) at every node, edges included; applying
  ``numpy.gradient(edge_order=2)`` j times would be only first order at the
  edges for j >= 2, because the second pass differentiates the first
  pass's edge error. For j = 1 both are the same stencils.
* **Spectral** (:func:`sobolev_spectral`, periodic data, p = 2): with the
  DFT ``F_m = sum_i f_i exp(-2 pi i m i / N)`` and the angular frequencies
  ``xi_m = 2 pi m / (N dx)`` (= ``2 pi * numpy.fft.fftfreq(N, dx)``),
  Parseval gives ``dx * sum |f_i|^2 = (dx / N) sum_m |F_m|^2`` and
  ``||f||_{H^s}^2 = (dx / N) sum_m w(xi_m) |F_m|^2`` with the
  Bessel-potential weights ``w = (1 + xi^2)^s`` (any real s >= 0) or, with
  ``weights="sum"``, ``w = sum_{j=0..k} xi^(2j)``, the limit of the
  finite-difference W^{k,2} norm. The two agree for k <= 1 and are
  different (equivalent) norms for k >= 2.

Accuracy: values are scaled by a power of two before any power is taken,
products and powers of dx are formed on (mantissa, exponent) pairs, and
sums are taken in extended precision where the platform has it, so nothing
overflows or underflows unless the result itself does, and a norm of
``c * f`` is ``|c|`` times that of ``f`` to rounding.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from fractions import Fraction
from functools import lru_cache

import numpy as np

from .errors import CoreError
from .norms import INF, column_name, norm, order_name, scaled
from .precision import EXT
from .result import Result

#: Accepted values of ``quadrature`` (:func:`sobolev_fd`).
QUADRATURES = ("rect", "trapezoid")

#: Accepted values of ``weights`` (:func:`sobolev_spectral`).
WEIGHTS = ("bessel", "sum")

#: Relative tolerance of :func:`grid_step` on each spacing, against the median spacing.
GRID_RTOL = 1e-6

# The precision of the sums, powers and products is EXT (normcli.core.precision):
# long double where it has a 64-bit (or longer) mantissa, else float64. Looked up
# at call time, so a test can force the float64 path by patching this module's EXT.

RECT_NOTE = "integrals are dx * sum |g|^p over the samples (each sample a cell of width dx; no division by the length)"
TRAPEZOID_NOTE = ("integrals are the trapezoid rule dx * (|g_1|^p/2 + |g_2|^p + ... + |g_N|^p/2) "
                  "(the samples include both endpoints; no division by the length)")
XI_NOTE = "angular frequency xi = 2 pi * cycles per unit of x (xi_m = 2 pi m / (N dx))"


@dataclass
class SobolevOutcome:
    """A Sobolev norm, the pieces it is made of, and how it was computed.

    Attributes
    ----------
    value : float
        The norm (``inf`` or 0 only when the true value leaves the float64
        range; ``warnings`` then says so).
    terms : list of (str, float)
        The pieces: ``("||f||_L2", ...), ("||f'||_L2", ...)``, ... for finite
        differences and for spectral ``weights="sum"``; ``[("||f||_L2", ...)]``
        for the spectral Bessel-potential norm.
    notes : list of str
        The conventions in force (quadrature, method, order, frequency).
    title : str
        What was computed, e.g. ``W^{1,2} norm (finite differences)``.
    warnings : list of str
        Values that left the float64 range.
    """

    value: float
    terms: list[tuple[str, float]]
    notes: list[str] = field(default_factory=list)
    title: str = ""
    warnings: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------
# Validation
# --------------------------------------------------------------------------
def _samples(f) -> np.ndarray:
    a = np.asarray(f, dtype=np.float64)
    if a.ndim != 1:
        raise CoreError(f"f must be a one-dimensional array of samples; got {a.ndim} dimensions")
    if a.size == 0:
        raise CoreError("f has no samples")
    if not np.isfinite(a).all():
        raise CoreError("f has non-finite values")
    return a


def _step(dx) -> float:
    try:
        d = float(dx)
    except (TypeError, ValueError):
        raise CoreError(f"dx must be a positive finite number; got {dx!r}") from None
    if not (math.isfinite(d) and d > 0):
        raise CoreError(f"dx must be a positive finite number; got {dx!r}")
    return d


def _order_k(k) -> int:
    if isinstance(k, (bool, np.bool_)) or not isinstance(k, (int, np.integer)) or k < 0:
        raise CoreError(f"k must be a non-negative integer; got {k!r}")
    return int(k)


def min_samples(k: int) -> int:
    """Samples the finite-difference W^{k,p} norm needs: k + 2 (the one-sided edge stencil).

    >>> min_samples(1), min_samples(2)
    (3, 4)
    """
    return k + 2


def grid_step(x, rtol: float = GRID_RTOL) -> float:
    """The step dx of a uniform grid given by its x values.

    Parameters
    ----------
    x : array_like, 1-D
        Strictly increasing, uniformly spaced: every spacing x_{i+1} - x_i
        must be within ``rtol`` (relative, default 1e-6) of the median
        spacing.
    rtol : float

    Returns
    -------
    float
        ``(x[-1] - x[0]) / (N - 1)``, the mean spacing (less affected by
        rounding of the x values than any single spacing).

    Raises
    ------
    CoreError
        Fewer than 2 values, a non-finite value, x not strictly increasing
        or not uniform; rows are numbered from 1 and the message names the
        first offending one.

    Examples
    --------
    >>> grid_step([0.0, 0.25, 0.5, 0.75])
    0.25
    >>> grid_step([0.0, 1.0, 2.0, 3.5])  # doctest: +ELLIPSIS, +NORMALIZE_WHITESPACE
    Traceback (most recent call last):
    ...
    normcli.core.errors.CoreError: x is not uniformly spaced: the step from row 3 to row 4 is 1.5,
    the median step is 1.0 ...
    """
    a = np.asarray(x, dtype=np.float64).ravel()
    if a.size < 2:
        raise CoreError(f"x needs at least 2 values to give a grid step; got {a.size}")
    bad = np.flatnonzero(~np.isfinite(a))
    if bad.size:
        raise CoreError(f"x has a non-finite value at row {bad[0] + 1}")
    d = np.diff(a)
    down = np.flatnonzero(d <= 0)
    if down.size:
        i = int(down[0])
        raise CoreError(f"x is not strictly increasing: row {i + 2} (x = {float(a[i + 1])!r}) "
                        f"follows row {i + 1} (x = {float(a[i])!r})")
    h = float(np.median(d))
    off = np.flatnonzero(np.abs(d - h) > rtol * h)
    if off.size:
        i = int(off[0])
        raise CoreError(f"x is not uniformly spaced: the step from row {i + 1} to row {i + 2} is "
                        f"{float(d[i])!r}, the median step is {h!r} (relative tolerance {rtol:g})")
    step = (float(a[-1]) - float(a[0])) / (a.size - 1)
    if not math.isfinite(step):  # x spans more than the float64 range
        step = float(a[-1] / (a.size - 1) - a[0] / (a.size - 1))
    return step


# --------------------------------------------------------------------------
# Numbers as (mantissa, exponent): products and powers beyond the float64 range
# --------------------------------------------------------------------------
def _big(x) -> tuple:
    """x >= 0 as (m, e), x = m * 2^e with m in [0.5, 1) (or 0) of type EXT."""
    m, e = np.frexp(EXT(x))
    return m, int(e)


def _norm_big(m, e: int) -> tuple:
    mm, ee = np.frexp(m)
    return mm, e + int(ee)


def _big_mul(*factors: tuple) -> tuple:
    m, e = EXT(1), 0
    for fm, fe in factors:
        m, e = _norm_big(m * fm, e + fe)
    return m, e


def _big_pow(b: tuple, a) -> tuple:
    """b ** a for b > 0 (a Big) and real a."""
    m, e = b
    if m == 0:
        return b if a > 0 else (EXT(INF), 0)
    a = EXT(a)
    t = EXT(e) * a
    whole = np.floor(t)
    return _norm_big(m ** a * np.exp2(t - whole), int(whole))


def _big_exp(y) -> tuple:
    """exp(y) as a Big, for y beyond the range of exp."""
    ln2 = np.log(EXT(2))
    whole = np.floor(y / ln2)
    return _norm_big(np.exp(y - whole * ln2), int(whole))


def _big_ratio(b: tuple, top: tuple):
    """b / top as a number of type EXT (top > 0)."""
    with np.errstate(under="ignore"):
        return np.ldexp(b[0] / top[0], b[1] - top[1])


def _log2(b: tuple) -> float:
    return -INF if b[0] == 0 else b[1] + math.log2(float(b[0]))


def _to_float(b: tuple) -> tuple[float, str | None]:
    """Round a Big to float64; the second item says when the value left the float64 range."""
    m, e = b
    if m == 0:
        return 0.0, None
    if not np.isfinite(m):
        return INF, "exceeds the float64 range (about 1.8e308)"
    mm, ee = math.frexp(float(m))  # float(m) may round up to 1.0
    try:
        v = math.ldexp(mm, e + ee)
    except OverflowError:
        return INF, "exceeds the float64 range (about 1.8e308)"
    if v == 0:
        return 0.0, "is below the smallest float64 and rounds to 0"
    return v, None


# --------------------------------------------------------------------------
# Finite differences
# --------------------------------------------------------------------------
def fornberg_weights(offsets, order: int) -> list[Fraction]:
    """Exact weights of the ``order``-th derivative at 0 from samples at integer ``offsets`` (unit step).

    Fornberg's algorithm (Math. Comp. 51 (1988) 699-706) in rational
    arithmetic; divide by dx^order for a step dx. With n points the stencil
    is exact for polynomials of degree n - 1, so its error is
    O(dx^(n - order)) (one more for a symmetric stencil when that is odd).

    >>> [str(w) for w in fornberg_weights([-1, 0, 1], 1)]
    ['-1/2', '0', '1/2']
    >>> [str(w) for w in fornberg_weights([0, 1, 2, 3], 2)]
    ['2', '-5', '4', '-1']
    """
    z = [Fraction(o) for o in offsets]
    n = len(z)
    if order >= n:
        raise CoreError(f"a derivative of order {order} needs more than {n} points")
    c = [[Fraction(0)] * (order + 1) for _ in range(n)]
    c[0][0] = Fraction(1)
    c1, c4 = Fraction(1), z[0]
    for i in range(1, n):
        mn = min(i, order)
        c2, c5, c4 = Fraction(1), c4, z[i]
        for j in range(i):
            c3 = z[i] - z[j]
            c2 *= c3
            if j == i - 1:
                for m in range(mn, 0, -1):
                    c[i][m] = c1 * (m * c[i - 1][m - 1] - c5 * c[i - 1][m]) / c2
                c[i][0] = -c1 * c5 * c[i - 1][0] / c2
            for m in range(mn, 0, -1):
                c[j][m] = (c4 * c[j][m] - m * c[j][m - 1]) / c3
            c[j][0] = c4 * c[j][0] / c3
        c1 = c2
    return [c[i][order] for i in range(n)]


@lru_cache(maxsize=None)
def _stencils(order: int) -> tuple[int, tuple[float, ...], tuple[tuple[float, ...], ...]]:
    """(h, central weights on -h..h, edge weights on 0..order+1 for each of the nodes 0..h-1)."""
    h = (order + 1) // 2
    central = tuple(float(w) for w in fornberg_weights(range(-h, h + 1), order))
    n = order + 2
    edges = tuple(tuple(float(w) for w in fornberg_weights([o - i for o in range(n)], order))
                  for i in range(h))
    return h, central, edges


def derivative(f, dx: float, order: int = 1) -> np.ndarray:
    """The ``order``-th derivative of samples on a uniform grid, second-order accurate at every node.

    Central stencils in the interior, the ``order + 2`` nearest samples at
    the edges (weights from :func:`fornberg_weights`). Needs at least
    ``order + 2`` samples. Divides by dx^order at the end, so it can
    overflow for extreme steps; :func:`sobolev_fd` does not use this
    division.

    >>> derivative([0.0, 1.0, 4.0, 9.0, 16.0], 1.0).tolist()
    [0.0, 2.0, 4.0, 6.0, 8.0]
    """
    a = np.asarray(f, dtype=np.float64)
    return _stencil_sums(a, _order_k(order)) / _step(dx) ** order


def _stencil_sums(a: np.ndarray, order: int) -> np.ndarray:
    """sum_o c_o a_{i+o} for every node i: dx^order times the derivative."""
    n = a.size
    if order == 0:
        return a.copy()
    if n < min_samples(order):
        raise CoreError(f"a derivative of order {order} needs at least {min_samples(order)} samples; got {n}")
    h, central, edges = _stencils(order)
    out = np.zeros(n)
    inner = out[h:n - h]
    for o, w in zip(range(-h, h + 1), central):
        if w:
            inner += w * a[h + o:n - h + o]
    width = order + 2
    left, right = a[:width], a[n - width:]
    for i, w in enumerate(edges):
        out[i] = float(np.dot(w, left))
        # the mirror image: node n-1-i, offsets reversed, odd orders change sign
        out[n - 1 - i] = (-1) ** order * float(np.dot(w, right[::-1]))
    return out


def _deriv_name(j: int) -> str:
    return "f" + ("'" * j if j <= 3 else f"^({j})")


def sobolev_fd(f, dx, k: int = 1, p: float = 2.0, quadrature: str = "rect") -> SobolevOutcome:
    """The W^{k,p} norm by finite differences.

    ``||f||_{W^{k,p}} = (sum_{j=0..k} ||f^(j)||_Lp^p)^(1/p)``, ``max_j ||f^(j)||_inf``
    for p = inf, with ``||g||_Lp^p = dx * sum_i |g_i|^p`` (``rect``) or the
    trapezoid rule (``trapezoid``, end weights dx/2); see the module notes.

    Parameters
    ----------
    f : array_like, 1-D
        The samples f(x_0 + i dx), i = 0 .. N-1, at least k + 2 of them.
    dx : float
        The grid step, > 0.
    k : int
        The highest derivative, >= 0.
    p : float
        > 0 or inf; 0 < p < 1 is allowed but is not a norm (a note says so).
    quadrature : {"rect", "trapezoid"}

    Returns
    -------
    SobolevOutcome
        ``terms`` holds ``||f^(j)||_Lp`` for j = 0..k.

    Raises
    ------
    CoreError
        ``f has non-finite values``; ``dx must be a positive finite number;
        got ...``; ``k must be a non-negative integer; got ...``; ``p must
        be > 0 (or inf); got ...``; ``unknown quadrature ...``;
        ``sobolev with k=2 needs at least 4 samples; got 3``.

    Examples
    --------
    >>> x = np.arange(9) / 8  # x^2 on [0, 1]: the stencils are exact for it
    >>> out = sobolev_fd(x**2, 0.125, k=2, p=1)
    >>> out.value, out.terms
    (3.7734375, [('||f||_L1', 0.3984375), ("||f'||_L1", 1.125), ("||f''||_L1", 2.25)])
    """
    k = _order_k(k)
    try:
        p = float(p)
    except (TypeError, ValueError):
        raise CoreError(f"p must be > 0 (or inf); got {p!r}") from None
    if not p > 0:
        raise CoreError(f"p must be > 0 (or inf); got {p!r}")
    if quadrature not in QUADRATURES:
        raise CoreError(f"unknown quadrature {quadrature!r}; use one of {', '.join(QUADRATURES)}")
    a = _samples(f)
    dx = _step(dx)
    n = a.size
    if n < min_samples(k):
        raise CoreError(f"sobolev with k={k} needs at least {min_samples(k)} samples; got {n}")

    x, sc = scaled(a)  # exact; |x| < 2, so the stencil sums cannot overflow
    finite_p = math.isfinite(p)
    if finite_p and quadrature == "trapezoid":
        end = 2.0 ** (-1.0 / p)  # |end * g|^p = |g|^p / 2
    inv_p = EXT(1) / EXT(p) if finite_p else EXT(0)
    lp = column_name(p, "norm")
    terms, bigs, warnings = [], [], []
    for j in range(k + 1):
        r = _stencil_sums(x, j)
        if finite_p:
            if quadrature == "trapezoid":
                r[0] *= end
                r[-1] *= end
            size = norm(r, p)
        else:
            size = float(np.max(np.abs(r)))
        # ||f^(j)||_Lp = sc * dx^(1/p - j) * ||r||_p
        big = _big_mul(_big(sc), _big_pow(_big(dx), inv_p - j), _big(size))
        bigs.append(big)
        label = f"||{_deriv_name(j)}||_{lp}"
        value, why = _to_float(big)
        if why:
            warnings.append(f"{label} {why}")
        terms.append((label, value))

    total = max(bigs, key=_log2)  # the p = inf norm, and the scale of the others
    if finite_p and total[0] != 0:
        parts = [_big_ratio(b, total) ** EXT(p) for b in bigs]  # each <= 1: no overflow
        total = _big_mul(total, _big_pow(_big(sum(parts, EXT(0))), inv_p))
    value, why = _to_float(total)
    if why:
        warnings.append(f"the W^{{{k},{order_name(p)}}} norm {why}")

    notes = [RECT_NOTE if quadrature == "rect" else TRAPEZOID_NOTE]
    if finite_p:
        pn = order_name(p)
        notes.append(f"||f||_W^{{{k},{pn}}} = (sum_(j=0..{k}) ||f^(j)||_{lp}^{pn})^(1/{pn})")
    else:
        notes.append(f"||f||_W^{{{k},inf}} = max_(j=0..{k}) ||f^(j)||_Linf (the largest |f^(j)_i|)")
    if k:
        notes.append("derivatives: finite differences of second order (error O(dx^2) at every node), weights from "
                     "Fornberg's algorithm: central stencils inside, the j+2 nearest samples at the edges")
    if p < 1:
        notes.append(f"0 < p < 1: computed by the same formula, but W^{{{k},{order_name(p)}}} is not a norm "
                     "(the triangle inequality fails)")
    notes.append(f"N = {n} samples, dx = {dx!r}")
    what = "norm" if p >= 1 else "(not a norm)"
    return SobolevOutcome(value, terms, notes, f"W^{{{k},{order_name(p)}}} {what} (finite differences)", warnings)


# --------------------------------------------------------------------------
# Spectral
# --------------------------------------------------------------------------
def _weighted_sum(power: np.ndarray, direct, logw) -> tuple[tuple, str | None]:
    """sum_m w_m power_m as a Big, w from ``direct()`` or, when that overflows, from ``logw()``."""
    with np.errstate(over="ignore", invalid="ignore"):
        t = direct() * power
        s = t.sum()
    if np.isfinite(s):
        return _big(s), None
    with np.errstate(divide="ignore"):
        lt = logw() + np.log(power)
    top = lt.max()
    rest = np.exp(lt - top).sum()
    note = (f"the weights exceed the range of {np.dtype(EXT).name}: the sum was formed from logarithms "
            f"(relative accuracy about {float(np.finfo(EXT).eps) * float(abs(top)):.0e})")
    return _big_mul(_big_exp(top), _big(rest)), note


def sobolev_spectral(f, dx, s: float = 1.0, weights: str = "bessel", k: int | None = None,
                     p: float = 2.0) -> SobolevOutcome:
    """The H^s norm of periodic samples from their discrete Fourier transform.

    ``||f||^2 = (dx / N) sum_m w(xi_m) |F_m|^2`` with ``xi_m = 2 pi m / (N dx)``
    and ``w = (1 + xi^2)^s`` (``weights="bessel"``) or
    ``w = sum_{j=0..k} xi^(2j)`` (``weights="sum"``, the limit of the
    finite-difference W^{k,2} norm). The N samples are one period: x_0 to
    x_0 + N dx, the endpoint not repeated.

    Parameters
    ----------
    f : array_like, 1-D
    dx : float
    s : float
        Order of the Bessel-potential norm, real, >= 0 (fractional s gives
        H^s). With ``weights="sum"`` and no k, s must be an integer and is
        used as k.
    weights : {"bessel", "sum"}
    k : int, optional
        Only with ``weights="sum"``: the highest derivative.
    p : float
        Must be 2 (Parseval); anything else is a CoreError.

    Returns
    -------
    SobolevOutcome
        ``terms``: ``[("||f||_L2", ...)]`` (computed from the samples
        directly, dx * sum f_i^2) for ``bessel``; ``||f^(j)||_L2`` (spectral)
        for j = 0..k for ``sum``.

    Raises
    ------
    CoreError
        p != 2; s negative or not finite; unknown weights; k given with
        ``bessel``; no integer k for ``sum``; and the checks of f and dx.

    Examples
    --------
    >>> x = np.arange(1024) * (2 * np.pi / 1024)
    >>> sobolev_spectral(np.sin(x), 2 * np.pi / 1024).value  # sqrt(2 pi), correctly rounded
    2.5066282746310007
    """
    try:
        p = float(p)
    except (TypeError, ValueError):
        p = math.nan
    if p != 2:
        raise CoreError(f"the spectral method needs p = 2 (Parseval); got p = {p!r}; "
                        "use finite differences for other p")
    if weights not in WEIGHTS:
        raise CoreError(f"unknown weights {weights!r}; use one of {', '.join(WEIGHTS)}")
    try:
        s = float(s)
    except (TypeError, ValueError):
        raise CoreError(f"s must be a finite number >= 0; got {s!r}") from None
    if not (math.isfinite(s) and s >= 0):
        raise CoreError(f"s must be a finite number >= 0; got {s!r}")
    if weights == "bessel":
        if k is not None:
            raise CoreError("k goes with weights='sum'; the Bessel-potential weights take s")
    else:
        if k is None:
            if s != int(s):
                raise CoreError(f"weights='sum' needs an integer order k; got s = {s!r}")
            k = int(s)
        k = _order_k(k)
    a = _samples(f)
    dx = _step(dx)
    n = a.size

    x, sc = scaled(a)
    spec = np.fft.rfft(x.astype(EXT))  # extended precision where numpy's FFT has it (numpy >= 2)
    power = (spec.real.astype(EXT) ** 2 + spec.imag.astype(EXT) ** 2)
    power[1:] *= 2  # the negative frequencies m = N - 1 .. N/2 + 1 mirror the positive ones
    if n % 2 == 0 and n > 1:
        power[-1] /= 2  # the Nyquist frequency m = N/2 has no mirror
    two_pi = 2 * np.arccos(EXT(-1))
    xi = (two_pi * np.arange(power.size, dtype=EXT) / EXT(n)) / EXT(dx)
    xi2 = xi * xi
    # sqrt(dx / N) * sc: the factor that turns sqrt(sum w |F|^2) of the scaled samples into the norm
    outer = _big_mul(_big(sc), _big_pow(_big(dx), 0.5), _big_pow(_big(n), -0.5))
    notes, warnings = [], []

    def finish(label: str, total: tuple) -> float:
        value, why = _to_float(total)
        if why:
            warnings.append(f"{label} {why}")
        return value

    if weights == "bessel":
        def w_direct():
            return (1 + xi2) ** EXT(s)

        def w_log():
            return EXT(s) * np.log1p(xi2)

        big, log_note = _weighted_sum(power, w_direct, w_log)
        value = finish(f"the H^{order_name(s)} norm", _big_mul(outer, _big_pow(big, 0.5)))
        l2 = finish("||f||_L2", _big_mul(_big(norm(a)), _big_pow(_big(dx), 0.5)))
        terms = [("||f||_L2", l2)]
        title = f"H^{order_name(s)} norm (spectral, periodic)"
        notes.append(f"||f||_H^{order_name(s)}^2 = (dx/N) sum_m (1 + xi_m^2)^{order_name(s)} |F_m|^2, "
                     "F the DFT of the samples; s = 0 gives dx * sum |f_i|^2 (Parseval)")
        if s >= 2 and s == int(s):
            notes.append(f"(1 + xi^2)^{int(s)} is the Bessel-potential H^{int(s)} norm; weights='sum' "
                         f"(sum_(j=0..{int(s)}) xi^(2j), the finite-difference W^{{{int(s)},2}} norm in the limit) "
                         "gives a different, equivalent norm")
        log_notes = [log_note]
    else:
        def w_direct():
            w, term = np.ones_like(xi2), np.ones_like(xi2)
            for _ in range(k):
                term = term * xi2
                w = w + term
            return w

        def w_log():
            # log sum_j xi^(2j) = 2k log|xi| + log sum_j xi^(-2j) for |xi| > 1
            big_xi = xi2 > 1
            inv = np.where(big_xi, 1 / np.where(big_xi, xi2, 1), xi2)
            w, term = np.ones_like(xi2), np.ones_like(xi2)
            for _ in range(k):
                term = term * inv
                w = w + term
            with np.errstate(divide="ignore"):
                return np.log(w) + np.where(big_xi, k * np.log(np.where(big_xi, xi2, 1)), 0)

        big, log_note = _weighted_sum(power, w_direct, w_log)
        value = finish(f"the W^{{{k},2}} norm", _big_mul(outer, _big_pow(big, 0.5)))
        terms, log_notes = [], [log_note]
        for j in range(k + 1):
            label = f"||{_deriv_name(j)}||_L2"
            if j == 0:
                bj, nj = _weighted_sum(power, lambda: np.ones_like(xi2), lambda: np.zeros_like(xi2))
            else:
                with np.errstate(divide="ignore"):
                    bj, nj = _weighted_sum(power, lambda j=j: xi2 ** j, lambda j=j: j * np.log(xi2))
            log_notes.append(nj)
            terms.append((label, finish(label, _big_mul(outer, _big_pow(bj, 0.5)))))
        title = f"W^{{{k},2}} norm (spectral, periodic)"
        notes.append(f"||f||_W^{{{k},2}}^2 = (dx/N) sum_m (sum_(j=0..{k}) xi_m^(2j)) |F_m|^2 = "
                     f"sum_(j=0..{k}) ||f^(j)||_L2^2, F the DFT of the samples; "
                     "the limit of the finite-difference W^{k,2} norm")
        if k >= 2:
            notes.append(f"for k >= 2 this differs from the Bessel-potential H^{k} norm (weights (1 + xi^2)^{k}): "
                         "equivalent norms, different values")
    notes += [RECT_NOTE, XI_NOTE,
              f"periodic: the N = {n} samples are one period of length N dx = {n * dx!r} (the endpoint not repeated); "
              "data that is not periodic gets jumps at the ends that inflate the derivatives"]
    notes += sorted({m for m in log_notes if m})
    if value and math.isfinite(value):
        noise = _rounding_share(x, power, big, w_direct, w_log)
        if noise > 1e-8:
            notes.append(f"the rounding of the samples alone (about 1e-16 relative, spread over all frequencies) "
                         f"makes about {noise:.0e} of this value: the weights amplify the highest frequencies")
    return SobolevOutcome(value, terms, notes, title, warnings)


def _rounding_share(x: np.ndarray, power: np.ndarray, big: tuple, direct, logw) -> float:
    """Estimated relative share of the norm that the rounding of the samples makes.

    Rounding errors of variance sigma^2 ~ eps^2/12 * mean(x^2) are white
    noise: on average each |F_m|^2 (over all N frequencies) grows by
    N sigma^2, so the weighted sum grows by N sigma^2 sum_m w_m; the norm,
    a square root, by half that relative to the sum.
    """
    eps = np.finfo(np.float64).eps
    sigma2 = eps * eps / 12 * float(np.mean(x * x))
    mult = np.full(power.size, 2.0, dtype=EXT)
    mult[0] = 1
    if x.size % 2 == 0 and x.size > 1:
        mult[-1] = 1
    wsum, _ = _weighted_sum(mult, direct, logw)
    # the noise adds sigma^2 * N per bin: sigma^2 * N * sum w against sum w |F|^2
    share = _big_mul(wsum, _big(sigma2 * x.size), _big_pow(big, -1))
    return float(np.ldexp(float(share[0]), share[1])) / 2 if share[1] < 1000 else INF


# --------------------------------------------------------------------------
# The result of the `sobolev` command
# --------------------------------------------------------------------------
def sobolev_result(name: str, outcome: SobolevOutcome, label: str = "function") -> Result:
    """One row: the function's name, the norm (column ``value``) and its pieces (one column each).

    ``plain=[0]``: plain output prints the norm alone, one number per line,
    so ``normcli sobolev ... | cat`` gives just the total. The title and the
    notes (conventions: quadrature, method and order, frequency) come from
    ``outcome``.

    >>> r = sobolev_result("y", SobolevOutcome(5.0, [("||f||_L2", 3.0), ("||f'||_L2", 4.0)], ["n"], "W^{1,2} norm"))
    >>> r.columns, r.rows, r.plain
    (['value', '||f||_L2', "||f'||_L2"], [('y', 5.0, 3.0, 4.0)], [0])
    """
    return Result(outcome.title, ["value", *(t for t, _ in outcome.terms)],
                  rows=[(name, outcome.value, *(v for _, v in outcome.terms))], label=label,
                  notes=list(outcome.notes), warnings=list(outcome.warnings), plain=[0])
