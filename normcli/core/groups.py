"""Per-group norms (``--by``): one mergeable reduction per group, held as arrays, updated block by block.

:class:`GroupAccumulator` is :class:`~normcli.core.norms.NormAccumulator`
for many vectors at once: cell ``i`` (a group, or a group and a column) has
a count, the non-zero, nan and inf counts, max and min |x|, and per finite
non-zero order p a power-of-two scale and an extended-precision scaled sum
(the sum of the logarithms for the geometric mean), each an array indexed
by cell. A block of values with their cell ids is sorted by cell once and
reduced with ``np.add.reduceat`` / ``np.maximum.reduceat``; each cell's part
of the block is then merged into the cell as NormAccumulator merges a
chunk: the scale of the extreme value is kept, and a sum whose scale grows
is rescaled by (old / new)^p, exactly for integer p (a power of two).

The per-chunk terms are the float64 terms NormAccumulator sums, summed in
the same extended precision; only the order of the additions differs
(``reduceat`` adds in sequence, ``ndarray.sum`` pairwise), so a result is
the same double as NormAccumulator's or, rarely, one ulp from it (an
extended sum whose last-bit difference falls across a float64 rounding
boundary). Memory: 48 bytes per cell, plus 24 per finite non-zero order
(a float64 scale and a long double sum stored in 16 bytes), plus 24 for
the geometric mean; no Python object per cell.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from .errors import CoreError
from .norms import INF, SMALL_P, column_name, count_column, order_notes
from .norms import combine as _combine
from .norms import geometric as _geometric
from .norms import log_parts as _log_parts
from .norms import scales as _scales
from .norms import terms as _terms
from .norms import tiny_terms as _tiny_terms
from .precision import EXT, rows_to_float64
from .result import ColumnBatch, Result

#: Rows of output handed to render at a time.
OUTPUT_BATCH = 1 << 15


class GroupAccumulator:
    """NormAccumulator of ``size`` cells at once; :meth:`add` takes values and their cell ids.

    >>> acc = GroupAccumulator([2.0])
    >>> acc.add(np.array([0, 1, 0]), np.array([3.0, 1.0, 4.0]))
    >>> acc.evaluate(2.0)[0].tolist()
    [5.0, 1.0]
    """

    def __init__(self, orders: Sequence[float], size: int = 0) -> None:
        self.orders = tuple(float(p) for p in orders)
        self.powers = tuple(dict.fromkeys(p for p in self.orders if math.isfinite(p) and p != 0))
        self.geometric = 0.0 in self.orders
        self.size = 0
        self._cap = 0
        self.count = self.nonzero = self.nans = self.infs = np.zeros(0, np.int64)
        self.maxabs = self.minabs = np.zeros(0)
        self.scale: dict[float, np.ndarray] = {}
        self.total: dict[float, np.ndarray] = {}
        self.log_total = np.zeros(0, EXT)
        self.log2_total = np.zeros(0, np.int64)
        self._grow(size)

    # -- storage -----------------------------------------------------------
    def _grow(self, size: int) -> None:
        """Room for cells 0 .. size - 1 (capacity doubled, so growing one at a time costs O(1) each)."""
        if size <= self._cap:
            self.size = max(self.size, size)
            return
        cap = max(size, 2 * self._cap, 1024)

        def grown(a: np.ndarray, fill) -> np.ndarray:
            out = np.full(cap, fill, dtype=a.dtype)
            out[: a.size] = a
            return out

        self.count, self.nonzero = grown(self.count, 0), grown(self.nonzero, 0)
        self.nans, self.infs = grown(self.nans, 0), grown(self.infs, 0)
        self.maxabs, self.minabs = grown(self.maxabs, 0.0), grown(self.minabs, INF)
        for p in self.powers:
            self.scale[p] = grown(self.scale.get(p, np.zeros(0)), 1.0)
            self.total[p] = grown(self.total.get(p, np.zeros(0, EXT)), 0)
        if self.geometric:
            self.log_total, self.log2_total = grown(self.log_total, 0), grown(self.log2_total, 0)
        self._cap = cap
        self.size = size

    def nbytes(self) -> int:
        """The bytes the state takes (at the current capacity)."""
        arrays = [self.count, self.nonzero, self.nans, self.infs, self.maxabs, self.minabs,
                  *self.scale.values(), *self.total.values()]
        if self.geometric:
            arrays += [self.log_total, self.log2_total]
        return sum(a.nbytes for a in arrays)

    def kept(self) -> np.ndarray:
        """The finite non-zero entries of each cell: those in the power sums."""
        return self.nonzero[: self.size] - self.infs[: self.size]

    # -- feeding -----------------------------------------------------------
    def add(self, ids: np.ndarray, values: np.ndarray) -> None:
        """Reduce ``values`` (float64) into the cells ``ids`` (non-negative ints of the same length)."""
        ids = np.asarray(ids).ravel()
        a = np.abs(np.asarray(values, dtype=np.float64).ravel())
        if a.size == 0:
            return
        if ids.size != a.size:
            raise CoreError("every value needs a group id")
        self._grow(int(ids.max()) + 1)
        if ids.size > 1 and np.any(ids[1:] < ids[:-1]):
            # stable: a cell's values keep their order; numpy radix-sorts 16-bit keys
            low = int(ids.min())
            key = ids - low if low else ids
            span = int(key.max())
            key = key.astype(np.uint16 if span < 1 << 16 else np.int32 if span < 1 << 31 else np.int64)
            order = np.argsort(key, kind="stable")
            ids, a = ids[order], a[order]
        starts = np.flatnonzero(np.concatenate(([True], ids[1:] != ids[:-1])))
        cells = ids[starts]
        m = np.diff(np.append(starts, ids.size))
        finite = np.isfinite(a)
        all_finite = bool(finite.all())

        def total(mask) -> np.ndarray:
            return np.add.reduceat(mask.astype(np.int64), starts)

        if all_finite:
            af = a
            nans = infs = np.zeros(cells.size, np.int64)
        else:
            nan_mask = np.isnan(a)
            nans = total(nan_mask)
            infs = total(~finite & ~nan_mask)
            af = np.where(finite, a, 0.0)
        pos_mask = af > 0
        kept = total(pos_mask)
        old_kept = self.nonzero[cells] - self.infs[cells]
        self.count[cells] += m
        self.nans[cells] += nans
        self.infs[cells] += infs
        self.nonzero[cells] += kept + infs
        hi = np.maximum.reduceat(af, starts)  # finite max (0 when nothing finite)
        self.maxabs[cells] = np.maximum(self.maxabs[cells], np.where((nans > 0) | (infs > 0), INF, hi))
        self.minabs[cells] = np.minimum(self.minabs[cells],
                                        np.minimum.reduceat(a if all_finite else np.where(finite, a, INF), starts))
        live = kept > 0  # the cells of this block with terms
        if not live.any():
            return
        lo = None
        if any(p < 0 for p in self.powers) or any(abs(p) < SMALL_P for p in self.powers):
            lo = np.minimum.reduceat(np.where(pos_mask, af, INF), starts)
        seg = np.repeat(np.arange(cells.size), m)  # each value's segment
        for p in self.powers:
            self._add_order(p, cells, starts, seg, af, pos_mask, kept, old_kept, hi, lo, live)
        if self.geometric:
            safe = np.where(pos_mask, af, 1.0)  # ln 1 = 0, exponent 0: nothing added
            logs, exps = _log_parts(safe)
            self.log_total[cells] += np.add.reduceat(logs, starts)
            self.log2_total[cells] += np.add.reduceat(exps.astype(np.int64), starts)

    def _add_order(self, p, cells, starts, seg, af, pos_mask, kept, old_kept, hi, lo, live) -> None:
        scale, total = self.scale[p], self.total[p]
        if abs(p) < SMALL_P:
            # The first chunk's center serves all (as NormAccumulator.add): 2^round(mean log2 |x|).
            e = np.where(pos_mask, np.frexp(af)[1].astype(np.int64) - 1, 0)
            esum = np.add.reduceat(e, starts)
            k = (2 * esum + kept) // (2 * np.maximum(kept, 1))
            center = np.ldexp(1.0, k)
            fresh = live & (old_kept == 0)
            scale[cells[fresh]] = center[fresh]
            chunk_scale = scale[cells]
            terms = _tiny_terms(np.where(pos_mask, af, 1.0), p, chunk_scale[seg])
            terms = np.where(pos_mask, terms, 0)
            sums = np.add.reduceat(terms.astype(EXT), starts)
            total[cells[live]] += sums[live]
            return
        chunk_scale = _scales(hi if p > 0 else lo, p)
        chunk_scale = np.where(live, chunk_scale, 1.0)
        with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
            scaled = af / chunk_scale[seg] if p > 0 else np.where(pos_mask, af, 1.0) / chunk_scale[seg]
            terms = _terms(scaled, p)
        if p < 0:
            terms = np.where(pos_mask, terms, 0)
        sums = np.add.reduceat(terms.astype(EXT) if terms.dtype != EXT else terms, starts)
        c = cells[live]
        s_new, t_new = chunk_scale[live], sums[live]
        s_old, t_old = scale[c], total[c]
        first = old_kept[live] == 0
        keep_new = (s_new > s_old) if p > 0 else (s_new < s_old)
        same = s_new == s_old
        with np.errstate(all="ignore"):
            # (num / den)^p in the sums' precision: exact for integer p (powers of two)
            r_old = (s_old.astype(EXT) / s_new.astype(EXT)) ** EXT(p)  # old sum to the new scale
            r_new = (s_new.astype(EXT) / s_old.astype(EXT)) ** EXT(p)  # new sum to the old scale
            merged = np.where(keep_new, t_new + t_old * r_old, np.where(same, t_old + t_new, t_old + t_new * r_new))
        total[c] = np.where(first, t_new, merged)
        scale[c] = np.where(first | keep_new, s_new, s_old)

    # -- results -----------------------------------------------------------
    def evaluate(self, p: float, kind: str = "norm") -> tuple[np.ndarray, np.ndarray]:
        """Every cell's norm (``kind="norm"``), ``power`` or ``mean``: (float64 values, out of range).

        As :meth:`NormAccumulator.evaluate`, cell by cell; a cell with no
        values gives nan (NormAccumulator refuses an empty vector).
        """
        p = float(p)
        if kind not in ("norm", "power", "mean"):
            raise CoreError(f"unknown kind {kind!r}")
        if kind == "power" and math.isinf(p):
            raise CoreError("||x||_p^p is not defined for p = inf or -inf")
        g = self.size
        n, nonzero, nans, infs = self.count[:g], self.nonzero[:g], self.nans[:g], self.infs[:g]
        zeros = n - nonzero - nans
        out = np.full(g, np.nan)
        flags = np.zeros(g, bool)
        todo = (n > 0) & (nans == 0)

        def settle(mask, value) -> None:
            nonlocal todo
            mask = mask & todo
            out[mask] = value[mask] if isinstance(value, np.ndarray) else value
            todo = todo & ~mask

        if p == INF:
            settle(todo, np.where(infs > 0, INF, self.maxabs[:g]))
            return out, flags
        if p == -INF:
            settle(todo, self.minabs[:g])
            return out, flags
        if p == 0:
            if kind != "mean":
                settle(todo, nonzero.astype(np.float64))
                return out, flags
            settle(zeros > 0, 0.0)
            settle(infs > 0, INF)
            for idx in _slices(np.flatnonzero(todo)):
                exact = _geometric(self.log_total[idx], self.log2_total[idx], n[idx])
                out[idx], flags[idx] = _rounded(exact)
            return out, flags
        if p > 0:
            settle(infs > 0, INF)
        settle(infs == n, 0.0 if kind == "power" else INF)
        if p < 0:
            settle(zeros > 0, INF if kind == "power" else 0.0)
        settle(nonzero == 0, 0.0)
        for idx in _slices(np.flatnonzero(todo)):  # slices: the extended temporaries stay small
            empty = (zeros + infs)[idx]
            with np.errstate(all="ignore"):
                exact = _combine(self.total[p][idx], self.scale[p][idx], p, kind, n[idx], empty)
            out[idx], flags[idx] = _rounded(exact)
        return out, flags


def _slices(idx: np.ndarray, step: int = 1 << 16):
    """``idx`` in pieces of ``step``."""
    for start in range(0, idx.size, step):
        yield idx[start : start + step]


def _rounded(exact) -> tuple[np.ndarray, np.ndarray]:
    """float64 values and out-of-range flags of non-zero extended results (0 or inf there is range loss)."""
    values, flags = rows_to_float64(np.asarray(exact))
    return values, flags | (values == 0) | np.isinf(values)


def reduce_groups(chunks, ncols: int, orders: Sequence[float], omit: bool = False
                  ) -> tuple[GroupAccumulator, np.ndarray]:
    """Reduce (group ids, (rows x ncols) values) blocks: cell ``g * ncols + j`` is column j of group g.

    ``omit``: non-finite values are left out (a group keeps its cells even
    if none is left). Returns the accumulator and the values left out per
    column.
    """
    acc = GroupAccumulator(orders)
    left_out = np.zeros(ncols, dtype=np.int64)
    for gids, values in chunks:
        values = np.asarray(values, dtype=np.float64).reshape(len(gids), ncols)
        if ncols == 1:
            cells = np.asarray(gids)
        else:
            cells = (np.asarray(gids)[:, None] * ncols + np.arange(ncols)[None, :]).ravel()
        flat = values.ravel()
        if omit:
            finite = np.isfinite(flat)
            if not finite.all():
                acc._grow((int(np.max(gids)) + 1) * ncols)
                left_out += (~np.isfinite(values)).sum(axis=0)
                cells, flat = cells[finite], flat[finite]
        acc.add(cells, flat)
    return acc, left_out


# --------------------------------------------------------------------------
# The result of `norm --by`
# --------------------------------------------------------------------------
class KeyedBatch(ColumnBatch):
    """A batch of groups held column by column, the key first: plain output shows every column, key first.

    ``columns[0]`` is the first key column (an object array of text), the
    label of each row for the table, csv and json, which carry it under the
    key column's name; further key columns and the value column's name (for
    several columns) come next, then the values.
    """

    def rows(self) -> list[tuple]:
        return list(zip(*(c.tolist() for c in self.columns)))


def groups_table(key_names: Sequence[str], keys: Sequence, names: Sequence[str], acc: GroupAccumulator,
                 orders: Sequence[float], kind: str = "norm", order: np.ndarray | None = None,
                 omitted: bool = False) -> Result:
    """One row per group (and column, when there are several): the key(s), the column, one value per order.

    ``keys[g]`` is group g's key (a str, or a tuple of str for several key
    columns); cell ``g * len(names) + j`` of ``acc`` holds column j of
    group g. ``order``: the groups in the order to show (default: as
    numbered). ``omitted``: --nan omit was in force (a group it left empty
    gets nan and a note).
    """
    k = len(names)
    compound = len(key_names) > 1
    title = (_title_of(orders, kind) + " by " + ", ".join(repr(n) for n in key_names))
    value_columns = [column_name(p, kind) for p in orders]
    columns = [*key_names[1:], *(["column"] if k > 1 else []), *value_columns]
    result = Result(title, columns, label=key_names[0], notes=order_notes(orders, kind))
    n_groups = len(keys)
    if n_groups == 0:
        raise CoreError("the input holds no data rows")
    cells_values = []
    for p in orders:
        values, flags = acc.evaluate(p, kind)
        values = values[: n_groups * k]
        cells_values.append(count_column(values) if p == 0 and kind != "mean" else values)
        _flag_warnings(result, values, flags[: n_groups * k], column_name(p, kind), keys, names, key_names)
    empty = np.flatnonzero(acc.count[: n_groups * k] == 0)
    if empty.size:
        shown = ", ".join(_cell_name(int(i), keys, names, key_names) for i in empty[:5])
        more = f" and {empty.size - 5} more" if empty.size > 5 else ""
        why = " after --nan omit" if omitted else ""
        result.notes.append(f"{shown}{more}: no values left{why}, so the results are nan")
    groups = np.arange(n_groups) if order is None else np.asarray(order)

    def batches():
        for start in range(0, n_groups, OUTPUT_BATCH):
            gs = groups[start : start + OUTPUT_BATCH]
            cells = (gs[:, None] * k + np.arange(k)[None, :]).ravel()
            key_rows = [keys[g] for g in gs.tolist()]
            cols = []
            for c in range(len(key_names)):
                text = np.empty(len(key_rows), dtype=object)
                text[:] = [r[c] for r in key_rows] if compound else key_rows
                cols.append(np.repeat(text, k))
            if k > 1:
                cols.append(np.tile(np.array(list(names), dtype=object), len(gs)))
            cols.extend(v[cells] for v in cells_values)
            yield KeyedBatch(0, cols)

    result.batches = batches()
    return result


def _title_of(orders, kind) -> str:
    from .norms import title as _title

    return _title(orders, kind)


def _cell_name(i: int, keys, names, key_names) -> str:
    k = len(names)
    key = keys[i // k]
    shown = ", ".join(repr(x) for x in key) if len(key_names) > 1 else repr(key)
    return f"{shown} ({names[i % k]!r})" if k > 1 else shown


def _flag_warnings(result: Result, values, flags: np.ndarray, column: str, keys, names, key_names) -> None:
    bad = np.flatnonzero(flags)
    for i in bad[:5]:
        why = ("the result exceeds the float64 range (about 1.8e308)" if values[i] != 0
               else "the result is below the smallest float64 and rounds to 0")
        result.warnings.append(f"{column} of {_cell_name(int(i), keys, names, key_names)}: {why}")
    if bad.size > 5:
        result.warnings.append(f"{column}: {bad.size - 5} more results are outside the float64 range")


__all__ = ["GroupAccumulator", "KeyedBatch", "groups_table"]


# --------------------------------------------------------------------------
# compare-models --by: the comparison of each group, and of all rows
# --------------------------------------------------------------------------
#: The key shown on the rows of the comparison over all the rows.
OVERALL = "(all)"


def compare_groups(key_names: Sequence[str], keys: Sequence, gids: np.ndarray, names: Sequence[str], errors,
                   truth=None, order: np.ndarray | None = None, **options) -> Result:
    """compare-models per group: each group's metrics, ranking and tests, then those of all rows.

    ``gids[i]`` is the group of row i of ``errors`` (n x models) and
    ``keys[g]`` its key; ``options`` go to :func:`compare.compare`. The
    p-values of the tests are Holm-adjusted over every group and model
    together (the comparison of all rows is adjusted on its own), and the
    verdicts use the adjusted DM-HLN p.
    """
    from . import compare

    e = np.asarray(errors, dtype=np.float64)
    gids = np.asarray(gids)
    y = None if truth is None else np.asarray(truth, dtype=np.float64)
    n_groups = len(keys)
    rows_of = np.argsort(gids, kind="stable")
    bounds = np.searchsorted(gids[rows_of], np.arange(n_groups + 1))
    shown_order = range(n_groups) if order is None else [int(g) for g in order]
    comps: list[tuple[object, object]] = []
    empty: list[str] = []
    for g in shown_order:
        idx = rows_of[bounds[g] : bounds[g + 1]]
        key = keys[g]
        if idx.size == 0:
            empty.append(_key_text(key, key_names))
            continue
        comps.append((key, compare.compare(names, e[idx], None if y is None else y[idx], **options)))
    overall = compare.compare(names, e, y, **options)
    pairs = [p for _, c in comps for p in c.pairs]
    alpha = 1 - overall.confidence
    if pairs:
        for attr, src in (("dm_holm", "dm"), ("wilcoxon_holm", "wilcoxon")):
            for p, a in zip(pairs, compare.holm([getattr(p, src).p for p in pairs])):
                setattr(p, attr, a)
        for p in pairs:
            p.verdict, p.sentence = compare.verdict(p, alpha, True)
    all_comps = [*comps, (OVERALL if len(key_names) == 1 else (OVERALL,) * len(key_names), overall)]
    return _comparisons_result(key_names, all_comps, overall, len(pairs), empty)


def _key_text(key, key_names) -> str:
    return ", ".join(repr(k) for k in key) if len(key_names) > 1 else repr(key)


def _comparisons_result(key_names, comps, overall, n_pairs: int, empty: list[str]) -> Result:
    from . import compare

    first = overall
    metric_columns = list(first.shown) + ([first.sort_by] if first.sort_by not in first.shown else [])
    tests = any(c.pairs for _, c in comps)
    columns = [*key_names[1:], "rank", "model", "n", *metric_columns, *(["verdict"] if tests else [])]
    rows, highlight = [], []
    test_rows = []
    for key, c in comps:
        key_cells = tuple(key) if len(key_names) > 1 else (key,)
        order = sorted(range(len(c.names)), key=lambda j: (c.ranks[j] is None, c.ranks[j] or 0, j))
        verdicts = {p.model: p.verdict for p in c.pairs}
        if c.pairs:
            verdicts[c.reference] = "reference"
        for j in order:
            v = c.values[c.names[j]]
            if c.ranks[j] == 1:
                highlight.append(len(rows))
            row = (*key_cells, c.ranks[j], c.names[j], c.n, *(v[m] for m in metric_columns))
            rows.append((*row, verdicts.get(c.names[j], "")) if tests else row)
        for p in c.pairs:
            ci = p.interval
            alone = len(c.pairs) == 1 and p.dm_holm is None  # one comparison: adjusted = raw
            test_rows.append((*key_cells, p.model, p.reference, p.mean_diff, ci.low if ci else None,
                              ci.high if ci else None, p.dm.statistic, p.dm.p, p.dm.p if alone else p.dm_holm,
                              p.wilcoxon.statistic, p.wilcoxon.p, p.wilcoxon.p if alone else p.wilcoxon_holm,
                              p.verdict))
    # plain: the key(s), the model, the ranking metric and the verdict, one model of one group per line
    plain = [*range(len(key_names)), len(key_names) + 1, len(key_names) + 3 + metric_columns.index(first.sort_by)]
    if tests:
        plain.append(len(key_names) + len(columns) - 1)
    by = ", ".join(repr(k) for k in key_names)
    result = Result(f"models ranked by {first.sort_by}, by {by} (and {OVERALL!r}: every row)", columns,
                    label=key_names[0], highlight=highlight, digits=6, hidden=["verdict"] if tests else [],
                    plain=plain)
    result.batches = iter([_keyed_rows(rows)] if rows else [])
    result.rows = []
    result.notes.append(compare.metric_note(first))
    result.notes.append(f"{OVERALL!r}: the comparison of every row, all groups together")
    if empty:
        result.notes.append(f"no rows left after --nan omit in {', '.join(empty[:5])}"
                            f"{f' and {len(empty) - 5} more' if len(empty) > 5 else ''}: left out")
    for _, c in comps:
        result.warnings += [f"{w}" for w in c.warnings]
    if tests:
        alpha = 1 - first.confidence
        test_columns = [*key_names[1:], "model", "vs", "mean diff", "CI low", "CI high", "DM-HLN t", "DM p",
                        "DM p (Holm)", "Wilcoxon W", "Wilcoxon p", "Wilcoxon p (Holm)", "verdict"]
        notes = [
            f"loss per observation: {first.loss}; mean diff = mean loss of the model minus that of the reference "
            f"of its group (positive: the model is worse); significance at {alpha:.10g}",
            f"Holm: the p-values of the {n_pairs} comparisons of the groups (every group, every model against its "
            "group's reference) adjusted together; those of "
            f"{OVERALL!r} over its own {len(overall.pairs)}; the verdicts use the adjusted DM-HLN p",
            "DM-HLN: Diebold-Mariano with the Harvey-Leybourne-Newbold correction, two-sided; Wilcoxon: signed-rank "
            "test, zeros discarded, two-sided",
        ]
        mismatch = compare.loss_mismatch(first.sort_by, first.loss)
        if mismatch:
            notes.append(mismatch)
        tests_result = Result(f"paired tests against each group's reference, by {by}", test_columns,
                              label=key_names[0], notes=notes, digits=4, hidden=["vs"])
        tests_result.batches = iter([_keyed_rows(test_rows)] if test_rows else [])
        result.extra.append(tests_result)
    return result


def _keyed_rows(rows: list[tuple]) -> KeyedBatch:
    """Rows (the key first) as a :class:`KeyedBatch`: plain output then shows the key too."""
    if not rows:
        return KeyedBatch(0, [])
    cols = []
    for column in zip(*rows):
        arr = np.empty(len(column), dtype=object)
        arr[:] = list(column)
        cols.append(arr)
    return KeyedBatch(0, cols)


# --------------------------------------------------------------------------
# dist --by and normalize --by: each group's rows through the command's own core code
# --------------------------------------------------------------------------
def group_rows(gids, n_groups: int) -> list[np.ndarray]:
    """The rows of each group (indices into ``gids``, in input order): ``group_rows(g)[k]`` for group k.

    >>> [r.tolist() for r in group_rows(np.array([1, 0, 1, 2]), 4)]
    [[1], [0, 2], [3], []]
    """
    gids = np.asarray(gids)
    rows_of = np.argsort(gids, kind="stable")
    bounds = np.searchsorted(gids[rows_of], np.arange(n_groups + 1))
    return [rows_of[bounds[g] : bounds[g + 1]] for g in range(n_groups)]


def _key_columns(key_names: Sequence[str], keys: Sequence, picked: Sequence[int]) -> list[np.ndarray]:
    """The key column(s) of the groups ``picked``, as object arrays of text."""
    cols = []
    rows = [keys[g] for g in picked]
    for c in range(len(key_names)):
        text = np.empty(len(rows), dtype=object)
        text[:] = [r[c] for r in rows] if len(key_names) > 1 else rows
        cols.append(text)
    return cols


def _empty_note(empty: list[str], omitted: bool) -> str:
    shown = ", ".join(empty[:5]) + (f" and {len(empty) - 5} more" if len(empty) > 5 else "")
    why = " after --nan omit" if omitted else ""
    return f"{shown}: no values left{why}, so the results are nan"


def distance_groups(key_names: Sequence[str], keys: Sequence, gids, a, b, orders: Sequence[float],
                    names: Sequence[str] = ("A", "B"), order: Sequence[int] | None = None,
                    omitted: bool = False) -> Result:
    """``dist --by``: ||a - b||_p of each group's rows, one row per group, the key(s) first.

    Each group goes through :func:`normcli.core.distances.distance` on its
    rows alone (in input order), so its numbers are those of ``dist`` on
    those rows, overflowing differences included. A group with no rows
    (--nan omit left none) gets nan and a note.
    """
    from .distances import _distance_notes, _order, distance

    orders = [_order(p) for p in orders]
    a, b = np.asarray(a, dtype=np.float64).ravel(), np.asarray(b, dtype=np.float64).ravel()
    if a.size != b.size:
        raise CoreError(f"{names[0]} has {a.size} values but {names[1]} has {b.size}")
    n_groups = len(keys)
    if n_groups == 0:
        raise CoreError("the input holds no data rows")
    first, second = names
    from .norms import order_name

    by = ", ".join(repr(n) for n in key_names)
    if len(orders) == 1:
        name = order_name(orders[0])
        title = f"L{name} distance ||{first} - {second}||_{name} by {by}"
    else:
        title = f"Lp distances ||{first} - {second}||_p, p = {', '.join(order_name(p) for p in orders)}, by {by}"
    result = Result(title, [*key_names[1:], *(column_name(p, "norm") for p in orders)], label=key_names[0],
                    notes=_distance_notes(orders))
    rows = group_rows(np.asarray(gids), n_groups)
    values = [np.full(n_groups, np.nan) for _ in orders]
    empty, bad = [], 0
    for g, idx in enumerate(rows):
        if idx.size == 0:
            empty.append(_key_text(keys[g], key_names))
            continue
        ag, bg = a[idx], b[idx]
        for j, p in enumerate(orders):
            out = distance(ag, bg, p)
            values[j][g] = out.value
            if out.note:
                bad += 1
                if bad <= 5:
                    result.warnings.append(f"{column_name(p, 'norm')} of {_key_text(keys[g], key_names)}: {out.note}")
    if bad > 5:
        result.warnings.append(f"{bad - 5} more results are outside the float64 range")
    if empty:
        result.notes.append(_empty_note(empty, omitted))
    values = [count_column(v) if p == 0 else v for v, p in zip(values, orders)]
    result.batches = _group_batches(key_names, keys, values, order)
    return result


def hamming_groups(key_names: Sequence[str], keys: Sequence, gids, a, b, names: Sequence[str] = ("A", "B"),
                   order: Sequence[int] | None = None, omitted: bool = False) -> Result:
    """``dist --hamming --by``: each group's count of a_i != b_i and its share (as ``hamming_result``)."""
    a, b = np.asarray(a, dtype=np.float64).ravel(), np.asarray(b, dtype=np.float64).ravel()
    n_groups = len(keys)
    if n_groups == 0:
        raise CoreError("the input holds no data rows")
    gids = np.asarray(gids, dtype=np.int64)
    n = np.bincount(gids, minlength=n_groups)
    count = np.bincount(gids, weights=(a != b), minlength=n_groups).astype(np.int64)
    with np.errstate(invalid="ignore", divide="ignore"):
        fraction = np.where(n > 0, count / np.maximum(n, 1), np.nan)
    first, second = names
    notes = [f"count: the components where {first}_i != {second}_i in each group (the Hamming distance); "
             "fraction: count / n, as scipy.spatial.distance.hamming."]
    if np.isnan(a).any() or np.isnan(b).any():
        notes.append("a nan differs from everything, itself included (IEEE !=, as scipy counts it).")
    by = ", ".join(repr(k) for k in key_names)
    result = Result(f"Hamming distance between {first} and {second} by {by}", [*key_names[1:], "count", "fraction"],
                    label=key_names[0], notes=notes)
    empty = [_key_text(keys[g], key_names) for g in np.flatnonzero(n == 0).tolist()]
    counts = count_column(np.where(n > 0, count.astype(np.float64), np.nan))
    if empty:
        result.notes.append(_empty_note(empty, omitted))
    result.batches = _group_batches(key_names, keys, [counts, fraction], order)
    return result


def _group_batches(key_names, keys, values: list[np.ndarray], order):
    n_groups = len(keys)
    groups = np.arange(n_groups) if order is None else np.asarray(order, dtype=np.int64)
    for start in range(0, n_groups, OUTPUT_BATCH):
        gs = groups[start : start + OUTPUT_BATCH]
        yield KeyedBatch(0, [*_key_columns(key_names, keys, gs.tolist()), *(v[gs] for v in values)])


def normalize_groups(key_names: Sequence[str], keys: Sequence, gids, x, p: float = 2.0,
                     order: Sequence[int] | None = None, omitted: bool = False) -> Result:
    """``normalize --by``: each group's vector divided by its own p-norm, one row per input row, the key first.

    Each group goes through the unit vector of ``normalize`` on its rows
    alone, so its numbers are those of ``normalize`` on those rows; a zero
    group stays zero, with a note. The rows come in input order (with
    ``order``: group by group in that order, each group's rows in input
    order). Plain output: the key(s) and the unit-vector component. A
    group with no rows left (--nan omit) has no line, and a note.
    """
    from .distances import _P0_MESSAGE, _normalize_notes, _order, _unit
    from .norms import order_name

    p = _order(p)
    if p == 0:
        raise CoreError(_P0_MESSAGE)
    x = np.asarray(x, dtype=np.float64).ravel()
    gids = np.asarray(gids, dtype=np.int64)
    n_groups = len(keys)
    if x.size == 0 or n_groups == 0:
        raise CoreError("the input holds no data rows")
    name = order_name(p)
    by = ", ".join(repr(k) for k in key_names)
    result = Result(f"L{name} unit vectors x / ||x||_{name} of each group, by {by}",
                    [*key_names[1:], "x", "normalized", f"L{name}"], label=key_names[0],
                    plain=[*range(len(key_names)), len(key_names) + 1], notes=_normalize_notes(p))
    rows = group_rows(gids, n_groups)
    y = np.empty_like(x)
    group_norm = np.full(n_groups, np.nan)
    zeros, warned, empty = [], set(), []
    for g, idx in enumerate(rows):
        if idx.size == 0:
            empty.append(_key_text(keys[g], key_names))
            continue
        xg = x[idx]
        if not np.isfinite(xg).all():
            raise CoreError(f"group {_key_text(keys[g], key_names)} holds a non-finite value (nan or inf): "
                            "it has no unit vector")
        yg, out, notes, warnings = _unit(xg, p)
        y[idx] = yg
        group_norm[g] = out.value
        if notes and out.value == 0 and out.note is None:
            zeros.append(_key_text(keys[g], key_names))
        for w in warnings:
            if w not in warned and len(warned) < 5:
                warned.add(w)
                result.warnings.append(f"{w} (group {_key_text(keys[g], key_names)})")
    if zeros:
        shown = ", ".join(zeros[:5]) + (f" and {len(zeros) - 5} more" if len(zeros) > 5 else "")
        why = "the zero vector stays zero, as scikit-learn's normalize does" if p > 0 else \
            "a zero entry makes ||x||_p 0 for p < 0"
        result.notes.append(f"{len(zeros)} group(s) with ||x||_{name} = 0 left unchanged ({why}): {shown}")
    if empty:
        shown = ", ".join(empty[:5]) + (f" and {len(empty) - 5} more" if len(empty) > 5 else "")
        why = " after --nan omit" if omitted else ""
        result.notes.append(f"{shown}: no values left{why}, so the group has no unit vector and no line")
    if order is None:
        picked = np.arange(x.size)
    else:
        picked = np.concatenate([rows[g] for g in order]) if n_groups else np.zeros(0, np.int64)
    key_cols = _key_columns(key_names, keys, range(n_groups))

    def batches():
        for start in range(0, picked.size, OUTPUT_BATCH):
            i = picked[start : start + OUTPUT_BATCH]
            g = gids[i]
            yield KeyedBatch(0, [*(c[g] for c in key_cols), x[i], y[i], group_norm[g]])

    result.batches = batches()
    return result
