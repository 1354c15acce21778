"""Tests of the regularized updates in :mod:`normcli.core.regularize`.

No reference here comes from the code under test:

* the reference steps are the decimal values worked out by hand and the
  update rule of torch's ``SGD(weight_decay=...)``
  (``d_p = g + weight_decay * p; p = p - lr * d_p``) written out below in
  plain Python floats;
* the elastic-net prox is checked against its optimality conditions and
  against ``scipy.optimize.minimize_scalar`` of the prox objective;
* ``ridge_solve`` is checked against ``numpy.linalg.lstsq`` on the
  augmented system [X, 1; sqrt(n c lambda) I, 0] (no centering) and, for an
  ill-conditioned X, against the normal equations solved by mpmath at 60
  digits;
* gradients of the loss are compared with central differences.
"""

from __future__ import annotations

import math
import re
import tracemalloc

import mpmath
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from scipy.optimize import minimize_scalar

from normcli.core.regularize import (
    Diverged,
    Penalty,
    Record,
    Step,
    Trajectory,
    iterate,
    linear_loss_grad,
    ridge_solve,
    step,
    step_result,
    trajectory_result,
)

PROPERTY = settings(max_examples=60, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])

W = [0.5, -1.2, 2.0]
G = [0.1, 0.2, -0.3]

finite = st.floats(-1e3, 1e3, allow_nan=False, allow_infinity=False)
vectors = st.integers(1, 8).flatmap(lambda n: st.tuples(hnp.arrays(np.float64, n, elements=finite),
                                                        hnp.arrays(np.float64, n, elements=finite)))
rates = st.floats(1e-4, 1.0)
strengths = st.floats(0.0, 5.0)


def assert_rel(actual, expected, rel=1e-15):
    actual = np.asarray(actual, dtype=float)
    expected = np.asarray(expected, dtype=float)
    assert actual.shape == expected.shape
    err = np.abs(actual - expected)
    bound = rel * np.abs(expected)
    assert (err <= bound).all(), f"{actual.tolist()} != {expected.tolist()} (rel {rel})"


def torch_sgd(w, g, lr, weight_decay):
    """torch.optim.SGD without momentum, written out: d_p = g + wd*p; p = p - lr*d_p."""
    out = []
    for p, d in zip(w, g):
        d_p = d + weight_decay * p
        out.append(p - lr * d_p)
    return out


def data_set(n=200, d=5, seed=0, offset=0.0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d)) + offset
    y = X @ rng.standard_normal(d) + 0.3 * rng.standard_normal(n) + 3.0
    return X, y


# ---------------------------------------------------------------------------
# Reference values
# ---------------------------------------------------------------------------
def test_l2_half_reference():
    s = step(W, G, 0.1, Penalty(l2=0.01))
    assert_rel(s.new_w, [0.4895, -1.2188, 2.028])
    assert s.new_w.tolist() == torch_sgd(W, G, 0.1, 0.01)  # same operations, same rounding


def test_l2_full_reference():
    s = step(W, G, 0.1, Penalty(l2=0.01, convention="full"))
    assert_rel(s.new_w, [0.489, -1.2176, 2.026])
    # Keras l2(lambda) adds lambda*||w||^2 to the loss: its gradient is torch's weight_decay = 2*lambda
    assert s.new_w.tolist() == torch_sgd(W, G, 0.1, 0.02)
    assert_rel(s.l2_grad, [0.01, -0.024, 0.04])


def test_l1_prox_reference():
    s = step(W, G, 0.1, Penalty(l1=0.01))
    assert_rel(s.new_w, [0.489, -1.219, 2.029])
    assert_rel(s.l1_term, [0.001, -0.001, 0.001], rel=1e-12)  # shrink of w - lr*g toward 0 by lr*l1
    assert s.method == "prox"


def test_l1_prox_lands_exactly_on_zero():
    s = step([0.05], [0.1], 0.1, Penalty(l1=0.5))
    assert s.new_w.tolist() == [0.0]
    assert s.zeroed.tolist() == [True]
    assert s.crossed.tolist() == [False]
    assert_rel(s.l1_term, [0.04], rel=1e-15)  # all of v = 0.04 was removed, less than lr*l1 = 0.05


def test_l1_subgradient_overshoots():
    s = step([0.05], [0.1], 0.1, Penalty(l1=0.5, l1_method="subgradient"))
    assert_rel(s.new_w, [-0.01], rel=1e-15)
    assert s.crossed.tolist() == [True]
    assert s.zeroed.tolist() == [False]
    assert s.l1_term.tolist() == [0.5]  # l1 * sign(w)


def test_subgradient_sign_of_zero_is_zero():
    s = step([0.0, 1.0], [0.0, 0.0], 0.1, Penalty(l1=0.5, l1_method="subgradient"))
    assert s.new_w.tolist() == [0.0, 0.95]
    assert s.l1_term.tolist() == [0.0, 0.5]


def test_subgradient_with_l2_is_torch_plus_sign():
    pen = Penalty(l2=0.01, l1=0.02, l1_method="subgradient")
    s = step(W, G, 0.1, pen)
    expected = [p - 0.1 * (d + 0.01 * p + 0.02 * math.copysign(1.0, p)) for p, d in zip(W, G)]
    assert_rel(s.new_w, expected, rel=4e-16)


def test_change_and_norms():
    s = step(W, G, 0.1, Penalty(l2=0.01))
    assert_rel(s.change, np.array(s.new_w) - np.array(W), rel=0)
    assert s.norm_before == pytest.approx(math.sqrt(0.25 + 1.44 + 4.0), rel=1e-15)
    assert s.norm_after == pytest.approx(math.sqrt(0.4895**2 + 1.2188**2 + 2.028**2), rel=1e-14)
    assert s.penalty_before == pytest.approx(0.005 * (0.25 + 1.44 + 4.0), rel=1e-15)


def test_norm_is_overflow_safe():
    s = step([1e200, 1e200], [0.0, 0.0], 0.5, Penalty())
    assert s.norm_before == pytest.approx(math.sqrt(2) * 1e200, rel=1e-15)


# ---------------------------------------------------------------------------
# L2 shrinks every weight toward zero in proportion (the misconception)
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("convention,c", [("half", 1.0), ("full", 2.0)])
def test_l2_alone_scales_every_weight(convention, c):
    w = [3.0, -4.0, 0.5, -0.25]
    s = step(w, [0.0] * 4, 0.1, Penalty(l2=0.5, convention=convention))
    factor = 1 - 0.1 * c * 0.5
    assert_rel(s.new_w, [factor * x for x in w], rel=4e-16)
    # negative weights go up toward 0, positive ones down
    assert s.new_w[1] > -4.0 and s.new_w[3] > -0.25
    assert s.new_w[0] < 3.0
    # not the misconception w_i - lr*lambda*||w||, which pushes -4 further down
    wrong = -4.0 - 0.1 * 0.5 * math.hypot(3.0, 4.0, 0.5, 0.25)
    assert wrong < -4.0 < s.new_w[1]


@PROPERTY
@given(vectors, rates, st.floats(1e-6, 5.0), st.sampled_from(["half", "full"]))
def test_l2_step_shrinks_magnitudes(wg, lr, lam, convention):
    w, _ = wg
    pen = Penalty(l2=lam, convention=convention)
    if lr * pen.c * lam >= 1:
        return
    s = step(w, np.zeros_like(w), lr, pen)
    assert (np.abs(s.new_w) <= np.abs(w)).all()
    assert (np.sign(s.new_w) * np.sign(w) >= 0).all()
    # to rounding: a few ulps of w (the factor may be close to 0)
    assert (np.abs(s.new_w - (1 - lr * pen.c * lam) * w) <= 4 * 2.0**-53 * np.abs(w)).all()


# ---------------------------------------------------------------------------
# Proximal step
# ---------------------------------------------------------------------------
@PROPERTY
@given(vectors, rates, strengths, strengths, st.sampled_from(["half", "full"]))
def test_prox_never_flips_a_sign_and_zeroes_small_ones(wg, lr, l1, l2, convention):
    w, g = wg
    pen = Penalty(l1=l1 + 1e-3, l2=l2, convention=convention)
    s = step(w, g, lr, pen)
    v = w - lr * g
    t = lr * pen.l1
    assert (s.new_w * v >= 0).all()  # same sign as v or exactly 0
    small = np.abs(v) <= t
    assert (s.new_w[small] == 0.0).all()
    assert (s.new_w[~small] != 0.0).all()
    assert s.zeroed.tolist() == (small & (v != 0)).tolist()


@PROPERTY
@given(vectors, rates, strengths, strengths, st.sampled_from(["half", "full"]))
def test_elastic_net_prox_optimality(wg, lr, l1, l2, convention):
    """u minimizes 0.5(u - v)^2 + lr*(l1|u| + c*l2/2 u^2) iff 0 is in its subdifferential."""
    w, g = wg
    pen = Penalty(l1=l1 + 1e-3, l2=l2, convention=convention)
    s = step(w, g, lr, pen)
    v = w - lr * g
    t = lr * pen.l1
    for u, vi in zip(s.new_w.tolist(), v.tolist()):
        if u == 0:
            assert abs(vi) <= t * (1 + 1e-15)
        else:
            residual = (u - vi) + lr * (pen.l1 * math.copysign(1.0, u) + pen.c * l2 * u)
            assert abs(residual) <= 1e-13 * max(1.0, abs(vi))


@pytest.mark.parametrize("convention", ["half", "full"])
def test_elastic_net_prox_matches_scipy_minimize(convention):
    rng = np.random.default_rng(7)
    w = rng.normal(0, 1, 12)
    g = rng.normal(0, 1, 12)
    lr, l1, l2 = 0.3, 0.8, 0.6
    c = 1.0 if convention == "half" else 2.0
    s = step(w, g, lr, Penalty(l1=l1, l2=l2, convention=convention))
    v = w - lr * g
    for u, vi in zip(s.new_w, v):
        f = lambda x, vi=vi: 0.5 * (x - vi) ** 2 + lr * (l1 * abs(x) + c * l2 / 2 * x * x)  # noqa: E731
        res = minimize_scalar(f, bounds=(-abs(vi) - 1, abs(vi) + 1), method="bounded",
                              options={"xatol": 1e-12})
        assert abs(u - res.x) <= 1e-8
    assert s.zeroed.any() and not s.zeroed.all()  # the sample exercises both branches


def test_prox_with_zero_l2_is_soft_threshold():
    s = step([1.0, -1.0, 0.02], [0.0, 0.0, 0.0], 0.1, Penalty(l1=0.5))
    assert_rel(s.new_w, [0.95, -0.95, 0.0])


def test_prox_l2_is_division():
    s = step([1.0, -2.0], [0.0, 0.0], 0.5, Penalty(l1=0.2, l2=1.0))
    assert_rel(s.new_w, [0.9 / 1.5, -1.9 / 1.5])


# ---------------------------------------------------------------------------
# Max-norm
# ---------------------------------------------------------------------------
def test_max_norm_projects_onto_the_ball():
    s = step([3.0, 4.0], [0.0, 0.0], 0.1, Penalty(max_norm=2.0))
    assert s.projected
    assert s.unprojected_norm == 5.0
    assert_rel(s.new_w, [1.2, 1.6], rel=4e-16)
    assert s.norm_after == pytest.approx(2.0, rel=1e-15)


def test_max_norm_leaves_the_inside_alone():
    s = step([0.3, 0.4], [0.0, 0.0], 0.1, Penalty(max_norm=2.0))
    assert not s.projected
    assert s.new_w.tolist() == [0.3, 0.4]


def test_max_norm_after_the_step():
    # w - lr*g = [6, 8] has norm 10 > 5: projected to [3, 4]
    s = step([1.0, 2.0], [-50.0, -60.0], 0.1, Penalty(max_norm=5.0))
    assert s.projected and s.unprojected_norm == pytest.approx(10.0, rel=1e-15)
    assert_rel(s.new_w, [3.0, 4.0], rel=4e-16)


# ---------------------------------------------------------------------------
# Penalty
# ---------------------------------------------------------------------------
def test_penalty_values():
    w = [1.0, -2.0, 2.0]
    assert Penalty(l2=0.5).value(w) == 0.25 * 9
    assert Penalty(l2=0.5, convention="full").value(w) == 0.5 * 9
    assert Penalty(l1=0.5).value(w) == 2.5
    assert Penalty(l2=0.5, l1=0.5).value(w) == 0.25 * 9 + 2.5
    assert Penalty().value(w) == 0.0


def test_penalty_value_has_no_spurious_overflow():
    assert Penalty(l2=1e-300).value([1e160, 1e160]) == pytest.approx(1e20, rel=1e-14)
    assert Penalty(l2=1.0).value([1e200, 1e200]) == math.inf  # the true 1e400 is beyond float64


def test_penalty_description_names_convention_and_method():
    assert "half convention" in Penalty(l2=0.1).description
    assert "torch" in Penalty(l2=0.1).description
    assert "full convention" in Penalty(l2=0.1, convention="full").description
    assert "Keras" in Penalty(l2=0.1, convention="full").description
    d = Penalty(l2=0.1, l1=0.1).description
    assert "prox" in d and "1 + lr*lambda" in d
    assert "1 + lr*2*lambda" in Penalty(l2=0.1, l1=0.1, convention="full").description
    assert "subgradient" in Penalty(l1=0.1, l1_method="subgradient").description
    assert "max-norm" in Penalty(max_norm=3).description


@pytest.mark.parametrize("kwargs,message", [
    ({"l2": -0.1}, "L2 strength must be a finite number >= 0"),
    ({"l1": -1}, "L1 strength must be a finite number >= 0"),
    ({"l2": math.nan}, "L2 strength"),
    ({"l1": math.inf}, "L1 strength"),
    ({"max_norm": 0}, "max-norm must be > 0"),
    ({"max_norm": -2}, "max-norm must be > 0"),
    ({"max_norm": math.nan}, "max-norm must be > 0"),
    ({"convention": "keras"}, "unknown L2 convention 'keras'"),
    ({"l1_method": "ista"}, "unknown L1 method 'ista'"),
])
def test_penalty_validation(kwargs, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        Penalty(**kwargs)


# ---------------------------------------------------------------------------
# Argument errors
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("lr", [0.0, -0.1, math.nan, math.inf])
def test_bad_learning_rate(lr):
    with pytest.raises(ValueError, match="learning rate"):
        step(W, G, lr, Penalty())
    with pytest.raises(ValueError, match="learning rate"):
        iterate(W, lr, Penalty(), 3, grad=G)


def test_length_mismatch_names_both():
    with pytest.raises(ValueError, match=re.escape("--grad has 2 value(s) but --weights has 3")):
        step(W, [0.1, 0.2], 0.1, Penalty())
    with pytest.raises(ValueError, match=re.escape("--grad has 2 value(s) but --weights has 3")):
        iterate(W, 0.1, Penalty(), 3, grad=[0.1, 0.2])


def test_iterate_argument_errors():
    X, y = data_set(20, 3)
    with pytest.raises(ValueError, match="--steps"):
        iterate(W, 0.1, Penalty(), 0)
    with pytest.raises(ValueError, match="--every"):
        iterate(W, 0.1, Penalty(), 3, every=0)
    with pytest.raises(ValueError, match="not both"):
        iterate(W, 0.1, Penalty(), 3, grad=G, data=(X, y))
    with pytest.raises(ValueError, match="intercept needs data"):
        iterate(W, 0.1, Penalty(), 3, intercept=True)
    with pytest.raises(ValueError, match="intercept b needs intercept=True"):
        iterate(W, 0.1, Penalty(), 3, data=(X, y), b=1.0)
    with pytest.raises(ValueError, match=re.escape("X has 3 column(s) but --weights has 2 value(s)")):
        iterate([1.0, 2.0], 0.1, Penalty(), 3, data=(X, y))
    with pytest.raises(ValueError, match=re.escape("y has 19 value(s) but X has 20 row(s)")):
        iterate(W, 0.1, Penalty(), 3, data=(X, y[:-1]))


# ---------------------------------------------------------------------------
# Linear model: loss, gradient, ridge
# ---------------------------------------------------------------------------
def test_linear_loss_and_gradient_against_central_differences():
    X, y = data_set(50, 4, seed=3)
    rng = np.random.default_rng(4)
    w = rng.standard_normal(4)
    b = 0.7
    loss, gw, gb, r = linear_loss_grad(X, y, w, b)
    direct = math.fsum(((X @ w + b - y) ** 2).tolist()) / (2 * 50)
    assert loss == pytest.approx(direct, rel=1e-13)
    assert_rel(r, X @ w + b - y, rel=1e-13)

    def f(wv, bv):
        return linear_loss_grad(X, y, wv, bv)[0]

    h = 1e-5
    for i in range(4):
        e = np.zeros(4)
        e[i] = h
        numeric = (f(w + e, b) - f(w - e, b)) / (2 * h)
        assert gw[i] == pytest.approx(numeric, rel=1e-7, abs=1e-9)
    numeric_b = (f(w, b + h) - f(w, b - h)) / (2 * h)
    assert gb == pytest.approx(numeric_b, rel=1e-7)
    assert linear_loss_grad(X, y, w)[2] is None


def augmented_lstsq(X, y, lam_c, intercept):
    """argmin ||[X 1] [w; b] - y||^2 + n c lambda ||w||^2 as one least-squares system (no centering)."""
    n, d = X.shape
    A = np.hstack([X, np.ones((n, 1))]) if intercept else X
    k = A.shape[1]
    reg = math.sqrt(n * lam_c) * np.eye(d, k)  # the intercept column is not penalized
    sol = np.linalg.lstsq(np.vstack([A, reg]), np.concatenate([y, np.zeros(d)]), rcond=None)[0]
    return (sol[:d], float(sol[d])) if intercept else (sol, None)


@pytest.mark.parametrize("convention,c", [("half", 1.0), ("full", 2.0)])
@pytest.mark.parametrize("intercept", [False, True])
def test_ridge_solve_matches_augmented_least_squares(convention, c, intercept):
    X, y = data_set(300, 6, seed=11, offset=2.0)
    pen = Penalty(l2=0.3, convention=convention)
    w, b = ridge_solve(X, y, pen, intercept=intercept)
    w_ref, b_ref = augmented_lstsq(X, y, c * 0.3, intercept)
    assert_rel(w, w_ref, rel=1e-11)
    if intercept:
        assert b == pytest.approx(b_ref, rel=1e-11)
    else:
        assert b is None


def test_ridge_solve_unpenalized_is_least_squares():
    X, y = data_set(100, 3, seed=5)
    w, _ = ridge_solve(X, y, Penalty())
    assert_rel(w, np.linalg.lstsq(X, y, rcond=None)[0], rel=1e-11)


def test_ridge_solve_ill_conditioned_against_mpmath():
    # cond(X) ~ 1e5, so cond(X^T X) ~ 1e10: the normal equations in float64 would lose ~10 digits
    rng = np.random.default_rng(9)
    n, d = 60, 4
    U, _ = np.linalg.qr(rng.standard_normal((n, d)))
    V, _ = np.linalg.qr(rng.standard_normal((d, d)))
    X = U @ np.diag([1.0, 1e-2, 1e-4, 1e-5]) @ V.T
    y = rng.standard_normal(n)
    lam = 1e-13
    w, _ = ridge_solve(X, y, Penalty(l2=lam))
    mpmath.mp.dps = 60
    Xm = mpmath.matrix(X.tolist())
    A = Xm.T * Xm + n * mpmath.mpf(lam) * mpmath.eye(d)
    ref = mpmath.lu_solve(A, Xm.T * mpmath.matrix(y.tolist()))
    ref = np.array([float(v) for v in ref])
    assert np.max(np.abs(w - ref)) <= 1e-8 * np.max(np.abs(ref))


def test_ridge_solve_rejects_l1():
    X, y = data_set(20, 2)
    with pytest.raises(ValueError, match="no closed form with --l1"):
        ridge_solve(X, y, Penalty(l2=0.1, l1=0.1))


def test_ridge_solve_singular_without_l2():
    X, y = data_set(30, 3)
    X = np.hstack([X, X[:, :1]])  # a repeated column
    with pytest.raises(ValueError, match="singular.*rank 3 < 4"):
        ridge_solve(X, y, Penalty())
    w, _ = ridge_solve(X, y, Penalty(l2=0.1))  # L2 makes it unique
    assert np.isfinite(w).all()
    # a constant column is the intercept's: singular once centered
    Xc = np.hstack([X[:, :3], np.full((30, 1), 2.0)])
    with pytest.raises(ValueError, match="centered X has rank 3 < 4"):
        ridge_solve(Xc, y, Penalty(), intercept=True)
    ridge_solve(Xc, y, Penalty())  # without an intercept the column is fine


# ---------------------------------------------------------------------------
# Iteration
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("convention", ["half", "full"])
@pytest.mark.parametrize("intercept", [False, True])
def test_gradient_descent_converges_to_ridge(convention, intercept):
    X, y = data_set(200, 5, seed=1)
    pen = Penalty(l2=0.1, convention=convention)
    traj = iterate(np.zeros(5), 0.5, pen, 500, every=100, data=(X, y), intercept=intercept)
    w_ref, b_ref = ridge_solve(X, y, pen, intercept=intercept)
    assert np.max(np.abs(traj.w - w_ref)) <= 1e-8
    if intercept:
        assert abs(traj.b - b_ref) <= 1e-8
        assert abs(traj.b) > 1  # y has an offset of 3: the intercept really was fitted
    else:
        assert traj.b is None
    objectives = [r.objective for r in traj.records]
    assert objectives == sorted(objectives, reverse=True)


def test_iterate_records_and_final_step():
    X, y = data_set(40, 3, seed=2)
    pen = Penalty(l2=0.05)
    traj = iterate([1.0, -1.0, 0.5], 0.2, pen, 10, every=4, data=(X, y), intercept=True)
    assert isinstance(traj, Trajectory) and isinstance(traj.final, Step)
    assert [r.step for r in traj.records] == [0, 4, 8, 10]
    assert all(isinstance(r, Record) for r in traj.records)
    assert traj.w.tolist() == traj.final.new_w.tolist()
    last = traj.records[-1]
    loss, *_ = linear_loss_grad(X, y, traj.w, traj.b)
    assert last.loss == pytest.approx(loss, rel=1e-12)
    assert last.penalty == pytest.approx(0.025 * float(traj.w @ traj.w), rel=1e-14)
    assert last.objective == pytest.approx(last.loss + last.penalty, rel=1e-15)
    assert last.norm == pytest.approx(float(np.linalg.norm(traj.w)), rel=1e-15)
    assert traj.final_loss_after == last.loss
    # the final step's terms are those of the 9th iterate
    before = iterate([1.0, -1.0, 0.5], 0.2, pen, 9, data=(X, y), intercept=True)
    assert traj.final.w.tolist() == before.w.tolist()
    _, gw, _, _ = linear_loss_grad(X, y, before.w, before.b)
    assert_rel(traj.final.data_grad, gw, rel=1e-12)


def test_iterate_fixed_gradient_matches_closed_form():
    # w_k = a^k w0 - lr g (1 - a^k) / (1 - a), a = 1 - lr c lambda
    w0 = np.array([2.0, -3.0])
    g = np.array([0.5, 0.25])
    lr, lam = 0.1, 0.3
    traj = iterate(w0, lr, Penalty(l2=lam, convention="full"), 25, every=5, grad=g)
    a = 1 - lr * 2 * lam
    expected = a**25 * w0 - lr * g * (1 - a**25) / (1 - a)
    assert_rel(traj.w, expected, rel=1e-13)
    assert any("held fixed" in n for n in traj.notes)
    assert all(r.loss is None for r in traj.records)
    assert traj.records[-1].objective == traj.records[-1].penalty


def test_iterate_equals_repeated_steps():
    pen = Penalty(l2=0.1, l1=0.05, max_norm=3.0)
    w = np.array([2.5, -2.0, 0.01])
    g = np.array([-1.0, 0.5, 0.0])
    for _ in range(7):
        w = step(w, g, 0.3, pen).new_w
    assert iterate([2.5, -2.0, 0.01], 0.3, pen, 7, grad=g).w.tolist() == w.tolist()


def test_iterate_without_gradient_only_the_penalty_acts():
    traj = iterate([1.0, -1.0], 0.1, Penalty(l2=1.0), 2)
    assert_rel(traj.w, [0.81, -0.81], rel=4e-16)
    assert any("only the penalty" in n for n in traj.notes)


def test_iterate_accepts_fortran_and_integer_data():
    X, y = data_set(30, 3, seed=6)
    pen = Penalty(l2=0.1)
    ref = iterate(np.zeros(3), 0.1, pen, 5, data=(X, y)).w
    assert_rel(iterate(np.zeros(3), 0.1, pen, 5, data=(np.asfortranarray(X), y)).w, ref, rel=1e-14)
    Xi = np.arange(12).reshape(4, 3)
    iterate(np.zeros(3), 0.01, pen, 2, data=(Xi, [1, 2, 3, 4]))


def test_iterate_makes_no_copy_of_X():
    X, y = data_set(40_000, 20, seed=8)  # 6.4 MB
    w0 = np.zeros(20)
    iterate(w0, 0.1, Penalty(l2=0.01), 2, data=(X, y))  # warm up
    tracemalloc.start()
    try:
        iterate(w0, 0.1, Penalty(l2=0.01), 5, data=(X, y))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < X.nbytes / 4  # the residual (n floats) is X.nbytes / 20


# ---------------------------------------------------------------------------
# Divergence
# ---------------------------------------------------------------------------
def test_diverged_with_data_carries_the_last_finite_step():
    X, y = data_set(100, 3, seed=4)
    pen = Penalty(l2=0.01)
    with pytest.raises(Diverged) as info:
        iterate(np.zeros(3), 50.0, pen, 10_000, every=1000, data=(X, y))
    e = info.value
    assert isinstance(e, ValueError)
    assert e.last is not None and e.last.step == e.step - 1
    assert math.isfinite(e.last.objective) and np.isfinite(e.last_w).all()
    assert not math.isfinite(e.objective)
    assert re.fullmatch(
        rf"the iteration diverged at step {e.step} \(objective (inf|nan)\); the last finite objective was "
        rf"\S+ at step {e.step - 1}; try a smaller --lr", str(e))
    # the state before is reachable and finite, one more step is not
    ok = iterate(np.zeros(3), 50.0, pen, e.step - 1, every=1000, data=(X, y))
    assert ok.records[-1].objective == pytest.approx(e.last.objective, rel=1e-12)
    assert ok.w.tolist() == e.last_w.tolist()
    assert f"{e.last.objective:.3g}" in str(e)
    with pytest.raises(Diverged):
        iterate(np.zeros(3), 50.0, pen, e.step, every=1000, data=(X, y))


def test_diverged_with_fixed_gradient():
    with pytest.raises(Diverged) as info:
        iterate([1.0], 1.0, Penalty(l2=1000.0), 500, grad=[0.0])
    e = info.value
    # |w| grows by 999 a step; the penalty 500 w^2 overflows once w > ~6e152
    k = next(k for k in range(500) if not math.isfinite(500 * (999.0**k) ** 2))
    assert e.step == k
    assert e.last.step == k - 1


def test_single_step_diverged():
    with pytest.raises(Diverged, match="smaller --lr"):
        step([1e308], [-1e308], 10.0, Penalty())


def test_an_objective_beyond_float64_at_finite_start_still_steps():
    # 0.5 * 1e200**2 overflows, but the weights are finite and L2 shrinks them: as three single steps.
    traj = iterate([1e200], 0.1, Penalty(l2=1.0), 3)
    w = np.array([1e200])
    for _ in range(3):
        w = iterate(w, 0.1, Penalty(l2=1.0), 1).w
    assert traj.w.tolist() == w.tolist() and 0 < traj.w[0] < 1e200
    assert math.isinf(traj.records[0].objective) and any("float64 range" in n for n in traj.notes)
    with pytest.raises(Diverged, match="beyond the float64 range from the start") as info:
        iterate([1e200], 30.0, Penalty(l2=1.0), 3000)  # growing: the weights overflow
    assert math.isinf(info.value.last.objective)



# ---------------------------------------------------------------------------
# Results
# ---------------------------------------------------------------------------
def test_step_result_columns_and_plain():
    pen = Penalty(l2=0.01)
    s = step(W, G, 0.1, pen)
    r = step_result(s, pen, 0.1)
    assert r.title == "regularized step (lr 0.1, L2 0.01, half convention)"
    assert r.columns == ["w", "data grad", "L2 grad", "new w", "change"]
    assert r.label == "i"
    assert [row[0] for row in r.rows] == ["1", "2", "3"]
    assert [row[1 + r.plain[0]] for row in r.rows] == s.new_w.tolist()
    assert all(type(v) is float for row in r.rows for v in row[1:])
    assert any("half convention" in n for n in r.notes)
    assert any("->" in n and "||w||_2" in n for n in r.notes)
    assert any("does not subtract lambda*||w||" in n for n in r.notes)


def test_step_result_l1_columns_and_labels():
    pen = Penalty(l1=0.5)
    r = step_result(step([0.05, 1.0], [0.1, 0.0], 0.1, pen), pen, 0.1, labels=["a", "b"])
    assert r.columns == ["w", "data grad", "L1 shrink", "new w", "change", "note"]
    assert [row[0] for row in r.rows] == ["a", "b"]
    assert r.rows[0][-1] == "set to 0" and r.highlight == [0]
    assert r.rows[0][1 + r.plain[0]] == 0.0
    pen = Penalty(l1=0.5, l1_method="subgradient", convention="full")
    r = step_result(step([0.05], [0.1], 0.1, pen), pen, 0.1)
    assert r.columns == ["w", "data grad", "L1 subgradient", "new w", "change", "note"]
    assert r.rows[0][-1] == "crossed 0"
    assert any("overshoot" in n for n in r.notes)


def test_step_result_full_convention_and_losses():
    pen = Penalty(l2=0.01, convention="full", max_norm=1.0)
    s = step(W, G, 0.1, pen)
    r = step_result(s, pen, 0.1, loss_before=2.0, loss_after=1.5)
    assert "full convention" in r.title
    assert any("full convention" in n for n in r.notes)
    assert any(n.startswith("data loss") and "2.0 -> 1.5" in n for n in r.notes)
    assert any(n.startswith("objective") and repr(2.0 + s.penalty_before) in n for n in r.notes)
    assert any("max-norm" in n and "scaled onto the ball" in n for n in r.notes)
    assert any("new w = w - lr*(g + 2*lambda2*w)" in n for n in r.notes)


def test_trajectory_result():
    X, y = data_set(50, 2, seed=3)
    pen = Penalty(l2=0.1)
    traj = iterate([0.0, 0.0], 0.3, pen, 6, every=3, data=(X, y), intercept=True)
    r = trajectory_result(traj, pen, 0.3, labels=["x1", "x2"])
    # the intercept is the last row, so plain output (new w) can be fed back with --intercept
    assert [row[1 + r.plain[0]] for row in r.rows] == [*traj.w.tolist(), traj.b]
    assert [row[0] for row in r.rows] == ["x1", "x2", "b"]
    b_row = dict(zip(r.columns, r.rows[-1][1:]))
    assert b_row["w"] == traj.final_b_before and b_row["L2 grad"] == 0.0
    assert b_row["new w"] == traj.final_b_before - 0.3 * traj.final_b_grad
    (t,) = r.extra
    assert t.title == "trajectory (every 3 steps, and the last)" and t.label == "step"
    assert t.columns == ["loss", "penalty", "objective", "||w||_2"]
    assert [row[0] for row in t.rows] == [0, 3, 6]
    assert t.rows[-1][1:] == (traj.records[-1].loss, traj.records[-1].penalty, traj.records[-1].objective,
                              traj.records[-1].norm)
    assert any("half convention" in n for n in r.notes)
