"""The Python API: what the commands compute, as functions of arrays.

``import normcli`` loads none of this (nor numpy) until a function is
first used: ``normcli.norm`` and the others are looked up lazily.

>>> import normcli
>>> normcli.norm([3, 4])
5.0
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np

from .core import compare as _compare
from .core import distances as _distances
from .core import grads as _grads
from .core import norms as _norms
from .core import regularize as _regularize

if TYPE_CHECKING:
    from numpy.typing import ArrayLike, NDArray

__all__ = ["norm", "grad", "dist", "normalize", "compare", "regstep"]


def _order(p: float | str) -> float:
    return _norms.parse_order(p) if isinstance(p, str) else float(p)


def norm(x: ArrayLike | Iterable[float], p: float | str = 2, axis: int | Sequence[int] | None = None,
         kind: str = "norm") -> float | NDArray[np.float64]:
    """The p-norm of ``x``, or of each of its slices along ``axis``: exact to about an ulp, never overflowing.

    Parameters
    ----------
    x : array_like or iterable of numbers
        Any shape; a generator works too.
    p : float or str
        Any real number, ``inf``, ``-inf``, or a name (``"l1"``, ``"euclidean"``, ``"max"``, ...).
        0 counts the non-zero entries; 0 < p < 1 and p < 0 follow numpy's formula.
    axis : int, tuple of int or None
        As numpy's: None reduces every entry to one number; otherwise the
        axes to reduce, the others kept.
    kind : {"norm", "power", "mean"}
        ``power`` gives ||x||_p^p, ``mean`` the power mean ||x||_p / n^(1/p).

    Returns
    -------
    float or ndarray of float64
        ``inf`` only when the true value exceeds the float64 range.

    Examples
    --------
    >>> norm([1, 2, 3])
    3.7416573867739413
    >>> norm([1e200, 1e200])  # numpy.linalg.norm gives inf
    1.414213562373095e+200
    >>> norm([[3, 4], [6, 8]], axis=1).tolist(), norm([[3, 4], [6, 8]], p="l1", axis=0).tolist()
    ([5.0, 10.0], [9.0, 12.0])
    >>> norm(range(1, 4), kind="mean", p=1)
    2.0
    """
    order = _order(p)
    if axis is None:
        values = np.fromiter(x, dtype=np.float64) if isinstance(x, Iterator) else np.asarray(x, dtype=np.float64)
        return float(_norms.NormAccumulator([order]).add(values).evaluate(order, kind).value)
    a = np.asarray(x, dtype=np.float64)
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    axes = tuple(ax % a.ndim for ax in axes)
    kept = [ax for ax in range(a.ndim) if ax not in axes]
    moved = np.transpose(a, kept + list(axes))
    shape = moved.shape[: len(kept)]
    rows = moved.reshape(int(np.prod(shape)) if shape else 1, -1)
    values, _ = _norms.row_norms(rows, order, kind)
    return np.asarray(values, dtype=np.float64).reshape(shape)


def grad(x: ArrayLike, p: float | str = 2, target: ArrayLike | None = None, kind: str = "norm"
         ) -> NDArray[np.float64]:
    """The (sub)gradient of ||x - target||_p with respect to x, torch's conventions where it is not differentiable.

    Examples
    --------
    >>> grad([3, 4]).tolist()
    [0.6, 0.8]
    >>> grad([-3, 0, 2], p=1).tolist()  # sign(x), 0 at 0 as torch
    [-1.0, 0.0, 1.0]
    """
    x_arr = np.asarray(x, dtype=np.float64)
    t = None if target is None else np.asarray(target, dtype=np.float64)
    return np.asarray(_grads.grad(_grads.offset(x_arr, t), _order(p), kind).values, dtype=np.float64)


def dist(a: ArrayLike, b: ArrayLike, p: float | str = 2) -> float:
    """||a - b||_p, each difference rounded once, the norm taken without overflow.

    Examples
    --------
    >>> dist([1, 2, 3], [4, 6, 8])
    7.0710678118654755
    """
    return float(_distances.distance(np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64),
                                     _order(p)).value)


def normalize(x: ArrayLike, p: float | str = 2) -> NDArray[np.float64]:
    """x / ||x||_p (a zero vector stays zero, as scikit-learn's ``normalize``).

    Examples
    --------
    >>> normalize([3, 4]).tolist()
    [0.6, 0.8]
    """
    unit, _, _ = _distances.normalize(np.asarray(x, dtype=np.float64), _order(p))
    return np.asarray(unit, dtype=np.float64)


def compare(errors: Mapping[str, ArrayLike], truth: ArrayLike | None = None, *, sort_by: str = "mae",
            baseline: str | None = None, loss: str | None = None, confidence: float = 0.95,
            bootstrap: int | None = None, seed: int = 0, horizon: int = 1) -> _compare.Comparison:
    """Metrics, a ranking and paired tests of models from their errors (``compare-models``).

    Parameters
    ----------
    errors : mapping of str to array_like
        Each model's errors (prediction - truth), all of one length, paired
        by observation.
    truth : array_like, optional
        The true values (for R^2, MAPE and the percentage loss).
    sort_by, baseline, loss, confidence, bootstrap, seed, horizon :
        As the command's options.

    Returns
    -------
    Comparison
        ``names``, ``ranks``, ``values`` (metric by model), ``reference``
        and ``pairs`` (each with ``mean_diff``, ``interval``, ``dm``,
        ``wilcoxon`` and ``verdict``).

    Examples
    --------
    >>> c = compare({"A": [-5, 8, -3, -12, 4, 4, 6], "B": [10, -7, 12, -18, -6, -8, 13]}, sort_by="rmse")
    >>> c.ranks, c.reference, c.pairs[0].verdict, round(c.values["A"]["RMSE"], 6)
    ([1, 2], 'A', 'worse', 6.654751)
    """
    names = list(errors)
    table = np.column_stack([np.asarray(errors[n], dtype=np.float64) for n in names])
    y = None if truth is None else np.asarray(truth, dtype=np.float64)
    return _compare.compare(names, table, y, sort_by=_compare.metric_name(sort_by), baseline=baseline, loss=loss,
                            confidence=confidence, replicates=bootstrap, seed=seed, horizon=horizon)


def regstep(w: ArrayLike, grad: ArrayLike, lr: float, *, l2: float = 0.0, l1: float = 0.0,
            convention: str = "half", l1_method: str = "prox", max_norm: float | None = None) -> _regularize.Step:
    """One L2 / L1 / elastic-net regularized gradient step (``regstep``), every term kept.

    Returns
    -------
    Step
        ``new_w``, ``change``, ``l2_grad``, ``l1_term`` and the norms and penalties before and after.

    Examples
    --------
    >>> s = regstep([2.0, -3.0], [0.0, 0.0], 0.1, l2=0.5)
    >>> s.new_w.tolist()  # every weight scaled by 1 - lr*lambda = 0.95
    [1.9, -2.85]
    """
    if not (math.isfinite(lr) and lr > 0):
        raise ValueError(f"lr must be a finite number > 0, not {lr!r}")
    penalty = _regularize.Penalty(l2, l1, convention, l1_method, max_norm)
    return _regularize.step(np.asarray(w, dtype=np.float64), np.asarray(grad, dtype=np.float64), lr, penalty)

