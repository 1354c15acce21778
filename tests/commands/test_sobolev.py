"""sobolev through the CLI: the reference values, the x column, conventions and errors."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

N = 1024
DX = 2 * math.pi / N


@pytest.fixture
def sine(tmp_path):
    x = DX * np.arange(N)
    path = tmp_path / "sin.csv"
    np.savetxt(path, np.column_stack([x, np.sin(x)]), delimiter=",", header="x,f", comments="", fmt="%.17g")
    return path


def test_spectral_h1_of_sine_is_sqrt_2pi_correctly_rounded(run, sine):
    r = run(["sobolev", "--periodic", "--x", "x", "-f", str(sine)])
    assert r.exit_code == 0, r.stderr
    # sqrt(2 pi) = 2.50662827463100050241...: the nearest double is ...0007 (math.sqrt(2 * math.pi) gives
    # ...0002 because 2 * math.pi is rounded down first)
    assert r.stdout == "2.5066282746310007\n"


def test_finite_differences_h1_of_sine_is_off_by_h2_over_12(run, sine):
    r = run(["sobolev", "--x", "x", "-f", str(sine)])
    value = float(r.stdout)
    rel = value / math.sqrt(2 * math.pi) - 1
    assert -DX**2 / 12 * 1.02 < rel < -DX**2 / 12 * 0.98  # -3.1e-6


def test_dx_and_x_column_agree(run, sine, tmp_path):
    f = tmp_path / "f.txt"
    np.savetxt(f, np.sin(DX * np.arange(N)), fmt="%.17g")
    by_x = run(["sobolev", "--x", "x", "-f", str(sine), "--k", "2"]).stdout
    by_dx = run(["sobolev", "--dx", repr(DX), "-f", str(f), "--k", "2"]).stdout
    assert by_x == by_dx and float(by_x) == pytest.approx(math.sqrt(3 * math.pi), rel=1e-5)


def test_table_shows_terms_and_conventions(run, sine):
    r = run(["sobolev", "--periodic", "--x", "x", "-f", str(sine), "-o", "json"])
    out = json.loads(r.stdout)
    assert out["title"] == "H^1 norm (spectral, periodic)"
    row = out["rows"][0]
    assert row["||f||_L2"] == pytest.approx(math.sqrt(math.pi), rel=1e-15)
    notes = " ".join(out["notes"])
    assert "angular frequency" in notes and "no division by the length" in notes


def test_fractional_s_and_sum_weights(run, sine):
    half = float(run(["sobolev", "--periodic", "--s", "0.5", "--x", "x", "-f", str(sine)]).stdout)
    assert half == pytest.approx(math.sqrt(2**0.5 * math.pi), rel=1e-14)  # (1 + 1^2)^(1/2) ||sin||^2
    two_sum = float(run(["sobolev", "--periodic", "--weights", "sum", "--k", "2", "--x", "x", "-f", str(sine)]).stdout)
    assert two_sum == pytest.approx(math.sqrt(3 * math.pi), rel=1e-14)  # ||f||^2 + ||f'||^2 + ||f''||^2 = 3 pi
    two_bessel = float(run(["sobolev", "--periodic", "--k", "2", "--x", "x", "-f", str(sine)]).stdout)
    assert two_bessel == pytest.approx(math.sqrt(4 * math.pi), rel=1e-14)  # (1 + 1)^2 pi


@pytest.mark.parametrize("args, message", [
    (["--dx", "0.1", "--x", "x"], "one of them"),
    ([], "--dx H or the sample points with --x"),
    (["--dx", "0"], "--dx must be a finite number > 0"),
    (["--dx", "0.1", "--periodic", "--p", "1"], "p = 2"),
    (["--dx", "0.1", "--s", "0.5"], "--s needs --periodic"),
    (["--dx", "0.1", "--periodic", "--s", "-1"], "--s must be a finite number >= 0"),
    (["--dx", "0.1", "--weights", "odd"], "--weights must be bessel or sum"),
    (["--dx", "0.1", "--quadrature", "simpson"], "--quadrature must be rect or trapezoid"),
    (["--dx", "0.1", "--p", "-1"], "--p must be > 0"),
])
def test_usage_errors(run, args, message):
    r = run(["sobolev", *args, "1,2,3,4,5"])
    assert r.exit_code == 2 and message in r.stderr and r.stdout == ""


def test_data_errors_name_the_row(run, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("x,f\n0,1\n1,2\n2,3\n3.5,4\n4.5,5\n")
    r = run(["sobolev", "--x", "x", "-f", str(bad)])
    assert r.exit_code == 1 and "not uniformly spaced" in r.stderr and "row 3" in r.stderr
    r = run(["sobolev", "--dx", "0.1", "--k", "3", "1,2,3"])
    assert r.exit_code == 1 and "needs at least 5 samples; got 3" in r.stderr
    r = run(["sobolev", "--dx", "0.1", "1,nan,3"])
    assert r.exit_code == 1 and "nan" in r.stderr.lower()


def test_x_column_by_index_and_the_other_column_is_f(run, tmp_path):
    f = tmp_path / "nh.csv"
    f.write_text("0,1\n1,2\n2,3\n")
    by_index = run(["sobolev", "--x", "1", "-f", str(f)])
    assert by_index.exit_code == 0 and by_index.stdout == run(["sobolev", "--dx", "1", "1,2,3"]).stdout
    wide = tmp_path / "w.csv"
    wide.write_text("x,f,g\n0,1,2\n1,2,3\n2,3,4\n")
    r = run(["sobolev", "--x", "x", "-f", str(wide)])
    assert r.exit_code == 2 and "select f with --column" in r.stderr
    assert run(["sobolev", "--x", "x", "-c", "g", "-f", str(wide)]).stdout == by_index.stdout.replace(
        by_index.stdout, run(["sobolev", "--dx", "1", "2,3,4"]).stdout)
