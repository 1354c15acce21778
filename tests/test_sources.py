"""Sources: Parquet, Arrow IPC (Feather), compressed text and .npy, and many files read as one table."""

from __future__ import annotations

import bz2
import gzip
import lzma
import sys

import numpy as np
import pyarrow as pa
import pyarrow.feather as feather
import pyarrow.parquet as pq
import pytest
import zstandard

from normcli import inputs
from normcli.errors import NormcliError

CSV = "a,b\n1.5,4\n-2,5\n3,6.25\n"
A, B = np.array([1.5, -2, 3]), np.array([4, 5, 6.25])


@pytest.fixture
def files(tmp_path, monkeypatch):
    """The same table as CSV, Parquet (two row groups), Feather, and compressed CSV and .npy."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "t.csv").write_text(CSV)
    table = pa.table({"a": A, "b": B})
    pq.write_table(table, tmp_path / "t.parquet", row_group_size=2)
    feather.write_feather(table, tmp_path / "t.feather")
    data = CSV.encode()
    (tmp_path / "t.csv.gz").write_bytes(gzip.compress(data))
    (tmp_path / "t.csv.bz2").write_bytes(bz2.compress(data))
    (tmp_path / "t.csv.xz").write_bytes(lzma.compress(data))
    (tmp_path / "t.csv.zst").write_bytes(zstandard.ZstdCompressor().compress(data))
    np.save(tmp_path / "t.npy", np.c_[A, B])
    (tmp_path / "t.npy.gz").write_bytes(gzip.compress((tmp_path / "t.npy").read_bytes()))
    return tmp_path


@pytest.mark.parametrize("name", ["t.csv", "t.parquet", "t.feather", "t.csv.gz", "t.csv.bz2", "t.csv.xz",
                                  "t.csv.zst"])
@pytest.mark.parametrize("args", [["norm", "--p", "1", "--p", "2", "--p", "inf"], ["norm", "--rows", "--p", "3"],
                                  ["compare-models", "-o", "csv"], ["dist"], ["norm", "--matrix", "nuc"]])
def test_every_source_gives_the_csv_answer(run, files, name, args):
    want = run([*args, "-f", "t.csv"])
    got = run([*args, "-f", name])
    assert got.exit_code == want.exit_code == 0, got.stderr
    assert got.stdout == want.stdout and got.stdout


@pytest.mark.parametrize("name", ["t.parquet", "t.feather", "t.csv.gz", "t.npy.gz", "t.csv.zst"])
def test_stdin_is_told_by_its_content(run, files, name):
    want = run(["norm", "-c", "2", "-f", "t.npy" if "npy" in name else "t.csv"]).stdout
    piped = run(["norm", "-c", "2"], input=(files / name).read_bytes()).stdout
    assert piped == want == f"{float(np.linalg.norm(B))!r}\n"


def test_parquet_reads_only_the_selected_columns_row_group_by_row_group(files, monkeypatch):
    big = pa.table({"a": np.arange(10_000, dtype=np.float64), "s": ["x"] * 10_000, "b": np.ones(10_000)})
    pq.write_table(big, files / "big.parquet", row_group_size=1000)
    cols = inputs.read_columns(inputs.InputSpec(file="big.parquet", columns=("b", "a")))
    assert cols.names == ["b", "a"] and cols.header == ["a", "s", "b"]
    chunks = list(cols.chunks())
    assert len(chunks) == 10 and all(c[0].size == 1000 for c in chunks)  # one row group at a time
    assert np.concatenate([c[1] for c in chunks]).tolist() == list(range(10_000))


def test_integers_decimals_and_booleans_are_numbers_nulls_follow_nan(run, files):
    import decimal

    table = pa.table({
        "i": pa.array([1, None, 3], pa.int32()),
        "d": pa.array([decimal.Decimal("1.25"), decimal.Decimal("2.50"), None], pa.decimal128(5, 2)),
        "flag": [True, False, True],
        "s": ["x", "y", "z"],
    })
    pq.write_table(table, "types.parquet")
    r = run(["norm", "-f", "types.parquet", "-c", "i"])
    assert r.exit_code == 1
    assert r.stderr == ("normcli: error: 'types.parquet': row 2, column 'i': a missing value (null); "
                        "use --nan omit or --nan propagate\n")
    assert run(["norm", "-f", "types.parquet", "-c", "i", "-c", "d", "-c", "flag", "--nan", "omit", "--p", "1",
                "-o", "csv"]).stdout == "vector,L1\ni,4.0\nd,3.75\nflag,2.0\n"
    assert run(["norm", "-f", "types.parquet", "-c", "i", "--nan", "propagate"]).stdout == "nan\n"
    strings = run(["norm", "-f", "types.parquet"])
    assert strings.exit_code == 1
    assert strings.stderr == ("normcli: error: 'types.parquet': column 's' holds string values, not numbers; "
                              "select numeric columns with --column\n")


def test_a_corrupt_or_truncated_parquet_file_is_a_clear_error(run, files):
    data = (files / "t.parquet").read_bytes()
    (files / "cut.parquet").write_bytes(data[: len(data) - 20])
    (files / "junk.parquet").write_bytes(b"PAR1" + bytes(range(200)) + b"PAR1")
    for name in ("cut.parquet", "junk.parquet"):
        r = run(["norm", "-f", name])
        assert r.exit_code == 1 and r.stderr.startswith(f"normcli: error: {name!r} is not a readable Parquet file (")
        assert r.stderr.count("\n") == 1


def test_a_cut_compressed_stream_is_a_clear_error(run, files):
    data = (files / "t.csv.gz").read_bytes()
    (files / "cut.gz").write_bytes(data[:20])
    r = run(["norm", "-f", "cut.gz"])
    assert r.exit_code == 1 and r.stderr.startswith("normcli: error: 'cut.gz' is not a readable gzip stream (")


def test_many_files_are_one_table_in_the_order_given(run, files):
    (files / "u.csv").write_text("a,b\n10,20\n")
    one = run(["norm", "-f", "t.csv", "-f", "u.csv", "-f", "t.parquet", "--p", "1", "-o", "csv"])
    assert one.stdout == f"vector,L1\na,{float(2 * np.abs(A).sum() + 10)!r}\nb,{float(2 * B.sum() + 20)!r}\n"
    rows = run(["norm", "--rows", "--p", "1", "-f", "u.csv", "-f", "t.csv"])
    assert rows.stdout.split() == ["30.0", "5.5", "7.0", "9.25"]


def test_a_quoted_glob_expands_in_sorted_order(run, files):
    for k in (2, 1, 3):
        (files / f"shard{k}.csv").write_text(f"a\n{k}\n")
    r = run(["norm", "--rows", "-f", "shard*.csv"])
    assert r.stdout.split() == ["1.0", "2.0", "3.0"]
    nothing = run(["norm", "-f", "none*.parquet"])
    assert nothing.exit_code == 1 and nothing.stderr == "normcli: error: no file matches 'none*.parquet'\n"


def test_files_whose_columns_differ_are_named_both(run, files):
    (files / "other.csv").write_text("a,c\n1,2\n")
    r = run(["norm", "-f", "t.csv", "-f", "other.csv"])
    assert r.exit_code == 1
    assert r.stderr == ("normcli: error: 'other.csv' has the columns 'a', 'c' but 't.csv' has 'a', 'b'; "
                        "the files must have the same columns\n")


def test_an_error_in_the_second_file_names_it_with_its_line(run, files):
    (files / "bad.csv").write_text("a,b\n1,2\n3,x\n")
    r = run(["norm", "-f", "t.csv", "-f", "bad.csv"])
    assert r.exit_code == 1
    assert r.stderr == "normcli: error: 'bad.csv': line 3, column 'b': 'x' is not a number\n"
    missing = run(["norm", "-f", "t.csv", "-f", "gone.csv"])
    assert missing.exit_code == 1 and missing.stderr == "normcli: error: file 'gone.csv' does not exist\n"


def test_without_pyarrow_a_parquet_file_says_which_extra_to_install(run, files, monkeypatch):
    monkeypatch.setitem(sys.modules, "pyarrow", None)  # import pyarrow now raises ImportError
    r = run(["norm", "-f", "t.parquet"])
    assert r.exit_code == 1
    assert r.stderr == ("normcli: error: 't.parquet' is a Parquet file: reading it needs pyarrow "
                        "(pip install 'normcli[parquet]')\n")


def test_the_selected_columns_of_many_files_must_exist_in_each(files):
    (files / "v.csv").write_text("b\n1\n")
    with pytest.raises(NormcliError, match=r"^'v.csv': no column named 'a'; the columns are 'b'$"):
        inputs.read_table(inputs.InputSpec(file=("t.csv", "v.csv"), columns=("a",)))


def test_many_files_are_opened_one_after_another(files):
    # the second file is opened only once the first is read: a missing one fails after the first's blocks
    cols = inputs.read_columns(inputs.InputSpec(file=("t.csv", "gone.csv")))
    chunks = cols.chunks()
    assert next(chunks)[0].tolist() == A.tolist()
    with pytest.raises(NormcliError, match="'gone.csv' does not exist"):
        next(chunks)
