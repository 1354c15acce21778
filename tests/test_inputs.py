"""inputs: the fast and slow parsing paths agree, blocks and workers change nothing."""

from __future__ import annotations

import io
import math
import os
import threading
import time
import warnings

try:
    import fcntl
except ImportError:  # not a POSIX system
    fcntl = None

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from normcli import engines, inputs
from normcli.core.norms import norm
from normcli.errors import InputError, UsageError
from normcli.sources import blocks as byte_blocks
from normcli.sources import text as text_source
from normcli.sources import textparse


@pytest.fixture(autouse=True)
def _each_reader(reader):
    """Every test here runs with both text readers (numpy and polars)."""


finite = st.floats(allow_nan=False, allow_infinity=False, width=64)


def _columns(text: bytes | str, **kw) -> tuple[list[str], list[np.ndarray]]:
    data = text.encode() if isinstance(text, str) else text
    cols = inputs.read_columns(inputs.InputSpec(stdin=io.BytesIO(data), **kw))
    parts = list(cols.chunks())
    return cols.names, [np.concatenate([p[j] for p in parts]) for j in range(len(cols.names))]


def _csv(a: np.ndarray, header=("a", "b"), sep=",") -> str:
    lines = [sep.join(header)] + [sep.join(repr(v) for v in row) for row in a.tolist()]
    return "\n".join(lines) + "\n"


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(finite, finite), min_size=1, max_size=40))
def test_values_survive_text_exactly(rows):
    a = np.array(rows)
    names, cols = _columns(_csv(a))
    assert names == ["a", "b"]
    assert np.array_equal(cols[0], a[:, 0]) and np.array_equal(cols[1], a[:, 1])


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(finite, finite), min_size=1, max_size=30), st.sampled_from([",", "\t", ";", " "]))
def test_fast_and_slow_paths_agree(rows, sep):
    a = np.array(rows)
    plain = _csv(a, sep=sep)
    # A comment line sends the block down the line-by-line path.
    slow = plain.replace("\n", "\n# a comment\n", 1)
    _, fast_cols = _columns(plain, columns=("b",))
    _, slow_cols = _columns(slow, columns=("b",))
    assert np.array_equal(fast_cols[0], slow_cols[0])


def test_slow_path_is_really_taken(monkeypatch):
    calls = []
    real = textparse._slow_parse
    monkeypatch.setattr(textparse, "_slow_parse", lambda *a: calls.append(1) or real(*a))
    _columns("a,b\n1,2\n# c\n3,4\n", columns=("b",))
    assert calls
    calls.clear()
    _columns("a,b\n1,2\n3,4\n", columns=("b",))
    assert not calls


@pytest.mark.parametrize("workers", ["1", "2"])
def test_tiny_blocks_and_workers_change_nothing(monkeypatch, workers):
    monkeypatch.setattr(byte_blocks, "BLOCK_SIZE", 64)
    monkeypatch.setenv("NORMCLI_WORKERS", workers)
    rng = np.random.default_rng(3)
    a = rng.standard_normal((500, 2)) * 1e3
    names, cols = _columns(_csv(a))
    assert np.array_equal(cols[0], a[:, 0]) and np.array_equal(cols[1], a[:, 1])
    bad = _csv(a).splitlines()
    bad[377] = "1.0,oops"
    with pytest.raises(InputError, match=r"^line 378, column 'b': 'oops' is not a number$"):
        _columns("\n".join(bad) + "\n")


def test_rows_blocks_across_tiny_blocks(monkeypatch):
    monkeypatch.setattr(byte_blocks, "BLOCK_SIZE", 32)
    monkeypatch.setenv("NORMCLI_WORKERS", "1")
    text = "".join(f"{i},{i + 1}\n" if i % 7 else f"{i},{i},{i}\n" for i in range(100))
    blocks = list(inputs.read_rows(inputs.InputSpec(stdin=io.BytesIO(text.encode()))))
    rows = [r for b in blocks for r in b.data.tolist()]
    assert rows == [[i, i + 1] if i % 7 else [i, i, i] for i in range(100)]
    starts = [b.first for b in blocks]
    assert starts == sorted(starts) and starts[0] == 1


def test_parse_tokens_forms():
    assert inputs.parse_tokens(["1,2", "3 4", " 5 ,6 ", "7,"]).tolist() == [1, 2, 3, 4, 5, 6, 7]
    assert inputs.parse_tokens(["-inf,+1.5e3"], nan="propagate").tolist() == [-math.inf, 1500.0]
    assert math.isnan(inputs.parse_tokens(["x"], nan="propagate")[0])


@pytest.mark.parametrize("text", ["1_000", "0x10", "1d5", "--1", "1.5f", "nan(1)", "\u0663", "\uff11"])
def test_numbers_numpy_refuses_are_refused_on_both_paths(text):
    with pytest.raises(InputError, match="is not a number"):
        inputs.parse_tokens([text])
    with pytest.raises(InputError, match="is not a number"):
        _columns(f"a\n{text}\n")
    with pytest.raises(InputError, match="is not a number"):
        _columns(f"a,b\n1,{text}\n", columns=("b",))


def test_header_is_detected_from_text_not_numbers():
    assert _columns("x\n1\n")[0] == ["x"]
    assert _columns("1\n2\n")[0] == ["1"]
    assert _columns("inf,nan\n1,2\n", nan="propagate")[1][0].tolist() == [math.inf, 1.0]


def test_nothing_on_a_terminal_is_a_usage_error():
    class Tty(io.BytesIO):
        def isatty(self):
            return True

    with pytest.raises(UsageError, match="no input"):
        inputs.read_columns(inputs.InputSpec(stdin=Tty()))


def test_omit_counts_what_it_left_out():
    cols = inputs.read_columns(inputs.InputSpec(stdin=io.BytesIO(b"a,b\n1,x\nnan,2\n3,\n"), nan="omit"))
    parts = list(cols.chunks())
    assert parts[0][0].tolist() == [1.0, 3.0] and parts[0][1].tolist() == [2.0]
    assert cols.omitted == {"a": 1, "b": 2}


def test_matrix_omit_drops_whole_rows():
    names, a = inputs.read_matrix(inputs.InputSpec(stdin=io.BytesIO(b"a,b\n1,2\nnan,3\n4,5\n"), nan="omit"))
    assert names == ["a", "b"] and a.tolist() == [[1, 2], [4, 5]]


def test_norm_of_parsed_file_matches_core(tmp_path):
    rng = np.random.default_rng(11)
    x = rng.standard_normal(10_000) * 1e-150
    path = tmp_path / "x.txt"
    np.savetxt(path, x, fmt="%.17g")
    cols = inputs.read_columns(inputs.InputSpec(file=str(path)))
    got = np.concatenate([c[0] for c in cols.chunks()])
    assert np.array_equal(got, x)
    assert norm(got) == norm(x)


# -- the polars reader against the numpy one, block by block -------------------
def _outcome(parse):
    """("ok", array) or ("error", message): what a reader made of a block."""
    try:
        return "ok", parse()
    except InputError as exc:
        return "error", str(exc)


TOKENS = ["1", "-2.5", "1e5", "1E-3", "+1.5", ".5", "5.", "-0", "0.1", "123456789012345678901234567890",
          "1e308", "1e309", "-1e400", "4.9e-324", "2e-330", "inf", "-inf", "nan", "NaN", "Infinity", "-Infinity",
          "1_000", "0x10", "1e", "e5", "--1", "1.2.3", "", " 1", "1 ", "1d5", "\u0661", "true", "1,5", "nan(1)",
          "0.30000000000000004", "9007199254740993", "2.2250738585072011e-308"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(st.sampled_from(TOKENS), min_size=2, max_size=2), min_size=1, max_size=6),
       st.sampled_from(["error", "omit", "propagate"]), st.sampled_from([(0,), (1,), (1, 0), (0, 1)]))
def test_polars_blocks_equal_numpy_blocks(rows, nan, usecols):
    pl = pytest.importorskip("polars")
    layout = textparse._Layout(",", 2, ("a", "b"), True, usecols, nan, 2)
    block = ("\n".join(",".join(r) for r in rows) + "\n").encode()

    exact = _outcome(lambda: textparse._parse_table_block(layout, block, 2))
    fast = _outcome(lambda: engines._polars_block(pl, textparse._parse_table_block, layout, block, 2)[0])
    assert exact[0] == fast[0]
    if exact[0] == "ok":
        assert exact[1].shape == fast[1].shape and np.array_equal(exact[1], fast[1], equal_nan=True)
    else:
        assert exact[1] == fast[1]


def test_polars_reader_counts_lines_for_later_errors(monkeypatch):
    pytest.importorskip("polars")
    monkeypatch.setenv("NORMCLI_READER", "polars")
    monkeypatch.setattr(byte_blocks, "BLOCK_SIZE", 64)
    text = "a\n" + "".join(f"{i}.5\n" for i in range(200)) + "oops\n"
    with pytest.raises(InputError, match="line 202, column 'a': 'oops' is not a number"):
        _columns(text)


def test_unknown_reader_is_a_usage_error(monkeypatch):
    monkeypatch.setenv("NORMCLI_READER", "pandas")
    with pytest.raises(UsageError, match="NORMCLI_READER must be one of auto, numpy, polars"):
        _columns("a,b\n1,2\n")


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(st.sampled_from(TOKENS[:12] + ["", "x", "nan"]), min_size=5, max_size=7), min_size=1,
                max_size=5),
       st.sampled_from(["error", "omit", "propagate"]), st.sampled_from([(5,), (0, 3), (4, 1, 4)]),
       st.booleans())
def test_polars_blocks_equal_numpy_blocks_for_wide_rows(rows, nan, usecols, final_newline):
    pl = pytest.importorskip("polars")
    layout = textparse._Layout(";", 6, tuple("abcdef"), True, usecols, nan, 2)
    block = ("\n".join(";".join(r) for r in rows) + ("\n" if final_newline else "")).encode()

    exact = _outcome(lambda: textparse._parse_table_block(layout, block, 2))
    fast = _outcome(lambda: engines._polars_block(pl, textparse._parse_table_block, layout, block, 2)[0])
    assert exact[0] == fast[0], (exact, fast)
    if exact[0] == "ok":
        assert np.array_equal(exact[1], fast[1], equal_nan=True)
    else:
        assert exact[1] == fast[1]


@pytest.mark.parametrize("polars_installed", [True, False])
@pytest.mark.parametrize("rows", [False, True])
def test_a_large_regular_file_goes_parallel_from_its_first_block(monkeypatch, tmp_path, polars_installed, rows):
    """A file known to be large skips the inline blocks: polars (or the worker pool) from block one."""
    if polars_installed:
        pytest.importorskip("polars")
    monkeypatch.setattr(byte_blocks, "BLOCK_SIZE", 64)
    monkeypatch.setattr(text_source, "_LARGE_FILE", 1024)
    monkeypatch.setattr(engines, "_polars_installed", lambda: polars_installed)
    parallel = ("polars", "polars-to-numpy") if polars_installed else ("processes",)
    a = np.random.default_rng(5).standard_normal((300, 2))
    path = tmp_path / "big.csv"
    path.write_text(_csv(a))

    def read(text_path, engine):
        with open(text_path, "rb") as fh:
            spec = inputs.InputSpec(stdin=fh, engine=engine)
            if rows:
                return np.vstack([b.data for b in inputs.read_rows(spec)])
            cols = inputs.read_columns(spec)
            return np.vstack([np.column_stack(p) for p in cols.chunks()])

    engine = engines.Engine("auto", 2)
    assert np.array_equal(read(path, engine), a)
    assert engine.counts["inline"] == 0 and sum(engine.counts[k] for k in parallel) > 1
    bad = _csv(a).splitlines()
    bad[250] = "1.0,oops"
    path.write_text("\n".join(bad) + "\n")
    engine = engines.Engine("auto", 2)
    with pytest.raises(InputError, match=r"^line 251, column 'b': 'oops' is not a number$"):
        read(path, engine)
    assert engine.counts["inline"] == 0
    small = tmp_path / "small.csv"
    small.write_text(_csv(a[:10]))
    engine = engines.Engine("auto", 2)
    assert np.array_equal(read(small, engine), a[:10])
    assert engine.counts["inline"] >= 1  # a small file waits for the inline blocks as a pipe does


# -- blocks of a regular file, read with pread ----------------------------------
@settings(max_examples=80, deadline=None)
@given(st.lists(st.integers(0, 30), max_size=60), st.integers(0, 12), st.booleans(), st.integers(8, 80),
       st.sampled_from([4, 8, 4096]))
def test_file_blocks_are_the_whole_lines_of_the_file(tmp_path_factory, lengths, consumed, final_newline, size, peek):
    """Any line lengths, block size, peek window and starting offset: the blocks are the file's bytes, in
    whole lines, and the stream is left at the end; lines longer than the peek go to the stream reader."""
    saved_peek = byte_blocks._PEEK
    byte_blocks._PEEK = peek
    try:
        lines = [bytes([97 + i % 26]) * n for i, n in enumerate(lengths)]
        content = b"\n".join(lines) + (b"\n" if final_newline and lines else b"")
        path = tmp_path_factory.mktemp("blocks") / "f.txt"
        path.write_bytes(content)
        with open(path, "rb") as fh:
            first = fh.read(consumed)  # what was read before (the .npy magic check, a header)
            blocks = list(byte_blocks._blocks(fh, first, size))
            assert fh.tell() == len(content)
    finally:
        byte_blocks._PEEK = saved_peek
    expected = content if content.endswith(b"\n") or not content else content + b"\n"
    assert b"".join(blocks) == expected
    assert all(block.endswith(b"\n") for block in blocks)


@pytest.mark.parametrize("width", [1, 700])
def test_file_blocks_read_a_big_file_with_pread(tmp_path, monkeypatch, width):
    """A big file is read by _file_blocks in whole lines, with short lines (found by the peek) and
    lines longer than the peek (the window is read and cut); only the last part by the stream."""
    text = "".join(f"{i * 0.25!r}," * width + f"{-i}\n" for i in range(40_000 if width == 1 else 400))
    path = tmp_path / "big.csv"
    path.write_text(text)
    size = 1 << 15
    preads = []
    real_pread = byte_blocks.os.pread
    monkeypatch.setattr(byte_blocks.os, "pread", lambda fd, n, off: preads.append(n) or real_pread(fd, n, off))
    with open(path, "rb") as fh:
        blocks = list(byte_blocks._blocks(fh, b"", size))
    assert b"".join(blocks) == text.encode()
    assert len(blocks) > 10 and all(b.endswith(b"\n") for b in blocks)
    assert len(preads) >= 2 * (len(blocks) - 1)  # a peek and a read for every window but the last part
    longest = max(map(len, text.splitlines())) + 1
    assert all(size - max(byte_blocks._PEEK, longest) < len(b) <= size for b in blocks[:-1])


def test_file_blocks_leave_a_shrinking_file_to_the_stream(tmp_path, monkeypatch):
    path = tmp_path / "f.txt"
    path.write_bytes(b"123\n" * 50)
    monkeypatch.setattr(byte_blocks, "BLOCK_SIZE", 40)
    real_pread = byte_blocks.os.pread
    monkeypatch.setattr(byte_blocks.os, "pread", lambda fd, n, off: real_pread(fd, n, off)[: max(0, n - 1)]
                        if n > 8 else real_pread(fd, n, off))
    with open(path, "rb") as fh:
        assert b"".join(byte_blocks._blocks(fh)) == b"123\n" * 50


class _Trickle(io.RawIOBase):
    """A raw stream that hands out at most ``step`` bytes a read, as a pipe does."""

    def __init__(self, data: bytes, step: int):
        self.data, self.pos, self.step = data, 0, step

    def readable(self):
        return True

    def readinto(self, view):
        n = min(len(view), self.step, len(self.data) - self.pos)
        view[:n] = self.data[self.pos : self.pos + n]
        self.pos += n
        return n


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(0, 300), max_size=40), st.binary(max_size=5), st.integers(1, 400), st.integers(1, 97),
       st.booleans())
def test_stream_blocks_are_whole_lines_of_the_stream(lengths, first, size, step, raw):
    """Any line lengths (longer and shorter than a block), any head already read, any read sizes:
    the blocks are whole lines, together the stream (a last newline added), none longer than
    the block size or its longest line needs."""
    text = b"".join(b"x" * n + b"\n" for n in lengths)
    if lengths and lengths[-1] % 2:
        text = text[:-1]  # no newline at the end
    stream = _Trickle(text, step) if raw else io.BytesIO(text)
    blocks = list(byte_blocks._stream_blocks(stream, first, size))
    whole = first + text
    assert b"".join(blocks) == (whole if not whole or whole.endswith(b"\n") else whole + b"\n")
    assert all(b.endswith(b"\n") for b in blocks)
    longest = max((len(line) + 1 for line in whole.split(b"\n")), default=0)
    assert all(len(b) <= max(size, len(first)) + longest + step for b in blocks)


def _pipe_writer(chunks, pause: float = 0.0):
    """A pipe whose write end a thread fills with ``chunks`` (``pause`` seconds apart); returns
    (read end as a binary stream, the thread)."""
    read_fd, write_fd = os.pipe()

    def write():
        with os.fdopen(write_fd, "wb", buffering=0) as out:
            for chunk in chunks:
                out.write(chunk)
                if pause:
                    time.sleep(pause)

    writer = threading.Thread(target=write, daemon=True)
    writer.start()
    return os.fdopen(read_fd, "rb"), writer


def test_a_fast_pipe_gives_full_blocks(monkeypatch):
    """A writer that is merely slower than the reader at moments (cat) fills whole blocks: the
    reader waits for it instead of handing on whatever the pipe holds, so a large piped input
    is parsed ahead in parallel like a file."""
    # A loaded test machine may stall the writer: wait longer, and for blocks of any age.
    monkeypatch.setattr(byte_blocks, "_PIPE_PAUSE", 0.5)
    monkeypatch.setattr(byte_blocks, "_PIPE_PATIENCE", 60.0)
    line = b"0.123456789,-1.5e-3,42\n"
    data = line * 200_000  # 4.6 MB
    stream, writer = _pipe_writer(data[i : i + 4096] for i in range(0, len(data), 4096))
    with stream:
        blocks = list(byte_blocks._blocks(stream, b"", 1 << 18))
    writer.join(5)
    assert b"".join(blocks) == data
    assert all(len(b) > (1 << 18) - len(line) for b in blocks[:-1])


def test_a_trickling_pipe_still_streams():
    """A writer that never pauses for long (a line every 2 ms) has its lines handed on after
    about _PIPE_PATIENCE, not when a whole block has gathered."""
    lines = [b"%d\n" % i for i in range(1000)]  # about 2 s of writing
    stream, writer = _pipe_writer(lines, pause=0.002)
    with stream:
        start = time.monotonic()
        first = next(byte_blocks._blocks(stream, b"", 1 << 20))
        waited = time.monotonic() - start
        assert writer.is_alive() and first.endswith(b"\n") and len(first) < sum(map(len, lines))
        rest = b"".join(byte_blocks._blocks(stream, b"", 1 << 20))
    assert first + rest == b"".join(lines)
    assert waited < 1.0


@pytest.mark.skipif(not hasattr(fcntl, "F_GETPIPE_SZ"), reason="pipe buffer sizes are a Linux feature")
def test_pipes_get_a_wider_buffer_and_files_are_left_alone(tmp_path):
    read_fd, write_fd = os.pipe()
    with os.fdopen(read_fd, "rb") as stream:
        os.close(write_fd)
        before = fcntl.fcntl(read_fd, fcntl.F_GETPIPE_SZ)
        byte_blocks._widen_pipe(stream)
        assert fcntl.fcntl(read_fd, fcntl.F_GETPIPE_SZ) >= min(byte_blocks._PIPE_BUFFER, _pipe_max_size()) >= before
    path = tmp_path / "f.csv"
    path.write_bytes(b"1\n")
    with open(path, "rb") as fh:
        byte_blocks._widen_pipe(fh)  # not a pipe: nothing happens, nothing raised
        assert fh.read() == b"1\n"
    byte_blocks._widen_pipe(io.BytesIO(b"1\n"))


def _pipe_max_size() -> int:
    try:
        with open("/proc/sys/fs/pipe-max-size") as fh:
            return int(fh.read())
    except OSError:
        return 1 << 16


@settings(max_examples=30, deadline=None)
@given(st.binary(min_size=0, max_size=3000), st.integers(0, 400), st.sampled_from(["\n", ",", ";"]))
def test_count_byte_equals_bytes_count(pattern, repeat, char):
    block = pattern * repeat  # up to about 1.2 MB: the numpy path, in several slices
    assert engines.count_byte(block, char) == block.count(char.encode())


@pytest.mark.parametrize("bad", [{100: "1,2", 200: "1,2,3,4"}, {7: "1,2,3,4"}, {9: "1,2"}, {5: "1,,3"},
                                 {3: ""}, {11: "1,2,3,"}])
@pytest.mark.parametrize("usecols", [(1,), (2,), (0, 2), (2, 1)])
def test_polars_block_checks_field_counts_of_big_blocks(bad, usecols):
    """Rows with too many and too few fields (even when their delimiters cancel out), empty fields and
    blank lines in a block big enough for the numpy counts: polars says what numpy says."""
    pl = pytest.importorskip("polars")
    rows = [f"{i}.5,{-i},{i * 3}" for i in range(20_000)]
    for k, text in bad.items():
        rows[k] = text
    block = ("\n".join(rows) + "\n").encode()
    assert len(block) > 1 << 16
    layout = textparse._Layout(",", 3, ("a", "b", "c"), True, usecols, "error", 2)
    exact = _outcome(lambda: textparse._parse_table_block(layout, block, 2))
    fast = _outcome(lambda: engines._polars_block(pl, textparse._parse_table_block, layout, block, 2)[0])
    assert exact[0] == fast[0], (exact, fast)
    if exact[0] == "ok":
        assert np.array_equal(exact[1], fast[1])
    else:
        assert exact[1] == fast[1]


@pytest.mark.parametrize("usecols", [(1,), (2,), (0, 2), (2, 1)])
@pytest.mark.parametrize("size", [100, 200_000])
def test_polars_reads_a_clean_block_itself(usecols, size):
    """The checks above do not send clean blocks to numpy: polars parses them, to the same numbers."""
    pl = pytest.importorskip("polars")
    rows = [f"{i}.5,{-i}e-3,{i * 3}" for i in range(size // 12)]
    block = ("\n".join(rows) + "\n").encode()
    layout = textparse._Layout(",", 3, ("a", "b", "c"), True, usecols, "error", 2)

    def no_fallback(*args):
        raise AssertionError("the block went to the numpy path")

    got, by_polars = engines._polars_block(pl, no_fallback, layout, block, 2)
    assert by_polars
    assert np.array_equal(got, textparse._parse_table_block(layout, block, 2))


_FIELDS = st.sampled_from(["1.5", "-2", "7e3", "", "x", "nan"])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(_FIELDS, max_size=5), max_size=25), st.integers(2, 4), st.data(),
       st.sampled_from([",", "\t", "\u00a7", None]), st.booleans(), st.booleans())
def test_selected_columns_only_from_blocks_whose_lines_all_have_ncols_fields(rows, ncols, data, delimiter,
                                                                                final_newline, big):
    """Some columns of a block by numpy's parser (a field count check beside it) against the
    line-by-line path: the same numbers whenever numpy's is taken, and it is taken whenever every
    line has ncols fields of numbers. Big blocks run past the 256 KiB slices the delimiters are
    counted in."""
    usecols = tuple(data.draw(st.lists(st.integers(0, ncols - 1), min_size=1, max_size=ncols - 1)))
    if delimiter is None:  # runs of spaces: no empty fields
        rows = [[f for f in row if f] for row in rows]
    text = "\n".join((delimiter or " ").join(row) for row in rows)
    text += "\n" if final_newline and rows else ""
    if big and text:
        text = (text if text.endswith("\n") else text + "\n") * (300_000 // len(text) + 1)
    block = text.encode()
    lines = textparse._lines(block, 2)
    layout = textparse._Layout(delimiter, ncols, tuple("abcd"[:ncols]), False, usecols, "error", 2)

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # numpy warns of a block with no data; it must not be asked
        fast = textparse._fast_parse(layout, block, lines)
    try:
        slow = textparse._slow_parse(layout, lines, 2)
    except InputError:
        slow = None
    if fast is not None:
        assert slow is not None and np.array_equal(fast, slow)
    numbers = {"1.5", "-2", "7e3"}
    clean = all(len(row) == ncols and all(row[j] in numbers for j in usecols) for row in rows if row)
    if clean:
        assert fast is not None


@pytest.mark.parametrize("text", ["1,2\n1,2,3,4\n", "1,2,3,4\n1,2\n", "1,2,3\n\n1,2,3,4,5\n1\n",
                                  "1,2,3,4\n1,2", "1,2\n1,2,3\n1,2,3,4\n" * 30_000])
@pytest.mark.parametrize("usecols", [(0,), (1,), (0, 1), (2,), (2, 0)])
def test_selected_columns_see_rows_whose_field_counts_cancel_out(text, usecols):
    """A row too short and one too long hold as many delimiters as two good rows: still refused."""
    layout = textparse._Layout(",", 3, ("a", "b", "c"), False, usecols, "error", 1)
    block = text.encode()
    lines = textparse._lines(block, 1)
    assert textparse._fast_parse(layout, block, lines) is None
    with pytest.raises(InputError, match="field"):
        textparse._slow_parse(layout, lines, 1)


def test_process_pool_raises_the_first_error_in_order(monkeypatch):
    monkeypatch.setenv("NORMCLI_WORKERS", "2")
    monkeypatch.setattr(byte_blocks, "BLOCK_SIZE", 64)  # a pipe of many full blocks: the pool after the first few
    text = "a\n" + "".join(f"{i}.5\n" for i in range(300)) + "x\n" + "".join(f"{i}\n" for i in range(300)) + "y\n"
    with pytest.raises(InputError, match=r"^line 302, column 'a': 'x' is not a number$"):
        _columns(text)


class _Meter:
    """Records what a reader tells its progress meter."""

    def __init__(self):
        self.total, self.bytes, self.rows, self.closed = "unset", 0, 0, False

    def begin(self, total):
        self.total = total

    def advance(self, nbytes, rows):
        self.bytes += nbytes
        self.rows += rows

    def close(self):
        self.closed = True


def test_the_progress_meter_counts_every_byte_and_only_the_data_rows(tmp_path, monkeypatch):
    monkeypatch.setattr(byte_blocks, "BLOCK_SIZE", 64)  # many blocks
    body = "".join(f"{i},{-i}\n" + ("\n# a comment\n" if i % 7 == 0 else "") for i in range(300))
    path = tmp_path / "t.csv"
    path.write_text("a,b\n" + body)
    meter = _Meter()
    cols = inputs.read_columns(inputs.InputSpec(file=str(path), progress=meter))
    assert sum(len(p[0]) for p in cols.chunks()) == 300
    assert (meter.total, meter.bytes, meter.rows, meter.closed) == (path.stat().st_size, path.stat().st_size, 300, True)
    meter = _Meter()
    blocks = list(inputs.read_rows(inputs.InputSpec(file=str(path), progress=meter)))
    assert sum(len(b.data) for b in blocks) == 300
    assert (meter.bytes, meter.rows) == (path.stat().st_size, 300)
    meter = _Meter()  # a pipe: no total
    list(inputs.read_columns(inputs.InputSpec(stdin=io.BytesIO(("a,b\n" + body).encode()), progress=meter)).chunks())
    assert (meter.total, meter.rows) == (None, 300)


@pytest.mark.parametrize("text, names", [
    ('a,"b ""q"""\n1,2\n', ["a", 'b "q"']),  # a doubled quote in a quoted field is one quote
    ('"a" "b"\n1 2\n', ["a", "b"]),
    ('a, "b"\n1,2\n', ["a", "b"]),
    ("a ,b\n1,2\n", ["a", "b"]),
    ("a,,c\n1,2,3\n", ["a", "2", "c"]),
])
def test_header_names_are_unquoted_as_csv_does(text, names):
    assert _columns(text)[0] == names
