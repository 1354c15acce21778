"""plots: pictures as terminal text (plotext) and as image files (matplotlib)."""

from __future__ import annotations

import math
import subprocess
import sys

import numpy as np
import pytest

from normcli import plots
from normcli.core.result import Picture, Series
from normcli.errors import InputError, UsageError

T = np.linspace(0.0, 2.0 * np.pi, 400)
C0 = (0x1F, 0x77, 0xB4)  # matplotlib's first series color


def _circle(label="L2", equal=True, title="Unit ball"):
    return Picture(title, "curves", [Series(label, np.cos(T), np.sin(T))], xlabel="x1", ylabel="x2", equal=equal)


def _square(label="Linf"):
    return Picture("Unit ball", "curves", [Series(label, [1, -1, -1, 1, 1], [1, 1, -1, -1, 1])],
                   xlabel="x1", ylabel="x2", equal=True)


def _intervals():
    return Picture("Mean absolute error", "intervals",
                   [Series("ridge", [1.2], [1.0, 1.4]), Series("lasso", [0.8], [0.5, 1.1]), Series("ols", [1.5])],
                   xlabel="MAE")


def _histograms():
    rng = np.random.default_rng(7)
    return Picture("Errors", "histograms",
                   [Series("model_a", rng.normal(0.0, 1.0, 500)), Series("model_b", rng.normal(1.5, 0.5, 300))],
                   xlabel="error")


def _braille(text):
    """(line, column) of every braille character that carries dots."""
    lines = enumerate(text.split("\n"))
    return [(r, c) for r, line in lines for c, ch in enumerate(line) if "\u2801" <= ch <= "\u28ff"]


def _extent(cells):
    rows = [r for r, _ in cells]
    cols = [c for _, c in cells]
    return max(cols) - min(cols) + 1, max(rows) - min(rows) + 1


def _canvas(text):
    """The characters inside the plot frame, one string per line."""
    lines = text.split("\n")
    top = next(i for i, line in enumerate(lines) if "┌" in line)
    left, right = lines[top].index("┌"), lines[top].rindex("┐")
    bottom = next(i for i in range(top + 1, len(lines)) if lines[i][left : left + 1] == "└")
    return [line[left + 1 : right] for line in lines[top + 1 : bottom]]


def _check_text(text, width, height, *words):
    assert "\x1b[" not in text
    lines = text.split("\n")
    assert len(lines) == height
    assert all(len(line) <= width for line in lines)
    for word in words:
        assert word in text, word


# --------------------------------------------------------------------------
# Import cost
# --------------------------------------------------------------------------
def test_importing_plots_loads_no_plotting_library_nor_numpy():
    code = "import sys, normcli.plots; print([m for m in ('plotext', 'matplotlib', 'numpy') if m in sys.modules])"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


# --------------------------------------------------------------------------
# Text
# --------------------------------------------------------------------------
def test_curves_text_has_title_labels_legend_and_a_drawing():
    text = plots.text(_circle(), 80, 24)
    _check_text(text, 80, 24, "Unit ball", "x1", "x2", "L2")
    assert text.split("\n")[0].strip() == "Unit ball"
    assert len(_braille(text)) > 60  # the circle, not just a legend sample


@pytest.mark.parametrize("size", [(80, 24), (60, 20), (120, 30), (100, 16), (50, 40)])
def test_equal_curves_draw_a_round_circle(size):
    width, height = size
    text = plots.text(_circle(label=""), width, height)  # unlabelled: no legend sample among the dots
    across, up = _extent(_braille(text))
    assert across / up == pytest.approx(plots.CELL_ASPECT, rel=0.25)


def test_without_equal_the_circle_fills_a_wide_canvas():
    text = plots.text(_circle(label="", equal=False), 100, 16)
    across, up = _extent(_braille(text))
    assert across / up > 2 * plots.CELL_ASPECT


def test_equal_curves_get_axes_through_zero():
    canvas = _canvas(plots.text(_circle(), 80, 24))
    assert any(line.count("─") > 20 for line in canvas)  # the x axis across the canvas
    assert sum("│" in line for line in canvas) > 10  # the y axis down it
    assert any("┼" in line for line in canvas)


def test_a_square_and_a_circle_give_different_text():
    circle, square = plots.text(_circle("ball"), 60, 20), plots.text(_square("ball"), 60, 20)
    assert circle != square
    # the square's corners fill the canvas corners the circle leaves empty
    assert len(_braille(square)) != len(_braille(circle))


def test_intervals_text_has_a_bar_and_an_interval_per_series_first_on_top():
    text = plots.text(_intervals(), 70, 16)
    _check_text(text, 70, 16, "Mean absolute error", "MAE", "ridge", "lasso", "ols")
    canvas = _canvas(text)
    assert sum(line.count("█") for line in canvas) > 60
    assert sum(line.count("[") for line in canvas) == 2 and sum(line.count("]") for line in canvas) == 2
    assert sum(line.count("|") for line in canvas) == 2  # each estimate on its interval
    lines = text.split("\n")
    row = {name: next(i for i, line in enumerate(lines) if name in line) for name in ("ridge", "lasso", "ols")}
    assert row["ridge"] < row["lasso"] < row["ols"]


def test_intervals_text_reaches_negative_values():
    picture = Picture("shifts", "intervals", [Series("a", [-3.0], [-4.0, -2.0]), Series("b", [2.0])])
    text = plots.text(picture, 60, 12)
    _check_text(text, 60, 12, "shifts", "a", "b", "-4")
    assert sum(line.count("█") for line in _canvas(text)) > 20


def test_histograms_text_draws_each_sample_with_its_own_marker():
    text = plots.text(_histograms(), 80, 20)
    _check_text(text, 80, 20, "Errors", "error", "count", "model_a", "model_b")
    canvas = _canvas(text)
    assert sum("\u2801" <= ch <= "\u28ff" for line in canvas for ch in line) > 30
    assert sum(line.count("•") for line in canvas) > 20  # the second sample, told apart without color


def test_color_text_is_colored_and_still_labelled():
    text = plots.text(_histograms(), 80, 20, color=True)
    assert "\x1b[" in text
    plain = plots._ANSI.sub("", text)
    assert "model_a" in plain and "model_b" in plain
    assert len(text.split("\n")) == 20


def test_pictures_do_not_accumulate():
    first = plots.text(_circle(), 60, 20)
    plots.text(_square(), 60, 20)
    plots.text(_histograms(), 60, 20)
    assert plots.text(_circle(), 60, 20) == first


def test_a_legend_too_big_for_the_plot_goes_below_it():
    picture = Picture("many", "curves", [Series(f"series number {i}", [0, 1], [i, i + 1]) for i in range(8)])
    text = plots.text(picture, 50, 14)
    _check_text(text, 50, 14, "many", *(f"series number {i}" for i in range(8)))


@pytest.mark.parametrize("size", [(10, 3), (20, 6), (40, 12)])
@pytest.mark.parametrize("make", [_circle, _intervals, _histograms])
def test_small_sizes_still_fit(make, size):
    width, height = size
    for color in (False, True):
        text = plots.text(make(), width, height, color=color)
        assert len(text.split("\n")) <= height
        assert color or "\x1b" not in text


def test_non_finite_values_are_left_out():
    nan, inf = math.nan, math.inf
    curves = Picture("gaps", "curves", [Series("kept", [0, 1, 2, nan, 4, 5], [0, 1, inf, 3, 4, 5]),
                                         Series("lost", [nan, inf], [1, 2])])
    text = plots.text(curves, 60, 16)
    _check_text(text, 60, 16, "gaps", "kept")
    assert "lost" not in text and _braille(text)

    intervals = Picture("iv", "intervals", [Series("a", [nan], [1.0, 2.0]), Series("b", [1.0], [nan, 2.0]),
                                             Series("c", [nan], [nan, nan])])
    text = plots.text(intervals, 60, 12)
    _check_text(text, 60, 12, "iv", "a", "b")
    assert "c" not in "".join(line.split("┤")[0] for line in text.split("\n"))  # no tick for c

    hist = Picture("h", "histograms", [Series("s", [1.0, 2.0, 2.5, nan, inf, -inf, 3.0])])
    _check_text(plots.text(hist, 60, 12), 60, 12, "s", "count")


@pytest.mark.parametrize("kind", ["curves", "intervals", "histograms"])
def test_a_picture_with_nothing_finite_says_so(kind):
    picture = Picture("Nothing here", kind, [Series("x", [math.nan], [math.inf, math.nan])])
    text = plots.text(picture, 60, 20)
    assert "Nothing here" in text and "nothing to draw" in text
    assert plots.text(Picture("Empty", kind, []), 60, 20).split("\n")[1] == plots.NOTHING


def test_values_too_far_apart_are_not_drawn():
    picture = Picture("huge", "curves", [Series("x", [-1e308, 1e308], [0.0, 1.0])], equal=True)
    text = plots.text(picture, 60, 20)
    assert "huge" in text and "more than 1e300 apart" in text


def test_long_curves_are_thinned_but_keep_their_shape():
    x = np.linspace(0.0, 1.0, 200_001)
    picture = Picture("long", "curves", [Series("sine", x, np.sin(2 * np.pi * x))])
    text = plots.text(picture, 80, 20)
    _check_text(text, 80, 20, "long", "sine")
    assert _extent(_braille(text))[0] > 60


def test_missing_plotext_is_a_usage_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "plotext", None)
    with pytest.raises(UsageError, match=r"needs plotext: pip install 'normcli\[plot\]'"):
        plots.text(_circle(), 60, 20)


def test_unknown_kind_is_a_programming_error():
    with pytest.raises(ValueError, match="unknown picture kind"):
        plots.text(Picture("t", "pie", [Series("a", [1])]), 60, 20)


# --------------------------------------------------------------------------
# Bins and limits
# --------------------------------------------------------------------------
def test_bins_follow_numpy_auto_and_are_shared():
    rng = np.random.default_rng(1)
    a, b = rng.normal(0, 1, 400), rng.normal(2, 1, 300)
    edges = plots.bin_edges([a, b], 1000)
    np.testing.assert_allclose(edges, np.histogram_bin_edges(np.concatenate([a, b]), "auto"))
    assert plots.bin_counts(a, edges).sum() == a.size
    np.testing.assert_array_equal(plots.bin_counts(b, edges), np.histogram(b, edges)[0])


def test_bins_are_capped_even_with_a_far_outlier():
    sample = np.concatenate([np.linspace(0.0, 1.0, 10_000), [1e12]])
    edges = plots.bin_edges([sample], 40)
    assert edges.size == 41 and edges[0] == 0.0 and edges[-1] == 1e12
    assert plots.bin_counts(sample, edges).sum() == sample.size  # the maximum is in the last bin


def test_equal_limits_widen_one_axis_only():
    xlim, ylim = plots.equal_limits((0.0, 2.0), (0.0, 1.0), 10, 10)
    assert xlim == (0.0, 2.0) and ylim == (-0.5, 1.5)
    xlim, ylim = plots.equal_limits((0.0, 1.0), (0.0, 2.0), 10, 10)
    assert xlim == (-0.5, 1.5) and ylim == (0.0, 2.0)


# --------------------------------------------------------------------------
# Files
# --------------------------------------------------------------------------
def test_png_of_two_pictures(tmp_path):
    import matplotlib.image

    path = tmp_path / "balls.png"
    plots.save([_circle(), _histograms()], str(path))
    image = matplotlib.image.imread(str(path))
    assert image.shape[:2] == (960, 640)
    rgb = (image[..., :3] * 255).round()
    drawn = (rgb < 250).any(axis=-1)
    assert drawn.mean() > 0.02
    near_c0 = (np.abs(rgb - np.array(C0)) <= 12).all(axis=-1)
    assert near_c0.sum() > 200  # the first series' color: the circle


def test_png_intervals_and_non_finite_values(tmp_path):
    import matplotlib.image

    path = tmp_path / "iv.png"
    pictures = [_intervals(),
                Picture("gaps", "curves", [Series("a", [0, 1, math.nan, 3], [0, math.inf, 2, 3])], equal=True),
                Picture("none", "histograms", [Series("a", [math.nan])])]
    plots.save(pictures, str(path))
    image = matplotlib.image.imread(str(path))
    assert image.shape[:2] == (1440, 640)
    rgb = (image[..., :3] * 255).round()
    assert (np.abs(rgb - np.array(C0)) <= 12).all(axis=-1).sum() > 1000  # the first bar


def test_svg_and_pdf(tmp_path):
    svg = tmp_path / "ball.svg"
    plots.save([_circle(), _intervals()], str(svg))
    text = svg.read_text()
    assert "<svg" in text and "<path" in text
    pdf = tmp_path / "ball.PDF"
    plots.save([_histograms()], str(pdf))
    assert pdf.read_bytes().startswith(b"%PDF")


def test_unsupported_image_format_is_a_usage_error(tmp_path):
    path = tmp_path / "ball.jpgx"
    with pytest.raises(UsageError) as err:
        plots.save([_circle()], str(path))
    assert str(err.value) == "--save: unsupported image format '.jpgx'; use .png, .svg or .pdf"
    assert not path.exists()


def test_unwritable_path_is_an_input_error(tmp_path):
    path = tmp_path / "no" / "such" / "dir" / "ball.png"
    with pytest.raises(InputError, match=r"^cannot write .*ball\.png: No such file or directory"):
        plots.save([_circle()], str(path))


def test_a_failed_write_is_an_input_error(tmp_path):
    path = tmp_path / "taken.png"
    path.mkdir()  # a folder where the file should go
    with pytest.raises(InputError, match=r"^cannot write .*taken\.png: Is a directory"):
        plots.save([_circle()], str(path))


def test_save_path_is_checked_before_anything_is_drawn(tmp_path):
    assert plots.check_save_path(str(tmp_path / "a.SVG")) == "svg"
    with pytest.raises(UsageError, match="unsupported image format ''"):
        plots.check_save_path(str(tmp_path / "noextension"))
    with pytest.raises(InputError, match="cannot write"):
        plots.check_save_path(str(tmp_path / "missing" / "a.png"))
    assert list(tmp_path.iterdir()) == []


def test_missing_matplotlib_is_a_usage_error(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    for call in (lambda: plots.check_save_path(str(tmp_path / "ball.png")),
                 lambda: plots.save([_circle()], str(tmp_path / "ball.png"))):
        with pytest.raises(UsageError, match=r"--save needs matplotlib: pip install 'normcli\[plot\]'"):
            call()
    assert not (tmp_path / "ball.png").exists()
