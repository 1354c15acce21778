"""engines: inline, worker processes and polars give the same arrays and the same errors, on the same line.

Each engine is built explicitly (``Engine(...)``, handed over in ``InputSpec.engine``), and each test checks,
through ``Engine.counts``, that the path it is about really parsed blocks. NORMCLI_READER and NORMCLI_WORKERS
are read in one place, ``Engine.from_environment``.
"""

from __future__ import annotations

import collections
import io
import os
import re
import sys

import numpy as np
import pytest

from normcli import engines, env, inputs
from normcli.engines import Engine
from normcli.errors import InputError, UsageError
from normcli.sources import blocks as byte_blocks
from normcli.sources import textparse

try:
    import polars  # noqa: F401
except ImportError:  # the fast extra is not installed: its engines are skipped
    HAVE_POLARS = False
else:
    HAVE_POLARS = True

needs_polars = pytest.mark.skipif(not HAVE_POLARS, reason="polars is not installed")

#: The engines compared, and the paths each must have taken on an input of several blocks. The
#: thresholds are lowered through the engine's arguments: the worker processes and polars (auto)
#: take over after the first block.
ENGINES = {
    "inline": (lambda: Engine(reader="numpy", workers=1), {"inline"}),
    "processes": (lambda: Engine(reader="numpy", workers=2, inline_blocks=0), {"inline", "processes"}),
    "polars": (lambda: Engine(reader="polars", workers=2), {"polars", "polars-to-numpy"}),
    "auto": (lambda: Engine(reader="auto", workers=2, inline_blocks_polars=0), {"inline", "polars",
                                                                               "polars-to-numpy", "arrow",
                                                                               "arrow-to-numpy"}),
}
NAMES = [pytest.param(name, marks=needs_polars) if "polars" in paths or name == "auto" else name
         for name, (_, paths) in ENGINES.items()]


def _engine(name: str) -> Engine:
    return ENGINES[name][0]()


def _check_paths(name: str, engine: Engine, blocks: int | None = None) -> None:
    """The blocks went where the engine sends them: the parallel paths really ran."""
    allowed = ENGINES[name][1]
    assert set(engine.counts) <= allowed, (name, engine.counts)
    if name == "inline":
        assert engine.counts["inline"] >= 2  # several blocks, all in this process
    elif name == "processes":
        assert engine.counts["inline"] == 1 and engine.counts["processes"] >= 1, engine.counts
    elif name == "polars":
        assert engine.counts["inline"] == 0 and engine.counts["polars"] + engine.counts["polars-to-numpy"] >= 2
    else:  # one number per line goes to pyarrow from the first full block, wider text to polars after one
        taken = sum(engine.counts[k] for k in ("polars", "polars-to-numpy", "arrow", "arrow-to-numpy"))
        assert engine.counts["inline"] <= 1 and taken >= 1, engine.counts
    if blocks is not None:
        assert sum(engine.counts.values()) == blocks, engine.counts


# -- a file of several 3 MiB blocks ------------------------------------------------------------------------------
ROWS = 240_000  # about 17 MB: five full 3 MiB blocks and a part; under 32 MB, so not "large"


@pytest.fixture(scope="module")
def table():
    """(the table, its CSV text as lines); the first line is the header, so row i is on line i + 2."""
    rng = np.random.default_rng(20)
    a = rng.standard_normal((ROWS, 3)) * np.array([1.0, 1e-200, 1e200])
    a[::7, 1] = np.round(a[::7, 1] * 1e200)  # integers too
    buf = io.StringIO()
    np.savetxt(buf, a, fmt="%.17g", delimiter=",")
    lines = ["a,b,c", *buf.getvalue().splitlines()]
    return a, lines


def _write(tmp_path, lines) -> str:
    path = tmp_path / "t.csv"
    path.write_text("\n".join(lines) + "\n")
    return str(path)


def _outcome(read):
    """("ok", result) or ("error", message): what an engine made of an input."""
    try:
        return "ok", read()
    except InputError as exc:
        return "error", str(exc)


def _columns(path: str, engine: Engine, **kw):
    cols = inputs.read_columns(inputs.InputSpec(file=path, engine=engine, **kw))
    parts = list(cols.chunks())
    return [np.concatenate([p[j] for p in parts]) for j in range(len(cols.names))], dict(cols.omitted)


def _rows(path: str, engine: Engine, **kw):
    blocks = list(inputs.read_rows(inputs.InputSpec(file=path, engine=engine, **kw)))
    return [(b.first, b.data.shape) for b in blocks], np.concatenate([b.data.ravel() for b in blocks])


@pytest.mark.parametrize("name", NAMES)
def test_every_engine_reads_the_same_numbers(tmp_path, table, name):
    a, lines = table
    path = _write(tmp_path, lines)
    engine = _engine(name)
    got, omitted = _columns(path, engine)
    assert all(np.array_equal(got[j], a[:, j]) for j in range(3)) and omitted == {}
    with open(path, "rb") as fh:
        blocks = len(list(byte_blocks._blocks(fh, b"", byte_blocks.BLOCK_SIZE)))
    assert blocks == 6
    _check_paths(name, engine, blocks)
    engine = _engine(name)
    got, _ = _columns(path, engine, columns=("c", "a"))  # a selection: polars converts only these
    assert np.array_equal(got[0], a[:, 2]) and np.array_equal(got[1], a[:, 0])
    _check_paths(name, engine)


#: Bad lines (0-based index into the file's lines, text) and the error every engine names.
BAD = {
    "early": ({5: "1.5,x,2"}, "line 6, column 'b': 'x' is not a number"),
    "late": ({ROWS - 3: "1.5,2,oops"}, f"line {ROWS - 2}, column 'c': 'oops' is not a number"),
    "empty field": ({150_000: "1.5,,2"}, "line 150001, column 'b': an empty field (missing value); "
                                         "use --nan omit or --nan propagate"),
    "ragged": ({200_001: "1,2"}, "line 200002: 2 field(s), expected 3 as in line 1 (the header); "
                                 "use --rows for rows of different lengths"),
    "not finite": ({123_456: "inf,1,2"}, "line 123457, column 'a': 'inf' is not a finite number; "
                                         "use --nan omit or --nan propagate"),
    "two errors": ({140_000: "1,2,3,4", 180_000: "x,1,2"}, "line 140001: 4 field(s), expected 3 as in line 1 "
                                                             "(the header); use --rows for rows of different lengths"),
}


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("case", sorted(BAD))
def test_every_engine_names_the_same_line(tmp_path, table, name, case):
    _, lines = table
    bad, message = BAD[case]
    lines = list(lines)
    for k, text in bad.items():
        lines[k] = text
    path = _write(tmp_path, lines)
    engine = _engine(name)
    assert _outcome(lambda: _columns(path, engine)) == ("error", message)
    assert set(engine.counts) <= ENGINES[name][1]
    if min(bad) >= 100_000:  # past the second block: the blocks before it went the engine's way
        parallel = {"inline": "inline", "processes": "processes"}.get(name, "polars")
        assert engine.counts[parallel] >= (2 if name == "inline" else 1), engine.counts


@pytest.mark.parametrize("nan", ["omit", "propagate"])
def test_every_engine_applies_nan_the_same(tmp_path, table, nan):
    _, lines = table
    lines = list(lines)
    for k in (10, 100_000, 100_001, ROWS - 1):
        lines[k] = "nan,,x" if k % 2 else "1,inf,-inf"
    path = _write(tmp_path, lines)
    results = {}
    for name in ["inline", "processes", *(["polars", "auto"] if HAVE_POLARS else [])]:
        engine = _engine(name)
        results[name] = _columns(path, engine, nan=nan)
        _check_paths(name, engine)
        if name in ("polars", "auto"):
            assert engine.counts["polars-to-numpy"] >= 1  # the blocks with missing values went to numpy
    first = results["inline"]
    for got, omitted in results.values():
        assert omitted == first[1] and all(np.array_equal(g, f, equal_nan=True) for g, f in zip(got, first[0]))


@pytest.mark.parametrize("name", NAMES)
def test_every_engine_reads_rows_the_same(tmp_path, table, name):
    """--rows (groups of rows of one length; polars' blocks handed on as one group), errors included."""
    _, lines = table
    lines = list(lines[1:60_001])  # no header; about 4 MB, four blocks of --rows' 1 MiB
    for k in (0, 31_000):
        lines[k] = "1,2"  # rows of their own length
    path = _write(tmp_path, lines)
    reference = _rows(path, _engine("inline"))
    assert [shape for _, shape in reference[0] if shape[1] == 2] == [(1, 2), (1, 2)]
    engine = _engine(name)
    got = _rows(path, engine)
    assert got[0] == reference[0] and np.array_equal(got[1], reference[1])
    _check_paths(name, engine)
    lines[50_000] = "1,2,zz"
    path = _write(tmp_path, lines)
    engine = _engine(name)
    assert _outcome(lambda: _rows(path, engine)) == ("error", "line 50001, column 3: 'zz' is not a number")
    _check_paths(name, engine)


# -- Engine.map itself ------------------------------------------------------------------------------------------
def _blocks(text: bytes, size: int):
    return byte_blocks._blocks(io.BytesIO(text), b"", size)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("large", [False, True])
def test_map_gives_every_result_in_order_with_its_first_line(name, large):
    text = b"".join(b"%d.25\n" % i for i in range(20_000))
    layout = textparse._Layout(None, 1, ("1",), False, (0,), "error", 1)
    engine = _engine(name)
    got = list(engine.map(textparse._parse_table_block, layout, _blocks(text, 4096), 1, size=4096, large=large))
    assert np.array_equal(np.concatenate(got).ravel(), np.arange(20_000) + 0.25)
    assert sum(engine.counts.values()) == len(got) > 20
    if large and name != "inline":  # a large file: no block waits inline
        assert engine.counts["inline"] == 0
    bad = text.replace(b"\n17777.25\n", b"\n17777.25x\n")
    with pytest.raises(InputError, match=r"^line 17778, column 1: '17777.25x' is not a number$"):
        list(_engine(name).map(textparse._parse_table_block, layout, _blocks(bad, 4096), 1, size=4096, large=large))


def test_a_slow_source_stays_inline():
    """Blocks under half the block size (a pipe fed slowly) never count as full: nothing is handed over."""
    engine = Engine(reader="numpy", workers=2, inline_blocks=2)
    layout = textparse._Layout(None, 1, ("1",), False, (0,), "error", 1)
    blocks = [b"1\n2\n"] * 10
    got = list(engine.map(textparse._parse_table_block, layout, iter(blocks), 1, size=4096))
    assert len(got) == 10 and engine.counts == {"inline": 10}


@pytest.mark.parametrize("name", NAMES)
def test_a_long_line_is_named_on_its_line_by_every_engine(monkeypatch, tmp_path, name):
    monkeypatch.setattr(byte_blocks, "MAX_LINE", 4096)
    monkeypatch.setattr(byte_blocks, "BLOCK_SIZE", 256)
    data = b"".join(b"%d.5\n" % i for i in range(3000)) + b"7" * 10_000 + b"\n1\n"
    path = tmp_path / "long.txt"
    path.write_bytes(data)
    engine = _engine(name)
    with pytest.raises(InputError, match=r"line 3001 is longer than 4096 bytes \(no newline found\)"):
        list(inputs.read_columns(inputs.InputSpec(file=str(path), engine=engine)).chunks())
    assert sum(engine.counts.values()) > 10


def _echo(layout, block, line):
    return block, line


@pytest.mark.parametrize("sizes", [[10, 30, 5, 64, 200, 1, 64, 3, 129, 128] * 5, [64] * 40, [300, 2, 300]])
def test_process_pool_hands_every_block_on_unchanged_and_in_order(sizes):
    """Blocks travel to the workers through shared slots (reused) or, when too big for one, as bytes:
    each arrives whole, with its first line number, and the results come back in order."""
    blocks = [bytes([48 + i % 10]) * (n - 1) + b"\n" for i, n in enumerate(sizes)]
    layout = textparse._Layout(",", 1, ("a",), False, (0,), "error", 1)
    counts = collections.Counter()
    got = list(engines._process_pool(_echo, layout, iter(blocks), 7, 2, 64, counts))
    assert [b for b, _ in got] == blocks
    assert [at for _, at in got] == [7 + i for i in range(len(blocks))]
    assert counts == {"processes": len(blocks)}


# -- the engine a run gets -------------------------------------------------------------------------------------
def test_an_explicit_engine_is_used_and_the_environment_is_not_read(monkeypatch):
    monkeypatch.setenv("NORMCLI_READER", "pandas")  # would be refused, were it read
    engine = Engine(reader="numpy", workers=1)
    cols = inputs.read_columns(inputs.InputSpec(stdin=io.BytesIO(b"a\n1\n2\n"), engine=engine))
    assert [c[0].tolist() for c in cols.chunks()] == [[1.0, 2.0]] and engine.counts == {"inline": 1}


@pytest.mark.parametrize("environ, reader, workers", [
    ({}, "auto", min(2, os.cpu_count() or 1)),
    ({"NORMCLI_READER": "numpy", "NORMCLI_WORKERS": "1"}, "numpy", 1),
    ({"NORMCLI_READER": " Polars ", "NORMCLI_WORKERS": "3"}, "polars", 3),
    ({"NORMCLI_READER": "", "NORMCLI_WORKERS": "0"}, "auto", 0),
    ({"NORMCLI_WORKERS": "two"}, "auto", min(2, os.cpu_count() or 1)),
    ({"NORMCLI_WORKERS": "-1"}, "auto", min(2, os.cpu_count() or 1)),
])
def test_from_environment_reads_normcli_reader_and_workers(environ, reader, workers):
    engine = Engine.from_environment(env.detect(environ=environ))
    assert (engine.reader, engine.workers) == (reader, workers)
    assert engine == Engine(reader, workers)


@pytest.mark.parametrize("value", ["pandas", "numpy,polars", "fast"])
def test_from_environment_refuses_an_unknown_reader(value):
    environment = env.detect(environ={"NORMCLI_READER": value})
    with pytest.raises(UsageError) as info:
        Engine.from_environment(environment)
    assert str(info.value) == f"NORMCLI_READER must be one of auto, numpy, polars, not {value!r}"


def test_an_engine_refuses_what_it_cannot_do():
    with pytest.raises(ValueError, match="reader must be one of auto, numpy, polars, not 'pandas'"):
        Engine(reader="pandas")
    with pytest.raises(ValueError, match="cannot be negative"):
        Engine(workers=-1)


def test_the_environment_is_read_when_the_first_block_is_due(monkeypatch):
    """As before engines had a module: a bad --column (known from the header) is the error, not the reader."""
    monkeypatch.setenv("NORMCLI_READER", "pandas")
    with pytest.raises(UsageError, match="no column named 'z'"):
        inputs.read_columns(inputs.InputSpec(stdin=io.BytesIO(b"a\n1\n"), columns=("z",)))
    cols = inputs.read_columns(inputs.InputSpec(stdin=io.BytesIO(b"a\n1\n")))
    with pytest.raises(UsageError, match="NORMCLI_READER must be one of"):
        list(cols.chunks())


def test_the_polars_reader_without_polars_is_a_usage_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "polars", None)  # import polars fails
    spec = inputs.InputSpec(stdin=io.BytesIO(b"a\n1\n"), engine=Engine(reader="polars"))
    with pytest.raises(UsageError, match=r"NORMCLI_READER=polars, but polars is not installed"):
        list(inputs.read_columns(spec).chunks())
    engine = Engine(reader="auto", inline_blocks_polars=0)  # auto without polars: numpy, as ever
    monkeypatch.setattr(engines, "_polars_installed", lambda: False)
    cols = inputs.read_columns(inputs.InputSpec(stdin=io.BytesIO(b"a\n1\n2\n"), engine=engine))
    assert [c[0].tolist() for c in cols.chunks()] == [[1.0, 2.0]] and engine.counts == {"inline": 1}


def test_engines_are_values_that_travel():
    import pickle

    engine = Engine(reader="numpy", workers=3)
    engine.counts["inline"] += 2
    again = pickle.loads(pickle.dumps(engine))
    assert again == engine and hash(again) == hash(engine) and again.counts == {"inline": 2}
    assert Engine() == Engine("auto", 2) and Engine().counts == {}


def test_pyarrow_reads_one_number_per_line_as_numpy_does():
    """Every token: pyarrow's block gives numpy's bits, or the block goes to the exact path."""
    from normcli.engines import _arrow_block, _import_arrow
    from normcli.sources import textparse

    rng = np.random.default_rng(12)
    arrow = _import_arrow()
    layout = textparse._Layout(None, 1, ("x",), False, (0,), "error", 1)
    exact = lambda layout, block, line: textparse._parse_table_block(layout, block, line)  # noqa: E731
    special = ["1e308", "1.7976931348623157e308", "2.2250738585072014e-308", "4.9e-324", "2.4703282292062328e-324",
               "0.1", "-0", "+1", "1.", ".5", "1E5", "1e-5", "123456789012345678901234567890", "0.30000000000000004",
               "9007199254740993", "1_0", "0x10", "1e400", "nan", "inf", "-inf", "NA", "null", "1e", "--1", "1d5"]
    read = 0
    for trial in range(300):
        values = rng.standard_normal(50) * 10.0 ** rng.integers(-300, 300, 50)
        tokens = [repr(float(v)) if rng.random() < 0.5 else f"{v:.{rng.integers(1, 25)}g}" for v in values]
        if trial % 3 == 0:
            tokens[rng.integers(0, 50)] = special[trial // 3 % len(special)]
        block = ("\n".join(tokens) + "\n").encode()
        try:
            want = exact(layout, block, 1)
        except Exception as exc:  # the exact path refuses: so must the engine (the same error)
            with pytest.raises(type(exc), match=re.escape(str(exc))):
                _arrow_block(arrow, exact, layout, block, 1)
            continue
        got, by_arrow = _arrow_block(arrow, exact, layout, block, 1)
        assert got.shape == want.shape and np.array_equal(got.view(np.uint64), want.view(np.uint64)), tokens
        read += by_arrow
    assert read >= 200  # most blocks were pyarrow's, compared bit for bit
    twice = textparse._Layout(None, 1, ("x",), False, (0, 0), "error", 1)
    got, by_arrow = _arrow_block(arrow, exact, twice, b"1\n2\n", 1)
    assert by_arrow and got.tolist() == [[1.0, 1.0], [2.0, 2.0]]
    assert _arrow_block(arrow, exact, layout, b"1\n2\n", 1)[1]
    propagate = textparse._Layout(None, 1, ("x",), False, (0,), "propagate", 1)
    got, by_arrow = _arrow_block(arrow, exact, propagate, b"1\nnan\n", 1)  # non-finite: numpy's path decides
    assert not by_arrow and np.isnan(got[1, 0])


ONE_COLUMN_ROWS = 800_000  # about 17 MB: six 3 MiB blocks


@needs_polars
def test_one_number_per_line_switches_from_pyarrow_to_polars_keeping_lines(tmp_path, monkeypatch):
    monkeypatch.setattr(engines, "ARROW_BLOCKS", 2)
    rng = np.random.default_rng(21)
    x = rng.standard_normal(ONE_COLUMN_ROWS)
    path = tmp_path / "one.csv"
    np.savetxt(path, x, fmt="%.17g")
    counts = {}
    for name, engine in (("auto", Engine(reader="auto", workers=2)), ("numpy", Engine(reader="numpy", workers=1))):
        cols = inputs.read_columns(inputs.InputSpec(file=str(path), engine=engine))
        got = np.concatenate([c[0] for c in cols.chunks()])
        assert np.array_equal(got, x)
        counts[name] = engine.counts
    assert counts["auto"]["arrow"] == 2 and counts["auto"]["polars"] >= 2, counts
    lines = path.read_text().splitlines()
    lines[-3] = "oops"
    path.write_text("\n".join(lines) + "\n")
    errors = []
    for engine in (Engine(reader="auto", workers=2), Engine(reader="numpy", workers=1)):
        with pytest.raises(InputError) as info:
            list(inputs.read_columns(inputs.InputSpec(file=str(path), engine=engine)).chunks())
        errors.append(str(info.value))
    assert errors[0] == errors[1] and f"line {ONE_COLUMN_ROWS - 2}" in errors[0]
