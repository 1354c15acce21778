"""``--by``: a table read as groups -- key column(s) as text, the other selected columns as float64.

Every source that can group gives a :class:`Grouped`: blocks of
``(codes, keys, values)`` where ``codes`` (int32, one per row) number the
block's distinct ``keys`` (str, or tuples of str for a compound key) in the
order they first appear in the block, and ``values`` is the (rows x
columns) float64 block. The parse step (possibly in worker processes)
codes the keys; here, in the main process, each block's few distinct keys
are looked up in one dict (:class:`KeyIndex`), not each row, so the global
group ids come from one ``take``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

import numpy as np

from ..errors import InputError, UsageError
from .table import select


class KeyIndex:
    """The groups met so far, numbered in the order of their first appearance."""

    def __init__(self) -> None:
        self.ids: dict = {}
        self.keys: list = []

    def __len__(self) -> int:
        return len(self.keys)

    def lookup(self, keys: Sequence) -> np.ndarray:
        """The global id of each of a block's distinct ``keys`` (new ones numbered next)."""
        ids, known = self.ids, self.keys
        out = np.empty(len(keys), dtype=np.int64)
        for i, key in enumerate(keys):
            gid = ids.get(key)
            if gid is None:
                gid = ids[key] = len(known)
                known.append(key)
            out[i] = gid
        return out


@dataclass
class Grouped:
    """Named value columns grouped by key column(s), delivered block by block.

    Iterate :meth:`chunks` once: each item is (group ids, values) with the
    group ids global (:attr:`index` numbers them) and, under ``--nan omit``,
    the non-finite values left for the reducer to drop (counted per column
    in :attr:`omitted` by it).
    """

    by: list[str]  # the key columns' names
    names: list[str]  # the value columns' names
    _blocks: Iterator[tuple[np.ndarray, list, np.ndarray]]
    nan: str = "error"
    omitted: dict[str, int] = field(default_factory=dict)
    header: list[str] = field(default_factory=list)
    index: KeyIndex = field(default_factory=KeyIndex)

    def chunks(self) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        for codes, keys, values in self._blocks:
            if len(codes) == 0:
                continue
            gids = self.index.lookup(keys)[codes]
            yield gids, values


def key_columns(by: Sequence[str], columns: Sequence[str], names: Sequence[str], has_header: bool
                ) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """The 0-based key columns of ``--by`` and the value columns (``--column``, else all the others).

    A ``--by`` column that does not exist names the available columns; a
    key column also selected with ``--column`` is a usage error.
    """
    try:
        keys = select(by, names, has_header)
    except UsageError as exc:
        raise UsageError(str(exc).replace("--column", "--by").replace("no column named", "no --by column named")
                         ) from None
    if len(set(keys)) != len(keys):
        raise UsageError("--by names the same column twice")
    if columns:
        values = select(columns, names, has_header)
        both = [j for j in values if j in keys]
        if both:
            raise UsageError(f"column {names[both[0]]!r} is the --by key: it cannot also be selected with --column "
                             "(a key is text, never a vector)")
    else:
        values = tuple(j for j in range(len(names)) if j not in keys)
    if not values:
        raise InputError("--by leaves no column to reduce: the input has only the key column(s)")
    return keys, values


def code_keys(keys: Sequence) -> tuple[np.ndarray, list]:
    """Per-row keys (any hashable) -> (int32 codes, distinct keys in the order of first appearance)."""
    ids: dict = {}
    codes = np.fromiter((ids.setdefault(k, len(ids)) for k in keys), dtype=np.int32, count=len(keys))
    return codes, list(ids)


def first_appearance(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """int32 codes numbering the distinct ``values`` in order of first appearance, and each one's first row.

    >>> codes, first = first_appearance(np.array([7, 3, 7, 5]))
    >>> codes.tolist(), first.tolist()
    ([0, 1, 0, 2], [0, 1, 3])
    """
    try:  # numpy >= 2.3: a hash table, no sort
        _, inverse = np.unique(values, return_inverse=True, sorted=False)
    except TypeError:
        _, inverse = np.unique(values, return_inverse=True)
    inverse = inverse.ravel()
    first = np.full(int(inverse.max()) + 1 if inverse.size else 0, inverse.size, dtype=np.int64)
    np.minimum.at(first, inverse, np.arange(inverse.size))  # each value's first row
    order = np.argsort(first, kind="stable")
    rank = np.empty(order.size, dtype=np.int32)
    rank[order] = np.arange(order.size, dtype=np.int32)
    return rank[inverse], first[order]


def combine_codes(coded: list[tuple[np.ndarray, list]]) -> tuple[np.ndarray, list]:
    """The codes of a compound key from those of each key column: (int32 codes, distinct tuples)."""
    if len(coded) == 1:
        return coded[0]
    combined = np.zeros(len(coded[0][0]), dtype=np.int64)
    for codes, keys in coded:
        combined = combined * max(len(keys), 1) + codes
    codes, first = first_appearance(combined)
    return codes, [tuple(keys[c[i]] for c, keys in coded) for i in first.tolist()]
