"""``normcli ball``: pictures of the unit balls of p-norms in the plane."""

from __future__ import annotations

from ..errors import InputError, UsageError
from . import common
from .options import Shared, flag, matrix_file, orders, shared

COMMAND = dict(
    short_help="Draw unit balls of p-norms in the plane.  e.g. normcli ball --p 1 --p 2 --p inf",
    epilog="Examples: normcli ball --p 1 --p 2 --p inf --p 0.5  |  normcli ball --p 1 --transform A.csv  |  "
    "normcli ball --p 2 --save ball.png",
)


@shared("save", "output", "precision")
def ball(
    p: orders("Order p > 0 (repeatable), as for norm. [default: 1, 2 and inf]") = None,
    transform: matrix_file("A 2-column matrix A (CSV or .npy): draw {x : ||A x||_p <= 1}.") = None,
    plot: flag("--plot", "Draw the picture in plain output too (a terminal always gets it).") = False,
    opts: Shared = Shared(),
) -> None:
    """Draw the unit balls {x in R^2 : ||x||_p <= 1} in the terminal, with their shapes and areas.

    L1 is the diamond (cross-polytope), L2 the disc, L-inf the square,
    p < 1 a star (not convex: a quasi-norm). With --transform the balls of
    ||A x||_p, the norm A induces when it is injective.
    """
    from .. import operands, render
    from ..core import distances, pictures

    order_list = operands.orders(p or ["1", "2", "inf"])
    for order in order_list:
        if not order > 0:
            raise UsageError(f"--p {order:g}: the unit ball of p <= 0 is unbounded; give p > 0")
    A = None
    if transform is not None:
        A = operands.matrix_file(transform, "--transform")
        if A.shape[1] != 2:
            raise InputError(f"--transform: the ball is drawn in the plane, so A needs 2 columns; it has {A.shape[1]}")
    result = common.core_call(pictures.ball_result, order_list, lambda q: distances.ball_boundary(q, A), A)
    # The picture is the point on a terminal; a pipe gets plain numbers unless --plot asks for it.
    common.show_pictures(result, opts, plot or render.resolve_format(opts.output) == "table")
