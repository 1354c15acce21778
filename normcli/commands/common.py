"""What every command does around its computation: read the input options, show the result, fail.

Imports stay light (no numpy): ``--help`` and completion load this module.
"""

from __future__ import annotations

from .. import env
from ..compat import get_current_context
from ..errors import NormcliError
from .options import Shared

#: Progress bars to close however the command ends (``cli`` closes them).
METERS: list = []


class OutputClosed(Exception):
    """stdout was closed by its reader (``| head``): not an OSError, which click would turn into exit 1."""

_FROM_OPTS = object()


def input_spec(values, opts: Shared, *, file=_FROM_OPTS, nan: str | None = None, streams: bool = False):
    """The input options as an ``inputs.InputSpec``, with a progress bar for long reads.

    ``file`` replaces ``--file`` (``regstep --data``), ``nan`` replaces
    ``--nan`` (a command that has none). The bar is shown unless
    ``--quiet``, when stderr is a terminal; a command that ``streams`` its
    results (``--rows``) gets none when stdout is that terminal too.
    """
    from .. import render
    from ..inputs import InputSpec

    meter = None
    if not (opts.quiet or (streams and env.current().stdout_tty)):
        meter = render.progress()
        if meter is not None:
            METERS.append(meter)
    ctx = get_current_context(silent=True)  # the command's name, for the examples of a no-input error
    named = {"command": ctx.info_name} if ctx is not None and ctx.info_name else {}
    if file is _FROM_OPTS:
        file = None if not opts.file else opts.file[0] if len(opts.file) == 1 else tuple(opts.file)
    return InputSpec(tuple(values or ()), file, tuple(opts.column or ()),
                     opts.delimiter, opts.header, opts.nan if nan is None else nan, progress=meter,
                     note=render.note, by=tuple(opts.by or ()), **named)


def refuse_sort_without_by(opts: Shared) -> None:
    """--sort orders the groups of --by: alone it is a usage error."""
    from ..errors import UsageError

    if opts.sort and not opts.by:
        raise UsageError("--sort orders the groups of --by: give --by COLUMN too")


def group_order(keys):
    """The groups' indices sorted by key as text (a compound key: column by column), for --sort."""
    return sorted(range(len(keys)), key=keys.__getitem__)


def omitted_by_column(result, names, counts) -> None:
    """--nan omit under --by: what was left out of each column, said as without --by."""
    omitted_values(result, {n: int(c) for n, c in zip(names, counts) if c})


def close_meters() -> None:
    while METERS:
        METERS.pop().close()


def core_call(func, *args):
    """Call core; what it refuses (non-finite values, x = 0) is the user's error, exit 1."""
    from ..core.errors import CoreError

    try:
        return func(*args)
    except CoreError as exc:
        raise NormcliError(str(exc)) from None


def fail_if(message) -> None:
    """Exit 1 with ``message`` (a failed ``--check``), after the result was shown."""
    if message:
        raise NormcliError(message)


def show(result, opts: Shared) -> None:
    """Write ``result``; a streamed result's rows that core refuses are errors, as :func:`core_call`."""
    from .. import render
    from ..core.errors import CoreError

    try:
        render.show(result, opts.output, opts.precision)
    except BrokenPipeError:
        raise OutputClosed() from None
    except CoreError as exc:  # only core's refusals: a bug in render must still fail loudly
        raise NormcliError(str(exc)) from None


def show_pictures(result, opts: Shared, plot: bool | None = None) -> None:
    """Show ``result``; its pictures are drawn with ``--plot`` (or ``plot``) and written to ``--save``."""
    from .. import plots, render

    plot = opts.plot if plot is None else plot
    if plot and render.resolve_format(opts.output) in ("table", "plain"):
        plots.check_terminal()  # a missing library fails before any output
    if opts.save is not None:
        plots.save(result.pictures, opts.save)  # written first: a file that cannot be written leaves stdout empty
    if not plot:
        result.pictures = []
    show(result, opts)


# What --nan omit dropped, said first in the notes: one wording for every command.
def omitted_rows(result, count: int, of: str = "") -> None:
    if count:
        result.notes.insert(0, f"omitted {count} row(s){of} with a missing or non-finite value (--nan omit)")


def omitted_values(result, counts: dict) -> None:
    for name, count in counts.items():
        result.notes.append(f"omitted {count} missing or non-finite value(s) from {name!r} (--nan omit)")


def omitted_observations(result, count: int, horizon: int) -> None:
    if not count:
        return
    result.notes.insert(0, f"omitted {count} observation(s) with a missing or non-finite value in any "
                           "column (--nan omit), for every model, so the comparison stays paired")
    if horizon > 1:
        result.warnings.append(f"--nan omit removed {count} observation(s) from a series tested with "
                               f"--horizon {horizon}: the autocovariances are computed across the gaps")


def refuse_scheduler_without_dask(opts) -> None:
    from ..errors import UsageError

    if opts.scheduler is not None and opts.engine != "dask":
        raise UsageError("--scheduler is the address of a Dask cluster: give --engine dask too")
