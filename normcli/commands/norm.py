"""``normcli norm``: Lp norms, power sums and means, matrix norms, ||A x||_p."""

from __future__ import annotations

from ..errors import UsageError
from . import common
from .options import Shared, Values, Words, flag, matrix_file, orders, shared, text

COMMAND = dict(
    short_help="Lp norms and matrix norms.  e.g. normcli norm --p 2 1,2,3",
    epilog="Examples: normcli norm --p 2 1,2,3  |  normcli norm -3,4  |  "
    "normcli norm --p 1 --p inf -f errors.csv -c err  |  normcli norm --rows -f rows.csv",
)


@shared("file", "column", "by", "sort", "delimiter", "header", "rows", "nan", "engine", "scheduler", "output",
        "precision", "quiet")
def norm(
    values: Values = None,
    p: orders("Order: a real number, inf, -inf, or l1 l2 linf max taxicab manhattan euclidean chebyshev. "
              "Repeat for one column per order. [default: 2]") = None,
    power: flag("--power", "Report ||x||_p^p, the sum of |x_i|^p.") = False,
    mean: flag("--mean", "Report the power mean ||x||_p / n^(1/p) (RMS for p = 2).") = False,
    matrix: text("--matrix", help="Treat the selected columns as one matrix: fro nuc 2 -2 1 -1 inf -inf.",
                 click_type=Words("fro", "nuc", "2", "-2", "1", "-1", "inf", "-inf")) = None,
    transform: matrix_file("A matrix file (CSV or .npy): print ||A x||_p, a norm when A is injective.") = None,
    opts: Shared = Shared(),
) -> None:
    """Print the p-norm of each vector (each column of a file, or each row with --rows).

    p = 0 counts non-zero entries; 0 < p < 1 (quasi-norms) and p < 0 follow
    numpy's formula and are labelled as not norms.
    """
    from .. import inputs, operands
    from ..core import norms

    spec = common.input_spec(values, opts, streams=opts.rows)
    common.refuse_sort_without_by(opts)
    if opts.by and (matrix is not None or opts.rows or transform is not None or opts.engine == "dask"):
        raise UsageError("--by gives one result per group of rows; it cannot be combined with --matrix, --rows, "
                         "--transform or --engine dask")
    if opts.engine == "dask" and ((matrix is not None and matrix != "fro") or transform is not None):
        raise UsageError("--engine dask reduces columns and rows (and --matrix fro); the other --matrix norms and "
                         "--transform run on --engine local")
    common.refuse_scheduler_without_dask(opts)
    if matrix is not None:
        if p or power or mean or opts.rows or transform:
            raise UsageError("--matrix cannot be combined with --p, --power, --mean, --rows or --transform")
        if matrix not in norms.MATRIX_ORDERS:
            raise UsageError(f"--matrix must be one of {' '.join(norms.MATRIX_ORDERS)}, not {matrix!r}")
        if opts.engine == "dask":
            return _distributed_frobenius(spec, opts)
        names, a = inputs.read_matrix(spec)
        return common.show(norms.matrix_table(a, matrix), opts)
    if power and mean:
        raise UsageError("--power and --mean cannot be combined")
    order_list = operands.orders(p)
    kind = "power" if power else "mean" if mean else "norm"
    if kind == "power" and any(o in (norms.INF, -norms.INF) for o in order_list):
        raise UsageError("--power needs a finite p: ||x||_inf^inf is not defined")
    if transform is not None:
        return _transformed(spec, transform, order_list, kind, opts)
    if opts.rows and opts.engine == "dask":
        return _distributed_rows(spec, order_list, kind, opts)
    if opts.rows:
        return common.show(norms.rows_table(inputs.read_rows(spec), order_list, kind), opts)
    if opts.by:
        return _grouped(spec, order_list, kind, opts)
    if opts.engine == "dask":
        return _distributed(spec, order_list, kind, opts)
    cols = inputs.read_columns(spec)
    result = common.core_call(norms.norm_table, cols.names, cols.chunks(), order_list, kind)
    common.omitted_values(result, cols.omitted)
    common.show(result, opts)


def _transformed(spec, path: str, order_list, kind: str, opts: Shared) -> None:
    """--transform: ||A x||_p of the vector, or of every row."""
    from .. import inputs, operands
    from ..core import distances

    if kind != "norm":
        raise UsageError("--transform gives ||A x||_p; it cannot be combined with --power or --mean")
    if opts.nan == "propagate":
        raise UsageError("--transform needs finite x: use --nan error or --nan omit")
    A = operands.matrix_file(path, "--transform")
    if opts.rows:
        return common.show(common.core_call(distances.transform_rows_result, A, inputs.read_rows(spec), order_list),
                           opts)
    x, _ = inputs.read_vector(spec)
    common.show(common.core_call(distances.transform_result, A, x, order_list), opts)


def _distributed(spec, order_list, kind: str, opts: Shared) -> None:
    """--engine dask: the columns reduced partition by partition on the cluster, merged there."""
    from .. import distributed
    from ..core import norms

    with distributed.Cluster(opts.scheduler) as cluster:
        names, accs, omitted = distributed.reduce(spec, order_list, cluster)
    result = common.core_call(norms.accumulators_table, names, accs, order_list, kind)
    common.omitted_values(result, omitted)
    common.show(result, opts)


def _distributed_rows(spec, order_list, kind: str, opts: Shared) -> None:
    """--rows --engine dask: each partition's rows on a worker, written in input order as they finish."""
    from .. import distributed

    with distributed.Cluster(opts.scheduler) as cluster:
        common.show(distributed.rows(spec, order_list, kind, cluster), opts)


def _distributed_frobenius(spec, opts: Shared) -> None:
    """--matrix fro --engine dask: every entry's square, from the columns' merged accumulators."""
    from .. import distributed
    from ..core import norms

    with distributed.Cluster(opts.scheduler) as cluster:
        names, accs, omitted = distributed.reduce(spec, [2.0], cluster, paired=True)
    shape = (accs[0].count, len(names))
    result = norms.matrix_result(common.core_call(norms.frobenius, accs), "fro", shape)
    common.show(result, opts)


def _grouped(spec, order_list, kind: str, opts: Shared) -> None:
    """--by: one accumulator per group and column, reduced block by block; one row per group and column."""
    from .. import inputs
    from ..core import groups

    table = inputs.read_grouped(spec)
    acc, left_out = groups.reduce_groups(table.chunks(), len(table.names), order_list, spec.nan == "omit")
    keys = table.index.keys
    order = common.group_order(keys) if opts.sort else None
    result = common.core_call(groups.groups_table, table.by, keys, table.names, acc, order_list, kind, order,
                              spec.nan == "omit")
    common.omitted_by_column(result, table.names, left_out)
    common.show(result, opts)
