"""Every option more than one command takes, declared once.

A command lists the shared options it takes with :func:`shared`, at the
place of a parameter named ``opts``; they reach it as one :class:`Shared`
value, so a new shared option (or a fix to one) is a change here only.
Choices are :class:`Words`: the help lists them, completion offers them,
and the strict ones (``--output``, ``--nan``) are checked while the command
line is parsed, with the message every command gives.
"""

from __future__ import annotations

import functools
import inspect
from dataclasses import dataclass
from typing import Annotated, Optional

import typer

from ..compat import CompletionItem, ParamType
from ..contract import FORMATS, NAN_POLICIES
from ..errors import UsageError


class Words(ParamType):
    """A word from a fixed list: the help shows ``[a|b|c]`` and completion offers them.

    ``strict`` names the option: any other word is then a usage error, said
    while parsing. Otherwise the value passes through unchanged (aliases and
    case are the command's to resolve, with its own message), and this only
    describes the choices.
    """

    name = "choice"

    def __init__(self, *choices: str, strict: str | None = None) -> None:
        self.choices = choices
        self.strict = strict

    def convert(self, value, param, ctx):
        if self.strict and value not in self.choices:
            raise UsageError(f"{self.strict} must be one of {', '.join(self.choices)}, not {value!r}")
        return value

    def get_metavar(self, param, ctx=None) -> str:
        return "[" + "|".join(self.choices) + "]"

    def shell_complete(self, ctx, param, incomplete: str) -> list:
        return [CompletionItem(c) for c in self.choices if c.startswith(incomplete.lower())]


#: The metrics as the help lists them; every spelling compare.metric_name accepts still works.
METRIC_WORDS = Words("l1", "l2", "mae", "mse", "rmse", "max", "median", "bias", "r2", "mape")


def text(*names: str, help: str, metavar: str | None = None, click_type=None):
    """An option of one text value (numbers, a file, a column, a word); None when absent."""
    return Annotated[Optional[str], typer.Option(*names, help=help, show_default=False, metavar=metavar,
                                                 click_type=click_type)]


def texts(*names: str, help: str, metavar: str | None = None, click_type=None):
    """A repeatable text option; None when absent."""
    return Annotated[Optional[list[str]], typer.Option(*names, help=help, show_default=False, metavar=metavar,
                                                       click_type=click_type)]


def word(name: str, help: str, *choices: str):
    """An option of one word from ``choices`` (the command checks it, with its own message)."""
    return Annotated[str, typer.Option(name, help=help, click_type=Words(*choices))]


def flag(name: str, help: str):
    """An on/off option."""
    return Annotated[bool, typer.Option(name, help=help)]


def orders(help: str):
    """The ``--p`` family: a repeatable order, its help told by the command."""
    return Annotated[Optional[list[str]], typer.Option("--p", "-p", help=help, show_default=False, metavar="P")]


def column_name(flag: str, help: str, short: str | None = None):
    """An option naming one column of the input (``--target``, ``--x``)."""
    return text(*((flag, short) if short else (flag,)), help=help, metavar="COLUMN")


def matrix_file(help: str):
    """An option naming a matrix file (``--transform``)."""
    return text("--transform", help=help, metavar="FILE")


Values = Annotated[
    Optional[list[str]],
    typer.Argument(help="Numbers separated by commas and/or spaces: 1,2,3  '1 2 3'  -3,4", show_default=False),
]
OrderOpt = orders("Order, as for norm: a real number, inf, -inf, l1, l2, max, ... [default: 2]")

FileOpt = Annotated[
    Optional[list[str]],
    typer.Option("--file", "-f", help="CSV, TSV, whitespace-separated, .npy, Parquet or Arrow file, compressed or "
                 "not, or a URL (s3://, gs://, https://, ...: pip install 'normcli[remote]'); - for stdin. Repeat "
                 "it, or quote a glob ('shards/*.parquet'), to read several files as one table.",
                 show_default=False, metavar="FILE"),
]
ColumnOpt = Annotated[
    Optional[list[str]],
    typer.Option("--column", "-c", help="Column to use, by header name or 1-based index (repeatable).",
                 show_default=False, metavar="COLUMN"),
]
DelimiterOpt = Annotated[
    Optional[str],
    typer.Option("--delimiter", "-d", help="Field delimiter (default: detected; \\t for tab).", show_default=False,
                 metavar="CHAR"),
]
HeaderOpt = Annotated[
    Optional[bool],
    typer.Option("--header/--no-header", help="Whether the first line is a header (default: detected).",
                 show_default=False),
]
RowsOpt = Annotated[bool, typer.Option("--rows", help="Each row is a vector of its own; one result per row, streamed.")]
NanOpt = Annotated[
    str,
    typer.Option("--nan", help="Missing, non-numeric or non-finite values: error, omit or propagate.",
                 click_type=Words(*NAN_POLICIES, strict="--nan")),
]
OutputOpt = Annotated[
    str,
    typer.Option("--output", "-o", help="auto (table on a terminal, plain in a pipe), table, plain, csv or json.",
                 click_type=Words(*FORMATS, strict="--output")),
]
PrecisionOpt = Annotated[
    Optional[int],
    typer.Option("--precision", help="Significant digits (default: exact round-trip values).", min=1, max=17,
                 show_default=False),
]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar on stderr for long reads.")]
EngineOpt = Annotated[
    str,
    typer.Option("--engine", help="local (this process and its parse workers) or dask (a dask.distributed "
                 "cluster: --scheduler, or a local cluster of worker processes; needs normcli[dask]).",
                 click_type=Words("local", "dask", strict="--engine")),
]
SchedulerOpt = Annotated[
    Optional[str],
    typer.Option("--scheduler", help="With --engine dask: the scheduler's address (tcp://HOST:PORT). "
                 "[default: $DASK_SCHEDULER_ADDRESS, else a local cluster]", show_default=False,
                 metavar="ADDRESS"),
]
ByOpt = Annotated[
    Optional[list[str]],
    typer.Option("--by", help="Key column (name or 1-based index; repeat for a compound key): one result per "
                 "group, the key first, groups in order of first appearance. The key is text, never a vector.",
                 show_default=False, metavar="COLUMN"),
]
SortOpt = Annotated[bool, typer.Option("--sort", help="With --by: the groups sorted by key (as text).")]
PlotOpt = Annotated[bool, typer.Option("--plot", help="Also draw the picture in the terminal (needs normcli[plot]).")]
SaveOpt = Annotated[
    Optional[str],
    typer.Option("--save", help="Write the picture to FILE.png, .svg or .pdf (needs normcli[plot]).", metavar="FILE",
                 show_default=False),
]


@dataclass(frozen=True)
class Shared:
    """The shared options of one command line (those a command does not take keep their defaults)."""

    file: list[str] | None = None
    column: list[str] | None = None
    delimiter: str | None = None
    header: bool | None = None
    rows: bool = False
    nan: str = "error"
    output: str = "auto"
    precision: int | None = None
    quiet: bool = False
    plot: bool = False
    save: str | None = None
    engine: str = "local"
    scheduler: str | None = None
    by: list[str] | None = None
    sort: bool = False


_DECLARED = {
    "file": FileOpt, "column": ColumnOpt, "delimiter": DelimiterOpt, "header": HeaderOpt, "rows": RowsOpt,
    "nan": NanOpt, "output": OutputOpt, "precision": PrecisionOpt, "quiet": QuietOpt, "plot": PlotOpt,
    "save": SaveOpt, "engine": EngineOpt, "scheduler": SchedulerOpt, "by": ByOpt, "sort": SortOpt,
}
#: The shared options of a command that reads tables, in their --help order.
TABLE = ("file", "column", "delimiter", "header", "nan", "output", "precision", "quiet")


def shared(*names: str):
    """Put the shared options ``names`` (in this order) where the command's ``opts`` parameter is.

    Typer reads the signature, so the options appear in ``--help`` there;
    the command receives them as ``opts``, one :class:`Shared`.
    """
    unknown = [n for n in names if n not in _DECLARED]
    if unknown:
        raise TypeError(f"no shared option {unknown[0]!r}")

    def decorate(func):
        signature = inspect.signature(func, eval_str=True)
        params = list(signature.parameters.values())
        at = [p.name for p in params].index("opts")
        defaults = Shared()
        added = [inspect.Parameter(n, inspect.Parameter.POSITIONAL_OR_KEYWORD, default=getattr(defaults, n),
                                   annotation=_DECLARED[n]) for n in names]
        params = params[:at] + added + params[at + 1:]

        @functools.wraps(func)
        def command(**kwargs):
            opts = Shared(**{n: kwargs.pop(n) for n in names})
            return func(**kwargs, opts=opts)

        del command.__wrapped__  # typer must see this signature, not func's
        command.__signature__ = signature.replace(parameters=params)
        command.__annotations__ = {p.name: p.annotation for p in params} | {"return": signature.return_annotation}
        return command

    return decorate
