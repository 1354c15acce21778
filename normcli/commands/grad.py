"""``normcli grad``: (sub)gradients and Hessians of norms, checked by finite differences."""

from __future__ import annotations

import math
from typing import Annotated

import typer

from ..errors import UsageError
from . import common
from .options import OrderOpt, Shared, Values, Words, flag, shared, text

COMMAND = dict(
    short_help="Gradients of norms.  e.g. normcli grad --p 1 -3,4,0",
    epilog="Examples: normcli grad 3,4  |  normcli grad --p 2 --power --target 1,1 3,2  |  "
    "normcli grad --p inf --check 3,-3,1  |  normcli grad --matrix nuc -f A.csv  |  normcli grad --hessian --p 3 1,2",
)


@shared("file", "column", "delimiter", "header", "rows", "nan", "output", "precision", "quiet")
def grad(
    values: Values = None,
    p: OrderOpt = None,
    power: flag("--power", "Gradient of ||x||_p^p (2x for p = 2).") = False,
    mean: flag("--mean", "Gradient of the power mean ||x||_p / n^(1/p).") = False,
    target: text("--target", "-t", help="t in ||x - t||_p: numbers (1,1) or, with a file, a column name.",
                 metavar="VALUES|COLUMN") = None,
    matrix: text("--matrix", help="Gradient of a matrix norm of the selected columns: fro nuc 2 1 inf.",
                 click_type=Words("fro", "nuc", "2", "1", "inf")) = None,
    hessian: flag("--hessian", "Print the Hessian matrix (finite p > 1).") = False,
    check: flag("--check", "Compare with central finite differences; exit 1 beyond --tolerance.") = False,
    tolerance: Annotated[
        float, typer.Option("--tolerance", help="Largest relative error --check accepts.", min=0.0)
    ] = 1e-6,
    opts: Shared = Shared(),
) -> None:
    """Print the (sub)gradient of ||x||_p with respect to x, one component per line.

    At points where the norm is not differentiable the conventions of torch
    are used (0 at x = 0, 0 for |x_i| at x_i = 0, ties of the max norm split
    equally) and the component is marked.
    """
    from .. import inputs, operands
    from ..core import grads

    if tolerance != tolerance:  # nan passes min=0 (every comparison is false) and would fail every check
        raise UsageError("--tolerance must be a number >= 0, not nan")
    spec = common.input_spec(values, opts, streams=opts.rows)
    if power and mean:
        raise UsageError("--power and --mean cannot be combined")
    kind = "power" if power else "mean" if mean else "norm"
    if matrix is not None:
        if power or mean or hessian or opts.rows or target is not None:
            raise UsageError("--matrix cannot be combined with --power, --mean, --hessian, --rows or --target")
        return _matrix(spec, matrix, check, tolerance, opts)
    order = operands.one_order(p, "grad")
    if kind == "power" and math.isinf(order):
        raise UsageError("--power needs a finite p: ||x||_inf^inf is not defined")
    if hessian and not (math.isfinite(order) and order > 1):
        raise UsageError("--hessian needs a finite p > 1 (the Hessian is 0 or undefined otherwise)")
    if opts.rows:
        if target is not None or hessian:
            raise UsageError("--rows cannot be combined with --target or --hessian")
        result, failures = grads.rows_gradient_result(inputs.read_rows(spec), order, kind, tolerance if check else None)
        common.show(result, opts)
        return common.fail_if(failures[0] if failures else None)
    x, t = inputs.read_vector(spec, target)
    labels = [str(i) for i in range(1, x.size + 1)]
    d = grads.offset(x, t)
    if hessian:
        h = common.core_call(grads.hessian, d, order, kind)
        common.show(grads.hessian_result(h, order, kind, labels, t is not None), opts)
        if check:
            chk = common.core_call(grads.hessian_check, d, order, kind, tolerance)
            common.fail_if(grads.hessian_failure(chk, labels, tolerance))
        return None
    g = common.core_call(grads.grad, d, order, kind)
    chk = grads.check(g.values, grads.vector_function(order, kind, t), x, tolerance) if check else None
    common.show(grads.gradient_result(x, g, order, kind, labels, t is not None, chk), opts)
    if chk is not None:
        common.fail_if(grads.failed_component(chk, g, labels))


def _matrix(spec, matrix: str, check: bool, tolerance: float, opts: Shared) -> None:
    """--matrix: the gradient of a matrix norm of the selected columns."""
    from .. import inputs
    from ..core import grads

    if matrix not in grads.MATRIX_GRAD_ORDERS:
        raise UsageError(f"--matrix must be one of {' '.join(grads.MATRIX_GRAD_ORDERS)} for grad, not {matrix!r}")
    names, a = inputs.read_matrix(spec)
    g = common.core_call(grads.matrix_grad, a, matrix)
    chk = grads.check(g.values, grads.matrix_function(matrix), a, tolerance) if check else None
    common.show(grads.matrix_gradient_result(a, g, matrix, names, chk), opts)
    if chk is not None:
        common.fail_if(grads.failed_component(chk, g, grads.matrix_labels(a.shape, names)))
