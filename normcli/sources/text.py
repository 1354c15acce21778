"""The text source: CSV, TSV or whitespace-separated text, read in blocks of whole lines and parsed ahead.

The first lines tell the layout (:mod:`.textparse`); the blocks (:mod:`.blocks`) are then parsed
by the input's engine (:class:`~normcli.engines.Engine`) into columns, rows (``--rows``) or, with
``--by``, values beside the codes of their keys.
"""

from __future__ import annotations

import collections
import io
import os
from collections.abc import Iterator
from dataclasses import replace

import numpy as np

from .. import env
from ..engines import Engine, LongLine, count_lines
from ..spec import InputSpec
from . import blocks as byte_blocks
from .blocks import _blocks, _chain_blocks, _is_regular, _long_line_error
from .table import Columns, RowBlock, nonempty_groups
from .table import nonempty as _nonempty
from .table import row_blocks as _row_blocks
from .textparse import (
    _integer_line,
    _is_skipped,
    _keys_fast,
    _keys_slow,
    _Layout,
    _layout,
    _lines,
    _numeric_line,
    _parse_row_block,
    _parse_table_block,
    _refuse_nul,
)

#: A regular file this big is large to the engine: polars (when installed), or the worker
#: processes, from its first block.
_LARGE_FILE = 32 << 20


class TextSource:
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
        chunks = _rows_metered(_parsed(spec, _parse_table_block, layout, blocks, first, byte_blocks.BLOCK_SIZE, large),
                               spec.progress, len)
        chunks = _closing(chunks, self.stream if self.close else None, self.where)
        return Columns(names, _nonempty(chunks, self.where), spec.nan, header=self.header)

    def rows(self, spec: InputSpec) -> Iterator[RowBlock]:
        large = _large_file(self.stream)
        # rows are printed a block at a time: smaller blocks, smaller output batches
        size = max(1, byte_blocks.BLOCK_SIZE // 3)
        layout, blocks, first = _text_start(spec, self.stream, self.where, self.head, size, streaming=True)
        self.header = list(layout.names)
        groups = _rows_metered(_parsed(spec, _parse_row_block, layout, blocks, first, size, large, groups=True),
                               spec.progress, lambda gs: sum(len(g) for g in gs))
        flat = (g for gs in groups for g in gs)
        return _row_blocks(_closing(flat, self.stream if self.close else None, self.where), spec.nan)

    table = columns

    def grouped(self, spec: InputSpec):
        from .grouped import Grouped, key_columns

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
                for arr in _parsed(spec, _parse_table_block, layout, keeping(), first, byte_blocks.BLOCK_SIZE, large):
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
        parsed = _closing(nonempty_groups(parsed, self.where), self.stream if self.close else None, self.where)
        return Grouped([layout.names[j] for j in keys], [layout.names[j] for j in values], parsed, spec.nan,
                       header=self.header)

    def vector(self, spec: InputSpec) -> np.ndarray:
        cols = self.columns(spec)
        parts = [np.column_stack(c) for c in cols.chunks()]
        return np.concatenate(parts) if parts else np.empty((0, 1))


def _parsed(spec: InputSpec, func, layout: _Layout, blocks: Iterator[bytes], first_line: int, size: int,
            large: bool, groups: bool = False) -> Iterator:
    """``func`` over the blocks, run by ``spec.engine`` (or the environment's, known when the first is due)."""
    engine = spec.engine or Engine.from_environment(env.current())
    yield from engine.map(func, layout, blocks, first_line, size=size, large=large, groups=groups)


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


def _closing(items: Iterator, stream, where: str = "the input") -> Iterator:
    """``items``, then ``stream`` closed; a line too long for text, found while reading, named as an error."""
    try:
        yield from items
    except LongLine as exc:
        raise _long_line_error(where, exc.line or 1) from None
    finally:
        if stream is not None:
            stream.close()
