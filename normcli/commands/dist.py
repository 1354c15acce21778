"""``normcli dist``: distances ||a - b||_p, Hamming distances, distance matrices."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from ..errors import UsageError
from . import common
from .options import TABLE, OrderOpt, Shared, flag, shared, word

COMMAND = dict(
    short_help="Distances ||a - b||_p, Hamming, distance matrices.  e.g. normcli dist 1,2,3 4,6,8",
    epilog="Examples: normcli dist 1,2,3 4,6,8  |  normcli dist --p 1 --p inf 0,0 3,-4  |  "
    "normcli dist --hamming 1,0,1,1 1,1,0,1  |  normcli dist -f preds.csv -c a -c b  |  "
    "normcli dist --pairwise -f points.csv",
)


@shared(*TABLE)
def dist(
    values: Annotated[
        Optional[list[str]],
        typer.Argument(help="The two vectors A B: numbers (1,2,3 4,6,8), or files of one column or row.",
                       show_default=False),
    ] = None,
    p: OrderOpt = None,
    hamming: flag("--hamming", "Count the components that differ (and their share).") = False,
    pairwise: flag("--pairwise", "The distance matrix of the rows of a file (streamed row by row).") = False,
    by: word("--by", "With --pairwise: the distances between rows or between columns.", "rows", "columns") = "rows",
    opts: Shared = Shared(),
) -> None:
    """The distance ||a - b||_p between two vectors, or the distance matrix of a file's rows.

    A and B are values or files; without them, the two selected columns of
    a file (or stdin) are A and B. Each difference a_i - b_i is rounded once
    (as numpy and scipy do); the norm of the differences is exact to about
    an ulp and safe from overflow.
    """
    from .. import inputs, operands
    from ..core import distances

    if by not in ("rows", "columns"):
        raise UsageError(f"--by must be rows or columns, not {by!r}")
    if by != "rows" and not pairwise:
        raise UsageError("--by chooses what --pairwise compares")
    order_list = operands.orders(p)
    if hamming and p:
        raise UsageError("--hamming counts differing components; it takes no --p")
    spec = common.input_spec((), opts)
    if pairwise:
        if values:
            raise UsageError("--pairwise reads a table from --file or stdin, not values")
        if len(order_list) > 1:
            raise UsageError(f"--pairwise takes one --p (got {len(order_list)}); run it once per order")
        names, table, omitted = operands.pairwise_table(spec, by)
        result = common.core_call(distances.pairwise_result, names, table, order_list[0], hamming, by)
        common.omitted_rows(result, omitted)
        return common.show(result, opts)
    if values:
        if len(values) != 2:
            raise UsageError(f"dist takes two vectors A B (e.g. 1,2,3 4,6,8); got {len(values)} argument(s)")
        if opts.file is not None or opts.column:
            raise UsageError("give the vectors either as A B or with --file/--column, not both")
        names, a, b, omitted = operands.vector_pair(values, opts)
    else:
        if opts.file is None and not inputs.stdin_piped():
            raise UsageError("no input: give two vectors (normcli dist 1,2,3 4,6,8), or a file with two columns")
        names, a, b, omitted = operands.column_pair(spec)
    if hamming:
        result = distances.hamming_result(a, b, names)
    else:
        result = common.core_call(distances.distance_result, a, b, order_list, names)
    common.omitted_rows(result, omitted)
    common.show(result, opts)
