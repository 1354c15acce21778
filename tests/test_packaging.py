"""The sdist and the wheel build, carry what they must, and the suite passes from the unpacked sdist."""

from __future__ import annotations

import os
import subprocess
import sys
import tarfile
import zipfile

from conftest import ROOT


def test_the_sdist_and_wheel_build_and_the_suite_passes_from_the_sdist(tmp_path):
    out = tmp_path / "dist"
    build = subprocess.run([sys.executable, "-m", "build", "--sdist", "--wheel", "--outdir", str(out), str(ROOT)],
                           capture_output=True, text=True, timeout=600)
    assert build.returncode == 0, build.stdout[-2000:] + build.stderr[-2000:]
    (sdist,) = out.glob("normcli-*.tar.gz")
    (wheel,) = out.glob("normcli-*.whl")
    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
    assert "normcli/py.typed" in names and "normcli/commands/norm.py" in names and "normcli/sources/table.py" in names
    assert not any(n.startswith("tests/") for n in names)
    with tarfile.open(sdist) as tf:
        tf.extractall(tmp_path, filter="data")
    (unpacked,) = [p for p in tmp_path.iterdir() if p.name.startswith("normcli-") and p.is_dir()]
    for needed in ("tests/conftest.py", "tests/core/test_norms_core.py", "CHANGELOG.md", "docs/ARCHITECTURE.md",
                   ".ci/run", "README.md", "normcli/py.typed"):
        assert (unpacked / needed).exists(), needed
    env = {**os.environ, "PYTHONPATH": str(unpacked)}
    where = subprocess.run([sys.executable, "-c", "import normcli; print(normcli.__file__)"], cwd=unpacked, env=env,
                           capture_output=True, text=True)
    assert where.stdout.startswith(str(unpacked)), where.stdout + where.stderr
    # The whole suite, but this test (it would build again, from inside the sdist).
    suite = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-x",
                            "--deselect", "tests/test_packaging.py"], cwd=unpacked, env=env,
                           capture_output=True, text=True, timeout=1800)
    assert suite.returncode == 0, suite.stdout[-3000:] + suite.stderr[-2000:]
    assert " passed" in suite.stdout.splitlines()[-1]
