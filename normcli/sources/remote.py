"""Files named by URLs (``s3://``, ``gs://``, ``az://``, ``https://``, ``file://``, ...), opened with fsspec.

A URL is read as a local file is: the same detection by first bytes, the
same parsers, the same errors naming it. fsspec gives a seekable file, so
a Parquet or Arrow file is read a row group at a time by range requests,
never downloaded whole. Each protocol needs its fsspec implementation
(``s3fs``, ``gcsfs``, ``adlfs``, ``aiohttp`` for HTTP); a missing one is a
one-line error naming it. With ``--engine dask`` the workers open the URLs
themselves, so they need the same packages and credentials.

Paths that are not URLs go to the operating system as before: nothing here
runs for them but :func:`is_url`.
"""

from __future__ import annotations

import os
import re

from ..errors import InputError

_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*://")
#: Protocols whose names are not paths: a ``?`` or ``*`` in them is part of the address, never a glob.
_NO_GLOB = ("http", "https")


def is_url(name) -> bool:
    """Whether ``name`` is a URL (``scheme://...``) rather than a path."""
    return isinstance(name, str) and _URL.match(name) is not None


def _protocol(url: str) -> str:
    return url.split("://", 1)[0].lower()


def _filesystem(url: str):
    """(fsspec filesystem, path in it) of ``url``; an InputError naming what to install when it cannot be read."""
    try:
        import fsspec.core
    except ImportError:
        raise InputError(f"{url!r} is a URL: reading it needs fsspec (pip install 'normcli[remote]')") from None
    try:
        return fsspec.core.url_to_fs(url)
    except ImportError as exc:  # fsspec names the package: "Install s3fs to access S3"
        raise InputError(f"{url!r}: the {_protocol(url)}:// protocol needs a package that is not installed "
                         f"({exc})") from None
    except ValueError as exc:
        if "protocol" in str(exc).lower():
            raise InputError(f"{url!r}: {_protocol(url)}:// is not a protocol fsspec knows") from None
        raise InputError(f"{url!r} is not a readable URL ({exc})") from None


def open_url(url: str):
    """A seekable binary file of ``url`` (the caller closes it)."""
    fs, path = _filesystem(url)
    try:
        if fs.info(path).get("type") == "directory":
            raise InputError(f"{url!r} is a directory, not a file")
        # no read-ahead cache: each read is one range request of what the reader asks for (a text block,
        # a Parquet column chunk), so a column of a wide file is fetched alone
        return fs.open(path, "rb", cache_type="none")
    except OSError as exc:
        raise unreadable(url, exc) from None


def unreadable(name: str, exc: OSError) -> InputError:
    """The one-line error for a file (path or URL) that could not be opened."""
    if isinstance(exc, FileNotFoundError):
        return InputError(f"file {name!r} does not exist")
    if isinstance(exc, IsADirectoryError):
        return InputError(f"{name!r} is a directory, not a file")
    if isinstance(exc, PermissionError):
        return InputError(f"file {name!r} cannot be read: permission denied")
    return InputError(f"file {name!r} cannot be read: {exc.strerror or exc}")


def open_binary(name: str):
    """``name`` opened for reading bytes: a URL with fsspec, a path with the operating system."""
    if is_url(name):
        return open_url(name)
    return open(name, "rb")  # noqa: SIM115 - handed to the caller, which closes it


def exists(name: str) -> bool:
    """Whether the file ``name`` exists (a URL is asked of its filesystem; unreadable counts as absent)."""
    if not is_url(name):
        return os.path.exists(name)
    fs, path = _filesystem(name)
    try:
        fs.info(path)  # a HEAD request over HTTP (fsspec's exists would GET the whole body)
    except OSError:
        return False
    return True


def size(name: str) -> int:
    """The bytes of ``name``."""
    if not is_url(name):
        return os.path.getsize(name)
    fs, path = _filesystem(name)
    try:
        return int(fs.size(path))
    except OSError as exc:
        raise unreadable(name, exc) from None


def absolute(name: str) -> str:
    """The name a worker elsewhere can open: a URL as given, a path made absolute."""
    return name if is_url(name) else os.path.abspath(name)


def can_glob(pattern: str) -> bool:
    return is_url(pattern) and _protocol(pattern) not in _NO_GLOB


def glob(pattern: str) -> list[str]:
    """The URLs matching ``pattern`` (``s3://bucket/shards/*.parquet``), sorted."""
    fs, path = _filesystem(pattern)
    try:
        found = fs.glob(path, detail=True)  # the listing says what is a file: no request per match
    except OSError as exc:
        raise InputError(f"cannot list {pattern!r}: {exc.strerror or exc}") from None
    return sorted(fs.unstrip_protocol(p) for p, info in found.items() if info.get("type") != "directory")
