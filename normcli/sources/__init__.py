"""Where tables come from, one module per kind of source, behind one small interface.

A source is opened from a path or stdin and chosen by its content (magic
bytes) before its name (:mod:`.detect`): :mod:`.text` reads CSV, TSV and
whitespace-separated text (its layout and parsers in :mod:`.textparse`, its
blocks of whole lines in :mod:`.blocks`); :mod:`.npy` reads ``.npy`` arrays;
:mod:`.argv` the values on the command line; :mod:`.columnar` reads Parquet
and Arrow IPC (Feather) with pyarrow; :mod:`.compressed` undoes gzip, bzip2,
xz and zstandard as a stream, so what is inside is chosen again by its
content; :mod:`.many` reads several files as one table; :mod:`.grouped` adds
the codes of the ``--by`` keys. Each gives the same thing:

``columns(spec) -> Columns``
    the selected columns as float64 blocks, in bounded memory, with the
    ``--nan error`` policy applied and every error naming the place;
``rows(spec) -> Iterator[np.ndarray]``
    the rows, for ``--rows``;
``header``
    every column name the source has (known once ``columns`` was called);
``length``
    the number of rows when the source knows it without reading (else None).
"""

from __future__ import annotations

#: The first bytes of each kind of input normcli tells by content.
NPY = b"\x93NUMPY"
GZIP = b"\x1f\x8b"
XZ = b"\xfd7zXZ\x00"
ZSTD = b"\x28\xb5\x2f\xfd"
PARQUET = b"PAR1"
ARROW = b"ARROW1\x00\x00"


def is_bzip2(head: bytes) -> bool:
    """bzip2: 'BZh', a level digit, then the magic of a block or of the end of the stream."""
    return head[:3] == b"BZh" and head[3:4].isdigit() and head[4:10] in (b"1AY&SY", b"\x17rE8P\x90")


def compression_kind(head: bytes) -> str | None:
    """The compression a stream starting with ``head`` uses (gzip, bzip2, xz, zstd), or None."""
    if head.startswith(GZIP):
        return "gzip"
    if is_bzip2(head):
        return "bzip2"
    if head.startswith(XZ):
        return "xz"
    if head.startswith(ZSTD):
        return "zstd"
    return None


def columnar_kind(head: bytes) -> str | None:
    """``parquet`` or ``arrow`` when ``head`` starts such a file, else None (text may start with PAR1,)."""
    if head.startswith(PARQUET) and len(head) > 4 and not (head[4] in (9, 10, 13) or 32 <= head[4] < 127):
        return "parquet"
    if head.startswith(ARROW):
        return "arrow"
    return None
