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
