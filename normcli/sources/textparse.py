"""CSV, TSV and whitespace-separated text: the layout of a table and the parse of one block of it.

The layout (:func:`_layout`) is read from the first lines: the delimiter, whether the first line
is a header (a line of numbers too, :func:`_numbers_header`), the selected columns.

Parsing has a fast path and a slow path that agree: numpy's C parser
(``numpy.loadtxt``) reads a block; only when it refuses the block, or the
block holds a value the NaN policy must act on, is the block re-read line by
line in Python to find and name the culprit (or to apply ``--nan``). The
per-block parse functions (:func:`_parse_table_block`, :func:`_parse_row_block`,
:func:`_keys_fast` for ``--by``) are this module's; who runs them is the input's
:class:`~normcli.engines.Engine`: inline for small inputs, worker processes or
polars on threads for large ones, all to the same numbers and the same errors.
"""

from __future__ import annotations

import csv
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from ..engines import columns_to_read, count_byte, count_lines, has_any
from ..errors import InputError
from ..spec import InputSpec, _note, _unescape
from .cells import _Cells, _looks_numeric, to_float
from .grouped import combine_codes, first_appearance
from .table import NAN_ADVICE
from .table import select as _select

#: What normcli reads, said in every refusal of a file it cannot read.
_READS = "normcli reads CSV, TSV or whitespace-separated text (compressed or not), .npy, Parquet and Arrow files"

_CANDIDATE_DELIMITERS = (",", "\t", ";", "|")


# --------------------------------------------------------------------------
# Lines of a block
# --------------------------------------------------------------------------
def _decode(block: bytes, first_line: int) -> str:
    try:
        return block.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = first_line + block.count(b"\n", 0, exc.start)
        bad = block[exc.start : exc.end]
        raise InputError(f"line {line}: bytes that are not UTF-8 ({bad!r}); save the file as UTF-8") from None


def _refuse_nul(block: bytes, first_line: int, where: str) -> None:
    """A NUL byte is never text: say the input looks binary (one memchr over the block, no Python loop)."""
    pos = block.find(b"\x00")
    if pos >= 0:
        line = first_line + block.count(b"\n", 0, pos)
        raise InputError(f"{where or 'the input'} looks like a binary file, not text (a NUL byte on line {line}); "
                         f"{_READS}")


def _lines(block: bytes, first_line: int) -> list[str]:
    text = _decode(block, first_line)
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return lines


def _is_skipped(line: str) -> bool:
    s = line.strip()
    return not s or s.startswith("#")


# --------------------------------------------------------------------------
# The layout of a table: delimiter, header, selected columns
# --------------------------------------------------------------------------
@dataclass(frozen=True)
class _Layout:
    delimiter: str | None  # None: runs of whitespace
    ncols: int
    names: tuple[str, ...]  # every column's name (header, or "1".."k")
    has_header: bool
    usecols: tuple[int, ...]  # 0-based selected columns
    nan: str
    shape_line: int  # the line whose fields set ncols: the header, or the first data line (for messages)
    where: str = ""  # the input's name ('data.csv', stdin), for the errors that name it

    def column_label(self, j: int) -> str:
        return f"column {self.names[j]!r}" if self.has_header else f"column {j + 1}"

    def split(self, line: str) -> list[str]:
        if self.delimiter is None:
            return line.split()
        line = line.rstrip("\r")
        if '"' in line:
            return next(csv.reader([line], delimiter=self.delimiter))
        return line.split(self.delimiter)


def _detect_delimiter(sample: list[str]) -> str | None:
    """The delimiter that splits every sample line into the same number (> 1) of fields."""
    for d in _CANDIDATE_DELIMITERS:
        counts = {line.count(d) for line in sample}
        if len(counts) == 1 and counts.pop() > 0:
            return d
    for d in _CANDIDATE_DELIMITERS:  # ragged samples: the first delimiter present
        if d in sample[0]:
            return d
    return None


def _numeric_line(line: str) -> bool:
    return all(_looks_numeric(f) for f in re.split(r"[,\t;| ]+", line.strip()) if f)


def _header_names(line: str, delimiter: str | None) -> list[str]:
    """The fields of a header line, unquoted as CSV does (a doubled quote inside quotes is one), unpadded."""
    if delimiter is None:
        return [f[1:-1] if len(f) >= 2 and f[0] == f[-1] == '"' else f for f in line.split()]
    return [f.strip() for f in next(csv.reader([line.rstrip("\r")], delimiter=delimiter, skipinitialspace=True))]


def _layout(spec: InputSpec, sample: list[tuple[int, str]], where: str) -> _Layout:
    if not sample:
        raise InputError(f"{where} holds no data")
    lines = [text for _, text in sample]
    delimiter = _unescape(spec.delimiter) if spec.delimiter else _detect_delimiter(lines[:50])
    probe = _Layout(delimiter, 0, (), False, (), spec.nan, sample[0][0])
    first_fields = [f.strip() for f in probe.split(lines[0])]
    has_header = spec.header
    if has_header is None:
        has_header = not all(_looks_numeric(f) for f in first_fields if f)
        if not has_header:
            body = [probe.split(text) for text in lines[1:]]
            has_header, remark = _numbers_header(sample[0][0], lines[0], first_fields, body)
            if remark:
                _note(spec, remark)
    if has_header:
        names = tuple(f or str(j + 1) for j, f in enumerate(_header_names(lines[0], delimiter)))
        if len(sample) == 1:
            raise InputError(f"{where} has a header line but no data rows")
    else:
        names = tuple(str(j + 1) for j in range(len(first_fields)))
    usecols = _select(spec.columns, names, has_header)
    return _Layout(delimiter, len(names), names, bool(has_header), usecols, spec.nan, sample[0][0], where)


_UNSIGNED = re.compile(r"[0-9]+\Z")
_YEARS = (1900, 2100)  # a first line of integers all in this range reads as a header of years


def _integer_line(line: str) -> bool:
    """Whether every field of ``line`` is an unsigned integer written without a point or exponent."""
    fields = [f for f in re.split(r"[,\t;| ]+", line.strip()) if f]
    return bool(fields) and all(_UNSIGNED.match(f) for f in fields)


def _written_as_decimal(text: str) -> bool:
    """A number written with a point or an exponent (``0.5``, ``1.0``, ``2e3``), not as an integer."""
    return any(c in text for c in ".eE")


def _numbers_header(lineno: int, line: str, fields: list[str], body: list[list[str]]) -> tuple[bool, str | None]:
    """Whether a first line of numbers is a header, and a remark for the user (or None).

    Only a line of unsigned integers can be, and only over rows (the
    sample) whose numbers are all written as decimals, in every column: a
    data row written with ``%g`` among them shows its integral values as
    integers (``0``, ``0,1``), so the values must also be far from the
    rows below. It is a header, said nothing, when every value is far off
    its column (``2019,2020`` over ``0.5,1.5``: beyond ten times the
    column's scale), and a header with a remark naming --no-header when the
    values are the column numbers 0..k-1 or 1..k for three columns or more
    (pandas' names for unnamed columns). Years, the column numbers of two
    columns, or a value merely off its column are read as data with a
    remark naming --header; so is a line of years over rows of integers.
    """
    if not fields or not all(_UNSIGNED.match(f) for f in fields):
        return False, None
    values = [int(f) for f in fields]
    k = len(values)
    years = all(_YEARS[0] <= v <= _YEARS[1] for v in values)
    ids = k >= 2 and values[0] in (0, 1) and values == list(range(values[0], values[0] + k))
    rows = [[f.strip() for f in row] for row in body if len(row) == k]
    texts = [[f for f in column if _looks_numeric(f) and math.isfinite(to_float(f))] for column in zip(*rows)]
    shown = line.strip() if len(line.strip()) <= 60 else line.strip()[:57] + "..."
    if not (texts and all(column and all(map(_written_as_decimal, column)) for column in texts)):
        numbers = [to_float(f) for column in texts for f in column]
        if years and any(not _YEARS[0] <= v <= _YEARS[1] for v in numbers):
            return False, (f"line {lineno} ({shown}) looks like a header of years but was read as data; give "
                           "--header if it is a header (--no-header: data, without this note)")
        return False, None

    def off(value: int, column: list[str], factor: float) -> bool:
        numbers = [to_float(f) for f in column]
        lo, hi = min(numbers), max(numbers)
        scale = factor * max(hi - lo, abs(lo), abs(hi))
        return not lo - scale <= value <= hi + scale

    if all(off(v, column, 10) for v, column in zip(values, texts)):
        return True, None
    if ids and k >= 3:
        return True, (f"line {lineno} ({shown}) was read as a header (column numbers over rows of decimals); "
                      "give --no-header to read it as data")
    if years or ids or any(off(v, column, 1) for v, column in zip(values, texts)):
        return False, (f"line {lineno} ({shown}) may be a header (integers over rows of decimals) but was read "
                       "as data; give --header if it is a header (--no-header: data, without this note)")
    return False, None


# --------------------------------------------------------------------------
# Parsing one block (runs in worker processes for large inputs)
# --------------------------------------------------------------------------
def _parse_table_block(layout: _Layout, block: bytes, first_line: int) -> np.ndarray:
    """A block of whole lines -> array (rows x selected columns)."""
    _refuse_nul(block, first_line, layout.where)
    if layout.ncols == 1:
        column = _one_number_per_line(block)
        if column is not None and (layout.nan != "error" or np.isfinite(column).all()):
            # one column, selected k times (-c 1 -c 1): k copies of it, as a wider table gives
            return np.repeat(column.reshape(-1, 1), len(layout.usecols), axis=1)
    lines = _lines(block, first_line)
    fast = _fast_parse(layout, block, lines)
    if fast is not None:
        return fast
    return _slow_parse(layout, lines, first_line)


def _one_number_per_line(block: bytes) -> np.ndarray | None:
    """The fastest path: a block of bare numbers, one per line, or None.

    ``numpy.fromstring`` parses about 1.4x faster than ``loadtxt`` but is
    lax: any whitespace separates numbers and it reads ``nan(123)``. So it
    is used only on blocks with no spaces, tabs, CRs, blank lines, quotes,
    comments or parentheses, and only if it finds exactly one number per
    line; anything else goes to the general path, which names errors.
    """
    if has_any(block, b' \t\r"#(') or b"\n\n" in block or block.startswith(b"\n"):
        return None
    try:
        column = np.fromstring(block, dtype=np.float64, sep="\n")
    except ValueError:
        return None
    return column if column.size == count_lines(block) else None


def _fast_parse(layout: _Layout, block: bytes, lines: list[str]) -> np.ndarray | None:
    """numpy's C parser, or None when the block needs the line-by-line path."""
    simple = not has_any(block, b'"#')  # no quotes, no comments
    if not any(map(str.strip, lines)):  # only blank lines (numpy would warn of no data)
        # in one column an empty line is an empty cell, which --nan rules on: the line-by-line path
        return None if layout.ncols == 1 and lines else np.empty((0, len(layout.usecols)))
    if len(layout.usecols) != layout.ncols:
        return _selected_columns(layout, block, lines) if simple else None
    try:
        arr = np.loadtxt(
            lines,
            dtype=np.float64,
            delimiter=layout.delimiter,
            comments=None if simple else "#",
            quotechar=None if simple else '"',
            ndmin=2,
        )
    except ValueError:
        return None
    if layout.ncols == 1 and arr.shape[0] != _cell_lines(lines, simple):
        return None  # numpy skipped a blank line: in one column it is an empty cell (--nan decides)
    if arr.size == 0:
        return arr.reshape(0, len(layout.usecols))
    if arr.shape[1] != layout.ncols:
        return None  # ragged against the header: let the slow path name the line
    if layout.usecols != tuple(range(layout.ncols)):
        arr = arr[:, layout.usecols]
    return _finite_or_none(layout, arr)


def _cell_lines(lines: list[str], simple: bool) -> int:
    """The lines of a one-column block that hold a cell: all but # comment lines (blank ones too)."""
    if simple:
        return len(lines)
    return sum(1 for line in lines if not line.lstrip().startswith("#"))


def _finite_or_none(layout: _Layout, arr: np.ndarray) -> np.ndarray | None:
    if layout.nan == "error" and not np.isfinite(arr).all():
        return None  # the slow path names the first non-finite value
    return arr


def _selected_columns(layout: _Layout, block: bytes, lines: list[str]) -> np.ndarray | None:
    """Some of the columns of a quote- and comment-free block, if every line has ``ncols`` fields; else None.

    numpy's parser with ``usecols`` does not notice a line with other
    fields than those it reads, so the field counts are checked here. With
    a one-byte delimiter the check costs little (:func:`columns_to_read`):
    numpy reads the last column as one character of text, not converted,
    and fails on a line without it; blank lines hold no delimiter and numpy
    skips them. Otherwise every line's fields are counted first.
    """
    d = layout.delimiter
    last = layout.ncols - 1
    one_byte = d is not None and len(d.encode()) == 1
    used, cols = columns_to_read(layout)
    if not one_byte:
        if d is None and not all(len(line.split()) == layout.ncols for line in lines if line.strip()):
            return None
        if d is not None and not all(line.count(d) == last for line in lines if line.strip()):
            return None
        cols = used
    try:
        table = np.loadtxt(
            lines,
            dtype=[(f"c{j}", np.float64 if j in used else "U1") for j in cols],
            delimiter=d,
            usecols=cols,
            comments=None,
            quotechar=None,
            ndmin=1,
        )
    except ValueError:
        return None
    if one_byte and count_byte(block, d) != table.size * last:
        return None
    if layout.ncols == 1 and table.size != len(lines):
        return None  # a blank line, skipped by numpy, is an empty cell in one column
    arr = np.empty((table.size, len(layout.usecols)))
    for k, j in enumerate(layout.usecols):
        arr[:, k] = table[f"c{j}"]
    return _finite_or_none(layout, arr)


def _data_lines(layout: _Layout, lines: list[str], first_line: int, blank_cells: bool = False
                ) -> Iterator[tuple[int, list[str] | None]]:
    """(line number, fields) of each data line: blank lines and # comments left out.

    With ``blank_cells`` a blank line is kept, as (line number, None).
    """
    for offset, line in enumerate(lines):
        if _is_skipped(line):
            if blank_cells and not line.strip():
                yield first_line + offset, None
            continue
        if "#" in line:
            line = line.split("#", 1)[0]
        yield first_line + offset, layout.split(line)


def _slow_parse(layout: _Layout, lines: list[str], first_line: int) -> np.ndarray:
    cells = _Cells(layout.nan)
    rows: list[list[float]] = []
    # In one column a line is a cell: an empty line is a missing value, as an empty field is in a
    # wider table (a blank line there has no fields at all and is skipped).
    blank_cells = layout.ncols == 1
    for lineno, fields in _data_lines(layout, lines, first_line, blank_cells):
        if fields is None:
            if layout.nan == "error":
                raise InputError(f"line {lineno}, {layout.column_label(0)}: an empty line (missing value)",
                                 NAN_ADVICE)
            rows.append([math.nan] * len(layout.usecols))
            continue
        if len(fields) != layout.ncols:
            raise InputError(
                f"line {lineno}: {len(fields)} field(s), expected {layout.ncols} "
                f"as in line {layout.shape_line}{' (the header)' if layout.has_header else ''}; "
                "use --rows for rows of different lengths"
            )
        rows.append(
            [cells.convert(fields[j], f"line {lineno}, {layout.column_label(j)}") for j in layout.usecols]
        )
    return np.array(rows, dtype=np.float64).reshape(len(rows), len(layout.usecols))


def _parse_row_block(layout: _Layout, block: bytes, first_line: int) -> list[np.ndarray]:
    """--rows: each line a vector of its own length; returns groups of equal-length rows."""
    _refuse_nul(block, first_line, layout.where)
    lines = _lines(block, first_line)
    fast = _fast_parse(layout, block, lines)
    if fast is not None:
        return [fast]
    cells = _Cells(layout.nan)
    selected = len(layout.usecols) != layout.ncols
    groups: list[list[list[float]]] = []
    for lineno, fields in _data_lines(layout, lines, first_line):
        if selected and max(layout.usecols) >= len(fields):
            raise InputError(
                f"line {lineno}: {len(fields)} field(s), too few for the selected columns"
            )
        picks = layout.usecols if selected else range(len(fields))
        row = [cells.convert(fields[j], f"line {lineno}, {_cell_label(layout, j)}") for j in picks]
        if groups and len(groups[-1][0]) == len(row):
            groups[-1].append(row)
        else:
            groups.append([row])
    return [np.array(g, dtype=np.float64) for g in groups]


def _cell_label(layout: _Layout, j: int) -> str:
    return layout.column_label(j) if j < layout.ncols else f"column {j + 1}"


# --------------------------------------------------------------------------
# --by: key columns as text, value columns as numbers (runs in worker processes for large inputs)
# --------------------------------------------------------------------------
def _keys_fast(layout: _Layout, keycols: tuple[int, ...], block: bytes):
    """The --by keys of a block: (int32 codes, distinct keys in first-appearance order), or None.

    A key is the field's text without surrounding whitespace (a tuple of
    them for several key columns), never a number. This codes the keys with
    numpy on the bytes, no Python per row; a block it is not sure of
    (quotes, comments, a CR but at a line's end, blank lines, padded or
    long keys, bytes that are not ASCII) gives None, for :func:`_keys_slow` to read line by line.
    """
    d = layout.delimiter
    # (a blank line has no field: the check of each line's delimiters below finds it)
    if d is None or len(d.encode()) != 1 or not block.endswith(b"\n") or has_any(block, b'"#'):
        return None
    if not block.isascii():
        return None  # UTF-8 is checked (and an error named) line by line
    buf = np.frombuffer(block, dtype=np.uint8)
    nl = np.flatnonzero(buf == 10)
    n, last = nl.size, layout.ncols - 1
    delims = np.flatnonzero(buf == ord(d))
    if last < 1 or delims.size != n * last:
        return None
    delims = delims.reshape(n, last)
    starts = np.empty(n, dtype=np.int64)
    starts[0], starts[1:] = 0, nl[:-1] + 1
    if not ((delims[:, 0] >= starts).all() and (delims[:, -1] < nl).all()):
        return None  # some line has another number of fields
    ends = nl
    if block.find(b"\r") >= 0:  # CRLF line ends, and no other CR, or the line-by-line path
        if count_byte(block, "\r") != n or not (buf[nl - 1] == 13).all():
            return None
        ends = nl - 1
    coded = []
    for j in keycols:
        begin = starts if j == 0 else delims[:, j - 1] + 1
        end = delims[:, j] if j < last else ends
        one = _code_field(buf, block, begin, end)
        if one is None:
            return None
        coded.append(one)
    return combine_codes(coded)


#: _MASKS[w]: the first w of 8 bytes kept, the others zeroed.
_MASKS = np.array([[255 if c < w else 0 for c in range(8)] for w in range(9)], dtype=np.uint8)


def _code_field(buf: np.ndarray, block: bytes, begin: np.ndarray, end: np.ndarray):
    """(int32 codes, distinct texts in first-appearance order) of the fields [begin, end), or None.

    A field of up to 8 bytes is one uint64 (its bytes, zero-padded), up to
    64 bytes a fixed-width byte string; numbering them is one sort. None
    (the line-by-line path) for longer or padded fields.
    """
    lengths = end - begin
    filled = lengths > 0
    if filled.any():
        edges = np.concatenate((buf[begin[filled]], buf[end[filled] - 1]))
        if ((edges == 32) | (edges == 9)).any():
            return None  # padded keys are stripped line by line
    width = int(lengths.max()) if lengths.size else 0
    if width > 64:
        return None
    if width <= 8:
        padded = np.concatenate((buf, np.zeros(8, dtype=np.uint8)))
        windows = np.lib.stride_tricks.as_strided(padded, shape=(buf.size, 8), strides=(1, 1), writeable=False)
        words = (windows[begin] & _MASKS[lengths]).view(np.uint64).ravel()
    else:
        cols = -(-width // 8) * 8
        at = np.arange(cols)
        take = at[None, :] < lengths[:, None]
        mat = np.where(take, buf[np.minimum(begin[:, None] + at[None, :], buf.size - 1)], 0).astype(np.uint8)
        words = mat.view(f"S{cols}").ravel()
    codes, first = first_appearance(words)
    return codes, [block[begin[i] : end[i]].decode("ascii") for i in first.tolist()]


def _keys_slow(layout: _Layout, keycols: tuple[int, ...], lines: list[str], first_line: int
               ) -> tuple[np.ndarray, list]:
    from .grouped import code_keys

    keys: list = []
    one = len(keycols) == 1
    for lineno, fields_ in _data_lines(layout, lines, first_line):
        if len(fields_) != layout.ncols:  # the values' parse names such a line first; this is a guard
            raise InputError(
                f"line {lineno}: {len(fields_)} field(s), expected {layout.ncols} "
                f"as in line {layout.shape_line}{' (the header)' if layout.has_header else ''}; "
                "use --rows for rows of different lengths"
            )
        keys.append(fields_[keycols[0]].strip() if one else tuple(fields_[j].strip() for j in keycols))
    return code_keys(keys)
