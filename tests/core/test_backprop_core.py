"""Tests of the backpropagation in :mod:`normcli.core.backprop`.

No reference here comes from the code under test:

* ``TORCH_GRADS`` are literal numbers computed with torch 2.13.0 (CPU
  wheel, float64) in a scratch venv: the loss (``0.5 * ((y - T)**2).sum(1)
  .mean()``, ``((y - T)**2).sum(1).mean()`` or
  ``torch.nn.functional.mse_loss(y, T)``) of the forward pass ``a1 = X @ W.T
  + b1; h = act(a1); a2 = h @ U.T + b2; y = out(a2)`` (torch.sigmoid, tanh,
  relu; y = a2 for linear), then ``loss.backward()``: ``loss.item()`` and
  ``W.grad``, ``U.grad``, ``b1.grad``, ``b2.grad`` ``.tolist()``. torch is not
  imported here (the updated weights of SGD steps are in
  tests/commands/test_backprop.py);
* the formulas of the issue, dL/du_jk = (y_k - t_k) y_k (1 - y_k) h_j and
  dL/dw_ij = sum_k (y_k - t_k) y_k (1 - y_k) u_jk h_j (1 - h_j) x_i, written
  out below as loops over Python floats;
* central differences of the loss evaluated with mpmath at 40 digits
  (step 1e-12: truncation error ~1e-24), for random networks of every
  activation and loss;
* the SGD update theta - lr*(g + wd*theta) written out in numpy.
"""

from __future__ import annotations

import math
import warnings

import mpmath
import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from normcli.core.backprop import (
    Network,
    backprop,
    backprop_result,
    backward,
    check,
    check_failure,
    kinks,
    penalty_for,
    step,
    train,
    weight_labels,
)
from normcli.core.errors import CoreError

W0 = [[0.1, 0.2], [0.3, 0.4], [0.5, 0.6]]
U0 = [[0.1, 0.2, 0.3], [0.4, 0.5, 0.6]]
U3 = [[0.1, 0.2, 0.3], [0.4, 0.5, 0.6], [-0.3, 0.2, -0.1]]
B1, B2 = [0.1, -0.2, 0.3], [-0.2, 0.2]
BX = [[1.0, 2.0], [0.5, -1.0], [-1.5, 0.25]]
BT = [[0.0, 1.0], [1.0, 0.0], [0.5, 0.5]]
PROPERTY = settings(max_examples=40, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])

#: The networks of TORCH_GRADS: (Network keywords, x, t, loss).
CASES = {
    "example": (dict(w1=W0, w2=U0), [1.0, 2.0], [0.0, 1.0], "l2"),
    "batch3": (dict(w1=W0, w2=U0, b1=B1, b2=B2), BX, BT, "l2"),
    "relu_kink": (dict(w1=[[1.0, -0.5], [0.3, -0.4], [0.5, 0.6]], w2=U0, b1=[0.0, 0.0, 0.0], activation="relu",
                       output_activation="linear"), [1.0, 2.0], [0.0, 1.0], "l2"),
    "relu_output": (dict(w1=W0, w2=[[0.0, 0.0, 0.0], [0.4, 0.5, 0.6]], b2=[0.0, 0.0], output_activation="relu"),
                    [1.0, 2.0], [0.0, 1.0], "sse"),
    "tanh": (dict(w1=W0, w2=U0, b1=B1, activation="tanh", output_activation="tanh"), [1.0, 2.0], [-0.5, 0.5], "l2"),
    "mse_3_outputs": (dict(w1=W0, w2=U3, b1=B1, b2=[-0.2, 0.2, 0.1]), [1.0, 2.0], [0.0, 1.0, 0.5], "mse"),
}

TORCH_GRADS = {
    "example": {"loss": 0.21850283018385386,
              "W": [[-0.0008071676655436789, -0.0016143353310873578],
                    [0.0012410912784666234, 0.002482182556933247],
                    [0.0021787914769263584, 0.004357582953852717]],
              "U": [[0.09060623773232777, 0.10920913557096022, 0.12307747247496599],
                    [-0.02799646484494922, -0.0337445831686795, -0.03802976723887491]]},
    "batch3": {"loss": 0.18942405506855556,
             "W": [[-0.0001648639091837885, -0.003473241924792041],
                   [0.00019536663628908586, -0.0019947400792547916],
                   [-0.000274692118297502, -0.0022864757318925397]],
             "U": [[0.01095403120480019, 0.017778115042830712, 0.02179062778664451],
                   [0.023431891617965744, 0.016034313408947388, 0.019729309866768154]],
             "b1": [0.005318640754554918, 0.006302158130499204, 0.0071783647365094225],
             "b2": [0.007382967408902977, 0.051387372528785974]},
    "relu_kink": {"loss": 0.13025,
                "W": [[0.0, 0.0], [0.0, 0.0], [0.165, 0.33]],
                "U": [[0.0, 0.0, 0.867], [0.0, 0.0, 0.03400000000000003]],
                "b1": [0.0, 0.0, 0.165]},
    "relu_output": {"loss": 0.01727506097174139,
                  "W": [[0.02471010006036109, 0.04942020012072218],
                        [0.02462689008474748, 0.04925378016949496],
                        [0.02059934104290698, 0.04119868208581396]],
                  "U": [[0.0, 0.0, 0.0], [0.16362541907751735, 0.19722031310561836, 0.22226508369337777]],
                  "b2": [0.0, 0.26286925245636006]},
    "tanh": {"loss": 0.5029951633702447,
           "W": [[0.08384292627959618, 0.16768585255919236],
                 [0.09937988941020662, 0.19875977882041324],
                 [0.02051512278676057, 0.04103024557352114]],
           "U": [[0.40684456899936866, 0.5426350120813969, 0.7303038851921929],
                 [0.05648592917981046, 0.07533895054394332, 0.10139472585357444]],
           "b1": [0.08384292627959618, 0.09937988941020662, 0.02051512278676057]},
    "mse_3_outputs": {"loss": 0.12162624034301285,
                    "W": [[0.00016162419101425676, 0.0003232483820285135],
                          [0.0014175851348934407, 0.0028351702697868813],
                          [0.0015128365966798978, 0.0030256731933597956]],
                    "U": [[0.0599435073904216, 0.0660054062105215, 0.08177425922138316],
                          [-0.014643884394663707, -0.01612477447597843, -0.019977022543871792],
                          [-0.001064418956275211, -0.0011720603055394635, -0.0014520683797109894]],
                    "b1": [0.00016162419101425676, 0.0014175851348934407, 0.0015128365966798978],
                    "b2": [0.09284120175457325, -0.02268061854807088, -0.0016485844651581056]},
}


def _example() -> Network:
    return Network(W0, U0)


@pytest.mark.parametrize("name", list(CASES))
def test_gradients_match_torch_autograd(name):
    kw, x, t, loss = CASES[name]
    want = TORCH_GRADS[name]
    p = backward(Network(**kw), x, t, loss)
    assert p.loss == pytest.approx(want["loss"], rel=1e-15)
    assert set(p.grads) == set(want) - {"loss"}
    for key, g in p.grads.items():
        np.testing.assert_allclose(g, want[key], rtol=1e-14, atol=1e-17)


def test_the_issue_formulas_written_out():
    W, U, x, t = W0, U0, [1.0, 2.0], [0.0, 1.0]
    sig = lambda a: 1 / (1 + math.exp(-a))  # noqa: E731
    h = [sig(sum(W[j][i] * x[i] for i in range(2))) for j in range(3)]
    y = [sig(sum(U[k][j] * h[j] for j in range(3))) for k in range(2)]
    du = [[(y[k] - t[k]) * y[k] * (1 - y[k]) * h[j] for j in range(3)] for k in range(2)]
    dw = [[sum((y[k] - t[k]) * y[k] * (1 - y[k]) * U[k][j] for k in range(2)) * h[j] * (1 - h[j]) * x[i]
           for i in range(2)] for j in range(3)]
    p = backward(_example(), x, t)
    np.testing.assert_allclose(p.grads["U"], du, rtol=1e-15)  # a few roundings apart
    # the sum over k cancels (0.0146 - 0.0180 for h1): a few ulp of its terms are some 1e-15 of the result
    np.testing.assert_allclose(p.grads["W"], dw, rtol=1e-14)
    assert p.loss == pytest.approx(0.5 * sum((yk - tk) ** 2 for yk, tk in zip(y, t)), rel=1e-16)
    # for one sample each component is one product: exactly delta * value
    assert p.grads["U"][1, 2] == p.delta_out[0, 1] * p.h[0, 2]
    assert p.grads["W"][2, 1] == p.delta_hidden[0, 2] * 2.0


def _mp_loss(theta, shapes, x, t, act, out, loss):
    """The batch loss at the flat parameters theta (mpf), laid out as Network.flat."""
    f = {"sigmoid": lambda a: 1 / (1 + mpmath.exp(-a)), "tanh": mpmath.tanh, "relu": lambda a: max(a, 0),
         "linear": lambda a: a}
    params, at = {}, 0
    for name, shape in shapes:
        size = int(np.prod(shape))
        params[name] = np.array(theta[at:at + size], dtype=object).reshape(shape)
        at += size
    total = mpmath.mpf(0)
    for xs, ts in zip(x, t):
        a1 = [sum(params["W"][j][i] * xs[i] for i in range(len(xs))) + (params["b1"][j] if "b1" in params else 0)
              for j in range(shapes[0][1][0])]
        h = [f[act](a) for a in a1]
        a2 = [sum(params["U"][k][j] * h[j] for j in range(len(h))) + (params["b2"][k] if "b2" in params else 0)
              for k in range(shapes[1][1][0])]
        r = [f[out](a) - tk for a, tk in zip(a2, ts)]
        s = sum(v * v for v in r)
        total += {"l2": s / 2, "sse": s, "mse": s / len(r)}[loss]
    return total / len(x)


small = st.builds(lambda size, sign: sign * size, st.floats(1e-3, 1.5), st.sampled_from([-1.0, 1.0]))


@st.composite
def networks(draw):
    ni, nh, no, n = (draw(st.integers(1, 3)) for _ in range(4))
    w1 = [[draw(small) for _ in range(ni)] for _ in range(nh)]
    w2 = [[draw(small) for _ in range(nh)] for _ in range(no)]
    b1 = draw(st.none() | st.just([draw(small) for _ in range(nh)]))
    b2 = draw(st.none() | st.just([draw(small) for _ in range(no)]))
    act = draw(st.sampled_from(["sigmoid", "tanh", "relu"]))
    out = draw(st.sampled_from(["sigmoid", "tanh", "relu", "linear"]))
    x = [[draw(small) for _ in range(ni)] for _ in range(n)]
    t = [[draw(small) for _ in range(no)] for _ in range(n)]
    return Network(w1, w2, b1, b2, act, out), x, t, draw(st.sampled_from(["l2", "sse", "mse"]))


@PROPERTY
@given(networks())
def test_gradients_equal_high_precision_differences(case):
    net, x, t, loss = case
    p = backward(net, x, t, loss)
    for name, a in (("hidden", p.a_hidden), ("output", p.a_out)):  # no ReLU within a step of its kink
        if (net.activation if name == "hidden" else net.output_activation) == "relu":
            assume(np.abs(a).min() > 1e-6)
    analytic = np.concatenate([p.grads[k].ravel() for k, _ in net.params()])
    shapes = [(k, v.shape) for k, v in net.params()]
    with mpmath.workdps(40):
        theta = [mpmath.mpf(float(v)) for v in net.flat()]
        step = mpmath.mpf("1e-12")
        ref = []
        for i in range(len(theta)):
            up, down = list(theta), list(theta)
            up[i] += step
            down[i] -= step
            f_up = _mp_loss(up, shapes, x, t, net.activation, net.output_activation, loss)
            f_down = _mp_loss(down, shapes, x, t, net.activation, net.output_activation, loss)
            ref.append(float((f_up - f_down) / (2 * step)))
    scale = max(np.abs(ref).max(), 1e-300)
    assert np.abs(analytic - ref).max() <= 1e-13 * scale


def test_relu_conventions_as_torch():
    net = Network([[1.0, -0.5], [0.3, -0.4]], [[1.0, 1.0]], activation="relu")
    p = backward(net, [1.0, 2.0], [0.0])
    assert p.a_hidden[0, 0] == 0.0 and p.fh[0, 0] == 0.0  # derivative 0 at a = 0
    assert p.h.tolist() == [[0.0, 0.0]] and not np.signbit(p.h).any()  # +0, never -0
    marks = {k: v.tolist() for k, v in kinks(net, p).items()}
    assert marks == {"W": [[True, True], [False, False]], "U": [[False, False]]}
    out = Network([[1.0]], [[0.0], [1.0]], b2=[0.0, 0.0], output_activation="relu")
    marks = kinks(out, backward(out, [1.0], [0.5, 0.5]))
    assert marks["U"].tolist() == [[True], [False]] and marks["b2"].tolist() == [True, False]
    assert marks["W"].tolist() == [[False]]  # output 1 has no weight to h1 (u = 0): nothing below it kinks


def test_saturated_sigmoid_is_quiet_and_exact():
    net = Network([[1000.0]], [[-1000.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        p = backward(net, [-1.0], [0.5])
    assert p.h.tolist() == [[0.0]] and p.y.tolist() == [[0.5]]


def test_step_is_torch_sgd_with_weight_decay():
    net = Network(W0, U0, B1, B2)
    x, t, lr, lam = [1.0, 2.0], [0.0, 1.0], 0.5, 0.1
    g = backward(net, x, t).grads
    for convention, wd in (("half", lam), ("full", 2 * lam)):
        s = step(net, x, t, lr, penalty=penalty_for(lam, convention))
        assert s.after.w1.tolist() == (net.w1 - lr * (g["W"] + wd * net.w1)).tolist()
        assert s.after.w2.tolist() == (net.w2 - lr * (g["U"] + wd * net.w2)).tolist()
        assert s.after.b1.tolist() == (net.b1 - lr * g["b1"]).tolist()  # biases: no decay by default
        assert s.decay["b2"].tolist() == [0.0, 0.0]
        both = step(net, x, t, lr, penalty=penalty_for(lam, convention), decay_biases=True)
        assert both.after.b2.tolist() == (net.b2 - lr * (g["b2"] + wd * net.b2)).tolist()
    s = step(net, x, t, lr, penalty=penalty_for(lam))
    assert s.penalty_before == pytest.approx(lam / 2 * (np.sum(np.square(W0)) + np.sum(np.square(U0))), rel=1e-15)


def test_train_records_and_thins():
    tr = train(_example(), [1.0, 2.0], [0.0, 1.0], 0.5, steps=3)
    assert [r.step for r in tr.records] == [0, 1, 2, 3]
    assert tr.records[0].norm_w == pytest.approx(np.linalg.norm(W0), rel=1e-15)
    again = _example()
    for _ in range(3):
        again = step(again, [1.0, 2.0], [0.0, 1.0], 0.5).after
    assert tr.network.w2.tolist() == again.w2.tolist() and tr.final.after.w1.tolist() == again.w1.tolist()
    assert [r.step for r in train(_example(), [1.0, 2.0], [0.0, 1.0], 0.5, steps=45).records] == \
        [0, 3, 6, 9, 12, 15, 18, 21, 24, 27, 30, 33, 36, 39, 42, 45]
    assert [r.step for r in train(_example(), [1.0, 2.0], [0.0, 1.0], 0.5, steps=5, every=2).records] == \
        [0, 2, 4, 5]


def test_divergence_names_the_step():
    net = Network([[1.0]], [[1.0]], activation="tanh", output_activation="linear")
    with pytest.raises(CoreError, match=r"diverged at step \d+ .*try a smaller --lr"):
        train(net, [1.0], [0.0], 1e200, steps=5)


@pytest.mark.parametrize("kw, message", [
    (dict(w1=[[1.0, 2.0]], w2=[[1.0, 2.0]]), r"U \(--w2\) is 1x2 \(outputs x hidden units\) but W \(--w1\) is 1x2"),
    (dict(w1=[[1.0]], w2=[[1.0]], b1=[1.0, 2.0]), r"b1 \(--b1\) has 2 value\(s\) but W \(--w1\) is 1x1"),
    (dict(w1=[[1.0]], w2=[[1.0]], b2=[math.inf]), r"b2 \(--b2\) must be finite"),
    (dict(w1=[[math.nan]], w2=[[1.0]]), r"W \(--w1\) must be finite"),
    (dict(w1=[[[1.0]]], w2=[[1.0]]), r"must be a non-empty matrix"),
    (dict(w1=[[1.0]], w2=[[1.0]], activation="linear"), r"unknown hidden activation 'linear'"),
    (dict(w1=[[1.0]], w2=[[1.0]], output_activation="softmax"), r"unknown output activation"),
])
def test_network_refuses_what_does_not_fit(kw, message):
    with pytest.raises(CoreError, match=message):
        Network(**kw)


def test_samples_must_fit():
    with pytest.raises(CoreError, match=r"x \(--input\) has 3 column\(s\) but W \(--w1\) is 3x2"):
        backward(_example(), [[1.0, 2.0, 3.0]] * 2, [[0.0, 1.0]] * 2)
    with pytest.raises(CoreError, match="x has 2 sample"):
        backward(_example(), [[1.0, 2.0]] * 2, [[0.0, 1.0]] * 3)
    with pytest.raises(CoreError, match="unknown loss"):
        backward(_example(), [1.0, 2.0], [0.0, 1.0], "l1")
    with pytest.raises(CoreError, match="--lr must be a finite number > 0"):
        step(_example(), [1.0, 2.0], [0.0, 1.0], 0.0)


def test_check_and_its_failure():
    net = Network(W0, U0, B1, B2)
    p = backward(net, BX, BT)
    chk = check(net, p)
    assert chk.passed and chk.worst_error < 1e-9
    labels = weight_labels(net)
    assert check_failure(chk, labels, np.zeros(len(labels), dtype=bool)) is None
    p.grads["U"] = p.grads["U"].copy()
    p.grads["U"][1, 0] *= 1.001  # a wrong gradient
    wrong = check(net, p)
    message = check_failure(wrong, labels, np.zeros(len(labels), dtype=bool))
    assert message.startswith("gradient check failed at u_12: analytic ") and "> tolerance 1e-06" in message
    marked = np.array([label == "u_12" for label in labels])
    assert check_failure(wrong, labels, marked) is None  # a subgradient is not judged


def test_weight_labels():
    net = Network(W0, U0, B1, B2)
    assert weight_labels(net) == ["w_11", "w_21", "w_12", "w_22", "w_13", "w_23", "u_11", "u_21", "u_31", "u_12",
                                  "u_22", "u_32", "b1_1", "b1_2", "b1_3", "b2_1", "b2_2"]
    wide = Network(np.ones((10, 1)), np.ones((1, 10)))
    assert weight_labels(wide)[:2] == ["w_1,1", "w_1,2"] and weight_labels(wide)[-1] == "u_10,1"


def test_result_tables():
    tr = train(Network(W0, U0, b2=B2), [1.0, 2.0], [0.0, 1.0], 0.5, steps=2, penalty=penalty_for(0.01))
    r = backprop_result(tr, penalty=penalty_for(0.01))
    assert [row[0] for row in r.rows] == ["W 1", "W 2", "W 3", "U 1", "U 2", "b2"]
    assert r.rows[3][1] == tr.network.w2[0].tolist() and r.rows[5][1] == tr.network.b2.tolist()
    assert [t.title for t in r.extra] == ["forward pass (the last step)", "backward pass: the deltas",
                                          "gradients and the update", "trajectory"]
    assert r.extra[2].columns == ["delta", "input", "gradient", "w", "L2 grad", "new w"]
    assert r.extra[3].columns == ["loss", "penalty", "objective", "||W||_F", "||U||_F"]
    assert any("the biases are not decayed" in n for n in r.notes)
    assert any("weight decay: (lambda/2)(||W||_F^2 + ||U||_F^2) with lambda = 0.01" in n for n in r.notes)
    batch = backprop_result(train(Network(W0, U0), BX, BT, 0.5))
    assert batch.extra[0].label == "sample" and batch.extra[0].columns[0] == "unit"
    assert batch.extra[2].columns == ["gradient", "w", "new w"]


def test_backprop_reports_a_failed_check_and_every_option():
    rep = backprop(W0, U0, [1.0, 2.0], [0.0, 1.0], 0.5, b1=B1, loss="sse", activation="tanh",
                   output_activation="linear", l2=0.01, convention="full", decay_biases=True, steps=3,
                   check_gradients=True)
    assert rep.failure is None and rep.check.passed and rep.result.extra[3].title == "gradient check"
    near = backprop([[1e-9, 0.0]], [[1.0]], [1.0, 2.0], [0.0], 0.5, activation="relu", check_gradients=True)
    assert near.failure.startswith("gradient check failed at w_21")
    with pytest.raises(CoreError, match="tolerance"):
        backprop(W0, U0, [1.0, 2.0], [0.0, 1.0], 0.5, tolerance=math.nan)
