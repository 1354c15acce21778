"""Error types and exit codes: one voice for everything that goes wrong.

Input and core code raise these; ``cli`` maps them to exit codes in one place.
"""

from __future__ import annotations

from enum import IntEnum

from .contract import NAN_POLICIES  # noqa: F401 - also read from here


class ExitCode(IntEnum):
    """The documented exit codes of every command."""

    OK = 0
    DATA = 1  # bad data: a value that is not a number, a ragged row, empty input
    USAGE = 2  # bad command line: unknown option, bad option value
    INTERRUPTED = 130  # Ctrl-C


class NormcliError(Exception):
    """Base of the errors a user can cause; the message is shown as is."""

    exit_code: ExitCode = ExitCode.DATA


class InputError(NormcliError):
    """The data is wrong: names the line, column and text where it can.

    ``advice`` is what the message ends with to say how to get past it
    (``; use --nan omit or --nan propagate``); a caller for which that
    advice does not hold (weights must simply be finite) uses :attr:`fact`,
    the message without it, instead of editing the text.

    >>> e = InputError("line 2: 'x' is not a finite number", advice="; use --nan omit")
    >>> str(e), e.fact
    ("line 2: 'x' is not a finite number; use --nan omit", "line 2: 'x' is not a finite number")
    """

    exit_code = ExitCode.DATA

    def __init__(self, fact: str, advice: str = "") -> None:
        super().__init__(fact + advice)
        self.fact = fact
        self.advice = advice

    def __reduce__(self):  # from a worker process, with its parts
        return (type(self), (self.fact, self.advice))


class UsageError(NormcliError):
    """The command line is wrong (an option value, a missing input)."""

    exit_code = ExitCode.USAGE
