"""inputs: no wrong answer with exit 0 and no hang, whatever file is handed over.

Empty lines in one column follow --nan; a header of numbers is told from data;
devices, binary files and endless lines are errors; compressed, columnar and
spreadsheet files are named. Every test runs with both text readers.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
import threading
import time
import zipfile

import numpy as np
import pytest
from conftest import normcli_exe

from normcli import engines, inputs
from normcli.errors import InputError
from normcli.sources import blocks as byte_blocks
from normcli.sources import textparse


@pytest.fixture(autouse=True)
def _each_reader(reader):
    """Every test here runs with both text readers (numpy and polars)."""


def _read(data: bytes | str, **kw):
    """(names, columns, notes) of a text read from stdin."""
    data = data.encode() if isinstance(data, str) else data
    notes: list[str] = []
    cols = inputs.read_columns(inputs.InputSpec(stdin=io.BytesIO(data), note=notes.append, **kw))
    parts = list(cols.chunks())
    columns = [np.concatenate([p[j] for p in parts]) for j in range(len(cols.names))]
    return cols.names, columns, cols, notes


# -- 1. an empty line in one column is an empty cell: --nan decides -------------------------------
@pytest.mark.parametrize("blank", ["", "   ", "\t", "\r"])
@pytest.mark.parametrize("header", ["", "x\n"])
def test_an_empty_line_in_one_column_follows_nan(blank, header):
    text = f"{header}1\n{blank}\n2\n"
    line = 3 if header else 2
    label = "column 'x'" if header else "column 1"
    with pytest.raises(InputError, match=rf"^line {line}, {label}: an empty line \(missing value\); "
                                         r"use --nan omit or --nan propagate$"):
        _read(text)
    names, cols, got, _ = _read(text, nan="omit")
    assert cols[0].tolist() == [1.0, 2.0] and got.omitted == {names[0]: 1}
    _, cols, _, _ = _read(text, nan="propagate")
    assert cols[0][0] == 1.0 and np.isnan(cols[0][1]) and cols[0][2] == 2.0


def test_an_empty_cell_in_two_columns_is_the_same_error_and_a_blank_line_there_is_skipped():
    with pytest.raises(InputError, match=r"^line 2, column 1: an empty field \(missing value\)"):
        _read("1,1\n,1\n2,2\n")
    # A blank line in a wider table holds no fields at all (DESIGN: skipped).
    _, cols, _, _ = _read("1,1\n\n2,2\n")
    assert [c.tolist() for c in cols] == [[1.0, 2.0], [1.0, 2.0]]


def test_a_trailing_empty_line_in_one_column_is_a_missing_value_too():
    with pytest.raises(InputError, match=r"^line 3, column 1: an empty line"):
        _read("1\n2\n\n")
    assert _read("1\n2\n\n", nan="omit")[1][0].tolist() == [1.0, 2.0]


def test_comment_lines_in_one_column_are_still_skipped():
    assert _read("# made by hand\n1\n# note\n2\n  # indented\n")[1][0].tolist() == [1.0, 2.0]


@pytest.mark.parametrize("workers", ["1", "2"])
@pytest.mark.parametrize("where", [3, 250, 1999])
def test_an_empty_line_across_many_blocks_names_its_line(monkeypatch, workers, where):
    """Small blocks (so the worker pool or polars takes over): every reader names the same line."""
    monkeypatch.setattr(byte_blocks, "BLOCK_SIZE", 64)
    monkeypatch.setenv("NORMCLI_WORKERS", workers)
    rows = [f"{i}.5" for i in range(2000)]
    rows[where - 1] = ""
    text = "\n".join(rows) + "\n"
    with pytest.raises(InputError, match=rf"^line {where}, column 1: an empty line"):
        _read(text)
    _, cols, _, _ = _read(text, nan="omit")
    assert cols[0].size == 1999


def test_numpy_fast_path_does_not_skip_an_empty_line_in_one_column():
    layout = textparse._Layout(None, 1, ("1",), False, (0,), "error", 1)
    for block in (b" 1\n\n2\n", b" 1\n   \n2\n", b"1\n# c\n\n2\n", b"\n"):
        assert textparse._fast_parse(layout, block, textparse._lines(block, 1)) is None
    twice = textparse._Layout(None, 1, ("1",), False, (0, 0), "error", 1)  # -c 1 -c 1: the selection path
    assert textparse._fast_parse(twice, b"1\n\n2\n", textparse._lines(b"1\n\n2\n", 1)) is None
    assert textparse._fast_parse(layout, b" 1\n2\n", textparse._lines(b" 1\n2\n", 1)).tolist() == [[1.0], [2.0]]


@pytest.mark.parametrize("nan", ["error", "omit", "propagate"])
@pytest.mark.parametrize("block", [b"1\n\n2\n", b"\n1\n", b"1\n \n", b"1.5\n2.5\n\n", b"1\n2\n"])
def test_polars_and_numpy_agree_on_empty_lines_in_one_column(nan, block):
    pl = pytest.importorskip("polars")
    layout = textparse._Layout(None, 1, ("a",), True, (0,), nan, 1)

    def outcome(parse):
        try:
            return "ok", parse()
        except InputError as exc:
            return "error", str(exc)

    exact = outcome(lambda: textparse._parse_table_block(layout, block, 2))
    fast = outcome(lambda: engines._polars_block(pl, textparse._parse_table_block, layout, block, 2)[0])
    assert exact[0] == fast[0]
    if exact[0] == "ok":
        assert np.array_equal(exact[1], fast[1], equal_nan=True)
        assert len(exact[1]) == block.count(b"\n")  # a row per line (omit drops cells later): none skipped
    else:
        assert exact[1] == fast[1]
    assert (exact[0] == "error") == (nan == "error" and any(not line.strip() for line in block.split(b"\n")[:-1]))


def test_an_empty_line_in_a_one_column_file_fails_the_command(run):
    r = run(["norm"], input="1\n\n2\n")
    assert (r.exit_code, r.stdout) == (1, "")
    assert r.stderr == ("normcli: error: line 2, column 1: an empty line (missing value); "
                        "use --nan omit or --nan propagate\n")
    r = run(["norm", "--nan", "omit", "-o", "json"], input="1\n\n2\n")
    assert r.exit_code == 0 and "omitted 1 missing or non-finite value(s)" in r.stdout


# -- 2. a header of numbers ------------------------------------------------------------------------
@pytest.mark.parametrize("text, names", [
    ("2019,2020\n0.5,1.5\n0.25,2.5\n", ["2019", "2020"]),  # years over decimals
    ("10,20,50\n0.5,1.5,2.5\n0.25,1.25,2.25\n", ["10", "20", "50"]),
    ("1990\t2000\n0.05\t0.25\n-0.5\t1e-3\n", ["1990", "2000"]),
    ("2019\n0.5\n1.5\n", ["2019"]),
])
def test_integers_far_from_the_decimals_below_are_a_header(text, names):
    got, cols, _, notes = _read(text)
    assert got == names and notes == []
    assert cols[0][0] == float(text.split("\n")[1].replace("\t", ",").split(",")[0])


def test_column_numbers_over_decimals_are_a_header_with_a_note():
    got, cols, _, notes = _read("0,1,2\n0.5,-1.5,0.25\n-0.75,1.25,0.5\n")  # pandas' names for unnamed columns
    assert got == ["0", "1", "2"] and cols[0].tolist() == [0.5, -0.75]
    assert len(notes) == 1 and "was read as a header" in notes[0] and "--no-header" in notes[0]


@pytest.mark.parametrize("text", ["2019,2020\n3,4\n", "0,1\n0.5,-1.5\n", "5\n0.5\n1.5\n", "1\t2\n0.5\t1e-3\n",
                                  "3,4\n0.5,1.5\n0.25,2.5\n"])
def test_unsure_first_lines_stay_data_with_a_note(text):
    names, cols, _, notes = _read(text)
    assert names == [str(j + 1) for j in range(len(names))]
    assert cols[0][0] == float(text.split("\n")[0].replace("\t", ",").split(",")[0])
    assert len(notes) == 1 and "read as data" in notes[0] and "give --header if it is a header" in notes[0]


@pytest.mark.parametrize("text", ["1,2\n3,4\n", "3\n4\n", "1,2\n0.5,1.5\n3,4\n", "2019\n2020\n2021\n",
                                  "0.5,1.5\n2019,2020\n", "1,2\n", "-1,2\n0.5,1.5\n", "0\n0.5\n1.5\n"])
def test_numbers_that_are_data_stay_data_without_a_note(text):
    names, cols, _, notes = _read(text)
    assert names == [str(j + 1) for j in range(len(names))] and notes == []
    assert cols[0][0] == float(text.split("\n")[0].split(",")[0])


def test_a_column_written_with_g_that_starts_at_an_integer_is_data(tmp_path):
    """np.savetxt(fmt="%.17g") writes sin(0) as 0 and the rest as decimals: still data, said nothing."""
    path = tmp_path / "f.txt"
    x = np.sin(2 * np.pi / 1024 * np.arange(1024))
    np.savetxt(path, x, fmt="%.17g")
    assert path.read_text().startswith("0\n")
    notes: list[str] = []
    cols = inputs.read_columns(inputs.InputSpec(file=str(path), note=notes.append))
    assert np.array_equal(np.concatenate([c[0] for c in cols.chunks()]), x) and notes == []


def test_header_options_always_win():
    names, cols, _, notes = _read("2019,2020\n0.5,1.5\n", header=False)
    assert names == ["1", "2"] and cols[0].tolist() == [2019.0, 0.5] and notes == []
    names, cols, _, notes = _read("2019,2020\n3,4\n", header=True)
    assert names == ["2019", "2020"] and cols[0].tolist() == [3.0] and notes == []


def test_a_header_of_numbers_is_seen_on_a_slow_pipe():
    """The header comes first and the rows later: the reader waits for a row before deciding."""
    read_fd, write_fd = os.pipe()

    def write():
        with os.fdopen(write_fd, "wb", buffering=0) as out:
            out.write(b"2019,2020\n")
            time.sleep(0.3)
            out.write(b"0.5,1.5\n0.25,2.5\n")

    writer = threading.Thread(target=write, daemon=True)
    writer.start()
    with os.fdopen(read_fd, "rb") as stream:
        cols = inputs.read_columns(inputs.InputSpec(stdin=stream, note=lambda m: None))
        parts = list(cols.chunks())
    writer.join(5)
    assert cols.names == ["2019", "2020"] and parts[0][0].tolist() == [0.5, 0.25]


def test_a_header_of_years_through_the_command(run):
    r = run(["norm", "-o", "csv"], input="2019,2020\n0.3,-0.4\n0.5,1.5\n")
    assert (r.exit_code, r.stderr) == (0, "")
    assert r.stdout.splitlines()[0] == "vector,L2" and r.stdout.splitlines()[1].startswith("2019,")
    r = run(["norm"], input="2019,2020\n3,4\n")
    assert r.exit_code == 0 and "normcli: note: line 1 (2019,2020) looks like a header of years" in r.stderr


# -- 3. devices, binary files, endless lines -------------------------------------------------------
def _cli(args, timeout=60, **kw):
    return subprocess.run([*normcli_exe(), *args], capture_output=True, timeout=timeout, check=False, **kw)


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="no /dev/zero")
def test_dev_zero_is_an_error_at_once_not_a_hang():
    start = time.monotonic()
    r = _cli(["norm", "-f", "/dev/zero"], timeout=20)
    assert r.returncode == 1 and time.monotonic() - start < 15
    assert r.stderr.decode() == ("normcli: error: '/dev/zero' is a device, not a file of data; normcli reads CSV, "
                                 "TSV or whitespace-separated text (compressed or not), .npy, Parquet and Arrow "
                                 "files\n")
    with open("/dev/zero", "rb") as zero:  # as stdin: its first bytes are NULs
        r = _cli(["norm", "-f", "-"], stdin=zero, timeout=20)
    assert r.returncode == 1 and b"stdin looks like a binary file" in r.stderr


def test_dev_null_holds_no_data_and_dev_stdin_still_reads_a_pipe():
    if os.path.exists("/dev/null"):
        r = _cli(["norm", "-f", "/dev/null"])
        assert r.returncode == 1 and b"holds no data" in r.stderr
    if os.path.exists("/dev/stdin"):
        r = _cli(["norm", "-f", "/dev/stdin"], input=b"3\n4\n")
        assert (r.returncode, r.stdout) == (0, b"5.0\n")
    r = _cli(["norm", "-f", "-"], input=b"3\n4\n")
    assert (r.returncode, r.stdout) == (0, b"5.0\n")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs")
def test_a_fifo_that_never_sends_a_newline_is_an_error_not_a_hang(tmp_path):
    """A writer sends 100 MiB of digits and no newline, then stays open: the reader stops at MAX_LINE."""
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    done = threading.Event()

    def write():
        try:
            with open(fifo, "wb") as out:
                out.writelines(b"1" * (1 << 20) for _ in range(100))
                done.wait(30)  # keep the FIFO open: no end of file
        except (BrokenPipeError, OSError):
            pass

    writer = threading.Thread(target=write, daemon=True)
    writer.start()
    try:
        r = _cli(["norm", "-f", str(fifo)], timeout=40)
    finally:
        done.set()
    assert r.returncode == 1
    assert r.stderr.decode() == (f"normcli: error: {str(fifo)!r}: line 1 is longer than 64 MiB (no newline found); "
                                 "is this a text file?\n")


def test_max_line_is_64_mib():
    assert byte_blocks.MAX_LINE == 64 << 20


@pytest.mark.parametrize("how", ["stream", "pipe", "file"])
@pytest.mark.parametrize("workers", ["1", "2"])
@pytest.mark.parametrize("at_end", [False, True])
def test_a_line_longer_than_max_line_names_its_line(monkeypatch, tmp_path, how, workers, at_end):
    """After many blocks (the parallel readers), at the end of the input or not: the same line."""
    monkeypatch.setattr(byte_blocks, "MAX_LINE", 4096)
    monkeypatch.setattr(byte_blocks, "BLOCK_SIZE", 256)
    monkeypatch.setenv("NORMCLI_WORKERS", workers)
    data = b"".join(b"%d.5\n" % i for i in range(3000)) + b"7" * 10_000 + (b"" if at_end else b"\n1\n")
    message = r"line 3001 is longer than 4096 bytes \(no newline found\); is this a text file\?$"
    if how == "file":
        path = tmp_path / "long.txt"
        path.write_bytes(data)
        with pytest.raises(InputError, match=rf"^{str(path)!r}: {message}"):
            list(inputs.read_columns(inputs.InputSpec(file=str(path))).chunks())
        return
    if how == "pipe":
        read_fd, write_fd = os.pipe()
        writer = threading.Thread(target=lambda: os.fdopen(write_fd, "wb").write(data) and None, daemon=True)
        writer.start()
        stream = os.fdopen(read_fd, "rb")
    else:
        stream = io.BytesIO(data)
    with stream, pytest.raises(InputError, match=rf"^stdin: {message}"):
        list(inputs.read_columns(inputs.InputSpec(stdin=stream)).chunks())


def test_a_long_first_line_and_rows(monkeypatch):
    monkeypatch.setattr(byte_blocks, "MAX_LINE", 4096)
    monkeypatch.setattr(byte_blocks, "BLOCK_SIZE", 256)  # as the real ones: blocks much smaller than MAX_LINE
    with pytest.raises(InputError, match=r"^stdin: line 1 is longer than 4096 bytes"):
        inputs.read_columns(inputs.InputSpec(stdin=io.BytesIO(b"1," * 5000)))
    with pytest.raises(InputError, match=r"^stdin: line 2 is longer than 4096 bytes"):
        list(inputs.read_rows(inputs.InputSpec(stdin=io.BytesIO(b"1,2\n" + b"3," * 5000 + b"\n"))))


@pytest.mark.parametrize("length", [4097, 4200, 4500])
def test_a_line_just_over_max_line_with_its_newline_is_refused_too(monkeypatch, length):
    monkeypatch.setattr(byte_blocks, "MAX_LINE", 4096)
    monkeypatch.setattr(byte_blocks, "BLOCK_SIZE", 1024)
    data = b"1\n" + b"2" * length + b"\n3\n"  # line 2: length bytes, then its newline
    with pytest.raises(InputError, match=r"^stdin: line 2 is longer than 4096 bytes"):
        list(inputs.read_columns(inputs.InputSpec(stdin=io.BufferedReader(io.BytesIO(data), 256))).chunks())


def test_lines_up_to_max_line_are_read(monkeypatch):
    monkeypatch.setattr(byte_blocks, "MAX_LINE", 4096)
    monkeypatch.setattr(byte_blocks, "BLOCK_SIZE", 256)
    row = ",".join(["1.5"] * 1023) + ",1234"  # 4096 bytes: the longest line allowed
    blocks = list(inputs.read_rows(inputs.InputSpec(stdin=io.BytesIO((row + "\n" + row).encode()))))
    assert sum(len(b.data) for b in blocks) == 2 and blocks[0].data.shape[1] == 1024


def test_stream_blocks_search_each_byte_once(monkeypatch):
    """A line growing a buffer of many blocks is searched for its newline once, not once a read."""
    searched = []

    class Buf(bytearray):
        def rfind(self, sub, start=0, end=None):
            searched.append((end if end is not None else len(self)) - start)
            return bytearray.rfind(self, sub, start, end)

    monkeypatch.setattr(byte_blocks, "bytearray", Buf, raising=False)  # the module's name for the builtin
    data = b"9" * 100_000 + b"\n"
    stream = io.BufferedReader(io.BytesIO(data), buffer_size=512)
    blocks = list(byte_blocks._stream_blocks(stream, b"", 1024))
    assert b"".join(blocks) == data
    assert sum(searched) < 3 * len(data)


@pytest.mark.parametrize("data, line", [(b"\x00" * 5_000_000, 1), (b"1\n2\n" + b"\x00" * 5_000_000, 3),
                                        (b"a,b\n1,2\n3,\x004\n", 3), (b"1\n2\n3\x00\n", 3)])
def test_nul_bytes_are_a_binary_file_not_a_header(data, line):
    with pytest.raises(InputError, match=rf"^stdin looks like a binary file, not text \(a NUL byte on line {line}\); "
                                         r"normcli reads CSV, TSV or whitespace-separated text \(compressed or "
                                         r"not\), \.npy, Parquet and Arrow files$"):
        _read(data)


@pytest.mark.parametrize("workers", ["1", "2"])
def test_a_nul_byte_far_into_a_file_names_its_line_in_every_reader(monkeypatch, tmp_path, workers):
    monkeypatch.setattr(byte_blocks, "BLOCK_SIZE", 64)
    monkeypatch.setenv("NORMCLI_WORKERS", workers)
    rows = [f"{i}.5,{-i}" for i in range(3000)]
    rows[2500] = "1.5,\x00"
    path = tmp_path / "t.csv"
    path.write_text("a,b\n" + "\n".join(rows) + "\n")
    with pytest.raises(InputError,
                       match=rf"^{str(path)!r} looks like a binary file, not text \(a NUL byte on line 2502\)"):
        list(inputs.read_columns(inputs.InputSpec(file=str(path))).chunks())
    with pytest.raises(InputError, match=r"a NUL byte on line 2502"):
        list(inputs.read_rows(inputs.InputSpec(file=str(path))))


def test_a_binary_file_through_the_command(run, tmp_path):
    path = tmp_path / "blob.bin"
    path.write_bytes(b"\x00" * 50_000_000)
    r = run(["norm", "-f", str(path)])
    assert r.exit_code == 1 and "header" not in r.stderr
    assert r.stderr == (f"normcli: error: {str(path)!r} looks like a binary file, not text (a NUL byte on line 1); "
                        "normcli reads CSV, TSV or whitespace-separated text (compressed or not), .npy, Parquet "
                        "and Arrow files\n")


# -- 4. compressed, columnar, spreadsheet files ----------------------------------------------------
def _zip(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return out.getvalue()


def _npz() -> bytes:
    out = io.BytesIO()
    np.savez(out, weights=np.ones(3), bias=np.zeros(1))
    return out.getvalue()


CSV = b"a,b\n1,2\n3,4\n"
FORMATS = {
    "d.npz": (_npz(), "a NumPy .npz archive", "('weights', 'bias')", "numpy.load('data.npz')['weights']"),
    "d.xlsx": (_zip({"[Content_Types].xml": b"<Types/>", "_rels/.rels": b"<r/>", "xl/workbook.xml": b"<w/>"}),
               "an Excel workbook (.xlsx)", "pandas.read_excel('d.xlsx')", "save the sheet as CSV"),
    "d.zip": (_zip({"README": b"hi", "data.csv": CSV}), "a zip archive", "unzip -p d.zip data.csv | normcli norm",
              "unzip -p FILE.zip data.csv"),
    "d.xls": (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(100),
              "an old Excel workbook (.xls) or another OLE2 Office file", "pandas.read_excel('d.xls')",
              "save the sheet as CSV"),
}


@pytest.mark.parametrize("name", sorted(FORMATS))
def test_files_normcli_cannot_read_are_named_with_what_to_do(run, tmp_path, monkeypatch, name):
    content, what, file_hint, pipe_hint = FORMATS[name]
    monkeypatch.chdir(tmp_path)
    (tmp_path / name).write_bytes(content)
    r = run(["norm", "-f", name])
    assert r.exit_code == 1 and r.stdout == ""
    assert r.stderr.startswith(f"normcli: error: {name!r} is {what}; normcli reads CSV, TSV or whitespace-separated "
                               "text (compressed or not), .npy, Parquet and Arrow files (")
    assert file_hint in r.stderr and r.stderr.count("\n") == 1 and "UTF-8" not in r.stderr
    r = run(["norm"], input=content)  # piped in
    assert r.exit_code == 1 and r.stderr.startswith(f"normcli: error: stdin is {what}; ") and pipe_hint in r.stderr


def test_a_piped_npz_that_is_cut_short_is_still_named():
    data = _npz()
    with pytest.raises(InputError, match=r"is a NumPy \.npz archive"):
        _read(data[: len(data) // 2])


@pytest.mark.parametrize("text", ["PAR1,PAR2\n1,2\n", "BZh,x\n1,2\n", "PK,ARROW1\n1,2\n", "ARROW1\n3\n"])
def test_text_that_starts_like_a_format_is_still_text(text):
    names, cols, _, _ = _read(text)
    assert names[0] == text.split("\n")[0].split(",")[0] and cols[0][0] in (1.0, 3.0)


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be"])
def test_utf16_text_is_told_to_be_saved_as_utf8(encoding):
    with pytest.raises(InputError, match=r"^stdin is UTF-16 text; save the file as UTF-8$"):
        _read("a,b\n1,2\n".encode(encoding))


def test_npy_files_are_still_read(tmp_path):
    path = tmp_path / "x.npy"
    np.save(path, np.array([3.0, 4.0]))
    cols = inputs.read_columns(inputs.InputSpec(file=str(path)))
    assert np.concatenate([c[0] for c in cols.chunks()]).tolist() == [3.0, 4.0]
    cols = inputs.read_columns(inputs.InputSpec(stdin=io.BytesIO(path.read_bytes())))
    assert np.concatenate([c[0] for c in cols.chunks()]).tolist() == [3.0, 4.0]


if __name__ == "__main__":  # pragma: no cover
    sys.exit(pytest.main([__file__, "-q"]))
