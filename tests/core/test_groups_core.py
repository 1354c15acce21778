"""core.groups: GroupAccumulator against one NormAccumulator per group.

The reference is NormAccumulator fed each group's part of each block, in
order (what ``norm`` without --by does with each group's vector read in the
same blocks). Both sum the same float64 terms in the same extended
precision and rescale by the same powers; only the order of the additions
differs (``np.add.reduceat`` in sequence, ``ndarray.sum`` pairwise), so
results must be the same double or one ulp apart. Here every case is
identical; the check allows 1 ulp.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from normcli.core.errors import CoreError
from normcli.core.groups import GroupAccumulator, groups_table, reduce_groups
from normcli.core.norms import NormAccumulator

ORDERS = [1.0, 2.0, math.inf, -math.inf, 0.0, 0.5, 3.0, -1.0, 0.1, -0.2, 1500.0]
KINDS = ("norm", "power", "mean")


def _ulps(a: float, b: float) -> int:
    if math.isnan(a) or math.isnan(b):
        return 0 if math.isnan(a) and math.isnan(b) else 1 << 62
    if a == b:
        return 0
    if math.isinf(a) or math.isinf(b) or (a < 0) != (b < 0):
        return 1 << 62
    ia, ib = np.array([a, b]).view(np.int64)
    return abs(int(ia) - int(ib))


def _check(blocks, n_groups: int, orders=ORDERS) -> int:
    """Feed both, compare every group, order and kind; return how many results were compared."""
    acc = GroupAccumulator(orders)
    refs = [NormAccumulator(orders) for _ in range(n_groups)]
    for ids, values in blocks:
        acc.add(ids, values)
        for g in np.unique(ids):
            refs[g].add(values[ids == g])
    compared = 0
    for kind in KINDS:
        for p in orders:
            if kind == "power" and math.isinf(p):
                continue
            got, _ = acc.evaluate(p, kind)
            for g in range(n_groups):
                if refs[g].count == 0:
                    assert math.isnan(got[g])
                    continue
                want = refs[g].evaluate(p, kind).value
                assert _ulps(float(got[g]), float(want)) <= 1, (kind, p, g, got[g], want)
                compared += 1
    return compared


def _blocks(rng, n_blocks: int, n_groups: int, make):
    out = []
    for _ in range(n_blocks):
        n = int(rng.integers(1, 500))
        out.append((rng.integers(0, n_groups, n), make(n)))
    return out


@pytest.mark.parametrize("seed", range(4))
def test_groups_spanning_many_blocks_match_norm_accumulator(seed):
    rng = np.random.default_rng(seed)
    assert _check(_blocks(rng, 12, 40, lambda n: rng.standard_normal(n) * 3), 40) > 0


def test_values_near_overflow_and_underflow():
    rng = np.random.default_rng(7)

    def wide(n):
        v = rng.standard_normal(n) * 10.0 ** rng.integers(-320, 308, n)
        v[rng.random(n) < 0.1] = 0.0
        return v

    _check(_blocks(rng, 10, 25, wide), 25)
    # one group's scale grows block after block (its sum is rescaled each time), another's shrinks
    ids = np.zeros(1, dtype=np.int64)
    blocks = [(ids, np.array([10.0 ** e])) for e in range(-300, 301, 25)]
    blocks += [(ids + 1, np.array([10.0 ** -e])) for e in range(-300, 301, 25)]
    _check(blocks, 2)


def test_huge_and_tiny_results_are_flagged():
    acc = GroupAccumulator([2.0])
    acc.add(np.array([0, 0, 1, 1]), np.array([1e200, 1e200, 3e-320, 4e-320]))
    values, flags = acc.evaluate(2.0, "power")
    assert values.tolist() == [math.inf, 0.0] and flags.tolist() == [True, True]
    values, flags = acc.evaluate(2.0)
    assert values[0] == 1.4142135623730951e200 and not flags.any()


def test_zeros_and_all_zero_groups():
    rng = np.random.default_rng(3)
    _check(_blocks(rng, 8, 10, lambda n: np.where(rng.random(n) < 0.5, 0.0, rng.standard_normal(n))), 10)
    _check([(np.array([0, 0, 1]), np.array([0.0, 0.0, 2.0])), (np.array([0]), np.array([0.0]))], 2)


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_non_finite_values_as_propagate_sees_them(bad):
    rng = np.random.default_rng(11)

    def spoiled(n):
        v = rng.standard_normal(n)
        v[rng.random(n) < 0.03] = bad
        return v

    _check(_blocks(rng, 8, 20, spoiled), 20)


def test_nan_omit_leaves_values_out_and_keeps_empty_groups():
    chunks = [(np.array([0, 1, 0]), np.array([[3.0], [math.nan], [4.0]]))]
    acc, left_out = reduce_groups(iter(chunks), 1, [2.0], omit=True)
    values, _ = acc.evaluate(2.0)
    assert values[0] == 5.0 and math.isnan(values[1]) and left_out.tolist() == [1]
    result = groups_table(["g"], ["a", "b"], ["x"], acc, [2.0], omitted=True)
    rows = [r for batch in result.iter_batches() for r in batch]
    assert rows[0] == ("a", 5.0) and rows[1][0] == "b" and math.isnan(rows[1][1])
    assert any("'b'" in n and "--nan omit" in n for n in result.notes)


def test_several_columns_are_cells_of_a_group():
    chunks = [(np.array([0, 1, 0]), np.array([[3.0, 1.0], [1.0, 2.0], [4.0, 2.0]]))]
    acc, _ = reduce_groups(iter(chunks), 2, [1.0, 2.0])
    result = groups_table(["g"], ["a", "b"], ["x", "y"], acc, [1.0, 2.0])
    rows = [r for batch in result.iter_batches() for r in batch]
    assert result.label == "g" and result.columns == ["column", "L1", "L2"]
    assert rows == [("a", "x", 7.0, 5.0), ("a", "y", 3.0, math.sqrt(5)), ("b", "x", 1.0, 1.0),
                    ("b", "y", 2.0, 2.0)]


def test_compound_keys_and_counts():
    chunks = [(np.array([0, 1, 1]), np.array([[0.0], [2.0], [0.0]]))]
    acc, _ = reduce_groups(iter(chunks), 1, [0.0])
    result = groups_table(["a", "b"], [("x", "u"), ("y", "v")], ["z"], acc, [0.0])
    rows = [r for batch in result.iter_batches() for r in batch]
    assert result.columns == ["b", "L0"] and rows == [("x", "u", 0), ("y", "v", 1)]


def test_a_million_groups_in_bounded_memory():
    n_groups = 10**6
    rng = np.random.default_rng(5)
    acc = GroupAccumulator([2.0])
    for _ in range(4):
        ids = rng.integers(0, n_groups, 500_000)
        acc.add(ids, rng.standard_normal(ids.size))
    acc.add(np.arange(n_groups), np.ones(n_groups))
    # 48 bytes of counts and extremes + 24 for the order (scale, long double sum) per group
    per_group = acc.nbytes() / acc._cap
    assert per_group == 48 + 8 + np.dtype(np.longdouble).itemsize
    values, _ = acc.evaluate(2.0)
    assert values.size == n_groups and (values >= 1.0).all()
    # spot checks against NormAccumulator over the same values are in the tests above; here the sizes


def test_refusals():
    acc = GroupAccumulator([2.0])
    with pytest.raises(CoreError):
        acc.evaluate(math.inf, "power")
    with pytest.raises(CoreError):
        acc.add(np.array([0]), np.array([1.0, 2.0]))
