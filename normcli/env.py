"""The run's surroundings, decided once: which streams are terminals, their size, colour, normcli's variables.

In the spirit of httpie's ``Environment``: :func:`detect` reads the process
once, when a command starts (``cli``), and everything that would otherwise
probe ``isatty`` or ``os.environ`` asks :func:`current` instead. Tests swap
in their own with :func:`use`, e.g. a terminal of 100 columns for
``CliRunner``, whose streams are never terminals.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass


@dataclass(frozen=True)
class Environment:
    """What a command may know of where it runs.

    Attributes
    ----------
    stdin_tty, stdout_tty, stderr_tty : bool
        Whether each standard stream is a terminal (``auto`` output is a
        table exactly when stdout is one; nothing is read from a terminal
        stdin; progress bars only go to a terminal stderr).
    styled : bool
        Whether stdout takes terminal styling: ``TTY_COMPATIBLE`` (0 or 1)
        or ``FORCE_COLOR`` when set, else ``stdout_tty`` (rich's rules).
    no_color : bool
        ``NO_COLOR`` is set and not empty (https://no-color.org).
    columns, lines : int or None
        ``COLUMNS`` and ``LINES`` when set to a number; None lets the
        terminal (or 80 x 25) decide.
    progress_delay : float
        ``NORMCLI_PROGRESS_DELAY``: seconds a read runs before its bar shows.
    reader : str
        ``NORMCLI_READER``: the text parser (auto, numpy, polars).
    workers : str or None
        ``NORMCLI_WORKERS``: the number of parse processes, as given.
    """

    stdin_tty: bool = False
    stdout_tty: bool = False
    stderr_tty: bool = False
    styled: bool = False
    no_color: bool = False
    columns: int | None = None
    lines: int | None = None
    progress_delay: float = 1.0
    reader: str = "auto"
    workers: str | None = None


def _tty(stream) -> bool:
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty and isatty())
    except ValueError:  # a closed stream
        return False


def _number(text: str | None) -> int | None:
    return int(text) if text is not None and text.isdigit() else None


def detect(stdin=None, stdout=None, stderr=None, environ: Mapping[str, str] | None = None) -> Environment:
    """The environment of this process (or of the streams and variables given)."""
    environ = os.environ if environ is None else environ
    stdout_tty = _tty(sys.stdout if stdout is None else stdout)
    compatible, force = environ.get("TTY_COMPATIBLE", ""), environ.get("FORCE_COLOR")
    styled = (compatible == "1" if compatible in ("0", "1") else
              force != "" if force is not None else stdout_tty)
    try:
        delay = float(environ.get("NORMCLI_PROGRESS_DELAY", "1"))
    except ValueError:
        delay = 1.0
    return Environment(
        stdin_tty=_tty(sys.stdin if stdin is None else stdin),
        stdout_tty=stdout_tty,
        stderr_tty=_tty(sys.stderr if stderr is None else stderr),
        styled=styled,
        no_color=environ.get("NO_COLOR", "") != "",
        columns=_number(environ.get("COLUMNS")),
        lines=_number(environ.get("LINES")),
        progress_delay=delay,
        reader=environ.get("NORMCLI_READER", "auto").strip().lower() or "auto",
        workers=environ.get("NORMCLI_WORKERS"),
    )


_current: list[Environment] = []


def current() -> Environment:
    """The environment of the command running now (detected afresh outside one)."""
    return _current[-1] if _current else detect()


@contextmanager
def use(environment: Environment) -> Iterator[Environment]:
    """Run with ``environment`` as :func:`current` (``cli`` does this once per command; tests may too)."""
    _current.append(environment)
    try:
        yield environment
    finally:
        _current.pop()


@contextmanager
def for_run() -> Iterator[Environment]:
    """The environment of one command: the one in :func:`use` already (a test's), else detected now."""
    if _current:
        yield _current[-1]
        return
    with use(detect()) as environment:
        yield environment
