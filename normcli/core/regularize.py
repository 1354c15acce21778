"""Regularized weight updates: L2, L1, elastic net and max-norm, term by term.

The point the ``regstep`` command teaches: the gradient of the L2 penalty
(lambda/2)||w||^2 is lambda*w, proportional to each weight, so one step
shrinks every weight toward zero by the same factor (1 - lr*lambda). It
does not subtract lambda*||w|| from each weight, which would push negative
weights further from zero.

Conventions (both are in use, so the output always says which one is in
force):

* ``half`` (default): penalty (lambda/2)||w||^2, gradient lambda*w; this is
  torch's ``SGD(weight_decay=lambda)``.
* ``full``: penalty lambda||w||^2, gradient 2*lambda*w; this is Keras'
  ``regularizers.l2(lambda)``.

Below, c is 1 for ``half`` and 2 for ``full``.

L1 is applied either by its proximal step (``prox``, the default: soft-
thresholding, a weight that would cross zero stops at exactly zero) or by
its subgradient lambda1*sign(w) (``subgradient``, sign(0) = 0 as in torch;
a weight can overshoot zero and oscillate around it).

The linear model of ``iterate`` and ``ridge_solve`` has the data loss
(1/2n)||Xw + b - y||^2, an unpenalized intercept b, and the gradient
X^T r / n (d/db = mean(r)) with r = Xw + b - y.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from .errors import CoreError
from .norms import NormAccumulator, norm
from .result import Result

CONVENTIONS = ("half", "full")
L1_METHODS = ("prox", "subgradient")

# The normal equations square the condition number of X; they are solved
# directly only while cond(X^T X + n c lambda I) stays below this, which
# keeps the relative error of the weights near 1e-10 at worst. Beyond it the
# augmented least-squares problem is solved instead (no squaring).
_GRAM_COND_LIMIT = 1e6

# Rows per block when forming the centered Gram matrix (bounded memory).
_BLOCK = 1 << 16


def _num(x) -> str:
    """A number for titles and notes: short when that is exact, else its repr."""
    x = float(x)
    return f"{x:g}" if float(f"{x:g}") == x else repr(x)


def _finite_nonneg(name: str, value) -> float:
    value = float(value)
    if not (math.isfinite(value) and value >= 0):
        raise CoreError(f"{name} must be a finite number >= 0, got {value!r}")
    return value


@dataclass
class Penalty:
    """The regularization in force: L2 and L1 strengths, conventions, max-norm.

    Parameters
    ----------
    l2 : float
        lambda2 >= 0, the L2 strength.
    l1 : float
        lambda1 >= 0, the L1 strength.
    convention : {"half", "full"}
        ``half``: L2 penalty (lambda2/2)||w||^2, gradient lambda2*w (torch SGD
        ``weight_decay``). ``full``: lambda2||w||^2, gradient 2*lambda2*w
        (Keras ``l2``).
    l1_method : {"prox", "subgradient"}
        How the L1 part enters the update (see :func:`step`).
    max_norm : float, optional
        C > 0: after each step, weights with ||w||_2 > C are scaled onto the
        ball ||w||_2 = C.

    Raises
    ------
    CoreError
        For a negative or non-finite strength, max_norm <= 0, or an unknown
        convention or method.

    Examples
    --------
    >>> p = Penalty(l2=0.1)
    >>> p.value([3.0, -4.0]), p.l2_grad([3.0, -4.0]).tolist()
    (1.25, [0.30000000000000004, -0.4])
    >>> Penalty(l2=0.1, convention="full").l2_grad([3.0, -4.0]).tolist()
    [0.6000000000000001, -0.8]
    >>> Penalty(l1=-1)
    Traceback (most recent call last):
    ...
    normcli.core.errors.CoreError: the L1 strength must be a finite number >= 0, got -1.0
    """

    l2: float = 0.0
    l1: float = 0.0
    convention: str = "half"
    l1_method: str = "prox"
    max_norm: float | None = None

    def __post_init__(self) -> None:
        self.l2 = _finite_nonneg("the L2 strength", self.l2)
        self.l1 = _finite_nonneg("the L1 strength", self.l1)
        if self.convention not in CONVENTIONS:
            raise CoreError(f"unknown L2 convention {self.convention!r}; use one of {', '.join(CONVENTIONS)}")
        if self.l1_method not in L1_METHODS:
            raise CoreError(f"unknown L1 method {self.l1_method!r}; use one of {', '.join(L1_METHODS)}")
        if self.max_norm is not None:
            c = float(self.max_norm)
            if not c > 0:  # also rejects nan
                raise CoreError(f"the max-norm must be > 0, got {c!r}")
            self.max_norm = c

    @property
    def c(self) -> float:
        """1.0 for the ``half`` convention, 2.0 for ``full``: the L2 gradient is c*lambda2*w."""
        return 1.0 if self.convention == "half" else 2.0

    @property
    def method(self) -> str:
        """How the update is computed: ``gradient``, ``subgradient`` or ``prox``."""
        if self.l1 > 0:
            return self.l1_method
        return "gradient"

    def value(self, w) -> float:
        """The penalty (c lambda2/2)||w||_2^2 + lambda1 ||w||_1, summed without spurious overflow.

        >>> Penalty(l2=0.5, l1=0.25, convention="full").value([1.0, -2.0])
        3.25
        """
        return self._value_and_norm(w)[0]

    def _value_and_norm(self, w) -> tuple[float, float]:
        """(the penalty, ||w||_2), accurate to about an ulp.

        Up to 256 weights with exact sums (``math.fsum``, ``math.hypot``: a
        few microseconds, so a trajectory row per step stays cheap); beyond,
        one pass of a :class:`NormAccumulator`.
        """
        w = np.asarray(w, dtype=np.float64)
        if w.size <= 256 and np.isfinite(w).all() and float(np.max(np.abs(w), initial=0.0)) < 1e150:
            # below 1e150 no square and no sum of 256 magnitudes overflows (fsum raises on that)
            values = w.tolist()
            size = math.hypot(*values)
            total = 0.0
            if self.l2 > 0:
                square = math.fsum(v * v for v in values)
                if math.isfinite(square):
                    total += self.c * self.l2 / 2 * square
                else:  # ||w||^2 overflows but the penalty may not: (sqrt(c lambda2 / 2) ||w||)^2
                    root = math.sqrt(self.c * self.l2 / 2) * size
                    total += root * root
            if self.l1 > 0:
                total += self.l1 * math.fsum(abs(v) for v in values)
            return float(total), size
        acc = NormAccumulator((1.0, 2.0)).add(w)
        total = 0.0
        size = acc.evaluate(2.0).value
        if self.l2 > 0:
            square = acc.evaluate(2.0, "power").value
            if math.isfinite(square):
                total += self.c * self.l2 / 2 * square
            else:  # ||w||^2 overflows but the penalty may not: (sqrt(c lambda2 / 2) ||w||)^2
                root = math.sqrt(self.c * self.l2 / 2) * size
                total += root * root  # inf when the penalty itself is beyond float64
        if self.l1 > 0:
            total += self.l1 * acc.evaluate(1.0).value
        return float(total), size

    def l2_grad(self, w) -> np.ndarray:
        """The gradient of the L2 part, c*lambda2*w.

        >>> Penalty(l2=0.01).l2_grad([0.5, -1.2]).tolist()
        [0.005, -0.012]
        """
        with np.errstate(over="ignore"):
            return (self.c * self.l2) * np.asarray(w, dtype=np.float64)

    @property
    def description(self) -> str:
        """Which convention and which L1 method are in force, in words (for notes).

        >>> print(Penalty(l2=0.01).description)
        L2 penalty (lambda/2)||w||^2 with lambda = 0.01, gradient lambda*w (half convention, as torch SGD weight_decay).
        """
        parts = []
        if self.l2 > 0:
            if self.convention == "half":
                parts.append(f"L2 penalty (lambda/2)||w||^2 with lambda = {_num(self.l2)}, gradient lambda*w "
                             f"(half convention, as torch SGD weight_decay)")
            else:
                parts.append(f"L2 penalty lambda||w||^2 with lambda = {_num(self.l2)}, gradient 2*lambda*w "
                             f"(full convention, as Keras l2)")
        if self.l1 > 0:
            if self.l1_method == "prox":
                parts.append(f"L1 penalty lambda1||w||_1 with lambda1 = {_num(self.l1)}, applied by its proximal "
                             f"step (soft-thresholding: a weight that would cross 0 stops at exactly 0)")
                if self.l2 > 0:
                    parts.append("With L1 in prox mode the L2 part is applied by its prox too (division by "
                                 f"1 + lr*{'' if self.c == 1 else '2*'}lambda, the exact elastic-net step); L2 "
                                 "alone is the explicit gradient step")
            else:
                parts.append(f"L1 penalty lambda1||w||_1 with lambda1 = {_num(self.l1)}, applied by its "
                             f"subgradient lambda1*sign(w) (sign(0) = 0, as torch): a weight can overshoot 0")
        if self.max_norm is not None:
            parts.append(f"max-norm constraint ||w||_2 <= {_num(self.max_norm)}: after the step, weights outside "
                         f"the ball are scaled onto it")
        if not parts:
            return "no penalty: a plain gradient step."
        return ". ".join(parts) + "."

    def formula(self) -> str:
        """The update rule in force, in words.

        >>> Penalty(l1=0.5).formula()
        'new w = soft(w - lr*g, lr*lambda1) with soft(v, t) = sign(v) max(|v| - t, 0)'
        """
        l2 = {"half": "lambda2*w", "full": "2*lambda2*w"}[self.convention]
        if self.method == "prox":
            base = "new w = soft(w - lr*g, lr*lambda1)"
            if self.l2 > 0:
                base += f" / (1 + lr*{'' if self.c == 1 else '2*'}lambda2)"
            text = base + " with soft(v, t) = sign(v) max(|v| - t, 0)"
        else:
            terms = ["g"]
            if self.l2 > 0:
                terms.append(l2)
            if self.l1 > 0:
                terms.append("lambda1*sign(w)")
            text = "new w = w - lr*(" + " + ".join(terms) + ")" if len(terms) > 1 else "new w = w - lr*g"
        if self.max_norm is not None:
            text += ", then scaled by C/||new w||_2 if ||new w||_2 > C"
        return text

    def title(self, lr: float) -> str:
        """``regularized step (lr 0.1, L2 0.01, half convention)`` without the leading words."""
        parts = [f"lr {_num(lr)}"]
        if self.l2 > 0:
            parts.append(f"L2 {_num(self.l2)}")
        if self.l1 > 0:
            parts.append(f"L1 {_num(self.l1)} {self.l1_method}")
        if self.max_norm is not None:
            parts.append(f"max-norm {_num(self.max_norm)}")
        if self.l2 > 0:
            parts.append(f"{self.convention} convention")
        if len(parts) == 1:
            parts.append("no penalty")
        return ", ".join(parts)

    # fast, allocation-light value for the per-step divergence check
    def _value_fast(self, w: np.ndarray) -> float:
        total = 0.0
        with np.errstate(over="ignore", invalid="ignore"):
            if self.l2 > 0:
                square = float(np.dot(w, w))
                if not math.isfinite(square):  # rare: take the careful route
                    return self._value_and_norm(w)[0]
                total += self.c * self.l2 / 2 * square
            if self.l1 > 0:
                total += self.l1 * float(np.abs(w).sum())
        return total


# --------------------------------------------------------------------------
# One step
# --------------------------------------------------------------------------
@dataclass
class Record:
    """One row of a trajectory: the state after ``step`` updates."""

    step: int
    loss: float | None
    penalty: float
    objective: float
    norm: float


class Diverged(CoreError):
    """The iteration left the float64 range (objective or weights inf or NaN).

    Attributes
    ----------
    step : int
        The step at which it happened.
    objective : float
        The non-finite objective there (nan when only the weights were).
    last : Record or None
        The last finite state; None if the start was not finite.
    last_w : ndarray or None
        The weights of that state.
    """

    def __init__(self, message: str, step: int, objective: float, last: Record | None = None,
                 last_w: np.ndarray | None = None) -> None:
        super().__init__(message)
        self.step = step
        self.objective = objective
        self.last = last
        self.last_w = last_w


@dataclass
class Step:
    """The terms of one regularized update of the weights.

    Attributes
    ----------
    w, data_grad : ndarray
        The weights before the step and the data-loss gradient g.
    l2_grad : ndarray
        c*lambda2*w at the weights before the step (the explicit L2 term;
        with L1 in prox mode it is applied implicitly, see :func:`step`).
    l1_term : ndarray
        ``subgradient``: lambda1*sign(w), a gradient (multiplied by lr in the
        update). ``prox``: the shrink the soft-threshold actually applied,
        v - soft(v, lr*lambda1) with v = w - lr*g (already an amount of
        weight; its sign is sign(v)). Zeros without L1.
    new_w, change : ndarray
        The weights after the step and new_w - w.
    method : str
        ``gradient``, ``subgradient`` or ``prox``.
    lr : float
    projected : bool
        True if max-norm projection scaled the weights.
    unprojected_norm : float
        ||new w||_2 before any projection.
    norm_before, norm_after : float
        ||w||_2 and ||new w||_2 (overflow-safe).
    penalty_before, penalty_after : float
    zeroed : ndarray of bool
        prox: components the soft-threshold set to exactly 0 (v != 0).
    crossed : ndarray of bool
        Components whose sign flipped (w_i * new_w_i < 0).
    """

    w: np.ndarray
    data_grad: np.ndarray
    l2_grad: np.ndarray
    l1_term: np.ndarray
    new_w: np.ndarray
    change: np.ndarray
    method: str
    lr: float
    projected: bool
    unprojected_norm: float
    norm_before: float
    norm_after: float
    penalty_before: float
    penalty_after: float
    zeroed: np.ndarray
    crossed: np.ndarray


def _l2(x: np.ndarray) -> float:
    """||x||_2: a dot product where that cannot over- or underflow, else :func:`norm`."""
    with np.errstate(over="ignore", invalid="ignore"):
        s = float(np.dot(x, x))
    if 1e-290 < s < 1e290:
        return math.sqrt(s)
    return norm(x)


def _update(w: np.ndarray, g: np.ndarray, lr: float, penalty: Penalty):
    """new w for one step, the same code for step() and iterate().

    Returns (new_w, l1_term, zeroed, projected, unprojected_norm): l1_term
    and zeroed are None outside prox mode, unprojected_norm is nan without
    a max-norm.
    """
    with np.errstate(over="ignore", invalid="ignore"):
        return _update_raw(w, g, lr, penalty)


def _update_raw(w: np.ndarray, g: np.ndarray, lr: float, penalty: Penalty):
    l1_term = None
    zeroed = None
    if penalty.l1 > 0 and penalty.l1_method == "prox":
        v = w - lr * g
        t = lr * penalty.l1
        new = np.sign(v) * np.maximum(np.abs(v) - t, 0.0)
        l1_term, zeroed = v - new, (new == 0) & (v != 0)
        if penalty.l2 > 0:
            new = new / (1.0 + lr * penalty.c * penalty.l2)
    else:
        d = g
        if penalty.l2 > 0:  # torch SGD: d = g + weight_decay * w; w = w - lr * d
            d = d + (penalty.c * penalty.l2) * w
        if penalty.l1 > 0:
            d = d + penalty.l1 * np.sign(w)
        new = w - lr * d
    projected = False
    size = math.nan
    if penalty.max_norm is not None:
        size = _l2(new)
        if size > penalty.max_norm and math.isfinite(size):
            new = new * (penalty.max_norm / size)
            projected = True
    return new, l1_term, zeroed, projected, size


def _check_lr(lr) -> float:
    lr = float(lr)
    if not (math.isfinite(lr) and lr > 0):
        raise CoreError(f"the learning rate --lr must be a finite number > 0, got {lr!r}")
    return lr


def _vector(x, name: str) -> np.ndarray:
    a = np.asarray(x, dtype=np.float64)
    if a.ndim != 1:
        a = a.ravel()
    if a.size == 0:
        raise CoreError(f"{name} is empty")
    if not np.isfinite(a).all():
        raise CoreError(f"{name} must be finite")
    return a


def _step_terms(w: np.ndarray, g: np.ndarray, lr: float, penalty: Penalty) -> Step:
    new, l1_term, zeroed, projected, size = _update(w, g, lr, penalty)
    if l1_term is None:
        l1_term = penalty.l1 * np.sign(w) if penalty.l1 > 0 else np.zeros_like(w)
        zeroed = np.zeros(w.shape, dtype=bool)
    pen_before, norm_before = penalty._value_and_norm(w)
    if np.isfinite(new).all():
        pen_after, norm_after = penalty._value_and_norm(new)
    else:
        pen_after, norm_after = math.nan, math.nan
    return Step(
        w=w, data_grad=g, l2_grad=penalty.l2_grad(w), l1_term=l1_term, new_w=new, change=new - w,
        method=penalty.method, lr=lr, projected=projected,
        unprojected_norm=size if penalty.max_norm is not None else norm_after,
        norm_before=norm_before, norm_after=norm_after, penalty_before=pen_before, penalty_after=pen_after,
        zeroed=zeroed, crossed=(np.sign(w) * np.sign(new)) < 0,
    )


def step(w, g, lr: float, penalty: Penalty) -> Step:
    """One regularized update of the weights w given the data-loss gradient g.

    Parameters
    ----------
    w : array_like, 1-D
        The weights.
    g : array_like, 1-D
        The gradient of the data loss at w (same length).
    lr : float
        The learning rate, > 0.
    penalty : Penalty

    Returns
    -------
    Step

    Raises
    ------
    CoreError
        For lr <= 0, lengths that differ, non-finite input.
    Diverged
        If the new weights are not finite.

    Notes
    -----
    With c = 1 (half) or 2 (full):

    * no L1: new w = w - lr*(g + c*lambda2*w), torch's SGD with
      ``weight_decay``; with g = 0 that is (1 - lr*c*lambda2) w, every
      weight scaled toward 0 by the same factor.
    * L1, ``subgradient``: new w = w - lr*(g + c*lambda2*w + lambda1*sign(w)).
    * L1, ``prox``: with v = w - lr*g, new w = soft(v, lr*lambda1) /
      (1 + lr*c*lambda2), soft(v, t) = sign(v) max(|v| - t, 0): the exact
      proximal step of the whole (elastic-net) penalty, which never flips
      a sign of v and sets components with |v| <= lr*lambda1 to exactly 0.
    * max-norm C: then, if ||new w||_2 > C, new w is scaled by C/||new w||_2.

    Examples
    --------
    >>> s = step([0.5, -1.2, 2.0], [0.1, 0.2, -0.3], 0.1, Penalty(l2=0.01))
    >>> s.new_w.tolist()  # 0.4895, -1.2188, 2.028 to rounding
    [0.4895, -1.2187999999999999, 2.028]
    >>> step([0.05], [0.1], 0.1, Penalty(l1=0.5)).new_w.tolist()
    [0.0]
    >>> step([0.05], [0.1], 0.1, Penalty(l1=0.5, l1_method="subgradient")).new_w.round(12).tolist()
    [-0.01]
    """
    lr = _check_lr(lr)
    w = _vector(w, "--weights")
    g = _vector(g, "--grad")
    if g.size != w.size:
        raise CoreError(f"--grad has {g.size} value(s) but --weights has {w.size}")
    s = _step_terms(w, g, lr, penalty)
    if not np.isfinite(s.new_w).all():
        raise Diverged(
            f"the step diverged (new weights not finite); the objective at the starting weights was "
            f"{s.penalty_before:.3g} (penalty); try a smaller --lr",
            1, math.nan, Record(0, None, s.penalty_before, s.penalty_before, s.norm_before), w)
    return s


# --------------------------------------------------------------------------
# The linear model
# --------------------------------------------------------------------------
def _data(X, y) -> tuple[np.ndarray, np.ndarray]:
    """X as C-contiguous float64 (no copy when it already is), y as float64 1-D."""
    X = np.ascontiguousarray(X, dtype=np.float64)
    if X.ndim == 1:
        X = X.reshape(-1, 1)
    if X.ndim != 2:
        raise CoreError(f"X must be a 2-D array (rows are samples), got {X.ndim}-D")
    y = np.ascontiguousarray(y, dtype=np.float64).ravel()
    if X.shape[0] == 0 or X.shape[1] == 0:
        raise CoreError("X is empty")
    if y.size != X.shape[0]:
        raise CoreError(f"y has {y.size} value(s) but X has {X.shape[0]} row(s)")
    return X, y


def _weights_for(X: np.ndarray, w, name: str = "--weights") -> np.ndarray:
    w = _vector(w, name)
    if w.size != X.shape[1]:
        raise CoreError(f"X has {X.shape[1]} column(s) but {name} has {w.size} value(s)")
    return w


def _half_mean_square(r: np.ndarray) -> float:
    """(1/2n)||r||^2; rescaled only when the plain dot product overflows."""
    n = r.size
    with np.errstate(over="ignore", invalid="ignore"):
        s = float(np.dot(r, r))
    if math.isfinite(s):
        return s / (2 * n)
    peak = float(np.max(np.abs(r)))
    if not math.isfinite(peak):
        return s
    q = r / peak
    with np.errstate(over="ignore"):
        return float(peak * (peak * (float(np.dot(q, q)) / (2 * n))))


def linear_loss_grad(X, y, w, b: float | None = None):
    """The data loss (1/2n)||Xw + b - y||^2 of a linear model and its gradient.

    Parameters
    ----------
    X : array_like, (n, d)
    y : array_like, (n,)
    w : array_like, (d,)
    b : float, optional
        The intercept; None for a model without one.

    Returns
    -------
    loss : float
    grad_w : ndarray, (d,)
        X^T r / n with r = Xw + b - y.
    grad_b : float or None
        mean(r), or None when b is None.
    residual : ndarray, (n,)
        r.

    Examples
    --------
    >>> loss, gw, gb, r = linear_loss_grad([[1.0, 0.0], [0.0, 2.0]], [1.0, 1.0], [0.0, 1.0], b=0.5)
    >>> loss, gw.tolist(), gb, r.tolist()
    (0.625, [-0.25, 1.5], 0.5, [-0.5, 1.5])
    """
    X, y = _data(X, y)
    w = _weights_for(X, w)
    r = X @ w
    if b is not None:
        r += float(b)
    r -= y
    n = X.shape[0]
    grad_w = X.T @ r
    grad_w /= n
    grad_b = float(r.mean()) if b is not None else None
    return _half_mean_square(r), grad_w, grad_b, r


def _centered_gram(X: np.ndarray, y: np.ndarray, intercept: bool):
    """X^T X and X^T y (of the centered data with an intercept), block by block."""
    d = X.shape[1]
    if not intercept:
        return X.T @ X, X.T @ y, None, None
    xbar = X.mean(axis=0)
    ybar = float(y.mean())
    G = np.zeros((d, d))
    h = np.zeros(d)
    for i in range(0, X.shape[0], _BLOCK):
        block = X[i:i + _BLOCK] - xbar
        G += block.T @ block
        h += block.T @ (y[i:i + _BLOCK] - ybar)
    return G, h, xbar, ybar


def ridge_solve(X, y, penalty: Penalty, intercept: bool = False):
    """The exact minimizer of (1/2n)||Xw + b - y||^2 + the L2 penalty.

    Parameters
    ----------
    X : array_like, (n, d)
    y : array_like, (n,)
    penalty : Penalty
        Only its L2 part (and convention) is used; L1 has no closed form.
    intercept : bool
        Fit an unpenalized intercept b (else b is None).

    Returns
    -------
    w : ndarray, (d,)
        (X^T X + n c lambda2 I)^-1 X^T y, with X and y centered when there is
        an intercept.
    b : float or None
        ybar - xbar . w with an intercept.

    Raises
    ------
    CoreError
        With L1 in the penalty, or when lambda2 = 0 and X has rank < d (the
        minimizer is not unique).

    Notes
    -----
    The Gram matrix A = X^T X + n c lambda2 I is formed in blocks (no copy of
    X) and decomposed with ``numpy.linalg.eigh``; when cond(A) <= 1e6 the
    solution is taken from that decomposition (relative error of order
    cond(A) * eps). Otherwise the normal equations would lose too many
    digits, and the equivalent least-squares problem
    [X; sqrt(n c lambda2) I] w ~ [y; 0] is solved with ``numpy.linalg.lstsq``
    (SVD), whose error grows only with cond(X). The max-norm constraint is
    not part of this solution.

    Examples
    --------
    >>> w, b = ridge_solve([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]], [1.0, 2.0, 3.0], Penalty())
    >>> w.round(12).tolist(), b
    ([1.0, 2.0], None)
    >>> w, b = ridge_solve([[1.0], [2.0], [3.0]], [3.0, 5.0, 7.0], Penalty(l2=0.0), intercept=True)
    >>> round(float(w[0]), 12), round(b, 12)
    (2.0, 1.0)
    """
    if penalty.l1 > 0:
        raise CoreError("there is no closed form with --l1 (the L1 penalty); use --steps to iterate")
    X, y = _data(X, y)
    n, d = X.shape
    if not (np.isfinite(X).all() and np.isfinite(y).all()):
        raise CoreError("X and y must be finite")
    G, h, xbar, ybar = _centered_gram(X, y, intercept)

    def least_squares(lam: float):
        Xc = X - xbar if intercept else X
        yc = y - ybar if intercept else y
        if lam > 0:
            Xa = np.vstack([Xc, math.sqrt(lam) * np.eye(d)])
            ya = np.concatenate([yc, np.zeros(d)])
        else:
            Xa, ya = Xc, yc
        w, _, rank, _ = np.linalg.lstsq(Xa, ya, rcond=None)
        return w, rank

    return ridge_from_gram(G, h, xbar, ybar, n, penalty, intercept, least_squares)


def ridge_from_gram(G: np.ndarray, h: np.ndarray, xbar, ybar, n: int, penalty: Penalty, intercept: bool,
                    least_squares):
    """:func:`ridge_solve` from the (centered) Gram matrix G = X^T X, h = X^T y and the means (None without an
    intercept), as merged sums give them; ``least_squares(lam)`` -> (w, rank) solves
    [X; sqrt(lam) I] w ~ [y; 0] when G is too ill-conditioned for the normal equations (from the rows, or from
    the triangular factor of a distributed QR: :func:`ridge_from_triangle`)."""
    d = G.shape[0]
    lam = n * penalty.c * penalty.l2
    A = G + lam * np.eye(d)
    evals, evecs = np.linalg.eigh(A)
    top = float(evals[-1])
    low = float(evals[0])
    if low > 0 and top <= _GRAM_COND_LIMIT * low:
        w = evecs @ ((evecs.T @ h) / evals)
    else:
        w, rank = least_squares(lam)
        if rank < d:
            what = "the centered X" if intercept else "X"
            raise CoreError(
                f"--solve: the system is singular: {what} has rank {rank} < {d} column(s) and the L2 strength "
                f"is 0, so the minimizer is not unique; give --l2 > 0")
    b = float(ybar - xbar @ w) if intercept else None
    return w, b


def ridge_from_triangle(R: np.ndarray, lam: float):
    """(w, rank) of [X; sqrt(lam) I] w ~ [y; 0] from R, the triangular factor of the QR decomposition of
    [X y] (d + 1 columns): ||X w - y||^2 = ||R_x w - r||^2 + a constant, so the rows of X are not needed."""
    d = R.shape[1] - 1
    Rx, r = R[:, :d], R[:, d]
    if lam > 0:
        Rx = np.vstack([Rx, math.sqrt(lam) * np.eye(d)])
        r = np.concatenate([r, np.zeros(d)])
    w, _, rank, _ = np.linalg.lstsq(Rx, r, rcond=None)
    return w, rank


# --------------------------------------------------------------------------
# Many steps
# --------------------------------------------------------------------------
@dataclass
class Trajectory:
    """What :func:`iterate` computed.

    Attributes
    ----------
    records : list of Record
        The state after steps 0, every, 2*every, ... and the last.
    final : Step
        The terms of the last update.
    w : ndarray
        The final weights (``final.new_w``).
    b : float or None
        The final intercept (None without one).
    steps : int
    final_loss_before, final_loss_after : float or None
        The data loss before and after the last update (None without data).
    final_b_before, final_b_grad : float or None
        The intercept before the last update and its gradient mean(r) there
        (None without an intercept).
    notes : list of str
        How the data gradient was obtained.
    """

    records: list[Record]
    final: Step
    w: np.ndarray
    b: float | None
    steps: int
    final_loss_before: float | None = None
    final_loss_after: float | None = None
    notes: list[str] = field(default_factory=list)
    final_b_before: float | None = None
    final_b_grad: float | None = None


def _diverged(k: int, objective: float, last: Record | None, last_w, weights_bad: bool) -> Diverged:
    what = f"objective {objective:.3g}" if not weights_bad else "weights not finite"
    if last is None:
        return Diverged(f"the objective is not finite at the starting weights ({what})", k, objective, None, None)
    if not math.isfinite(last.objective):
        return Diverged(f"the iteration diverged at step {k} ({what}); the objective was beyond the float64 range "
                        f"from the start; try a smaller --lr", k, objective, last, last_w)
    return Diverged(
        f"the iteration diverged at step {k} ({what}); the last finite objective was {last.objective:.3g} "
        f"at step {last.step}; try a smaller --lr", k, objective, last, last_w)


def iterate(w, lr: float, penalty: Penalty, steps: int, every: int = 1, grad=None, data=None,
            intercept: bool = False, b: float | None = None, oracle=None) -> Trajectory:
    """Run ``steps`` regularized updates and record the objective along the way.

    Parameters
    ----------
    w : array_like, 1-D
        The starting weights.
    lr : float
        Learning rate, > 0.
    penalty : Penalty
    steps : int
        Number of updates, >= 1.
    every : int
        Record the state after steps 0, every, 2*every, ... (and the last).
    grad : array_like, optional
        A fixed data gradient, used unchanged at every step.
    data : tuple (X, y), optional
        A linear model's data: the gradient of (1/2n)||Xw + b - y||^2 is
        recomputed from the current weights at every step.
    intercept : bool
        With data: also fit an unpenalized intercept.
    b : float, optional
        Its starting value (default 0).
    oracle : callable, optional
        Instead of ``data``, for data held elsewhere (a cluster's workers):
        ``oracle(w, b)`` returns (n, sum r_i^2, X^T r, sum r_i) of the
        residual r = Xw + b - y, sums that any partitioning of the rows
        merges; ``oracle.features`` is the number of columns of X.

    Returns
    -------
    Trajectory

    Raises
    ------
    Diverged
        When the objective or the weights stop being finite; it carries the
        last finite state (a CoreError too).
    CoreError
        For bad arguments.

    Notes
    -----
    Without ``grad`` and ``data`` the data gradient is 0 (only the penalty
    acts). Each step's residual r = Xw + b - y gives both the gradient and
    the loss of the same iterate, so a step costs two passes over X, as a
    hand-written gradient-descent loop does; X is used in place when it is
    already C-contiguous float64.

    Examples
    --------
    >>> t = iterate([1.0, -2.0], 0.5, Penalty(l2=0.2), steps=3)
    >>> t.w.tolist(), [r.step for r in t.records]
    ([0.7290000000000001, -1.4580000000000002], [0, 1, 2, 3])
    >>> X = [[1.0, 0.0], [0.0, 1.0]]; y = [1.0, 2.0]
    >>> t = iterate([0.0, 0.0], 1.0, Penalty(), steps=40, every=20, data=(X, y))
    >>> t.w.round(9).tolist(), [r.step for r in t.records]
    ([1.0, 2.0], [0, 20, 40])
    """
    lr = _check_lr(lr)
    steps_i = int(steps)
    every_i = int(every)
    if steps_i != steps or steps_i < 1:
        raise CoreError(f"--steps must be a whole number >= 1, got {steps!r}")
    if every_i != every or every_i < 1:
        raise CoreError(f"--every must be a whole number >= 1, got {every!r}")
    if grad is not None and (data is not None or oracle is not None):
        raise CoreError("give either a fixed --grad or data, not both")
    if intercept and data is None and oracle is None:
        raise CoreError("an intercept needs data (X, y)")
    if b is not None and not intercept:
        raise CoreError("a starting intercept b needs intercept=True")
    w = _vector(w, "--weights").copy()
    notes: list[str] = []
    if data is not None:
        X, y = _data(*data)
        w = _weights_for(X, w)
        n = X.shape[0]
        r = np.empty(n)
        XT = X.T
        b = float(b or 0.0) if intercept else None
    elif oracle is not None:
        X = y = r = XT = None
        if w.size != oracle.features:
            raise CoreError(f"X has {oracle.features} column(s) but --weights has {w.size} value(s)")
        b = float(b or 0.0) if intercept else None
    else:
        X = y = r = XT = None
        if grad is None:
            g = np.zeros_like(w)
            notes.append("no data gradient: only the penalty acts on the weights")
        else:
            g = _vector(grad, "--grad")
            if g.size != w.size:
                raise CoreError(f"--grad has {g.size} value(s) but --weights has {w.size}")
            notes.append("the data gradient is held fixed: the same --grad is used at every step "
                         "(it is not recomputed from the weights; give data for that); without data the "
                         "objective is the penalty alone")
        b = None

    def record(k: int, loss_k, w_k: np.ndarray) -> Record:
        pen, size = penalty._value_and_norm(w_k)
        return Record(k, loss_k, pen, (loss_k if loss_k is not None else 0.0) + pen, size)

    records: list[Record] = []
    prev = None  # (step, loss, w) of the last finite state, turned into a Record only when needed
    loss = None
    final = None
    loss_before = None
    b_before = b_grad = None
    finite_seen = False
    with np.errstate(over="ignore", invalid="ignore"):  # overflow shows as a non-finite objective: Diverged
        for k in range(steps_i + 1):
            if X is not None:
                np.matmul(X, w, out=r)
                if b is not None:
                    r += b
                r -= y
                loss = _half_mean_square(r)
                objective = loss + penalty._value_fast(w)
            elif oracle is not None:
                n, squares, xtr, rsum = oracle(w, b)
                loss = squares / (2 * n)
                objective = loss + penalty._value_fast(w)
            else:
                objective = penalty._value_fast(w)
            weights_bad = not np.isfinite(w).all()
            # An objective beyond the float64 range at finite starting weights (1e300 under L2) is no
            # divergence: the steps still shrink them. It diverges when the weights overflow, when the
            # objective is nan, or when an objective that was finite overflows.
            if k == 0 and math.isinf(objective) and not weights_bad:
                notes.append("the objective exceeds the float64 range at the starting weights (shown as inf)")
            elif weights_bad or math.isnan(objective) or (math.isinf(objective) and finite_seen):
                last = record(*prev) if prev is not None else None
                raise _diverged(k, math.nan if weights_bad else objective, last, prev[2] if prev else None,
                                weights_bad)
            finite_seen = finite_seen or math.isfinite(objective)
            if k % every_i == 0 or k == steps_i:
                records.append(record(k, loss, w))
            prev = (k, loss, w)
            if k == steps_i:
                break
            if X is not None:
                g = XT @ r
                g /= n
            elif oracle is not None:
                g = xtr / n
            if k == steps_i - 1:
                final = _step_terms(w, g, lr, penalty)
                loss_before = loss
                w = final.new_w
            else:
                w = _update(w, g, lr, penalty)[0]
            if b is not None:
                b_before, b_grad = b, float(r.mean()) if oracle is None else rsum / n
                b = b - lr * b_grad
    return Trajectory(records, final, w, b, steps_i, loss_before, loss, notes, b_before, b_grad)


# --------------------------------------------------------------------------
# Results for the `regstep` command
# --------------------------------------------------------------------------
def _arrow(before, after) -> str:
    return f"{before!r} -> {after!r}"


def _step_table(s: Step, penalty: Penalty, title: str, labels, intercept=None, solution=None) -> Result:
    """``intercept``: (b before, its gradient, b after) for a last row; ``solution``: (w*, b*) for a column."""
    n = s.w.size
    labels = [str(i) for i in range(1, n + 1)] if labels is None else [str(x) for x in labels]
    if len(labels) != n:
        raise CoreError(f"{len(labels)} label(s) for {n} weight(s)")
    columns = ["w", "data grad"]
    cols = [s.w.tolist(), s.data_grad.tolist()]
    if penalty.l2 > 0:
        columns.append("L2 grad")
        cols.append(s.l2_grad.tolist())
    if penalty.l1 > 0:
        columns.append("L1 shrink" if s.method == "prox" else "L1 subgradient")
        cols.append(s.l1_term.tolist())
    columns += ["new w", "change"]
    cols += [s.new_w.tolist(), s.change.tolist()]
    if solution is not None:
        columns.append("ridge w*")
        cols.append(np.asarray(solution[0], dtype=np.float64).tolist())
    marks = ["set to 0" if z else "crossed 0" if c else "" for z, c in zip(s.zeroed.tolist(), s.crossed.tolist())]
    if any(marks):
        columns.append("note")
        cols.append(marks)
    rows = [tuple(row) for row in zip(labels, *cols)]
    if intercept is not None:  # unpenalized: only the data gradient moves it
        b0, gb, b1 = intercept
        name = "b" if "b" not in labels else "(intercept)"
        values = {"w": b0, "data grad": gb, "L2 grad": 0.0, "new w": b1, "change": b1 - b0,
                  "L1 shrink": 0.0, "L1 subgradient": 0.0, "note": "intercept, not penalized"}
        if solution is not None:
            values["ridge w*"] = solution[1]
        rows.append((name, *(values[c] for c in columns)))
    # The terminal shows 10 significant digits (-1.2188, not -1.2187999999999999); plain/csv/json are exact.
    return Result(title, columns, rows=rows, label="i", plain=[columns.index("new w")],
                  highlight=[i for i, m in enumerate(marks) if m], digits=10)


def _step_notes(s: Step, penalty: Penalty, loss_before=None, loss_after=None) -> list[str]:
    notes = [f"||w||_2: {_arrow(s.norm_before, s.norm_after)}",
             f"penalty: {_arrow(s.penalty_before, s.penalty_after)}"]
    if loss_before is not None and loss_after is not None:
        notes.append(f"data loss (1/2n)||Xw + b - y||^2: {_arrow(float(loss_before), float(loss_after))}")
        notes.append("objective (loss + penalty): "
                     f"{_arrow(float(loss_before) + s.penalty_before, float(loss_after) + s.penalty_after)}")
    notes.append(penalty.description)
    notes.append(f"update: {penalty.formula()}.")
    if s.method == "prox" and penalty.l2 > 0:
        notes.append("the L2 grad column is the L2 gradient at the old weights, for reference: the prox applies "
                     "L2 implicitly (the division), so the change is not -lr*(data grad + L2 grad) - L1 shrink")
    elif s.method == "prox":
        notes.append("L1 shrink: how far the soft-threshold moved w - lr*g toward 0 (at most lr*lambda1)")
    if penalty.l2 > 0:
        if s.method == "prox":
            factor, how = 1 / (1 + s.lr * penalty.c * penalty.l2), "1/(1 + lr*c*lambda2)"
        else:
            factor, how = 1 - s.lr * penalty.c * penalty.l2, "1 - lr*c*lambda2"
        if factor > 0:
            away = int(np.count_nonzero(np.abs(s.new_w) > np.abs(s.w)))
            moved = (f"; the data gradient outweighs it for {away} of {s.w.size} weight(s), which moved away "
                     f"from 0 (see the change column)" if away else "")
            notes.append(f"the L2 term alone scales every weight by the same factor ({how} = {factor!r}, "
                         f"c = {penalty.c:g}), pulling negative weights up toward 0 as it pulls positive ones "
                         f"down; it does not subtract lambda*||w|| from each weight{moved}")
        else:
            rate = s.lr * penalty.c * penalty.l2
            notes.append(f"lr*c*lambda2 = {rate!r} >= 1: the L2 factor {how} = {factor!r} is not positive, so the "
                         f"step overshoots 0 and flips every weight's sign"
                         + ("; above 2 the weights grow and repeated steps diverge" if rate > 2 else "")
                         + " (take a smaller --lr)")
    if s.method == "subgradient" and s.crossed.any():
        notes.append(f"{int(s.crossed.sum())} weight(s) crossed 0: the L1 subgradient overshoots; "
                     f"--l1-method prox stops them at exactly 0")
    if s.zeroed.any():
        notes.append(f"{int(s.zeroed.sum())} weight(s) set to exactly 0 by the soft-threshold (|w - lr*g| <= "
                     f"lr*lambda1)")
    if penalty.max_norm is not None:
        if s.projected:
            notes.append(f"max-norm: ||new w||_2 was {s.unprojected_norm!r} > {penalty.max_norm!r}, so the "
                         f"weights were scaled onto the ball (by {penalty.max_norm / s.unprojected_norm!r})")
        else:
            notes.append(f"max-norm: no projection needed (||new w||_2 = {s.unprojected_norm!r} <= "
                         f"{penalty.max_norm!r})")
    return notes


def step_result(step: Step, penalty: Penalty, lr: float, labels=None, loss_before: float | None = None,
                loss_after: float | None = None, intercept=None, solution=None) -> Result:
    """One row per weight: w, the data gradient, the penalty's terms, new w, the change.

    Plain output is the new weights, one per line. Columns for L2 (L1) are
    left out when its strength is 0; a ``note`` column appears when a weight
    was set to 0 or crossed 0.

    Examples
    --------
    >>> pen = Penalty(l2=0.01)
    >>> r = step_result(step([0.5, -1.2], [0.1, 0.2], 0.1, pen), pen, 0.1)
    >>> r.title, r.columns, r.plain
    ('regularized step (lr 0.1, L2 0.01, half convention)', ['w', 'data grad', 'L2 grad', 'new w', 'change'], [3])
    >>> r.rows[0]
    ('1', 0.5, 0.1, 0.005, 0.4895, -0.01050000000000001)
    """
    title = f"regularized step ({penalty.title(lr)})"
    result = _step_table(step, penalty, title, labels, intercept, solution)
    result.notes = _step_notes(step, penalty, loss_before, loss_after)
    if loss_before is not None and loss_after is not None:
        before, after = float(loss_before) + step.penalty_before, float(loss_after) + step.penalty_after
        if after > before:
            result.warnings.append(f"the objective grew in this step ({_arrow(before, after)}): the step "
                                   f"overshoots the minimum; --lr {lr!r} may be too large (try a smaller --lr)")
    return result


def trajectory_result(traj: Trajectory, penalty: Penalty, lr: float, labels=None, solution=None) -> Result:
    """The final weights (as :func:`step_result`, for the last update) and the trajectory table.

    Plain output is the final weights, one per line; the trajectory (step,
    loss, penalty, objective, ||w||_2) is the ``extra`` table.

    Examples
    --------
    >>> pen = Penalty(l2=0.2)
    >>> r = trajectory_result(iterate([1.0, -2.0], 0.5, pen, steps=2), pen, 0.5)
    >>> r.title
    '2 regularized steps (lr 0.5, L2 0.2, half convention): the last one'
    >>> [(row[0], row[1], round(row[3], 12)) for row in r.extra[0].rows]  # step, loss, objective
    [(0, None, 0.5), (1, None, 0.405), (2, None, 0.32805)]
    """
    title = f"{traj.steps} regularized steps ({penalty.title(lr)}): the last one"
    intercept = None if traj.b is None else (traj.final_b_before, traj.final_b_grad, traj.b)
    result = _step_table(traj.final, penalty, title, labels, intercept, solution)
    first, last = traj.records[0], traj.records[-1]
    notes = [f"over {traj.steps} step(s): objective {_arrow(first.objective, last.objective)}; "
             f"||w||_2 {_arrow(first.norm, last.norm)}"]
    notes += traj.notes
    notes += [f"last step: {n}" if n.startswith(("||w||_2", "penalty", "data loss", "objective")) else n
              for n in _step_notes(traj.final, penalty, traj.final_loss_before, traj.final_loss_after)]
    result.notes = notes
    growth = divergence(traj, lr)
    if growth:
        result.warnings.append(growth)
    rows = [(rec.step, rec.loss, rec.penalty, rec.objective, rec.norm) for rec in traj.records]
    every = traj.records[1].step - traj.records[0].step if len(traj.records) > 2 else 1
    title = "trajectory" + (f" (every {every} steps, and the last)" if every > 1 else "")
    result.extra = [Result(title, ["loss", "penalty", "objective", "||w||_2"], rows=rows, label="step", digits=10)]
    return result


def thin_records(traj: Trajectory, every: int) -> list:
    """Keep in ``traj`` the records of every ``every``-th step (and the last); return all of them.

    The trajectory is recorded more densely than its table shows when a
    picture is drawn (:func:`normcli.core.pictures.plot_every`): the table
    keeps its rows, the picture gets the returned points.
    """
    records = traj.records
    traj.records = [r for r in records if r.step % every == 0 or r.step == traj.steps]
    return records


def divergence(traj: Trajectory, lr: float) -> str | None:
    """A warning when the objective ended higher than it started, else None.

    Gradient descent with a step size below 2 / L (L the largest curvature)
    never increases the objective of a convex smooth problem, so a net
    increase means --lr is too large (or, with an L1 subgradient, that the
    steps oscillate).

    Examples
    --------
    >>> pen = Penalty(l2=1.0)
    >>> print(divergence(iterate([1.0], 3.0, pen, steps=4), 3.0))  # doctest: +NORMALIZE_WHITESPACE
    the objective grew over 4 steps (0.5 -> 128.0) and has not converged: the iteration diverges;
    --lr 3.0 is too large (try a smaller --lr)
    >>> divergence(iterate([1.0], 0.5, pen, steps=4), 0.5) is None
    True
    """
    first, last = traj.records[0].objective, traj.records[-1].objective
    if not (math.isfinite(first) and math.isfinite(last)) or last <= first:
        return None
    return (f"the objective grew over {traj.steps} steps ({_arrow(first, last)}) and has not converged: the "
            f"iteration diverges; --lr {lr!r} is too large (try a smaller --lr)")


def solution_notes(w_star, b_star, penalty: Penalty, loss: float, w) -> list[str]:
    """How far the iterate w is from the closed-form ridge solution, and the objective there (``loss``: the
    data loss at w*, ``linear_loss_grad(X, y, w_star, b_star)[0]``)."""
    gap = norm(np.asarray(w, dtype=np.float64) - w_star)
    c = "" if penalty.c == 1 else "2"
    notes = [f"ridge w* = (X^T X + {c}n lambda I)^-1 X^T y{' on centered data' if b_star is not None else ''}: "
             f"objective {loss + penalty.value(w_star)!r}; ||new w - w*||_2 = {gap!r}"]
    if penalty.max_norm is not None:
        notes.append("w* ignores --max-norm (it is the unconstrained minimizer), so the iterate need not approach it")
    return notes
