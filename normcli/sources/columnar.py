"""Parquet and Arrow IPC (Feather v2) files, read with pyarrow column by column, batch by batch.

Only the selected columns are read, a row group (Parquet) or a record
batch (Arrow) at a time, so memory stays bounded by one batch of the
columns asked for. Integer, float, decimal and boolean columns are
numbers (as float64; a boolean is 0 or 1); a null is a missing value that
``--nan`` decides, as an empty cell of a CSV is; a column of another type
is an error naming it and its type. A file is read in place (memory-mapped
for Arrow); stdin is read whole first, since both formats keep their
directory at the end.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import numpy as np

from ..errors import InputError
from .table import NAN_ADVICE, Columns, nonempty, nonempty_groups, row_blocks, select

#: Rows read at once: a whole row group up to this size (8 MiB per float64 column), else batches
#: of it (bounded memory whatever the row groups' size).
BATCH_ROWS = 1 << 20

_FORMATS = {"parquet": "Parquet", "arrow": "Arrow IPC (Feather)"}


def _pyarrow(kind: str, where: str):
    try:
        import pyarrow as pa
    except ImportError:
        raise InputError(f"{where} is a {_FORMATS[kind]} file: reading it needs pyarrow "
                         "(pip install 'normcli[parquet]')") from None
    return pa


def _lean_pool(pa) -> None:
    """jemalloc where the wheel has it: pyarrow 26's default, mimalloc, keeps about 25 MiB more of the row
    groups already read (peak RSS at 5 x 10^7 rows: 157 MiB against 133)."""
    try:
        if pa.default_memory_pool().backend_name == "mimalloc":
            pa.set_memory_pool(pa.jemalloc_memory_pool())
    except (NotImplementedError, AttributeError, pa.ArrowException):
        pass


class ColumnarSource:
    """One Parquet or Arrow IPC file (``kind``: ``parquet`` or ``arrow``)."""

    def __init__(self, kind: str, stream, where: str, path, head: bytes) -> None:
        """``path``: a path, a seekable file (a URL's, read by range requests), or None to read ``stream`` whole."""
        self.kind, self.where = kind, where
        pa = _pyarrow(kind, where)
        _lean_pool(pa)
        try:
            if kind == "parquet":
                import pyarrow.parquet as pq

                source = path if path is not None else pa.BufferReader(head + stream.read())
                self._file = pq.ParquetFile(source, memory_map=False, pre_buffer=False, buffer_size=1 << 20)
                self.header = list(self._file.schema_arrow.names)
                self._schema = self._file.schema_arrow
                self.length = self._file.metadata.num_rows
            else:
                if path is None:
                    source = pa.BufferReader(head + stream.read())
                else:  # a path is mapped; a file opened by fsspec is read where it is
                    source = pa.memory_map(path) if isinstance(path, str) else path
                self._file = pa.ipc.open_file(source)
                self._schema = self._file.schema
                self.header = list(self._schema.names)
                self.length = None
        except (pa.ArrowException, OSError, ValueError) as exc:
            raise InputError(f"{where} is not a readable {_FORMATS[kind]} file ({_reason(exc)})") from None
        finally:
            if stream is not None:
                stream.close()

    def columns(self, spec) -> Columns:
        """The selected columns (:class:`normcli.sources.table.Columns`)."""
        names, blocks = self.blocks(spec)
        return Columns(names, nonempty(blocks, self.where), spec.nan, header=self.header)

    table = columns

    def rows(self, spec):
        return row_blocks(self.blocks(spec)[1], spec.nan)

    def vector(self, spec) -> np.ndarray:
        parts = list(self.blocks(spec)[1])
        return np.concatenate(parts) if parts else np.empty((0, 1))

    def selected(self, spec) -> list[int]:
        use = list(select(spec.columns, tuple(self.header), True))
        for j in use:
            field = self._schema.field(j)
            if not _numeric(field.type):
                raise InputError(f"{self.where}: column {field.name!r} holds {field.type} values, not numbers; "
                                 "select numeric columns with --column")
        return use

    def batches(self, use: list[int]) -> Iterator[list]:
        """The arrays of the columns ``use``, batch by batch."""
        pa = _pyarrow(self.kind, self.where)
        try:
            if self.kind == "parquet":
                names = [self.header[j] for j in use]
                meta = self._file.metadata
                for group in range(self._file.num_row_groups):  # one row group's columns in memory at a time
                    if meta.row_group(group).num_rows <= BATCH_ROWS:
                        table = self._file.read_row_group(group, columns=names, use_threads=True)
                        yield [table.column(k) for k in range(len(use))]
                        continue
                    for batch in self._file.iter_batches(batch_size=BATCH_ROWS, row_groups=[group], columns=names,
                                                         use_threads=True):
                        yield [batch.column(k) for k in range(len(use))]
            else:
                for i in range(self._file.num_record_batches):
                    batch = self._file.get_batch(i)
                    yield [batch.column(j) for j in use]
        except (pa.ArrowException, OSError) as exc:
            raise InputError(f"{self.where} is not a readable {_FORMATS[self.kind]} file ({_reason(exc)})") from None

    def blocks(self, spec) -> tuple[list[str], Iterator[np.ndarray]]:
        """The selected columns' names and their (n, k) float64 blocks, --nan error applied."""
        use = self.selected(spec)
        names = [self.header[j] for j in use]
        return names, self._blocks(use, names, spec.nan)

    def _blocks(self, use: list[int], names: list[str], nan: str) -> Iterator[np.ndarray]:
        row = 1
        for arrays in self.batches(use):
            block = self._float_block(arrays, names, nan, row)
            row += block.shape[0]
            yield block

    def _float_block(self, arrays: list, names: list[str], nan: str, row: int) -> np.ndarray:
        """One batch of the columns ``names`` as an (n, k) float64 block, --nan error applied (``row``: its first)."""
        n = len(arrays[0]) if arrays else 0
        block = np.empty((n, len(arrays)), dtype=np.float64)
        for k, arr in enumerate(arrays):
            block[:, k] = _floats(arr)
            if nan == "error" and arr.null_count:
                i = int(np.flatnonzero(np.asarray(arr.is_null()))[0])
                raise InputError(f"{self.where}: row {row + i}, column {names[k]!r}: a missing value (null)",
                                 NAN_ADVICE)
        if nan == "error" and not np.isfinite(block).all():
            i, k = np.argwhere(~np.isfinite(block))[0]
            raise InputError(f"{self.where}: row {row + i}, column {names[k]!r}: {float(block[i, k])!r} is "
                             "not a finite number", NAN_ADVICE)
        return block

    def grouped(self, spec):
        """--by: the key column(s) as text (any type: cast to a string, a null is an empty key), the values."""
        from .grouped import Grouped, combine_codes, key_columns

        keys, values = key_columns(spec.by, spec.columns, self.header, True)
        use = self.selected(replace(spec, columns=[self.header[j] for j in values]))
        names = [self.header[j] for j in use]

        def blocks() -> Iterator[tuple]:
            row = 1
            for arrays in self.batches([*keys, *use]):
                block = self._float_block(arrays[len(keys):], names, spec.nan, row)
                row += block.shape[0]
                codes, distinct = combine_codes([_key_codes(arr) for arr in arrays[: len(keys)]])
                yield codes, distinct, block

        return Grouped([self.header[j] for j in keys], names, nonempty_groups(blocks(), self.where), spec.nan,
                       header=self.header)


def _numeric(t) -> bool:
    import pyarrow.types as pt

    return pt.is_integer(t) or pt.is_floating(t) or pt.is_decimal(t) or pt.is_boolean(t)


def _floats(arr) -> np.ndarray:
    """An Arrow array (or chunked array) as float64, nulls as nan."""
    import pyarrow as pa

    if arr.type != pa.float64():
        import pyarrow.compute as pc  # 20 ms to import: only for the columns that need it

        arr = pc.cast(arr, pa.float64(), safe=False)
    return arr.to_numpy(zero_copy_only=False) if isinstance(arr, pa.Array) else np.asarray(arr)


def _key_codes(arr) -> tuple[np.ndarray, list]:
    """An Arrow key column as (int32 codes, distinct keys as text in first-appearance order); null is ''."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    if not (pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type)):
        arr = pc.cast(arr, pa.string())
    encoded = pc.dictionary_encode(arr, null_encoding="encode")  # codes in order of first appearance
    codes = encoded.indices.to_numpy(zero_copy_only=False).astype(np.int32, copy=False)
    return codes, ["" if k is None else k for k in encoded.dictionary.to_pylist()]




def _reason(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:200]


