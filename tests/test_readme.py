"""Every command the README shows with its output is run here and compared.

The ```console blocks are run in order in one scratch directory (files a
block writes are there for the next), through bash, with the installed
normcli first on PATH. Trailing spaces are ignored (rich pads table titles).

A block whose results go through LAPACK or BLAS (an SVD, a least-squares
solve) has its last digits set by the BLAS kernel the CPU selects, so the
README marks it with the comment

    <!-- readme-test: rtol=1e-12 -->

on the line before it: its text must match exactly and each number within
that relative tolerance. Every other block is compared byte for byte.
"""

from __future__ import annotations

import math
import os
import re
import subprocess
from pathlib import Path

import pytest
from conftest import ROOT, normcli_exe

BLOCK = re.compile(r"(?:<!-- readme-test: rtol=(\S+) -->\n)?```console\n(.*?)```", re.S)
NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")


def _examples():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    examples = []
    for rtol, block in BLOCK.findall(text):
        rtol = float(rtol) if rtol else 0.0
        command, output = None, []
        for line in block.splitlines():
            if line.startswith("$ "):
                if command is not None:
                    examples.append((command, "\n".join(output), rtol))
                command, output = line[2:], []
            else:
                output.append(line)
        if command is not None:
            examples.append((command, "\n".join(output), rtol))
    return examples


EXAMPLES = _examples()


def test_readme_has_examples():
    assert len(EXAMPLES) >= 15


@pytest.fixture(scope="module")
def scratch(tmp_path_factory):
    return tmp_path_factory.mktemp("readme")


def _tidy(text: str) -> str:
    return "\n".join(line.rstrip() for line in text.strip("\n").splitlines())


def _same(actual: str, expected: str, rtol: float) -> bool:
    """Equal text, and equal numbers within rtol (exactly equal when rtol is 0)."""
    if rtol == 0.0:
        return actual == expected
    if NUMBER.split(actual) != NUMBER.split(expected):
        return False
    got, want = NUMBER.findall(actual), NUMBER.findall(expected)
    return len(got) == len(want) and all(
        math.isclose(float(g), float(w), rel_tol=rtol, abs_tol=0.0) for g, w in zip(got, want))


def test_same_compares_text_exactly_and_numbers_within_rtol():
    assert _same("w,1.9059748881512475", "w,1.905974888151248", 1e-12)
    assert not _same("w,1.9059748881512475", "w,1.905974888151248", 0.0)
    assert not _same("w,1.9059748881512475", "w,1.9059748881", 1e-12)
    assert not _same("v,1.9059748881512475", "w,1.9059748881512475", 1e-12)
    assert not _same("1.0\t2.0", "1.0\t2.0\t3.0", 1e-12)


def test_only_lapack_blocks_have_a_tolerance():
    marked = [c for c, _, rtol in EXAMPLES if rtol and not c.startswith("printf ")]
    assert marked and all("--solve" in c or "--matrix nuc" in c for c in marked)
    assert all(rtol <= 1e-12 for _, _, rtol in EXAMPLES)


@pytest.mark.parametrize("command, expected, rtol", EXAMPLES, ids=[c for c, _, _ in EXAMPLES])
def test_readme_example(command, expected, rtol, scratch):
    bindir = str(Path(normcli_exe()[0]).parent)
    env = {**os.environ, "PATH": bindir + os.pathsep + os.environ.get("PATH", ""), "NO_COLOR": "1"}
    env.pop("COLUMNS", None)
    r = subprocess.run(["bash", "-c", command], cwd=scratch, capture_output=True, text=True, env=env, timeout=60)
    assert _same(_tidy(r.stdout), _tidy(expected), rtol), (r.stdout, r.stderr)


def test_readme_opens_with_install_and_test_commands():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```sh\n(.*?)```", text, re.S)
    assert blocks[0].strip() == "python -m pip install . && normcli norm --p 2 1,2,3"
    assert "pytest" in blocks[1]
    ci = (ROOT / ".ci" / "run").read_text()
    assert blocks[1].strip() in ci
