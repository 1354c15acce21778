"""The shape of every command's answer; ``render`` knows how to show it.

Pure data, no numpy: importing it costs nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field


@dataclass
class ColumnBatch:
    """A batch of streamed rows held column by column (numpy arrays), labelled first, first + 1, ...

    ``--rows`` results come this way: plain output formats each column at
    once instead of building a tuple per row. A column is 1-D (one value
    per row) or 2-D (a vector per row, as a gradient).
    """

    first: int
    columns: list

    def __len__(self) -> int:
        return len(self.columns[0]) if self.columns else 0

    def rows(self) -> list[tuple]:
        labels = map(str, range(self.first, self.first + len(self)))
        return list(zip(labels, *(c.tolist() for c in self.columns)))


@dataclass(frozen=True)
class Outcome:
    """A reduced value and, when it left the float64 range, why it reads so."""

    value: float | int
    note: str | None = None


@dataclass
class Series:
    """One labelled set of numbers in a :class:`Picture` (plain lists or 1-D arrays).

    * ``curves``: ``x`` and ``y`` are the points of a line, drawn in order.
    * ``intervals``: ``x`` holds one value (the estimate) and ``y`` holds
      ``[low, high]`` (its interval; empty when there is none).
    * ``histograms``: ``x`` holds the sample; ``y`` is unused.
    """

    label: str
    x: object
    y: object = ()


@dataclass
class Picture:
    """A picture a command can draw: in the terminal (``plots.text``) or to a file (``plots.save``).

    ``kind`` is ``curves`` (lines in the plane; ``equal`` keeps one unit the
    same length on both axes, as a unit ball needs), ``intervals`` (one
    horizontal bar per series, with its interval) or ``histograms`` (the
    distribution of each series, on shared bins).
    """

    title: str
    kind: str
    series: list[Series]
    xlabel: str = ""
    ylabel: str = ""
    equal: bool = False


@dataclass
class Result:
    """What a command computed, in a shape every format can show.

    Parameters
    ----------
    title : str
        What was computed ("L2 norm"); the table's title.
    columns : list of str
        Names of the value columns.
    rows : list of tuple
        ``(label, value, value, ...)``; a value is a float, an int, a str or
        None.
    label : str
        Header of the label column ("" hides it in the table).
    batches : iterator of lists of rows (or of :class:`ColumnBatch`), optional
        For streamed results: rows arrive in batches and each batch is
        written (and flushed) as soon as it is ready. ``rows`` is then unused.
    notes : list of str
        Explanations (quasi-norms, omitted values): in the table and json.
        The list may still grow while ``batches`` is consumed.
    warnings : list of str
        Things a script must not miss (a result beyond the float64 range):
        in the table and json, on stderr for plain and csv.
    plain : list of int, optional
        The value columns plain output shows (default: all). ``grad`` shows
        only the gradient, so it can be fed back in as values.
    highlight : list of int
        Row indices to emphasise on a terminal (the best model).
    hidden : list of str
        Columns the terminal table leaves out because the title or notes
        already say them (csv and json keep them).
    digits : int, optional
        Significant digits the terminal table shows when no ``--precision``
        is given (wide tables of many metrics); plain, csv and json stay exact.
    extra : list of Result
        Further tables that belong to the same answer (the pairwise tests of
        ``compare-models``, the trajectory of ``regstep --steps``): drawn
        after this one, carried by csv (after a blank line) and json (under
        ``"tables"``); plain shows only this one.

    pictures : list of Picture
        Drawn after the tables on a terminal and in plain output
        (``--plot``, ``ball``); csv and json leave them out.

    A value may also be a list (a whole gradient of one row): plain output
    spreads it over tab-separated fields, csv and the table join it with
    spaces, json writes an array.
    """

    title: str
    columns: list[str]
    rows: list[tuple] = field(default_factory=list)
    label: str = ""
    batches: Iterator[list[tuple]] | None = None
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    plain: list[int] | None = None
    highlight: list[int] = field(default_factory=list)
    hidden: list[str] = field(default_factory=list)
    digits: int | None = None
    extra: list["Result"] = field(default_factory=list)
    pictures: list[Picture] = field(default_factory=list)

    def iter_batches(self, columnar: bool = False) -> Iterator:
        """Batches of row tuples; with ``columnar``, :class:`ColumnBatch` objects pass through as they are."""
        if self.batches is None:
            yield self.rows
            return
        for batch in self.batches:
            yield batch if columnar or not isinstance(batch, ColumnBatch) else batch.rows()
