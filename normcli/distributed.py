"""The Dask engine: the local engine's reductions, partition by partition, on a dask.distributed cluster.

The client plans the work and sends only the plan: a list of partitions,
each a path and a part of its file (consecutive row groups of a Parquet
file or record batches of an Arrow file, up to :data:`PART_BYTES` of the
selected columns; a byte range of a text file; or a whole compressed or
``.npy`` file). Each partition is reduced on a worker,
which opens the file itself, to the accumulators the local engine uses
(:class:`normcli.core.norms.NormAccumulator`, exact to merge), and those
are merged pairwise in a tree on the cluster; only the final merge comes
back. A lost worker's partitions are computed again elsewhere (the tasks
are pure).

A text partition is the lines that start in its byte range: its worker
skips the end of the line before the range and reads on to the end of its
last line. Line numbers are relative to the range, so when a partition
finds bad data the client counts the lines before it (on the cluster) and
has that partition parsed again knowing where it starts: the error names
the same file, line and column as the local engine's.

Needs ``pip install 'normcli[dask]'``.
"""

from __future__ import annotations

import math
import os
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace

from .errors import InputError, NormcliError, UsageError

#: Bytes per partition: of text, or of the selected columns as float64 (consecutive row groups grouped).
PART_BYTES = 64 << 20


@dataclass(frozen=True)
class Partition:
    """One piece of one file: ``kind`` text (bytes [start, stop)), parquet (row groups [start, stop)),
    arrow (record batches [start, stop)) or whole (the file, read by the local reader)."""

    path: str  # absolute: the workers open it wherever they run
    kind: str
    start: int = 0
    stop: int = 0
    first_row: int = 1  # parquet and arrow: the 1-based row of the file where this part starts
    name: str = ""  # the file as the user named it, for messages


@dataclass(frozen=True)
class Plan:
    names: list[str]  # the selected columns
    header: list[str]  # every column of the files
    parts: list[Partition]
    layouts: dict  # text files: path -> the layout the client read from the file's start


def _dask():
    try:
        import distributed
    except ImportError:
        raise InputError("--engine dask needs dask.distributed: pip install 'normcli[dask]'") from None
    return distributed


class Cluster:
    """A client of the scheduler at ``address`` (or ``DASK_SCHEDULER_ADDRESS``), else of a local cluster
    of worker processes started here and stopped on :meth:`close`."""

    def __init__(self, address: str | None = None) -> None:
        distributed = _dask()
        address = address or os.environ.get("DASK_SCHEDULER_ADDRESS") or None
        self._local = None
        try:
            if address is None:
                import logging

                # its workers' logs would reach this terminal: a failed partition is reported once, by normcli
                self._local = distributed.LocalCluster(n_workers=min(2, os.cpu_count() or 1), threads_per_worker=1,
                                                       processes=True, host="127.0.0.1", dashboard_address=None,
                                                       silence_logs=logging.CRITICAL)
                address = self._local.scheduler_address
            self.client = distributed.Client(address, timeout="10s")
        except (OSError, TimeoutError) as exc:
            self.close()
            raise InputError(f"cannot reach the Dask scheduler at {address}: {exc}") from None

    def close(self) -> None:
        client = getattr(self, "client", None)
        if client is not None:
            client.close()
        if self._local is not None:
            self._local.close()

    def __enter__(self) -> Cluster:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


# --------------------------------------------------------------------------
# Planning (on the client)
# --------------------------------------------------------------------------
def plan(spec, part_bytes: int = PART_BYTES) -> Plan:
    """The partitions of ``spec``'s files and the names of the selected columns."""
    from . import inputs, sources
    from .sources import remote

    if spec.values:
        raise UsageError("--engine dask reads files; the values were given as arguments")
    files = inputs._file_list(spec)
    if not files or "-" in files:
        raise UsageError("--engine dask reads files (the workers open them): stdin cannot be sent; give --file")
    parts: list[Partition] = []
    layouts: dict = {}
    names = header = None
    first_file = None
    for path in files:
        one = replace(spec, file=path)
        if not remote.is_url(path) and not os.path.exists(path):  # a URL's open says so itself
            raise InputError(f"file {path!r} does not exist")
        where = remote.absolute(path)
        with remote.open_binary(path) as fh:
            head = fh.read(16)
        kind = sources.columnar_kind(head)
        if kind is not None:
            from .sources.columnar import ColumnarSource

            source = ColumnarSource(kind, None, repr(path), remote.open_binary(path) if remote.is_url(path) else path,
                                    head)
            use = source.selected(one)
            file_names, file_header = [source.header[j] for j in use], source.header
            parts += _columnar_parts(path, kind, source, len(use), part_bytes)
        elif sources.compression_kind(head) is not None or head.startswith(sources.NPY):
            cols = inputs.read_columns(replace(one, progress=None))  # opened here only to learn the columns
            file_names, file_header = cols.names, cols.header
            cols._chunks.close()
            parts.append(Partition(where, "whole", name=path))
        else:
            layout, (start, first) = _text_layout(one)
            layouts[where] = (layout, (start, first))
            file_names = [layout.names[j] for j in layout.usecols]
            file_header = list(layout.names)
            size = remote.size(path)
            parts += [Partition(where, "text", s, min(s + part_bytes, size), name=path)
                      for s in range(start, size, part_bytes)]
        if header is None:
            names, header, first_file = file_names, file_header, path
        elif file_header != header:
            raise InputError(f"{path!r} has the columns {_listed(file_header)} but {first_file!r} has "
                             f"{_listed(header)}; the files must have the same columns")
    return Plan(names, header, parts, layouts)


def _columnar_parts(path: str, kind: str, source, width: int, part_bytes: int) -> list[Partition]:
    """A file's row groups (record batches), consecutive ones grouped while their ``width`` selected float64
    columns stay within ``part_bytes`` (a group larger than that is a partition alone): one task per group,
    not per row group, keeps the scheduler's share small."""
    from .sources import remote

    where = remote.absolute(path)
    if kind == "parquet":
        meta = source._file.metadata
        sizes = [meta.row_group(g).num_rows for g in range(meta.num_row_groups)]
    else:
        sizes = [source._file.get_batch(i).num_rows for i in range(source._file.num_record_batches)]
    parts, row, start, held = [], 1, 0, 0
    for g, rows in enumerate(sizes):
        if g > start and (held + rows) * 8 * max(width, 1) > part_bytes:
            parts.append(Partition(where, kind, start, g, row, path))
            row, start, held = row + held, g, 0
        held += rows
    if sizes:
        parts.append(Partition(where, kind, start, len(sizes), row, path))
    return parts


def _text_layout(spec):
    """The layout of a text file (header, delimiter, columns), the byte where its data starts and its line."""
    from .sources import detect, remote, text

    with remote.open_binary(spec.file) as stream:
        head = detect._read_magic(stream)
        layout, blocks, first = text._text_start(replace(spec, progress=None), stream, repr(spec.file), head)
        blocks.close()
    with remote.open_binary(spec.file) as fh:  # the data starts after the header (first - 1 lines)
        start, seen = 0, 0
        while seen < first - 1:
            chunk = fh.read(1 << 20)
            if not chunk:
                break
            at = 0
            while seen < first - 1 and (cut := chunk.find(b"\n", at)) >= 0:
                seen, at = seen + 1, cut + 1
            start += at if seen == first - 1 else len(chunk)
        if start == 0:
            fh.seek(0)
            start = 3 if fh.read(3) == b"\xef\xbb\xbf" else 0
    return layout, (start, first)


# --------------------------------------------------------------------------
# Reducing (on the workers)
# --------------------------------------------------------------------------
def reduce_part(part: Partition, spec, layout, orders: Sequence[float], first_line: int | None = None,
                paired: bool = False):
    """(one NormAccumulator per selected column, values omitted per column, lines read) of ``part``.

    ``paired``: --nan omit drops a row whole when any of its values is missing (a matrix keeps its
    shape), and counts the rows in the first column's place."""
    import numpy as np

    from .core.norms import NormAccumulator

    blocks, lines = _part_blocks(part, spec, layout, first_line)
    accs = None
    omitted = None
    for block in blocks:
        block = np.atleast_2d(block.T).T if block.ndim == 1 else block
        if accs is None:
            accs = [NormAccumulator(orders) for _ in range(block.shape[1])]
            omitted = [0] * block.shape[1]
        if paired and spec.nan == "omit":
            whole = np.isfinite(block).all(axis=1)
            omitted[0] += int(block.shape[0] - whole.sum())
            block = block[whole]
        for j in range(block.shape[1]):
            col = block[:, j]
            if spec.nan == "omit":
                finite = np.isfinite(col)
                if not finite.all():
                    omitted[j] += int(col.size - finite.sum())
                    col = col[finite]
            accs[j].add(col)
    return accs, omitted, lines


def _part_blocks(part: Partition, spec, layout, first_line):
    from . import inputs
    from .sources import textparse

    if part.kind == "whole":
        cols = inputs.read_columns(replace(spec, file=part.path, nan="propagate" if spec.nan == "omit" else spec.nan,
                                           progress=None))  # its errors name the absolute path
        return (c for c in cols._chunks), 0
    if part.kind in ("parquet", "arrow"):
        return _columnar_blocks(part, spec), 0
    data = _text_range(part)
    lines = data.count(b"\n")
    if not data:
        return iter(()), 0
    nan_spec = replace(layout, nan="propagate" if spec.nan == "omit" else spec.nan)
    try:
        block = textparse._parse_table_block(nan_spec, data, first_line or 1)
    except InputError:
        if first_line is None:  # the client finds where the range starts and asks again
            raise PartFailed(part) from None
        raise
    return iter([block]), lines


class PartFailed(Exception):
    """A text partition holds bad data; its line numbers need the lines before it."""


def _text_range(part: Partition) -> bytes:
    """The lines that start in [part.start, part.stop) of the file."""
    from .sources import remote

    with remote.open_binary(part.path) as fh:
        begin = max(part.start - 1, 0)
        fh.seek(begin)
        data = fh.read(part.stop - begin)
        if part.start > 0:
            cut = data.find(b"\n")
            data = data[cut + 1:] if cut >= 0 else b""
            if cut < 0:
                return b""
        if data and not data.endswith(b"\n"):
            rest = []
            while True:
                chunk = fh.read(1 << 16)
                if not chunk:
                    rest.append(b"\n")
                    break
                end = chunk.find(b"\n")
                if end >= 0:
                    rest.append(chunk[: end + 1])
                    break
                rest.append(chunk)
            data += b"".join(rest)
    return data


def _columnar_blocks(part: Partition, spec):
    from .sources import remote
    from .sources.columnar import ColumnarSource

    fh = remote.open_binary(part.path)
    head = fh.read(16)
    if remote.is_url(part.path):  # read where it is, by range requests
        source = ColumnarSource(part.kind, None, repr(part.name), fh, head)
    else:
        fh.close()
        source = ColumnarSource(part.kind, None, repr(part.name), part.path, head)
    use = source.selected(spec)
    names = [source.header[j] for j in use]
    return _groups(source, part, use, names, spec.nan)


def _groups(source, part: Partition, use, names, nan: str):
    """The blocks of row groups (or record batches) [part.start, part.stop), one at a time."""
    import numpy as np

    from .sources.columnar import _floats

    first = part.first_row
    for g in range(part.start, part.stop):
        if part.kind == "parquet":
            table = source._file.read_row_group(g, columns=names, use_threads=False)
            arrays = [table.column(k) for k in range(len(use))]
        else:
            batch = source._file.get_batch(g)
            arrays = [batch.column(j) for j in use]
        block = np.column_stack([_floats(a) for a in arrays]) if arrays else np.empty((0, 0))
        if nan == "error":
            from .sources.table import NAN_ADVICE

            for k, arr in enumerate(arrays):
                if arr.null_count:
                    i = int(np.flatnonzero(np.asarray(arr.is_null()))[0])
                    raise InputError(f"{part.name!r}: row {first + i}, column {names[k]!r}: a missing value "
                                     "(null)", NAN_ADVICE)
            if not np.isfinite(block).all():
                i, k = np.argwhere(~np.isfinite(block))[0]
                raise InputError(f"{part.name!r}: row {first + i}, column {names[k]!r}: "
                                 f"{float(block[i, k])!r} is not a finite number", NAN_ADVICE)
        first += block.shape[0]
        yield block


def _merge(a, b):
    """Two partial results merged (None is the empty one)."""
    if a is None or a[0] is None:
        return b
    if b is None or b[0] is None:
        return a
    return ([x.merge(y) for x, y in zip(a[0], b[0])], [x + y for x, y in zip(a[1], b[1])], a[2] + b[2])


def _count_lines(part: Partition) -> int:
    return _text_range(part).count(b"\n")


# --------------------------------------------------------------------------
# The reduction (on the client)
# --------------------------------------------------------------------------
def reduce(spec, orders: Sequence[float], cluster: Cluster, part_bytes: int = PART_BYTES, paired: bool = False):
    """(names, one merged NormAccumulator per column, omitted per column name) of ``spec``'s files.

    ``paired``: --nan omit drops rows whole (for a matrix); the rows dropped are counted under the
    first column's name."""
    the_plan = plan(spec, part_bytes)
    client = cluster.client
    parts = the_plan.parts
    run = uuid.uuid4().hex  # task keys of this run only: never a result of another
    futures = [client.submit(reduce_part, p, spec_for_workers(spec), the_plan.layouts.get(p.path, (None,))[0],
                             tuple(orders), None, paired, key=f"normcli-part-{i}-{run}") for i, p in enumerate(parts)]
    _raise_first_error(futures, parts, the_plan, client,
                       lambda part, layout, line: client.submit(reduce_part, part, spec_for_workers(spec), layout,
                                                                tuple(orders), line, paired, pure=False))
    total = _tree(client, _merge, futures)
    if total is None or total[0] is None:
        raise InputError(f"{spec.file!r} holds no data rows")
    accs, omitted, _ = total
    return the_plan.names, accs, {n: c for n, c in zip(the_plan.names, omitted) if c}


#: States merged by one task: a tree of fan-in 8 has a seventh as many merge tasks as a pairwise one (the
#: scheduler's cost per task, not the merges, is what a large run pays for).
FAN_IN = 8


def _tree(client, merge, futures, *args):
    """The futures merged on the workers, FAN_IN neighbours at a time (in input order); the root's value."""
    level = futures
    while len(level) > 1:
        level = [client.submit(_fold, merge, args, *level[i:i + FAN_IN], pure=False) if i + 1 < len(level)
                 else level[i] for i in range(0, len(level), FAN_IN)]
    return level[0].result() if level else None


def _fold(merge, args, *states):
    """The states merged left to right (each merge is the pairwise one: order kept)."""
    total = states[0]
    for state in states[1:]:
        total = merge(*args, total, state)
    return total


def reduce_with(spec, reducer, cluster: Cluster, the_plan: Plan | None = None, part_bytes: int = PART_BYTES):
    """(plan, merged state, rows omitted, rows read) of ``reducer`` (see :mod:`normcli.core.mergeable`) over
    ``spec``'s files; under --nan omit a row with a missing or non-finite value goes whole."""
    the_plan = the_plan or plan(spec, part_bytes)
    client = cluster.client
    parts = the_plan.parts
    run = uuid.uuid4().hex
    work = spec_for_workers(spec)
    futures = [client.submit(reduce_part_with, p, work, the_plan.layouts.get(p.path, (None,))[0], reducer, None,
                             key=f"normcli-{type(reducer).__name__}-{i}-{run}") for i, p in enumerate(parts)]
    _raise_first_error(futures, parts, the_plan, client,
                       lambda part, layout, line: client.submit(reduce_part_with, part, work, layout, reducer, line,
                                                                pure=False))
    total = _tree(client, _merge_with, futures, reducer)
    if total is None:
        return the_plan, reducer.start(), 0, 0
    return the_plan, *total


def reduce_part_with(part: Partition, spec, layout, reducer, first_line: int | None = None):
    """(the reducer's state of ``part``, rows omitted, rows read)."""
    import numpy as np

    blocks, _ = _part_blocks(part, spec, layout, first_line)
    state, omitted, rows = reducer.start(), 0, 0
    for block in blocks:
        block = np.atleast_2d(block.T).T if block.ndim == 1 else block
        rows += block.shape[0]
        if spec.nan == "omit":
            whole = np.isfinite(block).all(axis=1)
            if not whole.all():
                omitted += int(block.shape[0] - whole.sum())
                block = block[whole]
        state = reducer.add(state, block)
    return state, omitted, rows


def _merge_with(reducer, a, b):
    return reducer.merge(a[0], b[0]), a[1] + b[1], a[2] + b[2]


def rows(spec, orders: Sequence[float], kind: str, cluster: Cluster, part_bytes: int = PART_BYTES):
    """norm --rows: each partition's row norms computed on a worker; yields (first row, columns, flags) in input
    order, each partition as soon as it and those before it are done."""
    from .core import norms

    the_plan = plan(spec, part_bytes)
    client = cluster.client
    work = spec_for_workers(spec)
    run = uuid.uuid4().hex
    futures = [client.submit(_rows_part, p, work, the_plan.layouts.get(p.path, (None,))[0], tuple(orders), kind,
                             None, key=f"normcli-rows-{i}-{run}") for i, p in enumerate(the_plan.parts)]

    def blocks():
        import distributed as dd

        first = 1
        for i, future in enumerate(futures):
            dd.wait([future])
            if future.status == "error":
                _raise_first_error(futures[i:i + 1], the_plan.parts[i:i + 1], the_plan, client,
                                   lambda part, layout, line: client.submit(_rows_part, part, work, layout,
                                                                            tuple(orders), kind, line, pure=False))
            count, cols, flags = future.result()
            futures[i] = None  # its rows are written: let the cluster forget them
            if count:
                yield first, cols, flags
                first += count
        if first == 1:
            raise InputError(f"{spec.file!r} holds no data rows")

    return norms.computed_rows_table(blocks(), orders, kind)


def _rows_part(part: Partition, spec, layout, orders, kind: str, first_line: int | None = None):
    """(rows, columns, flags) of one partition's row norms (--nan omit: the non-finite cells left out)."""
    import numpy as np

    from .core import norms

    blocks, _ = _part_blocks(part, spec, layout, first_line)
    data = [np.atleast_2d(b.T).T if b.ndim == 1 else b for b in blocks]
    data = [b for b in data if b.shape[0]]
    if not data:
        return 0, [], []
    block = np.concatenate(data) if len(data) > 1 else data[0]
    keep = np.isfinite(block) if spec.nan == "omit" and not np.isfinite(block).all() else None
    cols, flags = norms.row_columns(block, keep, orders, kind)
    return block.shape[0], cols, flags


def spec_for_workers(spec):
    """The spec without what cannot travel (the progress bar, the note callback, stdin); a worker parses
    inline (a Dask worker is the parallelism, and may not start processes of its own)."""
    from .engines import Engine

    reader = spec.engine.reader if spec.engine is not None else "numpy"
    return replace(spec, progress=None, note=None, stdin=None, engine=Engine(reader, 1))


def _raise_first_error(futures, parts, the_plan, client, resubmit) -> None:
    """Wait for every partition; the first one (in file order) that failed raises, naming the true line."""
    import distributed

    distributed.wait(futures)
    for i, future in enumerate(futures):
        if future.status != "error":
            continue
        exc = future.exception()
        if isinstance(exc, PartFailed):
            part = parts[i]
            layout, (start, first) = the_plan.layouts[part.path]
            before = [client.submit(_count_lines, Partition(part.path, "text", s, min(s + PART_BYTES, part.start)),
                                    pure=False) for s in range(start, part.start, PART_BYTES)]
            line = first + sum(f.result() for f in before)
            retry = resubmit(part, layout, line)
            retry.result()  # raises the InputError with the file's own line number
            raise InputError(f"{part.name!r}: bad data in bytes {part.start} to {part.stop}")
        if isinstance(exc, NormcliError):
            raise exc
        future.result()  # anything else is a bug: let it show


def _listed(names) -> str:
    return ", ".join(repr(n) for n in names)


# --------------------------------------------------------------------------
# compare-models (on the client: the passes, then core decides)
# --------------------------------------------------------------------------
def compare(spec, cluster: Cluster, truth: str | None, *, shown, sort_by: str, baseline: str | None,
            loss: str | None, confidence: float, replicates: int | None, seed: int, horizon: int,
            part_bytes: int = PART_BYTES):
    """(Comparison, rows omitted, what was guessed of the columns or None) of the models in ``spec``'s files,
    in the passes of :mod:`normcli.core.mergeable`. Up to ``compare.RESAMPLE_LIMIT`` rows the rows are
    gathered and compared by the local code itself (the same numbers to the bit). Without -c, a first pass
    of :class:`~normcli.core.moments.ColumnFacts` leaves index-like columns out, as the local engine does."""
    from .core import compare as cmp
    from .core import mergeable

    the_plan = plan(spec, part_bytes)
    names = list(the_plan.names)
    if truth is not None and truth not in names:
        raise UsageError(f"--truth {truth!r} is not one of the selected columns ({_listed(names)}); with "
                         "--engine dask select it too (-c)")

    def roles(names):
        return (names.index(truth) if truth is not None else None), [m for m in names if m != truth]

    t, models = roles(names)
    if not models:
        raise UsageError("no model columns: every selected column is the truth")
    available = [m for m in cmp.METRICS if t is not None or m not in cmp.TRUTH_METRICS]
    chosen = list(shown) if shown else available
    wanted = chosen if sort_by in chosen else [*chosen, sort_by]
    errors = mergeable.ErrorPass(len(models), t, "median|e|" in wanted)
    guess = None
    if spec.columns:
        _, first, omitted, _ = reduce_with(spec, errors, cluster, the_plan)
    else:  # the column facts in the same pass: index-like columns are no models, as on the local engine
        _, (first, facts), omitted, _ = reduce_with(spec, mergeable.Joint(errors, mergeable.FactsPass()), cluster,
                                                    the_plan)
        if facts is not None:
            at = [j for j, name in enumerate(names) if name != truth]
            keep, guess = cmp.guess_from_facts(models, [facts[j] for j in at], truth is not None)
            if len(keep) < len(models):  # the errors again, of the models alone
                kept = {models[k] for k in keep} | ({truth} if truth is not None else set())
                spec = replace(spec, columns=tuple(m for m in names if m in kept))
                the_plan = plan(spec, part_bytes)
                t, models = roles(list(the_plan.names))
                _, first, omitted, _ = reduce_with(spec, mergeable.ErrorPass(len(models), t, errors.median),
                                                   cluster, the_plan)
    names = models
    n = first.n
    if n == 0:
        raise InputError(f"{spec.file!r} holds no data rows")
    if n <= cmp.RESAMPLE_LIMIT:
        import numpy as np

        _, rows, _, _ = reduce_with(spec, mergeable.GatherPass(), cluster, the_plan)
        table = np.concatenate(rows.blocks) if rows.blocks else np.empty((0, len(the_plan.names)))
        e, y = mergeable.errors_of(table, t)
        local = cmp.compare(names, e, y, shown=shown, sort_by=sort_by, baseline=baseline, loss=loss,
                            confidence=confidence, replicates=replicates, seed=seed, horizon=horizon)
        return local, omitted, guess
    medians = spread = None
    if "median|e|" in wanted:
        ranks = mergeable.median_wanted(n)
        located = [mergeable.median_bins(b, ranks) for b in first.median_bins]
        _, fine, _, _ = reduce_with(spec, mergeable.MedianPass(t, tuple(c for c, _ in located)), cluster, the_plan)
        medians = [mergeable.median_value(f, ranks, c, below) for f, (c, below) in zip(fine, located)]
    if "R^2" in wanted:
        _, acc, _, _ = reduce_with(spec, mergeable.SpreadPass(t, float(first.ysum / n)), cluster, the_plan)
        spread = acc.evaluate(2.0).value
    values = dict(zip(names, mergeable.metric_values(first, wanted, medians, spread)))
    ranks = cmp.rank([values[m][sort_by] for m in names], sort_by)
    loss = loss or cmp.default_loss(sort_by)
    result = cmp.Comparison(names, n, chosen, values, sort_by, ranks, loss=loss, confidence=confidence,
                            horizon=horizon)
    if len(names) == 1:
        result.notes.append("one model: metrics only (the tests need two or more)")
        return result, omitted, guess
    ref = cmp.reference(result, baseline)
    if ref is None:
        return result, omitted, guess
    others = tuple(j for j in range(len(names)) if j != ref)
    scales = tuple(mergeable.difference_scale(first, loss, j, ref) for j in others)
    shift = 0 if n <= mergeable.EXACT_RANKS else mergeable.COARSE_SHIFT
    centres = tuple(mergeable.difference_centre(first, loss, j, ref, sc) for j, sc in zip(others, scales))
    _, diffs, _, _ = reduce_with(spec, mergeable.DifferencePass(t, loss, ref, others, scales, shift, horizon, centres),
                                 cluster, the_plan)
    alpha = 1 - confidence
    tested = [mergeable.paired_tests(diffs, col, n, scales[col], shift, alpha, horizon) for col in range(len(others))]
    # resampled as the local engine resamples: every pair with --bootstrap B, else those whose differences are
    # too heavy-tailed for the large-sample interval (or, with --horizon, whose long-run variance is not
    # positive), with B bounded by the same budget; each row weighted where it is
    if replicates is not None:
        pick, b, note, why = list(range(len(others))), replicates, "", ""
    else:
        pick = [col for col, (mean, _, _, interval) in enumerate(tested) if interval is None and math.isfinite(mean)]
        b, note = cmp.DEFAULT_BOOTSTRAP, ""
        if n * b > cmp.RESAMPLE_BUDGET:
            b = max(200, cmp.RESAMPLE_BUDGET // n)
            note = " (fewer than 2000 to bound the time; --bootstrap B for more)"
        why = "resampled because the differences are too heavy-tailed for the large-sample interval; "
    if pick:
        _, state, _, _ = reduce_with(spec, mergeable.PoissonPass(t, loss, ref, tuple(others[c] for c in pick),
                                                                 tuple(scales[c] for c in pick), b, seed, horizon),
                                     cluster, the_plan)
        for col, interval in zip(pick, mergeable.poisson_intervals(state, [scales[c] for c in pick], alpha, b,
                                                                   note, why, horizon)):
            tested[col] = (*tested[col][:3], interval)
    for col, j in enumerate(others):
        mean, dm, wx, interval = tested[col]
        result.pairs.append(cmp.Pair(names[j], names[ref], mean, interval, dm, wx))
    return cmp.judged(result), omitted, guess


# --------------------------------------------------------------------------
# regstep --data (each step one reduction over rows held by the workers)
# --------------------------------------------------------------------------
class LinearData:
    """A linear model's rows (X, y) loaded once into the workers' memory, partition by partition (the client
    sends the file list, never the data); calling it with (w, b) gives the merged sums of the residual
    r = Xw + b - y that a full-batch gradient step needs: (n, sum r^2, X^T r, sum r)."""

    def __init__(self, spec, target: str, cluster: Cluster, part_bytes: int = PART_BYTES) -> None:
        the_plan = plan(spec, part_bytes)
        if target not in the_plan.names:
            raise UsageError(f"--target {target!r} is not one of the columns ({_listed(the_plan.names)})")
        self.names = [n for n in the_plan.names if n != target]
        if not self.names:
            raise UsageError("--data needs at least one feature column besides --target")
        self.features = len(self.names)
        t = the_plan.names.index(target)
        client = self.client = cluster.client
        work = spec_for_workers(spec)
        run = uuid.uuid4().hex
        self.parts = [client.submit(_load_linear, p, work, the_plan.layouts.get(p.path, (None,))[0], t, None,
                                    key=f"normcli-linear-{i}-{run}") for i, p in enumerate(the_plan.parts)]
        _raise_first_error(self.parts, the_plan.parts, the_plan, client,
                           lambda part, layout, line: client.submit(_load_linear, part, work, layout, t, line,
                                                                    pure=False))
        counts = _tree(client, _add, [client.submit(_linear_counts, f, pure=False) for f in self.parts])
        self.rows, self.omitted = counts
        if self.rows == 0:
            raise InputError(f"{spec.file!r} holds no data rows")

    def __call__(self, w, b):
        futures = [self.client.submit(_residual_sums, f, w, b, pure=False) for f in self.parts]
        return _tree(self.client, _add, futures)

    def solve(self, penalty, intercept: bool):
        """--solve: the closed-form ridge (w*, b*) of :func:`normcli.core.regularize.ridge_from_gram`, from the
        Gram matrix of the centered rows merged across partitions; when it is too ill-conditioned for the
        normal equations, from the triangular factor of a tree QR of the centered rows (TSQR: each partition's
        R, then R of the stacked pairs, up the tree), which is as accurate as a least-squares solve of the
        rows themselves."""
        from .core import regularize as reg
        from .core.errors import CoreError

        client = self.client
        n, sx, sy, bad = _tree(client, _add, [client.submit(_linear_sums, f, pure=False) for f in self.parts])
        if bad:
            raise CoreError("X and y must be finite")
        xbar, ybar = (sx / n, float(sy / n)) if intercept else (None, None)
        G, h = _tree(client, _add, [client.submit(_linear_gram, f, xbar, ybar, pure=False) for f in self.parts])

        def least_squares(lam: float):
            R = _tree(client, _stacked_r, [client.submit(_linear_r, f, xbar, ybar, pure=False) for f in self.parts])
            return reg.ridge_from_triangle(R, lam)

        return reg.ridge_from_gram(G, h, xbar, ybar, n, penalty, intercept, least_squares)


def _load_linear(part: Partition, spec, layout, target: int, first_line: int | None = None):
    """(X C-contiguous, y, rows omitted) of one partition; --nan omit drops a row whole."""
    import numpy as np

    blocks, _ = _part_blocks(part, spec, layout, first_line)
    data = [np.atleast_2d(b.T).T if b.ndim == 1 else b for b in blocks]
    data = [b for b in data if b.shape[0]]
    block = np.concatenate(data) if data else np.empty((0, 0))
    omitted = 0
    if spec.nan == "omit" and block.size:
        whole = np.isfinite(block).all(axis=1)
        omitted = int(block.shape[0] - whole.sum())
        block = block[whole]
    if block.shape[0] == 0:
        return np.empty((0, 0)), np.empty(0), omitted
    return np.ascontiguousarray(np.delete(block, target, axis=1)), np.ascontiguousarray(block[:, target]), omitted


def _linear_counts(loaded):
    return loaded[0].shape[0], loaded[2]


def _residual_sums(loaded, w, b):
    import numpy as np

    X, y, _ = loaded
    if X.shape[0] == 0:
        return 0, 0.0, np.zeros_like(w), 0.0
    with np.errstate(over="ignore", invalid="ignore"):
        r = X @ w
        if b is not None:
            r += b
        r -= y
        return X.shape[0], float(np.dot(r, r)), X.T @ r, float(r.sum())


def _linear_sums(loaded):
    """(rows, column sums of X, sum of y, non-finite values) of one partition."""
    import numpy as np

    X, y, _ = loaded
    if X.shape[0] == 0:
        return 0, 0.0, 0.0, 0
    bad = int(X.size - np.isfinite(X).sum() + y.size - np.isfinite(y).sum())
    return X.shape[0], X.sum(axis=0), float(y.sum()), bad


def _linear_gram(loaded, xbar, ybar):
    """(X^T X, X^T y) of one partition's rows (centered about the global means when given), block by block
    as the local engine forms them."""
    import numpy as np

    from .core import regularize as reg

    X, y, _ = loaded
    if X.shape[0] == 0:
        return 0.0, 0.0
    if xbar is None:
        return X.T @ X, X.T @ y
    d = X.shape[1]
    G, h = np.zeros((d, d)), np.zeros(d)
    for i in range(0, X.shape[0], reg._BLOCK):
        block = X[i:i + reg._BLOCK] - xbar
        G += block.T @ block
        h += block.T @ (y[i:i + reg._BLOCK] - ybar)
    return G, h


def _linear_r(loaded, xbar, ybar):
    """R of the QR decomposition of one partition's [X y] (centered when the means are given); None when empty."""
    import numpy as np

    X, y, _ = loaded
    if X.shape[0] == 0:
        return None
    if xbar is not None:
        X, y = X - xbar, y - ybar
    return np.linalg.qr(np.column_stack([X, y]), mode="r")


def _stacked_r(a, b):
    """R of [R_a; R_b]: the triangular factor of both partitions' rows (Q is never formed)."""
    import numpy as np

    if a is None or b is None:
        return b if a is None else a
    return np.linalg.qr(np.vstack([a, b]), mode="r")


def _add(a, b):
    return tuple(x + y for x, y in zip(a, b))
