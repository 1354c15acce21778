"""``normcli normalize``: unit vectors x / ||x||_p."""

from __future__ import annotations

from ..errors import UsageError
from . import common
from .options import OrderOpt, Shared, Values, shared

COMMAND = dict(
    short_help="Unit vectors x / ||x||_p.  e.g. normcli normalize 3,4",
    epilog="Examples: normcli normalize 3,4  |  normcli normalize --p 1 1,1,2  |  "
    "normcli normalize --rows -f embeddings.csv | normcli norm --rows",
)


@shared("file", "column", "delimiter", "header", "rows", "nan", "output", "precision", "quiet")
def normalize(
    values: Values = None,
    p: OrderOpt = None,
    opts: Shared = Shared(),
) -> None:
    """Divide each vector by its p-norm: x / ||x||_p, one value per line (each row with --rows).

    A zero vector stays zero, with a note (as scikit-learn's normalize).
    Plain output is the unit vector itself, so it feeds the other commands.
    """
    from .. import inputs, operands
    from ..core import distances

    order = operands.one_order(p, "normalize")
    if order == 0:
        raise UsageError("--p 0 counts non-zeros: x / ||x||_0 is not a unit vector of anything; give p != 0")
    spec = common.input_spec(values, opts, streams=opts.rows)
    if opts.rows:
        if opts.nan == "propagate":
            raise UsageError("--nan propagate has no unit vector to give; use --nan omit or error")
        return common.show(distances.normalize_rows_result(inputs.read_rows(spec), order), opts)
    x, _ = inputs.read_vector(spec)
    common.show(common.core_call(distances.normalize_result, x, order), opts)
