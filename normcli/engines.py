"""The parse engines: blocks of text parsed inline, by worker processes, or by polars on threads.

:class:`Engine` says which (``reader``, ``workers``) and :meth:`Engine.map`
applies a per-block parse function to blocks of whole lines, results in
order: blocks are parsed inline until the input has shown itself large;
then a small pool of worker processes parses ahead while the caller reduces
(numpy's parser holds the GIL, so threads would not help), or, for a
delimited input with polars installed, polars parses two blocks at a time
on threads (polars releases the GIL), with the caller's function as the
judge of every block polars is not sure of. Every engine gives the same
numbers and the same errors with the same line numbers.

The engine knows nothing of text formats: the parse function and the
layout it is given come from :mod:`normcli.sources.textparse`. Of the layout the
engine reads ``ncols``, ``delimiter`` (None: runs of whitespace) and
``usecols`` (0-based selected columns), to tell whether polars can split
the lines and which columns it converts. Everything a worker process runs
is picklable: the function and the layout travel by reference and value.

NORMCLI_READER and NORMCLI_WORKERS are interpreted in one place,
:meth:`Engine.from_environment`. The few byte helpers below
(:func:`count_lines`, :func:`count_byte`, :func:`has_any`,
:func:`columns_to_read`, :class:`LongLine`) are shared with the text
format's own fast paths, which must check blocks exactly as polars' does.
"""

from __future__ import annotations

import collections
import itertools
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from .errors import UsageError

if TYPE_CHECKING:
    from .env import Environment

#: The text parsers for delimited input, chosen with NORMCLI_READER (default auto: polars for
#: large inputs when it is installed, the ``fast`` extra; numpy otherwise).
READERS = ("auto", "numpy", "polars")

#: Full blocks parsed in this process before worker processes take over, or polars (whose import,
#: about 0.3 s, pays for itself within two blocks of a wide file).
INLINE_BLOCKS = 4
INLINE_BLOCKS_POLARS = 2
#: Blocks of one number per line parsed by pyarrow before polars, when installed, takes over: pyarrow
#: imports in 0.03 s, polars in 0.13 s but parses a block faster (measured: the switch pays from about
#: 16 blocks, 48 MiB, on).
ARROW_BLOCKS = 16


# --------------------------------------------------------------------------
# What the engines and the text format share
# --------------------------------------------------------------------------
class LongLine(Exception):
    """A line longer than the reader allows: ``before`` newlines into the block being gathered.

    The reader does not count lines (that costs time on every block); whoever does, and knows the
    first line of that block (the engine), sets ``line`` and the input's name makes it an InputError.
    """

    def __init__(self, before: int):
        super().__init__(before)
        self.before = before
        self.line: int | None = None

    def at(self, line: int) -> LongLine:
        if self.line is None:
            self.line = line + self.before
        return self


#: Bytes numpy scans at a time in the byte counts below: small temporary masks, warm in the cache.
_SLICE = 1 << 18


def count_lines(block: bytes) -> int:
    """The newlines in a block."""
    return count_byte(block, "\n")


def count_byte(block: bytes, char: str) -> int:
    """How often the one-byte ``char`` occurs in ``block``.

    numpy counts a big block about 4x faster than ``bytes.count`` (1 ms
    against 4 ms per 4 MiB), a slice at a time so that its temporary mask
    stays small.
    """
    if len(block) < 1 << 16:
        return block.count(char.encode())
    buf = np.frombuffer(block, dtype=np.uint8)
    code = ord(char)
    return sum(int(np.count_nonzero(buf[i : i + _SLICE] == code)) for i in range(0, buf.size, _SLICE))


def has_any(block: bytes, chars: bytes) -> bool:
    """Whether ``block`` holds any of the bytes ``chars`` (one memchr each)."""
    return any(block.find(c) >= 0 for c in (chars[i : i + 1] for i in range(len(chars))))


def columns_to_read(layout) -> tuple[list[int], list[int]]:
    """The used columns (in order, once each), and those a parser reads to check field counts.

    Both readers check a selection the same way: the last column is read
    too (as text), so a line with too few fields fails or shows a null, and
    then the block's delimiter total, ncols - 1 per line, rules out a line
    with too many.
    """
    used = sorted(set(layout.usecols))
    last = layout.ncols - 1
    return used, (used if last in used else [*used, last])


# --------------------------------------------------------------------------
# The engine
# --------------------------------------------------------------------------
@dataclass(frozen=True)
class Engine:
    """How blocks are parsed: which reader, how many processes or threads.

    ``reader``: ``auto`` (polars for large delimited inputs when it is
    installed, numpy's parsers otherwise), ``numpy`` (never polars) or
    ``polars`` (polars from the first block; an error when it is not
    installed). ``workers``: the parse processes of the numpy path, or
    polars' threads; 1 (or 0) parses inline, in this process.
    ``inline_blocks`` and ``inline_blocks_polars``: the full blocks in a row
    parsed inline before the worker processes, or polars (auto), take over.

    ``counts`` tells how many blocks each path has parsed since the engine
    was made: ``inline``, ``processes`` (worker processes), ``polars``
    (polars read the block) and ``polars-to-numpy`` (a block on polars'
    threads that polars was not sure of, parsed by the caller's function).
    """

    reader: str = "auto"
    workers: int = 2
    inline_blocks: int = INLINE_BLOCKS
    inline_blocks_polars: int = INLINE_BLOCKS_POLARS
    counts: collections.Counter = field(default_factory=collections.Counter, init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.reader not in READERS:
            raise ValueError(f"reader must be one of {', '.join(READERS)}, not {self.reader!r}")
        if self.workers < 0 or self.inline_blocks < 0 or self.inline_blocks_polars < 0:
            raise ValueError("workers, inline_blocks and inline_blocks_polars cannot be negative")

    @classmethod
    def from_environment(cls, environment: Environment) -> Engine:
        """The engine NORMCLI_READER and NORMCLI_WORKERS ask for (``environment.reader``, ``.workers``).

        An unknown reader is a UsageError; NORMCLI_WORKERS that is not a
        number leaves the default, two workers (one on a single core).
        """
        mode = environment.reader
        if mode not in READERS:
            raise UsageError(f"NORMCLI_READER must be one of {', '.join(READERS)}, not {mode!r}")
        override = environment.workers
        workers = int(override) if override and override.isdigit() else min(2, os.cpu_count() or 1)
        return cls(mode, workers)

    def map(self, func: Callable, layout, blocks: Iterator[bytes], first_line: int, *, size: int,
            large: bool = False, groups: bool = False) -> Iterator:
        """Apply ``func(layout, block, line)`` to each block, in order; ``line`` is the block's first line.

        Blocks are parsed inline, each result handed on at once, until the
        input has shown itself large (``inline_blocks`` full blocks in a
        row: a big file or a fast pipe). Then, for a delimited input with
        polars installed, polars parses the blocks (two at a time, on
        threads, while this thread reads ahead and the caller reduces), and
        otherwise a pool of worker processes parses ahead while the caller
        reduces. ``size`` is the block size the blocks were cut to; a block
        under half of it means a slow source. Small inputs never pay for
        either, and a pipe fed slowly (small blocks) keeps streaming without
        delay. ``large`` (a regular file known to be big) skips the wait:
        polars, when installed, starts at the first block (the worker
        processes too, without it). ``reader="polars"`` uses polars from
        the first block (the tests run the input suite that way), ``numpy``
        never. ``groups``: ``func`` returns a list of arrays (groups of rows
        of one length, as for --rows), and a block polars reads is handed
        on as a list of its one array.

        A :class:`LongLine` raised by ``blocks`` comes out with its line set.
        """
        line = first_line
        pending = iter(blocks)
        mode, workers = self.reader, self.workers
        # polars splits on one byte; a one-column file has no delimiter at all.
        polars_ok = layout.ncols == 1 or (layout.delimiter is not None and len(layout.delimiter.encode()) == 1)
        # One number per line: pyarrow's parser inline (its import is a tenth of polars').
        arrow = mode == "auto" and layout.ncols == 1 and _arrow_installed()
        if not arrow and polars_ok and (mode == "polars" or (mode == "auto" and large and _polars_installed())):
            pl = _import_polars(mode)
            yield from _parse_ahead(lambda block, at, lines: _polars_block(pl, func, layout, block, at, lines, groups),
                                    pending, line, size, max(1, workers), self.counts)
            return
        if large and workers >= 2 and not arrow:
            yield from _process_pool(func, layout, pending, line, workers, size, self.counts)
            return
        full = 0
        try:
            for block in pending:
                if arrow and (large or len(block) >= size // 2):  # a small input never pays for the import
                    pending = itertools.chain([block], pending)
                    break
                result = func(layout, block, line)
                self.counts["inline"] += 1
                yield result
                line += count_lines(block)
                full = full + 1 if len(block) >= size // 2 else 0
                if (full >= self.inline_blocks and workers >= 2) or (
                        full >= self.inline_blocks_polars and mode == "auto" and polars_ok and _polars_installed()):
                    break
            else:
                return
        except LongLine as exc:
            raise exc.at(line) from None
        if arrow:  # pyarrow parses on its own threads; one more reads ahead of it
            am = _import_arrow()
            end = [line]
            pending = iter(pending)
            yield from _parse_ahead(lambda block, at, lines: _arrow_block(am, func, layout, block, at, groups),
                                    itertools.islice(pending, ARROW_BLOCKS), line, size, 1, self.counts, "arrow",
                                    end)
            ahead = next(pending, None)
            if ahead is None:
                return
            pending = itertools.chain([ahead], pending)
            pl = _import_polars(mode) if _polars_installed() else None
            if pl is None:
                yield from _parse_ahead(lambda block, at, lines: _arrow_block(am, func, layout, block, at, groups),
                                        pending, end[0], size, 1, self.counts, "arrow")
            else:  # a long input: polars' import has paid for itself
                yield from _parse_ahead(
                    lambda block, at, lines: _polars_block(pl, func, layout, block, at, lines, groups),
                    pending, end[0], size, max(1, workers), self.counts)
            return
        pl = _import_polars(mode) if mode == "auto" and polars_ok else None
        if pl is not None:
            yield from _parse_ahead(lambda block, at, lines: _polars_block(pl, func, layout, block, at, lines, groups),
                                    pending, line, size, max(1, workers), self.counts)
            return
        yield from _process_pool(func, layout, pending, line, workers, size, self.counts)


# --------------------------------------------------------------------------
# polars, on threads
# --------------------------------------------------------------------------
def _polars_installed() -> bool:
    import importlib.util

    return importlib.util.find_spec("polars") is not None


def _import_polars(mode: str):
    """polars, or None when it is not installed (an error if NORMCLI_READER=polars asked for it)."""
    try:
        import polars
    except ImportError:
        if mode == "polars":
            raise UsageError("NORMCLI_READER=polars, but polars is not installed: "
                             "pip install 'normcli[fast]'") from None
        return None
    return polars


def _parse_ahead(parse, blocks: Iterator[bytes], line: int, size: int, workers: int,
                 counts: collections.Counter, name: str = "polars", end: list | None = None) -> Iterator:
    """``parse(block, line, lines)`` for each block on ``workers`` threads; the results in order.

    ``parse`` returns (result, whether polars (or the library ``name``) read the block), counted in
    ``counts``. This thread reads each block, counts its lines (so that
    every block knows its first line number) and hands the block to the
    pool; the caller reduces the results as they come. Reading, numpy's
    counting and polars release the GIL, so reading, parsing two blocks and
    reducing overlap on two cores. At most ``workers + 1`` blocks are in
    flight; a source that slows down (a short block) has its results handed
    on at once, so a slow pipe streams.
    """
    import concurrent.futures as cf

    def taken():
        result, by_polars = queue.popleft().result()
        counts[name if by_polars else f"{name}-to-numpy"] += 1
        return result

    with cf.ThreadPoolExecutor(workers, thread_name_prefix="normcli-parse") as pool:
        queue: collections.deque = collections.deque()
        try:
            for block in blocks:
                lines = count_lines(block)
                queue.append(pool.submit(parse, block, line, lines))
                line += lines
                while queue and (len(queue) > workers or queue[0].done() or len(block) < size // 2):
                    yield taken()
            while queue:
                yield taken()
            if end is not None:
                end[0] = line  # the line after the last block
        except LongLine as exc:
            while queue:  # the lines before it come first: an error in them is the first error
                yield taken()
            raise exc.at(line) from None
        finally:
            for fut in queue:
                fut.cancel()


def _polars_block(pl, func, layout, block: bytes, first_line: int, newlines: int | None = None,
                  groups: bool = False) -> tuple[object, bool]:
    """One block of a delimited input parsed by polars, or by ``func`` whenever polars is not sure.

    polars reads plain blocks (no quotes, comments or CRs) of numbers into
    float64 with correct rounding, as numpy does. Anything else (a field
    polars refuses, a missing or non-finite value, a ragged row) goes to
    the numpy path ``func``, which applies the --nan policy and names the
    line, column and text of an error: both readers give the same numbers
    and the same errors.

    Only the used columns are converted, and the last column is read as
    text: polars checks a line's field count only when it reads every
    column, so the counts are checked here (:func:`columns_to_read`). A
    line with too few fields has no last field (a null). The delimiter
    total is a numpy pass over the bytes, cheaper than converting unused
    columns. ``newlines``: the block's, when already counted.

    Returns (result, whether polars read the block): the result is what
    ``func`` returns (with ``groups``, polars' array as a list of one).
    """
    if newlines is None:
        newlines = count_lines(block)
    separator = layout.delimiter or ","  # one column: any byte the block does not hold
    if has_any(block, b'"#\r\x00') or (layout.delimiter is None and (b"," in block or layout.ncols != 1)):
        return func(layout, block, first_line), False
    rows = newlines + (0 if block.endswith(b"\n") or not block else 1)
    last = layout.ncols - 1
    if last and count_byte(block, separator) != rows * last:
        return func(layout, block, first_line), False
    used, cols = columns_to_read(layout)
    try:
        frame = pl.read_csv(
            block, has_header=False, separator=separator, quote_char=None, raise_if_empty=False,
            schema={f"c{j}": pl.Float64 if j in used else pl.String for j in range(layout.ncols)},
            columns=cols,
        )
    except (pl.exceptions.PolarsError, ValueError):  # any refusal: the exact path decides and explains
        return func(layout, block, first_line), False
    # A blank line is a row of nulls; a row per line is checked all the same, so that a
    # polars that skipped blank lines could not shift the line numbers of later errors.
    if frame.height != rows or (frame.height and sum(frame.null_count().row(0))):
        return func(layout, block, first_line), False
    if len(cols) > len(used):  # the last column was read only for the check
        frame = frame.select([f"c{j}" for j in used])
    # C order, as numpy's parsers give: reductions along a row then sum in the same order.
    arr = np.ascontiguousarray(frame.to_numpy(), dtype=np.float64).reshape(frame.height, len(used))
    if tuple(used) != layout.usecols:
        arr = arr[:, [used.index(j) for j in layout.usecols]]
    if not np.isfinite(arr).all():
        return func(layout, block, first_line), False
    return ([arr] if groups else arr), True


def _arrow_installed() -> bool:
    import importlib.util

    return importlib.util.find_spec("pyarrow") is not None


def _import_arrow():
    import pyarrow as pa
    import pyarrow.csv as pc

    return pa, pc


def _arrow_block(arrow, func, layout, block: bytes, first_line: int, groups: bool = False) -> tuple[object, bool]:
    """A block of one number per line parsed by pyarrow's CSV reader, or by ``func`` whenever it is not sure.

    pyarrow converts decimal text to float64 with correct rounding, as numpy does. Only plain blocks
    (no spaces, tabs, CRs, quotes, comments, commas, NULs or blank lines) go to it; a field it refuses, a
    null (it reads "NA", "null" and the like as missing) or a non-finite value sends the block to the
    exact path, which applies --nan and names the line of an error: the same numbers and errors as the
    other readers. Returns (result, whether pyarrow read the block).
    """
    pa, pc = arrow
    if (not block or has_any(block, b' \t\r"#,\x00') or b"\n\n" in block or block.startswith(b"\n")):
        return func(layout, block, first_line), False
    rows = count_lines(block) + (0 if block.endswith(b"\n") else 1)
    try:
        table = pc.read_csv(pa.py_buffer(block), read_options=pc.ReadOptions(column_names=["x"]),
                            parse_options=pc.ParseOptions(quote_char=False),
                            convert_options=pc.ConvertOptions(column_types={"x": pa.float64()}))
    except (pa.ArrowException, ValueError):
        return func(layout, block, first_line), False
    column = table.column(0)
    if table.num_rows != rows or column.null_count:
        return func(layout, block, first_line), False
    x = column.to_numpy()
    if not np.isfinite(x).all():
        return func(layout, block, first_line), False
    arr = np.repeat(x[:, None], len(layout.usecols), axis=1) if len(layout.usecols) != 1 else x[:, None]
    return ([arr] if groups else np.ascontiguousarray(arr)), True


# --------------------------------------------------------------------------
# Worker processes
# --------------------------------------------------------------------------
def _process_pool(func, layout, pending: Iterator[bytes], line: int, workers: int, size: int,
                  counts: collections.Counter) -> Iterator:
    """``func(layout, block, line)`` for each block in worker processes; the results in order.

    With fork, the blocks travel through a ring of shared memory slots (an
    anonymous shared mapping the workers inherit): the main process copies a
    block into a free slot and sends only its place, instead of pickling
    3 MiB through a pipe (3 ms of the main process's time per block, about
    10% of the whole run on two cores). A block too big for a slot, or any
    block without fork, is sent as bytes. Each block is counted in
    ``counts`` (``processes``) as its result is handed on.
    """
    import concurrent.futures as cf
    import mmap
    import multiprocessing as mp

    fork = "fork" in mp.get_all_start_methods()
    depth = 2 * workers  # results waiting at most: depth + 1 blocks in flight
    slot = 2 * size
    ring = mmap.mmap(-1, (depth + 2) * slot) if fork else None
    free = list(range(depth + 2)) if fork else []
    ctx = mp.get_context("fork") if fork else None
    try:
        with cf.ProcessPoolExecutor(workers, mp_context=ctx, initializer=_init_worker, initargs=(ring,)) as pool:
            queue: collections.deque = collections.deque()
            try:
                for block in pending:
                    if free and len(block) <= slot:
                        k = free.pop()
                        ring[k * slot : k * slot + len(block)] = block
                        queue.append((pool.submit(_parse_slot, func, layout, k * slot, len(block), line), k))
                    else:
                        queue.append((pool.submit(func, layout, block, line), None))
                    line += count_lines(block)
                    # Hand on what is done; wait only when far enough ahead, or
                    # when the source slowed down (the next read may block).
                    while queue and (queue[0][0].done() or len(queue) > depth or len(block) < size // 2):
                        yield _taken(queue, free, counts)
                while queue:
                    yield _taken(queue, free, counts)
            except LongLine as exc:
                while queue:  # the lines before it come first: an error in them is the first error
                    yield _taken(queue, free, counts)
                raise exc.at(line) from None
            finally:
                for fut, _ in queue:
                    fut.cancel()
    finally:
        if ring is not None:
            ring.close()


def _taken(queue: collections.deque, free: list[int], counts: collections.Counter):
    """The result of the oldest block in ``queue``; its slot is free again."""
    fut, k = queue.popleft()
    try:
        result = fut.result()
    finally:
        if k is not None:
            free.append(k)
    counts["processes"] += 1
    return result


_WORKER_RING = None  # in a worker process: the parent's ring of block slots


def _ignore_sigint() -> None:
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _init_worker(ring) -> None:
    global _WORKER_RING
    _WORKER_RING = ring
    _ignore_sigint()


def _parse_slot(func, layout, start: int, length: int, line: int):
    """In a worker: ``func`` on the block the parent put at ``start`` of the shared ring."""
    return func(layout, _WORKER_RING[start : start + length], line)
