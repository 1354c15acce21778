"""Compressed input undone as a stream: gzip, bzip2 and xz by the standard library, zstd by zstandard.

The decompressed stream has no file descriptor, so the text reader treats
it as it treats a pipe (blocks parsed ahead by the workers), and what it
holds is chosen again by its first bytes (text or ``.npy``).
"""

from __future__ import annotations

import io

from ..errors import InputError

#: The command that undoes each compression, for messages.
TOOLS = {"gzip": "gzip -dc", "bzip2": "bzip2 -dc", "xz": "xz -dc", "zstd": "zstd -dc"}


class _Prefixed(io.RawIOBase):
    """``head`` (the bytes already read to tell the format), then the rest of ``stream``."""

    def __init__(self, head: bytes, stream) -> None:
        self._head, self._stream = head, stream
        self._read = getattr(stream, "read1", stream.read)

    def readable(self) -> bool:
        return True

    def readinto(self, view) -> int:
        if self._head:
            n = min(len(view), len(self._head))
            view[:n], self._head = self._head[:n], self._head[n:]
            return n
        data = self._read(len(view))
        view[: len(data)] = data
        return len(data)


class _Decompressed(io.RawIOBase):
    """A decompressing reader without ``fileno``: read like an in-memory stream, never polled."""

    def __init__(self, reader, kind: str, where: str, source=None, errors: tuple = ()) -> None:
        self._reader, self.kind, self.where, self._source = reader, kind, where, source
        self._errors = (OSError, EOFError, ValueError, *errors)

    def readable(self) -> bool:
        return True

    def readinto(self, view) -> int:
        try:
            return self._reader.readinto(view)
        except self._errors as exc:  # gzip.BadGzipFile, lzma.LZMAError, zstandard.ZstdError, a cut stream
            reason = exc or type(exc).__name__
            raise InputError(f"{self.where} is not a readable {self.kind} stream ({reason})") from None

    def close(self) -> None:
        try:
            self._reader.close()
            if self._source is not None:
                self._source.close()
        finally:
            super().close()


def open_stream(kind: str, stream, where: str, head: bytes = b"", owns: bool = False):
    """A buffered binary stream of what ``stream`` (compressed with ``kind``, its first bytes ``head``
    already read) holds; closing it closes ``stream`` too when it ``owns`` it."""
    raw = _Prefixed(head, stream)
    errors: tuple = ()
    if kind == "gzip":
        import gzip

        reader = gzip.GzipFile(fileobj=raw, mode="rb")
    elif kind == "bzip2":
        import bz2

        reader = bz2.BZ2File(raw, mode="rb")
    elif kind == "xz":
        import lzma

        reader, errors = lzma.LZMAFile(raw, mode="rb"), (lzma.LZMAError,)
    elif kind == "zstd":
        try:
            import zstandard
        except ImportError:
            raise InputError(f"{where} is zstd-compressed: reading it needs the zstandard package "
                             "(pip install 'normcli[zstd]'), or decompress it first (zstd -dc FILE | normcli ...)"
                             ) from None
        reader = zstandard.ZstdDecompressor().stream_reader(raw, read_across_frames=True, closefd=False)
        errors = (zstandard.ZstdError,)
    else:  # the caller detected it
        raise ValueError(f"unknown compression {kind!r}")
    decompressed = _Decompressed(reader, kind, where, stream if owns else None, errors)
    return io.BufferedReader(decompressed, buffer_size=1 << 20)
