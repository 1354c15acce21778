"""Backpropagation through a network with one hidden layer, every term of the chain rule kept.

The network of the classic teaching example: inputs x_1..x_I, hidden units
h = g(a) with a = W x + b1 (W is H x I, one row per hidden unit), outputs
y = f(a') with a' = U h + b2 (U is O x H, one row per output), targets t.
For the loss L = 1/2 ||y - t||_2^2 and sigmoid units the chain rule gives

* output layer: dL/du_jk = (y_k - t_k) y_k (1 - y_k) h_j = delta_k h_j,
* hidden layer: dL/dw_ij = sum_k delta_k u_jk h_j (1 - h_j) x_i = delta_j x_i,

where w_ij joins x_i to h_j (row j, column i of W) and u_jk joins h_j to
y_k (row k, column j of U). In general a unit's delta is dL/da =
dL/d(value) * f'(a): dL/dy_k comes from the loss, dL/dh_j = sum_k delta_k
u_jk from the layer above. Every gradient is a delta times the value the
weight carries (x_i, h_j, or 1 for a bias).

Conventions, the ones of torch (so ``torch.optim.SGD`` reproduces every step):

* ``l2`` loss 1/2 ||y - t||^2, ``sse`` ||y - t||^2, ``mse`` the mean of
  (y_k - t_k)^2 over the outputs; a batch's loss is the mean over its
  samples, and so is each gradient.
* ReLU's derivative at a = 0 is 0 (a subgradient; such components are
  marked, and :func:`check` does not fail on them).
* Weight decay ``lambda`` is regularize's L2 penalty: ``half`` convention
  (lambda/2)||theta||^2, gradient lambda*theta (torch SGD ``weight_decay``),
  ``full`` lambda||theta||^2, gradient 2 lambda theta. It applies to W and U;
  biases only with ``decay_biases`` (torch decays every parameter handed to
  the optimizer; give the biases their own group with ``weight_decay=0`` to
  match the default here).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from . import grads
from .errors import CoreError
from .norms import norm
from .precision import EXT
from .regularize import Penalty
from .result import Result

LOSSES = ("l2", "sse", "mse")
ACTIVATIONS = ("sigmoid", "tanh", "relu")
OUTPUT_ACTIVATIONS = ("sigmoid", "tanh", "relu", "linear")
TOLERANCE = grads.TOLERANCE

#: Significant digits of the terminal tables (plain, csv and json are exact).
_DIGITS = 6

#: The loss, its derivative with respect to y_k, in words.
_LOSS_TEXT = {
    "l2": ("1/2 ||y - t||_2^2", "y_k - t_k"),
    "sse": ("||y - t||_2^2", "2 (y_k - t_k)"),
    "mse": ("(1/m) ||y - t||_2^2 (mean over the m outputs)", "2 (y_k - t_k) / m"),
}
#: f'(a) in terms of the unit's value v = f(a).
_SLOPE_TEXT = {
    "sigmoid": "{v} (1 - {v}) (sigmoid)",
    "tanh": "1 - {v}^2 (tanh)",
    "relu": "1 if a > 0, else 0 (relu; 0 at a = 0, as torch)",
    "linear": "1 (linear)",
}


def _num(x) -> str:
    x = float(x)
    return f"{x:g}" if float(f"{x:g}") == x else repr(x)


# --------------------------------------------------------------------------
# The network
# --------------------------------------------------------------------------
def _matrix(a, name: str) -> np.ndarray:
    a = np.array(a, dtype=np.float64)
    if a.ndim == 1:
        a = a.reshape(1, -1)
    if a.ndim != 2 or a.size == 0:
        raise CoreError(f"{name} must be a non-empty matrix, got shape {a.shape}")
    if not np.isfinite(a).all():
        raise CoreError(f"{name} must be finite")
    return a


def _shape(a: np.ndarray) -> str:
    return "x".join(map(str, a.shape))


@dataclass
class Network:
    """Weights and activations of a network with one hidden layer.

    Parameters
    ----------
    w1 : array_like, (H, I)
        W, input to hidden: one row per hidden unit, one column per input.
    w2 : array_like, (O, H)
        U, hidden to output: one row per output, one column per hidden unit.
    b1 : array_like, (H,), optional
        Hidden biases; None for a layer without (0, never updated).
    b2 : array_like, (O,), optional
        Output biases; None for a layer without.
    activation : {"sigmoid", "tanh", "relu"}
        g, the hidden units' activation.
    output_activation : {"sigmoid", "tanh", "relu", "linear"}
        f, the outputs' activation.

    Raises
    ------
    CoreError
        For shapes that do not fit together (naming both), non-finite
        weights or an unknown activation.

    Examples
    --------
    >>> net = Network([[0.1, 0.2], [0.3, 0.4], [0.5, 0.6]], [[0.1, 0.2, 0.3], [0.4, 0.5, 0.6]])
    >>> net.sizes
    (2, 3, 2)
    >>> Network([[0.1, 0.2], [0.3, 0.4]], [[0.1, 0.2, 0.3]])
    Traceback (most recent call last):
    ...
    normcli.core.errors.CoreError: U (--w2) is 1x3 (outputs x hidden units) but W (--w1) is 2x2 (hidden units x \
inputs): U needs one column per hidden unit (2)
    """

    w1: np.ndarray
    w2: np.ndarray
    b1: np.ndarray | None = None
    b2: np.ndarray | None = None
    activation: str = "sigmoid"
    output_activation: str = "sigmoid"

    def __post_init__(self) -> None:
        if self.activation not in ACTIVATIONS:
            raise CoreError(f"unknown hidden activation {self.activation!r}; use one of {', '.join(ACTIVATIONS)}")
        if self.output_activation not in OUTPUT_ACTIVATIONS:
            raise CoreError(f"unknown output activation {self.output_activation!r}; use one of "
                            f"{', '.join(OUTPUT_ACTIVATIONS)}")
        self.w1 = _matrix(self.w1, "W (--w1)")
        self.w2 = _matrix(self.w2, "U (--w2)")
        hidden = self.w1.shape[0]
        if self.w2.shape[1] != hidden:
            raise CoreError(f"U (--w2) is {_shape(self.w2)} (outputs x hidden units) but W (--w1) is "
                            f"{_shape(self.w1)} (hidden units x inputs): U needs one column per hidden unit "
                            f"({hidden})")
        for name, attr, rows, of in (("b1 (--b1)", "b1", self.w1, "hidden unit"), ("b2 (--b2)", "b2", self.w2,
                                                                                     "output")):
            b = getattr(self, attr)
            if b is None:
                continue
            b = np.array(b, dtype=np.float64).ravel()
            matrix = "W (--w1)" if attr == "b1" else "U (--w2)"
            if b.size != rows.shape[0]:
                raise CoreError(f"{name} has {b.size} value(s) but {matrix} is {_shape(rows)}: one per {of} "
                                f"({rows.shape[0]})")
            if not np.isfinite(b).all():
                raise CoreError(f"{name} must be finite")
            setattr(self, attr, b)

    @property
    def sizes(self) -> tuple[int, int, int]:
        """(inputs, hidden units, outputs)."""
        return self.w1.shape[1], self.w1.shape[0], self.w2.shape[0]

    def params(self) -> list[tuple[str, np.ndarray]]:
        """The trained parameters, in the order of plain output: W, U, then b1 and b2 where present."""
        out = [("W", self.w1), ("U", self.w2)]
        out += [(name, b) for name, b in (("b1", self.b1), ("b2", self.b2)) if b is not None]
        return out

    def flat(self) -> np.ndarray:
        """Every parameter in one vector, in the order of :meth:`params` (matrices row by row)."""
        return np.concatenate([p.ravel() for _, p in self.params()])

    def unflat(self, theta) -> dict:
        """The parameter arrays of a vector laid out as :meth:`flat` (any float dtype), by name."""
        out, at = {}, 0
        for name, p in self.params():
            out[name] = theta[at:at + p.size].reshape(p.shape)
            at += p.size
        return out

    def with_params(self, values: dict) -> "Network":
        """The same network with the parameters in ``values`` (by name) replaced."""
        names = {"W": "w1", "U": "w2", "b1": "b1", "b2": "b2"}
        return replace(self, **{names[k]: v for k, v in values.items()})


def _activate(name: str, a):
    with np.errstate(over="ignore"):
        if name == "sigmoid":
            return 1 / (1 + np.exp(-a))
        if name == "tanh":
            return np.tanh(a)
        if name == "relu":
            return np.where(a > 0, a, np.zeros_like(a))  # +0 where a <= 0, as torch
        return a.copy()  # linear


def _slope(name: str, a, v):
    """f'(a) from a and v = f(a), as torch's backward computes it."""
    if name == "sigmoid":
        return v * (1 - v)
    if name == "tanh":
        return 1 - v * v
    if name == "relu":
        return (a > 0).astype(a.dtype)
    return np.ones_like(a)


def _samples(x, columns: int, name: str, matrix: str, what: str) -> np.ndarray:
    x = np.array(x, dtype=np.float64)
    if x.ndim <= 1:
        x = x.reshape(1, -1)
    if x.ndim != 2 or x.size == 0:
        raise CoreError(f"{name} must be a vector or a matrix of samples (one per row), got shape {x.shape}")
    if x.shape[1] != columns:
        has = f"{x.shape[1]} value(s)" if x.shape[0] == 1 else f"{x.shape[1]} column(s)"
        raise CoreError(f"{name} has {has} but {matrix}: one per {what} ({columns})")
    if not np.isfinite(x).all():
        raise CoreError(f"{name} must be finite")
    return x


def _batch(net: Network, x, t) -> tuple[np.ndarray, np.ndarray]:
    """x and t as 2-D arrays of samples (one per row) that fit the network."""
    ni, _, no = net.sizes
    x = _samples(x, ni, "x (--input)", f"W (--w1) is {_shape(net.w1)} (hidden units x inputs)", "input")
    t = _samples(t, no, "t (--target)", f"U (--w2) is {_shape(net.w2)} (outputs x hidden units)", "output")
    if x.shape[0] != t.shape[0]:
        raise CoreError(f"x has {x.shape[0]} sample(s) but t has {t.shape[0]}")
    return x, t


def _product(a, b):
    """a @ b as a person writes it: each product rounded, then added left to right (sum_k a_ik b_kj).

    BLAS may fuse a multiply and an add, or split the sum, depending on the CPU; this gives the same bits
    on every machine, and the shown terms add up to the shown sums."""
    a, b = np.asarray(a), np.asarray(b)
    if a.shape[1] == 0:
        return np.zeros((a.shape[0], b.shape[1]), dtype=np.result_type(a, b))
    out = a[:, :1] * b[:1, :]
    for k in range(1, a.shape[1]):
        out += a[:, k:k + 1] * b[k:k + 1, :]
    return out


def _forward(params: dict, x, hidden: str, output: str):
    """(a, h, a', y) for the samples in the rows of x, in the dtype of the arrays given."""
    a1 = _product(x, params["W"].T)
    if "b1" in params:
        a1 = a1 + params["b1"]
    h = _activate(hidden, a1)
    a2 = _product(h, params["U"].T)
    if "b2" in params:
        a2 = a2 + params["b2"]
    return a1, h, a2, _activate(output, a2)


def _loss(y, t, loss: str):
    """The loss of each sample (a 1-D array) in the dtype of y."""
    r = y - t
    with np.errstate(over="ignore", invalid="ignore"):
        s = (r * r).sum(axis=1)
    if loss == "l2":
        return s / 2
    if loss == "mse":
        return s / y.shape[1]
    return s


def _loss_slope(y, t, loss: str):
    """dL/dy of each sample's loss."""
    r = y - t
    if loss == "l2":
        return r
    if loss == "sse":
        return 2 * r
    return 2 * r / y.shape[1]


# --------------------------------------------------------------------------
# One forward and backward pass
# --------------------------------------------------------------------------
@dataclass
class Pass:
    """The forward and the backward pass at one point, every term of the chain rule.

    Arrays have one row per sample. ``dy`` is dL/dy of each sample's own
    loss, ``fy`` f'(a') and ``delta_out`` their product; ``dh`` is
    delta_out U (dL/dh), ``fh`` g'(a) and ``delta_hidden`` their product.
    ``grads`` maps each parameter name (as :meth:`Network.params`) to the
    gradient of the batch's loss, the mean over the samples of delta times
    the value each weight carries. ``loss`` is that mean loss.
    """

    x: np.ndarray
    t: np.ndarray
    a_hidden: np.ndarray
    h: np.ndarray
    a_out: np.ndarray
    y: np.ndarray
    dy: np.ndarray
    fy: np.ndarray
    delta_out: np.ndarray
    dh: np.ndarray
    fh: np.ndarray
    delta_hidden: np.ndarray
    grads: dict
    loss: float


def backward(net: Network, x, t, loss: str = "l2") -> Pass:
    """The forward pass, the deltas and every gradient of the loss at the network's weights.

    Parameters
    ----------
    net : Network
    x : array_like, (I,) or (n, I)
        One sample, or a batch with one sample per row.
    t : array_like, (O,) or (n, O)
        The targets.
    loss : {"l2", "sse", "mse"}
        1/2 ||y - t||^2, ||y - t||^2, or the mean of (y_k - t_k)^2 over the
        outputs; a batch's loss is the mean over its samples.

    Returns
    -------
    Pass

    Notes
    -----
    delta_out = dL/dy * f'(a'), delta_hidden = (delta_out U) * g'(a);
    dL/dU = delta_out^T h / n, dL/dW = delta_hidden^T x / n, dL/db2 and
    dL/db1 the mean deltas. For one sample each gradient component is the
    one product delta * value, so it is exactly what a hand computation
    rounds to.

    Examples
    --------
    The 2-3-2 example (sigmoid units, L = 1/2 ||y - t||^2):

    >>> net = Network([[0.1, 0.2], [0.3, 0.4], [0.5, 0.6]], [[0.1, 0.2, 0.3], [0.4, 0.5, 0.6]])
    >>> p = backward(net, [1.0, 2.0], [0.0, 1.0])
    >>> p.h.round(6).tolist(), p.y.round(6).tolist()
    ([[0.622459, 0.75026, 0.845535]], [[0.614427, 0.756104]])
    >>> p.delta_out.round(6).tolist(), round(p.loss, 6)
    ([[0.145562, -0.044977]], 0.218503)
    >>> p.grads["U"].round(6).tolist()
    [[0.090606, 0.109209, 0.123077], [-0.027996, -0.033745, -0.03803]]
    """
    if loss not in LOSSES:
        raise CoreError(f"unknown loss {loss!r}; use one of {', '.join(LOSSES)}")
    x, t = _batch(net, x, t)
    params = dict(net.params())
    n = x.shape[0]
    with np.errstate(over="ignore", invalid="ignore"):
        a1, h, a2, y = _forward(params, x, net.activation, net.output_activation)
        dy = _loss_slope(y, t, loss)
        fy = _slope(net.output_activation, a2, y)
        d2 = dy * fy
        dh = _product(d2, net.w2)
        fh = _slope(net.activation, a1, h)
        d1 = dh * fh
        g = {"W": _product(d1.T, x) / n, "U": _product(d2.T, h) / n}
        if net.b1 is not None:
            g["b1"] = d1.sum(axis=0) / n
        if net.b2 is not None:
            g["b2"] = d2.sum(axis=0) / n
        value = float(_loss(y, t, loss).mean())
    return Pass(x, t, a1, h, a2, y, dy, fy, d2, dh, fh, d1, {k: g[k] for k, _ in net.params()}, value)


def kinks(net: Network, p: Pass) -> dict:
    """Where the gradient is only a subgradient: ReLU units with a = 0 exactly, by parameter name.

    A hidden unit j at its kink makes row j of W (and b1_j) a subgradient;
    an output k at its kink makes row k of U (and b2_k) one, and the W rows
    (b1 entries) of the hidden units it is joined to.

    >>> net = Network([[1.0, -0.5]], [[2.0]], activation="relu")
    >>> {k: v.tolist() for k, v in kinks(net, backward(net, [1.0, 2.0], [1.0])).items()}
    {'W': [[True, True]], 'U': [[False]]}
    """
    out = {name: np.zeros(v.shape, dtype=bool) for name, v in net.params()}
    hidden = (p.a_hidden == 0).any(axis=0) if net.activation == "relu" else np.zeros(net.sizes[1], dtype=bool)
    if net.output_activation == "relu":
        at = (p.a_out == 0).any(axis=0)
        out["U"][at, :] = True
        if "b2" in out:
            out["b2"][at] = True
        hidden = hidden | (net.w2[at] != 0).any(axis=0)
    out["W"][hidden, :] = True
    if "b1" in out:
        out["b1"][hidden] = True
    return out


# --------------------------------------------------------------------------
# Steps
# --------------------------------------------------------------------------
def penalty_for(l2: float = 0.0, convention: str = "half") -> Penalty:
    """The weight decay as regularize's :class:`~normcli.core.regularize.Penalty` (L2 only)."""
    return Penalty(l2=l2, convention=convention)


def _decayed(net: Network, decay_biases: bool) -> list[str]:
    return [name for name, _ in net.params() if decay_biases or name in ("W", "U")]


def _penalty(net: Network, penalty: Penalty, decay_biases: bool) -> float:
    if penalty.l2 == 0:
        return 0.0
    params = dict(net.params())
    return penalty.value(np.concatenate([params[k].ravel() for k in _decayed(net, decay_biases)]))


@dataclass
class Step:
    """One gradient step: the pass at the old weights, the decay terms, the new network.

    ``decay`` maps each parameter name to c*lambda*theta (zeros where it is
    not decayed); the update is theta - lr*(gradient + decay), torch's SGD.
    """

    before: Network
    terms: Pass
    decay: dict
    after: Network
    lr: float
    loss_before: float
    loss_after: float
    penalty_before: float
    penalty_after: float


def _check_lr(lr) -> float:
    lr = float(lr)
    if not (math.isfinite(lr) and lr > 0):
        raise CoreError(f"the learning rate --lr must be a finite number > 0, got {lr!r}")
    return lr


def _step(net: Network, x, t, lr: float, loss: str, penalty: Penalty, decay_biases: bool,
          before: float | None = None) -> Step:
    p = backward(net, x, t, loss)
    decayed = _decayed(net, decay_biases)
    decay, new = {}, {}
    with np.errstate(over="ignore", invalid="ignore"):
        for name, theta in net.params():
            g = p.grads[name]
            if penalty.l2 > 0 and name in decayed:  # torch SGD: d = g + weight_decay * theta; theta -= lr * d
                decay[name] = (penalty.c * penalty.l2) * theta
                g = g + decay[name]
            else:
                decay[name] = np.zeros_like(theta)
            new[name] = theta - lr * g
    if not all(np.isfinite(v).all() for v in new.values()):
        raise CoreError(f"the step diverged (new weights not finite) from loss {p.loss:.3g}; try a smaller --lr")
    after = net.with_params(new)
    loss_after = float(_loss(_forward(new, p.x, net.activation, net.output_activation)[3], p.t, loss).mean())
    pen_before = _penalty(net, penalty, decay_biases) if before is None else before
    return Step(net, p, decay, after, lr, p.loss, loss_after, pen_before, _penalty(after, penalty, decay_biases))


def step(net: Network, x, t, lr: float, loss: str = "l2", penalty: Penalty | None = None,
         decay_biases: bool = False) -> Step:
    """One step of gradient descent with backpropagated gradients (torch's ``SGD.step()``).

    Parameters
    ----------
    net : Network
    x, t : array_like
        One sample (1-D) or a batch (one sample per row); see :func:`backward`.
    lr : float
        Learning rate, > 0.
    loss : {"l2", "sse", "mse"}
    penalty : Penalty, optional
        Weight decay (only its L2 part and convention are used).
    decay_biases : bool
        Decay the biases too (torch's default for parameters given to SGD).

    Returns
    -------
    Step

    Raises
    ------
    CoreError
        For bad shapes, lr <= 0, or new weights that are not finite.

    Examples
    --------
    >>> net = Network([[0.1, 0.2], [0.3, 0.4], [0.5, 0.6]], [[0.1, 0.2, 0.3], [0.4, 0.5, 0.6]])
    >>> s = step(net, [1.0, 2.0], [0.0, 1.0], lr=0.5)
    >>> s.after.w2.round(6).tolist()
    [[0.054697, 0.145395, 0.238461], [0.413998, 0.516872, 0.619015]]
    >>> round(s.loss_before, 6), round(s.loss_after, 6)
    (0.218503, 0.199404)
    """
    return _step(net, x, t, _check_lr(lr), loss, penalty or Penalty(), decay_biases)


@dataclass
class Record:
    """The state after ``step`` updates: the loss, the decay penalty and ||W||_F, ||U||_F."""

    step: int
    loss: float
    penalty: float
    objective: float
    norm_w: float
    norm_u: float


@dataclass
class Training:
    """What :func:`train` computed: the records, the last step's terms, the final network."""

    records: list[Record]
    final: Step
    network: Network
    steps: int


def _record(k: int, loss: float, pen: float, net: Network) -> Record:
    return Record(k, loss, pen, loss + pen, norm(net.w1.ravel()), norm(net.w2.ravel()))


def train(net: Network, x, t, lr: float, steps: int = 1, every: int | None = None, loss: str = "l2",
          penalty: Penalty | None = None, decay_biases: bool = False) -> Training:
    """``steps`` steps of gradient descent, the state recorded after steps 0, every, 2*every, ... and the last.

    ``every`` defaults to 1 up to 20 steps, else to about steps / 20 (some 20 records).

    Raises
    ------
    CoreError
        As :func:`step`, and when the loss stops being finite (naming the step).

    Examples
    --------
    >>> net = Network([[0.1, 0.2], [0.3, 0.4], [0.5, 0.6]], [[0.1, 0.2, 0.3], [0.4, 0.5, 0.6]])
    >>> tr = train(net, [1.0, 2.0], [0.0, 1.0], lr=0.5, steps=3)
    >>> [(r.step, round(r.loss, 6)) for r in tr.records]
    [(0, 0.218503), (1, 0.199404), (2, 0.181363), (3, 0.164555)]
    """
    lr = _check_lr(lr)
    penalty = penalty or Penalty()
    if every is None:
        every = 1 if steps <= 20 else -(-int(steps) // 20)
    steps_i, every_i = int(steps), int(every)
    if steps_i != steps or steps_i < 1:
        raise CoreError(f"--steps must be a whole number >= 1, got {steps!r}")
    if every_i != every or every_i < 1:
        raise CoreError(f"--every must be a whole number >= 1, got {every!r}")
    records: list[Record] = []
    s = None
    pen = _penalty(net, penalty, decay_biases)
    for k in range(steps_i):
        try:
            s = _step(net, x, t, lr, loss, penalty, decay_biases, pen)
        except CoreError as exc:
            if k == 0 or "diverged" not in str(exc):
                raise
            raise CoreError(f"the iteration diverged at step {k + 1} (new weights not finite); try a smaller --lr"
                            ) from None
        if k == 0:
            if not math.isfinite(s.loss_before):
                raise CoreError("the loss is not finite at the starting weights")
            records.append(_record(0, s.loss_before, s.penalty_before, net))
        if not (math.isfinite(s.loss_after) and math.isfinite(s.penalty_after)):
            raise CoreError(f"the iteration diverged at step {k + 1} (loss {s.loss_after:.3g}); try a smaller --lr")
        net, pen = s.after, s.penalty_after
        if (k + 1) % every_i == 0 or k + 1 == steps_i:
            records.append(_record(k + 1, s.loss_after, s.penalty_after, net))
    return Training(records, s, net, steps_i)


# --------------------------------------------------------------------------
# The finite-difference check
# --------------------------------------------------------------------------
class _LossFunction:
    """The batch's loss as a function of the flat parameters, in extended precision (for :func:`grads.check`)."""

    extended = True
    homogeneous = False

    def __init__(self, net: Network, x: np.ndarray, t: np.ndarray, loss: str):
        self.net, self.loss = net, loss
        self.x, self.t = x.astype(EXT), t.astype(EXT)

    def __call__(self, theta):
        params = self.net.unflat(np.asarray(theta).astype(EXT))
        with np.errstate(over="ignore", invalid="ignore"):
            y = _forward(params, self.x, self.net.activation, self.net.output_activation)[3]
            return _loss(y, self.t, self.loss).mean()


def check(net: Network, p: Pass, loss: str = "l2", tolerance: float = TOLERANCE) -> grads.Check:
    """Every gradient of ``p`` (the pass at ``net``) against central differences of the loss.

    The loss is evaluated in extended precision; the comparison is
    :func:`normcli.core.grads.check`'s (relative error, rounding allowed for).

    >>> net = Network([[0.1, 0.2], [0.3, 0.4], [0.5, 0.6]], [[0.1, 0.2, 0.3], [0.4, 0.5, 0.6]])
    >>> chk = check(net, backward(net, [1.0, 2.0], [0.0, 1.0]))
    >>> chk.passed, chk.worst_error < 1e-8
    (True, True)
    """
    analytic = np.concatenate([p.grads[name].ravel() for name, _ in net.params()])
    return grads.check(analytic, _LossFunction(net, p.x, p.t, loss), net.flat(), tolerance)


def check_failure(chk: grads.Check, labels: list[str], kinked: np.ndarray) -> str | None:
    """A message naming the worst component beyond tolerance (not at a ReLU kink), or None."""
    bad = (chk.excess > chk.tolerance) & ~kinked
    if not bad.any():
        return None
    i = int(np.argmax(np.where(bad, chk.error, -1.0)))
    return (f"gradient check failed at {labels[i]}: analytic {float(chk.analytic[i])!r}, finite difference "
            f"{float(chk.numeric[i])!r}, relative error {float(chk.error[i]):.2e} > tolerance {chk.tolerance:g}")


# --------------------------------------------------------------------------
# Results for the `backprop` command
# --------------------------------------------------------------------------
def _pair(a: int, b: int, wide: bool) -> str:
    return f"{a},{b}" if wide else f"{a}{b}"


def weight_labels(net: Network) -> list[str]:
    """The name of every parameter in :meth:`Network.flat` order: w_ij, u_jk, b1_j, b2_k.

    w_ij joins input i to hidden unit j (row j, column i of W), u_jk joins
    hidden unit j to output k (row k, column j of U); with a size of 10 or
    more the indices are separated by a comma.

    >>> weight_labels(Network([[1.0, 2.0]], [[3.0], [4.0]], b2=[0.0, 0.0]))
    ['w_11', 'w_21', 'u_11', 'u_12', 'b2_1', 'b2_2']
    """
    ni, nh, no = net.sizes
    wide = max(ni, nh, no) > 9
    labels = [f"w_{_pair(i + 1, j + 1, wide)}" for j in range(nh) for i in range(ni)]
    labels += [f"u_{_pair(j + 1, k + 1, wide)}" for k in range(no) for j in range(nh)]
    if net.b1 is not None:
        labels += [f"b1_{j + 1}" for j in range(nh)]
    if net.b2 is not None:
        labels += [f"b2_{k + 1}" for k in range(no)]
    return labels


def _units(prefix: str, count: int) -> list[str]:
    return [f"{prefix}{i + 1}" for i in range(count)]


def _by_sample(n: int, label: str, columns: list[str], rows: list[tuple]) -> tuple[str, list[str], list[tuple]]:
    """Rows (unit, values...) of each sample: labelled by unit for one sample, else by sample with a unit column."""
    if n == 1:
        return label, columns, [row[1:] for row in rows]
    return "sample", ["unit", *columns], rows


def _forward_table(net: Network, p: Pass, title: str) -> Result:
    ni, nh, no = net.sizes
    n = p.x.shape[0]
    rows = []
    for s in range(n):
        rows += [(str(s + 1), f"x{i + 1}", None, float(p.x[s, i]), None) for i in range(ni)]
        rows += [(str(s + 1), f"h{j + 1}", float(p.a_hidden[s, j]), float(p.h[s, j]), None) for j in range(nh)]
        rows += [(str(s + 1), f"y{k + 1}", float(p.a_out[s, k]), float(p.y[s, k]), float(p.t[s, k]))
                 for k in range(no)]
    label, columns, rows = _by_sample(n, "unit", ["a", "value", "target"], rows)
    b1, b2 = (" + b1" if net.b1 is not None else ""), (" + b2" if net.b2 is not None else "")
    notes = [f"hidden: a = W x{b1}, h = {net.activation}(a); outputs: a = U h{b2}, y = {net.output_activation}(a)"]
    return Result(title, columns, rows=rows, label=label, notes=notes, digits=_DIGITS)


def _delta_table(net: Network, p: Pass, loss: str) -> Result:
    _, nh, no = net.sizes
    n = p.x.shape[0]
    rows = []
    for s in range(n):
        rows += [(str(s + 1), f"y{k + 1}", float(p.dy[s, k]), float(p.fy[s, k]), float(p.delta_out[s, k]))
                 for k in range(no)]
        rows += [(str(s + 1), f"h{j + 1}", float(p.dh[s, j]), float(p.fh[s, j]), float(p.delta_hidden[s, j]))
                 for j in range(nh)]
    label, columns, rows = _by_sample(n, "unit", ["dL/dvalue", "f'(a)", "delta"], rows)
    slope = _LOSS_TEXT[loss][1] + (f", m = {no}" if loss == "mse" else "")
    notes = ["delta = dL/da = dL/dvalue * f'(a)",
             f"outputs: dL/dy_k = {slope}; f'(a) = {_SLOPE_TEXT[net.output_activation].format(v='y_k')}",
             f"hidden: dL/dh_j = sum_k delta_k u_jk; f'(a) = "
             f"{_SLOPE_TEXT[net.activation].format(v='h_j')}"]
    if n > 1:
        notes.append("each sample's dL/dvalue is of its own loss; the batch's gradients are the mean over the "
                     "samples")
    return Result("backward pass: the deltas", columns, rows=rows, label=label, notes=notes, digits=_DIGITS)


def _carried(net: Network, p: Pass) -> list[tuple[np.ndarray, np.ndarray]]:
    """For each parameter in flat order: (delta of the unit it feeds, value it carries), for one sample."""
    d1, d2, x, h = p.delta_hidden[0], p.delta_out[0], p.x[0], p.h[0]
    out = [(np.repeat(d1, x.size), np.tile(x, d1.size)), (np.repeat(d2, h.size), np.tile(h, d2.size))]
    if net.b1 is not None:
        out.append((d1, np.ones_like(d1)))
    if net.b2 is not None:
        out.append((d2, np.ones_like(d2)))
    return out


def _gradient_table(s: Step, penalty: Penalty, labels: list[str], kinked: np.ndarray) -> Result:
    net, p = s.before, s.terms
    n = p.x.shape[0]
    cols, columns = [], []
    if n == 1:
        delta, carried = (np.concatenate(parts).tolist() for parts in zip(*_carried(net, p)))
        columns += ["delta", "input"]
        cols += [delta, carried]
    columns += ["gradient", "w"]
    cols += [_flat(net, p.grads), net.flat().tolist()]
    if penalty.l2 > 0:
        columns.append("L2 grad")
        cols.append(_flat(net, s.decay))
    columns.append("new w")
    cols.append(s.after.flat().tolist())
    if kinked.any():
        columns.append("note")
        cols.append(["subgradient" if k else "" for k in kinked.tolist()])
    rows = [tuple(r) for r in zip(labels, *cols)]
    c = "" if penalty.c == 1 else "2 "
    update = f"w - lr*(gradient + {c}lambda*w)" if penalty.l2 > 0 else "w - lr*gradient"
    notes = ["gradient = delta * input: dL/du_jk = delta_k h_j, dL/dw_ij = delta_j x_i",
             "(the delta of the unit fed, times the value the weight carries; for a bias, 1)",
             "w_ij joins x_i to h_j: row j, column i of W (--w1)",
             "u_jk joins h_j to y_k: row k, column j of U (--w2)",
             f"new w = {update}, lr = {_num(s.lr)}"]
    if n > 1:
        notes[:2] = [f"gradient: the mean over the {n} samples of delta * input (dL/du_jk = delta_k h_j, dL/dw_ij "
                     "= delta_j x_i; a bias carries 1); each sample's deltas are in the backward pass, its x_i "
                     "and h_j in the forward pass"]
    if kinked.any():
        notes.append(f"{int(kinked.sum())} component(s) are subgradients: a ReLU unit has a = 0 exactly, where "
                     "its derivative is taken as 0 (torch)")
    return Result("gradients and the update", columns, rows=rows, label="weight", notes=notes,
                  highlight=[i for i, k in enumerate(kinked.tolist()) if k], digits=_DIGITS)


def _flat(net: Network, values: dict) -> list[float]:
    return np.concatenate([values[name].ravel() for name, _ in net.params()]).tolist()


def _check_table(chk: grads.Check, labels: list[str], kinked: np.ndarray) -> Result:
    """--check: each gradient, its central difference and their relative error (three digits say all it knows)."""
    failed = (chk.excess > chk.tolerance) & ~kinked
    columns = ["gradient", "numeric", "rel. error"]
    cols = [chk.analytic.tolist(), chk.numeric.tolist(), [float(f"{e:.3g}") for e in chk.error.tolist()]]
    if kinked.any() or failed.any():
        columns.append("note")
        cols.append(["subgradient" if k else "failed" if f else "" for k, f in zip(kinked.tolist(),
                                                                                  failed.tolist())])
    judged = np.where(kinked, -1.0, chk.error)
    worst = int(np.argmax(judged))
    notes = ["finite differences (central, step eps^(1/3) |w|, the loss in extended precision): "
             + (f"worst relative error {float(chk.error[worst]):.2e} at {labels[worst]}" if judged[worst] >= 0
                else "every component is a subgradient") + f" (tolerance {chk.tolerance:g})"]
    if kinked.any():
        notes.append(f"the {int(kinked.sum())} subgradient(s) are not judged: at a ReLU kink the differences see "
                     "the mean of the two slopes")
    return Result("gradient check", columns, rows=[tuple(r) for r in zip(labels, *cols)], label="weight",
                  notes=notes, highlight=np.flatnonzero(failed).tolist(), digits=_DIGITS)


def _weights_table(net: Network, title: str) -> Result:
    rows = [(f"W {j + 1}", row) for j, row in enumerate(net.w1.tolist())]
    rows += [(f"U {k + 1}", row) for k, row in enumerate(net.w2.tolist())]
    rows += [(name, b.tolist()) for name, b in (("b1", net.b1), ("b2", net.b2)) if b is not None]
    return Result(title, ["updated"], rows=rows, label="row", digits=_DIGITS)


def _arrow(before: float, after: float) -> str:
    """Six digits, like the tables: the exact values are the trajectory table's (csv, json).

    The activations' last bits come from numpy's exp and tanh, whose SIMD
    versions differ by an ulp between CPUs; six digits read the same everywhere.
    """
    return f"{before:.6g} -> {after:.6g}"


def _summary(tr: Training, loss: str, penalty: Penalty, decay_biases: bool, names) -> tuple[list[str], list[str]]:
    s = tr.final
    net, n = s.before, s.terms.x.shape[0]
    ni, nh, no = net.sizes
    name = _LOSS_TEXT[loss][0]
    batch = f", the mean over the {n} samples" if n > 1 else ""
    notes = [f"{ni}-{nh}-{no} network: {net.activation} hidden units, {net.output_activation} outputs; "
             f"loss {name}{batch}"]
    warnings: list[str] = []
    first, last = tr.records[0], tr.records[-1]
    if tr.steps == 1:
        notes.append(f"loss: {_arrow(s.loss_before, s.loss_after)}")
    else:
        notes.append(f"over {tr.steps} steps: loss {_arrow(first.loss, last.loss)}; ||W||_F "
                     f"{_arrow(first.norm_w, last.norm_w)}; ||U||_F {_arrow(first.norm_u, last.norm_u)}")
        notes.append(f"the tables below are the terms of the last step (from the weights after {tr.steps - 1})")
    if penalty.l2 > 0:
        biases = [name for name, v in (("b1", net.b1), ("b2", net.b2)) if v is not None]
        squares = " + ".join(["||W||_F^2", "||U||_F^2", *(f"||{b}||^2" for b in biases if decay_biases)])
        lam = _num(penalty.l2)
        if penalty.convention == "half":
            form = (f"(lambda/2)({squares}) with lambda = {lam}, gradient lambda*w (half convention, as torch SGD "
                    f"weight_decay = {lam})")
        else:
            form = (f"lambda({squares}) with lambda = {lam}, gradient 2 lambda*w (full convention; torch SGD "
                    f"weight_decay = {_num(2 * penalty.l2)})")
        notes.append(f"penalty: {_arrow(first.penalty, last.penalty)}; objective (loss + penalty): "
                     f"{_arrow(first.objective, last.objective)}")
        notes.append(f"weight decay: {form}")
        if biases and not decay_biases:
            notes.append("the biases are not decayed (--decay-biases decays them too, as torch SGD does with every "
                         "parameter it is given)")
        factor = 1 - s.lr * penalty.c * penalty.l2
        if factor > 0:
            notes.append(f"the decay alone scales every decayed weight by the same factor (1 - lr*c*lambda = "
                         f"{factor!r}, c = {penalty.c:g}): negative weights move up toward 0 as positive ones move "
                         "down; it does not subtract lambda*||W|| from each weight")
        else:
            warnings.append(f"lr*c*lambda = {s.lr * penalty.c * penalty.l2!r} >= 1: the decay alone flips the sign "
                            "of every decayed weight (take a smaller --lr)")
    missing = [b for b, v in (("--b1", net.b1), ("--b2", net.b2)) if v is None]
    if missing:
        notes.append(f"no {' or '.join(missing)}: {'that layer has' if len(missing) == 1 else 'the layers have'} "
                     "no bias (0, not trained, not printed)")
    if names is not None:
        inputs, targets = names
        notes.append("inputs " + ", ".join(f"x{i + 1} = {c!r}" for i, c in enumerate(inputs)) + "; targets "
                     + ", ".join(f"t{k + 1} = {c!r}" for k, c in enumerate(targets)))
    parts = "W's rows, then U's rows" + "".join(f", then {b}" for b, v in (("b1", net.b1), ("b2", net.b2))
                                                 if v is not None)
    notes.append(f"plain output: {parts}, one matrix row per line (tab-separated)")
    if tr.steps == 1 and s.loss_after + s.penalty_after > s.loss_before + s.penalty_before:
        warnings.append(f"the {'objective' if penalty.l2 > 0 else 'loss'} grew in this step: --lr {s.lr!r} may be "
                        "too large (try a smaller --lr)")
    elif tr.steps > 1 and last.objective > first.objective:
        warnings.append(f"the {'objective' if penalty.l2 > 0 else 'loss'} grew over the {tr.steps} steps: --lr "
                        f"{s.lr!r} is too large (try a smaller --lr)")
    return notes, warnings


def _trajectory_table(tr: Training, penalty: Penalty) -> Result:
    columns = ["loss", *(["penalty", "objective"] if penalty.l2 > 0 else []), "||W||_F", "||U||_F"]
    rows = [(r.step, r.loss, *((r.penalty, r.objective) if penalty.l2 > 0 else ()), r.norm_w, r.norm_u)
            for r in tr.records]
    every = tr.records[1].step - tr.records[0].step if len(tr.records) > 2 else 1
    title = "trajectory" + (f" (every {every} steps, and the last)" if every > 1 else "")
    if tr.steps == 1:
        title = "before and after the step"
    return Result(title, columns, rows=rows, label="step", digits=10)


def backprop_result(tr: Training, loss: str = "l2", penalty: Penalty | None = None, decay_biases: bool = False,
                    chk: grads.Check | None = None, names=None) -> Result:
    """The updated weights (one matrix row per row: plain output) and, as ``extra`` tables, every term.

    The extra tables are the forward pass (a, h, y per unit), the deltas,
    every gradient with its factors and update, the finite-difference
    check (with ``chk``) and the trajectory of the loss and ||W||_F, ||U||_F
    (for one step: before and after it). ``names``: the data's (input,
    target) column names, for a note.

    >>> net = Network([[0.1, 0.2], [0.3, 0.4], [0.5, 0.6]], [[0.1, 0.2, 0.3], [0.4, 0.5, 0.6]])
    >>> r = backprop_result(train(net, [1.0, 2.0], [0.0, 1.0], lr=0.5))
    >>> r.title, [row[0] for row in r.rows], [t.title for t in r.extra]
    ('backprop: the updated weights (2-3-2 network, lr 0.5)', ['W 1', 'W 2', 'W 3', 'U 1', 'U 2'], \
['forward pass', 'backward pass: the deltas', 'gradients and the update', 'before and after the step'])
    """
    penalty = penalty or Penalty()
    s = tr.final
    net = s.before
    ni, nh, no = net.sizes
    what = f"{ni}-{nh}-{no} network, lr {_num(s.lr)}"
    if penalty.l2 > 0:
        what += f", L2 {_num(penalty.l2)} {penalty.convention} convention"
    steps = f" after {tr.steps} steps" if tr.steps > 1 else ""
    result = _weights_table(tr.network, f"backprop: the updated weights{steps} ({what})")
    result.notes, result.warnings = _summary(tr, loss, penalty, decay_biases, names)
    kinked = np.concatenate([v.ravel() for v in kinks(net, s.terms).values()])
    labels = weight_labels(net)
    at = " (the last step)" if tr.steps > 1 else ""
    result.extra = [_forward_table(net, s.terms, f"forward pass{at}"), _delta_table(net, s.terms, loss),
                    _gradient_table(s, penalty, labels, kinked)]
    if chk is not None:
        result.extra.append(_check_table(chk, labels, kinked))
    result.extra.append(_trajectory_table(tr, penalty))
    return result


@dataclass
class Report:
    """What :func:`backprop` computed: the result to show and, with ``check``, the check's failure (or None)."""

    result: Result
    training: Training
    check: grads.Check | None = None
    failure: str | None = None


def backprop(w1, w2, x, t, lr: float, *, b1=None, b2=None, loss: str = "l2", activation: str = "sigmoid",
             output_activation: str = "sigmoid", l2: float = 0.0, convention: str = "half",
             decay_biases: bool = False, steps: int = 1, every: int | None = None, check_gradients: bool = False,
             tolerance: float = TOLERANCE, names=None) -> Report:
    """Train the network ``steps`` steps and show every term of the last one (the ``backprop`` command).

    Parameters
    ----------
    w1, w2 : array_like
        W (hidden x inputs) and U (outputs x hidden).
    x, t : array_like
        One sample (1-D) or a batch (one sample per row), and its targets.
    lr : float
        Learning rate, > 0.
    b1, b2 : array_like, optional
        Biases; a layer without one has none (0, not trained).
    loss, activation, output_activation : str
        See :func:`backward` and :class:`Network`.
    l2, convention : float, str
        Weight decay lambda and its convention (``half``: gradient lambda*theta,
        torch SGD ``weight_decay``; ``full``: 2 lambda theta).
    decay_biases : bool
        Decay the biases too (as torch does with every parameter it is given).
    steps, every : int
        Number of steps, and a trajectory row every ``every`` steps (default: see :func:`train`).
    check_gradients : bool
        Compare the last step's gradients with central finite differences.
    tolerance : float
        The relative error the check accepts.
    names : tuple of (list of str, list of str), optional
        The input and target column names of a data file, for a note.

    Returns
    -------
    Report

    Examples
    --------
    >>> rep = backprop([[0.1, 0.2], [0.3, 0.4], [0.5, 0.6]], [[0.1, 0.2, 0.3], [0.4, 0.5, 0.6]],
    ...                [1.0, 2.0], [0.0, 1.0], 0.5, check_gradients=True)
    >>> [[round(v, 6) for v in row[1]] for row in rep.result.rows][:1], rep.failure
    ([[0.100404, 0.200807]], None)
    """
    if loss not in LOSSES:
        raise CoreError(f"unknown loss {loss!r}; use one of {', '.join(LOSSES)}")
    tolerance = float(tolerance)
    if not tolerance >= 0:
        raise CoreError(f"the tolerance must be a number >= 0, got {tolerance!r}")
    net = Network(w1, w2, b1, b2, activation, output_activation)
    penalty = penalty_for(l2, convention)
    tr = train(net, x, t, lr, steps, every, loss, penalty, decay_biases)
    chk = failure = None
    if check_gradients:
        chk = check(tr.final.before, tr.final.terms, loss, tolerance)
        kinked = np.concatenate([v.ravel() for v in kinks(tr.final.before, tr.final.terms).values()])
        failure = check_failure(chk, weight_labels(tr.final.before), kinked)
    return Report(backprop_result(tr, loss, penalty, decay_biases, chk, names), tr, chk, failure)
