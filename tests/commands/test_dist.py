"""dist, normalize and norm --transform through the CLI, against numpy and scipy."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from scipy.spatial import distance as sd


@pytest.fixture(autouse=True)
def _each_reader(reader):
    """Every test here runs with both text readers (numpy and polars)."""


def _floats(text: str) -> list[list[float]]:
    return [[float(v) for v in line.split("\t")] for line in text.splitlines()]


@pytest.mark.parametrize("p, ref", [("2", 7.0710678118654755), ("1", 12.0), ("inf", 5.0), ("3", None)])
def test_dist_of_two_vectors(run, p, ref):
    r = run(["dist", "--p", p, "1,2,3", "4,6,8"])
    assert r.exit_code == 0 and r.stderr == ""
    want = ref if ref is not None else sd.minkowski([1, 2, 3], [4, 6, 8], 3)
    assert float(r.stdout) == pytest.approx(want, rel=1e-15)


def test_dist_negative_first_values_and_several_orders(run):
    r = run(["dist", "--p", "1", "--p", "inf", "-3,4", "0,0"])
    assert r.stdout == "7.0\t4.0\n"


def test_dist_is_safe_from_overflow(run):
    r = run(["dist", "1e200,1e200", "-1e200,-1e200"])
    assert float(r.stdout) == pytest.approx(2 * math.sqrt(2) * 1e200, rel=1e-15)
    r = run(["dist", "1.5e308", "-1.5e308"])
    assert r.stdout == "inf\n" and "float64 range" in r.stderr


def test_hamming(run):
    r = run(["dist", "--hamming", "1,0,1,1", "1,1,0,1"])
    assert r.stdout == "2\t0.5\n"
    assert float(r.stdout.split()[1]) == sd.hamming([1, 0, 1, 1], [1, 1, 0, 1])


def test_dist_of_two_columns_of_a_file_with_nan_omit(run, tmp_path):
    f = tmp_path / "p.csv"
    f.write_text("a,b,c\n1,2,9\n3,,9\n4,8,9\n")
    r = run(["dist", "-f", str(f), "-c", "a", "-c", "b", "--nan", "omit", "-o", "json"])
    out = json.loads(r.stdout)
    assert out["rows"][0]["L2"] == pytest.approx(math.hypot(1, 4), rel=1e-15)
    assert any("omitted 1 row" in n for n in out["notes"])
    r = run(["dist", "-f", str(f), "--nan", "omit"])
    assert r.exit_code == 2 and "dist needs two columns" in r.stderr


def test_pairwise_matches_cdist(run, tmp_path):
    rng = np.random.default_rng(4)
    X = rng.standard_normal((7, 3))
    f = tmp_path / "x.csv"
    np.savetxt(f, X, delimiter=",", fmt="%.17g")
    for p, metric in [("2", "euclidean"), ("1", "cityblock"), ("inf", "chebyshev")]:
        got = np.array(_floats(run(["dist", "--pairwise", "--p", p, "-f", str(f)]).stdout))
        assert np.allclose(got, sd.cdist(X, X, metric), rtol=1e-14, atol=0)
        assert np.array_equal(got, got.T) and not np.diag(got).any()
    cols = np.array(_floats(run(["dist", "--pairwise", "--by", "columns", "-f", str(f)]).stdout))
    assert cols.shape == (3, 3) and np.allclose(cols, sd.cdist(X.T, X.T), rtol=1e-14)
    ham = np.array(_floats(run(["dist", "--pairwise", "--hamming", "-f", str(f)]).stdout))
    assert np.array_equal(ham, sd.cdist(X, X, "hamming") * 3)


def test_pairwise_streams_rows_in_order_for_a_large_input(run, tmp_path):
    X = np.arange(3000, dtype=float).reshape(-1, 1)
    f = tmp_path / "big.txt"
    np.savetxt(f, X, fmt="%d")
    out = run(["dist", "--pairwise", "--p", "1", "-f", str(f)]).stdout.splitlines()
    assert len(out) == 3000
    assert [float(v) for v in out[2999].split("\t")[:3]] == [2999.0, 2998.0, 2997.0]


@pytest.mark.parametrize("args, message, code", [
    (["1,2", "1,2,3"], "A has 2 value(s) but B has 3", 1),
    (["1,2"], "dist takes two vectors A B", 2),
    (["--hamming", "--p", "1", "1,2", "1,2"], "takes no --p", 2),
    (["--by", "columns", "1,2", "1,2"], "--by chooses what --pairwise compares", 2),
    (["--pairwise", "--p", "1", "--p", "2", "-f", "x.csv"], "one --p", 2),
    (["1,x", "1,2"], "neither numbers", 1),
])
def test_dist_errors(run, args, message, code):
    r = run(["dist", *args])
    assert r.exit_code == code and message in r.stderr and r.stdout == ""


def test_normalize_one_vector_and_its_composition(run):
    r = run(["normalize", "3,4"])
    assert r.stdout == "0.6\n0.8\n"
    assert run(["norm"], input=r.stdout).stdout == "1.0\n"
    r = run(["normalize", "--p", "1", "1,1,2"])
    assert r.stdout == "0.25\n0.25\n0.5\n"
    r = run(["normalize", "--p", "inf", "-3,1.5"])
    assert r.stdout == "-1.0\n0.5\n"


def test_normalize_extremes_and_zero_vector(run):
    assert run(["normalize", "1.5e308,1.5e308"]).stdout == "0.7071067811865476\n0.7071067811865476\n"
    assert run(["normalize", "3e-320,4e-320"]).stdout == "0.6\n0.8\n"
    out = json.loads(run(["normalize", "0,0", "-o", "json"]).stdout)
    assert [row["normalized"] for row in out["rows"]] == [0.0, 0.0]
    assert any("zero vector stays zero" in n for n in out["notes"])


def test_normalize_rows_feeds_norm_rows(run):
    r = run(["normalize", "--rows"], input="3,4\n1,1\n0,0\n")
    assert _floats(r.stdout) == [[0.6, 0.8], [0.7071067811865475, 0.7071067811865475], [0.0, 0.0]]
    norms = [float(v) for v in run(["norm", "--rows"], input=r.stdout).stdout.split()]
    assert norms[:2] == [pytest.approx(1.0, abs=2e-16)] * 2 and norms[2] == 0.0


def test_normalize_errors(run):
    r = run(["normalize", "--p", "0", "1,2"])
    assert r.exit_code == 2 and "--p 0 counts non-zeros" in r.stderr
    r = run(["normalize", "--p", "1", "--p", "2", "1,2"])
    assert r.exit_code == 2 and "one --p" in r.stderr


def test_norm_transform_against_numpy(run, tmp_path):
    A = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    f = tmp_path / "A.csv"
    np.savetxt(f, A, delimiter=",")
    r = run(["norm", "--transform", str(f), "--p", "1", "--p", "2", "1,-1"])
    assert r.stdout == "3.0\t1.7320508075688772\n"
    out = json.loads(run(["norm", "--transform", str(f), "1,1", "-o", "json"]).stdout)
    assert out["rows"][0]["L2"] == pytest.approx(np.linalg.norm(A @ [1, 1]), rel=1e-15)
    assert any("injective (rank 2" in n for n in out["notes"])


def test_norm_transform_rows(run, tmp_path):
    f = tmp_path / "A.npy"
    np.save(f, np.array([[2.0, 0.0], [0.0, 3.0]]))
    r = run(["norm", "--transform", str(f), "--rows"], input="1,0\n0,1\n1,1\n")
    assert [float(v) for v in r.stdout.split()] == [2.0, 3.0, math.sqrt(13)]


def test_norm_transform_not_injective_is_a_seminorm(run, tmp_path):
    f = tmp_path / "S.csv"
    f.write_text("1,2\n2,4\n")
    out = json.loads(run(["norm", "--transform", str(f), "2,-1", "-o", "json"]).stdout)
    assert out["rows"][0]["L2"] == 0.0
    assert any("rank 1 < 2" in n and "only a seminorm" in n for n in out["notes"])


@pytest.mark.parametrize("content, args, message, code", [
    ("1,2\n3,4\n", ["1,2,3"], "A has 2 columns but x has 3 values", 1),
    ("1,2\n3,x\n", ["1,2"], "--transform: ", 1),
    ("1,2\n3,4\n", ["--power", "1,2"], "cannot be combined with --power", 2),
])
def test_norm_transform_errors(run, tmp_path, content, args, message, code):
    f = tmp_path / "A.csv"
    f.write_text(content)
    r = run(["norm", "--transform", str(f), *args])
    assert r.exit_code == code and message in r.stderr and r.stdout == ""
    r = run(["norm", "--transform", str(tmp_path / "missing.csv"), "1,2"])
    assert r.exit_code == 1 and "no such file" in r.stderr


def test_norm_rows_with_nothing_left_of_a_row_gives_nan(run):
    r = run(["norm", "--rows", "--nan", "omit", "3,4", "nan,nan"])
    assert r.exit_code == 0 and r.stdout == "5.0\nnan\n"


def test_norm_transform_refuses_nan_propagate(run, tmp_path):
    f = tmp_path / "A.csv"
    f.write_text("2,0\n0,1\n")
    r = run(["norm", "--transform", str(f), "--nan", "propagate", "nan,4"])
    assert r.exit_code == 2 and "--transform needs finite x" in r.stderr


def test_nan_policy_applies_to_the_operands_as_to_a_file(run, tmp_path):
    path = tmp_path / "ab.csv"
    path.write_text("a,b\n1,1\nnan,2\n3,nan\n5,1\n")
    for policy in ("omit", "propagate"):
        from_file = run(["dist", "--nan", policy, "-f", str(path)])
        from_args = run(["dist", "--nan", policy, "1,nan,3,5", "1,2,nan,1"])
        assert from_args.exit_code == from_file.exit_code == 0
        assert from_args.stdout == from_file.stdout == {"omit": "4.0\n", "propagate": "nan\n"}[policy]
    r = run(["dist", "1,nan", "1,2"])
    assert r.exit_code == 1
    assert r.stderr == "normcli: error: A, value 2: 'nan' is not a finite number; use --nan omit or --nan propagate\n"
    r = run(["dist", "--nan", "omit", "nan,1", "1,nan"])
    assert r.exit_code == 1 and "no rows are left after --nan omit" in r.stderr
