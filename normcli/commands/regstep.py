"""``normcli regstep``: L2 / L1 / elastic-net regularized gradient steps, every term shown."""

from __future__ import annotations

import math
from typing import Annotated, Optional

import typer

from ..errors import InputError, UsageError
from . import common
from .options import Shared, column_name, flag, shared, text, word

COMMAND = dict(
    short_help="Regularized weight updates.  e.g. normcli regstep --lr 0.1 --l2 0.01 -g 0.1,0.2 0.5,-1",
    epilog="Examples: normcli regstep --lr 0.1 --l2 0.01 --grad 0.1,0.2,-0.3 0.5,-1.2,2  |  "
    "normcli regstep --lr 0.1 --l1 0.5 --grad 0.1 0.05  |  "
    "normcli regstep --lr 0.5 --l2 0.1 --data train.csv --target y --steps 200 --solve",
)


@shared("save", "column", "delimiter", "header", "nan", "engine", "scheduler", "output", "precision",
        "quiet")
def regstep(
    values: Annotated[
        Optional[list[str]],
        typer.Argument(help="The weights w (or --weights): 0.5,-1.2,2; one per line from a pipe also works.",
                       show_default=False),
    ] = None,
    weights: text("--weights", "-w", help="The weights w: numbers, or a file (- for stdin) with one column.",
                  metavar="VALUES|FILE") = None,
    grad: text("--grad", "-g", help="The data-loss gradient at w: numbers, or a file with one column.",
               metavar="VALUES|FILE") = None,
    data: text("--data", help="CSV of a linear model's data (- for stdin): --target names y, the other "
               "selected columns are features; loss (1/2n)||Xw + b - y||^2.", metavar="FILE") = None,
    target: column_name("--target", "With --data: the column holding y.", "-t") = None,
    intercept: flag("--intercept", "With --data: fit an unpenalized bias b (the last weight, 'b').") = False,
    lr: Annotated[
        float, typer.Option("--lr", help="Learning rate (> 0).", show_default=False)
    ] = ...,
    l2: Annotated[float, typer.Option("--l2", help="L2 strength lambda (>= 0); see --convention.", min=0.0)] = 0.0,
    l1: Annotated[float, typer.Option("--l1", help="L1 strength lambda1 (>= 0): penalty lambda1 ||w||_1.",
                                      min=0.0)] = 0.0,
    l1_method: word("--l1-method", "prox (soft-thresholding; with --l2 the exact elastic-net step) "
                    "or subgradient (lambda1 sign(w)).", "prox", "subgradient") = "prox",
    convention: word("--convention", "half: penalty (lambda/2)||w||^2, gradient lambda w (torch SGD "
                     "weight_decay); full: lambda ||w||^2, gradient 2 lambda w (Keras l2).", "half", "full") = "half",
    max_norm: Annotated[
        Optional[float],
        typer.Option("--max-norm", help="After each step, project onto ||w||_2 <= C (C > 0).", show_default=False),
    ] = None,
    steps: Annotated[int, typer.Option("--steps", help="Number of steps (with --data the gradient is "
                                       "recomputed each step).", min=1)] = 1,
    every: Annotated[
        Optional[int],
        typer.Option("--every", help="With --steps: a trajectory row every K steps. [default: every step up to "
                     "20 steps, else about 20 rows]", min=1, show_default=False),
    ] = None,
    solve: flag("--solve", "With --data: also print the closed-form ridge solution w*.") = False,
    plot: flag("--plot", "With --steps: draw the objective and ||w||_2 per step (needs normcli[plot]).") = False,
    opts: Shared = Shared(),
) -> None:
    """One or many L2 / L1 / elastic-net regularized gradient steps, every term of the update shown.

    The L2 penalty's gradient is lambda*w, proportional to each weight: every
    weight shrinks toward zero by the same factor. Plain output is the new
    weights, one per line, so one call feeds the next.
    """
    from .. import operands
    from ..core import pictures
    from ..core import regularize as reg

    penalty = _penalty(lr, l2, l1, convention, l1_method, max_norm)
    _check(values, weights, grad, data, target, intercept, solve, l1, steps, every, plot, opts)
    every = every or (1 if steps <= 20 else -(-steps // 20))
    drawing = plot or opts.save is not None
    record = pictures.plot_every(steps, every) if drawing else every  # the picture gets more points than the table
    fmt = dict(delimiter=opts.delimiter, header=opts.header)
    # Weights: values, --weights, or a piped stdin (unless --data reads it); with --data they may be absent (w = 0).
    w = operands.vector(weights, values, "--weights", fmt, stdin_ok=data != "-" and grad != "-",
                        empty_ok=data is not None)
    if data is not None:
        result = _with_data(w, data, target, intercept, lr, penalty, steps, record, every, solve, drawing, opts)
    else:
        if w is None:
            raise UsageError("give the weights (as values, --weights, or on stdin) and --grad, or --data with --target")
        if grad is None:
            raise UsageError("give the data-loss gradient with --grad (or a linear model's data with --data)")
        g = operands.vector(grad, None, "--grad", fmt, stdin_ok=True)
        if g.size != w.size:
            raise InputError(f"--grad has {g.size} value(s) but the weights have {w.size}")
        if steps == 1:
            result = reg.step_result(common.core_call(reg.step, w, g, lr, penalty), penalty, lr)
        else:
            traj = common.core_call(lambda: reg.iterate(w, lr, penalty, steps, record, grad=g))
            drawn = reg.thin_records(traj, every)
            result = reg.trajectory_result(traj, penalty, lr)
            if drawing:
                result.pictures = pictures.trajectory_pictures(drawn)
    common.show_pictures(result, opts, plot)


def _penalty(lr: float, l2: float, l1: float, convention: str, l1_method: str, max_norm: float | None):
    from ..core import regularize as reg

    if not (math.isfinite(lr) and lr > 0):
        raise UsageError(f"--lr must be a finite number > 0, not {lr:g}")
    if max_norm is not None and not max_norm > 0:
        raise UsageError(f"--max-norm must be > 0, not {max_norm:g}")
    for option, strength in (("--l2", l2), ("--l1", l1)):
        if not (math.isfinite(strength) and strength >= 0):
            raise UsageError(f"{option} must be a finite number >= 0, got {strength!r}")
    if convention not in reg.CONVENTIONS:
        raise UsageError(f"unknown --convention {convention!r}; use one of {', '.join(reg.CONVENTIONS)}")
    if l1_method not in reg.L1_METHODS:
        raise UsageError(f"unknown --l1-method {l1_method!r}; use one of {', '.join(reg.L1_METHODS)}")
    return reg.Penalty(l2, l1, convention, l1_method, max_norm)


def _check(values, weights, grad, data, target, intercept, solve, l1, steps, every, plot, opts: Shared) -> None:
    """The option combinations regstep refuses."""
    if weights is not None and values:
        raise UsageError("give the weights once: as values or with --weights, not both")
    stdin_users = [flag for flag, value in (("--weights", weights), ("--grad", grad), ("--data", data)) if value == "-"]
    if len(stdin_users) > 1:
        raise UsageError(f"only one of {', '.join(stdin_users)} can read stdin (-)")
    if data is None:
        for option, given in (("--target", target is not None), ("--intercept", intercept), ("--solve", solve)):
            if given:
                raise UsageError(f"{option} needs --data (a CSV of the features and the target)")
        if opts.column:
            raise UsageError("--column selects columns of --data")
    else:
        if grad is not None:
            raise UsageError("give the data-loss gradient with --grad or the data with --data, not both")
        if target is None:
            raise UsageError("--data needs --target COL, the column holding y")
        if opts.nan == "propagate":
            raise UsageError("--nan propagate would carry nan into every step; use --nan omit (drop those rows) "
                             "or --nan error")
    if solve and l1 > 0:
        raise UsageError("--solve is the closed-form ridge solution; with --l1 there is none (iterate with --steps)")
    if every is not None and steps == 1:
        raise UsageError("--every sets the rows of the trajectory of --steps N (N > 1)")
    if (plot or opts.save is not None) and steps == 1:
        raise UsageError("--plot and --save draw the trajectory of --steps N (N > 1)")
    common.refuse_scheduler_without_dask(opts)
    if opts.engine == "dask" and (data is None or data == "-" or plot or opts.save is not None):
        raise UsageError("--engine dask steps on the rows of a --data file held by the workers; --grad, stdin, "
                         "--plot and --save run on --engine local")


def _with_data(w, data, target, intercept, lr, penalty, steps, record, every, solve, drawing, opts: Shared):
    """--data: steps of a linear model's full-batch gradient (and --solve's ridge solution)."""
    from .. import operands
    from ..core import pictures
    from ..core import regularize as reg

    spec = common.input_spec((), opts, file=data)
    if opts.engine == "dask":
        return _distributed(w, spec, target, intercept, lr, penalty, steps, record, solve, opts)
    features, X, y, omitted = operands.linear_data(spec, target)
    start, b = operands.start_weights(w, X.shape[1], intercept)
    traj = common.core_call(lambda: reg.iterate(start, lr, penalty, steps, record, data=(X, y), intercept=intercept,
                                                b=b))
    drawn = reg.thin_records(traj, every)
    solution = common.core_call(lambda: reg.ridge_solve(X, y, penalty, intercept)) if solve else None
    ib = None if traj.b is None else (traj.final_b_before, traj.final_b_grad, traj.b)
    if steps == 1:
        result = reg.step_result(traj.final, penalty, lr, features, traj.final_loss_before,
                                 traj.final_loss_after, ib, solution)
    else:
        result = reg.trajectory_result(traj, penalty, lr, features, solution)
    if solution is not None:
        result.notes += reg.solution_notes(*solution, penalty, reg.linear_loss_grad(X, y, *solution)[0], traj.w)
    common.omitted_rows(result, omitted, " of --data")
    if w is None:
        result.notes.insert(0, "starting from w = 0 (no --weights given)")
    if drawing:
        result.pictures = pictures.trajectory_pictures(drawn)
    return result



def _distributed(w, spec, target, intercept, lr, penalty, steps, record, solve, opts: Shared):
    """--data --engine dask: the rows stay on the workers; each step's gradient is one reduction there, and
    --solve's normal equations (or tree QR) are merged sums of them too."""
    from .. import distributed, operands
    from ..core import regularize as reg

    solution = loss = None
    with distributed.Cluster(opts.scheduler) as cluster:
        rows = distributed.LinearData(spec, target, cluster)
        start, b = operands.start_weights(w, rows.features, intercept)
        traj = common.core_call(lambda: reg.iterate(start, lr, penalty, steps, record, intercept=intercept, b=b,
                                                    oracle=rows))
        if solve:
            solution = common.core_call(lambda: rows.solve(penalty, intercept))
            n, squares, _, _ = rows(*solution)
            loss = squares / (2 * n)
    ib = None if traj.b is None else (traj.final_b_before, traj.final_b_grad, traj.b)
    if steps == 1:
        result = reg.step_result(traj.final, penalty, lr, rows.names, traj.final_loss_before,
                                 traj.final_loss_after, ib, solution)
    else:
        result = reg.trajectory_result(traj, penalty, lr, rows.names, solution)
    if solution is not None:
        result.notes += reg.solution_notes(*solution, penalty, loss, traj.w)
    common.omitted_rows(result, rows.omitted, " of --data")
    if w is None:
        result.notes.insert(0, "starting from w = 0 (no --weights given)")
    return result
