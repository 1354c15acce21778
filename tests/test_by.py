"""``norm --by``: one result per group, through the CLI and the readers.

The reference for a group's numbers is ``norm`` itself without --by on the
group's rows alone (the same reader, the same reduction): the grouped
answer must be the same double.
"""

from __future__ import annotations

import io
import json
import math

import numpy as np
import pytest

from normcli import inputs
from normcli.engines import Engine
from normcli.errors import InputError, UsageError
from normcli.sources import blocks as byte_blocks
from normcli.sources import textparse


@pytest.fixture(autouse=True)
def _each_reader(reader):
    """Every test here runs with both text readers (numpy and polars)."""


SONGS = "cls,err,e2\na,3,1\nb,1,2\na,4,2\n,5,0\nb,1,3\n"


def test_plain_is_one_line_per_group_key_first_in_order_of_first_appearance(run):
    r = run(["norm", "--by", "cls", "-c", "err"], input=SONGS)
    assert r.exit_code == 0, r.stderr
    assert r.stdout == "a\t5.0\nb\t1.4142135623730951\n\t5.0\n"


def test_several_columns_and_orders_csv_and_json(run):
    r = run(["norm", "--by", "cls", "--p", "1", "--p", "2", "-o", "csv"], input=SONGS)
    assert r.stdout.splitlines() == ["cls,column,L1,L2", "a,err,7.0,5.0", "a,e2,3.0,2.23606797749979",
                                     "b,err,2.0,1.4142135623730951", "b,e2,5.0,3.605551275463989",
                                     ",err,5.0,5.0", ",e2,0.0,0.0"]
    r = run(["norm", "--by", "1", "-c", "err", "-o", "json", "--sort"], input=SONGS)
    doc = json.loads(r.stdout)
    assert doc["rows"] == [{"cls": "", "L2": 5.0}, {"cls": "a", "L2": 5.0}, {"cls": "b", "L2": math.sqrt(2)}]
    r = run(["norm", "--by", "cls", "--p", "1", "--p", "2", "-o", "plain"], input=SONGS)
    assert r.stdout.splitlines()[0] == "a\terr\t7.0\t5.0"


def test_table_output(run):
    r = run(["norm", "--by", "cls", "-c", "err", "-o", "table"], input=SONGS)
    assert r.exit_code == 0 and "cls" in r.stdout and "L2" in r.stdout


def test_sort_orders_keys_as_text(run):
    text = "k,v\n10,1\n9,2\nb,3\n10,4\n"
    r = run(["norm", "--by", "k", "--sort", "--p", "1"], input=text)
    assert r.stdout == "10\t5.0\n9\t2.0\nb\t3.0\n"


def test_keys_are_text_never_numbers(run):
    text = "k,v\n1,1\n1.0,2\n01,3\n"
    r = run(["norm", "--by", "k", "--p", "1"], input=text)
    assert r.stdout == "1\t1.0\n1.0\t2.0\n01\t3.0\n"


def test_compound_key(run):
    text = "a,b,c\nx,u,1\ny,u,2\nx,u,2\nx,v,7\n"
    r = run(["norm", "--by", "a", "--by", "b", "-o", "csv"], input=text)
    assert r.stdout.splitlines() == ["a,b,L2", "x,u,2.23606797749979", "y,u,2.0", "x,v,7.0"]
    r = run(["norm", "--by", "a", "--by", "b", "-o", "plain"], input=text)
    assert r.stdout.splitlines()[0] == "x\tu\t2.23606797749979"


def test_quoted_padded_and_crlf_keys_are_read_line_by_line(run):
    text = 'cls,err\r\n"a",3\r\n a ,4\r\n"b,c",1\r\n'
    r = run(["norm", "--by", "cls"], input=text)
    assert r.stdout == "a\t5.0\nb,c\t1.0\n"


def test_whitespace_separated(run):
    r = run(["norm", "--by", "a", "--p", "1"], input="a b\nx 1\ny 2\nx 2\n")
    assert r.stdout == "x\t3.0\ny\t2.0\n"


def test_nan_omit_group_left_empty_is_nan_with_a_note(run):
    text = "cls,err\na,3\nb,nan\na,\n"
    r = run(["norm", "--by", "cls", "--nan", "omit", "-o", "json"], input=text)
    doc = json.loads(r.stdout)
    assert doc["rows"] == [{"cls": "a", "L2": 3.0}, {"cls": "b", "L2": "nan"}]
    assert any("'b'" in n and "--nan omit" in n for n in doc["notes"])
    assert any("omitted 2" in n for n in doc["notes"])
    r = run(["norm", "--by", "cls", "--nan", "propagate"], input=text)
    assert r.stdout == "a\tnan\nb\tnan\n"


def test_bad_values_give_the_errors_of_norm_without_by(run):
    for text in ("cls,err\na,3\nb,abc\n", "cls,err\na,3\nb,\n", "cls,err\na,3\nb,inf\n", "cls,err\na,3\nb\n",
                 "cls,err\na,3\nb,1,2\n"):
        plain = run(["norm", "-c", "err"], input=text)
        grouped = run(["norm", "--by", "cls"], input=text)
        assert grouped.exit_code == plain.exit_code == 1
        assert grouped.stderr == plain.stderr, text


def test_usage_errors(run):
    r = run(["norm", "--by", "nope"], input=SONGS)
    assert r.exit_code == 2 and "no --by column named 'nope'; the columns are 'cls', 'err', 'e2'" in r.stderr
    r = run(["norm", "--by", "cls", "-c", "cls"], input=SONGS)
    assert r.exit_code == 2 and "'cls' is the --by key" in r.stderr
    r = run(["norm", "--sort", "-c", "err"], input=SONGS)
    assert r.exit_code == 2 and "--sort" in r.stderr
    r = run(["norm", "--by", "cls", "--rows"], input=SONGS)
    assert r.exit_code == 2
    r = run(["norm", "--by", "x", "1,2"])
    assert r.exit_code == 2 and "--by" in r.stderr
    r = run(["norm", "--by", "cls", "-c", "cls"], input="cls\na\n")
    assert r.exit_code == 2


def test_only_the_key_column_is_an_error(run):
    r = run(["norm", "--by", "cls"], input="cls,x\na,1\n".replace(",x", "").replace(",1", ""))
    assert r.exit_code in (1, 2) and "normcli: error" in r.stderr


def _grouped(text: str, **kw) -> dict:
    table = inputs.read_grouped(inputs.InputSpec(stdin=io.BytesIO(text.encode()), **kw))
    out: dict = {}
    for gids, values in table.chunks():
        for g, row in zip(gids.tolist(), values):
            out.setdefault(table.index.keys[g], []).append(row)
    return out


def _random_table(rng, rows: int, groups: int) -> tuple[str, list[str], np.ndarray]:
    keys = [f"g{k}" for k in rng.integers(0, groups, rows)]
    values = rng.standard_normal((rows, 2)) * 10.0 ** rng.integers(-5, 5, (rows, 2))
    body = "".join(f"{k},{a!r},{b!r}\n" for k, (a, b) in zip(keys, values.tolist()))
    return "key,a,b\n" + body, keys, values


@pytest.mark.parametrize("workers", [1, 2])
def test_many_blocks_and_worker_processes_give_each_group_its_rows(monkeypatch, workers):
    monkeypatch.setattr(byte_blocks, "BLOCK_SIZE", 256)
    rng = np.random.default_rng(workers)
    text, keys, values = _random_table(rng, 3000, 37)
    engine = Engine("numpy", workers, inline_blocks=1)
    got = _grouped(text, engine=engine, by=("key",))
    assert list(got) == list(dict.fromkeys(keys))  # order of first appearance
    for key, rows in got.items():
        want = values[[k == key for k in keys]]
        assert np.array_equal(np.array(rows), want)


def test_errors_name_the_line_across_blocks(monkeypatch):
    monkeypatch.setattr(byte_blocks, "BLOCK_SIZE", 64)
    text = "k,v\n" + "".join(f"a,{i}.5\n" for i in range(200)) + "b,x\n"
    with pytest.raises(InputError, match=r"^line 202, column 'v': 'x' is not a number$"):
        _grouped(text, by=("k",))


def test_each_group_is_norm_of_its_rows(run):
    rng = np.random.default_rng(9)
    text, keys, values = _random_table(rng, 400, 6)
    r = run(["norm", "--by", "key", "--p", "1", "--p", "2", "--p", "inf", "--p", "0.5", "--mean", "-o", "csv"],
            input=text)
    lines = r.stdout.splitlines()[1:]
    for line in lines:
        key, column, *nums = line.split(",")
        rows = [f"{v!r}" for k, v in zip(keys, values[:, "ab".index(column)].tolist()) if k == key]
        ref = run(["norm", "--p", "1", "--p", "2", "--p", "inf", "--p", "0.5", "--mean", "-o", "csv"],
                  input="x\n" + "\n".join(rows) + "\n")
        assert nums == ref.stdout.splitlines()[1].split(",")[1:], (key, column)


def test_parquet_arrow_and_many_files(run, tmp_path):
    pa = pytest.importorskip("pyarrow")
    import pyarrow.feather as pf
    import pyarrow.parquet as pq

    t = pa.table({"cls": ["a", "b", "a", None, "b"], "err": [3.0, 1, 4, 5, 1], "n": pa.array([1, 2, 1, 2, 1])})
    pq.write_table(t, tmp_path / "g.parquet", row_group_size=2)
    pf.write_feather(t, tmp_path / "g.arrow")
    r = run(["norm", "-f", str(tmp_path / "g.parquet"), "--by", "cls", "-c", "err"])
    assert r.stdout == "a\t5.0\nb\t1.4142135623730951\n\t5.0\n"
    r = run(["norm", "-f", str(tmp_path / "g.arrow"), "--by", "n", "-c", "err", "--p", "1"])
    assert r.stdout == "1\t8.0\n2\t6.0\n"
    (tmp_path / "a.csv").write_text("cls,err\na,3\nb,1\n")
    (tmp_path / "b.csv").write_text("cls,err\nc,2\na,4\n")
    r = run(["norm", "-f", str(tmp_path / "a.csv"), "-f", str(tmp_path / "b.csv"), "--by", "cls"])
    assert r.stdout == "a\t5.0\nb\t1.0\nc\t2.0\n"


def test_refusals_of_the_reader():
    with pytest.raises(UsageError, match="--by"):
        inputs.read_grouped(inputs.InputSpec(values=("1,2",), by=("x",)))


def test_many_groups(run):
    n = 20000
    text = "k,v\n" + "".join(f"k{i},{i % 7}\n" for i in range(n)) + "".join(f"k{i},1\n" for i in range(n))
    r = run(["norm", "--by", "k", "--p", "1"], input=text)
    lines = r.stdout.splitlines()
    assert len(lines) == n and lines[0] == "k0\t1.0" and lines[8] == "k8\t2.0"


def test_utf8_keys_and_bytes_that_are_not(run):
    r = run(["norm", "--by", "k"], input="k,v\ncafé,3\nthé,1\ncafé,4\n")
    assert r.stdout == "café\t5.0\nthé\t1.0\n"
    r = run(["norm", "--by", "k"], input=b"k,v\na\xff,3\n")
    assert r.exit_code == 1 and "line 2: bytes that are not UTF-8" in r.stderr


# --------------------------------------------------------------------------
# compare-models --by
# --------------------------------------------------------------------------
GENRES = ("genre,model_a,model_b,model_c\n"
          + "".join(f"{g},{a},{b},{c}\n" for g, a, b, c in [
              ("rock", -5, 10, 3), ("pop", 8, -7, 2), ("rock", -3, 12, -1), ("jazz", -12, -18, 4),
              ("pop", 4, -6, -3), ("rock", 6, 13, 2), ("pop", 1, 9, 1), ("jazz", 2, 3, -5), ("rock", 7, -9, 1),
              ("jazz", -4, 6, 2), ("pop", -2, 5, 0.5), ("jazz", 3, -2, 1)]))


def _csv_tables(text: str) -> list[list[list[str]]]:
    return [[line.split(",") for line in block.splitlines()] for block in text.strip().split("\n\n")]


def test_compare_by_each_group_and_all_rows(run):
    r = run(["compare-models", "--by", "genre", "-o", "csv"], input=GENRES)
    assert r.exit_code == 0, r.stderr
    models, tests = _csv_tables(r.stdout)
    head = models[0]
    assert head[:4] == ["genre", "rank", "model", "n"] and head[-1] == "verdict"
    keys = [row[0] for row in models[1:]]
    assert keys == ["rock"] * 3 + ["pop"] * 3 + ["jazz"] * 3 + ["(all)"] * 3
    # each group's metrics are compare-models' on the group's rows alone
    for genre in ("rock", "pop", "jazz"):
        rows = "".join(line + "\n" for line in GENRES.splitlines()[1:] if line.startswith(genre + ","))
        alone = run(["compare-models", "-c", "model_a", "-c", "model_b", "-c", "model_c", "-o", "csv"],
                    input=GENRES.splitlines()[0] + "\n" + rows.replace(genre + ",", "x,"))
        ref = _csv_tables(alone.stdout)[0]
        got = [row for row in models[1:] if row[0] == genre]
        assert [g[1:3] + g[4:-1] for g in got] == [r_[:2] + r_[2:-1] for r_ in ref[1:]], genre
    three = ["-c", "model_a", "-c", "model_b", "-c", "model_c"]
    every = _csv_tables(run(["compare-models", *three, "-o", "csv"], input=GENRES).stdout)[0]
    assert [g[1:3] + g[4:] for g in models[1:] if g[0] == "(all)"] == [r_ for r_ in every[1:]]
    # Holm over every group and model together
    from normcli.core.compare import holm

    group_tests = [row for row in tests[1:] if row[0] != "(all)"]
    assert len(group_tests) == 6
    raw = [float(row[tests[0].index("DM p")]) for row in group_tests]
    adjusted = [float(row[tests[0].index("DM p (Holm)")]) for row in group_tests]
    assert adjusted == pytest.approx(holm(raw), rel=1e-15)


def test_compare_by_plain_and_usage(run):
    r = run(["compare-models", "--by", "genre", "--sort", "--metric", "rmse", "--sort-by", "rmse"], input=GENRES)
    lines = r.stdout.splitlines()
    assert [line.split("\t")[0] for line in lines[::3]] == ["jazz", "pop", "rock", "(all)"]  # (all) last
    assert len(lines[0].split("\t")) == 4  # key, model, RMSE, verdict
    r = run(["compare-models", "--by", "genre", "--model", "A=1,2"])
    assert r.exit_code == 2
    r = run(["compare-models", "--by", "nope"], input=GENRES)
    assert r.exit_code == 2 and "the columns are" in r.stderr


def test_compare_by_with_truth(run):
    text = "day,y,p1,p2\nmon,1,1.5,2\nmon,2,2.5,1\ntue,3,2,4\ntue,4,4.5,3\nmon,5,5,7\n"
    r = run(["compare-models", "--by", "day", "--truth", "y", "--metric", "mae", "-o", "csv"], input=text)
    assert r.exit_code == 0, r.stderr
    models = _csv_tables(r.stdout)[0]
    mon = {row[2]: float(row[4]) for row in models[1:] if row[0] == "mon"}
    assert mon == {"p1": pytest.approx((0.5 + 0.5 + 0) / 3), "p2": pytest.approx((1 + 1 + 2) / 3)}


@pytest.mark.parametrize("prefix", ["", "a_key_longer_than_eight_bytes_", "k" * 70])
def test_short_long_and_very_long_keys(monkeypatch, prefix):
    monkeypatch.setattr(byte_blocks, "BLOCK_SIZE", 512)
    rng = np.random.default_rng(len(prefix))
    keys = [f"{prefix}{k}" for k in rng.integers(0, 30, 1500)]
    values = rng.standard_normal(1500)
    text = "key,v\n" + "".join(f"{k},{v!r}\n" for k, v in zip(keys, values.tolist()))
    got = _grouped(text, by=("key",))
    assert list(got) == list(dict.fromkeys(keys))
    for key, rows in got.items():
        assert np.array_equal(np.array(rows).ravel(), values[[k == key for k in keys]])


@pytest.mark.parametrize("key_last", [False, True])
def test_crlf_lines_keep_the_fast_path_and_the_same_groups(monkeypatch, key_last):
    monkeypatch.setattr(byte_blocks, "BLOCK_SIZE", 256)
    rng = np.random.default_rng(4)
    keys = [f"g{k}" for k in rng.integers(0, 9, 600)]
    values = rng.standard_normal(600).tolist()
    lines = [f"{v!r},{k}" if key_last else f"{k},{v!r}" for k, v in zip(keys, values)]
    text = ("v,key" if key_last else "key,v") + "\r\n" + "".join(line + "\r\n" for line in lines)
    layout = textparse._Layout(",", 2, ("v", "key") if key_last else ("key", "v"), True, (0 if key_last else 1,),
                            "error", 1)
    block = "".join(line + "\r\n" for line in lines).encode()
    assert textparse._keys_fast(layout, (1 if key_last else 0,), block) is not None
    got = _grouped(text, by=("key",))
    assert list(got) == list(dict.fromkeys(keys))
    assert sum(len(v) for v in got.values()) == 600


# --------------------------------------------------------------------------
# dist --by and normalize --by
# --------------------------------------------------------------------------
DIST_ORDERS = ["1", "2", "inf", "0.5", "-1", "0"]


def _edge_table(rng, rows: int = 240, groups: int = 6) -> tuple[str, list[str], np.ndarray]:
    """Keys and two columns mixing ordinary, near-overflow and tiny values (differences that overflow)."""
    keys = [f"g{k}" for k in rng.integers(0, groups, rows)]
    pool = np.array([1.5e308, -1.5e308, 1e308, -9e307, 1.7e308, 3e-320, -5e-324, 2.5e-308, 0.0, 1.0, -2.0])
    values = rng.standard_normal((rows, 2)) * 10.0 ** rng.integers(-5, 5, (rows, 2))
    edge = rng.random((rows, 2)) < 0.3
    values[edge] = rng.choice(pool, int(edge.sum()))
    values[:3] = [[1.5e308, -1.5e308], [1e308, -1e308], [3e-320, -3e-320]]  # g-whatever: overflowing a - b
    body = "".join(f"{k},{a!r},{b!r}\n" for k, (a, b) in zip(keys, values.tolist()))
    return "key,a,b\n" + body, keys, values


def _rows_of(keys, values, key) -> str:
    return "a,b\n" + "".join(f"{a!r},{b!r}\n" for k, (a, b) in zip(keys, values.tolist()) if k == key)


def test_dist_by_each_group_is_dist_of_its_rows(run):
    rng = np.random.default_rng(18)
    text, keys, values = _edge_table(rng)
    p_args = [a for p in DIST_ORDERS for a in ("--p", p)]
    r = run(["dist", "--by", "key", *p_args, "-o", "csv"], input=text)
    assert r.exit_code == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0] == "key,L1,L2,Linf,L0.5,L-1,L0"
    assert [line.split(",")[0] for line in lines[1:]] == list(dict.fromkeys(keys))
    overflowed = 0
    for line in lines[1:]:
        key, *nums = line.split(",")
        ref = run(["dist", *p_args, "-o", "csv"], input=_rows_of(keys, values, key))
        assert ref.exit_code == 0, ref.stderr
        assert nums == ref.stdout.splitlines()[1].split(",")[1:], key
        overflowed += "inf" in nums
    assert overflowed  # the overflowing differences were exercised


def test_dist_by_plain_sort_compound_and_hamming(run):
    text = "k,j,a,b\nx,u,1,4\ny,u,0,0\nx,u,2,6\nx,v,3,8\n,u,1,1\n"
    r = run(["dist", "--by", "k", "-c", "a", "-c", "b", "--p", "1", "--p", "2"], input=text)
    assert r.stdout == "x\t12.0\t7.0710678118654755\ny\t0.0\t0.0\n\t0.0\t0.0\n"
    r = run(["dist", "--by", "k", "--sort", "-c", "a", "-c", "b"], input=text)
    assert [line.split("\t")[0] for line in r.stdout.splitlines()] == ["", "x", "y"]
    r = run(["dist", "--by", "k", "--by", "j", "-c", "a", "-c", "b", "-o", "csv"], input=text)
    assert r.stdout.splitlines() == ["k,j,L2", "x,u,5.0", "y,u,0.0", "x,v,5.0", ",u,0.0"]
    r = run(["dist", "--by", "1", "-c", "a", "-c", "b", "--hamming", "-o", "json"], input=text)
    doc = json.loads(r.stdout)
    assert doc["rows"] == [{"k": "x", "count": 3, "fraction": 1.0}, {"k": "y", "count": 0, "fraction": 0.0},
                           {"k": "", "count": 0, "fraction": 0.0}]
    r = run(["dist", "--by", "k", "-c", "a", "-c", "b", "--p", "inf", "-o", "plain"], input="k,a,b\n1,1,2\n1.0,1,5\n")
    assert r.stdout == "1\t1.0\n1.0\t4.0\n"  # keys are text


def test_dist_by_nan_omit_group_left_empty(run):
    text = "k,a,b\nx,1,2\ny,nan,3\nx,3,\n"
    r = run(["dist", "--by", "k", "--nan", "omit", "-o", "json"], input=text)
    doc = json.loads(r.stdout)
    assert doc["rows"] == [{"k": "x", "L2": 1.0}, {"k": "y", "L2": "nan"}]
    assert any("'y': no values left after --nan omit" in n for n in doc["notes"])
    assert any("omitted 2 row(s)" in n for n in doc["notes"])
    r = run(["dist", "--by", "k", "--hamming", "--nan", "omit", "-o", "csv"], input=text)
    assert r.stdout.splitlines()[1:] == ["x,1,1.0", "y,nan,nan"]
    r = run(["dist", "--by", "k"], input=text)
    plain = run(["dist", "-c", "a", "-c", "b"], input=text)
    assert r.exit_code == plain.exit_code == 1 and r.stderr == plain.stderr


def test_dist_by_usage_errors_and_pairwise_by_keeps_its_meaning(run):
    r = run(["dist", "--by", "nope"], input=SONGS)
    assert r.exit_code == 2 and "no --by column named 'nope'; the columns are 'cls', 'err', 'e2'" in r.stderr
    r = run(["dist", "--by", "cls", "-c", "cls", "-c", "err"], input=SONGS)
    assert r.exit_code == 2 and "'cls' is the --by key" in r.stderr
    r = run(["dist", "--by", "cls", "-c", "err"], input=SONGS)
    assert r.exit_code == 2 and "needs two columns" in r.stderr
    r = run(["dist", "--by", "cls", "1,2", "3,4"])
    assert r.exit_code == 2 and "not the vectors A B" in r.stderr
    r = run(["dist", "--sort", "-c", "err", "-c", "e2"], input=SONGS)
    assert r.exit_code == 2 and "--sort" in r.stderr
    points = "x,y\n0,0\n3,4\n6,8\n"
    r = run(["dist", "--pairwise", "--by", "columns"], input=points)
    assert r.exit_code == 0 and r.stdout == "0.0\t2.23606797749979\n2.23606797749979\t0.0\n"
    assert run(["dist", "--pairwise", "--by", "rows"], input=points).stdout.startswith("0.0\t5.0\t10.0\n")
    r = run(["dist", "--by", "columns"], input=points)  # no such key column: the --pairwise meaning is named
    assert r.exit_code == 2 and "no --by column named 'columns'" in r.stderr and "--pairwise --by columns" in r.stderr
    r = run(["dist", "--pairwise", "--by", "x"], input=points)
    assert r.exit_code == 2 and "with --pairwise, --by is rows or columns" in r.stderr
    r = run(["dist", "--pairwise", "--by", "rows", "--by", "columns"], input=points)
    assert r.exit_code == 2
    r = run(["dist", "--pairwise", "--sort"], input=points)
    assert r.exit_code == 2
    r = run(["dist", "--by", "rows", "-o", "csv"], input="rows,a,b\nr,1,2\n")  # a key column named rows
    assert r.stdout.splitlines() == ["rows,L2", "r,1.0"]


def test_dist_help_explains_both_meanings_of_by(run):
    text = " ".join(run(["dist", "--help"]).stdout.split())
    assert "Without --pairwise: a key column" in text and "With --pairwise: rows" in text
    assert "--sort" in text


@pytest.mark.parametrize("p", ["2", "1", "inf", "0.5", "-1", "-inf", "3"])
def test_normalize_by_each_group_is_normalize_of_its_rows(run, p):
    rng = np.random.default_rng(7)
    text, keys, values = _edge_table(rng, rows=120, groups=5)
    text += "zero,0,1\nzero,0,1\n"
    keys = keys + ["zero", "zero"]
    values = np.vstack([values, [[0.0, 1.0], [0.0, 1.0]]])
    r = run(["normalize", "--by", "key", "-c", "a", "--p", p, "-o", "csv"], input=text)
    assert r.exit_code == 0, r.stderr
    rows = [line.split(",") for line in r.stdout.splitlines()[1:]]
    assert [row[0] for row in rows] == keys  # one line per input row, in input order
    assert [float(row[1]) for row in rows] == values[:, 0].tolist()
    for key in dict.fromkeys(keys):
        x = [f"{v!r}" for k, v in zip(keys, values[:, 0].tolist()) if k == key]
        ref = run(["normalize", "--p", p, "-o", "plain"], input="x\n" + "\n".join(x) + "\n")
        assert ref.exit_code == 0, ref.stderr
        assert [row[2] for row in rows if row[0] == key] == ref.stdout.splitlines(), key
    plain = run(["normalize", "--by", "key", "-c", "a", "--p", p], input=text)
    assert plain.stdout.splitlines() == [f"{row[0]}\t{row[2]}" for row in rows]
    if float(p) > 0:
        assert "'zero'" in plain.stderr or "'zero'" in run(["normalize", "--by", "key", "-c", "a", "--p", p,
                                                            "-o", "json"], input=text).stdout


def test_normalize_by_plain_sort_zero_group_nan_and_usage(run):
    text = "k,x\na,3\nb,0\na,4\n,2\nb,0\n"
    r = run(["normalize", "--by", "k"], input=text)
    assert r.exit_code == 0, r.stderr
    assert r.stdout == "a\t0.6\nb\t0.0\na\t0.8\n\t1.0\nb\t0.0\n"
    r = run(["normalize", "--by", "k", "-o", "json"], input=text)
    doc = json.loads(r.stdout)
    assert any("'b'" in n and "left unchanged" in n for n in doc["notes"])
    r = run(["normalize", "--by", "k", "--sort"], input=text)
    assert r.stdout == "\t1.0\na\t0.6\na\t0.8\nb\t0.0\nb\t0.0\n"
    r = run(["normalize", "--by", "k", "--nan", "omit"], input="k,x\na,3\nb,nan\na,4\n")
    assert r.stdout == "a\t0.6\na\t0.8\n"
    doc = json.loads(run(["normalize", "--by", "k", "--nan", "omit", "-o", "json"], input="k,x\na,3\nb,nan\n").stdout)
    assert doc["rows"] == [{"k": "a", "x": 3.0, "normalized": 1.0, "L2": 3.0}]
    assert any("omitted 1 row(s)" in n for n in doc["notes"])
    assert any("'b': no values left after --nan omit" in n for n in doc["notes"])
    r = run(["normalize", "--by", "k", "--nan", "propagate"], input="k,x\na,3\nb,nan\n")
    assert r.exit_code == 1 and "'b'" in r.stderr
    r = run(["normalize", "--by", "k"], input="k,x,y\na,1,2\n")
    assert r.exit_code == 2 and "select one with --column" in r.stderr
    r = run(["normalize", "--by", "k", "--rows"], input=text)
    assert r.exit_code == 2
    r = run(["normalize", "--by", "k", "-c", "k"], input=text)
    assert r.exit_code == 2 and "'k' is the --by key" in r.stderr
    r = run(["normalize", "--by", "nope"], input=text)
    assert r.exit_code == 2 and "the columns are 'k', 'x'" in r.stderr
    r = run(["normalize", "--sort", "3,4"])
    assert r.exit_code == 2 and "--sort" in r.stderr
    r = run(["normalize", "--by", "k", "3,4"])
    assert r.exit_code == 2
