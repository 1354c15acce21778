"""Operands: every option value that can be numbers, a file or stdin, read into arrays.

The commands call these to turn what the user typed (``--model A=1,2``,
``--weights w.csv``, ``--target y``, ``--transform A.csv``, ``--p l1``) into
numbers; each error names the option it came from. Reading tables is
:mod:`normcli.inputs`' job; this module decides which option means what.
"""

from __future__ import annotations

from .errors import InputError, NormcliError, UsageError
from .sources import remote


def inline_models(models: list[str], truth: str | None, spec):
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
    from .core import compare

    y = table[:, -1]
    return names, compare.errors(table[:, :-1], y), y, omitted


def _tokens(text: str, where: str, nan: str):
    from . import inputs

    # omit must drop whole observations (all models), so cells are read as nan first
    return inputs.parse_tokens([text], "propagate" if nan == "omit" else nan, where)


def table_models(spec, truth: str | None):
    from . import inputs

    if spec.values:
        raise UsageError("compare-models reads errors from --model, --file or stdin")
    from .core import compare

    if truth is None:
        names, table, omitted = inputs.read_table(spec)
        y = None
    else:
        names, table, y, omitted = split_target(spec, truth, "--truth")
    guess = None
    if not spec.columns:
        keep, guess = compare.guess_models(names, table, truth is not None)
        names, table = [names[j] for j in keep], table[:, keep]
    return names, table if y is None else compare.errors(table, y), y, omitted, guess


def grouped_models(spec, truth: str | None):
    """compare-models --by: (key names, keys, group of each row, model names, errors, truth, rows omitted, guess).

    As :func:`table_models`, the rows grouped by the --by key; under --nan
    omit a row with a missing or non-finite value in any model (or the
    truth) goes whole, so the comparison stays paired.
    """
    from dataclasses import replace

    import numpy as np

    from . import inputs
    from .core import compare

    if spec.values:
        raise UsageError("compare-models reads errors from --model, --file or stdin")
    cell_spec = replace(spec, nan="propagate") if spec.nan == "omit" else spec
    if truth is not None and spec.columns and truth not in spec.columns:
        cell_spec = replace(cell_spec, columns=(*spec.columns, truth))
    grouped = inputs.read_grouped(cell_spec)
    parts = list(grouped.chunks())
    gids = np.concatenate([g for g, _ in parts])
    table = np.concatenate([v for _, v in parts])
    names = list(grouped.names)
    gids, table, omitted = _omit_rows(spec, gids, table)
    y = None
    if truth is not None:
        if truth in names:
            j = names.index(truth)
        elif truth.isdigit() and 1 <= int(truth) <= len(grouped.header) and grouped.header[int(truth) - 1] in names:
            j = names.index(grouped.header[int(truth) - 1])
        else:
            raise UsageError(f"--truth {truth!r} is not a column; the columns are {', '.join(map(repr, names))}")
        y = table[:, j]
        keep_cols = [k for k in range(len(names)) if k != j]
        if not keep_cols:
            raise UsageError("--truth leaves no prediction column")
        names, table = [names[k] for k in keep_cols], table[:, keep_cols]
    guess = None
    if not spec.columns:
        keep_cols, guess = compare.guess_models(names, table, truth is not None)
        names, table = [names[k] for k in keep_cols], table[:, keep_cols]
    errors = table if y is None else compare.errors(table, y)
    return grouped.by, grouped.index.keys, gids, names, errors, y, omitted, guess


def split_target(spec, target: str, what: str):
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


def matrix_file(path: str, what: str):
    """A matrix from a CSV/TSV or .npy file (every column is a matrix column; values must be finite)."""
    from . import inputs

    if not remote.exists(path):
        raise InputError(f"{what}: no such file: {path}")
    try:
        _, A, _ = inputs.read_table(inputs.InputSpec((), path))
    except NormcliError as exc:
        raise type(exc)(f"{what}: {_finite(exc, 'the matrix A')}") from None
    return A


def vector(text, values, what: str, fmt: dict, stdin_ok: bool, empty_ok: bool = False, nan: str | None = None):
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
        except InputError:
            if inputs.numeric_words(text):  # numbers, one of them not finite: that is the error
                raise
            if not remote.exists(text):
                raise InputError(f"{what} {text!r} is neither numbers ({_reason(text, nan)}) nor an existing file"
                                 ) from None
    spec = inputs.InputSpec((), text, (), fmt["delimiter"], fmt["header"], _cell_policy(nan))
    try:
        return inputs.read_flat_vector(spec)
    except NormcliError as exc:
        if piped and empty_ok and "no data" in str(exc):
            return None
        raise type(exc)(f"{what}: {_finite(exc) if nan is None else exc}") from None


def _finite_tokens(tokens, what: str, nan: str | None = None):
    from . import inputs

    try:
        x = inputs.parse_tokens(tokens, _cell_policy(nan), what)
    except InputError as exc:
        if nan is None:
            raise InputError(_finite(exc)) from None
        raise
    if x.size == 0:
        raise InputError(f"{what} is empty")
    return x


def _cell_policy(nan: str | None) -> str:
    """How a vector option's cells are read: non-finite values kept for the caller's omit or propagate."""
    return "error" if nan in (None, "error") else "propagate"


def _finite(exc: NormcliError, what: str = "weights and gradients") -> str:
    """An input error without the --nan advice: weights, gradients and matrices must simply be finite."""
    if isinstance(exc, InputError) and exc.advice:
        return f"{exc.fact} ({what} must be finite)"
    return str(exc)


def _reason(text: str, nan: str | None) -> str:
    """Why ``text`` is not numbers, naming only the value (for "neither numbers nor a file")."""
    from . import inputs

    try:
        inputs.parse_tokens([text], _cell_policy(nan), "")
    except InputError as exc:
        return _finite(exc) if nan is None else str(exc)
    return "no numbers"


def orders(p) -> list[float]:
    from .core import norms
    from .core.errors import CoreError

    try:
        return [norms.parse_order(t) for t in (p or ["2"])]
    except CoreError as exc:
        raise UsageError(f"--p: {exc}") from None


def one_order(p, command: str) -> float:
    if p and len(p) > 1:
        raise UsageError(f"{command} takes one --p (got {len(p)}: {', '.join(p)}); run it once per order")
    return orders(p)[0]


def linear_data(spec, target: str):
    """``regstep --data``: (feature names, X, y, rows omitted), X one C-contiguous block for the steps."""
    import numpy as np

    features, X, y, omitted = split_target(spec, target, "--target")
    return features, np.ascontiguousarray(X), y, omitted


def start_weights(w, d: int, intercept: bool):
    """The weights to start from (w = 0 when none were given) and the intercept b (None without one).

    With ``intercept``, d + 1 weights are the d weights and b last, as
    ``regstep`` prints them, so one run's output continues the next.
    """
    import numpy as np

    if w is None:
        return np.zeros(d), None
    if intercept and w.size == d + 1:
        return w[:-1], float(w[-1])
    if w.size != d:
        extra = f" (or {d + 1} with the intercept b last)" if intercept else ""
        raise InputError(f"--weights has {w.size} value(s) but --data has {d} feature column(s){extra}")
    return w, None


def pairwise_table(spec, by: str):
    """``dist --pairwise``: (names, the vectors as rows, rows omitted); ``by`` columns compares the columns."""
    from . import inputs

    names, table, omitted = inputs.read_table(spec)
    if by == "columns":
        return names, table.T, omitted
    return [str(i) for i in range(1, table.shape[0] + 1)], table, omitted


def vector_pair(values, opts):
    """``dist A B``: (names, a, b, pairs omitted); each operand numbers or a file, --nan omit drops pairs whole."""
    import numpy as np

    from . import inputs

    fmt = dict(delimiter=opts.delimiter, header=opts.header)
    a = vector(values[0], None, "A", fmt, stdin_ok=False, nan=opts.nan)
    b = vector(values[1], None, "B", fmt, stdin_ok=False, nan=opts.nan)
    if a.size != b.size:
        raise InputError(f"A has {a.size} value(s) but B has {b.size}")
    if opts.nan != "omit":
        return ["A", "B"], a, b, 0
    pairs, omitted = inputs.drop_incomplete_rows(np.column_stack([a, b]))  # as read_table drops a file's rows
    return ["A", "B"], pairs[:, 0], pairs[:, 1], omitted


def column_pair(spec):
    """``dist`` on a table: (names, a, b, rows omitted) from its two (selected) columns."""
    from . import inputs

    names, table, omitted = inputs.read_table(spec)
    two_columns(names)
    return names, table[:, 0], table[:, 1], omitted


def two_columns(names) -> None:
    """``dist`` on a table: A and B, the two selected columns (else a usage error naming them)."""
    if len(names) != 2:
        listed = ", ".join(repr(n) for n in names)
        raise UsageError(f"dist needs two columns (A and B); the input has {len(names)} ({listed}): "
                         "select two with --column, or use --pairwise")


def sampled_function(spec, x: str):
    """``sobolev --x COL``: (f, the sample points) from the column ``x`` and the one other selected column."""
    names, others, xs, _ = split_target(spec, x, "--x")
    if others.shape[1] != 1:
        listed = ", ".join(repr(n) for n in names)
        raise UsageError(f"--x {x!r} is the sample points; one other column is f, but there are "
                         f"{others.shape[1]} ({listed}): select f with --column")
    return others[:, 0], xs


def grouped_table(spec, command: str, ncols: int):
    """``dist --by`` / ``normalize --by``: (key names, keys, group of each row, names, (rows x ncols) table, omitted).

    The rows grouped by the --by key, every row held (each group is then
    reduced by the command's own core code on its rows alone). Under --nan
    omit a row with a missing or non-finite value in a selected column goes
    whole, as without --by; a group it leaves empty keeps its key (and gets
    nan, with a note).
    """
    from dataclasses import replace

    import numpy as np

    from . import inputs

    if spec.values:
        raise UsageError(f"{command} --by groups the rows of a table: read a CSV, TSV, Parquet or Arrow file "
                         "(or stdin), not values on the command line")
    cell_spec = replace(spec, nan="propagate") if spec.nan == "omit" else spec
    grouped = inputs.read_grouped(cell_spec)
    names = list(grouped.names)
    if len(names) != ncols:
        listed = ", ".join(repr(n) for n in names)
        want = "two columns (A and B)" if ncols == 2 else "one column (the vector)"
        select = "two" if ncols == 2 else "one"
        raise UsageError(f"{command} --by needs {want} besides the key; the input has {len(names)} ({listed}): "
                         f"select {select} with --column")
    parts = list(grouped.chunks())
    if parts:
        gids = np.concatenate([g for g, _ in parts])
        table = np.concatenate([np.asarray(v, dtype=np.float64).reshape(len(g), ncols) for g, v in parts])
    else:
        gids, table = np.zeros(0, np.int64), np.zeros((0, ncols))
    if gids.size == 0:
        raise InputError("the input holds no data rows")
    gids, table, omitted = _omit_rows(spec, gids, table)
    return list(grouped.by), grouped.index.keys, gids, names, table, omitted


def _omit_rows(spec, gids, table):
    """--nan omit on a grouped table: (group of each row, rows, rows omitted), a row with a missing or
    non-finite value gone whole; an error when none is left."""
    import numpy as np

    if spec.nan != "omit":
        return gids, table, 0
    keep = np.isfinite(table).all(axis=1)
    if not keep.any():
        raise InputError("no rows are left after --nan omit")
    return gids[keep], table[keep], int(table.shape[0] - np.count_nonzero(keep))
