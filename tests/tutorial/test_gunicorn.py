"""gunicorn serves hello on a socket it inherits, the way lithos hands one over.

lithos binds the port itself and starts the container with the listening
socket as file descriptor 3 (``tcp-ports: {8000: {fd: 3}}``). Here the test
plays lithos: it binds 127.0.0.1 on a free port, passes the descriptor, and
gunicorn is started with ``--bind fd://N``.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.tutorial.metrics_files import REQUESTS, read_counters

DEADLINE_SECONDS = 30.0


@pytest.fixture()
def listening_socket() -> Iterator[socket.socket]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    yield sock
    sock.close()


def start_gunicorn(
    app_dir: Path, sock: socket.socket, workdir: Path, extra_env: dict[str, str]
) -> subprocess.Popen[bytes]:
    fd = sock.fileno()
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(workdir),
        "PYTHONPATH": str(app_dir),
        "PYTHONDONTWRITEBYTECODE": "1",
        "NODE_NAME": "fdtest",
        **extra_env,
    }
    argv = [
        sys.executable, "-m", "gunicorn",
        f"--bind=fd://{fd}", "--workers=1",
        f"--worker-tmp-dir={workdir}", "--no-control-socket",
        "hello.wsgi",
    ]
    return subprocess.Popen(
        argv, cwd=app_dir, env=env, pass_fds=(fd,),
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )


def get_when_ready(url: str, server: subprocess.Popen[bytes]) -> tuple[int, bytes]:
    """GET ``url`` until it answers, the server dies, or the deadline passes."""
    deadline = time.monotonic() + DEADLINE_SECONDS
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"gunicorn exited with {server.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                return response.status, response.read()
        except (urllib.error.URLError, ConnectionError) as error:
            last_error = error
            time.sleep(0.1)  # pacing between polls, not synchronisation
    pytest.fail(f"{url} did not answer within {DEADLINE_SECONDS}s: {last_error}")


def stop(server: subprocess.Popen[bytes]) -> str:
    server.terminate()
    try:
        output, _ = server.communicate(timeout=DEADLINE_SECONDS)
    except subprocess.TimeoutExpired:
        server.kill()
        output, _ = server.communicate()
    return output.decode(errors="replace")


@pytest.mark.slow
def test_gunicorn_serves_health_on_an_inherited_fd(
    app_dir: Path, listening_socket: socket.socket, tmp_path: Path
) -> None:
    server = start_gunicorn(app_dir, listening_socket, tmp_path, {})
    try:
        port = listening_socket.getsockname()[1]
        status, body = get_when_ready(f"http://127.0.0.1:{port}/health", server)
        assert (status, body) == (200, b"ok\n")
        status, body = get_when_ready(f"http://127.0.0.1:{port}/whoami", server)
        assert body == b"version 1 on fdtest\n"
    finally:
        log = stop(server)
    assert f"fd://{listening_socket.fileno()}" in log or "Listening at" in log
    # No CANTAL_PATH: the library must not have fallen back to writing anywhere.
    assert sorted(p.name for p in tmp_path.iterdir()) == []


@pytest.mark.slow
def test_gunicorn_worker_exports_requests_to_cantal_path(
    app_dir: Path, listening_socket: socket.socket, tmp_path: Path
) -> None:
    base = tmp_path / "state" / "metrics"
    base.parent.mkdir()
    server = start_gunicorn(app_dir, listening_socket, tmp_path, {"CANTAL_PATH": str(base)})
    try:
        port = listening_socket.getsockname()[1]
        get_when_ready(f"http://127.0.0.1:{port}/health", server)
        for _ in range(3):
            get_when_ready(f"http://127.0.0.1:{port}/health", server)
        assert read_counters(base) == {REQUESTS: 4}
    finally:
        stop(server)
    # At exit the library removes its files, so cantal forgets a dead process.
    assert not Path(f"{base}.meta").exists()
