"""``normcli backprop``: one hidden layer, the loss's gradient by the chain rule, every term shown."""

from __future__ import annotations

import math
import re
from typing import Annotated, Optional

import typer

from ..errors import InputError, NormcliError, UsageError
from ..sources import remote
from . import common
from .options import Shared, Words, flag, shared, text, texts

COMMAND = dict(
    short_help="Backpropagation, term by term.  e.g. normcli backprop -x 1,2 -t 0,1 --w1 W --w2 U --lr 0.5",
    epilog="Examples: normcli backprop -x 1,2 -t 0,1 --w1 '0.1,0.2;0.3,0.4;0.5,0.6' --w2 '0.1,0.2,0.3;0.4,0.5,0.6' "
    "--lr 0.5  |  ... --b1 0,0,0 --b2 0,0 --l2 0.01 --check  |  "
    "normcli backprop --data train.csv -x a -x b -t y --w1 W.csv --w2 U.csv --lr 0.1 --steps 100",
)


def _choice(name: str, help: str, *choices: str):
    return Annotated[str, typer.Option(name, help=help, click_type=Words(*choices, strict=name))]


@shared("delimiter", "header", "nan", "output", "precision", "quiet")
def backprop(
    x: texts("--input", "-x", help="The input x: numbers (1,2) or a file; with --data, a column of it (name or "
             "1-based index, repeatable; default: every column that is not a --target).", metavar="VALUES|COLUMN"
             ) = None,
    t: texts("--target", "-t", help="The target t: numbers (0,1) or a file; with --data, a column (repeatable).",
             metavar="VALUES|COLUMN") = None,
    w1: text("--w1", help="W, input to hidden, one row per hidden unit: rows separated by ; "
             "('0.1,0.2;0.3,0.4;0.5,0.6') or a CSV/TSV/.npy file.", metavar="MATRIX|FILE") = None,
    w2: text("--w2", help="U, hidden to output, one row per output: rows separated by ; or a file.",
             metavar="MATRIX|FILE") = None,
    b1: text("--b1", help="Hidden biases, one per hidden unit (default: none).", metavar="VALUES|FILE") = None,
    b2: text("--b2", help="Output biases, one per output (default: none).", metavar="VALUES|FILE") = None,
    data: text("--data", help="CSV of samples (- for stdin), one per row: a batch, the loss averaged over it.",
               metavar="FILE") = None,
    lr: Annotated[float, typer.Option("--lr", help="Learning rate (> 0).", show_default=False)] = ...,
    loss: _choice("--loss", "l2: 1/2 ||y - t||^2; sse: ||y - t||^2; mse: the mean over the outputs.",
                  "l2", "sse", "mse") = "l2",
    activation: _choice("--activation", "The hidden units' activation (relu: derivative 0 at 0, as torch).",
                        "sigmoid", "tanh", "relu") = "sigmoid",
    output_activation: _choice("--output-activation", "The outputs' activation.", "sigmoid", "tanh", "relu",
                               "linear") = "sigmoid",
    l2: Annotated[float, typer.Option("--l2", help="Weight decay lambda (>= 0) on W and U; see --convention.",
                                      min=0.0)] = 0.0,
    convention: _choice("--convention", "half: gradient lambda*w (torch SGD weight_decay); full: 2 lambda w "
                        "(penalty lambda ||w||^2).", "half", "full") = "half",
    decay_biases: flag("--decay-biases", "With --l2: decay the biases too (torch SGD decays every parameter it "
                       "is given).") = False,
    steps: Annotated[int, typer.Option("--steps", help="Number of steps; the tables show the last one.", min=1)] = 1,
    every: Annotated[
        Optional[int],
        typer.Option("--every", help="With --steps: a trajectory row every K steps. [default: every step up to "
                     "20 steps, else about 20 rows]", min=1, show_default=False),
    ] = None,
    check: flag("--check", "Compare every gradient with central finite differences; exit 1 beyond --tolerance.")
    = False,
    tolerance: Annotated[float, typer.Option("--tolerance", help="Largest relative error --check accepts.",
                                             min=0.0)] = 1e-6,
    opts: Shared = Shared(),
) -> None:
    """The gradient of the loss of a network with one hidden layer, by backpropagation, and one SGD step.

    Shows the forward pass (a, h, y), the deltas dL/da, every gradient as
    delta times the value its weight carries, and the updated weights.
    Plain output is the updated weights, W's rows then U's rows (then b1,
    b2), one matrix row per line, tab-separated.
    """
    from ..core import backprop as bp

    _check(x, t, w1, w2, data, lr, l2, decay_biases, steps, every, tolerance, opts)
    W, U = _matrix(w1, "--w1"), _matrix(w2, "--w2")
    B1, B2 = _vector(b1, "--b1", "the biases"), _vector(b2, "--b2", "the biases")
    names, omitted = None, 0
    if data is None:
        X, T = _vector(x[0], "--input", "the input"), _vector(t[0], "--target", "the target")
    else:
        names, X, T, omitted = _batch(common.input_spec((), opts, file=data), x or [], t)
    report = common.core_call(lambda: bp.backprop(
        W, U, X, T, lr, b1=B1, b2=B2, loss=loss, activation=activation, output_activation=output_activation,
        l2=l2, convention=convention, decay_biases=decay_biases, steps=steps, every=every, check_gradients=check,
        tolerance=tolerance, names=names))
    common.omitted_rows(report.result, omitted, " of --data")
    common.show(report.result, opts)
    common.fail_if(report.failure)


def _check(x, t, w1, w2, data, lr, l2, decay_biases, steps, every, tolerance, opts: Shared) -> None:
    """The option combinations backprop refuses."""
    if w1 is None or w2 is None:
        raise UsageError("give both weight matrices: --w1 W (one row per hidden unit) and --w2 U (one row per "
                         "output), e.g. --w1 '0.1,0.2;0.3,0.4;0.5,0.6' --w2 '0.1,0.2,0.3;0.4,0.5,0.6'")
    if not (math.isfinite(lr) and lr > 0):
        raise UsageError(f"--lr must be a finite number > 0, not {lr:g}")
    if not math.isfinite(l2):
        raise UsageError(f"--l2 must be a finite number >= 0, got {l2!r}")
    if tolerance != tolerance:  # nan passes min=0 and would fail every check
        raise UsageError("--tolerance must be a number >= 0, not nan")
    if not t:
        raise UsageError("give the target with -t/--target (numbers, or with --data its column)")
    if decay_biases and not l2 > 0:
        raise UsageError("--decay-biases needs --l2 LAMBDA > 0 (the weight decay it extends to the biases)")
    if every is not None and steps == 1:
        raise UsageError("--every sets the rows of the trajectory of --steps N (N > 1)")
    if data is None:
        if not x:
            raise UsageError("give the input with -x/--input (numbers such as 1,2), or a batch with --data FILE")
        for option, given in (("--input", x), ("--target", t)):
            if len(given) > 1:
                raise UsageError(f"{option} is given {len(given)} times; without --data it is one vector "
                                 "(numbers or a file); with --data it names columns")
        if opts.nan != "error":
            raise UsageError("--nan applies to --data; the input, target and weights must be finite")
    else:
        if opts.nan == "propagate":
            raise UsageError("--nan propagate would carry nan into the gradients; use --nan omit (drop those rows) "
                             "or --nan error")


def _vector(value, option: str, what: str):
    """A vector option (numbers, or a file of one row or one column), None when absent."""
    if value is None:
        return None
    a = _matrix(value, option, what)
    if min(a.shape) != 1:
        raise InputError(f"{option} holds a {a.shape[0]}x{a.shape[1]} matrix; give one row or one column of numbers")
    return a.ravel()


def _matrix(value: str, option: str, what: str = "the weights"):
    """A matrix operand: rows separated by ; (or by newlines, as plain output prints them) inline, or a file.

    The inline form is this command's (operands reads vectors and matrix files only); a file is any table
    inputs reads (CSV, TSV, whitespace, .npy), its delimiter and header detected. Values must be finite.
    """
    import numpy as np

    from .. import inputs

    if not value.strip().strip(";").strip():
        raise InputError(f"{option} is empty")
    if ";" not in value and "\n" not in value.strip() and not inputs.numeric_words(value):
        if not remote.exists(value):
            raise InputError(f"{option} {value!r} is neither numbers (rows separated by ;) nor an existing file")
        try:
            return inputs.read_table(inputs.InputSpec((), value))[1]
        except NormcliError as exc:
            raise type(exc)(f"{option}: {_finite(exc, what)}") from None
    lines = re.split(r"[;\n]", value.strip().strip(";"))
    rows = []
    for k, line in enumerate(lines, 1):
        if not line.strip():
            raise InputError(f"{option} row {k} is empty")
        try:
            rows.append(inputs.parse_tokens([line], "error", f"{option} row {k}" if len(lines) > 1 else option))
        except InputError as exc:
            raise InputError(_finite(exc, what)) from None
    if len({r.size for r in rows}) > 1:
        raise InputError(f"{option}: every row needs the same number of values; the rows have "
                         f"{', '.join(str(r.size) for r in rows)}")
    return np.vstack(rows)


def _finite(exc: NormcliError, what: str) -> str:
    """An input error without --nan's advice, which is --data's: these operands must simply be finite."""
    if isinstance(exc, InputError) and exc.advice:
        return f"{exc.fact} ({what} must be finite)"
    return str(exc)


def _batch(spec, inputs_: list[str], targets: list[str]):
    """--data: (the input and target column names, X, T, rows omitted), by --input and --target."""
    from dataclasses import replace

    from .. import inputs

    try:
        if inputs_:
            names, table, omitted = inputs.read_table(replace(spec, columns=(*inputs_, *targets)))
        else:
            names, table, omitted = inputs.read_table(spec)
    except UsageError as exc:
        raise UsageError(f"--data: {exc}") from None
    except NormcliError as exc:
        raise type(exc)(f"--data: {exc}") from None
    if inputs_:
        ni = len(inputs_)
        x_names, t_names = names[:ni], names[ni:]
        both = sorted(set(x_names) & set(t_names))
        if both:
            raise UsageError(f"--data column {both[0]!r} is both an --input and a --target")
        return (x_names, t_names), table[:, :ni], table[:, ni:], omitted
    picked = []
    for target in targets:
        if target in names:
            picked.append(names.index(target))
        elif target.isdigit() and 1 <= int(target) <= len(names):
            picked.append(int(target) - 1)
        else:
            raise UsageError(f"--target {target!r} is not a column of --data; the columns are "
                             f"{', '.join(map(repr, names))}")
    rest = [j for j in range(len(names)) if j not in picked]
    if not rest:
        raise UsageError("--data has no column left for the input once the --target columns are taken")
    return ([names[j] for j in rest], [names[j] for j in picked]), table[:, rest], table[:, picked], omitted
