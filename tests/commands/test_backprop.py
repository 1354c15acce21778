"""backprop from the command line: torch's updated weights, chaining, files, batches, checks, and bad input.

The reference weights in ``TORCH`` are literal numbers computed with torch
2.13.0 (CPU wheel, float64) in a scratch venv; torch is not imported here.
For each case, W, U (and b1, b2 where given) were ``torch.tensor(...,
requires_grad=True)``, the forward pass ``a1 = X @ W.T + b1; h = act(a1);
a2 = h @ U.T + b2; y = out(a2)`` (torch.sigmoid / tanh / relu, or y = a2 for
linear), the loss ``0.5 * ((y - T)**2).sum(1).mean()`` (l2),
``((y - T)**2).sum(1).mean()`` (sse) or ``torch.nn.functional.mse_loss(y, T)``
(mse), and ``steps`` times ``opt.zero_grad(); loss.backward(); opt.step()``
with ``opt = torch.optim.SGD([{"params": [W, U], "weight_decay": wd},
{"params": [b1, b2], "weight_decay": wd if decay_biases else 0.0}], lr=lr)``,
wd = lambda (half convention) or 2 lambda (full). The printed ``.tolist()``
of W, U, b1, b2 after the steps are the rows below.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

W0 = [[0.1, 0.2], [0.3, 0.4], [0.5, 0.6]]
U0 = [[0.1, 0.2, 0.3], [0.4, 0.5, 0.6]]
U3 = [[0.1, 0.2, 0.3], [0.4, 0.5, 0.6], [-0.3, 0.2, -0.1]]
B1, B2 = [0.1, -0.2, 0.3], [-0.2, 0.2]
BATCH = "x1,x2,t1,t2\n1,2,0,1\n0.5,-1,1,0\n-1.5,0.25,0.5,0.5\n"
W1, W2 = "0.1,0.2;0.3,0.4;0.5,0.6", "0.1,0.2,0.3;0.4,0.5,0.6"
EXAMPLE = ["-x", "1,2", "-t", "0,1", "--w1", W1, "--w2", W2, "--lr", "0.5"]


def _matrix(a) -> str:
    return ";".join(",".join(repr(v) for v in row) for row in a)


def _args(W=W0, U=U0, x=(1.0, 2.0), t=(0.0, 1.0), lr=0.5, b1=None, b2=None, loss="l2", act="sigmoid",
          out="sigmoid", l2=0.0, convention="half", decay_biases=False, steps=1, batch=None) -> list[str]:
    """The command line of a case (the same keywords built the torch run)."""
    args = ["--w1", _matrix(W), "--w2", _matrix(U), "--lr", repr(lr)]
    if batch:
        args += ["--data", batch, "-x", "x1", "-x", "x2", "-t", "t1", "-t", "t2"]
    else:
        args += ["-x", ",".join(map(repr, x)), "-t", ",".join(map(repr, t))]
    for option, value in (("--b1", b1), ("--b2", b2)):
        if value is not None:
            args += [option, ",".join(map(repr, value))]
    for option, value, default in (("--loss", loss, "l2"), ("--activation", act, "sigmoid"),
                                   ("--output-activation", out, "sigmoid"), ("--convention", convention, "half")):
        if value != default:
            args += [option, value]
    if l2:
        args += ["--l2", repr(l2)]
    if decay_biases:
        args.append("--decay-biases")
    if steps != 1:
        args += ["--steps", str(steps)]
    return args


def _rows(r) -> list[list[float]]:
    assert r.exit_code == 0, r.stderr
    return [[float(v) for v in line.split("\t")] for line in r.stdout.splitlines()]


TORCH = {
    "example": (dict(), [
        [0.10040358383277184, 0.20080716766554368],
        [0.2993794543607667, 0.3987589087215334],
        [0.4989106042615368, 0.5978212085230736],
        [0.05469688113383612, 0.1453954322145199, 0.238461263762517],
        [0.41399823242247463, 0.5168722915843398, 0.6190148836194375]]),
    "biases": (dict(b1=B1, b2=B2), [
        [0.09996364513929452, 0.19992729027858905],
        [0.2988859934566895, 0.39777198691337895],
        [0.4988783543620279, 0.5977567087240557],
        [0.055042369457183805, 0.1504959453421089, 0.2386693055839626],
        [0.4109829132959978, 0.5120935808569839, 0.6149827669079038],
        [0.09996364513929452, -0.20111400654331055, 0.29887835436202786],
        [-0.2696309013159299, 0.21701046391105316]]),
    "sse": (dict(loss="sse"), [
        [0.10080716766554368, 0.20161433533108736],
        [0.2987589087215334, 0.3975178174430668],
        [0.49782120852307365, 0.5956424170461473],
        [0.009393762267672232, 0.09079086442903979, 0.176922527525034],
        [0.42799646484494924, 0.5337445831686795, 0.6380297672388748]]),
    "mse_3_outputs": (dict(loss="mse", U=U3, t=(0.0, 1.0, 0.5), b1=B1, b2=[-0.2, 0.2, 0.1]), [
        [0.09991918790449288, 0.19983837580898575],
        [0.2992912074325533, 0.3985824148651066],
        [0.49924358170166006, 0.5984871634033201],
        [0.07002824630478921, 0.16699729689473924, 0.2591128703893084],
        [0.40732194219733187, 0.5080623872379892, 0.6099885112719359],
        [-0.2994677905218624, 0.20058603015276974, -0.09927396581014451],
        [0.09991918790449288, -0.20070879256744673, 0.29924358170166004],
        [-0.24642060087728662, 0.21134030927403546, 0.10082429223257906]]),
    "tanh": (dict(act="tanh", out="tanh", t=(-0.5, 0.5), b1=B1), [
        [0.05807853686020192, 0.11615707372040383],
        [0.2503100552948967, 0.30062011058979343],
        [0.4897424386066197, 0.5794848772132394],
        [-0.10342228449968432, -0.07131750604069842, -0.06515194259609647],
        [0.3717570354100948, 0.4623305247280283, 0.5493026370732128],
        [0.05807853686020192, -0.2496899447051033, 0.2897424386066197]]),
    "relu_kink": (dict(W=[[1.0, -0.5], [0.3, -0.4], [0.5, 0.6]], act="relu", out="linear", b1=[0.0, 0.0, 0.0]), [
        [1.0, -0.5],
        [0.3, -0.4],
        [0.4175, 0.43499999999999994],
        [0.1, 0.2, -0.1335],
        [0.4, 0.5, 0.583],
        [0.0, 0.0, -0.0825]]),
    "relu_output": (dict(U=[[0.0, 0.0, 0.0], [0.4, 0.5, 0.6]], out="relu", b2=[0.0, 0.0], loss="sse"), [
        [0.08764494996981946, 0.17528989993963892],
        [0.28768655495762624, 0.3753731099152525],
        [0.4897003294785465, 0.579400658957093],
        [0.0, 0.0, 0.0],
        [0.31818729046124133, 0.4013898434471908, 0.4888674581533111],
        [0.0, -0.13143462622818003]]),
    "linear_mse": (dict(out="linear", loss="mse", U=U3, t=(0.25, -1.0, 2.0)), [
        [-0.0183276171176166, -0.0366552342352332],
        [0.25723837503211855, 0.3144767500642372],
        [0.4322690693231622, 0.46453813864632443],
        [0.0551915648359972, 0.14599168232760432, 0.23913323096102723],
        [-0.04224379064748923, -0.0330434559143481, -0.0007340038932064363],
        [0.14012838865098576, 0.7304937283326145, 0.4978604894695383]]),
    "decay_half": (dict(l2=0.01, b1=B1, b2=B2), [
        [0.09946364513929452, 0.19892729027858905],
        [0.2973859934566895, 0.39577198691337895],
        [0.4963783543620279, 0.5947567087240557],
        [0.054542369457183805, 0.1494959453421089, 0.2371693055839626],
        [0.4089829132959978, 0.5095935808569838, 0.6119827669079039],
        [0.09996364513929452, -0.20111400654331055, 0.29887835436202786],
        [-0.2696309013159299, 0.21701046391105316]]),
    "decay_full": (dict(l2=0.01, convention="full", b1=B1, b2=B2), [
        [0.09896364513929452, 0.19792729027858905],
        [0.2958859934566895, 0.39377198691337895],
        [0.49387835436202787, 0.5917567087240557],
        [0.054042369457183805, 0.1484959453421089, 0.2356693055839626],
        [0.4069829132959978, 0.5070935808569839, 0.6089827669079039],
        [0.09996364513929452, -0.20111400654331055, 0.29887835436202786],
        [-0.2696309013159299, 0.21701046391105316]]),
    "decay_biases": (dict(l2=0.05, decay_biases=True, b1=B1, b2=B2), [
        [0.09746364513929452, 0.19492729027858904],
        [0.2913859934566895, 0.38777198691337894],
        [0.48637835436202786, 0.5827567087240557],
        [0.0525423694571838, 0.14549594534210888, 0.2311693055839626],
        [0.4009829132959978, 0.4995935808569838, 0.5999827669079039],
        [0.09746364513929452, -0.19611400654331054, 0.29137835436202786],
        [-0.2646309013159299, 0.21201046391105316]]),
    "decay_biases_full": (dict(l2=0.05, convention="full", decay_biases=True, b1=B1, b2=B2, loss="mse"), [
        [0.09496364513929453, 0.18992729027858907],
        [0.28388599345668947, 0.37777198691337893],
        [0.4738783543620279, 0.5677567087240557],
        [0.05004236945718381, 0.14049594534210888, 0.2236693055839626],
        [0.3909829132959978, 0.48709358085698384, 0.5849827669079039],
        [0.09496364513929453, -0.19111400654331054, 0.28387835436202785],
        [-0.25963090131593, 0.20701046391105316]]),
    "batch3": (dict(batch=True, b1=B1, b2=B2), [
        [0.1000824319545919, 0.20173662096239603],
        [0.29990231668185546, 0.40099737003962743],
        [0.5001373460591487, 0.6011432378659463],
        [0.09452298439759992, 0.19111094247858465, 0.2891046861066777],
        [0.38828405419101714, 0.49198284329552633, 0.5901353450666159],
        [0.09734067962272255, -0.20315107906524962, 0.29641081763174526],
        [-0.2036914837044515, 0.174306313735607]]),
    "batch3_tanh_mse_decay_steps": (dict(batch=True, act="tanh", loss="mse", l2=0.02, steps=4, b2=B2), [
        [0.07759865781184447, 0.2185603462440013],
        [0.2649379299610971, 0.40463490621560383],
        [0.4573729359041836, 0.5947210252205438],
        [0.038556220259720636, 0.0929423174916148, 0.16553232502374296],
        [0.40511552210484686, 0.5123541509526288, 0.6153578876226194],
        [-0.18123785355476316, 0.16213039130808038]]),
    "steps10": (dict(steps=10), [
        [0.128798880751784, 0.257597761503568],
        [0.3192692303112022, 0.4385384606224045],
        [0.5102972103620966, 0.6205944207241931],
        [-0.2800939120407427, -0.2535297267423668, -0.20894137694200193],
        [0.5162249568144996, 0.6386570646389993, 0.7555827075039353]]),
    "relu_3_4_1_steps": (dict(W=[[0.2, -0.1, 0.4], [-0.3, 0.5, 0.1], [0.6, 0.2, -0.2], [-0.1, -0.4, 0.3]],
                              U=[[0.3, -0.2, 0.5, 0.1]], x=(0.5, -1.0, 2.0), t=(0.75,), act="relu", out="linear",
                              b1=[0.05, 0.0, -0.05, 0.1], b2=[0.2], lr=0.1, steps=3, l2=0.001), [
        [0.2039159268383973, -0.10792184467709459, 0.4157836953539892],
        [-0.2999100089997, 0.4998500149995, 0.09997000299990001],
        [0.5998200179994, 0.19994000599980002, -0.19994000599980002],
        [-0.09857306612429222, -0.4026738857508156, 0.3054977565021312],
        [0.32737316238793107, -0.19994000599980002, 0.4998500149995, 0.12717742251981867],
        [0.05795287206798372, 0.0, -0.05, 0.10279422448128438],
        [0.22579188012860638]]),
}


@pytest.mark.parametrize("name", list(TORCH))
def test_updated_weights_match_torch_sgd(run, tmp_path, name):
    kw, want = dict(TORCH[name][0]), TORCH[name][1]
    if kw.pop("batch", False):
        (tmp_path / "batch.csv").write_text(BATCH)
        kw["batch"] = str(tmp_path / "batch.csv")
    got = _rows(run(["backprop", *_args(**kw)]))
    assert [len(row) for row in got] == [len(row) for row in want]
    # float64 on both sides: within 1e-14 relative (45 ulp; the worst seen is 8 ulp but for weights a step took
    # close to 0, where one rounding of the old weight (1 ulp of ~0.5) is a large relative error: hence the atol)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-14, atol=4.5e-16)


def test_the_example_by_hand(run):
    doc = json.loads(run(["backprop", *EXAMPLE, "-o", "json"]).stdout)
    forward, deltas, gradients, before_after = doc["tables"]
    h = {row["unit"]: row["value"] for row in forward["rows"]}
    assert [row["a"] for row in forward["rows"][2:5]] == [0.5, 1.1, 1.7]  # W x, exactly as by hand
    sig = lambda a: 1 / (1 + np.exp(-a))  # noqa: E731
    assert h["h1"] == sig(0.5) and h["y1"] == sig(0.1 * h["h1"] + 0.2 * h["h2"] + 0.3 * h["h3"])
    d = {row["unit"]: row for row in deltas["rows"]}
    y1, y2 = h["y1"], h["y2"]
    assert d["y1"]["delta"] == (y1 - 0.0) * (y1 * (1 - y1))  # (y_k - t_k) y_k (1 - y_k)
    assert d["y2"]["dL/dvalue"] == y2 - 1.0
    h1 = h["h1"]
    assert d["h1"]["dL/dvalue"] == d["y1"]["delta"] * 0.1 + d["y2"]["delta"] * 0.4  # sum_k delta_k u_1k
    assert d["h1"]["delta"] == d["h1"]["dL/dvalue"] * (h1 * (1 - h1))
    g = {row["weight"]: row for row in gradients["rows"]}
    assert g["u_11"]["gradient"] == d["y1"]["delta"] * h1 and g["u_11"]["input"] == h1
    assert g["w_21"]["gradient"] == d["h1"]["delta"] * 2.0 and g["w_21"]["input"] == 2.0
    for row in gradients["rows"]:
        assert row["gradient"] == row["delta"] * row["input"]
        assert row["new w"] == row["w"] - 0.5 * row["gradient"]
    assert [row["loss"] for row in before_after["rows"]] == [0.21850283018385386, 0.1994037727660451]
    assert doc["notes"][1] == "loss: 0.218503 -> 0.199404"


def test_plain_output_feeds_the_next_call(run, tmp_path):
    first = run(["backprop", *EXAMPLE])
    lines = first.stdout.splitlines()
    assert len(lines) == 5 and [len(line.split("\t")) for line in lines] == [2, 2, 2, 3, 3]
    again = ["-x", "1,2", "-t", "0,1", "--lr", "0.5"]
    inline = run(["backprop", *again, "--w1", "\n".join(lines[:3]), "--w2", "\n".join(lines[3:])])
    (tmp_path / "W.tsv").write_text("\n".join(lines[:3]) + "\n")
    (tmp_path / "U.tsv").write_text("\n".join(lines[3:]) + "\n")
    files = run(["backprop", *again, "--w1", str(tmp_path / "W.tsv"), "--w2", str(tmp_path / "U.tsv")])
    twice = run(["backprop", *EXAMPLE, "--steps", "2"])
    assert inline.stdout == files.stdout == twice.stdout


def test_matrices_and_vectors_from_files(run, tmp_path):
    (tmp_path / "W.csv").write_text("0.1,0.2\n0.3,0.4\n0.5,0.6\n")
    np.save(tmp_path / "U.npy", np.array(U0))
    (tmp_path / "x.csv").write_text("x\n1\n2\n")
    (tmp_path / "t.csv").write_text("0 1\n")
    got = run(["backprop", "-x", str(tmp_path / "x.csv"), "-t", str(tmp_path / "t.csv"),
               "--w1", str(tmp_path / "W.csv"), "--w2", str(tmp_path / "U.npy"), "--lr", "0.5"])
    assert got.exit_code == 0 and got.stdout == run(["backprop", *EXAMPLE]).stdout
    (tmp_path / "bad.csv").write_text("a,b\n1,nan\n")
    r = run(["backprop", *EXAMPLE[:4], "--w1", str(tmp_path / "bad.csv"), *EXAMPLE[6:]])
    assert r.exit_code == 1 and r.stderr.startswith("normcli: error: --w1: ")
    assert "the weights must be finite" in r.stderr


def test_biases_are_printed_only_when_given(run):
    plain = run(["backprop", *EXAMPLE, "--b2", "0,0"]).stdout.splitlines()
    assert len(plain) == 6 and len(plain[-1].split("\t")) == 2
    doc = json.loads(run(["backprop", *EXAMPLE, "--b1", "0,0,0", "--b2", "0,0", "-o", "json"]).stdout)
    assert [row["row"] for row in doc["rows"]] == ["W 1", "W 2", "W 3", "U 1", "U 2", "b1", "b2"]
    # zero biases change nothing in the forward pass: W and U update exactly as without them
    assert [row["updated"] for row in doc["rows"][:5]] == _rows(run(["backprop", *EXAMPLE]))
    notes = json.loads(run(["backprop", *EXAMPLE, "-o", "json"]).stdout)["notes"]
    assert any("no --b1 or --b2" in n for n in notes)


def test_weight_decay_leaves_the_biases_alone_unless_asked(run):
    base = ["backprop", *EXAMPLE, "--b1", "0.1,-0.2,0.3", "--b2", "-0.2,0.2"]
    plain = _rows(run(base))
    decayed = _rows(run([*base, "--l2", "0.1"]))
    assert decayed[5:] == plain[5:]  # the same bias update: the gradient is the same, no decay term
    doc = json.loads(run([*base, "--l2", "0.1", "-o", "json"]).stdout)
    grads = {row["weight"]: row for row in doc["tables"][2]["rows"]}
    assert grads["u_21"]["L2 grad"] == 0.1 * 0.2 and grads["b2_1"]["L2 grad"] == 0.0
    assert grads["u_21"]["new w"] == 0.2 - 0.5 * (grads["u_21"]["gradient"] + 0.1 * 0.2)
    assert any("the biases are not decayed (--decay-biases" in n for n in doc["notes"])
    assert _rows(run([*base, "--l2", "0.1", "--decay-biases"]))[5:] != plain[5:]
    full = json.loads(run([*base, "--l2", "0.1", "--convention", "full", "-o", "json"]).stdout)
    assert {row["weight"]: row for row in full["tables"][2]["rows"]}["u_21"]["L2 grad"] == 2 * 0.1 * 0.2


def test_the_decay_scales_weights_it_does_not_subtract_the_norm(run):
    # the decay adds lr*lambda*w to each weight's step, whatever its sign: new w (with L2) = new w (without) -
    # lr*lambda*w, so a negative weight moves up toward 0 (the mistaken rule, subtracting lr*lambda*||W||, would
    # move every weight down by the same amount)
    args = ["-x", "1,2", "-t", "0,1", "--w1", "0.1,-0.2;-0.3,0.4", "--w2", "-0.5,0.25;0.75,-1", "--lr", "0.5"]
    plain = np.array([v for row in _rows(run(["backprop", *args])) for v in row])
    decayed = np.array([v for row in _rows(run(["backprop", *args, "--l2", "0.1"])) for v in row])
    w = np.array([0.1, -0.2, -0.3, 0.4, -0.5, 0.25, 0.75, -1.0])
    np.testing.assert_allclose(decayed - plain, -0.5 * 0.1 * w, rtol=1e-12, atol=1e-17)
    notes = json.loads(run(["backprop", *args, "--l2", "0.1", "-o", "json"]).stdout)["notes"]
    assert any("(1 - lr*c*lambda = 0.95, c = 1)" in n and "does not subtract lambda*||W||" in n for n in notes)


def test_a_batch_averages_the_loss_and_the_gradients(run, tmp_path):
    (tmp_path / "b.csv").write_text(BATCH)
    net = ["--w1", W1, "--w2", W2, "--lr", "0.5"]
    doc = json.loads(run(["backprop", "--data", str(tmp_path / "b.csv"), "-t", "t1", "-t", "t2", *net,
                          "-o", "json"]).stdout)
    singles = []
    for x, t in (("1,2", "0,1"), ("0.5,-1", "1,0"), ("-1.5,0.25", "0.5,0.5")):
        one = json.loads(run(["backprop", "-x", x, "-t", t, *net, "-o", "json"]).stdout)
        singles.append([row["gradient"] for row in one["tables"][2]["rows"]])
    got = [row["gradient"] for row in doc["tables"][2]["rows"]]
    np.testing.assert_allclose(got, np.mean(singles, axis=0), rtol=1e-13, atol=1e-18)
    assert "delta" not in doc["tables"][2]["rows"][0]  # per-sample factors are in the other tables
    assert [row["sample"] for row in doc["tables"][0]["rows"]].count("3") == 7  # x1 x2 h1 h2 h3 y1 y2
    assert any("the mean over the 3 samples" in n for n in doc["notes"])
    assert any("x1 = 'x1', x2 = 'x2'; targets t1 = 't1', t2 = 't2'" in n for n in doc["notes"])


def test_data_columns_by_name_index_and_default(run, tmp_path):
    (tmp_path / "b.csv").write_text("t2,x1,skip,x2,t1\n1,1,9,2,0\n0,0.5,9,-1,1\n")
    net = ["--w1", W1, "--w2", W2, "--lr", "0.5"]
    path = str(tmp_path / "b.csv")
    named = run(["backprop", "--data", path, "-x", "x1", "-x", "x2", "-t", "t1", "-t", "t2", *net])
    indexed = run(["backprop", "--data", path, "-x", "2", "-x", "4", "-t", "5", "-t", "1", *net])
    assert named.exit_code == 0 and named.stdout == indexed.stdout
    (tmp_path / "c.csv").write_text("x1,x2,t1,t2\n1,2,0,1\n0.5,-1,1,0\n")
    default = run(["backprop", "--data", str(tmp_path / "c.csv"), "-t", "t1", "-t", "t2", *net])
    assert default.stdout == named.stdout
    r = run(["backprop", "--data", path, "-t", "nope", *net])
    assert r.exit_code == 2 and "--target 'nope' is not a column of --data" in r.stderr
    r = run(["backprop", "--data", path, "-x", "x1", "-x", "t1", "-t", "t1", "-t", "t2", *net])
    assert r.exit_code == 2 and "'t1' is both an --input and a --target" in r.stderr


def test_data_nan_omit_drops_rows_and_says_so(run, tmp_path):
    (tmp_path / "b.csv").write_text("x1,x2,t1,t2\n1,2,0,1\n0.5,,1,0\n")
    net = ["--w1", W1, "--w2", W2, "--lr", "0.5"]
    r = run(["backprop", "--data", str(tmp_path / "b.csv"), "-t", "t1", "-t", "t2", *net])
    assert r.exit_code == 1 and "--nan omit" in r.stderr
    r = run(["backprop", "--data", str(tmp_path / "b.csv"), "-t", "t1", "-t", "t2", *net, "--nan", "omit",
             "-o", "json"])
    doc = json.loads(r.stdout)
    assert doc["notes"][0].startswith("omitted 1 row(s) of --data")
    assert [row["updated"] for row in doc["rows"]] == _rows(run(["backprop", *EXAMPLE]))


def test_steps_give_a_trajectory(run):
    doc = json.loads(run(["backprop", *EXAMPLE, "--steps", "3", "-o", "json"]).stdout)
    traj = doc["tables"][-1]
    assert traj["title"] == "trajectory" and [row["step"] for row in traj["rows"]] == [0, 1, 2, 3]
    losses = [row["loss"] for row in traj["rows"]]
    assert losses[0] == 0.21850283018385386 and losses == sorted(losses, reverse=True)
    assert traj["rows"][0]["||W||_F"] == pytest.approx(np.linalg.norm(W0), rel=1e-15)
    long = json.loads(run(["backprop", *EXAMPLE, "--steps", "100", "-o", "json"]).stdout)["tables"][-1]
    assert long["title"] == "trajectory (every 5 steps, and the last)" and len(long["rows"]) == 21
    every = json.loads(run(["backprop", *EXAMPLE, "--steps", "10", "--every", "4", "-o", "json"]).stdout)
    assert [row["step"] for row in every["tables"][-1]["rows"]] == [0, 4, 8, 10]


def test_csv_and_table_carry_every_table(run):
    csv = run(["backprop", *EXAMPLE, "--steps", "2", "--check", "-o", "csv"]).stdout
    heads = [block.splitlines()[0] for block in csv.split("\n\n")]
    assert heads == ["row,updated", "unit,a,value,target", "unit,dL/dvalue,f'(a),delta",
                     "weight,delta,input,gradient,w,new w", "weight,gradient,numeric,rel. error",
                     "step,loss,||W||_F,||U||_F"]
    assert json.loads(run(["backprop", *EXAMPLE, "-o", "json"]).stdout)["tables"][-1]["title"] == \
        "before and after the step"
    table = run(["backprop", *EXAMPLE, "-o", "table"]).stdout
    for title in ("backprop: the updated weights (2-3-2 network, lr 0.5)", "forward pass",
                  "backward pass: the deltas", "gradients and the update"):
        assert title in table
    assert "0.0546969 0.145395 0.238461" in table  # six digits on the terminal


@pytest.mark.parametrize("loss", ["l2", "sse", "mse"])
@pytest.mark.parametrize("act", ["sigmoid", "tanh", "relu"])
@pytest.mark.parametrize("out", ["sigmoid", "tanh", "relu", "linear"])
def test_check_passes_for_every_loss_and_activation(run, loss, act, out):
    r = run(["backprop", *EXAMPLE, "--b1", "0.1,-0.2,0.3", "--b2", "-0.2,0.2", "--loss", loss, "--activation", act,
             "--output-activation", out, "--check", "-o", "json"])
    assert r.exit_code == 0, r.stderr
    check = json.loads(r.stdout)["tables"][3]
    assert check["title"] == "gradient check"
    assert max(row["rel. error"] for row in check["rows"]) < 1e-8


def test_check_at_an_exact_relu_kink_marks_and_does_not_fail(run):
    r = run(["backprop", "-x", "1,2", "-t", "0,1", "--w1", "1,-0.5;0.3,-0.4;0.5,0.6", "--w2", W2, "--lr", "0.5",
             "--activation", "relu", "--b1", "0,0,0", "--check", "-o", "json"])
    assert r.exit_code == 0, r.stderr
    doc = json.loads(r.stdout)
    grads = {row["weight"]: row for row in doc["tables"][2]["rows"]}
    assert grads["w_11"]["note"] == grads["w_21"]["note"] == grads["b1_1"]["note"] == "subgradient"
    assert grads["w_11"]["gradient"] == 0.0 and grads["w_12"]["note"] == ""
    check = {row["weight"]: row for row in doc["tables"][3]["rows"]}
    assert check["w_21"]["rel. error"] > 1e-3  # the differences see the kink's mean slope
    assert any("3 subgradient(s) are not judged" in n for n in doc["tables"][3]["notes"])


def test_check_failure_exits_1_naming_the_weight(run):
    # a = 1e-9 > 0 for h1, but w_21 = 0 is stepped by eps^(1/3) max|w|: the differences straddle the kink
    r = run(["backprop", "-x", "1,2", "-t", "0,1", "--w1", "1e-9,0;0.3,0.4;0.5,0.6", "--w2", W2, "--lr", "0.5",
             "--activation", "relu", "--check"])
    assert r.exit_code == 1
    assert r.stderr.startswith("normcli: error: gradient check failed at w_21: analytic ")
    assert len(r.stdout.splitlines()) == 5  # the weights are still printed
    assert run(["backprop", *EXAMPLE, "--check", "--tolerance", "0"]).exit_code == 0  # within rounding: passes


def test_a_growing_loss_is_warned_about_on_stderr(run):
    r = run(["backprop", *EXAMPLE[:-1], "5", "--output-activation", "linear"])
    assert r.exit_code == 0 and "the loss grew in this step: --lr 5.0 may be too large" in r.stderr
    r = run(["backprop", *EXAMPLE, "--steps", "3"])
    assert r.stderr == ""


def test_divergence_is_an_error_naming_the_step(run):
    r = run(["backprop", *EXAMPLE[:-1], "1e200", "--output-activation", "linear", "--activation", "tanh",
             "--steps", "5"])
    assert r.exit_code == 1 and "diverged at step" in r.stderr and "try a smaller --lr" in r.stderr


@pytest.mark.parametrize("args, message", [
    (["-x", "1,2,3"], "x (--input) has 3 value(s) but W (--w1) is 3x2 (hidden units x inputs): one per input (2)"),
    (["-t", "0,1,1"], "t (--target) has 3 value(s) but U (--w2) is 2x3 (outputs x hidden units): one per output (2)"),
    (["--w1", "0.1,0.2;0.3,0.4"], "U (--w2) is 2x3 (outputs x hidden units) but W (--w1) is 2x2 (hidden units x "
     "inputs): U needs one column per hidden unit (2)"),
    (["--b1", "1,2"], "b1 (--b1) has 2 value(s) but W (--w1) is 3x2: one per hidden unit (3)"),
    (["--b2", "1,2,3"], "b2 (--b2) has 3 value(s) but U (--w2) is 2x3: one per output (2)"),
    (["--w1", "0.1,0.2;0.3"], "--w1: every row needs the same number of values; the rows have 2, 1"),
    (["--w1", "0.1,0.2;0.3,nan;1,1"], "--w1 row 2, value 2: 'nan' is not a finite number (the weights must be "
     "finite)"),
    (["--w1", "0.1,0.2;;0.5,0.6"], "--w1 row 2 is empty"),
    (["--w1", " ; "], "--w1 is empty"),
    (["--w1", "0.1,x;0.2,0.3"], "--w1 row 1, value 2: 'x' is not a number"),
    (["--w2", "missing.csv"], "--w2 'missing.csv' is neither numbers (rows separated by ;) nor an existing file"),
    (["-x", "1,inf"], "--input, value 2: 'inf' is not a finite number (the input must be finite)"),
    (["-x", "1,2;3,4"], "--input holds a 2x2 matrix; give one row or one column of numbers"),
    (["--b2", "a,b"], "--b2 'a,b' is neither numbers"),
])
def test_bad_data_exits_1_naming_both_shapes(run, args, message):
    given = dict(zip(EXAMPLE[::2], EXAMPLE[1::2])) | dict(zip(args[::2], args[1::2]))
    r = run(["backprop", *[word for pair in given.items() for word in pair]])
    assert r.exit_code == 1 and message in r.stderr and r.stdout == ""


@pytest.mark.parametrize("args, message", [
    (["-x", "1,2", "-t", "0,1", "--w1", W1, "--lr", "0.5"], "give both weight matrices"),
    (["-t", "0,1", "--w1", W1, "--w2", W2, "--lr", "0.5"], "give the input with -x/--input"),
    (["-x", "1,2", "--w1", W1, "--w2", W2, "--lr", "0.5"], "give the target with -t/--target"),
    ([*EXAMPLE, "-x", "3,4"], "--input is given 2 times; without --data it is one vector"),
    ([*EXAMPLE[:-1], "0"], "--lr must be a finite number > 0"),
    ([*EXAMPLE, "--every", "2"], "--every sets the rows of the trajectory"),
    ([*EXAMPLE, "--nan", "omit"], "--nan applies to --data"),
    ([*EXAMPLE, "--decay-biases", "--b1", "0,0,0"], "--decay-biases needs --l2"),
    ([*EXAMPLE, "--loss", "l1"], "--loss must be one of l2, sse, mse, not 'l1'"),
    ([*EXAMPLE, "--activation", "linear"], "--activation must be one of sigmoid, tanh, relu, not 'linear'"),
    ([*EXAMPLE, "--convention", "keras"], "--convention must be one of half, full"),
    ([*EXAMPLE, "--tolerance", "nan"], "--tolerance must be a number >= 0"),
    ([*EXAMPLE, "--lr", "0.1"], "--lr is given 2 times"),
])
def test_bad_option_combinations_exit_2(run, args, message):
    r = run(["backprop", *args])
    assert r.exit_code == 2 and message in r.stderr, r.stderr


def test_data_refuses_nan_propagate(run, tmp_path):
    (tmp_path / "b.csv").write_text(BATCH)
    r = run(["backprop", "--data", str(tmp_path / "b.csv"), "-t", "t1", "-t", "t2", "--w1", W1, "--w2", W2,
             "--lr", "0.5", "--nan", "propagate"])
    assert r.exit_code == 2 and "--nan propagate" in r.stderr


def test_any_sizes(run):
    r = run(["backprop", "-x", "1", "-t", "0.5", "--w1", "0.3", "--w2", "-0.7", "--lr", "1", "-o", "json"])
    doc = json.loads(r.stdout)
    assert doc["title"] == "backprop: the updated weights (1-1-1 network, lr 1)"
    wide = run(["backprop", "-x", ",".join(["0.1"] * 11), "-t", "0", "--w1", ",".join(["0.01"] * 11),
                "--w2", "0.5", "--lr", "0.1", "-o", "json"])
    labels = [row["weight"] for row in json.loads(wide.stdout)["tables"][2]["rows"]]
    assert labels[:2] == ["w_1,1", "w_2,1"] and labels[-1] == "u_1,1"
