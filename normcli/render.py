"""Results -> rich table | plain | csv | json. The only writer to stdout.

A command builds a :class:`Result` (a title, value columns, rows of a label
and values, notes) and hands it to :func:`show`; no command formats
anything itself. Text that came from the input (column names, file names)
is shown literally: rich markup in it is not interpreted and terminal
control characters are shown as escapes, never sent to the terminal.

rich is imported only when a table is drawn, so plain runs stay light.
"""

from __future__ import annotations

import json
import math
import re
import sys
from collections.abc import Sequence
from typing import Any

from . import env
from .contract import FORMATS  # noqa: F401 - render checks and names them
from .core.result import ColumnBatch, Result
from .text import safe_text


# --------------------------------------------------------------------------
# Numbers
# --------------------------------------------------------------------------
def format_number(value: Any, precision: int | None = None) -> str:
    """Exact round-trip repr, or ``precision`` significant digits.

    >>> format_number(3.7416573867739413), format_number(3.7416573867739413, 4), format_number(3)
    ('3.7416573867739413', '3.742', '3')
    """
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, (list, tuple)):
        return " ".join(format_number(v, precision) for v in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    value = float(value)
    if precision is None or not math.isfinite(value):
        return repr(value)
    return f"{value:.{precision}g}"


def _plain_text(text: str) -> str:
    r"""Text in plain output: control characters, tabs and newlines escaped, so fields and lines stay intact.

    >>> _plain_text("a\tb\x1b")
    'a\\tb\\x1b'
    """
    return safe_text(text).replace("\t", "\\t").replace("\n", "\\n")


def _formatter(precision: int | None):
    """format_number with the common case (a float, exact repr) first."""
    if precision is not None:
        return lambda v: _plain_text(v) if isinstance(v, str) else format_number(v, precision)
    return lambda v: (float.__repr__(v) if type(v) is float
                      else _plain_text(v) if isinstance(v, str) else format_number(v))


def _format_column(col: Sequence[Any], fmt_one, precision: int | None) -> list[str]:
    kinds = set(map(type, col))
    if precision is None and kinds == {float}:
        return list(map(float.__repr__, col))  # the hot case: --rows results
    if list in kinds or tuple in kinds:  # a whole vector in one cell: its own fields
        return ["\t".join(fmt_one(v) for v in c) if isinstance(c, (list, tuple)) else fmt_one(c) for c in col]
    return list(map(fmt_one, col))


_PLAIN_SLICE = 1 << 14  # values formatted at a time


def _format_array(arr, fmt_one, precision: int | None) -> list[str]:
    """One column of a :class:`ColumnBatch`: a value per row, or a vector per row (tab-separated)."""
    if precision is None and arr.dtype.kind == "f":
        if arr.ndim == 2:
            texts = reprs(arr)
            width = arr.shape[1]
            return list(map("\t".join, zip(*(texts[j::width] for j in range(width))))) if width else [""] * len(arr)
        return reprs(arr)
    values = arr.tolist()
    if arr.ndim == 2:
        return ["\t".join(map(fmt_one, row)) for row in values]
    return list(map(fmt_one, values))


#: Values from which a loaded polars formats them (below, Python's repr is as quick).
_POLARS_REPRS_FROM = 4096
# |x| in [1e-11, 1e-3), where polars writes 1e-05 as 0.00001 and 1e-06 as 1e-6, is left to Python.
_PROBES = (0.0, -0.0, 1.0, -2.5, 0.1, 0.30000000000000004, 0.001, 0.0012345678901234567, 123456.789,
           1e15, 1e16, 9007199254740993.0, 1.2345678901234568e+17, 1e22, 1.5e300, -1.7976931348623157e308,
           1e-11, 9.87654321e-12, 2.2250738585072014e-308, 5e-324, 1e-320)
_polars_ok: bool | None = None


def _loaded_polars():
    """polars, when a large input already loaded it and it writes floats as Python's repr; else None.

    Python's repr costs about 1 us per float, most of the time of a large
    ``--rows`` output; polars' float-to-string (ryu, shortest round trip)
    gives the same text outside |x| in [1e-11, 1e-3), checked once per
    process on probe values, so a polars that writes differently is not
    used.
    """
    global _polars_ok
    pl = sys.modules.get("polars")
    if pl is None or _polars_ok is False:
        return None
    if _polars_ok is None:
        try:
            got = pl.Series(_PROBES, dtype=pl.Float64).cast(pl.String).to_list()
            _polars_ok = got == [float.__repr__(v) for v in _PROBES]
        except (AttributeError, TypeError, ValueError, pl.exceptions.PolarsError):  # a polars that cannot
            _polars_ok = False
    return pl if _polars_ok else None


def reprs(arr) -> list[str]:
    """``float.__repr__`` of every value of a float array (flattened in C order), exactly.

    With polars loaded (large inputs), polars formats the values and Python
    only those in the range where the two write differently, and NaN and
    infinities: 0.2 s instead of 1.1 s per million values.
    """
    import numpy as np

    flat = np.ascontiguousarray(arr, dtype=np.float64).ravel()
    pl = _loaded_polars() if flat.size >= _POLARS_REPRS_FROM else None
    if pl is None:
        return list(map(float.__repr__, flat.tolist()))
    texts = pl.Series(flat).cast(pl.String).to_list()
    size = np.abs(flat)
    with np.errstate(invalid="ignore"):
        odd = np.flatnonzero(~((size >= 1e-3) | (size < 1e-11)) | ~np.isfinite(flat))
    for i in odd.tolist():
        texts[i] = float.__repr__(float(flat[i]))
    return texts


def _json_value(value: Any, precision: int | None) -> str:
    if value is None:
        return "null"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_json_value(v, precision) for v in value) + "]"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    value = float(value)
    if not math.isfinite(value):
        # RFC 8259 has no NaN or Infinity; say it in a string, never lose it.
        return json.dumps(repr(value))
    return format_number(value, precision)


# --------------------------------------------------------------------------
# Where the output goes
# --------------------------------------------------------------------------
def resolve_format(fmt: str, stream=None) -> str:
    """``auto`` -> ``table`` on a terminal, ``plain`` otherwise; decided once here."""
    if fmt != "auto":
        return fmt
    if stream is None or stream is sys.stdout:
        return "table" if env.current().stdout_tty else "plain"
    isatty = getattr(stream, "isatty", None)
    return "table" if isatty and isatty() else "plain"


def show(result: Result, fmt: str = "auto", precision: int | None = None, *, console=None, out=None) -> None:
    """Write ``result`` to stdout (or ``out``) in format ``fmt``.

    ``console`` (a ``rich.console.Console``) lets tests force a terminal.
    """
    out = sys.stdout if out is None else out
    if fmt == "auto" and console is not None:
        fmt = "table"
    fmt = resolve_format(fmt, out)
    if fmt == "table":
        _table(result, precision, console, out)
    elif fmt == "plain":
        fmt_one = _formatter(precision)
        for batch in result.iter_batches(columnar=True):
            if isinstance(batch, ColumnBatch):
                picked = batch.columns if result.plain is None else [batch.columns[j] for j in result.plain]
                # Slices of rows: the text of a whole block of gradients would cost more memory than its numbers.
                step = max(1, _PLAIN_SLICE // max(1, sum(c[0].size if c.ndim == 2 else 1 for c in picked)))
                for start in range(0, len(batch), step):
                    columns = [_format_array(c[start:start + step], fmt_one, precision) for c in picked]
                    out.write("\n".join(map("\t".join, zip(*columns))) + "\n")
                out.flush()
            elif batch:
                # Column by column: one map() per column beats a join per row.
                picked = list(zip(*batch))[1:]
                if result.plain is not None:
                    picked = [picked[j] for j in result.plain]
                columns = [_format_column(col, fmt_one, precision) for col in picked]
                out.write("\n".join(map("\t".join, zip(*columns))) + "\n")
                out.flush()
        _draw(result, out, *_plain_size(), color=False)
        _warn(result)
    elif fmt == "csv":
        _csv(result, precision, out)
        _warn(result)
    elif fmt == "json":
        _json(result, precision, out)
    else:  # cli validates the choice; this guards programmatic use
        raise ValueError(f"unknown output format {fmt!r}")


def _warn(result: Result) -> None:
    for part in [result, *result.extra]:
        for w in part.warnings:
            note(w)


def _csv(result: Result, precision: int | None, out) -> None:
    import csv

    writer = csv.writer(out, lineterminator="\n")
    for k, part in enumerate([result, *result.extra]):
        if k:
            out.write("\n")  # one block per table, a blank line between
        writer.writerow([part.label or "label", *part.columns])
        for batch in part.iter_batches():
            writer.writerows([row[0], *(format_number(v, precision) for v in row[1:])] for row in batch)
            out.flush()


def _json(result: Result, precision: int | None, out, end: str = "\n") -> None:
    keys = [json.dumps(k, ensure_ascii=False) for k in [result.label or "label", *result.columns]]
    out.write('{"title": %s, "rows": [' % json.dumps(result.title, ensure_ascii=False))
    first = True
    for batch in result.iter_batches():
        parts = []
        for row in batch:
            items = ", ".join(f"{k}: {_json_value(v, precision)}" for k, v in zip(keys, row))
            parts.append(("\n  " if first else ",\n  ") + "{" + items + "}")
            first = False
        out.write("".join(parts))
        out.flush()
    notes = json.dumps(result.notes, ensure_ascii=False)
    warnings = json.dumps(result.warnings, ensure_ascii=False)
    out.write(f'\n], "notes": {notes}, "warnings": {warnings}')
    if result.extra:
        out.write(', "tables": [')
        for k, part in enumerate(result.extra):
            out.write(", " if k else "")
            _json(part, precision, out, end="")
        out.write("]")
    out.write("}" + end)
    out.flush()


def _table(result: Result, precision: int | None, console, out) -> None:
    from rich.console import Console
    from rich.text import Text

    if console is None:
        class _Console(Console):
            def on_broken_pipe(self) -> None:  # rich would exit 1; a reader that stopped early is no error
                raise BrokenPipeError

        e = env.current()
        console = (_Console(file=out, highlight=False, force_terminal=e.styled, no_color=e.no_color or None,
                            width=e.columns, height=e.lines)
                   if out is sys.stdout else _Console(file=out, highlight=False))
    digits = precision if precision is not None else result.digits
    rows = [row for batch in result.iter_batches() for row in batch]
    shown = [j for j, name in enumerate(result.columns) if name not in result.hidden]
    head = ([result.label] if result.label else []) + [result.columns[j] for j in shown]
    pick = ([0] if result.label else []) + [j + 1 for j in shown]
    cell = _cell if digits is not None else _exact_cell
    cells = [[cell(row[j], digits) for j in pick] for row in rows]
    styles = ["bold green" if i in result.highlight else None for i in range(len(rows))]
    # The title above the table, not inside it: a narrow table would wrap it.
    console.print(Text(safe_text(result.title), style="bold"))
    wide = _width(head, cells) > console.width
    if wide and len(rows) < len(head):
        # Few, wide rows (the metrics of a few models): turn the table sideways, and if it is still too
        # wide, draw it in several parts, each a few of the former rows.
        key = _name_column(result, rows)
        names = [_cell(row[key], digits) for row in rows]
        body = [[safe_text(h), *(c[i] for c in cells)] for i, h in enumerate(head) if pick[i] != key]
        for part in _parts(["", *names], body, console.width):
            _print_table(console, ["" if k == 0 else names[k - 1] for k in part], [[r[k] for k in part] for r in body],
                         [None if k == 0 else styles[k - 1] for k in part], columnwise=True)
    elif wide and len(head) > 2:
        # Many rows and many columns: the columns in parts, the label column repeated; never a cut number.
        for part in _parts(head, cells, console.width):
            _print_table(console, [head[k] for k in part], [[c[k] for k in part] for c in cells], styles,
                         label=bool(result.label))
    else:
        _print_table(console, head, cells, styles, label=bool(result.label))
    for n in result.notes:
        console.print(Text(safe_text(n), style="dim"))
    for w in result.warnings:
        console.print(Text("note: " + safe_text(w), style="yellow"))
    for part in result.extra:
        console.print()
        _table(part, precision, console, out)
    if result.pictures:
        console.file.flush()
        _draw(result, console.file, console.width, max(12, min(console.height - 4, 30)), color=console.is_terminal)


def _plain_size() -> tuple[int, int]:
    """The size of a picture in plain output: COLUMNS and LINES when set, else 80 x 24."""
    import shutil

    e = env.current()
    if e.columns is None or e.lines is None:
        size = shutil.get_terminal_size((80, 24))  # the terminal's, for what COLUMNS and LINES leave open
        columns, lines = e.columns or size.columns, e.lines or size.lines
    else:
        columns, lines = e.columns, e.lines
    return max(40, columns), max(12, min(lines - 4, 30))


def _draw(result: Result, out, width: int, height: int, color: bool) -> None:
    """The result's pictures as text (``plots.text``), one after another."""
    if not result.pictures:
        return
    from . import plots

    for picture in result.pictures:
        out.write("\n" + plots.text(picture, width, height, color=color).rstrip("\n") + "\n")
    out.flush()


def _layout(head, cells, width: int):
    """Which columns hold text (left-aligned), and :func:`_fit`'s widths, wrapped columns and borders."""
    texts = [j == 0 or bool(col) and all(v and not _numeric(v) for v in col)
             for j, col in enumerate(zip(*cells))] if cells else [j == 0 for j in range(len(head))]
    return (texts, *_fit(head, cells, texts, width))


def _rich_table(head, cells, styles, layout, label: bool = False, columnwise: bool = False):
    """A rich table no wider than the ``layout`` (:func:`_layout`): text columns left-aligned, numbers
    right-aligned, no number ever cut.

    The column widths are set here (:func:`_fit`), not left to rich, which
    would cut or ellipsize a number in a column too narrow for it. On a
    narrow terminal text wraps first; a number wraps onto further lines of
    its cell only when nothing else can give, and then lines between the
    rows keep one row's lines apart from the next. ``styles`` holds a style
    per row, or per column when ``columnwise`` (a table turned sideways).
    """
    from rich import box
    from rich.table import Table
    from rich.text import Text

    texts, widths, wrapped, framed = layout
    table = Table(box=box.HEAVY_HEAD if framed else None, pad_edge=framed, show_lines=framed and any(wrapped))
    for j, name in enumerate(head):
        style = styles[j] if columnwise else None
        if texts[j]:
            style = style or ("cyan" if j == 0 and (label or columnwise) else None)
        table.add_column(Text(safe_text(name)), justify="left" if texts[j] else "right", style=style,
                         width=widths[j], no_wrap=False, overflow="fold")
    for i, row in enumerate(cells):
        # A number folded over several lines reads on from the left; a whole one stays right-aligned.
        table.add_row(*(Text(v, justify="left") if wrapped[j] and _longest_number(v) > widths[j] else Text(v)
                        for j, v in enumerate(row)), style=None if columnwise else styles[i])
    return table


#: A cell the rows of a table can be filled in with (:func:`_print_table`): printable ASCII (one terminal
#: cell per character), no space at either end (rich strips it), or empty.
_SIMPLE_CELL = re.compile(r"(?:[!-~](?:[ -~]*[!-~])?)?")

#: The text of the probe table's cells: a private-use character, one cell wide, that no number or word has.
_MARK = "\ue000"
_MARKS = re.compile(_MARK + "+")


def _print_table(console, head, cells, styles, label: bool = False, columnwise: bool = False) -> None:
    """Draw :func:`_rich_table` on ``console``, a table of any number of rows in time linear in its cells.

    rich renders a table cell by cell (padding, wrapping, cropping, styling
    each one), some 50 us a cell: a minute for the million cells of a
    1000 x 1000 distance matrix. When no cell wraps (every row is one line
    of plain ASCII, as numbers are), the rows are filled in instead: rich
    draws the same table with the header and one row of each kind (row
    style, and the last row, above the bottom border), each cell full of
    :data:`_MARK`; the text around the marks is each row's borders,
    padding and colour codes, and the cells, aligned to their widths, go
    between. The output is rich's, byte for byte. Anything else (a cell
    that wraps, wide characters, a recording console) goes to rich whole.
    """
    layout = _layout(head, cells, console.width)
    lines = _filled_rows(console, head, cells, styles, layout, label, columnwise)
    if lines is None:
        console.print(_rich_table(head, cells, styles, layout, label, columnwise))
        return
    try:
        write = console.file.write
        for start in range(0, len(lines), 4096):
            write("".join(lines[start:start + 4096]))
        console.file.flush()
    except BrokenPipeError:
        console.on_broken_pipe()


def _filled_rows(console, head, cells, styles, layout, label: bool, columnwise: bool) -> list[str] | None:
    """The lines (each ending in a newline) of the table, its rows filled into rich's drawing of a probe
    table (:func:`_print_table`); None when this table must be drawn by rich."""
    texts, widths, wrapped, _ = layout
    if not cells or any(wrapped) or not _writes_directly(console) or any(_MARK in h for h in head):
        return None
    simple = _SIMPLE_CELL.fullmatch
    if not all(simple(v) for row in cells for v in row):
        return None
    # The kinds of rows: one per row style, and the last row (rich draws it with the bottom's box characters).
    keys = [None] * len(cells) if columnwise else list(styles)
    kinds = list(dict.fromkeys(keys[:-1])) + [keys[-1]]
    marks = [_MARK * w for w in widths]
    probe = _rich_table(head, [marks] * len(kinds), styles if columnwise else kinds, layout, label, columnwise)
    with console.capture() as capture:
        console.print(probe)
    drawn = capture.get().split("\n")
    rows = [i for i, line in enumerate(drawn) if _MARK in line]
    if drawn[-1] != "" or not rows or rows != list(range(rows[0], rows[0] + len(kinds))):
        return None  # not one line per probe row, one after another: leave it to rich
    formats = []
    for i in rows:
        pieces = _MARKS.split(drawn[i])
        if [len(m) for m in _MARKS.findall(drawn[i])] != widths:
            return None
        fields = ("{:" + ("<" if texts[j] else ">") + f"{w}}}" for j, w in enumerate(widths))
        formats.append("".join(p.replace("{", "{{").replace("}", "}}") + f for p, f in zip(pieces, fields))
                       + pieces[-1].replace("{", "{{").replace("}", "}}") + "\n")
    middle = dict(zip(kinds[:-1], formats[:-1]))
    out = [line + "\n" for line in drawn[:rows[0]]]
    out += [middle[k].format(*row) for k, row in zip(keys[:-1], cells[:-1])]
    out.append(formats[-1].format(*cells[-1]))
    out += [line + "\n" for line in drawn[rows[-1] + 1:-1]]
    return out


def _writes_directly(console) -> bool:
    """Whether what rich would write for this console goes straight to its file (no recording, capture,
    live display, notebook or legacy Windows console in between)."""
    return (not console.record and not console.quiet and not console.is_jupyter and not console.legacy_windows
            and getattr(console, "_buffer_index", None) == 0 and getattr(console, "_render_hooks", None) == [])


def _fit(head: list[str], cells: list[list[str]], texts: list[bool], width: int):
    """Content widths of the columns of a table ``width`` wide, which columns have a cell that wraps, and
    whether the table has borders.

    Columns get their natural width when the table fits. Otherwise they
    give up width in steps, the widest first, each step only when the one
    before is not enough: text columns wrap at spaces, then columns of
    numbers wrap their text (headers, words) at spaces, then words are
    folded, and only then numbers (which no width can keep whole once it
    is narrower than the number). A terminal too narrow even for the
    borders gets the table without them.
    """
    from rich.cells import cell_len

    def longest(values, numbers: bool = False) -> int:
        """The widest space-separated word (or number) in ``values``; the widest values first, stopping early."""
        best = 0
        for v in sorted(values, key=size.__getitem__, reverse=True):
            if size[v] <= best:
                break
            best = max([best, *(cell_len(w) for w in v.split() if not numbers or _numeric(w))])
        return best

    n = len(head)
    natural, word, number, body = [], [], [], []
    for j, name in enumerate(head):
        column = {row[j] for row in cells}
        lines = {line for v in column for line in v.split("\n")}
        seen = lines | column | {name}
        size = dict(zip(seen, map(cell_len, seen)))  # each distinct text measured once
        body.append(max(map(size.__getitem__, lines), default=0))
        natural.append(max(1, body[-1], *map(cell_len, name.split("\n"))))
        word.append(max(1, longest(lines | {name})))
        number.append(longest(column, numbers=True))
    framed = width - (3 * n + 1) >= n
    room = width - (3 * n + 1) if framed else width - 2 * (n - 1)
    widths = natural[:]
    text_cols = [j for j in range(n) if texts[j]]
    value_cols = [j for j in range(n) if not texts[j]]
    every = list(range(n))
    steps = [(text_cols, [max(number[j], min(natural[j], word[j])) for j in range(n)]),
             (value_cols, [max(number[j], min(natural[j], word[j])) for j in range(n)]),
             (every, [max(number[j], min(natural[j], 4)) for j in range(n)]),
             (every, [1] * n)]
    for columns, floor in steps:
        excess = sum(widths) - room
        while excess > 0:
            candidates = [j for j in columns if widths[j] > floor[j]]
            if not candidates:
                break
            j = max(candidates, key=lambda k: widths[k])
            widths[j] -= 1
            excess -= 1
    return widths, [body[j] > widths[j] for j in range(n)], framed


def _longest_number(text: str) -> int:
    """The length of the longest number among the space-separated fields of a cell (0 when none)."""
    return max((len(w) for w in text.split() if _numeric(w)), default=0)


def _cell(value: Any, digits: int | None) -> str:
    return safe_text(value) if isinstance(value, str) else format_number(value, digits)


def _exact_cell(value: Any, digits: None = None) -> str:
    """``_cell(value, None)``, the common case (a float) first."""
    return float.__repr__(value) if type(value) is float else _cell(value, None)


def _numeric(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _width(head: list[str], cells: list[list[str]]) -> int:
    """The width rich needs to draw these columns without cutting any."""
    return 1 + sum(3 + max([len(h), *(len(c[j]) for c in cells)]) for j, h in enumerate(head))


def _name_column(result: Result, rows) -> int:
    """Which field names a row when the table turns sideways: the label, or the first text column."""
    if result.label and rows and isinstance(rows[0][0], str):
        return 0
    for j in range(1, len(result.columns) + 1):
        if rows and all(isinstance(r[j], str) for r in rows):
            return j
    return 0


def _parts(head: list[str], body: list[list[str]], width: int) -> list[list[int]]:
    """Split the columns after the first into groups that each fit ``width`` (the first repeats)."""
    def need(j: int) -> int:
        return 3 + max([len(head[j]), *(len(r[j]) for r in body)])

    parts, current, used = [], [0], 1 + need(0)
    for j in range(1, len(head)):
        if len(current) > 1 and used + need(j) > width:
            parts.append(current)
            current, used = [0], 1 + need(0)
        current.append(j)
        used += need(j)
    parts.append(current)
    return parts


# --------------------------------------------------------------------------
# stderr
# --------------------------------------------------------------------------
class Progress:
    """A progress bar on stderr for a long read: bytes, rows, rate (and the share read, for a file).

    Nothing is drawn for the first ``delay`` seconds, so quick commands
    never flash a bar; rich is imported only when the bar appears. It is
    transient: gone when the reading ends.
    """

    def __init__(self, delay: float = 1.0) -> None:
        import time

        self._clock = time.monotonic
        self._start = self._clock()
        self.delay = delay
        self.total: int | None = None
        self.bytes = 0
        self.rows = 0
        self._bar = None
        self._task = None
        self._closed = False

    def begin(self, total: int | None) -> None:
        self.total = total

    def advance(self, nbytes: int, rows: int) -> None:
        """``nbytes`` more bytes read, ``rows`` more data rows parsed; nothing once closed."""
        if self._closed:
            return
        self.bytes += nbytes
        self.rows += rows
        if self._bar is None and self._clock() - self._start >= self.delay:
            self._show()
        if self._bar is not None:
            self._bar.update(self._task, completed=self.bytes, rows=self.rows)

    def _show(self) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            DownloadColumn,
            SpinnerColumn,
            TextColumn,
            TimeElapsedColumn,
            TransferSpeedColumn,
        )
        from rich.progress import Progress as Bar

        columns = [SpinnerColumn(), TextColumn("reading"), BarColumn() if self.total else TextColumn(""),
                   DownloadColumn(), TextColumn("{task.fields[rows]:,} rows"), TransferSpeedColumn(),
                   TimeElapsedColumn()]
        self._bar = Bar(*columns, console=Console(file=sys.stderr), transient=True)
        self._task = self._bar.add_task("read", total=self.total, rows=self.rows)
        self._bar.start()

    def close(self) -> None:
        self._closed = True
        if self._bar is not None:
            self._bar.stop()
            self._bar = None

    def __enter__(self) -> "Progress":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def progress(quiet: bool = False) -> Progress | None:
    """A :class:`Progress` when stderr is a terminal and not ``quiet``; else None (nothing is shown).

    ``NORMCLI_PROGRESS_DELAY`` (seconds, default 1) sets how long a read
    runs before the bar appears.
    """
    e = env.current()
    if quiet or sys.stderr is None or not e.stderr_tty:
        return None
    return Progress(e.progress_delay)
def error(message: str) -> None:
    """The one error voice: ``normcli: error: <message>`` on stderr."""
    sys.stderr.write(f"normcli: error: {safe_text(message).replace(chr(10), ' ')}\n")
    sys.stderr.flush()


def usage(text: str) -> None:
    """Help text shown because the command line was incomplete (stderr)."""
    sys.stderr.write(text.rstrip("\n") + "\n")


def note(message: str) -> None:
    sys.stderr.write(f"normcli: note: {safe_text(message)}\n")
    sys.stderr.flush()


def echo(text: str) -> None:
    """Plain text to stdout (``--version``)."""
    sys.stdout.write(text + "\n")
