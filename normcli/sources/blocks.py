"""Text read in blocks of whole lines, in bounded memory, without waiting on a slow pipe.

A regular file is read a whole-line block at a time with ``pread``; a pipe (or any other stream)
into one buffer cut at its last newline, handed on early when the writer pauses, so ``--rows``
results stream. A stretch longer than :data:`MAX_LINE` without a newline is not text: it raises
:class:`~normcli.engines.LongLine`, which the text source names as an error.
"""

from __future__ import annotations

import io
import os
import stat
import time
from collections.abc import Iterator

from ..engines import LongLine
from ..errors import InputError

#: Bytes read from a text input at a time (then cut back to a whole line).
BLOCK_SIZE = 3 << 20

#: The longest line a text input may have. A longer stretch without a newline is not text (a device
#: such as /dev/zero, a FIFO that never sends one, a binary file): an error, not a buffer without end.
MAX_LINE = 64 << 20


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


def _is_regular(stream) -> bool:
    import stat

    return stat.S_ISREG(os.fstat(stream.fileno()).st_mode)


def _chain_blocks(first: bytes, rest: Iterator[bytes]) -> Iterator[bytes]:
    if first:
        yield first
    yield from rest
