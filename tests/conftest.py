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


@pytest.fixture(scope="module")
def http_folder(tmp_path_factory):
    """(folder, base URL, log of requests): an HTTP server on 127.0.0.1 serving ``folder`` with range
    requests, as object stores and web servers do; started and stopped here."""
    import http.server
    import threading

    folder = tmp_path_factory.mktemp("served")
    log: list[tuple[str, str, int]] = []  # (method, path, bytes sent)

    class Handler(http.server.BaseHTTPRequestHandler):
        def _file(self):
            path = folder / self.path.lstrip("/").split("?")[0]
            if not path.is_file():
                self.send_error(404)
                return None
            return path.read_bytes()

        def do_HEAD(self):
            data = self._file()
            if data is not None:
                self.send_response(200)
                self.send_header("Content-Length", str(len(data)))
                self.send_header("Accept-Ranges", "bytes")
                self.end_headers()
                log.append(("HEAD", self.path, 0))

        def do_GET(self):
            data = self._file()
            if data is None:
                return
            wanted = self.headers.get("Range")
            if wanted and wanted.startswith("bytes="):
                first, _, last = wanted[6:].partition("-")
                start = int(first) if first else max(len(data) - int(last), 0)
                stop = min(int(last) + 1, len(data)) if first and last else len(data)
                body = data[start:stop]
                self.send_response(206)
                self.send_header("Content-Range", f"bytes {start}-{stop - 1}/{len(data)}")
            else:
                body = data
                self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Accept-Ranges", "bytes")
            self.end_headers()
            try:
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):  # the reader had what it wanted
                return
            log.append(("GET", self.path, len(body)))

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield folder, f"http://127.0.0.1:{server.server_address[1]}", log
    finally:
        server.shutdown()
        server.server_close()
