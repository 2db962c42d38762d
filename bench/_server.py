"""The API served by uvicorn on loopback for the benchmarks that measure it over HTTP."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress

import httpx

STARTUP_SECONDS = 30.0
SHUTDOWN_SECONDS = 10.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def api_server(url: str, workers: int = 1, settings: dict[str, str] | None = None) -> Iterator[str]:
    """The API on a free loopback port; ``workers`` > 1 runs that many uvicorn processes;
    ``settings``: more environment (``CREDITGUARD_...``) for the server."""
    port = free_port()
    env = os.environ | {"CREDITGUARD_DATABASE_URL": url} | (settings or {})
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "creditguard.api.app:create_app",
        "--factory",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--log-level",
        "warning",
        "--no-access-log",
        # The C HTTP parser and event loop: the pure-Python fallbacks cost CPU per request.
        "--http",
        "httptools",
        "--loop",
        "uvloop",
    ]
    if workers > 1:
        command += ["--workers", str(workers)]
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            base = f"http://127.0.0.1:{port}"
            wait_healthy(base, process)
            yield base
        except Exception:
            log.seek(0)
            print(log.read().decode(errors="replace")[-4000:], file=sys.stderr)
            raise
        finally:
            stop(process)


def wait_healthy(base: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"uvicorn exited with {process.returncode}")
        with suppress(httpx.HTTPError):
            if httpx.get(f"{base}/healthz", timeout=1.0).status_code == 200:
                return
        time.sleep(0.1)
    raise RuntimeError(f"uvicorn not healthy after {STARTUP_SECONDS:.0f} s")


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=SHUTDOWN_SECONDS)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=SHUTDOWN_SECONDS)
