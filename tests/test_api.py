"""The Python API gives the commands' numbers, numpy's shapes, and stays light to import."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from conftest import ulps

import normcli


def test_import_normcli_loads_no_numpy_until_a_function_is_used():
    code = ("import sys, normcli; print('numpy' in sys.modules); normcli.norm([3, 4]); "
            "print('numpy' in sys.modules)")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert r.stdout.split() == ["False", "True"]


@pytest.mark.parametrize("p", [1, 2, 3, 0.5, np.inf, -np.inf, 0, -1, "l1", "max"])
def test_norm_agrees_with_the_command_and_with_numpy(run, p):
    x = np.random.default_rng(2).standard_normal(50)
    cli = run(["norm", "--p", str(p), *[",".join(map(repr, x.tolist()))]])
    assert cli.exit_code == 0
    assert normcli.norm(x, p) == float(cli.stdout)
    q = {"l1": 1, "max": np.inf}.get(p, p)
    assert ulps(normcli.norm(x, p), float(np.linalg.norm(x, q))) <= 4


def test_norm_takes_axes_as_numpy_does():
    a = np.random.default_rng(3).standard_normal((4, 5, 6))
    for axis in (0, 1, 2, -1, (0, 2), (1, 2)):
        got = normcli.norm(a, 2, axis=axis)
        want = np.linalg.norm(a, axis=axis) if isinstance(axis, int) else np.sqrt((a**2).sum(axis=axis))
        assert got.shape == want.shape
        assert max(ulps(g, w) for g, w in zip(got.ravel(), want.ravel())) <= 2
    assert normcli.norm(a) == normcli.norm(a.ravel())
    assert normcli.norm(x for x in [3.0, 4.0]) == 5.0  # any iterable
    assert normcli.norm([[1e200, 1e200]], axis=1).tolist() == [1.414213562373095e+200]


def test_grad_dist_normalize_compare_and_regstep_match_the_commands(run):
    assert normcli.grad([3, 4]).tolist() == [float(v) for v in run(["grad", "3,4"]).stdout.split()]
    assert normcli.grad([1, 2], p=1, target=[1, 1]).tolist() == [0.0, 1.0]
    assert normcli.dist([1, 2, 3], [4, 6, 8], p="l1") == float(run(["dist", "--p", "1", "1,2,3", "4,6,8"]).stdout)
    assert normcli.normalize([1, 1]).tolist() == [float(v) for v in run(["normalize", "1,1"]).stdout.split()]
    c = normcli.compare({"A": [-5, 8, -3, -12, 4, 4, 6], "B": [10, -7, 12, -18, -6, -8, 13]})
    plain = run(["compare-models", "-m", "A=-5,8,-3,-12,4,4,6", "-m", "B=10,-7,12,-18,-6,-8,13"]).stdout
    assert [line.split("\t")[2] for line in plain.splitlines()] == ["reference", c.pairs[0].verdict]
    s = normcli.regstep([0.5, -1.2], [0.1, 0.2], 0.1, l2=0.01)
    cli = run(["regstep", "--lr", "0.1", "--l2", "0.01", "--grad", "0.1,0.2", "0.5,-1.2"]).stdout
    assert s.new_w.tolist() == [float(v) for v in cli.split()]
    with pytest.raises(ValueError, match="lr must be"):
        normcli.regstep([1.0], [1.0], 0.0)
    with pytest.raises(AttributeError):
        normcli.nothing  # noqa: B018
