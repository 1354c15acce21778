"""The error core raises for what it refuses: core imports nothing from outside core.

>>> issubclass(CoreError, ValueError)
True
"""

from __future__ import annotations


class CoreError(ValueError):
    """A value core refuses: an input, order or option it cannot compute with.

    The message says what was wrong, in words a user can act on, so a
    caller may show it as it is. A subclass of ``ValueError``: code that
    catches ``ValueError`` still catches it.
    """


__all__ = ["CoreError"]
