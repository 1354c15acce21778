"""render: every format from one Result, terminal tables, and text that must stay inert."""

from __future__ import annotations

import io
import json
import re
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rich.console import Console

from normcli import render
from normcli.core.result import Result


def _terminal(width=100):
    buf = io.StringIO()
    return buf, Console(file=buf, force_terminal=True, width=width, color_system="truecolor")


def _result(label="[bold]x"):
    return Result("L2 norm", ["L2"], rows=[(label, 5.0)], label="vector", notes=["a note"], warnings=[])


def test_auto_is_table_on_a_terminal_and_plain_in_a_pipe():
    class Tty(io.StringIO):
        def isatty(self):
            return True

    assert render.resolve_format("auto", Tty()) == "table"
    assert render.resolve_format("auto", io.StringIO()) == "plain"
    assert render.resolve_format("json", Tty()) == "json"


def test_forced_terminal_draws_a_table_with_title_and_notes():
    buf, console = _terminal()
    render.show(_result("model_a"), "table", console=console)
    out = buf.getvalue()
    assert "L2 norm" in out and "model_a" in out and "5.0" in out and "a note" in out
    assert "\x1b[" in out  # styled: it really is the terminal path


def test_rich_markup_in_input_text_is_shown_literally():
    buf, console = _terminal()
    render.show(_result("[bold]x[/bold]"), "table", console=console)
    out = buf.getvalue()
    assert "[bold]x[/bold]" in out


def test_terminal_control_bytes_in_input_text_are_escaped():
    hostile = "x\x1b]0;pwned\x07\x1b[2J"
    buf, console = _terminal()
    render.show(_result(hostile), "table", console=console)
    out = buf.getvalue()
    assert "\x1b]0;" not in out and "\x07" not in out and "\x1b[2J" not in out
    assert "\\x1b]0;pwned\\x07" in out


def test_column_names_from_a_file_are_escaped_end_to_end(run):
    r = run(["norm", "-o", "table"], input="\x1b[31mred,[bold]b\n1,2\n")
    assert r.exit_code == 0
    assert "\x1b[31m" not in r.stdout and "\\x1b[31mred" in r.stdout
    assert "[bold]b" in r.stdout


def test_error_messages_are_one_escaped_line(capsys):
    render.error("bad \x1b[31m value\nsecond line")
    err = capsys.readouterr().err
    assert err == "normcli: error: bad \\x1b[31m value second line\n"


def test_plain_scalar_vector_and_table_shapes():
    out = io.StringIO()
    render.show(Result("t", ["a"], rows=[("x", 1.5)]), "plain", out=out)
    assert out.getvalue() == "1.5\n"
    out = io.StringIO()
    render.show(Result("t", ["a", "b"], rows=[("x", 1.5, 2), ("y", None, "n/a")]), "plain", out=out)
    assert out.getvalue() == "1.5\t2\n\tn/a\n"


def test_streamed_batches_are_written_and_flushed_per_batch():
    flushes = []

    class Spy(io.StringIO):
        def flush(self):
            flushes.append(self.getvalue())

    out = Spy()
    batches = iter([[("1", 1.0)], [("2", 2.0)]])
    render.show(Result("t", ["v"], batches=batches), "plain", out=out)
    assert flushes[:2] == ["1.0\n", "1.0\n2.0\n"]


def test_json_numbers_are_exact_and_non_finite_are_strings():
    out = io.StringIO()
    res = Result("t", ["v"], rows=[("a", 0.1 + 0.2), ("b", float("inf")), ("c", float("nan")), ("d", 3)], label="k")
    render.show(res, "json", out=out)
    doc = json.loads(out.getvalue(), parse_constant=lambda c: pytest.fail(c))
    assert [r["v"] for r in doc["rows"]] == [0.30000000000000004, "inf", "nan", 3]


def test_csv_quotes_names_that_need_it():
    out = io.StringIO()
    render.show(Result("t", ["v"], rows=[('a,"b"', 1.0)], label="name"), "csv", out=out)
    assert out.getvalue() == 'name,v\n"a,""b""",1.0\n'


def test_warnings_go_to_stderr_in_plain(capsys):
    out = io.StringIO()
    render.show(Result("t", ["v"], rows=[("a", float("inf"))], warnings=["too big"]), "plain", out=out)
    assert out.getvalue() == "inf\n"
    assert capsys.readouterr().err == "normcli: note: too big\n"


@pytest.mark.parametrize("value, precision, text", [(1 / 3, None, "0.3333333333333333"), (1 / 3, 3, "0.333"),
                                                     (1e-300, 2, "1e-300"), (7, 2, "7"), (float("-inf"), 3, "-inf")])
def test_format_number(value, precision, text):
    assert render.format_number(value, precision) == text


def _two_tables():
    pairs = Result("Pairs", ["p"], rows=[("b vs a", 0.5)], label="pair", notes=["pair note"], warnings=["pair warning"])
    return Result("Models", ["MAE", "rank"], rows=[("a", 1.0, 1), ("b", 2.0, 2)], label="model",
                  highlight=[0], extra=[pairs], plain=[0])


def test_extra_tables_follow_the_main_one_in_every_format(capsys):
    buf, console = _terminal()
    render.show(_two_tables(), "table", console=console)
    out = buf.getvalue()
    assert out.index("Models") < out.index("Pairs") and "b vs a" in out and "pair note" in out
    assert "\x1b[1;32m" in out  # the highlighted row is bold green

    out = io.StringIO()
    render.show(_two_tables(), "plain", out=out)
    assert out.getvalue() == "1.0\n2.0\n"
    assert "pair warning" in capsys.readouterr().err

    out = io.StringIO()
    render.show(_two_tables(), "csv", out=out)
    assert out.getvalue() == "model,MAE,rank\na,1.0,1\nb,2.0,2\n\npair,p\nb vs a,0.5\n"

    out = io.StringIO()
    render.show(_two_tables(), "json", out=out)
    doc = json.loads(out.getvalue())
    assert [r["model"] for r in doc["rows"]] == ["a", "b"]
    assert doc["tables"][0]["title"] == "Pairs" and doc["tables"][0]["rows"] == [{"pair": "b vs a", "p": 0.5}]
    assert doc["tables"][0]["warnings"] == ["pair warning"]


# -- exact float text, fast: polars' float-to-string where it writes as repr ----
def _polars_reprs(monkeypatch):
    pl = pytest.importorskip("polars")
    monkeypatch.setattr(render, "_POLARS_REPRS_FROM", 0)
    monkeypatch.setattr(render, "_polars_ok", None)
    monkeypatch.setitem(sys.modules, "polars", pl)
    return pl


def test_reprs_equal_python_repr_for_any_bit_pattern(monkeypatch):
    """Random bit patterns cover every exponent, subnormals, NaN payloads and infinities."""
    _polars_reprs(monkeypatch)
    bits = np.random.default_rng(11).integers(0, 2**64, 300_000, dtype=np.uint64)
    values = np.concatenate([bits.view(np.float64), [np.inf, -np.inf, np.nan, 0.0, -0.0]])
    assert render.reprs(values) == list(map(float.__repr__, values.tolist()))
    assert render._polars_ok is True  # the polars path was taken


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(width=64) | st.sampled_from([1e-3, 1e-4, 1e-5, 1e-11, 1e-10, 9.999999999999999e-12,
                                                         0.00099999999999999, 1e16, 9999999999999998.0]),
                min_size=1, max_size=60))
def test_reprs_equal_python_repr_near_the_format_thresholds(values):
    """Decimal numbers at every scale, and the values where repr switches notation."""
    pl = pytest.importorskip("polars")
    old = (render._POLARS_REPRS_FROM, render._polars_ok, sys.modules.get("polars"))
    render._POLARS_REPRS_FROM, render._polars_ok, sys.modules["polars"] = 0, None, pl
    try:
        with np.errstate(over="ignore", invalid="ignore"):  # inf and nan are values to write too
            scaled = np.array(values) * np.array([10.0 ** k for k in range(-15, 20)])[:, None]
        got = render.reprs(scaled)
    finally:
        render._POLARS_REPRS_FROM, render._polars_ok = old[:2]
    assert got == list(map(float.__repr__, scaled.ravel().tolist()))


def test_reprs_fall_back_to_python_when_polars_writes_otherwise(monkeypatch):
    pl = _polars_reprs(monkeypatch)

    class Drifted:  # a polars whose float text differs from repr (say 1e+16 as 1e16)
        Float64, String = pl.Float64, pl.String

        @staticmethod
        def Series(values, dtype=None):
            return pl.Series([v * 1.0000001 for v in values], dtype=pl.Float64)

    monkeypatch.setitem(sys.modules, "polars", Drifted)
    values = np.linspace(-1e20, 1e20, 5000)
    assert render.reprs(values) == list(map(float.__repr__, values.tolist()))
    assert render._polars_ok is False


def test_rows_output_is_identical_with_and_without_polars_formatting(monkeypatch):
    _polars_reprs(monkeypatch)
    data = np.random.default_rng(4).standard_normal((3000, 3)) * np.logspace(-14, 14, 3000)[:, None]
    fast = render._format_array(data, None, None) + render._format_array(data[:, 0], None, None)
    monkeypatch.setattr(render, "_polars_ok", False)
    slow = render._format_array(data, None, None) + render._format_array(data[:, 0], None, None)
    assert fast == slow
    assert slow[0] == "\t".join(map(repr, data[0].tolist()))


def test_a_closed_progress_bar_ignores_late_rows_and_never_reopens():
    bar = render.Progress(delay=0)
    bar.advance(10, 2)
    assert (bar.bytes, bar.rows) == (10, 2) and bar._bar is not None
    bar.close()
    bar.advance(5, 3)  # rows parsed after the reading ended
    assert (bar.bytes, bar.rows) == (10, 2) and bar._bar is None


# -- narrow terminals: a number is never cut, whatever the width ----------------
_LONG = [2.4802548925351747e-13, -1.2345678901234567e+300, 0.24253562503633297, 1234567890123456789]


def _narrow_results():
    scalar = Result("L2 norm", ["L2"], rows=[("x", _LONG[1])])
    vector = Result("gradient of ||x||_2", ["x", "gradient", "rel. error", "note"], label="i",
                    rows=[("1", 1.0, _LONG[2], _LONG[0], ""), ("2", -4.0, _LONG[1], 1e-12, "a quasi-norm, p < 1")])
    table = Result("norms of each column", ["L2", "L1", "max"], label="vector",
                   rows=[(f"a rather long column name {k}", *_LONG[k % 4:], *_LONG[:k % 4])[:4] for k in range(7)]
                   + [("0.30000000000000004", [_LONG[0], _LONG[1]], _LONG[3], None)])
    return [scalar, vector, table]


def _numbers(result):
    """The text of every number the table must show whole: values, list entries and numeric labels."""
    out = set()
    for row in result.rows:
        for v in row:
            for x in v if isinstance(v, list) else [v]:
                text = render.format_number(x)
                if x is not None and render._numeric(text):
                    out.add(text)
    return out


def _cell_texts(text):
    """Each table cell's lines joined without their line breaks: a number wrapped in its cell reads whole.

    A block is the run of lines between two rules of a table (one row when a
    cell wraps, as rows are then ruled apart); its lines are split at the
    column borders and the pieces of each column joined.
    """
    cells, block = [], []
    for line in [*text.splitlines(), ""]:
        if line[:1] in "│┃":
            block.append(re.split("[│┃]", line)[1:-1])
        elif block:
            cells += ["".join(piece.strip() for piece in column) for column in zip(*block)]
            block = []
    return cells


@pytest.mark.parametrize("k", range(3), ids=["scalar", "vector", "table"])
def test_no_number_is_cut_at_any_terminal_width(k):
    result = _narrow_results()[k]
    numbers = _numbers(result)
    assert numbers
    for width in range(10, 121):
        buf = io.StringIO()
        render.show(result, "table", console=Console(file=buf, force_terminal=True, width=width, color_system=None))
        out = re.sub(r"\x1b\[[0-9;]*m", "", buf.getvalue())
        assert "…" not in out, width
        for line in out.splitlines():
            assert len(line) <= width, (width, line)  # nothing cropped at the terminal's edge
            assert line[:1] not in "│┃┏┡└├" or line[-1:] in "│┃┓┩┘┤", (width, line)  # the right border is there
        cells = _cell_texts(out)
        missing = [n for n in numbers if not any(n in c for c in cells)]
        assert not missing, (width, missing, out)
    assert all(n in out for n in numbers)  # wide enough: every number on one line


# -- big tables: drawn in time linear in their cells, byte for byte as rich draws them --
def _matrix(n, label="row"):
    """A distance matrix as ``dist --pairwise`` gives it: n rows, a column per row (drawn sideways, in parts)."""
    x = np.random.default_rng(n).standard_normal((n, 3))
    d = np.sqrt(((x[:, None] - x[None]) ** 2).sum(-1))
    names = [str(i) for i in range(1, n + 1)]
    return Result("L2 distance matrix (rows)", names, rows=[(names[i], *d[i].tolist()) for i in range(n)],
                  label=label, notes=["a note"])


def _tall(rows):
    """Many rows, a few columns: numbers, empty cells, words, a highlighted row (drawn the right way up)."""
    return Result("Models", ["MAE", "rank", "note", "RMSE"], label="model", highlight=[2],
                  rows=[(f"m{i}", 1 / (i + 1), i, "" if i % 3 else "a b", None if i % 4 == 1 else -i * 1e-300)
                        for i in range(rows)])


def _drawn(result, width, color=True):
    buf = io.StringIO()
    console = Console(file=buf, force_terminal=color, width=width, color_system="truecolor" if color else None)
    render.show(result, "table", console=console)
    return buf.getvalue()


def test_filled_rows_are_byte_for_byte_what_rich_draws(monkeypatch):
    """The rows filled into rich's drawing of a probe table (render._print_table) equal rich drawing them all."""
    fast = []
    filled = render._filled_rows
    monkeypatch.setattr(render, "_filled_rows", lambda *a: fast.append(filled(*a)) or fast[-1])
    cases = [(result, width, color) for result in [_matrix(1), _matrix(2), _matrix(7), _matrix(5, label=""),
                                                  _tall(1), _tall(9), *_narrow_results()]
             for width in range(10, 131, 12) for color in (True, False)]
    drawn = [_drawn(*case) for case in cases]
    assert any(f is not None for f in fast) and any(f is None for f in fast)  # both ways were taken
    monkeypatch.setattr(render, "_filled_rows", lambda *a: None)  # rich draws every table whole
    for case, text in zip(cases, drawn):
        assert text == _drawn(*case), case[1:]


def test_a_distance_matrix_costs_rich_a_few_cells_per_part_and_each_text_is_measured_once(monkeypatch):
    """No timing: counts. rich renders a table cell by cell (about 50 us each); an n x n matrix must not cost
    rich n^2 cell renders (40 s at n = 500), and laying it out must measure each cell a bounded number of times,
    not once per part (n^3)."""
    import rich.cells
    from rich.console import Console as RichConsole

    rendered, measured = [0], [0]
    render_lines, cell_len = RichConsole.render_lines, rich.cells.cell_len

    def counting_render_lines(self, *args, **kwargs):
        rendered[0] += 1
        return render_lines(self, *args, **kwargs)

    def counting_cell_len(text, *args):
        measured[0] += 1
        return cell_len(text, *args)

    monkeypatch.setattr(RichConsole, "render_lines", counting_render_lines)
    monkeypatch.setattr(rich.cells, "cell_len", counting_cell_len)  # the one render._fit imports

    def counts(n):
        rendered[0] = measured[0] = 0
        out = _drawn(_matrix(n), 80, color=False)
        assert out.count("\n") > n * (n // 3)  # every part was drawn, a line per row
        return rendered[0], measured[0]

    (rich_small, fit_small), (rich_big, fit_big) = counts(30), counts(60)
    # Twice the rows: twice the parts. rich's work grows with the parts (x2), not with the cells (x4) ...
    assert rich_big < 2.5 * rich_small and rich_big < 60 * 60 / 4, (rich_small, rich_big)
    # ... and the layout's measuring with the cells (x4), not with cells times parts (x8).
    assert fit_big < 4.5 * fit_small and fit_big < 4 * 60 * 61, (fit_small, fit_big)
