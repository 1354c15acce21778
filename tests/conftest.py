"""Shared helpers: run the CLI in-process exactly as a user would."""

from __future__ import annotations

import math
import os
import shutil
import sys
from fractions import Fraction
from pathlib import Path

import pytest
from typer.testing import CliRunner

from normcli.cli import app

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def run():
    """``run(args, input=None)`` -> click Result with exit_code, stdout, stderr."""
    runner = CliRunner()

    def invoke(args, input=None, env=None):
        return runner.invoke(app, list(args), input=input, env=env, catch_exceptions=False)

    return invoke


def normcli_exe() -> list[str]:
    """The installed console script, or ``python -m normcli`` as a fallback."""
    exe = shutil.which("normcli", path=os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", ""))
    return [exe] if exe else [sys.executable, "-m", "normcli"]


@pytest.fixture(params=["numpy", "polars"])
def reader(request, monkeypatch):
    """Run a test once per text reader (NORMCLI_READER): both must give the same numbers and errors."""
    monkeypatch.setenv("NORMCLI_READER", request.param)
    return request.param


def to_double(v) -> float:
    """The double nearest to ``v`` (an mpmath mpf, Fraction or int), ties to even, subnormals included."""
    import mpmath

    if isinstance(v, mpmath.mpf):
        if mpmath.isinf(v):
            return math.inf if v > 0 else -math.inf
        if v == 0:
            return 0.0
        v = Fraction(int(v.man)) * Fraction(2) ** int(v.exp)
    try:
        return float(Fraction(v))  # int / int: correctly rounded, subnormals too
    except OverflowError:
        return math.inf if v > 0 else -math.inf


def ulps(got, ref) -> float:
    """|got - ref| in ulps of the double nearest ``ref``: the one error measure of the accuracy tests.

    ``ref`` is a float (a reference already rounded to the nearest double)
    or an exact or high-precision value (an mpmath mpf, Fraction or int),
    which is compared as it is, at mpmath's current precision, so a value
    1.5 ulps from it is 1.5 and not 1 or 2. A nan ``got`` is inf ulps off;
    where ``got`` or the rounded reference is infinite, or the reference
    is 0, only an exact match counts (0, else inf).

    >>> ulps(1.0 + 2**-52, 1.0), ulps(math.inf, math.inf), ulps(1e-320, 0.0)
    (1.0, 0.0, inf)
    """
    got = float(got)
    if math.isnan(got):
        return math.inf
    r = ref if isinstance(ref, float) else to_double(ref)
    if math.isinf(r) or math.isinf(got) or r == 0:
        return 0.0 if got == r else math.inf
    if isinstance(ref, float):
        return abs(got - r) / math.ulp(r)
    import mpmath

    return float(abs(mpmath.mpf(got) - mpmath.mpf(ref)) / math.ulp(r))
