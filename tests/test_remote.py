"""Files named by URLs, read with fsspec from a real HTTP server on 127.0.0.1 (and file:// URLs): the same
numbers and the same errors as the local files, Parquet read by range requests, never whole."""

from __future__ import annotations

import gzip
import sys

import numpy as np
import pyarrow as pa
import pyarrow.feather as feather
import pyarrow.parquet as pq
import pytest


@pytest.fixture(scope="module")
def served(http_folder):
    folder, base, log = http_folder
    rng = np.random.default_rng(5)
    x = rng.standard_normal((6000, 3)) * np.array([1.0, 1e-3, 1e5])
    np.savetxt(folder / "t.csv", x, delimiter=",", header="a,b,c", comments="", fmt="%.17g")
    (folder / "t.csv.gz").write_bytes(gzip.compress((folder / "t.csv").read_bytes()))
    table = pa.table({"a": x[:, 0], "b": x[:, 1], "c": x[:, 2]})
    pq.write_table(table, folder / "t.parquet", row_group_size=1000)
    feather.write_feather(table, folder / "t.arrow", compression="uncompressed")
    np.save(folder / "a.npy", x[:, 0])
    wide = rng.standard_normal((60_000, 3))  # its column chunks outweigh the footer read (64 KiB)
    pq.write_table(pa.table({"a": wide[:, 0], "b": wide[:, 1], "c": wide[:, 2]}), folder / "wide.parquet",
                   row_group_size=10_000)
    (folder / "good.csv").write_text("a,b\n1,2\n")
    (folder / "bad.csv").write_text("a,b\n1,2\n3,4\n5,x\n")
    return folder, base, log


@pytest.mark.parametrize("name", ["t.csv", "t.csv.gz", "t.parquet", "t.arrow", "a.npy"])
def test_a_url_gives_the_local_file_s_numbers(run, served, name):
    folder, base, _ = served
    args = ["norm", "--p", "1", "--p", "2", "--p", "inf", "-f"]
    local = run([*args, str(folder / name)])
    remote = run([*args, f"{base}/{name}"])
    assert local.exit_code == remote.exit_code == 0, remote.stderr
    assert remote.stdout == local.stdout
    assert len(remote.stdout.split()) >= 3


def test_parquet_over_http_reads_only_the_selected_column(run, served):
    folder, base, log = served
    log.clear()
    result = run(["norm", "-c", "b", "-f", f"{base}/wide.parquet"])
    assert result.exit_code == 0, result.stderr
    assert result.stdout == run(["norm", "-c", "b", "-f", str(folder / "wide.parquet")]).stdout
    sent = sum(b for method, path, b in log if path == "/wide.parquet")
    size = (folder / "wide.parquet").stat().st_size
    assert 0 < sent < 0.6 * size, (sent, size)  # one column of three, and the footer


def test_a_bad_cell_is_named_as_in_the_local_file(run, served):
    folder, base, _ = served
    local = run(["norm", "-f", str(folder / "good.csv"), "-f", str(folder / "bad.csv")])
    remote = run(["norm", "-f", f"{base}/good.csv", "-f", f"{base}/bad.csv"])
    assert local.exit_code == remote.exit_code != 0
    assert "line 4" in remote.stderr and f"{base}/bad.csv" in remote.stderr
    assert remote.stderr.replace(f"{base}/bad.csv", "F") == local.stderr.replace(str(folder / "bad.csv"), "F")


def test_file_urls_glob_in_sorted_order(run, tmp_path):
    for k in range(3):
        np.savetxt(tmp_path / f"s{k}.csv", np.arange(k, k + 5.0), header="e", comments="")
    (tmp_path / "s9.csv").mkdir()  # a directory the glob matches is no file of the list
    by_path = run(["norm", "--p", "1", "-f", str(tmp_path / "s0.csv"), "-f", str(tmp_path / "s1.csv"),
                   "-f", str(tmp_path / "s2.csv")])
    by_url = run(["norm", "--p", "1", "-f", f"file://{tmp_path}/s*.csv"])
    assert by_url.exit_code == 0, by_url.stderr
    assert by_url.stdout == by_path.stdout == "45.0\n"
    none = run(["norm", "-f", f"file://{tmp_path}/none*.csv"])
    assert none.exit_code != 0 and "no file matches" in none.stderr


def test_a_missing_url_is_one_line_naming_it(run, served):
    _, base, _ = served
    result = run(["norm", "-f", f"{base}/none.csv"])
    assert result.exit_code != 0
    assert result.stderr.strip() == f"normcli: error: file '{base}/none.csv' does not exist"


def test_an_unknown_protocol_is_one_line(run):
    result = run(["norm", "-f", "nope://bucket/x.csv"])
    assert result.exit_code != 0
    assert result.stderr.strip() == "normcli: error: 'nope://bucket/x.csv': nope:// is not a protocol fsspec knows"


def test_a_protocol_without_its_package_names_the_package(run, monkeypatch):
    import importlib

    registry = importlib.import_module("fsspec.registry")
    monkeypatch.setitem(sys.modules, "aiohttp", None)  # as if aiohttp were not installed
    monkeypatch.delitem(sys.modules, "fsspec.implementations.http", raising=False)
    monkeypatch.setattr(registry, "_registry", {k: v for k, v in registry._registry.items()
                                                if k not in ("http", "https")})
    result = run(["norm", "-f", "https://example.org/x.csv"])
    assert result.exit_code != 0
    line = result.stderr.strip()
    assert "\n" not in line and "aiohttp" in line and "https:// protocol needs a package" in line
