"""Pictures -> text for a terminal (plotext) | an image file (matplotlib).

A command describes what to draw as :class:`~normcli.core.result.Picture`
objects (pure data); this module draws them. Both libraries are optional
extras (``pip install 'normcli[plot]'``) and, like numpy, are imported only
inside the functions here: importing this module costs nothing.

What is drawn never includes a non-finite value: nan and inf points are
left out (a curve is broken where they were), a series with nothing finite
is skipped, and a picture with nothing left says so instead of failing.
"""

from __future__ import annotations

import math
import os
import re

from .core.result import Picture, Series
from .errors import InputError, UsageError
from .text import safe_text

#: Image formats :func:`save` writes, chosen by the file extension.
IMAGE_FORMATS: tuple[str, ...] = (".png", ".svg", ".pdf")

#: The kinds of :class:`Picture` drawn here.
KINDS: tuple[str, ...] = ("curves", "intervals", "histograms")

#: A terminal cell is about twice as high as it is wide.
CELL_ASPECT = 2.0

# Points of one curve drawn as text: more cannot be seen and slow plotext down.
_TEXT_POINTS = 2000

# Most bins of a histogram: as text (also at most one per two columns), in a file.
_TEXT_BINS, _FILE_BINS = 40, 100

# Markers of the 2nd, 3rd, ... series when there is no color to tell them apart.
_PLAIN_MARKERS = ("•", "+", "x", "o", "*", "#", "%", "@")

# 256-color codes given to the series in turn on a color terminal (plotext's own order).
_PALETTE = (12, 10, 9, 14, 13, 11, 1, 2, 3, 4, 5, 6)

_ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]")

# Values further apart than this on one axis are not drawn: the scales overflow.
_MAX_SPAN = 1e300

NOTHING = "nothing to draw: no finite values"
TOO_WIDE = "nothing to draw: the values are beyond 1e300 or lie more than 1e300 apart"


# --------------------------------------------------------------------------
# The numbers to draw, finite only
# --------------------------------------------------------------------------
def _array(values):
    """``values`` as a flat float64 array."""
    import numpy as np

    return np.asarray(values, dtype=np.float64).ravel()


def _runs(series: Series) -> list:
    """The runs of consecutive finite points of a curve, as ``(x, y)`` arrays: a nan or inf breaks the line."""
    import numpy as np

    x, y = _array(series.x), _array(series.y)
    n = min(x.size, y.size)
    x, y = x[:n], y[:n]
    kept = np.flatnonzero(np.isfinite(x) & np.isfinite(y))
    if not kept.size:
        return []
    parts = np.split(kept, np.flatnonzero(np.diff(kept) > 1) + 1)
    return [(x[p], y[p]) for p in parts]


def _interval(series: Series) -> tuple[float | None, tuple[float, float] | None]:
    """The estimate ``x[0]`` and the interval ``(low, high)`` of a series, each None when not finite."""
    x, y = _array(series.x), _array(series.y)
    value = float(x[0]) if x.size and math.isfinite(x[0]) else None
    bounds = None
    if y.size >= 2 and math.isfinite(y[0]) and math.isfinite(y[1]):
        bounds = (float(min(y[0], y[1])), float(max(y[0], y[1])))
    return value, bounds


def _sample(series: Series):
    """The finite values of a histogram's sample."""
    import numpy as np

    x = _array(series.x)
    return x[np.isfinite(x)]


def _curves(picture: Picture) -> list[tuple[str, list]]:
    """``(label, runs)`` of every curve with something finite."""
    drawn = [(s.label, _runs(s)) for s in picture.series]
    return [(label, runs) for label, runs in drawn if runs]


def _intervals(picture: Picture) -> list[tuple[str, float | None, tuple[float, float] | None]]:
    """``(label, value, (low, high))`` of every series with a finite estimate or interval."""
    drawn = [(s.label, *_interval(s)) for s in picture.series]
    return [d for d in drawn if d[1] is not None or d[2] is not None]


def _samples(picture: Picture) -> list[tuple[str, object]]:
    """``(label, finite sample)`` of every series with something finite."""
    drawn = [(s.label, _sample(s)) for s in picture.series]
    return [(label, x) for label, x in drawn if x.size]


def _kind(picture: Picture) -> str:
    """The picture's kind, checked."""
    if picture.kind not in KINDS:
        raise ValueError(f"unknown picture kind {picture.kind!r}; expected one of {', '.join(KINDS)}")
    return picture.kind


def bin_edges(samples: list, most: int):
    """Edges of bins shared by all ``samples`` (numpy's ``auto`` rule, at most ``most`` bins).

    The number of bins is the larger of the Sturges and Freedman-Diaconis
    estimates over the pooled values, as ``numpy.histogram_bin_edges(...,
    "auto")``, but capped before anything is allocated: one far outlier
    cannot ask for millions of bins.

    >>> bin_edges([[0.0, 1.0, 2.0, 3.0]], 40).tolist()
    [0.0, 1.0, 2.0, 3.0]
    >>> bin_edges([[5.0]], 40).tolist()
    [4.5, 5.5]
    """
    import numpy as np

    pooled = np.concatenate([np.asarray(s, dtype=np.float64) for s in samples])
    lo, hi = float(pooled.min()), float(pooled.max())
    if lo == hi:
        return np.array([lo - 0.5, hi + 0.5])
    n = pooled.size
    bins = math.ceil(math.log2(n)) + 1  # Sturges
    with np.errstate(over="ignore", invalid="ignore"):
        q1, q3 = np.percentile(pooled, [25.0, 75.0])
        width = 2.0 * (q3 - q1) / n ** (1.0 / 3.0)  # Freedman-Diaconis
        span = hi - lo
        if width > 0 and math.isfinite(span / width):
            bins = max(bins, math.ceil(span / width))
    bins = max(1, min(bins, most))
    if math.isfinite(hi - lo):
        return np.linspace(lo, hi, bins + 1)
    return np.linspace(lo / 2, hi / 2, bins + 1) * 2  # the span overflows: halve, then double


def bin_counts(sample, edges):
    """How many values of ``sample`` fall in each bin (the last bin holds its upper edge)."""
    import numpy as np

    index = np.searchsorted(edges, sample, side="right") - 1
    return np.bincount(np.clip(index, 0, edges.size - 2), minlength=edges.size - 1)


def _extent(values) -> tuple[float, float]:
    """``(low, high)`` of some finite values, widened when they are all equal."""
    lo, hi = float(min(values)), float(max(values))
    if lo == hi:
        pad = abs(lo) * 0.1 or 1.0
        lo, hi = lo - pad, hi + pad
    return lo, hi


def equal_limits(xlim: tuple[float, float], ylim: tuple[float, float], across: float, up: float):
    """Widen one of the two limits so that one unit is as long on both axes.

    ``across`` and ``up`` are the lengths the limits span on screen, in the
    same unit (for text: the width of a cell). The data stay centred.

    >>> equal_limits((-1.0, 1.0), (-1.0, 1.0), 40, 20)
    ((-2.0, 2.0), (-1.0, 1.0))
    >>> equal_limits((0.0, 4.0), (0.0, 1.0), 40, 20)
    ((0.0, 4.0), (-0.5, 1.5))
    """
    (x0, x1), (y0, y1) = xlim, ylim
    x_unit, y_unit = (x1 - x0) / across, (y1 - y0) / up  # data units per unit of length
    if x_unit > y_unit:
        mid, half = (y0 + y1) / 2, x_unit * up / 2
        return (x0, x1), (mid - half, mid + half)
    mid, half = (x0 + x1) / 2, y_unit * across / 2
    return (mid - half, mid + half), (y0, y1)


# --------------------------------------------------------------------------
# Text, with plotext
# --------------------------------------------------------------------------
def check_terminal() -> None:
    """Raise the :func:`text` UsageError now if plotext is missing, before a command prints anything."""
    _plotext()


def _plotext():
    try:
        import plotext as plt
    except ImportError:
        raise UsageError("the terminal picture needs plotext: pip install 'normcli[plot]'") from None
    if not hasattr(getattr(plt, "figure", None), "signal"):  # plotext 5 had another interface
        raise UsageError("the terminal picture needs plotext 6 or later: pip install -U plotext")
    return plt


def text(picture: Picture, width: int, height: int, color: bool = False) -> str:
    """``picture`` drawn as text by plotext, ``width`` columns by ``height`` lines.

    Parameters
    ----------
    picture : Picture
    width, height : int
        The size of the whole text, frame, ticks, title and labels included
        (at least 10 columns and 3 lines are used).
    color : bool
        Color the series with ANSI escapes; without it the text holds none,
        and several series are told apart by their markers (braille for the
        first, then ``•``, ``+``, ``x``, ...).

    Returns
    -------
    str
        ``height`` lines (no final newline), with the title on top, the axis
        labels below and a legend naming every series: inside the plot when
        it fits there, otherwise on lines of its own under a shorter plot
        (as many as the height leaves room for).
        ``curves`` with ``equal`` get limits that make a unit as long across
        as up on a terminal whose cells are :data:`CELL_ASPECT` times as high
        as wide (a circle looks round). A picture with nothing finite (or
        with values too far apart to scale) gives two lines: its title and
        one saying there is nothing to draw.

    Raises
    ------
    UsageError
        If plotext (6 or later) is not installed.
    """
    plt = _plotext()
    collect, draw = _TEXT_DRAWERS[_kind(picture)]
    width, height = max(int(width), 10), max(int(height), 3)
    items = collect(picture)
    if not items or _too_wide(picture.kind, items):
        reason = TOO_WIDE if items else NOTHING
        return safe_text(picture.title).center(width).rstrip() + "\n" + reason

    plt.terminal.limit(False, False)  # a picture of any size, whatever the terminal
    try:
        out = _build(plt, picture, draw, items, width, height, color, legend=True)
        shown = _ANSI.sub("", out)
        missing = [item[0] for item in items if item[0] and safe_text(item[0]) not in shown]
        if missing:  # the legend did not fit inside the plot: give it lines of its own
            below = _legend_lines(picture, items, width, color)[: max(height - 3, 0)]
            out = _build(plt, picture, draw, items, width, height - len(below), color, legend=False)
            out = "\n".join([out, *below])
    finally:
        plt.figure.clear()
        plt.terminal.limit()
    if not color:
        out = "\n".join(line.rstrip() for line in _ANSI.sub("", out).split("\n"))
    return out


def _too_wide(kind: str, items) -> bool:
    """Whether the values on an axis lie more than :data:`_MAX_SPAN` apart (neither library copes)."""
    if kind == "curves":
        axes = [[v for _, runs in items for run in runs for v in (run[k].min(), run[k].max())] for k in (0, 1)]
    elif kind == "intervals":
        axes = [[0.0] + [v for _, v, _ in items if v is not None] + [b for _, _, bs in items if bs for b in bs]]
    else:
        axes = [[v for _, x in items for v in (x.min(), x.max())]]
    # Values beyond 1e300 break the libraries' tick arithmetic even when they lie close together.
    return any(not (float(max(a)) - float(min(a)) <= _MAX_SPAN and max(abs(float(max(a))), abs(float(min(a))))
                    <= _MAX_SPAN) for a in axes)


def _build(plt, picture: Picture, draw, items, width: int, height: int, color: bool, legend: bool) -> str:
    """Set up plotext's figure, let ``draw`` add the series, and return the text."""
    figure = plt.figure
    figure.clear()
    figure.plot_size(width, height)
    figure.theme("simple" if color else "colorless")
    if picture.title:
        figure.title(safe_text(picture.title))
    if picture.xlabel:
        figure.label(safe_text(picture.xlabel), "x")
    ylabel = picture.ylabel or ("count" if picture.kind == "histograms" else "")
    if ylabel:
        figure.label(safe_text(ylabel), "y")
    draw(plt, figure, picture, items, color)
    if not legend:
        figure.legend(False)
    out = figure.build().string(colorless=not color)
    return out[:-1] if out.endswith("\n") else out


def _mark(plt, symbol: str, color: int | None):
    """A plotext marker: ``symbol`` in 256-color ``color`` (uncolored when None)."""
    return symbol if color is None else plt.marker(symbol, pixel=plt.pixel(foreground=color))


def _series_color(index: int, color: bool) -> int | None:
    """The color of the ``index``-th series (None without color)."""
    return _PALETTE[index % len(_PALETTE)] if color else None


def _marker(plt, index: int, color: bool):
    """The marker of the ``index``-th series: braille in its color, or a distinct character without color."""
    if color:
        return _mark(plt, "braille", _series_color(index, color))
    return "braille" if index == 0 else _PLAIN_MARKERS[(index - 1) % len(_PLAIN_MARKERS)]


def _legend_lines(picture: Picture, items, width: int, color: bool) -> list[str]:
    """The legend as lines of text (for when it does not fit in the plot): ``marker label`` entries."""
    entries = []
    for i, label in enumerate(item[0] for item in items):
        if not label:
            continue
        if picture.kind == "intervals":
            entries.append(safe_text(label))
            continue
        sample = "⣿" if color or i == 0 else _PLAIN_MARKERS[(i - 1) % len(_PLAIN_MARKERS)]
        if color:
            sample = f"\x1b[38;5;{_PALETTE[i % len(_PALETTE)]}m{sample}\x1b[0m"
        entries.append(f"{sample} {safe_text(label)}")
    lines, line, used = [], "", 0
    for entry in entries:
        size = len(_ANSI.sub("", entry))
        if line and used + 3 + size > width:
            lines.append(line)
            line, used = "", 0
        line, used = (line + "   " + entry, used + 3 + size) if line else (entry, size)
    return lines + [line] if line else lines


def _canvas_size(out: str) -> tuple[int, int] | None:
    """Columns and lines inside the plot frame of plotext's text, if it has one."""
    lines = _ANSI.sub("", out).split("\n")
    for top, line in enumerate(lines):
        left = line.find("┌")
        if left >= 0:
            right = line.rfind("┐")
            for bottom in range(top + 1, len(lines)):
                if lines[bottom][left : left + 1] == "└":
                    return right - left - 1, bottom - top - 1
            return None
    return None


def _thin(x, y):
    """At most _TEXT_POINTS points of a curve, evenly picked (the last kept)."""
    import numpy as np

    if x.size <= _TEXT_POINTS:
        return x, y
    keep = np.unique(np.linspace(0, x.size - 1, _TEXT_POINTS).round().astype(np.intp))
    return x[keep], y[keep]


def _text_curves(plt, figure, picture: Picture, items, color: bool) -> None:
    """Each series a line (each finite run a piece of it), labelled once; with ``equal``, axes through 0."""
    if picture.equal:
        xlim, ylim = _text_equal_limits(figure, items)
        figure.ruler("x").lim(*xlim)
        figure.ruler("y").lim(*ylim)
        _text_axes(plt, figure, xlim, ylim, color)
    for i, (label, runs) in enumerate(items):
        marker = _marker(plt, i, color)
        for k, (x, y) in enumerate(runs):
            x, y = _thin(x, y)
            signal = figure.signal(x.tolist(), y.tolist(), marker=marker).lines()
            if k == 0 and label:
                signal.label(safe_text(label))
            figure.draw(signal)


def _text_equal_limits(figure, items) -> tuple[tuple[float, float], tuple[float, float]]:
    """Limits around all the curves with one unit as long across as up on the screen.

    The canvas is what the frame, ticks, title and labels leave of the size,
    and the ticks' width depends on the limits: the empty figure is measured,
    the limits set, and measured again until the canvas keeps its size.
    """
    import numpy as np

    xs = np.concatenate([x for _, runs in items for x, _ in runs])
    ys = np.concatenate([y for _, runs in items for _, y in runs])
    data = _extent(xs), _extent(ys)
    xlim, ylim = data
    size = None
    for _ in range(4):
        figure.ruler("x").lim(*xlim)
        figure.ruler("y").lim(*ylim)
        measured = _canvas_size(figure.build().string(colorless=True))
        if measured is None or measured == size or min(measured) < 2:
            break
        size = cols, rows = measured
        # plotext puts the limits in the middle of the edge cells, so they are
        # (cells - 1) apart; lengths here in cell widths.
        xlim, ylim = equal_limits(*data, cols - 1, CELL_ASPECT * (rows - 1))
    return xlim, ylim


def _text_axes(plt, figure, xlim, ylim, color: bool) -> None:
    """Gray lines through 0 (where 0 is inside the limits), under everything drawn later."""
    gray = 8 if color else None
    across, up = xlim[0] < 0 < xlim[1], ylim[0] < 0 < ylim[1]
    if up:
        figure.draw(figure.segment(xlim, (0, 0), marker=_mark(plt, "─", gray)))
    if across:
        figure.draw(figure.segment((0, 0), ylim, marker=_mark(plt, "│", gray)))
    if across and up:
        figure.draw(figure.signal([0], [0], marker=_mark(plt, "┼", gray)))


def _text_intervals(plt, figure, picture: Picture, items, color: bool) -> None:
    """A horizontal bar per series, the first on top, with its interval drawn ``[---|---]`` across it."""
    n = len(items)
    positions = list(range(n, 0, -1))
    for i, (pos, (_, value, bounds)) in enumerate(zip(positions, items)):
        tint = _series_color(i, color)
        if value is not None:
            figure.draw(figure.bar([pos], [value], orientation="h", width=0.5, marker=_mark(plt, "full", tint)))
        if bounds is not None:
            low, high = bounds
            figure.draw(figure.segment((low, high), (pos, pos), marker=_mark(plt, "─", tint)))
            ends = [(low, "["), (high, "]")]
            if value is not None and low <= value <= high:
                ends.append((value, "|"))
            for where, symbol in ends:
                figure.draw(figure.signal([where], [pos], marker=_mark(plt, symbol, tint)))
    figure.ruler("y").ticks(positions, [safe_text(label) for label, _, _ in items])
    figure.ruler("y").lim(0.5, n + 0.5)
    ends = [0.0] + [v for _, v, _ in items if v is not None] + [b for _, _, bs in items if bs for b in bs]
    lo, hi = _extent(ends)
    pad = (hi - lo) * 0.05
    figure.ruler("x").lim(lo - pad if lo < 0 else lo, hi + pad if hi > 0 else hi)


def _text_histograms(plt, figure, picture: Picture, items, color: bool) -> None:
    """Every sample counted on shared bins, drawn as overlaid step lines."""
    import numpy as np

    edges = bin_edges([x for _, x in items], max(1, min(_TEXT_BINS, figure.size()[0] // 2)))
    top = 0
    for i, (label, x) in enumerate(items):
        counts = bin_counts(x, edges)
        top = max(top, int(counts.max()))
        steps_x = np.repeat(edges, 2)
        steps_y = np.concatenate([[0], np.repeat(counts, 2), [0]])
        signal = figure.signal(steps_x.tolist(), steps_y.tolist(), marker=_marker(plt, i, color)).lines()
        if label:
            signal.label(safe_text(label))
        figure.draw(signal)
    figure.ruler("y").lim(0, top * 1.05)


_TEXT_DRAWERS = {
    "curves": (_curves, _text_curves),
    "intervals": (_intervals, _text_intervals),
    "histograms": (_samples, _text_histograms),
}


# --------------------------------------------------------------------------
# Image files, with matplotlib
# --------------------------------------------------------------------------
def check_save_path(path: str) -> str:
    """Check, before anything is computed or written, that :func:`save` can write ``path``.

    Returns the format (``png``, ``svg`` or ``pdf``, from the extension).

    Raises
    ------
    UsageError
        If the extension names no supported format, or matplotlib is not
        installed.
    InputError
        If the folder of ``path`` does not exist.
    """
    ext = os.path.splitext(path)[1].lower()
    if ext not in IMAGE_FORMATS:
        raise UsageError(f"--save: unsupported image format '{ext}'; use .png, .svg or .pdf")
    try:
        import matplotlib  # noqa: F401  (only the check that it is there)
    except ImportError:
        raise UsageError("--save needs matplotlib: pip install 'normcli[plot]'") from None
    folder = os.path.dirname(path) or "."
    if not os.path.isdir(folder):
        raise InputError(f"cannot write {path}: No such file or directory")
    return ext[1:]


def save(pictures: list[Picture], path: str) -> None:
    """Write ``pictures`` into one image file, one panel per picture, stacked.

    The format follows the extension of ``path`` (:data:`IMAGE_FORMATS`);
    each panel is 6.4 x 4.8 inches at 100 dpi (640 x 480 pixels in a PNG).
    ``curves`` with ``equal`` keep one unit as long on both axes and get axis
    lines through 0; ``intervals`` are horizontal bars with error bars from
    low to high; ``histograms`` share their bins and are half transparent.
    A panel with nothing finite says so; no pictures give one such panel.
    No pyplot state is touched: the figure is built and written on its own.

    Raises
    ------
    UsageError, InputError
        As :func:`check_save_path`; InputError also if writing fails.
    """
    fmt = check_save_path(path)
    from matplotlib.figure import Figure

    pictures = list(pictures) or [Picture("", "curves", [])]
    figure = Figure(figsize=(6.4, 4.8 * len(pictures)), dpi=100, layout="constrained")
    axes = figure.subplots(len(pictures), 1, squeeze=False)[:, 0]
    for ax, picture in zip(axes, pictures):
        collect, draw = _FILE_DRAWERS[_kind(picture)]
        ax.set_title(_mpl_text(picture.title))
        ax.set_xlabel(_mpl_text(picture.xlabel))
        ax.set_ylabel(_mpl_text(picture.ylabel or ("count" if picture.kind == "histograms" else "")))
        items = collect(picture)
        if not items or _too_wide(picture.kind, items):
            ax.text(0.5, 0.5, TOO_WIDE if items else NOTHING, ha="center", va="center", transform=ax.transAxes)
            ax.set_xticks([])
            ax.set_yticks([])
        else:
            draw(ax, picture, items)
    try:
        figure.savefig(path, format=fmt, dpi=100)
    except OSError as err:
        raise InputError(f"cannot write {path}: {err.strerror or err}") from None


def _mpl_text(text: str) -> str:
    """Text matplotlib shows as it is: a ``$`` does not start math."""
    return str(text).replace("$", r"\$")


def _legend(ax, handles: list, labels: list[str]) -> None:
    """A legend of the labelled series (given explicitly, so a label may start with ``_``)."""
    pairs = [(h, _mpl_text(label)) for h, label in zip(handles, labels) if label]
    if pairs:
        ax.legend(*zip(*pairs))


def _file_curves(ax, picture: Picture, items) -> None:
    import numpy as np

    handles = []
    for i, (_, runs) in enumerate(items):
        # One line with nan between the runs: matplotlib breaks it there.
        x = np.concatenate([np.append(x, np.nan) for x, _ in runs])[:-1]
        y = np.concatenate([np.append(y, np.nan) for _, y in runs])[:-1]
        handles.extend(ax.plot(x, y, color=f"C{i % 10}"))
    if picture.equal:
        ax.set_aspect("equal")
        xs = np.concatenate([x for _, runs in items for x, _ in runs])
        ys = np.concatenate([y for _, runs in items for _, y in runs])
        if xs.min() <= 0 <= xs.max():
            ax.axvline(0, color="0.6", linewidth=0.8, zorder=0)
        if ys.min() <= 0 <= ys.max():
            ax.axhline(0, color="0.6", linewidth=0.8, zorder=0)
    _legend(ax, handles, [label for label, _ in items])


def _file_intervals(ax, picture: Picture, items) -> None:
    positions = list(range(len(items)))
    for i, (pos, (_, value, bounds)) in enumerate(zip(positions, items)):
        if value is not None:
            ax.barh(pos, value, height=0.6, color=f"C{i % 10}")
        if bounds is not None:
            low, high = bounds
            # About the interval's centre, so an interval need not contain its estimate.
            ax.errorbar((low + high) / 2, pos, xerr=(high - low) / 2, fmt="none", ecolor="black", capsize=4)
    ax.set_yticks(positions, [_mpl_text(label) for label, _, _ in items])
    ax.invert_yaxis()  # the first series on top, as in the text
    ax.axvline(0, color="0.4", linewidth=0.8)


def _file_histograms(ax, picture: Picture, items) -> None:
    edges = bin_edges([x for _, x in items], _FILE_BINS)
    handles = [ax.stairs(bin_counts(x, edges), edges, fill=True, alpha=0.5, color=f"C{i % 10}")
               for i, (_, x) in enumerate(items)]
    _legend(ax, handles, [label for label, _ in items])


_FILE_DRAWERS = {
    "curves": (_curves, _file_curves),
    "intervals": (_intervals, _file_intervals),
    "histograms": (_samples, _file_histograms),
}
