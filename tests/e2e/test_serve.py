"""``ledger serve`` as a real process, answering over HTTP."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

READY_WITHIN_SECONDS = 60


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def server(database_url: str, schema: str, tmp_path: Path) -> Iterator[str]:
    port = free_port()
    env = {**os.environ, "DATABASE_URL": database_url, "LEDGER_DB_SCHEMA": schema}
    ledger = Path(sys.executable).with_name("ledger")
    log = tmp_path / "serve.log"
    with log.open("wb") as output:
        process = subprocess.Popen(  # noqa: S603
            [str(ledger), "serve", "--port", str(port)],
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_live(base, process, log)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)


def wait_until_live(base: str, process: subprocess.Popen[bytes], log: Path) -> None:
    """Poll until the port answers: a readiness probe, not a sleep instead of one."""
    deadline = time.monotonic() + READY_WITHIN_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"ledger serve exited {process.returncode}:\n{log.read_text()}")
        try:
            httpx.get(f"{base}/health/live", timeout=1)
        except httpx.TransportError:
            time.sleep(0.1)
            continue
        return
    pytest.fail("ledger serve did not start")


def test_live_and_ready(server: str) -> None:
    assert httpx.get(f"{server}/health/live").json() == {"status": "ok"}
    ready = httpx.get(f"{server}/health/ready")
    assert ready.status_code == 200
    assert ready.json()["status"] == "ready"


def test_openapi_lists_the_health_endpoints(server: str) -> None:
    paths = httpx.get(f"{server}/openapi.json").json()["paths"]
    assert {"/health/live", "/health/ready"} <= set(paths)


def test_two_workers_serve_and_stop_on_sigterm(
    database_url: str, schema: str, tmp_path: Path
) -> None:
    port = free_port()
    env = {**os.environ, "DATABASE_URL": database_url, "LEDGER_DB_SCHEMA": schema}
    ledger = Path(sys.executable).with_name("ledger")
    log = tmp_path / "serve.log"
    with log.open("wb") as output:
        process = subprocess.Popen(  # noqa: S603
            [str(ledger), "serve", "--port", str(port), "--workers", "2"],
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_live(base, process, log)
        assert all(
            httpx.get(f"{base}/health/ready").status_code == 200 for _ in range(10)
        )
    finally:
        process.terminate()
        assert process.wait(timeout=60) == 0, log.read_text()
    assert "with 2 worker(s)" in log.read_text()
