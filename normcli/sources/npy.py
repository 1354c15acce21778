"""``.npy`` files: a 1-D or 2-D numeric array (loaded with allow_pickle=False), its columns named 1, 2, ...

A value that breaks the ``--nan`` policy is named by its place: value i of a 1-D array, row i
and column j of a 2-D one (1-based, as for text).
"""

from __future__ import annotations

import io
from collections.abc import Iterator, Sequence

import numpy as np

from ..errors import InputError, UsageError
from ..spec import InputSpec
from .table import NAN_ADVICE, Columns, RowBlock
from .table import row_blocks as _row_blocks
from .table import select as _select


class NpySource:
    """A 1-D or 2-D ``.npy`` array (loaded with allow_pickle=False); its columns are named 1, 2, ..."""

    def __init__(self, arr: np.ndarray, where: str) -> None:
        self.arr, self.where, self.length = arr, where, arr.shape[0]
        self.header = [str(j + 1) for j in range(1 if arr.ndim == 1 else arr.shape[1])]

    def columns(self, spec: InputSpec) -> Columns:
        if self.arr.ndim == 1 and not spec.columns:
            return Columns(["x"], _checked_npy(self.arr, spec.nan, self.where), spec.nan, header=self.header)
        # a 1-D array is one column: -c 1 selects it
        names, chunks = _npy_selection(self.arr.reshape(-1, 1) if self.arr.ndim == 1 else self.arr, spec, self.where)
        return Columns(names, chunks, spec.nan, header=self.header)

    def rows(self, spec: InputSpec) -> Iterator[RowBlock]:
        _, chunks = _npy_selection(self.arr.reshape(1, -1) if self.arr.ndim == 1 else self.arr, spec, self.where)
        return _row_blocks(chunks, spec.nan)

    def table(self, spec: InputSpec) -> Columns:
        if self.arr.ndim == 1:
            raise InputError("a table needs a 2-D array; the .npy file is 1-D")
        return self.columns(spec)

    def vector(self, spec: InputSpec) -> np.ndarray:
        return self.arr

    def grouped(self, spec: InputSpec):
        raise UsageError(f"--by needs a key column of text; {self.where} is a .npy array of numbers: "
                         "write it as CSV with the key column, or as Parquet")


def _load_npy(data: bytes, where: str) -> np.ndarray:
    try:
        arr = np.load(io.BytesIO(data), allow_pickle=False)
    except ValueError as exc:
        raise InputError(f"{where} is not a readable .npy array ({exc})") from None
    if arr.dtype.kind not in "biuf":
        raise InputError(f"{where} holds {arr.dtype} values; a numeric .npy array is needed")
    if arr.ndim == 0 or arr.ndim > 2:
        raise InputError(f"{where} is a {arr.ndim}-D array; a 1-D or 2-D array is needed")
    if arr.size == 0:
        raise InputError(f"{where} is an empty array")
    return arr.astype(np.float64, copy=False)


def _npy_selection(arr: np.ndarray, spec: InputSpec, where: str) -> tuple[list[str], Iterator[np.ndarray]]:
    """The names ("1", "2", ...) and the checked chunks of the columns of a 2-D .npy array --column selects."""
    names = tuple(str(j + 1) for j in range(arr.shape[1]))
    use = _select(spec.columns, names, False)
    return [names[j] for j in use], _checked_npy(arr[:, list(use)], spec.nan, where, use)


def _checked_npy(arr: np.ndarray, nan: str, source: str = "", columns: Sequence[int] | None = None
                 ) -> Iterator[np.ndarray]:
    """``arr`` in chunks, once no value breaks the --nan policy.

    An error names the ``source`` and, 1-based as for text, the value
    (1-D) or the row and the column of the file (``columns``: the file's
    column of each column of ``arr``).
    """
    if nan == "error" and not np.isfinite(arr).all():
        bad = np.argwhere(~np.isfinite(arr))[0]
        if arr.ndim == 1:
            at = f"value {bad[0] + 1}"
        else:
            at = f"row {bad[0] + 1}, column {(columns[bad[1]] if columns is not None else bad[1]) + 1}"
        raise InputError(f"{source + ', ' if source else ''}{at}: {float(arr[tuple(bad)])!r} is not a finite number",
                         NAN_ADVICE)
    step = 1 << 20
    for start in range(0, max(len(arr), 1), step):
        yield arr[start : start + step]
