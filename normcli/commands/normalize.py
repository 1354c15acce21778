"""``normcli normalize``: unit vectors x / ||x||_p."""

from __future__ import annotations

from ..errors import UsageError
from . import common
from .options import OrderOpt, Shared, Values, shared

COMMAND = dict(
    short_help="Unit vectors x / ||x||_p.  e.g. normcli normalize 3,4",
    epilog="Examples: normcli normalize 3,4  |  normcli normalize --p 1 1,1,2  |  "
    "normcli normalize --rows -f embeddings.csv | normcli norm --rows  |  normcli normalize -f e.csv --by user -c x",
)


@shared("file", "column", "by", "sort", "delimiter", "header", "rows", "nan", "output", "precision", "quiet")
def normalize(
    values: Values = None,
    p: OrderOpt = None,
    opts: Shared = Shared(),
) -> None:
    """Divide each vector by its p-norm: x / ||x||_p, one value per line (each row with --rows).

    A zero vector stays zero, with a note (as scikit-learn's normalize).
    Plain output is the unit vector itself, so it feeds the other commands.
    With --by, each group's vector is divided by its own norm: one line per
    input row, the key first.
    """
    from .. import inputs, operands
    from ..core import distances, groups

    order = operands.one_order(p, "normalize")
    if order == 0:
        raise UsageError("--p 0 counts non-zeros: x / ||x||_0 is not a unit vector of anything; give p != 0")
    common.refuse_sort_without_by(opts)
    if opts.by and opts.rows:
        raise UsageError("--by normalizes each group's column; it cannot be combined with --rows")
    spec = common.input_spec(values, opts, streams=opts.rows)
    if opts.by:
        key_names, keys, gids, _, table, omitted = operands.grouped_table(spec, "normalize", 1)
        sort = common.group_order(keys) if opts.sort else None
        result = common.core_call(groups.normalize_groups, key_names, keys, gids, table[:, 0], order, sort,
                                  spec.nan == "omit")
        common.omitted_rows(result, omitted)
        return common.show(result, opts)
    if opts.rows:
        if opts.nan == "propagate":
            raise UsageError("--nan propagate has no unit vector to give; use --nan omit or error")
        return common.show(distances.normalize_rows_result(inputs.read_rows(spec), order), opts)
    x, _ = inputs.read_vector(spec)
    common.show(common.core_call(distances.normalize_result, x, order), opts)
