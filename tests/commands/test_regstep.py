"""regstep from the command line: the reference updates, chaining, data, and bad input."""

from __future__ import annotations

import json

import numpy as np
import pytest

W = "0.5,-1.2,2.0"
G = "0.1,0.2,-0.3"


def _plain(r):
    assert r.exit_code == 0, r.stderr
    return [float(v) for v in r.stdout.split()]


@pytest.mark.parametrize("extra,expected", [
    (["--l2", "0.01"], [0.4895, -1.2188, 2.028]),  # torch SGD weight_decay
    (["--l2", "0.01", "--convention", "full"], [0.489, -1.2176, 2.026]),  # Keras l2
    (["--l1", "0.01"], [0.489, -1.219, 2.029]),  # soft-thresholding
])
def test_reference_updates(run, extra, expected):
    got = _plain(run(["regstep", "--lr", "0.1", "--grad", G, *extra, W]))
    assert got == pytest.approx(expected, rel=1e-14)


def test_torch_weight_decay_written_out(run):
    w, g, lr, wd = np.array([0.5, -1.2, 2.0]), np.array([0.1, 0.2, -0.3]), 0.1, 0.01
    expect = w - lr * (g + wd * w)  # torch.optim.SGD(weight_decay=wd), one step
    assert _plain(run(["regstep", "--lr", "0.1", "--l2", "0.01", "--grad", G, "--weights", W])) == expect.tolist()


def test_prox_lands_on_zero_where_the_subgradient_overshoots(run):
    assert _plain(run(["regstep", "--lr", "0.1", "--l1", "0.5", "--grad", "0.1", "0.05"])) == [0.0]
    sub = _plain(run(["regstep", "--lr", "0.1", "--l1", "0.5", "--l1-method", "subgradient", "--grad", "0.1", "0.05"]))
    assert sub == pytest.approx([-0.01], rel=1e-12)


def test_l2_shrinks_negative_weights_toward_zero_too(run):
    got = _plain(run(["regstep", "--lr", "0.1", "--l2", "0.5", "--grad", "0,0", "2,-3"]))
    assert got == [1.9, -2.85]  # 0.95 w: the negative weight moves up, not down by lr*lambda*||w||


def test_output_feeds_the_next_call_from_a_pipe_and_as_an_argument(run):
    first = run(["regstep", "--lr", "0.1", "--l2", "0.01", "--grad", G, W])
    piped = run(["regstep", "--lr", "0.1", "--l2", "0.01", "--grad", G], input=first.stdout)
    inline = run(["regstep", "--lr", "0.1", "--l2", "0.01", "--grad", G, "--weights", first.stdout])
    twice = run(["regstep", "--lr", "0.1", "--l2", "0.01", "--grad", G, "--steps", "2", W])
    assert _plain(piped) == _plain(inline) == _plain(twice)


def test_vectors_from_files(run, tmp_path):
    (tmp_path / "w.csv").write_text("w\n0.5\n-1.2\n2.0\n")
    np.save(tmp_path / "g.npy", np.array([0.1, 0.2, -0.3]))
    got = _plain(run(["regstep", "--lr", "0.1", "--l2", "0.01", "--weights", str(tmp_path / "w.csv"),
                      "--grad", str(tmp_path / "g.npy")]))
    assert got == pytest.approx([0.4895, -1.2188, 2.028], rel=1e-14)


def test_table_shows_every_term_and_the_convention(run):
    r = run(["regstep", "--lr", "0.1", "--l2", "0.01", "--grad", G, W, "-o", "json"])
    doc = json.loads(r.stdout)
    row = doc["rows"][1]
    assert row == {"i": "2", "w": -1.2, "data grad": 0.2, "L2 grad": -0.012, "new w": -1.2187999999999999,
                   "change": -1.2187999999999999 + 1.2}
    assert any("half convention, as torch SGD weight_decay" in n for n in doc["notes"])
    assert any(n.startswith("||w||_2: ") for n in doc["notes"])
    full = json.loads(run(["regstep", "--lr", "0.1", "--l2", "0.01", "--convention", "full", "--grad", G, W,
                           "-o", "json"]).stdout)
    assert full["rows"][0]["L2 grad"] == 0.01 and any("full convention, as Keras l2" in n for n in full["notes"])


def test_max_norm_projects(run):
    got = _plain(run(["regstep", "--lr", "0.1", "--grad", "0,0", "--max-norm", "1", "3,4"]))
    assert got == pytest.approx([0.6, 0.8], rel=1e-15)


def _train(tmp_path, n=400, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, 3))
    y = X @ np.array([1.5, -2.0, 0.5]) + 0.3 + 0.1 * rng.standard_normal(n)
    path = tmp_path / "train.csv"
    np.savetxt(path, np.column_stack([X, y]), delimiter=",", header="x1,x2,x3,y", comments="", fmt="%.17g")
    return path, X, y


@pytest.mark.parametrize("intercept", [False, True])
def test_gradient_descent_on_data_converges_to_the_ridge_solution(run, tmp_path, intercept):
    path, X, y = _train(tmp_path)
    args = ["regstep", "--data", str(path), "--target", "y", "--lr", "0.5", "--l2", "0.1", "--steps", "300",
            "--solve", "-o", "json"]
    r = run(args + (["--intercept"] if intercept else []))
    assert r.exit_code == 0, r.stderr
    doc = json.loads(r.stdout)
    names = [row["i"] for row in doc["rows"]]
    assert names == (["x1", "x2", "x3", "b"] if intercept else ["x1", "x2", "x3"])
    new = np.array([row["new w"] for row in doc["rows"]])
    star = np.array([row["ridge w*"] for row in doc["rows"]])
    assert np.max(np.abs(new - star)) < 1e-8
    # the closed form, written out independently: (X^T X + n lambda I) w = X^T y on centred data
    Xc, yc = (X - X.mean(0), y - y.mean()) if intercept else (X, y)
    w = np.linalg.solve(Xc.T @ Xc + len(y) * 0.1 * np.eye(3), Xc.T @ yc)
    assert star[:3] == pytest.approx(w, rel=1e-10)
    traj = doc["tables"][0]
    assert traj["rows"][0]["step"] == 0 and traj["rows"][-1]["step"] == 300
    objectives = [row["objective"] for row in traj["rows"]]
    assert all(b <= a + 1e-15 for a, b in zip(objectives, objectives[1:]))  # descent


def test_intercept_chains_through_plain_output(run, tmp_path):
    path, _, _ = _train(tmp_path)
    base = ["regstep", "--data", str(path), "--target", "y", "--lr", "0.3", "--l2", "0.05", "--intercept"]
    once = run([*base, "--steps", "2"])
    step1 = run([*base])
    step2 = run([*base, "--weights", step1.stdout])
    assert _plain(step2) == pytest.approx(_plain(once), rel=1e-13)
    assert len(_plain(once)) == 4  # three weights and b


def test_divergence_stops_with_the_last_finite_step(run, tmp_path):
    path, _, _ = _train(tmp_path)
    r = run(["regstep", "--data", str(path), "--target", "y", "--lr", "50", "--steps", "1000"])
    assert r.exit_code == 1 and r.stdout == ""
    assert r.stderr.startswith("normcli: error: the iteration diverged at step ")
    assert "the last finite objective was" in r.stderr and "smaller --lr" in r.stderr
    assert r.stderr.count("\n") == 1


@pytest.mark.parametrize("args,code,message", [
    (["--lr", "0.1", "--grad", "1,2", "1,2,3"], 1, "--grad has 2 value(s) but the weights have 3"),
    (["--lr", "0", "--grad", "1", "1"], 2, "--lr must be a finite number > 0"),
    (["--lr", "-0.1", "--grad", "1", "1"], 2, "--lr must be a finite number > 0"),
    (["--lr", "0.1", "--l2", "-1", "--grad", "1", "1"], 2, "--l2"),
    (["--lr", "0.1", "--l1", "-1", "--grad", "1", "1"], 2, "--l1"),
    (["--lr", "0.1", "--max-norm", "0", "--grad", "1", "1"], 2, "--max-norm must be > 0"),
    (["--lr", "0.1", "--convention", "double", "--grad", "1", "1"], 2, "--convention"),
    (["--lr", "0.1", "--l1-method", "lasso", "--grad", "1", "1"], 2, "--l1-method"),
    (["--lr", "0.1", "1,2"], 2, "give the data-loss gradient with --grad"),
    (["--lr", "0.1", "--grad", "1", "--solve", "1"], 2, "--solve needs --data"),
    (["--lr", "0.1", "--grad", "x1", "1"], 1, "--grad 'x1' is neither numbers (value 1: 'x1' is not a number) nor an"),
    (["--grad", "1", "1"], 2, "--lr"),
    (["--lr", "0.1", "--grad", "1", "--weights", " "], 1, "--weights is empty"),
])
def test_bad_input(run, args, code, message):
    r = run(["regstep", *args])
    assert r.exit_code == code, r.stderr
    assert r.stderr.startswith("normcli: error: ") and message in r.stderr and "Traceback" not in r.stderr


def test_data_errors_name_the_problem(run, tmp_path):
    path, _, _ = _train(tmp_path, n=20)
    r = run(["regstep", "--data", str(path), "--lr", "0.1"])
    assert r.exit_code == 2 and "--data needs --target" in r.stderr
    r = run(["regstep", "--data", str(path), "--target", "z", "--lr", "0.1"])
    assert r.exit_code == 2 and "--target 'z' is not a column; the columns are 'x1', 'x2', 'x3', 'y'" in r.stderr
    r = run(["regstep", "--data", str(path), "--target", "y", "--lr", "0.1", "--weights", "1,2"])
    assert r.exit_code == 1 and "--weights has 2 value(s) but --data has 3 feature column(s)" in r.stderr
    r = run(["regstep", "--data", str(path), "--target", "y", "--lr", "0.1", "--l1", "0.1", "--solve"])
    assert r.exit_code == 2 and "with --l1 there is none" in r.stderr


def test_target_by_index_and_never_a_feature_of_itself(run, tmp_path):
    path, X, y = _train(tmp_path, n=50)
    base = ["regstep", "--data", str(path), "--lr", "0.1", "--l2", "0.01", "-o", "json"]
    by_name = json.loads(run([*base, "--target", "y"]).stdout)
    by_index = json.loads(run([*base, "--target", "4"]).stdout)
    assert by_name["rows"] == by_index["rows"]
    r = run([*base, "--target", "y", "-c", "1", "-c", "4"])  # column 4 is y itself: not a feature
    assert r.exit_code == 0, r.stderr
    assert [row["i"] for row in json.loads(r.stdout)["rows"]] == ["x1"]
    r = run([*base, "--target", "y", "-c", "4"])
    assert r.exit_code == 2 and "--target leaves no feature column" in r.stderr


def test_piped_weights_continue_a_data_run(run, tmp_path):
    path, _, _ = _train(tmp_path, n=50)
    base = ["regstep", "--data", str(path), "--target", "y", "--lr", "0.2", "--l2", "0.05"]
    first = run([*base, "--steps", "3"])
    second = run([*base, "--steps", "3"], input=first.stdout)
    both = run([*base, "--steps", "6"])
    assert _plain(second) == pytest.approx(_plain(both), rel=1e-13)
    assert _plain(run(base, input="")) == _plain(run(base))  # an empty pipe: start from 0


def test_a_row_of_weights_from_a_pipe_or_file(run, tmp_path):
    (tmp_path / "w.csv").write_text("0.5,-1.2,2.0\n")
    a = _plain(run(["regstep", "--lr", "0.1", "--l2", "0.01", "--grad", G, "--weights", str(tmp_path / "w.csv")]))
    b = _plain(run(["regstep", "--lr", "0.1", "--l2", "0.01", "--grad", G], input="0.5,-1.2,2.0\n"))
    assert a == b == pytest.approx([0.4895, -1.2188, 2.028], rel=1e-14)
    (tmp_path / "m.csv").write_text("1,2\n3,4\n")
    r = run(["regstep", "--lr", "0.1", "--grad", "1,1", "--weights", str(tmp_path / "m.csv")])
    assert r.exit_code == 1 and "a vector is one column or one row; this has 2 rows and 2 columns" in r.stderr


def test_stdin_for_only_one_option_and_finite_weights(run, tmp_path):
    r = run(["regstep", "--lr", "0.1", "--grad", "-", "--weights", "-"], input="1\n")
    assert r.exit_code == 2 and "only one of --weights, --grad can read stdin" in r.stderr
    r = run(["regstep", "--lr", "0.1", "--nan", "omit", "--grad", "0.1,0.2", "0.5,nan"])
    assert r.exit_code == 1 and "must be finite" in r.stderr and "--nan" not in r.stderr
    path, _, _ = _train(tmp_path, n=20)
    r = run(["regstep", "--data", str(path), "--target", "y", "--lr", "0.1", "--nan", "propagate"])
    assert r.exit_code == 2 and "--nan propagate" in r.stderr


def test_overshooting_l2_says_so(run):
    r = run(["regstep", "--lr", "1", "--l2", "3", "--grad", "0,0", "2,-3", "-o", "json"])
    doc = json.loads(r.stdout)
    assert [row["new w"] for row in doc["rows"]] == [-4.0, 6.0]
    assert any("overshoots 0" in n and "diverge" in n for n in doc["notes"])
    assert not any("move up toward 0" in n for n in doc["notes"])


def test_no_numpy_warnings_reach_stderr(run, tmp_path):
    path, _, _ = _train(tmp_path, n=20)
    r = run(["regstep", "--lr", "0.1", "--data", str(path), "--target", "y", "--weights", "1e308,1e308,1e308"])
    assert r.exit_code == 1 and r.stderr.count("\n") == 1 and "Warning" not in r.stderr
    r = run(["regstep", "--lr", "0.01", "--l2", "10", "--l1", "1", "--grad", "0", "1e308"])
    assert "Warning" not in r.stderr


@pytest.mark.parametrize("extra", [["--l1", "0.5"], ["--l1", "0.1", "--l2", "0.2"], ["--l2", "1e-300"]])
def test_weights_near_the_float64_limit_answer(run, extra):
    r = run(["regstep", "--lr", "0.1", "--grad", "0,0,0", *extra, "--", "1e308,-1e308,0"])
    assert r.exit_code in (0, 1) and "Traceback" not in r.stderr
    if r.exit_code == 0:
        assert len(r.stdout.split()) == 3


HOUSES = "size,age,price\n1.0,0.5,3.1\n2.0,1.5,4.9\n3.0,0.5,7.2\n4.0,2.0,8.8\n5.0,1.0,11.1\n6.0,2.5,12.7\n"


def test_a_growing_objective_is_warned_about(run, tmp_path):
    data = tmp_path / "houses.csv"
    data.write_text(HOUSES)
    many = run(["regstep", "--data", str(data), "--target", "price", "--lr", "1", "--l2", "0.1", "--steps", "50"])
    assert many.exit_code == 0
    assert "the objective grew over 50 steps" in many.stderr and "--lr 1.0 is too large" in many.stderr
    one = run(["regstep", "--data", str(data), "--target", "price", "--lr", "1", "--l2", "0.1"])
    assert "the objective grew in this step" in one.stderr
    calm = run(["regstep", "--data", str(data), "--target", "price", "--lr", "0.01", "--l2", "0.1", "--steps", "50"])
    assert calm.exit_code == 0 and calm.stderr == ""


def test_the_l2_note_does_not_claim_weights_moved_toward_0_when_they_did_not(run):
    r = run(["regstep", "--lr", "0.1", "--l2", "0.1", "--grad", "0.1,0.5", "-o", "json", "0.5,-1.2"])
    notes = " ".join(json.loads(r.stdout)["notes"])
    assert "the L2 term alone scales every weight" in notes
    assert "outweighs it for 1 of 2 weight(s), which moved away from 0" in notes
    toward = run(["regstep", "--lr", "0.1", "--l2", "0.5", "--grad", "0,0", "-o", "json", "2,-3"])
    assert "moved away" not in " ".join(json.loads(toward.stdout)["notes"])
