"""The `norm` command through the CLI, in-process: exit code, stdout and stderr apart."""

from __future__ import annotations

import csv
import io
import json
import math

import numpy as np
import pytest


@pytest.fixture(autouse=True)
def _each_reader(reader):
    """Every test here runs with both text readers (numpy and polars)."""


# -- values on the command line ---------------------------------------------
@pytest.mark.parametrize(
    "args, expected",
    [
        (["--p", "2", "1,2,3"], "3.7416573867739413"),
        (["1,2,3"], "3.7416573867739413"),  # p = 2 is the default
        (["1", "2", "3"], "3.7416573867739413"),  # several arguments form one vector
        (["1 2 3"], "3.7416573867739413"),
        (["1, 2, 3"], "3.7416573867739413"),
        (["-3,4"], "5.0"),  # a negative first value needs no --
        (["-3", "-4"], "5.0"),
        (["--p", "1", "-3,4"], "7.0"),
        (["-3,4", "--p", "inf"], "4.0"),
        (["--p", "-inf", "-3,4"], "3.0"),
        (["1e-3,-2.5E+2", "--p", "1"], "250.001"),
        (["-.5,1.5", "--p", "1"], "2.0"),
        (["1e200,1e200"], "1.414213562373095e+200"),
        (["1e-200,1e-200"], "1.414213562373095e-200"),
        (["3e-320,4e-320"], "5e-320"),
        (["--", "-3,4"], "5.0"),
    ],
)
def test_values_from_arguments(run, args, expected):
    r = run(["norm", *args])
    assert (r.exit_code, r.stdout, r.stderr) == (0, expected + "\n", "")


def test_overflow_safe_for_p3(run):
    r = run(["norm", "--p", "3", "1e200,1e200"])
    assert r.exit_code == 0
    assert float(r.stdout) == pytest.approx(2 ** (1 / 3) * 1e200, rel=1e-15)
    r = run(["norm", "--p", "3", "1e-200,1e-200"])
    assert float(r.stdout) == pytest.approx(2 ** (1 / 3) * 1e-200, rel=1e-15)


@pytest.mark.parametrize("name, p", [("l1", 1), ("taxicab", 1), ("manhattan", 1), ("L2", 2), ("euclidean", 2),
                                     ("linf", math.inf), ("max", math.inf), ("chebyshev", math.inf)])
def test_named_orders(run, name, p):
    r = run(["norm", "--p", name, "-3,4,1"])
    assert r.exit_code == 0
    assert float(r.stdout) == np.linalg.norm([-3, 4, 1], p)


def test_repeated_p_gives_one_column_per_order(run):
    r = run(["norm", "--p", "1", "--p", "2", "--p", "inf", "-3,4"])
    assert r.stdout == "7.0\t5.0\t4.0\n"


def test_unknown_option_is_a_usage_error(run):
    r = run(["norm", "--bogus", "1,2"])
    assert r.exit_code == 2
    assert r.stdout == ""
    assert r.stderr.startswith("normcli: error: No such option: --bogus")
    assert r.stderr.count("\n") == 1


def test_bad_order_is_a_usage_error(run):
    r = run(["norm", "--p", "abc", "1,2"])
    assert r.exit_code == 2
    assert "'abc' is not an order" in r.stderr


@pytest.mark.parametrize(
    "args, message",
    [
        (["1,abc,3"], "value 2: 'abc' is not a number"),
        (["1", "2,x"], "argument 2, value 2: 'x' is not a number"),
        (["1,nan"], "'nan' is not a finite number; use --nan omit or --nan propagate"),
        (["1,inf"], "'inf' is not a finite number"),
        (["1,,2"], "an empty field (missing value)"),
        (["1_000"], "'1_000' is not a number"),
    ],
)
def test_bad_values_name_what_and_where(run, args, message):
    r = run(["norm", *args])
    assert r.exit_code == 1
    assert r.stdout == ""
    assert message in r.stderr
    assert r.stderr.startswith("normcli: error: ")
    assert "Traceback" not in r.stderr


def test_nan_policies_on_arguments(run):
    assert run(["norm", "--nan", "omit", "3,nan,4"]).stdout == "5.0\n"
    assert run(["norm", "--nan", "omit", "3,abc,4,inf"]).stdout == "5.0\n"
    assert run(["norm", "--nan", "propagate", "3,nan,4"]).stdout == "nan\n"
    assert run(["norm", "--nan", "propagate", "3,inf,4"]).stdout == "inf\n"
    r = run(["norm", "--nan", "sometimes", "3,4"])
    assert r.exit_code == 2 and "--nan must be one of error, omit, propagate" in r.stderr


# -- files and stdin ---------------------------------------------------------
def test_piped_stdin_is_read(run):
    r = run(["norm"], input="3\n4\n")
    assert (r.exit_code, r.stdout) == (0, "5.0\n")


def test_file_dash_is_stdin(run):
    assert run(["norm", "-f", "-"], input="3\n4\n").stdout == "5.0\n"


@pytest.mark.parametrize(
    "text",
    [
        "a,b\n3,1\n4,1\n",
        "a\tb\n3\t1\n4\t1\n",
        "a;b\n3;1\n4;1\n",
        "a b\n3  1\n4\t1\n",
        "a|b\n3|1\n4|1\n",
        '"a","b"\r\n"3","1"\r\n4,1\r\n',
        "\ufeffa,b\n3,1\n4,1\n",
        "# made by hand\n\na,b\n3,1\n# a comment\n\n4,1  # trailing comment\n",
    ],
)
def test_delimiters_header_comments_blank_lines(run, text):
    r = run(["norm", "-c", "a", "--p", "2", "--p", "1"], input=text)
    assert (r.exit_code, r.stdout, r.stderr) == (0, "5.0\t7.0\n", "")


def test_each_column_is_a_vector(run, tmp_path):
    path = tmp_path / "errs.csv"
    path.write_text("model_a,model_b\n3,-5\n4,12\n")
    r = run(["norm", "-f", str(path), "-o", "csv"])
    assert r.stdout == "vector,L2\nmodel_a,5.0\nmodel_b,13.0\n"


def test_column_by_name_and_index_repeatable(run):
    text = "a,b,c\n1,3,5\n1,4,12\n"
    assert run(["norm", "-c", "c", "-c", "2"], input=text).stdout == "13.0\n5.0\n"
    assert run(["norm", "-c", "3"], input=text).stdout == "13.0\n"


def test_header_detection_and_override(run):
    assert run(["norm"], input="3\n4\n").stdout == "5.0\n"
    # --header: the first line is a header even though it is a number
    assert run(["norm", "--header"], input="100\n3\n4\n").stdout == "5.0\n"
    r = run(["norm", "--no-header"], input="x\n3\n")
    assert r.exit_code == 1 and "line 1, column 1: 'x' is not a number" in r.stderr


def test_delimiter_override(run):
    assert run(["norm", "-d", ";", "-c", "2"], input="1;3\n1;4\n").stdout == "5.0\n"
    assert run(["norm", "-d", "\\t", "-c", "2"], input="1\t3\n1\t4\n").stdout == "5.0\n"
    r = run(["norm", "-d", "ab"], input="1\n")
    assert r.exit_code == 2 and "--delimiter must be one character" in r.stderr


def test_error_names_line_column_and_text(run):
    r = run(["norm"], input="id,err\n1,0.5\n2,0.25\n3,abc\n")
    assert r.exit_code == 1
    assert r.stderr == "normcli: error: line 4, column 'err': 'abc' is not a number\n"


def test_ragged_row_names_line_and_counts(run):
    r = run(["norm"], input="a,b,c\n1,2,3\n4,5\n")
    assert r.exit_code == 1
    assert "line 3: 2 field(s), expected 3 as in line 1 (the header)" in r.stderr
    # the check holds when only some columns are selected, too
    r = run(["norm", "-c", "a"], input="a,b,c\n1,2,3\n4,5,6,7\n")
    assert r.exit_code == 1 and "line 3: 4 field(s), expected 3" in r.stderr


def test_unknown_column_lists_the_available_ones(run):
    r = run(["norm", "-c", "nope"], input="a,b\n1,2\n")
    assert r.exit_code == 2
    assert "no column named 'nope'; the columns are 'a', 'b'" in r.stderr
    r = run(["norm", "-c", "5"], input="a,b\n1,2\n")
    assert r.exit_code == 2 and "out of range: the input has 2 column(s)" in r.stderr
    r = run(["norm", "-c", "x"], input="1,2\n")
    assert r.exit_code == 2 and "the input has no header" in r.stderr


@pytest.mark.parametrize("text, message", [("", "stdin holds no data"),
                                           ("\n# only a comment\n\n", "stdin holds no data"),
                                           ("a,b\n", "header line but no data rows")])
def test_empty_input_says_so(run, text, message):
    r = run(["norm"], input=text)
    assert r.exit_code == 1 and message in r.stderr


def test_non_utf8_names_the_line(run):
    r = run(["norm"], input=b"1\n2\n\xff\xfe\n")
    assert r.exit_code == 1
    assert "line 3: bytes that are not UTF-8" in r.stderr


def test_missing_file(run, tmp_path):
    r = run(["norm", "-f", str(tmp_path / "nope.csv")])
    assert r.exit_code == 1 and "does not exist" in r.stderr


def test_values_and_file_together_is_usage_error(run, tmp_path):
    r = run(["norm", "-f", "x.csv", "1,2"])
    assert r.exit_code == 2 and "not both" in r.stderr


def test_nan_policies_in_files(run):
    text = "a,b\n3,1\nnan,\n4,2\n"
    r = run(["norm"], input=text)
    assert r.exit_code == 1 and "line 3, column 'a': 'nan' is not a finite number" in r.stderr
    r = run(["norm", "--nan", "omit", "-o", "json"], input=text)
    doc = json.loads(r.stdout)
    assert [row["L2"] for row in doc["rows"]] == [5.0, math.sqrt(5)]
    assert any("omitted 1" in n and "'a'" in n for n in doc["notes"])
    r = run(["norm", "--nan", "propagate"], input=text)
    assert r.stdout == "nan\nnan\n"


def test_nan_omit_everything_is_an_error(run):
    r = run(["norm", "--nan", "omit"], input="a\nnan\n")
    assert r.exit_code == 1 and "no values left" in r.stderr


def test_npy_files(run, tmp_path):
    one = tmp_path / "v.npy"
    np.save(one, np.array([3.0, -4.0]))
    assert run(["norm", "-f", str(one)]).stdout == "5.0\n"
    two = tmp_path / "m.npy"
    np.save(two, np.array([[3.0, 5.0], [4.0, 12.0]]))
    assert run(["norm", "-f", str(two)]).stdout == "5.0\n13.0\n"
    assert run(["norm", "-f", str(two), "-c", "2"]).stdout == "13.0\n"
    assert run(["norm", "-f", str(two), "--rows", "--p", "1"]).stdout == "8.0\n16.0\n"
    assert run(["norm", "-f", str(two), "--matrix", "fro"]).stdout == f"{math.sqrt(9 + 25 + 16 + 144)!r}\n"


def test_npy_from_stdin_and_refusals(run, tmp_path):
    buf = io.BytesIO()
    np.save(buf, np.array([3.0, 4.0]))
    assert run(["norm"], input=buf.getvalue()).stdout == "5.0\n"
    strings = tmp_path / "s.npy"
    np.save(strings, np.array(["a", "b"]))
    r = run(["norm", "-f", str(strings)])
    assert r.exit_code == 1 and "numeric .npy" in r.stderr
    objects = tmp_path / "o.npy"
    np.save(objects, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    r = run(["norm", "-f", str(objects)])
    assert r.exit_code == 1 and "Traceback" not in r.stderr
    nanfile = tmp_path / "n.npy"
    np.save(nanfile, np.array([1.0, np.nan]))
    r = run(["norm", "-f", str(nanfile)])
    assert r.exit_code == 1 and "n.npy', value 2: nan is not a finite number" in r.stderr
    assert run(["norm", "-f", str(nanfile), "--nan", "omit"]).stdout == "1.0\n"


# -- --rows --------------------------------------------------------------------
def test_rows_each_row_its_own_vector(run):
    r = run(["norm", "--rows", "-o", "csv"], input="3,4\n1,2,2\n5,12\n")
    assert r.stdout == "row,L2\n1,5.0\n2,3.0\n3,13.0\n"


def test_rows_from_arguments(run):
    assert run(["norm", "--rows", "3,4", "-6,8", "--p", "1"]).stdout == "7.0\n14.0\n"


def test_rows_with_header_columns_and_nan(run):
    text = "a,b,c\n3,4,100\n6,nan,8\n"
    assert run(["norm", "--rows", "-c", "a", "-c", "c"], input=text).stdout == f"{math.hypot(3, 100)!r}\n10.0\n"
    assert run(["norm", "--rows", "--nan", "omit", "-c", "a", "-c", "b"], input=text).stdout == "5.0\n6.0\n"
    r = run(["norm", "--rows"], input=text)
    assert r.exit_code == 1 and "line 3, column 'b': 'nan'" in r.stderr


def test_rows_match_norm_of_each_row(run):
    rng = np.random.default_rng(7)
    a = rng.standard_normal((50, 4)) * 10.0 ** rng.integers(-5, 5, size=(50, 1))
    text = "\n".join(",".join(repr(v) for v in row) for row in a.tolist()) + "\n"
    for p in ("1", "2", "3", "0.5", "inf", "-1"):
        r = run(["norm", "--rows", "--p", p], input=text)
        got = [float(v) for v in r.stdout.split()]
        want = [float(run(["norm", "--p", p, ",".join(map(repr, row))]).stdout) for row in a[:5].tolist()]
        assert got[:5] == want
        assert np.allclose(got, np.linalg.norm(a, float(p), axis=1), rtol=1e-13)


# -- power, mean, quasi-norms, matrices ------------------------------------------
def test_power_and_mean(run):
    assert run(["norm", "--power", "1,2,3"]).stdout == "14.0\n"
    assert run(["norm", "--power", "--p", "1", "1,-2,3"]).stdout == "6.0\n"
    assert run(["norm", "--mean", "3,4"]).stdout == f"{math.sqrt(12.5)!r}\n"  # RMS
    assert run(["norm", "--mean", "--p", "1", "-3,4,-5"]).stdout == "4.0\n"  # mean |x|
    assert run(["norm", "--mean", "--p", "0", "1,4"]).stdout == "2.0\n"  # geometric mean
    r = run(["norm", "--power", "--mean", "1,2"])
    assert r.exit_code == 2 and "cannot be combined" in r.stderr
    r = run(["norm", "--power", "--p", "inf", "1,2"])
    assert r.exit_code == 2 and "--power needs a finite p" in r.stderr


def test_power_overflow_is_inf_with_a_note_on_stderr(run):
    r = run(["norm", "--power", "1e200,1e200"])
    assert r.exit_code == 0
    assert r.stdout == "inf\n"
    assert "exceeds the float64 range" in r.stderr and r.stderr.startswith("normcli: note: ")


def test_quasi_norms_are_labelled(run):
    r = run(["norm", "--p", "0", "--p", "0.5", "--p", "-1", "-o", "json", "0,1,4"])
    doc = json.loads(r.stdout)
    assert doc["rows"] == [{"vector": "x", "L0": 2, "L0.5": 9.0, "L-1": 0.0}]
    notes = " ".join(doc["notes"])
    assert "L0 counts the non-zero entries; it is not a norm" in notes
    assert "quasi-norm" in notes and "L-1: p < 0" in notes


@pytest.mark.parametrize("order", ["fro", "nuc", "2", "-2", "1", "-1", "inf", "-inf"])
def test_matrix_norms_match_numpy(run, order):
    a = np.array([[1.0, -2.0, 3.0], [4.0, 5.0, -6.0], [0.5, 8.0, 9.0], [1.0, 1.0, 1.0]])
    text = "x,y,z\n" + "\n".join(",".join(map(repr, r)) for r in a.tolist()) + "\n"
    r = run(["norm", "--matrix", order], input=text)
    ord_ = {"fro": "fro", "nuc": "nuc"}.get(order) or float(order)
    assert float(r.stdout) == pytest.approx(np.linalg.norm(a, ord_), rel=1e-14)


def test_matrix_is_overflow_safe_and_validated(run):
    r = run(["norm", "--matrix", "fro"], input="1e300,1e300\n1e300,1e300\n")
    assert r.stdout == "2e+300\n"
    r = run(["norm", "--matrix", "spectral"], input="1,2\n")
    assert r.exit_code == 2 and "--matrix must be one of" in r.stderr
    r = run(["norm", "--matrix", "fro", "--p", "1"], input="1,2\n")
    assert r.exit_code == 2


# -- output formats --------------------------------------------------------------
def test_plain_csv_json_and_precision(run):
    args = ["norm", "--p", "1", "--p", "2", "-f", "-"]
    text = "a,b\n1,2\n2,2\n"
    assert run([*args, "-o", "plain"], input=text).stdout == "3.0\t2.23606797749979\n4.0\t2.8284271247461903\n"
    rows = list(csv.reader(io.StringIO(run([*args, "-o", "csv"], input=text).stdout)))
    assert rows == [["vector", "L1", "L2"], ["a", "3.0", "2.23606797749979"], ["b", "4.0", "2.8284271247461903"]]
    doc = json.loads(run([*args, "-o", "json"], input=text).stdout)
    assert doc["rows"][1] == {"vector": "b", "L1": 4.0, "L2": 2.8284271247461903}
    assert run([*args, "-o", "plain", "--precision", "3"], input=text).stdout == "3\t2.24\n4\t2.83\n"
    r = run([*args, "-o", "xml"], input=text)
    assert r.exit_code == 2 and "--output must be one of" in r.stderr


def test_json_is_strict_for_non_finite_values(run):
    r = run(["norm", "-o", "json", "--nan", "propagate", "1,nan"])
    doc = json.loads(r.stdout, parse_constant=lambda c: pytest.fail(f"non-standard JSON constant {c}"))
    assert doc["rows"][0]["L2"] == "nan"
    r = run(["norm", "-o", "json", "--power", "1e200,1e200"])
    doc = json.loads(r.stdout, parse_constant=lambda c: pytest.fail(f"non-standard JSON constant {c}"))
    assert doc["rows"][0]["L2^2"] == "inf" and doc["warnings"]


def test_plain_vector_output_feeds_back_in(run):
    first = run(["norm", "--rows", "3,4", "6,8"]).stdout
    assert run(["norm"], input=first).stdout == f"{math.hypot(5, 10)!r}\n"


def test_version_and_help(run):
    from normcli import __version__

    r = run(["--version"])
    assert (r.exit_code, r.stdout) == (0, f"normcli {__version__}\n")
    r = run(["--help"])
    assert r.exit_code == 0
    assert "norm" in r.stdout and "e.g. normcli norm --p 2 1,2,3" in r.stdout
    r = run(["norm", "--help"])
    assert r.exit_code == 0 and "--rows" in r.stdout and "--nan" in r.stdout


def test_bare_command_shows_usage_with_exit_2(run):
    r = run([])
    assert r.exit_code == 2 and "Usage: normcli" in r.stderr


def test_a_target_column_is_named_under_every_nan_policy(run, tmp_path):
    path = tmp_path / "preds.csv"
    path.write_text("pred,truth\n3.5,3\n1.5,2\n4,4\n")
    for extra in ([], ["--nan", "omit"], ["--nan", "propagate"], ["-c", "pred", "--nan", "omit"]):
        r = run(["grad", "--p", "1", "--target", "truth", "-f", str(path), *extra])
        assert (r.exit_code, r.stdout) == (0, "1.0\n-1.0\n0.0\n"), extra
    r = run(["grad", "--target", "bogus", "-f", str(path), "--nan", "omit"])
    assert r.exit_code == 2 and "'bogus' is neither numbers nor a column" in r.stderr
    r = run(["grad", "--target", "1,x", "1,2"])  # the error names the option, not the values
    assert r.exit_code == 1 and r.stderr == "normcli: error: --target, value 2: 'x' is not a number\n"


def test_check_tolerance_nan_is_a_usage_error(run):
    r = run(["grad", "--check", "--tolerance", "nan", "3,4"])
    assert r.exit_code == 2 and "--tolerance must be a number >= 0, not nan" in r.stderr
    r = run(["grad", "--check", "--tolerance", "inf", "3,4"])
    assert (r.exit_code, r.stdout) == (0, "0.6\n0.8\n")


def test_regstep_steps_from_weights_whose_objective_overflows(run):
    one = run(["regstep", "--lr", "0.1", "--l2", "1", "--grad", "0", "1e300"])
    two = run(["regstep", "--lr", "0.1", "--l2", "1", "--grad", "0", "--steps", "2", "1e300"])
    assert one.exit_code == two.exit_code == 0
    again = run(["regstep", "--lr", "0.1", "--l2", "1", "--grad", "0", one.stdout.strip()])
    assert float(two.stdout) == float(again.stdout) < float(one.stdout)


def test_npy_errors_name_the_file_and_its_own_row_and_column(run, tmp_path):
    two = tmp_path / "m.npy"
    np.save(two, np.array([[1.0, 1.0], [1.0, 1.0], [1.0, np.nan]]))
    for args in (["norm", "-f", str(two), "-c", "2"], ["norm", "--rows", "-f", str(two), "-c", "2"]):
        r = run(args)
        assert r.exit_code == 1
        assert r.stderr.startswith(f"normcli: error: {str(two)!r}, row 3, column 2: nan is not a finite number")
    one = tmp_path / "v.npy"
    np.save(one, np.array([3.0, np.nan]))
    r = run(["norm", "-f", str(one)])
    assert r.exit_code == 1 and r.stderr.startswith(f"normcli: error: {str(one)!r}, value 2: nan is not a finite")


def test_a_1d_npy_is_one_column_for_column_selection(run, tmp_path):
    one = tmp_path / "v.npy"
    np.save(one, np.array([3, 4], dtype=np.int8))
    assert run(["norm", "-f", str(one), "-c", "1"]).stdout == "5.0\n"
    for bad in ("foo", "2"):
        r = run(["norm", "-f", str(one), "-c", bad])
        assert r.exit_code == 2, bad


@pytest.mark.parametrize("args, option", [
    (["regstep", "--lr", "0.1", "--lr", "0.2", "--grad", "1", "1"], "--lr"),
    (["regstep", "--lr", "0.1", "--data", "a.csv", "--data=b.csv", "--target", "x"], "--data"),
    (["norm", "--transform", "a.csv", "--transform", "b.csv", "1,2"], "--transform"),
    (["norm", "-o", "csv", "-o", "json", "1,2"], "--output"),
    (["ball", "--save", "a.png", "--save", "b.png"], "--save"),
])
def test_an_option_of_one_value_given_twice_is_a_usage_error_not_last_wins(run, tmp_path, monkeypatch, args, option):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a.csv").write_text("x\n1\n")
    (tmp_path / "b.csv").write_text("x\n2\n")
    r = run(args)
    assert r.exit_code == 2 and r.stdout == ""
    assert r.stderr.startswith(f"normcli: error: {option} is given 2 times (") and r.stderr.count("\n") == 1


def test_repeatable_options_may_still_repeat(run):
    r = run(["compare-models", "-m", "A=1,2,3", "-m", "B=2,3,4", "--metric", "l1", "--metric", "l2"])
    assert r.exit_code == 0 and r.stdout.splitlines()[0].split("\t")[:2] == ["A", "2.0"], r.stderr


def test_a_repeated_file_reads_every_file_as_one_table(run, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a.csv").write_text("x\n3\n")
    (tmp_path / "b.csv").write_text("x\n4\n")
    assert run(["norm", "-f", "a.csv", "-f", "b.csv"]).stdout == "5.0\n"
    assert run(["norm", "-fa.csv", "--file=b.csv", "--p", "1"]).stdout == "7.0\n"


def test_one_column_selected_twice_gives_it_twice(run, reader):
    # used to say "column 'a' has no values left": the one-column fast path gave one copy
    r = run(["norm", "-c", "1", "-c", "a", "--p", "1"], input="a\n3\n4\n")
    assert r.exit_code == 0 and r.stdout == "7.0\n7.0\n", r.stderr
