"""Everything a user can hand normcli, turned into float64 arrays with names.

Sources: argv tokens (``1,2,3``, ``"1 2 3"``, several arguments), CSV, TSV,
semicolon- or whitespace-separated text (a path, ``-`` for stdin, or a piped
stdin) and ``.npy`` files. Text is read in blocks of whole lines, so a
column is reduced chunk by chunk in bounded memory and ``--rows`` results
stream. Errors name the line, the column and the offending text.

Parsing has a fast path and a slow path that agree: numpy's C parser
(``numpy.loadtxt``) reads a block; only when it refuses the block, or the
block holds a value the NaN policy must act on, is the block re-read line by
line in Python to find and name the culprit (or to apply ``--nan``). The
per-block parse functions are this module's; who runs them is the input's
:class:`~normcli.engines.Engine` (``InputSpec.engine``, else the one
NORMCLI_READER and NORMCLI_WORKERS describe): inline for small inputs,
worker processes or polars on threads for large ones, all to the same
numbers and the same errors.
"""

from __future__ import annotations

import collections
import csv
import io
import math
import os
import re
import stat
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace

import numpy as np

from . import env
from .engines import Engine, LongLine, columns_to_read, count_byte, count_lines, has_any
from .errors import NAN_POLICIES, InputError, UsageError
from .sources.grouped import combine_codes, first_appearance
from .sources.table import NAN_ADVICE, Columns, RowBlock
from .sources.table import nonempty as _nonempty
from .sources.table import row_blocks as _row_blocks
from .sources.table import select as _select

#: Bytes read from a text input at a time (then cut back to a whole line).
BLOCK_SIZE = 3 << 20

#: A regular file this big is large to the engine: polars (when installed), or the worker
#: processes, from its first block.
_LARGE_FILE = 32 << 20

_NPY_MAGIC = b"\x93NUMPY"

#: The longest line a text input may have. A longer stretch without a newline is not text (a device
#: such as /dev/zero, a FIFO that never sends one, a binary file): an error, not a buffer without end.
MAX_LINE = 64 << 20

#: What normcli reads, said in every refusal of a file it cannot read.
_READS = "normcli reads CSV, TSV or whitespace-separated text (compressed or not), .npy, Parquet and Arrow files"
_TOKEN_SPLIT = re.compile(r"\s*,\s*|\s+")
_CANDIDATE_DELIMITERS = (",", "\t", ";", "|")


def _example(command: str) -> str:
    return f"normcli {command} 1,2,3   or   normcli {command} -f errors.csv   or   cat errors.csv | normcli {command}"


# --------------------------------------------------------------------------
# What the command line asked for
# --------------------------------------------------------------------------
@dataclass(frozen=True)
class InputSpec:
    """The input options shared by every command.

    ``stdin`` is the stream to read when ``file`` is ``-`` or nothing else is
    given; tests may pass any binary stream.
    """

    values: Sequence[str] = ()
    #: A path, ``-`` (stdin), or several paths (globs expanded) read as one table.
    file: str | Sequence[str] | None = None
    columns: Sequence[str] = ()
    delimiter: str | None = None
    header: bool | None = None
    nan: str = "error"
    stdin: object = None
    #: Told about the reading as it goes (``render.Progress``): begin(total bytes or None),
    #: advance(bytes read, data rows parsed). None: nothing is shown.
    progress: object = None
    #: The command reading (for the examples of a no-input error).
    command: str = "norm"
    #: Told a remark about the input that the user should see (a callable taking the text: how a
    #: first line of numbers was read). None: written to stderr as ``normcli: note: ...``.
    note: object = None
    #: Who parses the blocks of a text input (reader, workers). None: the engine NORMCLI_READER and
    #: NORMCLI_WORKERS describe (``Engine.from_environment``), decided when the first block is parsed.
    engine: Engine | None = None
    #: ``--by``: the key column(s), names or 1-based indices (read as text, never as numbers).
    by: Sequence[str] = ()

    def __post_init__(self) -> None:
        if self.nan not in NAN_POLICIES:
            raise UsageError(f"--nan must be one of {', '.join(NAN_POLICIES)}, not {self.nan!r}")
        if self.delimiter is not None and len(_unescape(self.delimiter)) != 1:
            raise UsageError(
                f"--delimiter must be one character (or \\t), not {self.delimiter!r}"
            )


def _unescape(delimiter: str) -> str:
    return {"\\t": "\t", "tab": "\t", "TAB": "\t"}.get(delimiter, delimiter)


def _note(spec: InputSpec, message: str) -> None:
    """Tell the user something about how the input was read (``spec.note``, or stderr)."""
    if callable(spec.note):
        spec.note(message)
        return
    if sys.stderr is not None:
        sys.stderr.write(f"normcli: note: {message}\n")
        sys.stderr.flush()


# --------------------------------------------------------------------------
# Numbers
# --------------------------------------------------------------------------
def to_float(text: str) -> float:
    """Parse one number exactly as the fast path (numpy's parser) does.

    Python's ``float`` also accepts digit separators (``1_000``) and
    non-ASCII digits (``٣``); numpy does not, and both paths must agree, so
    they are refused here.

    >>> to_float(" 1e-3 "), to_float("-inf")
    (0.001, -inf)
    """
    if "_" in text or not text.isascii():
        raise ValueError(text)
    return float(text)


def _describe(text: str) -> str:
    return "an empty field (missing value)" if text.strip() == "" else repr(text.strip())


class _Cells:
    """Turn text cells into floats under one NaN policy, naming the place on failure."""

    def __init__(self, nan: str):
        self.nan = nan

    def convert(self, text: str, where: str) -> float:
        try:
            value = to_float(text)
        except ValueError:
            if self.nan == "error":
                what = _describe(text)
                if what.startswith("an empty"):
                    raise InputError(f"{where}: {what}", NAN_ADVICE) from None
                raise InputError(f"{where}: {what} is not a number") from None
            return math.nan
        if self.nan == "error" and not math.isfinite(value):
            raise InputError(f"{where}: {text.strip()!r} is not a finite number", NAN_ADVICE)
        return value


def parse_tokens(tokens: Sequence[str], nan: str = "error", what: str = "the values") -> np.ndarray:
    """Numbers from command-line tokens: commas and/or whitespace separate them.

    ``what`` names the tokens in an error when there is one token (an
    option's value: ``--target``; "" names only the value); several are
    "argument i".

    >>> parse_tokens(["1,2", "3 4", "-5e-1"]).tolist()
    [1.0, 2.0, 3.0, 4.0, -0.5]
    """
    cells = _Cells(nan)
    out: list[float] = []
    for i, token in enumerate(tokens, 1):
        stripped = token.strip().strip(",").strip()
        if not stripped:
            continue
        for j, piece in enumerate(_TOKEN_SPLIT.split(stripped), 1):
            where = f"argument {i}" if len(tokens) > 1 else what
            out.append(cells.convert(piece, f"{where}, value {j}" if where else f"value {j}"))
    return np.array(out, dtype=np.float64)


# --------------------------------------------------------------------------
# Parsed inputs
# --------------------------------------------------------------------------
# --------------------------------------------------------------------------
# Opening the source
# --------------------------------------------------------------------------
def _stdin(spec: InputSpec):
    if spec.stdin is not None:
        return spec.stdin
    if sys.stdin is None or getattr(sys.stdin, "buffer", None) is None:
        raise InputError("stdin is closed: there is nothing to read")
    return sys.stdin.buffer


def _source(spec: InputSpec):
    """Return (binary stream, description, close?) or None for argv values."""
    if spec.values and spec.file is not None:
        raise UsageError("give values as arguments or --file, not both")
    if spec.values:
        return None
    if spec.file is None or spec.file == "-":
        stream = _stdin(spec)
        if spec.file is None and (env.current().stdin_tty if spec.stdin is None else _isatty(stream)):
            raise UsageError(f"no input: give values, --file PATH, or pipe data in; e.g. {_example(spec.command)}")
        return stream, "stdin", False
    try:
        stream = open(spec.file, "rb")  # noqa: SIM115 - handed to the caller, which closes it
    except FileNotFoundError:
        raise InputError(f"file {spec.file!r} does not exist") from None
    except IsADirectoryError:
        raise InputError(f"{spec.file!r} is a directory, not a file") from None
    except PermissionError:
        raise InputError(f"file {spec.file!r} cannot be read: permission denied") from None
    except OSError as exc:
        raise InputError(f"file {spec.file!r} cannot be read: {exc.strerror or exc}") from None
    if _is_device(stream):
        stream.close()
        raise InputError(f"{spec.file!r} is a device, not a file of data; {_READS}")
    return stream, repr(spec.file), True


def _is_device(stream) -> bool:
    """A character device that gives no text (/dev/zero, /dev/urandom, ...): not a terminal, not /dev/null."""
    try:
        st = os.fstat(stream.fileno())
        if not stat.S_ISCHR(st.st_mode) or stream.isatty():
            return False
        return st.st_rdev != os.stat(os.devnull).st_rdev
    except (OSError, AttributeError, ValueError):
        return False


def _isatty(stream) -> bool:
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def stdin_piped() -> bool:
    """True when stdin is a pipe, a file or a socket: something was sent (not a terminal, not /dev/null)."""
    import stat

    if sys.stdin is None or env.current().stdin_tty:
        return False
    try:
        mode = os.fstat(sys.stdin.fileno()).st_mode
    except (OSError, AttributeError, ValueError, io.UnsupportedOperation):
        return True  # a stream without a descriptor (tests): it was given on purpose
    return stat.S_ISFIFO(mode) or stat.S_ISREG(mode) or stat.S_ISSOCK(mode)


def read_flat_vector(spec: InputSpec) -> np.ndarray:
    """One vector from a file or stdin written as one column or as one row (or a 1-D .npy).

    For options such as regstep's --weights and --grad: the output of
    another call (one value per line) and a row like ``0.5,-1.2,2`` both work.
    """
    arr = _prepare(spec).vector(spec)
    if arr.ndim == 1 or 1 in arr.shape:
        return arr.ravel()
    raise InputError(f"a vector is one column or one row; this has {arr.shape[0]} rows and {arr.shape[1]} columns")


# --------------------------------------------------------------------------
# Reading text in blocks of whole lines
# --------------------------------------------------------------------------
def _blocks(stream, first: bytes = b"", size: int | None = None) -> Iterator[bytes]:
    """Whole lines, about ``size`` bytes (BLOCK_SIZE) at a time, without waiting on a slow pipe.

    A block is handed on early when the source has nothing more ready (a
    pipe fed line by line), so ``--rows`` results stream; a file or a fast
    pipe fills whole blocks. A regular file is read a whole-line block at a
    time with ``pread`` (:func:`_file_blocks`) and the rest, a last part
    smaller than a block, as a stream.
    """
    size = size or BLOCK_SIZE
    start = _file_offset(stream)
    if start is not None:
        fd = stream.fileno()
        for block in _file_blocks(fd, start, size):
            start += len(block)
            if first:
                block, first = first + block, b""
            yield block
        stream.seek(start)
    yield from _stream_blocks(stream, first, size)


#: Bytes read from the end of a block's window to find its last newline.
_PEEK = 4096


def _file_offset(stream) -> int | None:
    """Where the next read of ``stream`` starts, when it is a seekable regular file; else None."""
    try:
        if not stream.seekable() or not _is_regular(stream):
            return None
        return stream.tell()
    except (AttributeError, OSError, ValueError, io.UnsupportedOperation):
        return None


def _file_blocks(fd: int, offset: int, size: int) -> Iterator[bytes]:
    """Blocks of whole lines of a regular file from ``offset``, each read by one ``pread``.

    The end of each window is peeked at first to find its last newline, so
    a block is read once into its own bytes: reading, joining and slicing,
    as :func:`_stream_blocks` must on a pipe, copied every byte three times
    (0.74 s against 0.28 s per 600 MB). A window whose end holds no newline
    (long lines) is read whole and cut. Stops before the last part that does
    not fill a window, or before a line longer than the window.
    """
    peek = min(_PEEK, size)
    while True:
        tail = os.pread(fd, peek, offset + size - peek)
        if len(tail) < peek:  # the last part: the stream reader ends it
            return
        cut = tail.rfind(b"\n") + 1
        if cut:
            want = size - peek + cut
            block = os.pread(fd, want, offset)
            if len(block) != want:  # the file shrank under us: the stream reader takes over
                return
        else:  # long lines: read the window and cut it here
            block = os.pread(fd, size, offset)
            cut = block.rfind(b"\n") + 1
            if not cut or len(block) != size:
                return
            block = block[:cut]
        offset += len(block)
        yield block


#: How long a block being gathered from a pipe waits for the writer before it is handed on short,
#: and the age after which it no longer waits. A fast writer (``cat``) refills the pipe within
#: microseconds, so its blocks fill; a slow one (a line now and then) has its lines handed on
#: within _PIPE_PAUSE, and a steady trickle within about _PIPE_PATIENCE: ``--rows`` streams.
_PIPE_PAUSE = 0.01
_PIPE_PATIENCE = 0.1
#: The pipe buffer asked for on a pipe being read (Linux; 64 KiB by default, 1 MiB the usual limit).
_PIPE_BUFFER = 1 << 20


def _stream_blocks(stream, first: bytes, block_size: int) -> Iterator[bytes]:
    """:func:`_blocks` of any stream: read into one buffer and cut it at its last newline.

    A block is handed on before it is full only when the source has had
    nothing more for _PIPE_PAUSE (or, once the block is _PIPE_PATIENCE old,
    nothing more at once). Each block is copied once, out of the buffer; a
    line longer than the buffer makes it grow.
    """
    _widen_pipe(stream)
    buf = bytearray(max(block_size, len(first)))
    buf[: len(first)] = first
    filled = len(first)
    scanned = 0  # buf[:scanned] holds no newline: each byte is searched once, however long a line grows
    born = time.monotonic()  # when the block being gathered got its first bytes
    read_into = _read_into(stream)
    while True:
        if filled and (filled >= block_size or not _more_ready(stream, _pause(born))):
            cut = buf.rfind(b"\n", scanned, filled) + 1
            if cut:
                if filled > MAX_LINE and buf.find(b"\n", scanned, cut) > MAX_LINE:  # only a long line grows buf
                    raise LongLine(0)
                yield bytes(memoryview(buf)[:cut])
                buf[: filled - cut] = buf[cut:filled]
                filled -= cut
                scanned = filled
                born = time.monotonic()
                continue
            scanned = filled
        if filled == len(buf):  # one line fills the buffer: room for more of it
            if filled > MAX_LINE:
                raise LongLine(0)
            buf.extend(bytes(block_size))
        got = read_into(memoryview(buf)[filled:])
        if not got:
            if filled:
                block = bytes(memoryview(buf)[:filled])
                last = block.rfind(b"\n") + 1
                if filled - last > MAX_LINE:
                    raise LongLine(block.count(b"\n", 0, last))
                yield block if block.endswith(b"\n") else block + b"\n"
            return
        if not filled:
            born = time.monotonic()
        filled += got


def _long_line_error(where: str, line: int) -> InputError:
    limit = f"{MAX_LINE >> 20} MiB" if MAX_LINE % (1 << 20) == 0 else f"{MAX_LINE} bytes"
    return InputError(f"{where}: line {line} is longer than {limit} (no newline found); is this a text file?")


def _read_into(stream):
    """A function that reads what ``stream`` has ready (up to a view's size) into the view."""
    method = getattr(stream, "readinto1", None)  # one read of the raw stream: a pipe does not wait
    if method is not None:
        return method
    read = getattr(stream, "read1", stream.read)

    def read_into(view) -> int:
        data = read(len(view))
        view[: len(data)] = data
        return len(data)

    return read_into


def _pause(born: float) -> float:
    """How long to wait for more of a block first gathered at ``born``."""
    return _PIPE_PAUSE if time.monotonic() - born < _PIPE_PATIENCE else 0.0


def _widen_pipe(stream) -> None:
    """Ask for a bigger buffer on a pipe: fewer, fuller reads from a fast writer (Linux only)."""
    try:
        import fcntl
    except ImportError:
        return
    setsize = getattr(fcntl, "F_SETPIPE_SZ", None)
    try:
        fd = stream.fileno()
        if setsize is None or not stat.S_ISFIFO(os.fstat(fd).st_mode):
            return
        fcntl.fcntl(fd, setsize, _PIPE_BUFFER)
    except (AttributeError, OSError, ValueError):
        pass  # not a real pipe, or a limit below 1 MiB: the default buffer serves


def _more_ready(stream, wait: float = 0.0) -> bool:
    """True when reading ``stream`` would not block within ``wait`` seconds (or cannot be told)."""
    try:
        fd = stream.fileno()
    except (AttributeError, OSError, ValueError):
        return True  # in-memory streams: read on to the block size
    try:
        import select

        ready, _, _ = select.select([fd], [], [], wait)
    except (OSError, ValueError):
        return True
    return bool(ready)


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


def _looks_numeric(field_: str) -> bool:
    try:
        to_float(field_)
    except ValueError:
        return False
    return True


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
    from .sources.grouped import code_keys

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


def _parsed(spec: InputSpec, func, layout: _Layout, blocks: Iterator[bytes], first_line: int, size: int,
            large: bool, groups: bool = False) -> Iterator:
    """``func`` over the blocks, run by ``spec.engine`` (or the environment's, known when the first is due)."""
    engine = spec.engine or Engine.from_environment(env.current())
    yield from engine.map(func, layout, blocks, first_line, size=size, large=large, groups=groups)


# --------------------------------------------------------------------------
# Public entry points
# --------------------------------------------------------------------------
def _prepare(spec: InputSpec):
    """The source of ``spec``'s input: an object with ``columns(spec)`` and ``rows(spec)`` (see ``sources``)."""
    files = _file_list(spec)
    if len(files) > 1:
        from .sources.many import Many

        return Many([replace(spec, file=f) for f in files], _open_one)
    return _open_one(replace(spec, file=files[0]) if files else spec)


def _file_list(spec: InputSpec) -> list[str]:
    """The files of ``--file`` (repeatable), quoted globs expanded in sorted order; [] for values or stdin."""
    if spec.file is None:
        return []
    given = [spec.file] if isinstance(spec.file, str) else list(spec.file)
    if spec.values and given:
        raise UsageError("give values as arguments or --file, not both")
    files: list[str] = []
    for pattern in given:
        if pattern == "-" or os.path.exists(pattern) or not _GLOB.search(pattern):
            files.append(pattern)
            continue
        import glob

        matches = sorted(glob.glob(pattern))
        if not matches:
            raise InputError(f"no file matches {pattern!r}")
        files.extend(matches)
    if files.count("-") > 1:
        raise UsageError("stdin (-) can be read only once")
    return files


_GLOB = re.compile(r"[*?[]")


def _open_one(spec: InputSpec):
    """The source of one file (or of the values, or stdin), told by its first bytes."""
    from . import sources

    src = _source(spec)
    if src is None:
        return _Argv()
    stream, where, close = src
    try:
        head = _read_magic(stream)
        packed = sources.compression_kind(head)
        if packed is not None:
            from .sources.compressed import open_stream

            stream, close = open_stream(packed, stream, where, head, owns=close), True
            head = _read_magic(stream)
        if head.startswith(_NPY_MAGIC):
            data = head + stream.read()
            if close:
                stream.close()
            return _Npy(_load_npy(data, where), where)
        kind = sources.columnar_kind(head)
        if kind is not None:
            from .sources.columnar import ColumnarSource

            path = spec.file if packed is None and spec.file not in (None, "-") else None
            return ColumnarSource(kind, stream if close or path is None else None, where, path, head)
        _refuse_binary(spec, head, stream, where)
    except BaseException:
        if close:
            stream.close()
        raise
    return _Text(stream, where, close, head)


class _Argv:
    """The values on the command line: one vector (or, for --rows, one per argument)."""

    where = "the values"
    length = None

    def columns(self, spec: InputSpec) -> Columns:
        values = parse_tokens(spec.values, spec.nan)
        if values.size == 0:
            raise InputError("no values were given")
        if spec.columns:
            raise UsageError("--column selects columns of a file; the values were given as arguments")
        return Columns(["x"], _checked_npy(values, spec.nan), spec.nan, header=["x"])

    def rows(self, spec: InputSpec) -> Iterator[RowBlock]:
        if spec.columns:
            raise UsageError("--column selects columns of a file; the values were given as arguments")
        rows = [parse_tokens([t], spec.nan) for t in spec.values if t.strip().strip(",")]
        if not rows:
            raise InputError("no values were given")
        return _row_blocks(iter(rows), spec.nan)

    def table(self, spec: InputSpec) -> Columns:
        raise UsageError("this reads a table from a file or stdin")

    def vector(self, spec: InputSpec) -> np.ndarray:
        return parse_tokens(spec.values, spec.nan)

    def grouped(self, spec: InputSpec):
        raise UsageError("--by groups the rows of a table: read a CSV, TSV, Parquet or Arrow file (or stdin) "
                         "with a key column; the values were given as arguments")


class _Npy:
    """A 1-D or 2-D ``.npy`` array (loaded with allow_pickle=False); its columns are named 1, 2, ..."""

    def __init__(self, arr: np.ndarray, where: str) -> None:
        self.arr, self.where, self.length = arr, where, arr.shape[0]
        self.header = [str(j + 1) for j in range(1 if arr.ndim == 1 else arr.shape[1])]

    def columns(self, spec: InputSpec) -> Columns:
        if self.arr.ndim == 1 and not spec.columns:
            return Columns(["x"], _checked_npy(self.arr, spec.nan, self.where), spec.nan, header=self.header)
        # a 1-D array is one column: -c 1 selects it
        names, chunks = _npy_selection(self.arr.reshape(-1, 1) if self.arr.ndim == 1 else self.arr, spec, self.where)
        return Columns(names, chunks, spec.nan, header=self.header)

    def rows(self, spec: InputSpec) -> Iterator[RowBlock]:
        _, chunks = _npy_selection(self.arr.reshape(1, -1) if self.arr.ndim == 1 else self.arr, spec, self.where)
        return _row_blocks(chunks, spec.nan)

    def table(self, spec: InputSpec) -> Columns:
        if self.arr.ndim == 1:
            raise InputError("a table needs a 2-D array; the .npy file is 1-D")
        return self.columns(spec)

    def vector(self, spec: InputSpec) -> np.ndarray:
        return self.arr

    def grouped(self, spec: InputSpec):
        raise UsageError(f"--by needs a key column of text; {self.where} is a .npy array of numbers: "
                         "write it as CSV with the key column, or as Parquet")


class _Text:
    """CSV, TSV or whitespace-separated text, read in blocks of whole lines and parsed ahead."""

    length = None

    def __init__(self, stream, where: str, close: bool, head: bytes) -> None:
        self.stream, self.where, self.close, self.head = stream, where, close, head
        self.header: list[str] = []

    def columns(self, spec: InputSpec) -> Columns:
        large = _large_file(self.stream)
        layout, blocks, first = _text_start(spec, self.stream, self.where, self.head)
        self.header = list(layout.names)
        names = [layout.names[j] for j in layout.usecols]
        chunks = _rows_metered(_parsed(spec, _parse_table_block, layout, blocks, first, BLOCK_SIZE, large),
                               spec.progress, len)
        chunks = _closing(chunks, self.stream if self.close else None, self.where)
        return Columns(names, _nonempty(chunks, self.where), spec.nan, header=self.header)

    def rows(self, spec: InputSpec) -> Iterator[RowBlock]:
        large = _large_file(self.stream)
        size = max(1, BLOCK_SIZE // 3)  # rows are printed a block at a time: smaller blocks, smaller output batches
        layout, blocks, first = _text_start(spec, self.stream, self.where, self.head, size, streaming=True)
        self.header = list(layout.names)
        groups = _rows_metered(_parsed(spec, _parse_row_block, layout, blocks, first, size, large, groups=True),
                               spec.progress, lambda gs: sum(len(g) for g in gs))
        flat = (g for gs in groups for g in gs)
        return _row_blocks(_closing(flat, self.stream if self.close else None, self.where), spec.nan)

    table = columns

    def grouped(self, spec: InputSpec):
        from .sources.grouped import Grouped, key_columns

        large = _large_file(self.stream)
        layout, blocks, first = _text_start(spec, self.stream, self.where, self.head)
        self.header = list(layout.names)
        keys, values = key_columns(spec.by, spec.columns, layout.names, layout.has_header)
        layout = replace(layout, usecols=values)
        # The values are parsed as without --by (the same engine, numbers and errors). Each block's keys
        # are coded on a thread of this process as soon as the block is read (numpy releases the GIL
        # in its loops), so coding overlaps the parsing of the values and the reduction; the results
        # are taken in order, each after its block's values (whose errors come first, as without --by).
        import concurrent.futures as cf

        pending: collections.deque = collections.deque()
        pool = cf.ThreadPoolExecutor(1, thread_name_prefix="normcli-keys")

        def keeping() -> Iterator[bytes]:
            for block in blocks:
                pending.append((pool.submit(_keys_fast, layout, keys, block), block))
                yield block

        def coded() -> Iterator[tuple]:
            line = first  # the first line of the next block, for the errors of the line-by-line path
            try:
                for arr in _parsed(spec, _parse_table_block, layout, keeping(), first, BLOCK_SIZE, large):
                    future, block = pending.popleft()
                    fast = future.result()
                    if fast is None:
                        codes, distinct = _keys_slow(layout, keys, _lines(block, line), line)
                        line += count_lines(block)
                    else:
                        codes, distinct = fast
                        line += len(codes)  # the fast path reads blocks of data lines only
                    yield codes, distinct, arr
            finally:
                pool.shutdown(wait=True, cancel_futures=True)

        parsed = _rows_metered(coded(), spec.progress, lambda r: len(r[0]))
        parsed = _closing(_any_rows(parsed, self.where), self.stream if self.close else None, self.where)
        return Grouped([layout.names[j] for j in keys], [layout.names[j] for j in values], parsed, spec.nan,
                       header=self.header)

    def vector(self, spec: InputSpec) -> np.ndarray:
        cols = self.columns(spec)
        parts = [np.column_stack(c) for c in cols.chunks()]
        return np.concatenate(parts) if parts else np.empty((0, 1))


def _any_rows(parsed: Iterator, where: str) -> Iterator:
    """The parsed blocks of a grouped read; none with a row is an error, as for columns."""
    seen = False
    for item in parsed:
        if len(item[0]):
            seen = True
            yield item
    if not seen:
        raise InputError(f"{where} holds no data rows")


#: The first bytes of the files normcli is handed but does not read, and how many it takes to tell.
_SIGNATURES = (
    (_NPY_MAGIC, 6),
    (b"\x1f\x8b", 2),  # gzip
    (b"BZh", 10),  # bzip2: a level digit, then the magic of a block (or of the end of the stream)
    (b"\xfd7zXZ\x00", 6),  # xz
    (b"\x28\xb5\x2f\xfd", 4),  # zstd
    (b"PAR1", 5),  # Parquet: then binary (Thrift), never text
    (b"ARROW1", 8),  # Arrow IPC file (Feather v2): then two bytes of padding
    (b"PK\x03\x04", 4),  # zip (.npz, .xlsx, ...)
    (b"PK\x05\x06", 4),  # an empty zip
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", 8),  # OLE2: an old Excel .xls
    (b"\xff\xfe", 2),  # UTF-16 byte order marks
    (b"\xfe\xff", 2),
)
_MAGIC_READ = 16


def _read_magic(stream) -> bytes:
    """The first bytes, as far as they could start a file of a known kind; never waits for more.

    A text input stops after its first read (no signature starts with its
    first bytes); a file that could be a known format reads on until it can
    be told (:data:`_SIGNATURES`).
    """
    read = getattr(stream, "read1", stream.read)
    head = b""
    while _wants_more(head):
        chunk = read(_MAGIC_READ - len(head))
        if not chunk:
            break
        head += chunk
    return head


def _wants_more(head: bytes) -> bool:
    for magic, need in _SIGNATURES:
        n = min(len(head), len(magic))
        if head[:n] == magic[:n] and len(head) < need:
            return True
    return False


def _refuse_binary(spec: InputSpec, head: bytes, stream, where: str) -> None:
    """An InputError for a spreadsheet, an archive or another binary file: what it is, what to do."""
    name = spec.file if spec.file not in (None, "-") else None
    command = f"normcli {spec.command}"

    # Compressed, Parquet and Arrow inputs were opened before this (sources): what is left is refused.
    what = hint = None
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        what, hint = _zip_kind(_zip_names(head, stream), name, command)
    elif head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        what, hint = "an old Excel workbook (.xls) or another OLE2 Office file", (
            f"save the sheet as CSV, or in Python: pandas.read_excel({name or 'data.xls'!r})"
            ".to_csv('data.csv', index=False)")
    elif head.startswith((b"\xff\xfe", b"\xfe\xff")) or _utf16_without_bom(head):
        raise InputError(f"{where} is UTF-16 text; save the file as UTF-8")
    if what is not None:
        raise InputError(f"{where} is {what}; {_READS} ({hint})")
    _refuse_nul(head, 1, where)


def _utf16_without_bom(head: bytes) -> bool:
    """ASCII text in UTF-16: every other byte a NUL (and only those)."""
    if len(head) < 4:
        return False
    even, odd = head[0::2], head[1::2]
    return (not odd.strip(b"\x00") and b"\x00" not in even) or (not even.strip(b"\x00") and b"\x00" not in odd)


#: Bytes of a piped zip read to find the names inside (a file is read by its central directory).
_ZIP_PEEK = 16 << 20


def _zip_names(head: bytes, stream) -> list[str]:
    """The names of the members of a zip archive that begins with ``head`` (as many as can be found)."""
    import zipfile

    start = _file_offset(stream)
    if start is not None:
        try:
            with zipfile.ZipFile(stream) as archive:
                return archive.namelist()
        except (zipfile.BadZipFile, OSError, ValueError, EOFError, KeyError):
            stream.seek(start)
    data = head + stream.read(_ZIP_PEEK)
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return archive.namelist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, KeyError):
        pass
    names: list[str] = []  # a zip cut short: walk its local headers from the start
    pos = 0
    while len(names) < 1000 and data.startswith(b"PK\x03\x04", pos) and pos + 30 <= len(data):
        flags = int.from_bytes(data[pos + 6 : pos + 8], "little")
        size = int.from_bytes(data[pos + 18 : pos + 22], "little")
        name_len = int.from_bytes(data[pos + 26 : pos + 28], "little")
        extra_len = int.from_bytes(data[pos + 28 : pos + 30], "little")
        names.append(data[pos + 30 : pos + 30 + name_len].decode("utf-8", "replace"))
        if flags & 8 or size == 0xFFFFFFFF:  # sizes after the data, or zip64: no walking on
            break
        pos += 30 + name_len + extra_len + size
    return names


def _zip_kind(names: list[str], name: str | None, command: str) -> tuple[str, str]:
    """What a zip archive holding ``names`` is, and what to do with it."""
    import shlex

    files = [n for n in names if not n.endswith("/")]
    shown = name or "data.xlsx"
    excel = f"save the sheet as CSV, or in Python: pandas.read_excel({shown!r}).to_csv('data.csv', index=False)"
    if any(n.startswith("xl/") for n in names):
        return "an Excel workbook (.xlsx)", excel
    if files and all(n.endswith(".npy") for n in files):
        arrays = [n[: -len(".npy")] for n in files]
        listed = ", ".join(repr(a) for a in arrays[:5]) + (", ..." if len(arrays) > 5 else "")
        first = arrays[0]
        return "a NumPy .npz archive", (
            f"save one of its arrays ({listed}) as .npy, e.g. in Python: "
            f"numpy.save({first + '.npy'!r}, numpy.load({name or 'data.npz'!r})[{first!r}])")
    if "[Content_Types].xml" in names or any(n.startswith(("docProps/", "_rels/")) for n in names):
        return "an Office document (.xlsx, .docx or .pptx)", excel
    if "mimetype" in names:
        return "an OpenDocument file (.ods, .odt)", "save the sheet as CSV first"
    texts = [n for n in files if n.lower().endswith((".csv", ".tsv", ".txt", ".dat"))] or files
    if not texts:
        return "an empty zip archive", "it holds no file"
    member = shlex.quote(texts[0])
    if name is None:
        return "a zip archive", f"extract the file inside first, e.g. unzip -p FILE.zip {member} | {command}"
    return "a zip archive", f"extract the file inside first, e.g. unzip -p {shlex.quote(name)} {member} | {command}"


def _load_npy(data: bytes, where: str) -> np.ndarray:
    try:
        arr = np.load(io.BytesIO(data), allow_pickle=False)
    except ValueError as exc:
        raise InputError(f"{where} is not a readable .npy array ({exc})") from None
    if arr.dtype.kind not in "biuf":
        raise InputError(f"{where} holds {arr.dtype} values; a numeric .npy array is needed")
    if arr.ndim == 0 or arr.ndim > 2:
        raise InputError(f"{where} is a {arr.ndim}-D array; a 1-D or 2-D array is needed")
    if arr.size == 0:
        raise InputError(f"{where} is an empty array")
    return arr.astype(np.float64, copy=False)


def _metered(blocks: Iterator[bytes], stream, meter) -> Iterator[bytes]:
    """The blocks, each reported to ``meter`` (its bytes) as it is read.

    The rows are reported as they are parsed (:func:`_rows_metered`): the
    parsers count them anyway, and a data row is what the user counts (a
    header, blank and comment lines are not).
    """
    try:
        size = os.fstat(stream.fileno()).st_size
        total = size if size and _is_regular(stream) else None
    except (OSError, AttributeError, ValueError, io.UnsupportedOperation):
        total = None
    meter.begin(total)
    try:
        for block in blocks:
            meter.advance(len(block), 0)
            yield block
    finally:
        meter.close()  # the input is read (or abandoned): the bar goes before any output


def _rows_metered(results: Iterator, meter, rows) -> Iterator:
    """The parsed ``results``, each one's ``rows(result)`` reported to ``meter`` (if any) as it comes."""
    if meter is None:
        yield from results
        return
    for result in results:
        meter.advance(0, rows(result))
        yield result


def _large_file(stream) -> bool:
    """Whether ``stream`` is a regular file with at least _LARGE_FILE bytes left (a pipe: unknown, no)."""
    try:
        st = os.fstat(stream.fileno())
        import stat

        return stat.S_ISREG(st.st_mode) and st.st_size - os.lseek(stream.fileno(), 0, os.SEEK_CUR) >= _LARGE_FILE
    except (OSError, AttributeError, ValueError, io.UnsupportedOperation):
        return False


def _is_regular(stream) -> bool:
    import stat

    return stat.S_ISREG(os.fstat(stream.fileno()).st_mode)


def _text_start(spec: InputSpec, stream, where: str, head: bytes, size: int | None = None,
                streaming: bool = False):
    """Read until the layout is known; return (layout, blocks, first line of blocks).

    ``streaming`` (--rows, whose results go out as the lines come): a
    first line of numbers is decided on at once, without waiting on a slow
    pipe for the rows that could show it to be a header of integers.
    """
    blocks = _blocks(stream, head, size)
    if spec.progress is not None:
        blocks = _metered(blocks, stream, spec.progress)
    sample: list[tuple[int, str]] = []
    consumed: list[bytes] = []
    line = 1
    try:
        for block in blocks:
            if line == 1 and block.startswith(b"\xef\xbb\xbf"):
                block = block[3:]
            _refuse_nul(block, line, where)
            consumed.append(block)
            if len(sample) < 50:
                cut = block.rfind(b"\n", 0, 1 << 16) + 1  # a sample is enough: the first 64 KiB of lines
                for i, text in enumerate(_lines(block[:cut] or block, line)):
                    if not _is_skipped(text):
                        sample.append((line + i, text.split("#", 1)[0] if "#" in text else text))
                        if len(sample) >= 50:
                            break
            line += count_lines(block)
            # Enough to tell the header and the delimiter: do not wait on a slow pipe for more
            # when a first line of numbers can only be data; a line of integers may be a header
            # (2019,2020), which the rows below tell (unless the results stream).
            if len(sample) >= 2 or (sample and spec.header is not True and _numeric_line(sample[0][1])
                                    and (spec.header is False or streaming or not _integer_line(sample[0][1]))):
                break
    except LongLine as exc:
        raise _long_line_error(where, exc.at(line).line) from None
    layout = _layout(spec, sample, where)
    data = b"".join(consumed)
    skip = 0
    if layout.has_header:  # drop everything up to and including the header line
        header_line = sample[0][0]
        pos = 0
        for _ in range(header_line):
            pos = data.index(b"\n", pos) + 1
        data, skip = data[pos:], header_line
    return layout, _chain_blocks(data, blocks), 1 + skip


def _chain_blocks(first: bytes, rest: Iterator[bytes]) -> Iterator[bytes]:
    if first:
        yield first
    yield from rest


def read_columns(spec: InputSpec) -> Columns:
    """The selected columns of the input as chunked vectors (see :class:`Columns`)."""
    return _prepare(spec).columns(spec)


def read_vector(spec: InputSpec, target: str | None = None) -> tuple[np.ndarray, np.ndarray | None]:
    """One whole vector x, and t for ``--target`` (numbers, or a column of the file).

    ``target`` is read as numbers when it parses as numbers; otherwise, for
    a file or stdin, it names the column holding t, and x is the one other
    selected column.
    """
    t = None
    column_target = None
    if target is not None:
        # Numbers, or the name of a column: decided by the text alone, not by
        # the --nan policy (under omit a column name would read as no numbers).
        try:
            t = parse_tokens([target], "error", "--target")
        except InputError:
            if spec.values or numeric_words(target):
                t = parse_tokens([target], spec.nan, "--target")
            else:
                column_target = target
    if column_target is not None and spec.columns and column_target not in spec.columns:
        spec = replace(spec, columns=(*spec.columns, column_target))
    cols = read_columns(spec)
    parts = list(cols.chunks())
    data = {name: np.concatenate([p[j] for p in parts]) for j, name in enumerate(cols.names)}
    if column_target is not None:
        if column_target not in data:
            available = ", ".join(repr(n) for n in cols.names)
            raise UsageError(f"--target {column_target!r} is neither numbers nor a column; the columns are {available}")
        t = data.pop(column_target)
    if len(data) != 1:
        names = ", ".join(repr(n) for n in data)
        raise UsageError(f"one vector is needed; the input has {len(data)} columns ({names}): "
                         "select one with --column, or use --rows or --matrix")
    x = next(iter(data.values()))
    if t is not None and t.size != x.size:
        raise InputError(f"--target has {t.size} value(s) but x has {x.size}")
    return x, t


def numeric_words(text: str) -> bool:
    """Whether every comma- or space-separated word of ``text`` reads as a number (nan and inf too)."""
    words = [w for w in _TOKEN_SPLIT.split(text.strip().strip(",").strip()) if w]
    return bool(words) and all(_looks_numeric(w) for w in words)


def read_grouped(spec: InputSpec):
    """``--by``: the value columns grouped by the key column(s) (see :class:`normcli.sources.grouped.Grouped`)."""
    return _prepare(spec).grouped(spec)


def read_rows(spec: InputSpec) -> Iterator[RowBlock]:
    """--rows: each row (each argument, for argv values) is a vector of its own."""
    return _prepare(spec).rows(spec)


def read_matrix(spec: InputSpec) -> tuple[list[str], np.ndarray]:
    """All selected columns as one 2-D array (``--matrix``).

    With ``--nan omit`` a row holding a missing or non-finite value is left
    out whole, so the matrix keeps its shape.
    """
    if spec.values:
        raise UsageError("--matrix reads a matrix from a file or stdin (each column a matrix column)")
    names, arr, _ = read_table(spec)
    return names, arr


def read_table(spec: InputSpec) -> tuple[list[str], np.ndarray, int]:
    """The selected columns of a file or stdin as one (n, k) array, rows kept together.

    Returns the column names, the array and how many rows ``--nan omit``
    left out (a row with a missing or non-finite value in any selected
    column goes whole, so the columns stay paired).
    """
    cell_spec = replace(spec, nan="propagate") if spec.nan == "omit" else spec
    cols = _prepare(cell_spec).table(cell_spec)
    parts = [np.column_stack(c) for c in cols.chunks()]
    arr = np.concatenate(parts)
    if spec.nan != "omit":
        return cols.names, arr, 0
    arr, omitted = drop_incomplete_rows(arr)
    return cols.names, arr, omitted


def drop_incomplete_rows(table: np.ndarray) -> tuple[np.ndarray, int]:
    """--nan omit for paired columns: the rows holding a missing or non-finite value go whole.

    Returns the rows kept and how many went; nothing left is an error.
    """
    keep = np.isfinite(table).all(axis=1)
    omitted = int(table.shape[0] - np.count_nonzero(keep))
    table = table[keep]
    if table.size == 0:
        raise InputError("no rows are left after --nan omit")
    return table, omitted


def _npy_selection(arr: np.ndarray, spec: InputSpec, where: str) -> tuple[list[str], Iterator[np.ndarray]]:
    """The names ("1", "2", ...) and the checked chunks of the columns of a 2-D .npy array --column selects."""
    names = tuple(str(j + 1) for j in range(arr.shape[1]))
    use = _select(spec.columns, names, False)
    return [names[j] for j in use], _checked_npy(arr[:, list(use)], spec.nan, where, use)


def _checked_npy(arr: np.ndarray, nan: str, source: str = "", columns: Sequence[int] | None = None
                 ) -> Iterator[np.ndarray]:
    """``arr`` in chunks, once no value breaks the --nan policy.

    An error names the ``source`` and, 1-based as for text, the value
    (1-D) or the row and the column of the file (``columns``: the file's
    column of each column of ``arr``).
    """
    if nan == "error" and not np.isfinite(arr).all():
        bad = np.argwhere(~np.isfinite(arr))[0]
        if arr.ndim == 1:
            at = f"value {bad[0] + 1}"
        else:
            at = f"row {bad[0] + 1}, column {(columns[bad[1]] if columns is not None else bad[1]) + 1}"
        raise InputError(f"{source + ', ' if source else ''}{at}: {float(arr[tuple(bad)])!r} is not a finite number",
                         NAN_ADVICE)
    step = 1 << 20
    for start in range(0, max(len(arr), 1), step):
        yield arr[start : start + step]


def _closing(items: Iterator, stream, where: str = "the input") -> Iterator:
    """``items``, then ``stream`` closed; a line too long for text, found while reading, named as an error."""
    try:
        yield from items
    except LongLine as exc:
        raise _long_line_error(where, exc.line or 1) from None
    finally:
        if stream is not None:
            stream.close()
