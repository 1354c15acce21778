"""Opening one input and telling what it is by its first bytes (its magic), never by its name.

Text, ``.npy``, Parquet and Arrow are opened as their sources (a compressed stream is undone
first and what is inside told again); a spreadsheet, an archive or another binary file is
refused with what it is and what to do with it.
"""

from __future__ import annotations

import io
import os
import stat
import sys

from .. import env
from ..errors import InputError, UsageError
from ..spec import InputSpec
from . import remote
from .argv import ArgvSource
from .blocks import _file_offset
from .npy import NpySource, _load_npy
from .text import TextSource
from .textparse import _READS, _refuse_nul

_NPY_MAGIC = b"\x93NUMPY"


def _example(command: str) -> str:
    return f"normcli {command} 1,2,3   or   normcli {command} -f errors.csv   or   cat errors.csv | normcli {command}"


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
    if remote.is_url(spec.file):
        return remote.open_url(spec.file), repr(spec.file), True
    try:
        stream = open(spec.file, "rb")  # noqa: SIM115 - handed to the caller, which closes it
    except OSError as exc:
        raise remote.unreadable(spec.file, exc) from None
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


def _open_one(spec: InputSpec):
    """The source of one file (or of the values, or stdin), told by its first bytes."""
    from .. import sources

    src = _source(spec)
    if src is None:
        return ArgvSource()
    stream, where, close = src
    try:
        head = _read_magic(stream)
        packed = sources.compression_kind(head)
        if packed is not None:
            from .compressed import open_stream

            stream, close = open_stream(packed, stream, where, head, owns=close), True
            head = _read_magic(stream)
        if head.startswith(_NPY_MAGIC):
            data = head + stream.read()
            if close:
                stream.close()
            return NpySource(_load_npy(data, where), where)
        kind = sources.columnar_kind(head)
        if kind is not None:
            from .columnar import ColumnarSource

            path = spec.file if packed is None and spec.file not in (None, "-") else None
            if path is not None and remote.is_url(path):  # read by range requests, never whole
                return ColumnarSource(kind, None, where, stream, head)
            return ColumnarSource(kind, stream if close or path is None else None, where, path, head)
        _refuse_binary(spec, head, stream, where)
    except BaseException:
        if close:
            stream.close()
        raise
    return TextSource(stream, where, close, head)


# --------------------------------------------------------------------------
# Telling the kind of a file by its first bytes
# --------------------------------------------------------------------------
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
