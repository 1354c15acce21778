"""Text cells -> floats: a number read exactly as numpy's parser reads it, under one ``--nan`` policy.

Shared by the text parsers (:mod:`.textparse`) and the values on the command line
(:mod:`.argv`); an error names the place and the text.
"""

from __future__ import annotations

import math

from ..errors import InputError
from .table import NAN_ADVICE


def to_float(text: str) -> float:
    """Parse one number exactly as the fast path (numpy's parser) does.

    Python's ``float`` also accepts digit separators (``1_000``) and
    non-ASCII digits (``٣``); numpy does not, and both paths must agree, so
    they are refused here.

    >>> to_float(" 1e-3 "), to_float("-inf")
    (0.001, -inf)
    """
    if "_" in text or not text.isascii():
        raise ValueError(text)
    return float(text)


def _describe(text: str) -> str:
    return "an empty field (missing value)" if text.strip() == "" else repr(text.strip())


class _Cells:
    """Turn text cells into floats under one NaN policy, naming the place on failure."""

    def __init__(self, nan: str):
        self.nan = nan

    def convert(self, text: str, where: str) -> float:
        try:
            value = to_float(text)
        except ValueError:
            if self.nan == "error":
                what = _describe(text)
                if what.startswith("an empty"):
                    raise InputError(f"{where}: {what}", NAN_ADVICE) from None
                raise InputError(f"{where}: {what} is not a number") from None
            return math.nan
        if self.nan == "error" and not math.isfinite(value):
            raise InputError(f"{where}: {text.strip()!r} is not a finite number", NAN_ADVICE)
        return value


def _looks_numeric(field_: str) -> bool:
    try:
        to_float(field_)
    except ValueError:
        return False
    return True
