"""What the command line asks of the input: :class:`InputSpec`, the input options every command shares.

A module of its own so that the sources (:mod:`normcli.sources`) are handed a spec without
importing :mod:`normcli.inputs`, the entry points that open them.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass

from .engines import Engine
from .errors import NAN_POLICIES, UsageError


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
