"""The Typer app: one thin function per command, and the one place errors become exit codes.

Imports here are kept light: ``normcli --help`` and shell completion must
not load numpy or rich, so commands import ``inputs``/``core`` inside
their bodies.
"""

from __future__ import annotations

import os
import re
import sys
from typing import Annotated, Optional

import typer

# typer 0.28 vendors click as typer._click (the pin in pyproject keeps it so).
from typer._click.exceptions import ClickException, NoArgsIsHelpError
from typer._click.exceptions import UsageError as ClickUsageError
from typer.core import TyperCommand, TyperGroup, TyperOption
from typer.exceptions import Abort

from . import __version__
from .errors import ExitCode, NormcliError, UsageError

# A token that starts with "-" but is a number (or a list of them): "-3,4",
# "-.5", "-1e-3", "-inf", "-nan". No normcli option looks like this.
_NEGATIVE_VALUE = re.compile(r"^-(\d|\.\d|inf|nan)", re.IGNORECASE)

FORMATS = ("auto", "table", "plain", "csv", "json")


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

    try:
        rv = call()
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
    except KeyboardInterrupt:
        return ExitCode.INTERRUPTED
    return int(rv or 0)


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
        for param in self.params:
            if isinstance(param, TyperOption):
                for opt in (*param.opts, *param.secondary_opts):
                    takes_value[opt] = not (param.is_flag or param.count)
        options: list[str] = []
        values: list[str] = []
        i = 0
        while i < len(args):
            tok = args[i]
            if tok == "--":
                values.extend(args[i + 1 :])
                break
            if tok.startswith("-") and tok != "-" and not _NEGATIVE_VALUE.match(tok):
                options.append(tok)
                if "=" not in tok and takes_value.get(tok) and i + 1 < len(args):
                    options.append(args[i + 1])
                    i += 1
            else:
                values.append(tok)
            i += 1
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
    """normcli: norms of vectors and matrices from the command line.

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
    typer.Option("--file", "-f", help="CSV, TSV, whitespace-separated or .npy file; - for stdin.", show_default=False),
]
ColumnOpt = Annotated[
    Optional[list[str]],
    typer.Option("--column", "-c", help="Column to use, by header name or 1-based index (repeatable).", show_default=False),
]
DelimiterOpt = Annotated[
    Optional[str],
    typer.Option("--delimiter", "-d", help="Field delimiter (default: detected; \\t for tab).", show_default=False),
]
HeaderOpt = Annotated[
    Optional[bool],
    typer.Option("--header/--no-header", help="Whether the first line is a header (default: detected).", show_default=False),
]
RowsOpt = Annotated[bool, typer.Option("--rows", help="Each row is a vector of its own; one result per row, streamed.")]
NanOpt = Annotated[
    str,
    typer.Option("--nan", help="Missing, non-numeric or non-finite values: error, omit or propagate.", metavar="POLICY"),
]
OutputOpt = Annotated[
    str,
    typer.Option("--output", "-o", help="auto (table on a terminal, plain in a pipe), table, plain, csv or json.", metavar="FORMAT"),
]
PrecisionOpt = Annotated[
    Optional[int],
    typer.Option("--precision", help="Significant digits (default: exact round-trip values).", min=1, max=17, show_default=False),
]


def _input_spec(values, file, column, delimiter, header, nan):
    from .inputs import InputSpec

    return InputSpec(tuple(values or ()), file, tuple(column or ()), delimiter, header, nan)


def _check_output(output: str) -> None:
    if output not in FORMATS:
        raise UsageError(f"--output must be one of {', '.join(FORMATS)}, not {output!r}")


def _show(result, output: str, precision) -> None:
    from . import render

    try:
        render.show(result, output, precision)
    except BrokenPipeError:
        raise _OutputClosed() from None


@app.command(
    cls=ValuesCommand,
    short_help="Lp norms of vectors and matrix norms.  e.g. normcli norm --p 2 1,2,3",
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
        ),
    ] = None,
    power: Annotated[bool, typer.Option("--power", help="Report ||x||_p^p, the sum of |x_i|^p.")] = False,
    mean: Annotated[bool, typer.Option("--mean", help="Report the power mean ||x||_p / n^(1/p) (RMS for p = 2).")] = False,
    matrix: Annotated[
        Optional[str],
        typer.Option("--matrix", help="Treat the selected columns as one matrix: fro nuc 2 -2 1 -1 inf -inf.", show_default=False),
    ] = None,
    file: FileOpt = None,
    column: ColumnOpt = None,
    delimiter: DelimiterOpt = None,
    header: HeaderOpt = None,
    rows: RowsOpt = False,
    nan: NanOpt = "error",
    output: OutputOpt = "auto",
    precision: PrecisionOpt = None,
) -> None:
    """Print the p-norm of each vector (each column of a file, or each row with --rows).

    p = 0 counts non-zero entries; 0 < p < 1 (quasi-norms) and p < 0 follow
    numpy's formula and are labelled as not norms.
    """
    from .core import norms
    from . import inputs

    _check_output(output)
    spec = _input_spec(values, file, column, delimiter, header, nan)
    if matrix is not None:
        if p or power or mean or rows:
            raise UsageError("--matrix cannot be combined with --p, --power, --mean or --rows")
        if matrix not in norms.MATRIX_ORDERS:
            raise UsageError(f"--matrix must be one of {' '.join(norms.MATRIX_ORDERS)}, not {matrix!r}")
        names, a = inputs.read_matrix(spec)
        return _show(norms.matrix_table(a, matrix), output, precision)
    if power and mean:
        raise UsageError("--power and --mean cannot be combined")
    try:
        orders = [norms.parse_order(t) for t in (p or ["2"])]
    except ValueError as exc:
        raise UsageError(f"--p: {exc}") from None
    kind = "power" if power else "mean" if mean else "norm"
    if kind == "power" and any(o in (norms.INF, -norms.INF) for o in orders):
        raise UsageError("--power needs a finite p: ||x||_inf^inf is not defined")
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


def main() -> None:
    """Console-script entry point."""
    app()
