"""Every command the README shows with its output is run here and compared.

The ```console blocks are run in order in one scratch directory (files a
block writes are there for the next), through bash, with the installed
normcli first on PATH. Trailing spaces are ignored (rich pads table titles).
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from conftest import ROOT, normcli_exe

BLOCK = re.compile(r"```console\n(.*?)```", re.S)


def _examples():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    examples = []
    for block in BLOCK.findall(text):
        command, output = None, []
        for line in block.splitlines():
            if line.startswith("$ "):
                if command is not None:
                    examples.append((command, "\n".join(output)))
                command, output = line[2:], []
            else:
                output.append(line)
        if command is not None:
            examples.append((command, "\n".join(output)))
    return examples


EXAMPLES = _examples()


def test_readme_has_examples():
    assert len(EXAMPLES) >= 15


@pytest.fixture(scope="module")
def scratch(tmp_path_factory):
    return tmp_path_factory.mktemp("readme")


def _tidy(text: str) -> str:
    return "\n".join(line.rstrip() for line in text.strip("\n").splitlines())


@pytest.mark.parametrize("command, expected", EXAMPLES, ids=[c for c, _ in EXAMPLES])
def test_readme_example(command, expected, scratch):
    bindir = str(Path(normcli_exe()[0]).parent)
    env = {**os.environ, "PATH": bindir + os.pathsep + os.environ.get("PATH", ""), "NO_COLOR": "1"}
    env.pop("COLUMNS", None)
    r = subprocess.run(["bash", "-c", command], cwd=scratch, capture_output=True, text=True, env=env, timeout=60)
    assert _tidy(r.stdout) == _tidy(expected), r.stderr


def test_readme_opens_with_install_and_test_commands():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```sh\n(.*?)```", text, re.S)
    assert blocks[0].strip() == "python -m pip install . && normcli norm --p 2 1,2,3"
    assert "pytest" in blocks[1]
    ci = (ROOT / ".ci" / "run").read_text()
    assert blocks[1].strip() in ci
