"""compare-models from the command line: inputs, output formats, errors."""

from __future__ import annotations

import json

import numpy as np
import pytest
from scipy import stats

A = "-5,8,-3,-12,4,4,6"
B = "10,-7,12,-18,-6,-8,13"
CSV = "A,B\n-5,10\n8,-7\n-3,12\n-12,-18\n4,-6\n4,-8\n6,13\n"


def test_plain_prints_the_ranking_name_and_sort_metric(run):
    r = run(["compare-models", "--model", f"B={B}", "--model", f"A={A}"])
    assert r.exit_code == 0, r.stderr
    assert r.stdout == "A\t6.0\treference\nB\t10.571428571428571\tworse\n"


def test_a_csv_on_stdin_is_the_same_as_inline_models(run):
    inline = run(["compare-models", "-m", f"A={A}", "-m", f"B={B}", "-o", "json"])
    piped = run(["compare-models", "-o", "json"], input=CSV)
    assert inline.exit_code == piped.exit_code == 0
    assert json.loads(inline.stdout) == json.loads(piped.stdout)


def test_json_carries_metrics_and_tests_against_scipy(run):
    r = run(["compare-models", "-m", f"A={A}", "-m", f"B={B}", "--sort-by", "mse", "-o", "json"])
    doc = json.loads(r.stdout)
    assert [row["model"] for row in doc["rows"]] == ["A", "B"]
    assert doc["rows"][0]["MSE"] == 310 / 7
    (pair,) = doc["tables"][0]["rows"]
    a, b = np.array(A.split(","), float), np.array(B.split(","), float)
    t = stats.ttest_rel(b**2, a**2)
    assert pair["DM-HLN t"] == pytest.approx(t.statistic, rel=1e-12)
    assert pair["DM p"] == pytest.approx(t.pvalue, rel=1e-10)
    assert pair["Wilcoxon p"] == 0.03125
    assert pair["verdict"] == "worse" and pair["CI low"] > 0
    assert any("B is worse than A" in n for n in doc["tables"][0]["notes"])


def test_baseline_flips_the_sign_to_the_issue_reference(run):
    r = run(["compare-models", "-m", f"A={A}", "-m", f"B={B}", "--baseline", "B", "--loss", "squared", "-o", "json"])
    (pair,) = json.loads(r.stdout)["tables"][0]["rows"]
    assert pair["model"] == "A" and pair["vs"] == "B"
    assert pair["DM-HLN t"] == pytest.approx(-3.1063364634, abs=1e-10)
    assert pair["verdict"] == "better"


def test_truth_column_turns_predictions_into_errors(run):
    csv = "y,good,bad\n1,1.1,2\n2,1.9,3\n3,3.2,1\n4,4,6\n"
    r = run(["compare-models", "--truth", "y", "-o", "json"], input=csv)
    assert r.exit_code == 0, r.stderr
    doc = json.loads(r.stdout)
    good = doc["rows"][0]
    assert good["model"] == "good" and good["bias"] == pytest.approx(0.05)
    y = np.array([1, 2, 3, 4.0])
    pred = np.array([1.1, 1.9, 3.2, 4])
    assert good["R^2"] == pytest.approx(1 - np.sum((pred - y) ** 2) / np.sum((y - y.mean()) ** 2), rel=1e-14)
    assert good["MAPE"] == pytest.approx(np.mean(np.abs(pred - y) / y), rel=1e-14)
    # selecting columns still finds the truth
    r = run(["compare-models", "--truth", "y", "-c", "bad", "-o", "plain"], input=csv)
    assert r.stdout == "bad\t1.5\n"  # errors 1, 1, -2, 2


def test_inline_truth_as_numbers(run):
    r = run(["compare-models", "-m", "p=1,2,4", "-m", "q=0,2,3", "--truth", "1,2,3", "--metric", "mae", "-o", "csv"])
    assert r.exit_code == 0, r.stderr
    # errors p: 0, 0, 1 and q: -1, 0, 0; a tie shares rank 1
    assert r.stdout.splitlines()[:3] == ["rank,model,MAE,verdict", "1,p,0.3333333333333333,reference",
                                         "1,q,0.3333333333333333,not significant"]


def test_csv_has_one_block_per_table(run):
    r = run(["compare-models", "--metric", "mae", "-o", "csv"], input=CSV)
    blocks = r.stdout.split("\n\n")
    assert blocks[0].splitlines() == ["rank,model,MAE,verdict", "1,A,6.0,reference", "2,B,10.571428571428571,worse"]
    header, row = blocks[1].splitlines()
    assert header == ("model,vs,mean diff,CI low,CI high,DM-HLN t,DM p,Wilcoxon W,Wilcoxon p,verdict,"
                      "n,loss,confidence,horizon,df,CI method,Wilcoxon method")
    assert row.startswith("B,A,") and row.endswith(',worse,7,absolute,0.95,1,6,"paired bootstrap, percentile, '
                                                   'B = 2000",exact')


def test_nan_omit_drops_the_observation_for_every_model(run):
    csv = "A,B\n1,2\nnan,3\n2,5\n4,,\n"
    r = run(["compare-models", "--nan", "omit", "-o", "json"], input=csv.replace(",,", ","))
    assert r.exit_code == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["title"].startswith("models ranked by MAE (n = 2)")
    assert "omitted 2 observation(s)" in doc["notes"][0]
    r = run(["compare-models"], input=csv.replace(",,", ","))
    assert r.exit_code == 1 and "line 3" in r.stderr and "'nan'" in r.stderr


def test_inline_nan_omit_keeps_pairs(run):
    r = run(["compare-models", "-m", "A=1,nan,3", "-m", "B=2,2,x", "--nan", "omit", "--metric", "l1"])
    assert r.exit_code == 0, r.stderr
    assert r.stdout == "A\t1.0\treference\nB\t2.0\tundefined\n"


@pytest.mark.parametrize("args,code,message", [
    (["-m", "A=1,2", "-m", "B=1,2,3"], 1, "every model needs the same number of errors: A has 2, B has 3"),
    (["-m", "A=1,x"], 1, "--model A, value 2: 'x' is not a number"),
    (["-m", "A"], 2, "--model takes NAME=VALUES"),
    (["-m", "A=1,2", "-m", "A=3,4"], 2, "--model 'A' is given twice"),
    (["-m", "A=1,2", "-m", "B=2,3", "--seed", "-1"], 2, "--seed"),
    (["-m", "A=1,2", "-m", "B=2,3", "--bootstrap", "5"], 2, "--bootstrap"),
    (["-m", "A=1,2", "-m", "B=2,3", "--bootstrap", "1000000000000"], 2, "--bootstrap"),
    (["-m", "A=1,2", "--sort-by", "r2"], 2, "R^2 needs the true values"),
    (["-m", "A=1,2", "--loss", "percentage"], 2, "--loss percentage needs the true values"),
    (["-m", "A=1,2", "--loss", "cubic"], 2, "--loss must be one of"),
    (["-m", "A=1,2", "--metric", "mad"], 2, "unknown metric 'mad'"),
    (["-m", "A=1,2", "--confidence", "95"], 2, "--confidence must lie strictly between 0 and 1"),
    (["-m", "A=1,2", "-m", "B=2,3", "--baseline", "C"], 2, "--baseline 'C' is not one of the models (A, B)"),
    (["-m", "A=1,2", "-f", "x.csv"], 2, "either inline with --model or in a file"),
    (["-m", "A=1,2", "--horizon", "0"], 2, "--horizon"),
])
def test_bad_input_is_one_line_with_the_documented_code(run, args, code, message):
    r = run(["compare-models", *args])
    assert r.exit_code == code
    assert r.stderr.startswith("normcli: error: ") and message in r.stderr
    assert r.stderr.count("\n") == 1 and "Traceback" not in r.stderr


def test_unknown_truth_column_names_the_columns(run):
    r = run(["compare-models", "--truth", "z"], input=CSV)
    assert r.exit_code == 2 and "--truth 'z' is not a column; the columns are 'A', 'B'" in r.stderr


def test_one_model_gives_metrics_only(run):
    r = run(["compare-models", "-m", f"A={A}", "-o", "json"])
    doc = json.loads(r.stdout)
    assert "tables" not in doc and any("one model" in n for n in doc["notes"])


def test_identical_models_say_so(run):
    r = run(["compare-models", "-m", f"A={A}", "-m", f"B={A}", "-o", "json"])
    (pair,) = json.loads(r.stdout)["tables"][0]["rows"]
    assert pair["verdict"] == "identical" and pair["DM p"] is None and pair["Wilcoxon p"] is None


def test_bootstrap_options_are_used_and_reproducible(run):
    args = ["compare-models", "-m", f"A={A}", "-m", f"B={B}", "-o", "json", "--bootstrap", "300"]
    one, two = run([*args, "--seed", "4"]), run([*args, "--seed", "4"])
    other = run([*args, "--seed", "5"])
    rows = lambda r: json.loads(r.stdout)["tables"][0]["rows"][0]  # noqa: E731
    assert rows(one) == rows(two) and rows(one) != rows(other)
    assert any("B = 300" in n for n in json.loads(one.stdout)["tables"][0]["notes"])


def test_three_models_get_holm_adjusted_p_values(run):
    rng = np.random.default_rng(0)
    e = rng.standard_normal((50, 3)) * [1, 1.5, 1.05]
    csv = "a,b,c\n" + "\n".join(",".join(map(repr, row)) for row in e.tolist()) + "\n"
    doc = json.loads(run(["compare-models", "-o", "json"], input=csv).stdout)
    rows = doc["tables"][0]["rows"]
    raw = sorted(r["DM p"] for r in rows)
    adj = sorted(r["DM p (Holm)"] for r in rows)
    assert adj[0] == pytest.approx(min(1, 2 * raw[0])) and adj[1] >= raw[1]


def test_the_terminal_table_highlights_the_best_and_shows_both_tables():
    import io

    from rich.console import Console

    from normcli import render
    from normcli.core import compare

    a, b = np.array(A.split(","), float), np.array(B.split(","), float)
    buf = io.StringIO()
    console = Console(file=buf, force_terminal=True, width=80, color_system="truecolor")
    render.show(compare.comparison_result(compare.compare(["A", "B"], np.c_[a, b])), "table", console=console)
    out = buf.getvalue()
    assert "paired tests against A" in out and "worse" in out
    assert "\x1b[1;32m" in out  # the best model's column, bold green
    assert "…" not in out  # nothing cut off at 80 columns: the tables turn sideways


def test_truth_by_index_and_never_against_itself(run):
    csv = "y,good,bad\n1,1.1,2\n2,1.9,3\n3,3.2,1\n4,4,6\n"
    by_name = run(["compare-models", "--truth", "y", "-o", "csv"], input=csv)
    by_index = run(["compare-models", "--truth", "1", "-o", "csv"], input=csv)
    assert by_index.exit_code == 0 and by_index.stdout == by_name.stdout
    r = run(["compare-models", "--truth", "y", "-c", "1", "-c", "3"], input=csv)  # column 1 is y itself
    assert r.exit_code == 0 and r.stdout == "bad\t1.5\n"
    r = run(["compare-models", "--truth", "y", "-c", "1"], input=csv)
    assert r.exit_code == 2 and "--truth leaves no prediction column" in r.stderr


def test_model_names_may_hold_equals_signs_and_are_escaped_in_plain_output(run):
    r = run(["compare-models", "-m", "lr=0.1=1,2,3", "-m", "x\x1b[31m\tz=2,3,4"])
    assert r.exit_code == 0, r.stderr
    assert r.stdout == "lr=0.1\t2.0\treference\nx\\x1b[31m\\tz\t3.0\tundefined\n"


def test_many_models_on_a_narrow_terminal_lose_no_digits():
    import io

    from rich.console import Console

    from normcli import render
    from normcli.core import compare

    rng = np.random.default_rng(1)
    e = rng.standard_normal((30, 8)) * np.linspace(1, 1.5, 8)
    c = compare.compare([f"model_{i}" for i in range(8)], e)
    for width in (80, 120):
        buf = io.StringIO()
        render.show(compare.comparison_result(c), "table",
                    console=Console(file=buf, force_terminal=False, width=width))
        out = buf.getvalue()
        assert "…" not in out and all(f"model_{i}" in out for i in range(8))
        assert max(map(len, out.splitlines())) <= width
        assert "rank" in out and "not significant" in out


def test_rank_row_survives_when_names_are_numbers(run, tmp_path):
    import io

    from rich.console import Console

    from normcli import render
    from normcli.core import compare

    c = compare.compare(["1", "2"], np.c_[np.array(A.split(","), float), np.array(B.split(","), float)])
    buf = io.StringIO()
    render.show(compare.comparison_result(c), "table", console=Console(file=buf, width=60))
    assert "rank" in buf.getvalue()


# --------------------------------------------------------------------------
# Which columns are models: guessed only when -c chooses none, and said
# --------------------------------------------------------------------------
SONGS = "song,model_a,model_b\n1,-5,10\n2,8,-7\n3,-3,12\n4,-12,-18\n5,4,-6\n6,4,-8\n7,6,13\n"


def test_a_row_number_column_is_not_a_model_and_stderr_says_so(run):
    r = run(["compare-models"], input=SONGS)
    assert r.exit_code == 0, r.stderr
    assert [line.split("\t")[0] for line in r.stdout.splitlines()] == ["model_a", "model_b"]
    assert "took 'model_a', 'model_b' as the models (choose with -c)" in r.stderr
    assert "left out 'song': its values are 1..7, a row number" in r.stderr
    assert r.stdout == run(["compare-models", "-c", "model_a", "-c", "model_b"], input=SONGS).stdout


def test_a_pandas_index_is_not_a_model(run):
    unnamed = run(["compare-models", "-o", "csv"], input="Unnamed: 0,A,B\n5,-5,10\n9,8,-7\n2,-3,12\n")
    assert unnamed.exit_code == 0 and "left out 'Unnamed: 0'" in unnamed.stderr
    assert [line.split(",")[1] for line in unnamed.stdout.splitlines()[1:3]] == ["A", "B"]
    zero_based = run(["compare-models"], input=",A,B\n0,-5,10\n1,8,-7\n2,-3,12\n")
    assert "its values are 0..2, a row number" in zero_based.stderr
    assert len(zero_based.stdout.splitlines()) == 2


def test_chosen_columns_are_never_second_guessed(run):
    r = run(["compare-models", "-c", "song", "-c", "model_a"], input=SONGS)
    assert r.exit_code == 0 and r.stderr == ""
    assert sorted(line.split("\t")[0] for line in r.stdout.splitlines()) == ["model_a", "song"]


def test_a_truth_column_without_truth_is_warned_about(run):
    r = run(["compare-models"], input="y,A,B\n2,2.1,1\n1,1.1,1\n3,3.1,1\n")
    assert r.exit_code == 0
    assert "'y' looks like the true values, not errors" in r.stderr and "--truth y" in r.stderr
    preds = run(["compare-models"], input="duration,A,B\n212,207,222\n185,193,178\n240,237,252\n198,186,180\n")
    assert "no column is centered near 0 as errors are" in preds.stderr and "--truth" in preds.stderr
    plain_errors = run(["compare-models"], input=CSV)
    assert plain_errors.stderr == ""


def test_with_truth_an_index_is_not_a_prediction(run):
    r = run(["compare-models", "--truth", "y", "-o", "csv"], input="id,y,A\n1,2,2.5\n2,1,1.5\n3,3,2\n")
    assert r.exit_code == 0, r.stderr
    assert r.stdout.splitlines()[1].split(",")[1] == "A" and "left out 'id'" in r.stderr
    assert "looks like the true values" not in r.stderr


def test_the_loss_note_says_when_the_tests_do_not_test_the_ranking(run):
    for metric in ("median", "max", "bias"):
        r = run(["compare-models", "-m", f"A={A}", "-m", f"B={B}", "--sort-by", metric, "-o", "json"])
        notes = json.loads(r.stdout)["tables"][0]["notes"]
        assert any("is not a mean of any loss" in n for n in notes), metric
    chosen = run(["compare-models", "-m", f"A={A}", "-m", f"B={B}", "--loss", "squared", "-o", "json"])
    assert any("--loss); the ranking by MAE matches the absolute loss" in n
               for n in json.loads(chosen.stdout)["tables"][0]["notes"])
    matched = run(["compare-models", "-m", f"A={A}", "-m", f"B={B}", "--sort-by", "rmse", "-o", "json"])
    assert not any("can disagree" in n for n in json.loads(matched.stdout)["tables"][0]["notes"])


def test_plain_output_carries_the_verdict_and_one_model_none(run):
    r = run(["compare-models", "-m", f"A={A}", "-m", f"B={B}", "-m", f"C={A}"])
    assert [line.split("\t")[2] for line in r.stdout.splitlines()] == ["reference", "identical", "worse"]
    one = run(["compare-models", "-m", f"A={A}"])
    assert one.stdout == "A\t6.0\n"
