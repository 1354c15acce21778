"""``normcli sobolev``: W^{k,p} and H^s norms of sampled functions, every term shown."""

from __future__ import annotations

import math
from typing import Annotated, Optional

import typer

from ..errors import UsageError
from . import common
from .options import OrderOpt, Shared, Values, column_name, flag, shared, word

COMMAND = dict(
    short_help="Sobolev norms W^{k,p} and H^s of sampled functions.  e.g. normcli sobolev --dx 0.1 -f f.csv",
    epilog="Examples: normcli sobolev --dx 0.01 -f f.csv  |  normcli sobolev --x x -c f -f samples.csv --k 2  |  "
    "normcli sobolev --periodic --s 0.5 --dx 0.0061359 -f f.csv",
)


@shared("file", "column", "delimiter", "header", "output", "precision", "quiet")
def sobolev(
    values: Values = None,
    dx: Annotated[
        Optional[float], typer.Option("--dx", help="Grid step of the samples (or give --x).", show_default=False)
    ] = None,
    x: column_name("--x", "Column of the sample points (uniformly spaced); the other selected column is f.") = None,
    k: Annotated[int, typer.Option("--k", help="Highest derivative order (finite differences).", min=0, max=8)] = 1,
    p: OrderOpt = None,
    periodic: flag("--periodic", "f is periodic: the spectral H^s norm (FFT; p = 2).") = False,
    s: Annotated[
        Optional[float],
        typer.Option("--s", help="With --periodic: the order s >= 0 of H^s, fractional allowed. [default: --k]",
                     show_default=False),
    ] = None,
    weights: word("--weights", "With --periodic: bessel ((1 + xi^2)^s) or sum (sum over j <= k of "
                  "xi^(2j), the W^{k,2} norm).", "bessel", "sum") = "bessel",
    quadrature: word("--quadrature", "rect: dx * sum (each sample a cell; periodic data without the "
                     "endpoint); trapezoid: both endpoints included.", "rect", "trapezoid") = "rect",
    opts: Shared = Shared(),
) -> None:
    """The Sobolev norm of a function sampled on a uniform grid, with each term.

    W^{k,p}: (sum over j <= k of ||f^(j)||_p^p)^(1/p), derivatives by
    second-order finite differences and integrals dx * sum |g|^p. With
    --periodic: the H^s norm from the Fourier coefficients, weights
    (1 + xi^2)^s with angular frequency xi. No division by the length.
    """
    from .. import inputs, operands
    from ..core import sobolev as sob

    order = operands.one_order(p, "sobolev")
    _check(order, p, dx, x, periodic, s, weights, quadrature)
    spec = common.input_spec(values, opts, nan="error")
    if x is not None:
        if values:
            raise UsageError("--x names a column of a file; the values were given as arguments")
        f, xs = operands.sampled_function(spec, x)
        step = common.core_call(sob.grid_step, xs)
    else:
        f, _ = inputs.read_vector(spec)
        step = dx
    name = opts.column[0] if opts.column and len(opts.column) == 1 else "f"
    if periodic:
        outcome = common.core_call(lambda: sob.sobolev_spectral(f, step, s=k if s is None else s, weights=weights,
                                                                k=k if weights == "sum" else None))
    else:
        outcome = common.core_call(lambda: sob.sobolev_fd(f, step, k=k, p=order, quadrature=quadrature))
    common.show(sob.sobolev_result(name, outcome), opts)


def _check(order: float, p, dx, x, periodic: bool, s, weights: str, quadrature: str) -> None:
    """The option values and combinations sobolev refuses."""
    if weights not in ("bessel", "sum"):
        raise UsageError(f"--weights must be bessel or sum, not {weights!r}")
    if quadrature not in ("rect", "trapezoid"):
        raise UsageError(f"--quadrature must be rect or trapezoid, not {quadrature!r}")
    if (dx is None) == (x is None):
        raise UsageError("give the grid step with --dx H or the sample points with --x COL (one of them)")
    if dx is not None and not (math.isfinite(dx) and dx > 0):
        raise UsageError(f"--dx must be a finite number > 0, not {dx:g}")
    if periodic:
        if order != 2:
            raise UsageError("--periodic computes the spectral H^s norm, which is p = 2; drop --p or --periodic")
        if s is not None and not (math.isfinite(s) and s >= 0):
            raise UsageError(f"--s must be a finite number >= 0, not {s:g}")
        if quadrature != "rect":
            raise UsageError("--periodic integrates over whole periods (rect); --quadrature does not apply")
        if weights == "sum" and s is not None:
            raise UsageError("--weights sum uses the integer --k; --s is for the bessel weights")
    else:
        for option, given in (("--s", s is not None), ("--weights", weights != "bessel")):
            if given:
                raise UsageError(f"{option} needs --periodic (the spectral norm)")
        if not (order >= 1 or (0 < order < 1)):
            raise UsageError(f"--p must be > 0 for a Sobolev norm, not {p[0] if p else order}")
