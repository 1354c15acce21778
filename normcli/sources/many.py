"""Several files read as one table, in the order given (a quoted glob expands in sorted order).

Each file is opened when the one before it is done, so only one is open at
a time; every file's columns must have the names of the first file's (a
mismatch names both files), and every error names the file it is in.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from dataclasses import replace

import numpy as np

from ..errors import InputError, NormcliError
from .table import Columns, row_blocks


class Many:
    """The files of ``specs`` (one InputSpec each), opened by ``open_one`` in turn."""

    length = None

    def __init__(self, specs: list, open_one: Callable) -> None:
        self.specs, self.open_one = specs, open_one
        self.where = ", ".join(repr(s.file) for s in specs[:3]) + (", ..." if len(specs) > 3 else "")
        self.header: list[str] = []

    def _named(self, spec, exc: NormcliError) -> NormcliError:
        """``exc`` with its file named first (when it does not name it already)."""
        name = repr(spec.file) if spec.file != "-" else "stdin"
        text = str(exc)
        if text.startswith((name, f"file {name}", "no file matches")):
            return exc
        return type(exc)(f"{name}: {text}")

    def _parts(self, spec, read: str) -> Iterator[tuple]:
        """Each file's (spec, Columns or rows), its header checked against the first file's."""
        first = None
        for one in self.specs:
            one = replace(one, columns=spec.columns, nan=spec.nan, header=spec.header, delimiter=spec.delimiter,
                          by=spec.by)
            try:
                source = self.open_one(one)
                got = getattr(source, read)(one)
                names = list(source.header) if read != "rows" else None
            except NormcliError as exc:
                raise self._named(one, exc) from None
            if read != "rows":
                if first is None:
                    first, self.header = one, names
                elif names != self.header:
                    raise InputError(f"{one.file!r} has the columns {_listed(names)} but {first.file!r} has "
                                     f"{_listed(self.header)}; the files must have the same columns")
            yield one, got

    def columns(self, spec):
        parts = self._parts(spec, "columns")
        one, cols = next(parts)

        def chunks() -> Iterator[np.ndarray]:
            for source_spec, c in itertools.chain([(one, cols)], parts):  # each file opened once the last is read
                if c.names != cols.names:
                    raise InputError(f"{source_spec.file!r}: the selected columns are {_listed(c.names)}, "
                                     f"not {_listed(cols.names)}")
                try:
                    for block in c._chunks:
                        yield block
                except NormcliError as exc:
                    raise self._named(source_spec, exc) from None

        return Columns(cols.names, chunks(), spec.nan, header=self.header)

    table = columns

    def grouped(self, spec):
        """--by over several files: one table, the groups shared across files."""
        from .grouped import Grouped

        parts = self._parts(spec, "grouped")
        one, first = next(parts)

        def blocks() -> Iterator[tuple]:
            for source_spec, g in [(one, first), *parts]:
                if g.names != first.names or g.by != first.by:
                    raise InputError(f"{source_spec.file!r}: the selected columns are {_listed(g.by + g.names)}, "
                                     f"not {_listed(first.by + first.names)}")
                try:
                    yield from g._blocks
                except NormcliError as exc:
                    raise self._named(source_spec, exc) from None

        return Grouped(first.by, first.names, blocks(), spec.nan, header=self.header)

    def rows(self, spec):
        def groups() -> Iterator[np.ndarray]:
            for source_spec, blocks in self._parts(spec, "rows"):
                try:
                    for block in blocks:
                        yield block.data if block.keep is None else np.where(block.keep, block.data, np.nan)
                except NormcliError as exc:
                    raise self._named(source_spec, exc) from None

        return row_blocks(groups(), spec.nan)

    def vector(self, spec) -> np.ndarray:
        cols = self.columns(spec)
        parts = [np.column_stack(c) for c in cols.chunks()]
        return np.concatenate(parts) if parts else np.empty((0, 1))


def _listed(names) -> str:
    return ", ".join(repr(n) for n in names)
