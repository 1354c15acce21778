"""The Typer app: one thin function per command, and the one place errors become exit codes.

Imports here are kept light: ``normcli --help`` and shell completion must
not load numpy or rich, so commands import ``inputs``/``core`` inside
their bodies.
"""

from __future__ import annotations

import math
import os
import re
import sys
from typing import Annotated, Optional

import typer

# typer 0.28 vendors click as typer._click (the pin in pyproject keeps it so).
from typer._click.exceptions import ClickException, NoArgsIsHelpError
from typer._click.exceptions import UsageError as ClickUsageError
from typer._click.types import ParamType
from typer.core import TyperCommand, TyperGroup, TyperOption
from typer.exceptions import Abort

from . import __version__
from .errors import ExitCode, InputError, NormcliError, UsageError

# A token that starts with "-" but is a number (or a list of them): "-3,4",
# "-.5", "-1e-3", "-inf", "-nan". No normcli option looks like this.
_NEGATIVE_VALUE = re.compile(r"^-(\d|\.\d|inf|nan)", re.IGNORECASE)

FORMATS = ("auto", "table", "plain", "csv", "json")


class Words(ParamType):
    """A word from a fixed list: the help shows ``[a|b|c]`` and completion offers them.

    The value passes through unchanged (aliases and case are the command's
    to resolve, with its own message), so this only describes the choices.
    """

    name = "choice"

    def __init__(self, *choices: str) -> None:
        self.choices = choices

    def convert(self, value, param, ctx):
        return value

    def get_metavar(self, param, ctx=None) -> str:
        return "[" + "|".join(self.choices) + "]"

    def shell_complete(self, ctx, param, incomplete: str) -> list:
        from typer._click.shell_completion import CompletionItem

        return [CompletionItem(c) for c in self.choices if c.startswith(incomplete.lower())]


# The metrics as the help lists them; every spelling compare.metric_name accepts still works.
_METRIC_WORDS = Words("l1", "l2", "mae", "mse", "rmse", "max", "median", "bias", "r2", "mape")


class _OutputClosed(Exception):
    """stdout was closed by the reader (``| head``)."""


class NormcliGroup(TyperGroup):
    """Runs every command through :func:`_run`, so errors speak with one voice.

    ``CliRunner().invoke(app, ...)`` goes through here too, so tests see
    exactly what a user sees.
    """

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        def call():
            return super(NormcliGroup, self).main(
                args=args,
                prog_name=prog_name or "normcli",
                complete_var=complete_var,
                standalone_mode=False,
                **extra,
            )

        code = _run(call)
        if standalone_mode:
            sys.exit(code)
        return code


def _run(call) -> int:
    from . import render

    if sys.stdout is None:  # started with stdout closed (`>&-`): nothing could be shown
        render.error("cannot write the output: standard output is closed")
        return ExitCode.DATA
    stdout, sys.stdout = sys.stdout, _Stdout(sys.stdout)  # every writer's failures told apart
    try:
        rv = _call_closing_meters(call)
        sys.stdout.flush()  # now, not at exit, so that a full disk is an error here
    except NoArgsIsHelpError as exc:  # bare `normcli`: the help, on stderr
        render.usage(exc.format_message())
        return ExitCode.USAGE
    except ClickUsageError as exc:
        hint = ""
        if exc.ctx is not None:
            hint = f" (see '{exc.ctx.command_path} --help')"
        render.error(exc.format_message() + hint)
        return ExitCode.USAGE
    except ClickException as exc:
        render.error(exc.format_message())
        return exc.exit_code
    except Abort:
        return ExitCode.INTERRUPTED
    except NormcliError as exc:
        render.error(str(exc))
        return exc.exit_code
    except (_OutputClosed, BrokenPipeError):
        _silence_stdout()
        return ExitCode.OK
    except _OutputFailed as exc:  # a full disk, a bad descriptor
        _silence_stdout()
        render.error(f"cannot write the output: {exc.strerror or exc}")
        return ExitCode.DATA
    except KeyboardInterrupt:
        return ExitCode.INTERRUPTED
    finally:
        sys.stdout = stdout
    return int(rv or 0)


def _call_closing_meters(call):
    try:
        return call()
    finally:
        while _METERS:
            _METERS.pop().close()


def _silence_stdout() -> None:
    # Python flushes stdout at exit; a closed pipe would then print an
    # "Exception ignored" message. Point the descriptor at /dev/null.
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


class ValuesCommand(TyperCommand):
    """A command whose positional values may be negative numbers without ``--``.

    Click would read ``-3,4`` as an option. Before parsing, every
    number-like token that is not the value of an option is moved behind a
    ``--``, in order; anything else that starts with ``-`` stays an option,
    so ``--bogus`` is still a usage error.
    """

    def parse_args(self, ctx, args):
        takes_value = {}
        single = {}  # option string -> its parameter, for options that keep one value
        for param in self.params:
            if isinstance(param, TyperOption):
                for opt in (*param.opts, *param.secondary_opts):
                    takes_value[opt] = not (param.is_flag or param.count)
                    if takes_value[opt] and not param.multiple:
                        single[opt] = param
        options: list[str] = []
        values: list[str] = []
        given: dict[str, list[str]] = {}
        i = 0
        while i < len(args):
            tok = args[i]
            if tok == "--":
                values.extend(args[i + 1 :])
                break
            if tok.startswith("-") and tok != "-" and not _NEGATIVE_VALUE.match(tok):
                options.append(tok)
                name, eq, inline = tok.partition("=")
                if not eq and name not in takes_value and name[:2] in single and not name.startswith("--"):
                    name, inline, eq = name[:2], name[2:], "="  # -fdata.csv
                if "=" not in tok and takes_value.get(tok) and i + 1 < len(args):
                    options.append(args[i + 1])
                    inline = args[i + 1]
                    i += 1
                if name in single:
                    given.setdefault(single[name].name, []).append(f"{name} {inline}")
            else:
                values.append(tok)
            i += 1
        longest = {param.name: max(param.opts, key=len) for param in single.values()}
        for key, uses in given.items():
            if len(uses) > 1:  # click would keep the last one silently
                raise UsageError(f"{longest[key]} is given {len(uses)} times ({', '.join(map(repr, uses))}); "
                                 "it takes one value")
        return super().parse_args(ctx, options + (["--", *values] if values else []))


app = typer.Typer(
    cls=NormcliGroup,
    name="normcli",
    help="Norms, their gradients, model comparison by errors, and regularized steps.",
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
    no_args_is_help=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        from . import render

        render.echo(f"normcli {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    """normcli: norms, their gradients, model comparison by errors, regularized steps.

    Values come as arguments (1,2,3 or -3,4), from --file (CSV, TSV,
    whitespace, .npy; - is stdin) or from a pipe. Output is a table on a
    terminal and plain exact numbers in a pipe (--output to choose).

    Exit codes: 0 ok, 1 bad data, 2 bad usage, 130 interrupted.
    """


# Options shared by every command that reads vectors ----------------------
Values = Annotated[
    Optional[list[str]],
    typer.Argument(help="Numbers separated by commas and/or spaces: 1,2,3  '1 2 3'  -3,4", show_default=False),
]
FileOpt = Annotated[
    Optional[str],
    typer.Option("--file", "-f", help="CSV, TSV, whitespace-separated or .npy file; - for stdin.", show_default=False,
                 metavar="FILE"),
]
ColumnOpt = Annotated[
    Optional[list[str]],
    typer.Option("--column", "-c", help="Column to use, by header name or 1-based index (repeatable).", show_default=False,
                 metavar="COLUMN"),
]
DelimiterOpt = Annotated[
    Optional[str],
    typer.Option("--delimiter", "-d", help="Field delimiter (default: detected; \\t for tab).", show_default=False,
                 metavar="CHAR"),
]
HeaderOpt = Annotated[
    Optional[bool],
    typer.Option("--header/--no-header", help="Whether the first line is a header (default: detected).", show_default=False),
]
RowsOpt = Annotated[bool, typer.Option("--rows", help="Each row is a vector of its own; one result per row, streamed.")]
NanOpt = Annotated[
    str,
    typer.Option("--nan", help="Missing, non-numeric or non-finite values: error, omit or propagate.",
                 click_type=Words("error", "omit", "propagate")),
]
OutputOpt = Annotated[
    str,
    typer.Option("--output", "-o", help="auto (table on a terminal, plain in a pipe), table, plain, csv or json.",
                 click_type=Words(*FORMATS)),
]
PrecisionOpt = Annotated[
    Optional[int],
    typer.Option("--precision", help="Significant digits (default: exact round-trip values).", min=1, max=17, show_default=False),
]


PlotOpt = Annotated[bool, typer.Option("--plot", help="Also draw the picture in the terminal (needs normcli[plot]).")]
SaveOpt = Annotated[
    Optional[str],
    typer.Option("--save", help="Write the picture to FILE.png, .svg or .pdf (needs normcli[plot]).", metavar="FILE",
                 show_default=False),
]

QuietOpt = Annotated[
    bool, typer.Option("--quiet", "-q", help="No progress bar on stderr for long reads.")
]

_METERS: list = []  # progress bars to close however the command ends


def _input_spec(values, file, column, delimiter, header, nan, quiet: bool = True, streams: bool = False):
    """The input options; unless ``quiet``, with a progress bar for long reads when stderr is a terminal.

    A command that ``streams`` its results (--rows) gets no bar when stdout is the same terminal.
    """
    from . import render
    from .inputs import InputSpec

    meter = None
    if not (quiet or (streams and sys.stdout.isatty())):
        meter = render.progress()
        if meter is not None:
            _METERS.append(meter)
    from typer._click.globals import get_current_context

    ctx = get_current_context(silent=True)  # the command's name, for the examples of a no-input error
    named = {"command": ctx.info_name} if ctx is not None and ctx.info_name else {}
    return InputSpec(tuple(values or ()), file, tuple(column or ()), delimiter, header, nan, progress=meter, **named)


def _check_output(output: str) -> None:
    if output not in FORMATS:
        raise UsageError(f"--output must be one of {', '.join(FORMATS)}, not {output!r}")


def _show_pictures(result, output: str, precision, plot: bool, save: str | None) -> None:
    """Show ``result``; its pictures are drawn with ``plot`` and written to the file ``save``."""
    from . import plots, render

    if plot and render.resolve_format(output) in ("table", "plain"):
        plots.check_terminal()  # a missing library fails before any output
    if save is not None:
        plots.save(result.pictures, save)  # written first: a file that cannot be written leaves stdout empty
    if not plot:
        result.pictures = []
    _show(result, output, precision)


class _OutputFailed(OSError):
    """A write to stdout failed for another reason than a closed pipe (a full disk, a bad descriptor)."""


class _Stdout:
    """sys.stdout while a command runs: a failed write is an :class:`_OutputFailed`, told apart from
    other I/O errors (a file read while a result streams); a closed pipe stays a BrokenPipeError."""

    def __init__(self, stream) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        return self._guarded(self._stream.write, text)

    def flush(self) -> None:
        self._guarded(self._stream.flush)

    @staticmethod
    def _guarded(method, *args):
        try:
            return method(*args)
        except BrokenPipeError:
            raise
        except OSError as exc:
            raise _OutputFailed(exc.errno, exc.strerror) from None

    def __getattr__(self, name):
        return getattr(self._stream, name)


def _show(result, output: str, precision) -> None:
    """Write ``result``; results streamed from core speak its ValueErrors as errors, as :func:`_core_call`."""
    from . import render

    try:
        render.show(result, output, precision)
    except BrokenPipeError:
        raise _OutputClosed() from None
    except ValueError as exc:  # a row of a streamed result that core refuses
        raise NormcliError(str(exc)) from None


@app.command(
    cls=ValuesCommand,
    short_help="Lp norms and matrix norms.  e.g. normcli norm --p 2 1,2,3",
    epilog="Examples: normcli norm --p 2 1,2,3  |  normcli norm -3,4  |  "
    "normcli norm --p 1 --p inf -f errors.csv -c err  |  normcli norm --rows -f rows.csv",
)
def norm(
    values: Values = None,
    p: Annotated[
        Optional[list[str]],
        typer.Option(
            "--p",
            "-p",
            help="Order: a real number, inf, -inf, or l1 l2 linf max taxicab manhattan euclidean chebyshev. "
            "Repeat for one column per order. [default: 2]",
            show_default=False,
            metavar="P",
        ),
    ] = None,
    power: Annotated[bool, typer.Option("--power", help="Report ||x||_p^p, the sum of |x_i|^p.")] = False,
    mean: Annotated[bool, typer.Option("--mean", help="Report the power mean ||x||_p / n^(1/p) (RMS for p = 2).")] = False,
    matrix: Annotated[
        Optional[str],
        typer.Option("--matrix", help="Treat the selected columns as one matrix: fro nuc 2 -2 1 -1 inf -inf.", show_default=False,
                     click_type=Words("fro", "nuc", "2", "-2", "1", "-1", "inf", "-inf")),
    ] = None,
    transform: Annotated[
        Optional[str],
        typer.Option("--transform", help="A matrix file (CSV or .npy): print ||A x||_p, a norm when A is injective.",
                     metavar="FILE", show_default=False),
    ] = None,
    file: FileOpt = None,
    column: ColumnOpt = None,
    delimiter: DelimiterOpt = None,
    header: HeaderOpt = None,
    rows: RowsOpt = False,
    nan: NanOpt = "error",
    output: OutputOpt = "auto",
    precision: PrecisionOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """Print the p-norm of each vector (each column of a file, or each row with --rows).

    p = 0 counts non-zero entries; 0 < p < 1 (quasi-norms) and p < 0 follow
    numpy's formula and are labelled as not norms.
    """
    from .core import norms
    from . import inputs

    _check_output(output)
    spec = _input_spec(values, file, column, delimiter, header, nan, quiet, streams=rows)
    if matrix is not None:
        if p or power or mean or rows or transform:
            raise UsageError("--matrix cannot be combined with --p, --power, --mean, --rows or --transform")
        if matrix not in norms.MATRIX_ORDERS:
            raise UsageError(f"--matrix must be one of {' '.join(norms.MATRIX_ORDERS)}, not {matrix!r}")
        names, a = inputs.read_matrix(spec)
        return _show(norms.matrix_table(a, matrix), output, precision)
    if power and mean:
        raise UsageError("--power and --mean cannot be combined")
    orders = _orders(p)
    kind = "power" if power else "mean" if mean else "norm"
    if kind == "power" and any(o in (norms.INF, -norms.INF) for o in orders):
        raise UsageError("--power needs a finite p: ||x||_inf^inf is not defined")
    if transform is not None:
        from .core import distances

        if kind != "norm":
            raise UsageError("--transform gives ||A x||_p; it cannot be combined with --power or --mean")
        if nan == "propagate":
            raise UsageError("--transform needs finite x: use --nan error or --nan omit")
        A = _matrix_file(transform, "--transform")
        if rows:
            return _show(_core_call(distances.transform_rows_result, A, inputs.read_rows(spec), orders), output,
                         precision)
        x, _ = inputs.read_vector(spec)
        return _show(_core_call(distances.transform_result, A, x, orders), output, precision)
    if rows:
        return _show(norms.rows_table(inputs.read_rows(spec), orders, kind), output, precision)
    cols = inputs.read_columns(spec)
    try:
        result = norms.norm_table(cols.names, cols.chunks(), orders, kind)
    except ValueError as exc:  # a column with nothing left after --nan omit
        raise NormcliError(str(exc)) from None
    for name, count in cols.omitted.items():
        result.notes.append(f"omitted {count} missing or non-finite value(s) from {name!r} (--nan omit)")
    _show(result, output, precision)

@app.command(
    cls=ValuesCommand,
    short_help="Gradients of norms.  e.g. normcli grad --p 1 -3,4,0",
    epilog="Examples: normcli grad 3,4  |  normcli grad --p 2 --power --target 1,1 3,2  |  "
    "normcli grad --p inf --check 3,-3,1  |  normcli grad --matrix nuc -f A.csv  |  normcli grad --hessian --p 3 1,2",
)
def grad(
    values: Values = None,
    p: Annotated[
        Optional[list[str]],
        typer.Option("--p", "-p", help="Order, as for norm: a real number, inf, -inf, l1, l2, max, ... [default: 2]",
                     show_default=False, metavar="P"),
    ] = None,
    power: Annotated[bool, typer.Option("--power", help="Gradient of ||x||_p^p (2x for p = 2).")] = False,
    mean: Annotated[bool, typer.Option("--mean", help="Gradient of the power mean ||x||_p / n^(1/p).")] = False,
    target: Annotated[
        Optional[str],
        typer.Option("--target", "-t", help="t in ||x - t||_p: numbers (1,1) or, with a file, a column name.",
                     show_default=False, metavar="VALUES|COLUMN"),
    ] = None,
    matrix: Annotated[
        Optional[str],
        typer.Option("--matrix", help="Gradient of a matrix norm of the selected columns: fro nuc 2 1 inf.",
                     show_default=False, click_type=Words("fro", "nuc", "2", "1", "inf")),
    ] = None,
    hessian: Annotated[bool, typer.Option("--hessian", help="Print the Hessian matrix (finite p > 1).")] = False,
    check: Annotated[
        bool, typer.Option("--check", help="Compare with central finite differences; exit 1 beyond --tolerance.")
    ] = False,
    tolerance: Annotated[
        float, typer.Option("--tolerance", help="Largest relative error --check accepts.", min=0.0)
    ] = 1e-6,
    file: FileOpt = None,
    column: ColumnOpt = None,
    delimiter: DelimiterOpt = None,
    header: HeaderOpt = None,
    rows: RowsOpt = False,
    nan: NanOpt = "error",
    output: OutputOpt = "auto",
    precision: PrecisionOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """Print the (sub)gradient of ||x||_p with respect to x, one component per line.

    At points where the norm is not differentiable the conventions of torch
    are used (0 at x = 0, 0 for |x_i| at x_i = 0, ties of the max norm split
    equally) and the component is marked.
    """
    import numpy as np

    from . import inputs
    from .core import grads

    _check_output(output)
    if tolerance != tolerance:  # nan passes min=0 (every comparison is false) and would fail every check
        raise UsageError("--tolerance must be a number >= 0, not nan")
    spec = _input_spec(values, file, column, delimiter, header, nan, quiet, streams=rows)
    if power and mean:
        raise UsageError("--power and --mean cannot be combined")
    kind = "power" if power else "mean" if mean else "norm"
    if matrix is not None:
        if power or mean or hessian or rows or target is not None:
            raise UsageError("--matrix cannot be combined with --power, --mean, --hessian, --rows or --target")
        if matrix not in grads.MATRIX_GRAD_ORDERS:
            raise UsageError(f"--matrix must be one of {' '.join(grads.MATRIX_GRAD_ORDERS)} for grad, not {matrix!r}")
        names, a = inputs.read_matrix(spec)
        g = _core_call(grads.matrix_grad, a, matrix)
        chk = grads.check(g.values, grads.matrix_function(matrix), a, tolerance) if check else None
        _show(grads.matrix_gradient_result(a, g, matrix, names, chk), output, precision)
        if chk is not None:
            flat = [f"({i + 1}, {names[j]})" for i in range(a.shape[0]) for j in range(a.shape[1])]
            _fail_if(grads.failed_component(chk, g, flat))
        return
    order = _one_order(p, "grad")
    if kind == "power" and math.isinf(order):
        raise UsageError("--power needs a finite p: ||x||_inf^inf is not defined")
    if hessian and not (math.isfinite(order) and order > 1):
        raise UsageError("--hessian needs a finite p > 1 (the Hessian is 0 or undefined otherwise)")
    if rows:
        if target is not None or hessian:
            raise UsageError("--rows cannot be combined with --target or --hessian")
        result, failures = grads.rows_gradient_result(inputs.read_rows(spec), order, kind, tolerance if check else None)
        _show(result, output, precision)
        _fail_if(failures[0] if failures else None)
        return
    x, t = inputs.read_vector(spec, target)
    labels = [str(i) for i in range(1, x.size + 1)]
    d = x if t is None else x - t
    if hessian:
        h = _core_call(grads.hessian, d, order, kind)
        _show(grads.hessian_result(h, order, kind, labels, t is not None), output, precision)
        if check:
            chk = _core_call(grads.hessian_check, d, order, kind, tolerance)
            if not chk.passed:
                worst = np.where(chk.excess > tolerance, chk.error, -1.0)
                i, j = np.unravel_index(int(np.argmax(worst)), worst.shape)
                _fail_if(f"Hessian check failed at ({labels[i]}, {labels[j]}): relative error "
                         f"{float(chk.error[i, j]):.2e} > tolerance {tolerance:g}")
        return
    g = _core_call(grads.grad, d, order, kind)
    chk = grads.check(g.values, grads.vector_function(order, kind, t), x, tolerance) if check else None
    _show(grads.gradient_result(x, g, order, kind, labels, t is not None, chk), output, precision)
    if chk is not None:
        _fail_if(grads.failed_component(chk, g, labels))


@app.command(
    "compare-models",
    cls=ValuesCommand,
    short_help="Compare models.  e.g. normcli compare-models -f errors.csv",
    epilog="Examples: normcli compare-models --model A=-5,8,-3 --model B=10,-7,12  |  "
    "normcli compare-models -f errors.csv  |  normcli compare-models -f preds.csv --truth y --sort-by rmse",
)
def compare_models(
    model: Annotated[
        Optional[list[str]],
        typer.Option("--model", "-m", help="NAME=VALUES: one model's errors inline (repeatable): --model A=-5,8,-3",
                     show_default=False, metavar="NAME=VALUES"),
    ] = None,
    truth: Annotated[
        Optional[str],
        typer.Option("--truth", help="Column of true values (the other columns are predictions; errors = "
                     "prediction - truth), or the true values as numbers with --model.", show_default=False,
                     metavar="COLUMN|VALUES"),
    ] = None,
    metric: Annotated[
        Optional[list[str]],
        typer.Option("--metric", help="Metric to show (repeatable): l1 l2 mae mse rmse max median bias, "
                     "and r2 mape with --truth. [default: all]", show_default=False, click_type=_METRIC_WORDS),
    ] = None,
    sort_by: Annotated[str, typer.Option("--sort-by", help="Metric that ranks the models.", click_type=_METRIC_WORDS)] = "mae",
    baseline: Annotated[
        Optional[str],
        typer.Option("--baseline", help="Model the others are tested against. [default: the best ranked]",
                     show_default=False, metavar="MODEL"),
    ] = None,
    loss: Annotated[
        Optional[str],
        typer.Option("--loss", help="Per-observation loss of the tests: absolute, squared or percentage "
                     "[default: matches --sort-by]", show_default=False,
                     click_type=Words("absolute", "squared", "percentage")),
    ] = None,
    confidence: Annotated[
        float, typer.Option("--confidence", help="Confidence of the interval; tests are judged at 1 - this.")
    ] = 0.95,
    bootstrap: Annotated[
        Optional[int],
        typer.Option("--bootstrap", help="Bootstrap replicates B. [default: 2000 up to n = 10000, the exact "
                     "large-sample interval above; giving B always resamples]", min=100, max=1_000_000,
                     show_default=False),
    ] = None,
    seed: Annotated[
        int, typer.Option("--seed", help="Seed of the bootstrap (the same seed, the same interval).", min=0)
    ] = 0,
    horizon: Annotated[
        int, typer.Option("--horizon", help="Diebold-Mariano horizon h (autocovariances up to h - 1).", min=1)
    ] = 1,
    plot: PlotOpt = False,
    save: SaveOpt = None,
    file: FileOpt = None,
    column: ColumnOpt = None,
    delimiter: DelimiterOpt = None,
    header: HeaderOpt = None,
    nan: NanOpt = "error",
    output: OutputOpt = "auto",
    precision: PrecisionOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """Compare models by their errors: metrics, a ranking, and paired tests against the best.

    Input: a CSV (file or stdin) with one error column per model, the header
    naming the models; or --truth naming the column of true values, the
    other columns then being predictions; or the errors inline with --model.
    """
    from . import inputs
    from .core import compare

    _check_output(output)
    try:
        shown = [compare.metric_name(m) for m in metric] if metric else None
        sort = compare.metric_name(sort_by)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    if loss is not None and loss not in compare.LOSSES:
        raise UsageError(f"--loss must be one of {', '.join(compare.LOSSES)}, not {loss!r}")
    if not 0 < confidence < 1:
        raise UsageError(f"--confidence must lie strictly between 0 and 1 (0.95 for 95%), not {confidence:g}")
    if truth is None:
        needs = [m for m in [*(shown or ()), sort] if m in compare.TRUTH_METRICS]
        if needs or loss == "percentage":
            what = needs[0] if needs else "--loss percentage"
            raise UsageError(f"{what} needs the true values: name their column with --truth")
    spec = _input_spec((), file, column, delimiter, header, nan, quiet)
    if model:
        names, errors, truth_values, omitted = _inline_models(model, truth, spec)
        guess = None
    else:
        if file is None and not inputs.stdin_piped():
            raise UsageError("no input: give each model's errors with --model NAME=VALUES, a CSV with --file, "
                             "or pipe a CSV in; e.g. normcli compare-models --model A=-5,8,-3 --model B=10,-7,12")
        names, errors, truth_values, omitted, guess = _table_models(spec, truth)
    if baseline is not None and baseline not in names:
        raise UsageError(f"--baseline {baseline!r} is not one of the models ({', '.join(names)})")
    comparison = _core_call(
        lambda: compare.compare(names, errors, truth_values, shown=shown, sort_by=sort, baseline=baseline,
                                loss=loss, confidence=confidence, replicates=bootstrap, seed=seed, horizon=horizon))
    result = compare.comparison_result(comparison)
    if plot or save is not None:
        from .core import pictures

        values = [comparison.values[name][sort] for name in names]
        result.pictures = pictures.compare_pictures(names, errors, truth_values, sort, values, confidence)
    if guess:
        result.warnings.insert(0, guess)
    if omitted:
        result.notes.insert(0, f"omitted {omitted} observation(s) with a missing or non-finite value in any "
                               "column (--nan omit), for every model, so the comparison stays paired")
        if horizon > 1:
            result.warnings.append(f"--nan omit removed {omitted} observation(s) from a series tested with "
                                   f"--horizon {horizon}: the autocovariances are computed across the gaps")
    _show_pictures(result, output, precision, plot, save)


def _inline_models(models: list[str], truth: str | None, spec):
    import numpy as np

    from . import inputs

    if spec.file is not None or spec.columns:
        raise UsageError("give the models either inline with --model or in a file, not both")
    names, vectors = [], []
    for text in models:
        name, sep, values = text.rpartition("=")  # numbers hold no "=", a name may
        if not sep or not name.strip():
            raise UsageError(f"--model takes NAME=VALUES (e.g. A=-5,8,-3), not {text!r}")
        if name.strip() in names:
            raise UsageError(f"--model {name.strip()!r} is given twice; model names must be unique")
        vectors.append(_tokens(values, f"--model {name.strip()}", spec.nan))
        names.append(name.strip())
    if truth is not None:
        vectors.append(_tokens(truth, "--truth", spec.nan))
    lengths = {v.size for v in vectors}
    if len(lengths) > 1:
        sizes = ", ".join(f"{n} has {v.size}" for n, v in zip([*names, "--truth"], vectors))
        raise InputError(f"every model needs the same number of errors: {sizes}")
    if 0 in lengths:
        raise InputError(f"--model {names[0]} has no values")
    table = np.column_stack(vectors)
    omitted = 0
    if spec.nan == "omit":
        table, omitted = inputs.drop_incomplete_rows(table)
    if truth is None:
        return names, table, None, omitted
    y = table[:, -1]
    return names, table[:, :-1] - y[:, None], y, omitted


def _tokens(text: str, where: str, nan: str):
    from . import inputs

    try:  # omit must drop whole observations (all models), so cells are read as nan first
        return inputs.parse_tokens([text], "propagate" if nan == "omit" else nan)
    except InputError as exc:
        raise InputError(str(exc).replace("the values", where, 1)) from None


def _table_models(spec, truth: str | None):
    from . import inputs

    if spec.values:
        raise UsageError("compare-models reads errors from --model, --file or stdin")
    if truth is None:
        names, table, omitted = inputs.read_table(spec)
        y = None
    else:
        names, table, y, omitted = _split_target(spec, truth, "--truth")
    guess = None
    if not spec.columns:
        from .core import compare

        keep, guess = compare.guess_models(names, table, truth is not None)
        names, table = [names[j] for j in keep], table[:, keep]
    return names, table if y is None else table - y[:, None], y, omitted, guess


def _split_target(spec, target: str, what: str):
    """Read a table and split off the column ``target`` (a name or a 1-based index, as --column).

    Returns (other names, other columns, target column, rows omitted). A
    selected column that is the target itself is not among the others.
    """
    from dataclasses import replace

    from . import inputs

    if not spec.columns:
        names, table, omitted = inputs.read_table(spec)
        if target in names:
            j = names.index(target)
        elif target.isdigit() and 1 <= int(target) <= len(names):
            j = int(target) - 1
        else:
            raise UsageError(f"{what} {target!r} is not a column; the columns are {', '.join(map(repr, names))}")
        keep = [k for k in range(len(names)) if k != j]
    else:
        try:
            names, table, omitted = inputs.read_table(replace(spec, columns=(*spec.columns, target)))
        except UsageError as exc:
            raise UsageError(f"{what} {target!r}: {exc}") from None
        j = len(names) - 1
        keep = [k for k in range(j) if names[k] != names[j]]
    if not keep:
        raise UsageError(f"{what} leaves no {'prediction' if what == '--truth' else 'feature'} column")
    return [names[k] for k in keep], table[:, keep], table[:, j], omitted


@app.command(
    cls=ValuesCommand,
    short_help="Regularized weight updates.  e.g. normcli regstep --lr 0.1 --l2 0.01 -g 0.1,0.2 0.5,-1",
    epilog="Examples: normcli regstep --lr 0.1 --l2 0.01 --grad 0.1,0.2,-0.3 0.5,-1.2,2  |  "
    "normcli regstep --lr 0.1 --l1 0.5 --grad 0.1 0.05  |  "
    "normcli regstep --lr 0.5 --l2 0.1 --data train.csv --target y --steps 200 --solve",
)
def regstep(
    values: Annotated[
        Optional[list[str]],
        typer.Argument(help="The weights w (or --weights): 0.5,-1.2,2; one per line from a pipe also works.",
                       show_default=False),
    ] = None,
    weights: Annotated[
        Optional[str],
        typer.Option("--weights", "-w", help="The weights w: numbers, or a file (- for stdin) with one column.",
                     show_default=False, metavar="VALUES|FILE"),
    ] = None,
    grad: Annotated[
        Optional[str],
        typer.Option("--grad", "-g", help="The data-loss gradient at w: numbers, or a file with one column.",
                     show_default=False, metavar="VALUES|FILE"),
    ] = None,
    data: Annotated[
        Optional[str],
        typer.Option("--data", help="CSV of a linear model's data (- for stdin): --target names y, the other "
                     "selected columns are features; loss (1/2n)||Xw + b - y||^2.", show_default=False,
                     metavar="FILE"),
    ] = None,
    target: Annotated[
        Optional[str],
        typer.Option("--target", "-t", help="With --data: the column holding y.", show_default=False, metavar="COLUMN"),
    ] = None,
    intercept: Annotated[
        bool, typer.Option("--intercept", help="With --data: fit an unpenalized bias b (the last weight, 'b').")
    ] = False,
    lr: Annotated[
        float, typer.Option("--lr", help="Learning rate (> 0).", show_default=False)
    ] = ...,
    l2: Annotated[float, typer.Option("--l2", help="L2 strength lambda (>= 0); see --convention.", min=0.0)] = 0.0,
    l1: Annotated[float, typer.Option("--l1", help="L1 strength lambda1 (>= 0): penalty lambda1 ||w||_1.", min=0.0)] = 0.0,
    l1_method: Annotated[
        str, typer.Option("--l1-method", help="prox (soft-thresholding; with --l2 the exact elastic-net step) "
                          "or subgradient (lambda1 sign(w)).", click_type=Words("prox", "subgradient"))
    ] = "prox",
    convention: Annotated[
        str, typer.Option("--convention", help="half: penalty (lambda/2)||w||^2, gradient lambda w (torch SGD "
                          "weight_decay); full: lambda ||w||^2, gradient 2 lambda w (Keras l2).",
                          click_type=Words("half", "full"))
    ] = "half",
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
    solve: Annotated[
        bool, typer.Option("--solve", help="With --data: also print the closed-form ridge solution w*.")
    ] = False,
    plot: Annotated[bool, typer.Option("--plot", help="With --steps: draw the objective and ||w||_2 per step "
                                       "(needs normcli[plot]).")] = False,
    save: SaveOpt = None,
    column: ColumnOpt = None,
    delimiter: DelimiterOpt = None,
    header: HeaderOpt = None,
    nan: NanOpt = "error",
    output: OutputOpt = "auto",
    precision: PrecisionOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """One or many L2 / L1 / elastic-net regularized gradient steps, every term of the update shown.

    The L2 penalty's gradient is lambda*w, proportional to each weight: every
    weight shrinks toward zero by the same factor. Plain output is the new
    weights, one per line, so one call feeds the next.
    """
    import numpy as np

    from .core import regularize as reg

    _check_output(output)
    if not (math.isfinite(lr) and lr > 0):
        raise UsageError(f"--lr must be a finite number > 0, not {lr:g}")
    if max_norm is not None and not max_norm > 0:
        raise UsageError(f"--max-norm must be > 0, not {max_norm:g}")
    try:
        penalty = reg.Penalty(l2, l1, convention, l1_method, max_norm)
    except ValueError as exc:
        message = str(exc)
        for words, flag in (("the L2 strength", "--l2"), ("the L1 strength", "--l1"), ("L2 convention", "--convention"),
                            ("L1 method", "--l1-method")):
            message = message.replace(words, flag)
        raise UsageError(message) from None
    if weights is not None and values:
        raise UsageError("give the weights once: as values or with --weights, not both")
    stdin_users = [flag for flag, value in (("--weights", weights), ("--grad", grad), ("--data", data)) if value == "-"]
    if len(stdin_users) > 1:
        raise UsageError(f"only one of {', '.join(stdin_users)} can read stdin (-)")
    if data is None:
        for flag, given in (("--target", target is not None), ("--intercept", intercept), ("--solve", solve)):
            if given:
                raise UsageError(f"{flag} needs --data (a CSV of the features and the target)")
        if column:
            raise UsageError("--column selects columns of --data")
    else:
        if grad is not None:
            raise UsageError("give the data-loss gradient with --grad or the data with --data, not both")
        if target is None:
            raise UsageError("--data needs --target COL, the column holding y")
        if nan == "propagate":
            raise UsageError("--nan propagate would carry nan into every step; use --nan omit (drop those rows) "
                             "or --nan error")
    if solve and l1 > 0:
        raise UsageError("--solve is the closed-form ridge solution; with --l1 there is none (iterate with --steps)")
    if every is not None and steps == 1:
        raise UsageError("--every sets the rows of the trajectory of --steps N (N > 1)")
    if (plot or save is not None) and steps == 1:
        raise UsageError("--plot and --save draw the trajectory of --steps N (N > 1)")
    every = every or (1 if steps <= 20 else -(-steps // 20))
    record = every
    if plot or save is not None:
        from .core import pictures

        record = pictures.plot_every(steps, every)  # more points for the picture; the table keeps its rows
    fmt = dict(delimiter=delimiter, header=header)
    # Weights: values, --weights, or a piped stdin (unless --data reads it); with --data they may be absent (w = 0).
    w = _vector_arg(weights, values, "--weights", fmt, stdin_ok=data != "-" and grad != "-",
                    empty_ok=data is not None)

    if data is not None:
        spec = _input_spec((), data, column, delimiter, header, nan, quiet)
        features, X, y, omitted = _split_target(spec, target, "--target")
        X = np.ascontiguousarray(X)
        d = X.shape[1]
        b = None
        started = w is not None
        if w is None:
            w = np.zeros(d)
        elif intercept and w.size == d + 1:
            w, b = w[:-1], float(w[-1])
        elif w.size != d:
            extra = f" (or {d + 1} with the intercept b last)" if intercept else ""
            raise InputError(f"--weights has {w.size} value(s) but --data has {d} feature column(s){extra}")
        traj = _core_call(lambda: reg.iterate(w, lr, penalty, steps, record, data=(X, y), intercept=intercept,
                                              b=b if intercept else None))
        drawn = _thin_records(traj, every)
        solution = _core_call(lambda: reg.ridge_solve(X, y, penalty, intercept)) if solve else None
        ib = None if traj.b is None else (traj.final_b_before, traj.final_b_grad, traj.b)
        if steps == 1:
            result = reg.step_result(traj.final, penalty, lr, features, traj.final_loss_before,
                                     traj.final_loss_after, ib, solution)
        else:
            result = reg.trajectory_result(traj, penalty, lr, features, solution)
        if solution is not None:
            result.notes += reg.solution_notes(*solution, penalty, X, y, traj.w)
        if omitted:
            result.notes.insert(0, f"omitted {omitted} row(s) of --data with a missing or non-finite value "
                                   "(--nan omit)")
        if not started:
            result.notes.insert(0, "starting from w = 0 (no --weights given)")
        if plot or save is not None:
            result.pictures = pictures.trajectory_pictures(drawn)
        return _show_pictures(result, output, precision, plot, save)

    if w is None:
        raise UsageError("give the weights (as values, --weights, or on stdin) and --grad, or --data with --target")
    if grad is None:
        raise UsageError("give the data-loss gradient with --grad (or a linear model's data with --data)")
    g = _vector_arg(grad, None, "--grad", fmt, stdin_ok=True)
    if g.size != w.size:
        raise InputError(f"--grad has {g.size} value(s) but the weights have {w.size}")
    if steps == 1:
        result = reg.step_result(_core_call(reg.step, w, g, lr, penalty), penalty, lr)
    else:
        traj = _core_call(lambda: reg.iterate(w, lr, penalty, steps, record, grad=g))
        drawn = _thin_records(traj, every)
        result = reg.trajectory_result(traj, penalty, lr)
        if plot or save is not None:
            result.pictures = pictures.trajectory_pictures(drawn)
    _show_pictures(result, output, precision, plot, save)


def _thin_records(traj, every: int) -> list:
    """Keep in ``traj`` the records of every ``every``-th step (and the last); return all of them (the picture's)."""
    records = traj.records
    traj.records = [r for r in records if r.step % every == 0 or r.step == traj.steps]
    return records


# --------------------------------------------------------------------------
# The rest of the norms story: dist, normalize, sobolev, ball
# --------------------------------------------------------------------------
POrderOpt = Annotated[
    Optional[list[str]],
    typer.Option("--p", "-p", help="Order, as for norm: a real number, inf, -inf, l1, l2, max, ... [default: 2]",
                 show_default=False, metavar="P"),
]


@app.command(
    cls=ValuesCommand,
    short_help="Distances ||a - b||_p, Hamming, distance matrices.  e.g. normcli dist 1,2,3 4,6,8",
    epilog="Examples: normcli dist 1,2,3 4,6,8  |  normcli dist --p 1 --p inf 0,0 3,-4  |  "
    "normcli dist --hamming 1,0,1,1 1,1,0,1  |  normcli dist -f preds.csv -c a -c b  |  "
    "normcli dist --pairwise -f points.csv",
)
def dist(
    values: Annotated[
        Optional[list[str]],
        typer.Argument(help="The two vectors A B: numbers (1,2,3 4,6,8), or files of one column or row.",
                       show_default=False),
    ] = None,
    p: POrderOpt = None,
    hamming: Annotated[bool, typer.Option("--hamming", help="Count the components that differ (and their share).")]
    = False,
    pairwise: Annotated[
        bool, typer.Option("--pairwise", help="The distance matrix of the rows of a file (streamed row by row).")
    ] = False,
    by: Annotated[
        str, typer.Option("--by", help="With --pairwise: the distances between rows or between columns.",
                          click_type=Words("rows", "columns"))
    ] = "rows",
    file: FileOpt = None,
    column: ColumnOpt = None,
    delimiter: DelimiterOpt = None,
    header: HeaderOpt = None,
    nan: NanOpt = "error",
    output: OutputOpt = "auto",
    precision: PrecisionOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """The distance ||a - b||_p between two vectors, or the distance matrix of a file's rows.

    A and B are values or files; without them, the two selected columns of
    a file (or stdin) are A and B. Each difference a_i - b_i is rounded once
    (as numpy and scipy do); the norm of the differences is exact to about
    an ulp and safe from overflow.
    """
    from . import inputs
    from .core import distances

    _check_output(output)
    if by not in ("rows", "columns"):
        raise UsageError(f"--by must be rows or columns, not {by!r}")
    if by != "rows" and not pairwise:
        raise UsageError("--by chooses what --pairwise compares")
    orders = _orders(p)
    if hamming and p:
        raise UsageError("--hamming counts differing components; it takes no --p")
    spec = _input_spec((), file, column, delimiter, header, nan, quiet)
    if pairwise:
        if values:
            raise UsageError("--pairwise reads a table from --file or stdin, not values")
        if len(orders) > 1:
            raise UsageError(f"--pairwise takes one --p (got {len(orders)}); run it once per order")
        names, table, omitted = inputs.read_table(spec)
        if by == "columns":
            table = table.T
        else:
            names = [str(i) for i in range(1, table.shape[0] + 1)]
        result = _core_call(distances.pairwise_result, names, table, orders[0], hamming, by)
        if omitted:
            result.notes.insert(0, f"omitted {omitted} row(s) with a missing or non-finite value (--nan omit)")
        return _show(result, output, precision)
    if values:
        if len(values) != 2:
            raise UsageError(f"dist takes two vectors A B (e.g. 1,2,3 4,6,8); got {len(values)} argument(s)")
        if file is not None or column:
            raise UsageError("give the vectors either as A B or with --file/--column, not both")
        fmt = dict(delimiter=delimiter, header=header)
        a = _vector_arg(values[0], None, "A", fmt, stdin_ok=False, nan=nan)
        b = _vector_arg(values[1], None, "B", fmt, stdin_ok=False, nan=nan)
        names = ["A", "B"]
        omitted = 0
    else:
        if file is None and not inputs.stdin_piped():
            raise UsageError("no input: give two vectors (normcli dist 1,2,3 4,6,8), or a file with two columns")
        names, table, omitted = inputs.read_table(spec)
        if table.shape[1] != 2:
            listed = ", ".join(repr(n) for n in names)
            raise UsageError(f"dist needs two columns (A and B); the input has {table.shape[1]} ({listed}): "
                             "select two with --column, or use --pairwise")
        a, b = table[:, 0], table[:, 1]
    if a.size != b.size:
        raise InputError(f"{names[0]} has {a.size} value(s) but {names[1]} has {b.size}")
    if values and nan == "omit":  # pairs go whole, as read_table drops a file's rows
        import numpy as np

        pairs, omitted = inputs.drop_incomplete_rows(np.column_stack([a, b]))
        a, b = pairs[:, 0], pairs[:, 1]
    if hamming:
        result = distances.hamming_result(a, b, names)
    else:
        result = _core_call(distances.distance_result, a, b, orders, names)
    if omitted:
        result.notes.insert(0, f"omitted {omitted} row(s) with a missing or non-finite value (--nan omit)")
    _show(result, output, precision)


def _orders(p) -> list[float]:
    from .core import norms

    try:
        return [norms.parse_order(t) for t in (p or ["2"])]
    except ValueError as exc:
        raise UsageError(f"--p: {exc}") from None


def _one_order(p, command: str) -> float:
    if p and len(p) > 1:
        raise UsageError(f"{command} takes one --p (got {len(p)}: {', '.join(p)}); run it once per order")
    return _orders(p)[0]


@app.command(
    cls=ValuesCommand,
    short_help="Unit vectors x / ||x||_p.  e.g. normcli normalize 3,4",
    epilog="Examples: normcli normalize 3,4  |  normcli normalize --p 1 1,1,2  |  "
    "normcli normalize --rows -f embeddings.csv | normcli norm --rows",
)
def normalize(
    values: Values = None,
    p: POrderOpt = None,
    file: FileOpt = None,
    column: ColumnOpt = None,
    delimiter: DelimiterOpt = None,
    header: HeaderOpt = None,
    rows: RowsOpt = False,
    nan: NanOpt = "error",
    output: OutputOpt = "auto",
    precision: PrecisionOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """Divide each vector by its p-norm: x / ||x||_p, one value per line (each row with --rows).

    A zero vector stays zero, with a note (as scikit-learn's normalize).
    Plain output is the unit vector itself, so it feeds the other commands.
    """
    from . import inputs
    from .core import distances

    _check_output(output)
    order = _one_order(p, "normalize")
    if order == 0:
        raise UsageError("--p 0 counts non-zeros: x / ||x||_0 is not a unit vector of anything; give p != 0")
    spec = _input_spec(values, file, column, delimiter, header, nan, quiet, streams=rows)
    if rows:
        if nan == "propagate":
            raise UsageError("--nan propagate has no unit vector to give; use --nan omit or error")
        return _show(distances.normalize_rows_result(inputs.read_rows(spec), order), output, precision)
    x, _ = inputs.read_vector(spec)
    _show(_core_call(distances.normalize_result, x, order), output, precision)


@app.command(
    cls=ValuesCommand,
    short_help="Sobolev norms W^{k,p} and H^s of sampled functions.  e.g. normcli sobolev --dx 0.1 -f f.csv",
    epilog="Examples: normcli sobolev --dx 0.01 -f f.csv  |  normcli sobolev --x x -c f -f samples.csv --k 2  |  "
    "normcli sobolev --periodic --s 0.5 --dx 0.0061359 -f f.csv",
)
def sobolev(
    values: Values = None,
    dx: Annotated[
        Optional[float], typer.Option("--dx", help="Grid step of the samples (or give --x).", show_default=False)
    ] = None,
    x: Annotated[
        Optional[str],
        typer.Option("--x", help="Column of the sample points (uniformly spaced); the other selected column is f.",
                     show_default=False, metavar="COLUMN"),
    ] = None,
    k: Annotated[int, typer.Option("--k", help="Highest derivative order (finite differences).", min=0, max=8)] = 1,
    p: POrderOpt = None,
    periodic: Annotated[
        bool, typer.Option("--periodic", help="f is periodic: the spectral H^s norm (FFT; p = 2).")
    ] = False,
    s: Annotated[
        Optional[float],
        typer.Option("--s", help="With --periodic: the order s >= 0 of H^s, fractional allowed. [default: --k]",
                     show_default=False),
    ] = None,
    weights: Annotated[
        str, typer.Option("--weights", help="With --periodic: bessel ((1 + xi^2)^s) or sum (sum over j <= k of "
                          "xi^(2j), the W^{k,2} norm).", click_type=Words("bessel", "sum"))
    ] = "bessel",
    quadrature: Annotated[
        str, typer.Option("--quadrature", help="rect: dx * sum (each sample a cell; periodic data without the "
                          "endpoint); trapezoid: both endpoints included.", click_type=Words("rect", "trapezoid"))
    ] = "rect",
    file: FileOpt = None,
    column: ColumnOpt = None,
    delimiter: DelimiterOpt = None,
    header: HeaderOpt = None,
    output: OutputOpt = "auto",
    precision: PrecisionOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """The Sobolev norm of a function sampled on a uniform grid, with each term.

    W^{k,p}: (sum over j <= k of ||f^(j)||_p^p)^(1/p), derivatives by
    second-order finite differences and integrals dx * sum |g|^p. With
    --periodic: the H^s norm from the Fourier coefficients, weights
    (1 + xi^2)^s with angular frequency xi. No division by the length.
    """
    from . import inputs
    from .core import sobolev as sob

    _check_output(output)
    order = _one_order(p, "sobolev")
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
        for flag, given in (("--s", s is not None), ("--weights", weights != "bessel")):
            if given:
                raise UsageError(f"{flag} needs --periodic (the spectral norm)")
        if not (order >= 1 or (0 < order < 1)):
            raise UsageError(f"--p must be > 0 for a Sobolev norm, not {p[0] if p else order}")
    spec = _input_spec(values, file, column, delimiter, header, "error", quiet)
    if x is not None:
        if values:
            raise UsageError("--x names a column of a file; the values were given as arguments")
        names, others, xs, _ = _split_target(spec, x, "--x")
        if others.shape[1] != 1:
            listed = ", ".join(repr(n) for n in names)
            raise UsageError(f"--x {x!r} is the sample points; one other column is f, but there are "
                             f"{others.shape[1]} ({listed}): select f with --column")
        f = others[:, 0]
        step = _core_call(sob.grid_step, xs)
    else:
        f, _ = inputs.read_vector(spec)
        step = dx
    name = column[0] if column and len(column) == 1 else "f"
    if periodic:
        outcome = _core_call(lambda: sob.sobolev_spectral(f, step, s=k if s is None else s, weights=weights,
                                                          k=k if weights == "sum" else None))
    else:
        outcome = _core_call(lambda: sob.sobolev_fd(f, step, k=k, p=order, quadrature=quadrature))
    _show(sob.sobolev_result(name, outcome), output, precision)


@app.command(
    cls=ValuesCommand,
    short_help="Draw unit balls of p-norms in the plane.  e.g. normcli ball --p 1 --p 2 --p inf",
    epilog="Examples: normcli ball --p 1 --p 2 --p inf --p 0.5  |  normcli ball --p 1 --transform A.csv  |  "
    "normcli ball --p 2 --save ball.png",
)
def ball(
    p: Annotated[
        Optional[list[str]],
        typer.Option("--p", "-p", help="Order p > 0 (repeatable), as for norm. [default: 1, 2 and inf]",
                     show_default=False, metavar="P"),
    ] = None,
    transform: Annotated[
        Optional[str],
        typer.Option("--transform", help="A 2-column matrix A (CSV or .npy): draw {x : ||A x||_p <= 1}.",
                     metavar="FILE", show_default=False),
    ] = None,
    plot: Annotated[
        bool, typer.Option("--plot", help="Draw the picture in plain output too (a terminal always gets it).")
    ] = False,
    save: SaveOpt = None,
    output: OutputOpt = "auto",
    precision: PrecisionOpt = None,
) -> None:
    """Draw the unit balls {x in R^2 : ||x||_p <= 1} in the terminal, with their shapes and areas.

    L1 is the diamond (cross-polytope), L2 the disc, L-inf the square,
    p < 1 a star (not convex: a quasi-norm). With --transform the balls of
    ||A x||_p, the norm A induces when it is injective.
    """
    from .core import distances, pictures

    _check_output(output)
    orders = _orders(p or ["1", "2", "inf"])
    for order in orders:
        if not order > 0:
            raise UsageError(f"--p {order:g}: the unit ball of p <= 0 is unbounded; give p > 0")
    A = None
    if transform is not None:
        A = _matrix_file(transform, "--transform")
        if A.shape[1] != 2:
            raise InputError(f"--transform: the ball is drawn in the plane, so A needs 2 columns; it has {A.shape[1]}")
    result = _core_call(pictures.ball_result, orders, lambda q: distances.ball_boundary(q, A), A)
    from . import render

    # The picture is the point on a terminal; a pipe gets plain numbers unless --plot asks for it.
    _show_pictures(result, output, precision, plot or render.resolve_format(output) == "table", save)


def _matrix_file(path: str, what: str):
    """A matrix from a CSV/TSV or .npy file (every column is a matrix column; values must be finite)."""
    from . import inputs

    if not os.path.exists(path):
        raise InputError(f"{what}: no such file: {path}")
    try:
        _, A, _ = inputs.read_table(inputs.InputSpec((), path))
    except NormcliError as exc:
        raise type(exc)(f"{what}: {_finite_message(str(exc), 'the matrix A')}") from None
    return A


def _vector_arg(text, values, what: str, fmt: dict, stdin_ok: bool, empty_ok: bool = False, nan: str | None = None):
    """A vector option: numbers, or a file (``-`` stdin) of one column or one row; None when absent.

    Positional ``values`` stand for the option; with neither, a piped stdin
    is read (when ``stdin_ok``; with ``empty_ok`` an empty one counts as absent).
    Weights and gradients must be finite: --nan does not apply to them. An
    operand that --nan does apply to (dist's A and B) passes the policy as
    ``nan``: non-finite values are then kept (as nan and inf) for the caller
    to omit or propagate, or named as errors with the --nan advice.
    """
    from . import inputs

    if text is None and values:
        return _finite_tokens(values, what, nan)
    piped = False
    if text is None:
        if not stdin_ok or not inputs.stdin_piped():
            return None
        text, piped = "-", True
    if not text.strip():
        raise InputError(f"{what} is empty")
    if text != "-":
        try:
            return _finite_tokens([text], what, nan)
        except InputError as exc:
            if inputs.numeric_words(text):  # numbers, one of them not finite: that is the error
                raise
            if not os.path.exists(text):
                reason = str(exc).removeprefix(f"{what}, ")
                raise InputError(f"{what} {text!r} is neither numbers ({reason}) nor an existing file") from None
    spec = inputs.InputSpec((), text, (), fmt["delimiter"], fmt["header"], _cell_policy(nan))
    try:
        return inputs.read_flat_vector(spec)
    except NormcliError as exc:
        if piped and empty_ok and "no data" in str(exc):
            return None
        raise type(exc)(f"{what}: {_finite_message(str(exc)) if nan is None else exc}") from None


def _finite_tokens(tokens, what: str, nan: str | None = None):
    from . import inputs

    try:
        x = inputs.parse_tokens(tokens, _cell_policy(nan), what)
    except InputError as exc:
        raise InputError(_finite_message(str(exc)) if nan is None else str(exc)) from None
    if x.size == 0:
        raise InputError(f"{what} is empty")
    return x


def _cell_policy(nan: str | None) -> str:
    """How a vector option's cells are read: non-finite values kept for the caller's omit or propagate."""
    return "error" if nan in (None, "error") else "propagate"


def _finite_message(message: str, what: str = "weights and gradients") -> str:
    """An input error without the --nan advice: weights, gradients and matrices must simply be finite."""
    return message.replace("; use --nan omit or --nan propagate", f" ({what} must be finite)")


def _core_call(func, *args):
    """Core functions raise ValueError for what the user asked (non-finite values, x = 0)."""
    try:
        return func(*args)
    except ValueError as exc:
        raise NormcliError(str(exc)) from None


def _fail_if(message) -> None:
    if message:
        raise NormcliError(message)


def main() -> None:
    """Console-script entry point.

    Typer builds the click command of every registered command on each
    call (about 8 ms each here); a one-shot run needs only the one it
    invokes, so only that one is built. ``--help``, completion and anything
    unrecognised get the whole app.
    """
    name = _invoked_command(sys.argv[1:])
    chosen = [c for c in app.registered_commands if _command_name(c) == name]
    if not chosen or any(k.endswith("_COMPLETE") for k in os.environ):
        return app()
    import typer.main

    everything = app.registered_commands
    app.registered_commands = chosen
    try:
        command = typer.main.get_command(app)
    finally:
        app.registered_commands = everything
    command(prog_name="normcli")


def _command_name(info) -> str:
    return info.name or info.callback.__name__.replace("_", "-")


def _invoked_command(args: list[str]) -> str | None:
    """The command word of a command line: its first argument, when that is not an option."""
    return args[0] if args and not args[0].startswith("-") else None
