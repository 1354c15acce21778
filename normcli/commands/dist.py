"""``normcli dist``: distances ||a - b||_p, Hamming distances, distance matrices."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from ..errors import UsageError
from . import common
from .options import OrderOpt, Shared, flag, shared

COMMAND = dict(
    short_help="Distances ||a - b||_p, Hamming, distance matrices.  e.g. normcli dist 1,2,3 4,6,8",
    epilog="Examples: normcli dist 1,2,3 4,6,8  |  normcli dist --p 1 --p inf 0,0 3,-4  |  "
    "normcli dist --hamming 1,0,1,1 1,1,0,1  |  normcli dist -f preds.csv -c a -c b  |  "
    "normcli dist -f preds.csv -c a -c b --by genre  |  normcli dist --pairwise -f points.csv",
)

#: What --by means with --pairwise: what the distance matrix compares.
PAIRWISE_BY = ("rows", "columns")

ByOpt = Annotated[
    Optional[list[str]],
    typer.Option("--by", help="Without --pairwise: a key column (name or 1-based index; repeat for a compound "
                 "key): ||A - B||_p of each group of rows, the key first, groups in order of first appearance. "
                 "With --pairwise: rows (the default) or columns, what the distance matrix compares.",
                 show_default=False, metavar="COLUMN|rows|columns"),
]


@shared("file", "column", "delimiter", "header", "nan", "engine", "scheduler", "sort", "output", "precision",
        "quiet")
def dist(
    values: Annotated[
        Optional[list[str]],
        typer.Argument(help="The two vectors A B: numbers (1,2,3 4,6,8), or files of one column or row.",
                       show_default=False),
    ] = None,
    p: OrderOpt = None,
    hamming: flag("--hamming", "Count the components that differ (and their share).") = False,
    pairwise: flag("--pairwise", "The distance matrix of the rows of a file (streamed row by row).") = False,
    by: ByOpt = None,
    opts: Shared = Shared(),
) -> None:
    """The distance ||a - b||_p between two vectors, or the distance matrix of a file's rows.

    A and B are values or files; without them, the two selected columns of
    a file (or stdin) are A and B, and --by KEY gives one distance per
    group of rows. Each difference a_i - b_i is rounded once (as numpy and
    scipy do); the norm of the differences is exact to about an ulp and
    safe from overflow.
    """
    from .. import inputs, operands
    from ..core import distances

    order_list = operands.orders(p)
    if hamming and p:
        raise UsageError("--hamming counts differing components; it takes no --p")
    if pairwise:
        side = _pairwise_by(by)
        if opts.sort:
            raise UsageError("--sort orders the groups of --by COLUMN, which --pairwise does not take")
        spec = common.input_spec((), opts)
        if values:
            raise UsageError("--pairwise reads a table from --file or stdin, not values")
        if len(order_list) > 1:
            raise UsageError(f"--pairwise takes one --p (got {len(order_list)}); run it once per order")
        names, table, omitted = operands.pairwise_table(spec, side)
        result = common.core_call(distances.pairwise_result, names, table, order_list[0], hamming, side)
        common.omitted_rows(result, omitted)
        return common.show(result, opts)
    common.refuse_scheduler_without_dask(opts)
    if opts.engine == "dask" and (pairwise or by or values or hamming):
        raise UsageError("--engine dask gives ||A - B||_p of two columns of files; --pairwise, --by, --hamming "
                         "and vectors given as arguments run on --engine local")
    if by:
        return _grouped(values, by, order_list, hamming, opts)
    if opts.sort:
        raise UsageError("--sort orders the groups of --by: give --by COLUMN too")
    spec = common.input_spec((), opts)
    if values:
        if len(values) != 2:
            raise UsageError(f"dist takes two vectors A B (e.g. 1,2,3 4,6,8); got {len(values)} argument(s)")
        if opts.file is not None or opts.column:
            raise UsageError("give the vectors either as A B or with --file/--column, not both")
        names, a, b, omitted = operands.vector_pair(values, opts)
    else:
        if opts.file is None and not inputs.stdin_piped():
            raise UsageError("no input: give two vectors (normcli dist 1,2,3 4,6,8), or a file with two columns")
        if opts.engine == "dask":
            return _distributed(spec, order_list, opts)
        names, a, b, omitted = operands.column_pair(spec)
    if hamming:
        result = distances.hamming_result(a, b, names)
    else:
        result = common.core_call(distances.distance_result, a, b, order_list, names)
    common.omitted_rows(result, omitted)
    common.show(result, opts)


def _distributed(spec, order_list, opts: Shared) -> None:
    """--engine dask: the differences of the two columns reduced partition by partition on the cluster."""
    from .. import distributed, operands
    from ..core import distances, mergeable

    with distributed.Cluster(opts.scheduler) as cluster:
        the_plan = distributed.plan(spec)
        operands.two_columns(the_plan.names)
        _, (acc, overflowed), omitted, _ = distributed.reduce_with(spec, mergeable.DistancePass(tuple(order_list)),
                                                                   cluster, the_plan)
    result = common.core_call(distances.accumulated_distance_result, acc, overflowed, order_list, the_plan.names)
    common.omitted_rows(result, omitted)
    common.show(result, opts)


def _pairwise_by(by) -> str:
    """--by with --pairwise: rows or columns (one of them, once)."""
    if not by:
        return "rows"
    if len(by) > 1 or by[0] not in PAIRWISE_BY:
        given = " ".join(f"--by {b}" for b in by)
        raise UsageError(f"with --pairwise, --by is rows or columns (what the matrix compares), not {given!r}; "
                         "grouping by a key column (--by COLUMN) is dist without --pairwise")
    return by[0]


def _grouped(values, by, order_list, hamming: bool, opts: Shared) -> None:
    """--by KEY: the distance of each group of rows of the two selected columns."""
    from dataclasses import replace

    from .. import operands
    from ..core import groups

    side = next((b for b in by if b in PAIRWISE_BY), None)
    if values:
        if side is not None:
            raise UsageError(f"--by chooses what --pairwise compares (--by {side}: the {side} of a table); "
                             "the vectors A B take no --by")
        raise UsageError("dist --by groups the rows of a table (--file or stdin), not the vectors A B")
    spec = replace(common.input_spec((), opts), by=tuple(by))
    try:
        key_names, keys, gids, names, table, omitted = operands.grouped_table(spec, "dist", 2)
    except UsageError as exc:
        if side is None or "no --by column named" not in str(exc):
            raise
        raise UsageError(f"{exc}. Without --pairwise, --by names a key column; for the distance matrix "
                         f"between {side}, give --pairwise --by {side}") from None
    order = common.group_order(keys) if opts.sort else None
    a, b = table[:, 0], table[:, 1]
    if hamming:
        result = common.core_call(groups.hamming_groups, key_names, keys, gids, a, b, names, order,
                                  spec.nan == "omit")
    else:
        result = common.core_call(groups.distance_groups, key_names, keys, gids, a, b, order_list, names, order,
                                  spec.nan == "omit")
    common.omitted_rows(result, omitted)
    common.show(result, opts)
