"""The `grad` command through the CLI: values, conventions, checks, composition, errors."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest


def _floats(text: str) -> list[float]:
    return [float(v) for v in text.split()]


def test_l2_gradient_and_composition(run):
    r = run(["grad", "3,4"])
    assert (r.exit_code, r.stdout, r.stderr) == (0, "0.6\n0.8\n", "")
    # the plain output is values again: its norm is 1 (dual norm of L2 is L2)
    assert run(["norm"], input=r.stdout).stdout == "1.0\n"
    assert run(["norm", *r.stdout.split()]).stdout == "1.0\n"


def test_issue_example_power_with_target(run):
    r = run(["grad", "--p", "2", "--power", "--target", "1,1", "3,2"])
    assert r.stdout == "4.0\n2.0\n"


def test_target_as_a_column_of_the_file(run):
    text = "pred,truth\n3,1\n2,1\n"
    assert run(["grad", "--power", "--target", "truth"], input=text).stdout == "4.0\n2.0\n"
    assert run(["grad", "--p", "1", "-t", "truth", "-c", "pred"], input=text).stdout == "1.0\n1.0\n"
    r = run(["grad", "--target", "nope"], input=text)
    assert r.exit_code == 2 and "neither numbers nor a column" in r.stderr and "'truth'" in r.stderr


def test_target_length_mismatch_names_both_lengths(run):
    r = run(["grad", "--target", "1,2,3", "1,2"])
    assert r.exit_code == 1
    assert r.stderr == "normcli: error: --target has 3 value(s) but x has 2\n"


def test_overflow_safe(run):
    assert _floats(run(["grad", "1e200,1e200"]).stdout) == [0.7071067811865476] * 2
    assert _floats(run(["grad", "3e-320,4e-320"]).stdout) == [0.6, 0.8]
    with np.errstate(invalid="ignore", over="ignore"):
        naive = np.array([1e200, 1e200]) / np.linalg.norm([1e200, 1e200])
    assert naive.tolist() == [0.0, 0.0]  # what the textbook one-liner gives: norm overflows


@pytest.mark.parametrize(
    "args, expected, marked",
    [
        (["0,0"], [0.0, 0.0], [True, True]),  # x = 0: 0 (torch)
        (["--p", "1", "-3,0,4"], [-1.0, 0.0, 1.0], [False, True, False]),
        (["--p", "0.5", "4,0"], [1.0, 0.0], [False, True]),
        (["--p", "inf", "3,-3,1"], [0.5, -0.5, 0.0], [True, True, False]),
        (["--p", "-inf", "-1,2,1"], [-0.5, 0.0, 0.5], [True, False, True]),
        (["--p", "0", "0,2"], [0.0, 0.0], [True, False]),
    ],
)
def test_subgradient_conventions_are_marked(run, args, expected, marked):
    r = run(["grad", *args, "-o", "json"])
    doc = json.loads(r.stdout)
    assert [row["gradient"] for row in doc["rows"]] == expected
    assert [row["note"] == "subgradient" for row in doc["rows"]] == marked
    if any(marked):
        assert any("torch" in n or "jumps" in n for n in doc["notes"])


def test_power_and_mean_gradients(run):
    assert _floats(run(["grad", "--power", "3,-1"]).stdout) == [6.0, -2.0]
    assert _floats(run(["grad", "--power", "--p", "3", "2,-1"]).stdout) == [12.0, -3.0]
    # RMS = ||x|| / sqrt(n): gradient x / (||x|| sqrt(n))
    got = _floats(run(["grad", "--mean", "3,4"]).stdout)
    assert got == pytest.approx([0.6 / math.sqrt(2), 0.8 / math.sqrt(2)], rel=1e-15)
    assert _floats(run(["grad", "--mean", "--p", "1", "-2,5,1,-1"]).stdout) == [-0.25, 0.25, 0.25, -0.25]


def test_check_passes_and_reports(run):
    r = run(["grad", "--check", "--p", "3", "-o", "json", "1,-2,2"])
    assert r.exit_code == 0
    doc = json.loads(r.stdout)
    for row in doc["rows"]:
        assert row["rel. error"] < 1e-6
        assert row["numeric"] == pytest.approx(row["gradient"], rel=1e-6)
    assert any("worst relative error" in n for n in doc["notes"])


def test_check_at_a_kink_reports_without_failing(run):
    r = run(["grad", "--check", "--p", "inf", "-o", "json", "3,-3,1"])
    assert r.exit_code == 0
    doc = json.loads(r.stdout)
    assert doc["rows"][0]["note"] == "subgradient"


def test_check_failure_exits_1_naming_the_component(run):
    # A tolerance no finite difference can meet turns the check into a failure.
    r = run(["grad", "--check", "--tolerance", "0", "--p", "3", "1,-2,2"])
    assert r.exit_code == 1
    assert "gradient check failed at component" in r.stderr
    assert r.stdout  # the values are still shown


def test_hessian(run):
    r = run(["grad", "--hessian", "3,4"])
    rows = [_floats(line) for line in r.stdout.splitlines()]
    want = (np.eye(2) - np.outer([3, 4], [3, 4]) / 25) / 5
    assert np.allclose(rows, want, rtol=1e-15, atol=1e-17)
    r = run(["grad", "--hessian", "--check", "--p", "3", "1,-2,2"])
    assert r.exit_code == 0 and len(r.stdout.splitlines()) == 3
    r = run(["grad", "--hessian", "--p", "1", "1,2"])
    assert r.exit_code == 2 and "--hessian needs a finite p > 1" in r.stderr
    r = run(["grad", "--hessian", "-o", "csv", "--power", "--p", "3", "1,2"])
    assert r.stdout.splitlines() == ["i,1,2", "1,6.0,0.0", "2,0.0,12.0"]


@pytest.mark.parametrize("order", ["fro", "nuc", "2", "1", "inf"])
def test_matrix_gradients_pass_their_check(run, order):
    text = "a,b,c\n1,-2,3\n4,5,-6\n0.5,8,9\n"
    r = run(["grad", "--matrix", order, "--check"], input=text)
    assert r.exit_code == 0, r.stderr
    g = np.array([_floats(line) for line in r.stdout.splitlines()])
    assert g.shape == (3, 3)
    a = np.array([[1, -2, 3], [4, 5, -6], [0.5, 8, 9]])
    if order == "fro":
        assert np.allclose(g, a / np.linalg.norm(a), rtol=1e-15)
    if order == "nuc":  # <G, A> = sum of singular values
        assert np.sum(g * a) == pytest.approx(np.linalg.norm(a, "nuc"), rel=1e-13)


def test_matrix_refusals(run):
    r = run(["grad", "--matrix", "-2"], input="1,2\n3,4\n")
    assert r.exit_code == 2 and "--matrix must be one of fro nuc 2 1 inf" in r.stderr


def test_rows_one_gradient_per_line(run):
    r = run(["grad", "--rows"], input="3,4\n0,5\n1,1,1,1\n")
    assert r.stdout == "0.6\t0.8\n0.0\t1.0\n0.5\t0.5\t0.5\t0.5\n"
    r = run(["grad", "--rows", "-o", "json", "3,4", "0,0"])
    doc = json.loads(r.stdout)
    assert doc["rows"][0]["gradient"] == [0.6, 0.8]
    assert any("row 2" in n for n in doc["notes"])
    r = run(["grad", "--rows", "--check", "-o", "csv", "3,4"])
    assert r.stdout.splitlines()[0] == "row,gradient,worst rel. error"


def test_grad_needs_one_vector(run):
    r = run(["grad"], input="a,b\n1,2\n")
    assert r.exit_code == 2 and "one vector is needed; the input has 2 columns" in r.stderr
    assert run(["grad", "-c", "b", "--p", "1"], input="a,b\n1,-2\n").stdout == "-1.0\n"


@pytest.mark.parametrize(
    "args, code, message",
    [
        (["1,abc"], 1, "'abc' is not a number"),
        (["--p", "x", "1,2"], 2, "'x' is not an order"),
        (["--power", "--p", "inf", "1,2"], 2, "--power needs a finite p"),
        (["--power", "--mean", "1,2"], 2, "cannot be combined"),
        (["--bogus", "1"], 2, "No such option: --bogus"),
        (["--nan", "propagate", "1,nan"], 1, "the gradient needs finite values"),
    ],
)
def test_errors(run, args, code, message):
    r = run(["grad", *args])
    assert r.exit_code == code
    assert message in r.stderr and r.stderr.count("\n") == 1
    assert "Traceback" not in r.stderr


def test_negative_values_without_dashes(run):
    assert run(["grad", "-3,-4"]).stdout == "-0.6\n-0.8\n"


# -- --rows with rows --nan leaves empty or non-finite: nan, not a traceback ------------


def test_rows_omit_leaves_an_empty_row_nan_like_norm(run):
    r = run(["grad", "--rows", "--nan", "omit", "3,4", "nan"])
    assert (r.exit_code, r.stdout, r.stderr) == (0, "0.6\t0.8\nnan\n", "")
    assert run(["norm", "--rows", "--nan", "omit", "3,4", "nan"]).stdout == "5.0\nnan\n"  # one line a row, both
    doc = json.loads(run(["grad", "--rows", "--nan", "omit", "-o", "json", "3,4", "nan", "3,nan"]).stdout)
    assert [row["gradient"] for row in doc["rows"]] == [[0.6, 0.8], ["nan"], [1.0]]
    assert any(n.startswith("row 2: no values left after --nan omit") for n in doc["notes"])


def test_rows_propagate_gives_nan_components(run):
    r = run(["grad", "--rows", "--nan", "propagate", "3,4", "1,nan"])
    assert (r.exit_code, r.stdout, r.stderr) == (0, "0.6\t0.8\nnan\tnan\n", "")
    # the vectorized path (a file, no --check): nan and inf rows among regular ones
    text = "3,4\n1,nan\ninf,2\n0,0\n-3,4\n"
    r = run(["grad", "--rows", "--nan", "propagate", "-o", "json"], input=text)
    doc = json.loads(r.stdout)
    assert [row["gradient"] for row in doc["rows"]] == [
        [0.6, 0.8], ["nan", "nan"], ["nan", "nan"], [0.0, 0.0], [-0.6, 0.8]]
    assert any(n.startswith("row 2: a missing or non-finite value under --nan propagate") for n in doc["notes"])
    assert any(n.startswith("row 4: x = 0") for n in doc["notes"])


@pytest.mark.parametrize("nan, values, want", [
    ("omit", ["3,4", "nan"], ["0.6 0.8", "nan"]),
    ("propagate", ["3,4", "1,nan"], ["0.6 0.8", "nan nan"]),
])
def test_rows_check_skips_rows_without_a_gradient(run, nan, values, want):
    r = run(["grad", "--rows", "--check", "--nan", nan, "-o", "csv", *values])
    assert r.exit_code == 0 and r.stderr == ""
    lines = r.stdout.splitlines()
    assert lines[0] == "row,gradient,worst rel. error"
    assert [line.split(",")[1] for line in lines[1:]] == want
    assert float(lines[1].split(",")[2]) < 1e-6 and lines[2].split(",")[2] == "nan"
    # a failing check is still reported, for the rows that have a gradient
    r = run(["grad", "--rows", "--check", "--tolerance", "0", "--nan", nan, *values])
    assert r.exit_code == 1 and "row 1: gradient check failed" in r.stderr


# -- --check at subnormal and huge points, --mean at small p ---------------------------


@pytest.mark.parametrize("args", [
    ["1e-320,1e-320"],
    ["--p", "3", "1e-320,-2e-321,0"],
    ["--mean", "--p", "0", "1e-320,2e-320"],
    ["--p", "1", "1e300,1e-320"],
    ["1.7976931348623157e308,1.7976931348623157e308"],
    ["1e300,1e-300"],
    ["--target", "1e-320,0", "3e-320,1e-320"],
])
def test_check_at_subnormal_and_huge_points(run, recwarn, args):
    # the step eps^(1/3) |x_i| underflowed at 1e-320: numpy warned, and the
    # check failed with "finite difference nan ... relative error inf"
    r = run(["grad", "--check", "-o", "json", *args])
    assert r.exit_code == 0 and r.stderr == "", r.stderr  # passed (1e-320 next to 1e300: within rounding)
    assert all(math.isfinite(row["numeric"]) for row in json.loads(r.stdout)["rows"])
    assert not [w for w in recwarn if issubclass(w.category, RuntimeWarning)]


def test_matrix_check_at_a_subnormal_matrix(run, recwarn):
    r = run(["grad", "--matrix", "nuc", "--check"], input="a,b\n1e-320,2e-320\n3e-320,1e-321\n")
    assert r.exit_code == 0 and r.stderr == "", r.stderr
    assert not [w for w in recwarn if issubclass(w.category, RuntimeWarning)]


def test_power_mean_gradient_at_a_small_order(run):
    # was "nan nan" and a note that 2 components exceed the float64 range
    mpmath = pytest.importorskip("mpmath")
    r = run(["grad", "--mean", "--p", "1e-5", "--check", "1,2"])
    assert r.exit_code == 0 and r.stderr == "", r.stderr
    with mpmath.workdps(60):
        p = mpmath.mpf(1e-5)
        xs = [mpmath.mpf(1), mpmath.mpf(2)]
        m = ((xs[0] ** p + xs[1] ** p) / 2) ** (1 / p)
        want = [float((m / v) ** (1 - p) / 2) for v in xs]  # ~[0.70710, 0.35355]
    got = _floats(r.stdout)
    assert all(abs(g - w) <= math.ulp(w) for g, w in zip(got, want)), (got, want)
