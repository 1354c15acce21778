"""The shell: the Typer app, and the one place where an exception becomes an exit code.

It parses negative numbers as values (:class:`ValuesCommand`), wraps stdout
so that a failed write is told apart from other I/O errors, registers the
commands of :mod:`normcli.commands` and, for a one-shot run, builds only
the command invoked. It names no command: each is a module of
``normcli.commands``.

Imports here are kept light: ``normcli --help`` and shell completion must
not load numpy or rich, so commands import ``inputs``/``core`` inside
their bodies.
"""

from __future__ import annotations

import os
import re
import sys
from typing import Annotated

import typer

from . import __version__, commands, env
from .commands import common
from .compat import Abort, ClickException, ClickUsageError, NoArgsIsHelpError, TyperCommand, TyperGroup, TyperOption
from .errors import ExitCode, NormcliError, UsageError

# A token that starts with "-" but is a number (or a list of them): "-3,4",
# "-.5", "-1e-3", "-inf", "-nan". No normcli option looks like this.
_NEGATIVE_VALUE = re.compile(r"^-(\d|\.\d|inf|nan)", re.IGNORECASE)


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
    with env.for_run():  # decided once, before stdout is wrapped
        return _exit_code(call)


def _exit_code(call) -> int:
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
    except (common.OutputClosed, BrokenPipeError):
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
        common.close_meters()


def _silence_stdout() -> None:
    # Python flushes stdout at exit; a closed pipe would then print an
    # "Exception ignored" message. Point the descriptor at /dev/null.
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


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


def _register() -> None:
    """Every command of :data:`commands.COMMANDS`, in that (--help) order."""
    for name in commands.COMMANDS:
        module = commands.load(name)
        app.command(cls=ValuesCommand, **module.COMMAND)(getattr(module, name))


_register()


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
