"""What every source gives: named float64 columns in blocks, or rows; and how columns are selected.

Every source of this package (text, ``.npy``, values, Parquet, Arrow, many
files) builds these, and :mod:`normcli.inputs` hands them on.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

import numpy as np

from ..errors import InputError, UsageError

#: What an error about a bad value adds: how to get past it.
NAN_ADVICE = "; use --nan omit or --nan propagate"


@dataclass
class Columns:
    """Named column vectors, delivered chunk by chunk.

    Iterate :meth:`chunks` once; each item holds one array per column with
    the NaN policy already applied (with ``omit``, non-finite values are
    gone and counted in :attr:`omitted`).
    """

    names: list[str]
    _chunks: Iterator[np.ndarray]
    nan: str = "error"
    omitted: dict[str, int] = field(default_factory=dict)
    #: Every column name of the source (selected or not), for checking that several files agree.
    header: list[str] = field(default_factory=list)

    def chunks(self) -> Iterator[list[np.ndarray]]:
        for block in self._chunks:
            if block.ndim == 1:
                block = block.reshape(-1, 1)
            cols = [block[:, j] for j in range(block.shape[1])]
            if self.nan == "omit":
                for j, col in enumerate(cols):
                    finite = np.isfinite(col)
                    if not finite.all():
                        cols[j] = col[finite]
                        name = self.names[j]
                        self.omitted[name] = self.omitted.get(name, 0) + int(col.size - finite.sum())
            yield cols


@dataclass
class RowBlock:
    """Consecutive rows of one length: ``data[i]`` is row ``first + i`` (1-based).

    ``keep`` marks the cells to use (``None``: all of them); with
    ``--nan omit`` the non-finite cells are not kept.
    """

    first: int
    data: np.ndarray
    keep: np.ndarray | None = None


def select(columns: Sequence[str], names: Sequence[str], has_header: bool) -> tuple[int, ...]:
    if not columns:
        return tuple(range(len(names)))
    picked = []
    for c in columns:
        if has_header and c in names:
            picked.append(names.index(c))
            continue
        try:
            index = int(c)
        except ValueError:
            if has_header:
                available = ", ".join(repr(n) for n in names)
                raise UsageError(f"no column named {c!r}; the columns are {available}") from None
            raise UsageError(
                f"no column named {c!r}: the input has no header; select columns by 1-based index "
                f"(1 to {len(names)})"
            ) from None
        if not 1 <= index <= len(names):
            raise UsageError(f"--column {index} is out of range: the input has {len(names)} column(s)")
        picked.append(index - 1)
    return tuple(picked)


def row_blocks(groups: Iterator[np.ndarray], nan: str) -> Iterator[RowBlock]:
    row = 1
    any_rows = False
    for g in groups:
        g = np.atleast_2d(g)
        if g.shape[0] == 0:
            continue
        any_rows = True
        keep = np.isfinite(g) if nan == "omit" and not np.isfinite(g).all() else None
        yield RowBlock(row, g, keep)
        row += g.shape[0]
    if not any_rows:
        raise InputError("the input holds no data rows")


def nonempty(chunks: Iterator[np.ndarray], where: str) -> Iterator[np.ndarray]:
    seen = False
    for c in chunks:
        if c.shape[0]:
            seen = True
            yield c
    if not seen:
        raise InputError(f"{where} holds no data rows")


def nonempty_groups(blocks: Iterator[tuple], where: str) -> Iterator[tuple]:
    """The parsed blocks of a grouped read (rows first); none with a row is an error, as for columns."""
    seen = False
    for item in blocks:
        if len(item[0]):
            seen = True
            yield item
    if not seen:
        raise InputError(f"{where} holds no data rows")
