"""Everything a user can hand normcli, turned into float64 arrays with names: the entry points.

Sources: argv tokens (``1,2,3``, ``"1 2 3"``, several arguments), CSV, TSV,
semicolon- or whitespace-separated text (a path, ``-`` for stdin, or a piped
stdin), ``.npy``, Parquet and Arrow files, compressed or not, one file or
several. Text is read in blocks of whole lines, so a column is reduced chunk
by chunk in bounded memory and ``--rows`` results stream. Errors name the
line, the column and the offending text.

The sources are modules of :mod:`normcli.sources`, each behind the same small
interface (``columns``, ``rows``, ``table``, ``vector``, ``grouped``):
:mod:`~normcli.sources.text` (its layout and parsers in
:mod:`~normcli.sources.textparse`, its blocks in :mod:`~normcli.sources.blocks`),
:mod:`~normcli.sources.npy`, :mod:`~normcli.sources.argv`, columnar, compressed
and many; :mod:`~normcli.sources.detect` opens one input and tells its kind by
its first bytes. This module is what the rest of normcli calls: it opens the
input of an :class:`InputSpec` as a source and asks it for what the command
reads.
"""

from __future__ import annotations

import io
import os
import re
import sys
from collections.abc import Iterator
from dataclasses import replace

import numpy as np

from . import env
from .errors import InputError, UsageError
from .sources import remote
from .sources.argv import _TOKEN_SPLIT, parse_tokens
from .sources.blocks import BLOCK_SIZE, MAX_LINE
from .sources.cells import _looks_numeric, to_float
from .sources.detect import _open_one
from .sources.table import NAN_ADVICE, Columns, RowBlock
from .spec import InputSpec

#: The names used from here, defined here or re-exported from where they live. BLOCK_SIZE and
#: MAX_LINE are read in normcli.sources.blocks: set them there, not here.
__all__ = [
    "BLOCK_SIZE",
    "MAX_LINE",
    "NAN_ADVICE",
    "Columns",
    "InputSpec",
    "RowBlock",
    "drop_incomplete_rows",
    "numeric_words",
    "parse_tokens",
    "read_columns",
    "read_flat_vector",
    "read_grouped",
    "read_matrix",
    "read_rows",
    "read_table",
    "read_vector",
    "stdin_piped",
    "to_float",
]


# --------------------------------------------------------------------------
# Public entry points
# --------------------------------------------------------------------------
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
        if remote.is_url(pattern):
            if not (remote.can_glob(pattern) and _GLOB.search(pattern)):
                files.append(pattern)
                continue
            matches = remote.glob(pattern)
            if not matches:
                raise InputError(f"no file matches {pattern!r}")
            files.extend(matches)
            continue
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
