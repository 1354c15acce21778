"""ball, compare-models --plot and regstep --plot through the CLI: tables, terminal pictures, image files."""

from __future__ import annotations

import math
import sys

import numpy as np
import pytest

MODELS = ["--model", "A=-5,8,-3,-12,4,4,6", "--model", "B=10,-7,12,15,-9,11,-10"]


def _drawn(text: str) -> int:
    """Cells of a text picture that hold a mark (braille dots or the plain markers)."""
    return sum(1 for ch in text if 0x2800 < ord(ch) <= 0x28FF or ch in "•+")


def test_ball_in_a_pipe_is_plain_numbers_and_the_picture_only_with_plot(run):
    r = run(["ball", "--p", "1", "--p", "2"])
    assert r.stdout == "2.0\n3.141592653589793\n"
    r = run(["ball", "--p", "1", "--p", "2", "--p", "inf", "--p", "0.5", "--plot"])
    assert r.exit_code == 0, r.stderr
    head, picture = r.stdout.split("\n\n", 1)
    assert [float(v) for v in head.split()] == [2.0, math.pi, 4.0, pytest.approx(2 / 3, rel=1e-15)]
    assert "Unit balls" in picture and _drawn(picture) > 100
    for label in ("1", "2", "inf", "0.5"):
        assert f"p = {label}" in picture


def test_ball_csv_has_the_table_only(run):
    r = run(["ball", "--p", "2", "-o", "csv"])
    assert r.exit_code == 0
    assert r.stdout.splitlines() == ["p,shape,area,max |x1|,max |x2|", "2,disc,3.141592653589793,1.0,1.0"]


def test_ball_of_a_transform_is_a_parallelogram_with_the_area_over_det(run, tmp_path):
    a = tmp_path / "A.csv"
    a.write_text("2,1\n0,1\n")
    r = run(["ball", "--p", "1", "--transform", str(a), "-o", "json"])
    assert r.exit_code == 0, r.stderr
    import json

    row = json.loads(r.stdout)["rows"][0]
    assert row["shape"] == "parallelogram" and row["area"] == 1.0  # 2 / |det A| = 2 / 2
    # vertices of {|2 x1 + x2| + |x2| <= 1}: (±1/2, 0) and (∓1/2, ±1)
    assert row["max |x1|"] == pytest.approx(0.5, abs=1e-12) and row["max |x2|"] == pytest.approx(1.0, abs=1e-12)


@pytest.mark.parametrize("p", ["0", "-1", "-inf"])
def test_ball_of_p_at_most_zero_is_a_usage_error(run, p):
    r = run(["ball", "--p", p])
    assert r.exit_code == 2 and "unbounded" in r.stderr and r.stdout == ""


def test_ball_of_a_singular_transform_is_refused(run, tmp_path):
    a = tmp_path / "A.csv"
    a.write_text("1,2\n2,4\n")
    r = run(["ball", "--p", "2", "--transform", str(a)])
    assert r.exit_code == 1 and "seminorm" in r.stderr and r.stdout == ""


def test_ball_transform_needs_two_columns(run, tmp_path):
    a = tmp_path / "A.csv"
    a.write_text("1,2,3\n4,5,6\n")
    r = run(["ball", "--transform", str(a)])
    assert r.exit_code == 1 and "2 columns; it has 3" in r.stderr


def test_ball_save_writes_a_png_with_a_drawing(run, tmp_path):
    from matplotlib import image

    out = tmp_path / "ball.png"
    r = run(["ball", "--p", "1", "--p", "2", "--save", str(out)])
    assert r.exit_code == 0, r.stderr
    img = image.imread(out)
    assert img.shape[:2] == (480, 640)
    assert (np.abs(img[..., :3] - 1.0).sum(axis=2) > 0.3).sum() > 2000  # ink, not a blank canvas


def test_save_with_a_bad_extension_fails_before_any_output(run, tmp_path):
    r = run(["ball", "--save", str(tmp_path / "ball.jpgx")])
    assert r.exit_code == 2 and "unsupported image format" in r.stderr and r.stdout == ""


def test_missing_plot_extra_names_the_extra(run, monkeypatch):
    monkeypatch.setitem(sys.modules, "plotext", None)
    r = run(["ball", "--plot"])
    assert r.exit_code == 2 and r.stdout == ""
    assert "pip install 'normcli[plot]'" in r.stderr
    r = run(["compare-models", *MODELS, "--plot"])
    assert r.exit_code == 2 and r.stdout == "" and "normcli[plot]" in r.stderr
    r = run(["compare-models", *MODELS])  # without --plot nothing needs plotext
    assert r.exit_code == 0
    assert run(["ball"]).stdout == "2.0\n3.141592653589793\n4.0\n"  # a pipe gets the numbers only


def test_compare_models_plot_draws_intervals_and_distributions(run):
    r = run(["compare-models", *MODELS, "--plot"])
    assert r.exit_code == 0, r.stderr
    ranking, pictures = r.stdout.split("\n\n", 1)
    assert ranking.splitlines()[0].startswith("A\t")
    assert "MAE per model (95% t interval of the mean loss)" in pictures
    assert "Error distributions" in pictures
    assert "[" in pictures and "|" in pictures and "]" in pictures


def test_compare_models_save_svg(run, tmp_path):
    out = tmp_path / "cmp.svg"
    r = run(["compare-models", *MODELS, "--save", str(out)])
    assert r.exit_code == 0, r.stderr
    text = out.read_text()
    assert "<svg" in text and text.count("<path") > 10
    assert "\n\n" not in r.stdout  # --save alone draws nothing in the terminal


def test_regstep_plot_objective_and_norm_per_step(run):
    r = run(["regstep", "--lr", "0.1", "--l2", "0.5", "--grad", "0.1,0.2", "--steps", "1000", "--plot", "1,2"])
    assert r.exit_code == 0, r.stderr
    weights, pictures = r.stdout.split("\n\n", 1)
    assert len(weights.split()) == 2
    assert "Objective per step" in pictures and "||w||_2 per step" in pictures
    assert _drawn(pictures) > 50


def test_regstep_plot_keeps_the_table_rows(run):
    args = ["regstep", "--lr", "0.1", "--l2", "0.5", "--grad", "0.1,0.2", "--steps", "1000", "1,2", "-o", "json"]
    import json

    plain = json.loads(run(args).stdout)
    plotted = json.loads(run([*args, "--plot"]).stdout)
    assert plain == plotted  # the picture's extra records do not reach the trajectory table


def test_regstep_plot_needs_steps(run):
    r = run(["regstep", "--lr", "0.1", "--grad", "1,1", "--plot", "1,2"])
    assert r.exit_code == 2 and "--steps N" in r.stderr


def test_ball_of_a_transform_reports_exact_extents_and_area(run, tmp_path):
    a = tmp_path / "A.csv"
    a.write_text("1,2\n3,4\n")  # A^-1 = [[-2, 1], [1.5, -0.5]], det A = -2
    r = run(["ball", "--p", "1", "--p", "2", "--p", "inf", "--transform", str(a), "-o", "csv"])
    assert r.stdout.splitlines()[1:] == [
        "1,parallelogram,1.0,2.0,1.5",  # the dual norm of the rows of A^-1: L-inf
        "2,ellipse,1.5707963267948966,2.23606797749979,1.5811388300841898",  # pi / 2; sqrt(5), sqrt(2.5)
        "inf,parallelogram,2.0,3.0,2.0",  # L1
    ]


def test_ball_of_a_tiny_transform_warns_instead_of_failing(run, tmp_path):
    a = tmp_path / "A.csv"
    a.write_text("1e-320,0\n0,1e-320\n")
    r = run(["ball", "--p", "2", "--transform", str(a)])
    assert r.exit_code == 0 and r.stdout == "inf\n" and "beyond the float64 range" in r.stderr
    assert "Warning" not in r.stderr


def test_save_fails_before_output_when_the_file_cannot_be_written(run, tmp_path):
    folder = tmp_path / "d.png"
    folder.mkdir()
    r = run(["ball", "-o", "csv", "--save", str(folder)])
    assert r.exit_code == 1 and r.stdout == "" and "cannot write" in r.stderr
    r = run(["ball", "--save", ""])
    assert r.exit_code == 2 and r.stdout == ""


def test_save_of_values_near_the_float64_limit_says_nothing_to_draw(run, tmp_path):
    out = tmp_path / "r.png"
    r = run(["regstep", "--lr", "0.5", "-g", "0", "1e308", "--steps", "3", "--save", str(out)])
    assert r.exit_code == 0 and r.stdout == "1e+308\n" and out.stat().st_size > 1000
