"""Error types and exit codes: one voice for everything that goes wrong.

Input and core code raise these; ``cli`` maps them to exit codes in one place.
"""

from __future__ import annotations

from enum import IntEnum


#: What ``--nan`` can do with a missing, non-numeric or non-finite value.
NAN_POLICIES = ("error", "omit", "propagate")


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
    """The data is wrong: names the line, column and text where it can."""

    exit_code = ExitCode.DATA


class UsageError(NormcliError):
    """The command line is wrong (an option value, a missing input)."""

    exit_code = ExitCode.USAGE
