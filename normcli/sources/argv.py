"""The values on the command line (``1,2,3``, ``"1 2 3"``, several arguments) as a source.

Commas and/or whitespace separate the numbers (:func:`parse_tokens`); the values are one vector,
or, for ``--rows``, one vector per argument.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

import numpy as np

from ..errors import InputError, UsageError
from ..spec import InputSpec
from .cells import _Cells
from .npy import _checked_npy
from .table import Columns, RowBlock
from .table import row_blocks as _row_blocks

_TOKEN_SPLIT = re.compile(r"\s*,\s*|\s+")


def parse_tokens(tokens: Sequence[str], nan: str = "error", what: str = "the values") -> np.ndarray:
    """Numbers from command-line tokens: commas and/or whitespace separate them.

    ``what`` names the tokens in an error when there is one token (an
    option's value: ``--target``; "" names only the value); several are
    "argument i".

    >>> parse_tokens(["1,2", "3 4", "-5e-1"]).tolist()
    [1.0, 2.0, 3.0, 4.0, -0.5]
    """
    cells = _Cells(nan)
    out: list[float] = []
    for i, token in enumerate(tokens, 1):
        stripped = token.strip().strip(",").strip()
        if not stripped:
            continue
        for j, piece in enumerate(_TOKEN_SPLIT.split(stripped), 1):
            where = f"argument {i}" if len(tokens) > 1 else what
            out.append(cells.convert(piece, f"{where}, value {j}" if where else f"value {j}"))
    return np.array(out, dtype=np.float64)


class ArgvSource:
    """The values on the command line: one vector (or, for --rows, one per argument)."""

    where = "the values"
    length = None

    def columns(self, spec: InputSpec) -> Columns:
        values = parse_tokens(spec.values, spec.nan)
        if values.size == 0:
            raise InputError("no values were given")
        if spec.columns:
            raise UsageError("--column selects columns of a file; the values were given as arguments")
        return Columns(["x"], _checked_npy(values, spec.nan), spec.nan, header=["x"])

    def rows(self, spec: InputSpec) -> Iterator[RowBlock]:
        if spec.columns:
            raise UsageError("--column selects columns of a file; the values were given as arguments")
        rows = [parse_tokens([t], spec.nan) for t in spec.values if t.strip().strip(",")]
        if not rows:
            raise InputError("no values were given")
        return _row_blocks(iter(rows), spec.nan)

    def table(self, spec: InputSpec) -> Columns:
        raise UsageError("this reads a table from a file or stdin")

    def vector(self, spec: InputSpec) -> np.ndarray:
        return parse_tokens(spec.values, spec.nan)

    def grouped(self, spec: InputSpec):
        raise UsageError("--by groups the rows of a table: read a CSV, TSV, Parquet or Arrow file (or stdin) "
                         "with a key column; the values were given as arguments")
