"""``ledger serve`` as a real process, answering over HTTP."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from api.keys import KeyStore, Role

READY_WITHIN_SECONDS = 60


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def serving(database_url: str, schema: str, log: Path, *args: str) -> Iterator[str]:
    port = free_port()
    env = {**os.environ, "DATABASE_URL": database_url, "LEDGER_DB_SCHEMA": schema}
    env.pop("DISPLAY", None)  # --open must not start a browser here
    ledger = Path(sys.executable).with_name("ledger")
    with log.open("wb") as output:
        process = subprocess.Popen(  # noqa: S603
            [str(ledger), "serve", "--port", str(port), *args],
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


@pytest.fixture
def server(database_url: str, schema: str, tmp_path: Path) -> Iterator[str]:
    yield from serving(database_url, schema, tmp_path / "serve.log")


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
        _writes_through_every_worker_are_read_back(base, database_url, schema)
    finally:
        process.terminate()
        assert process.wait(timeout=60) == 0, log.read_text()
    assert "with 2 worker(s)" in log.read_text()


def _writes_through_every_worker_are_read_back(
    base: str, database_url: str, schema: str
) -> None:
    """Captures on one order over new connections, so both workers take some.

    Each worker keeps its own cache of orders: a capture answered by one and
    read back through the other must be there, and none may be lost.
    """
    keys = KeyStore(database_url, schema)
    try:
        key = keys.create("acme", Role.WRITER)[1]
    finally:
        keys.close()
    auth = {"Authorization": f"Bearer {key}"}
    orders = f"{base}/v1/accounts/acme/orders/W2"
    body = {
        "payment": {"type": "Invoice"},
        "order": {
            "number": "W2",
            "currency": "EUR",
            "totalGrossAmount": 40,
            "totalNetAmount": 40,
            "items": [
                {"productId": "A", "description": "A", "grossUnitPrice": 1,
                 "netUnitPrice": 1, "quantity": 40, "vatPercent": 0, "vatAmount": 0}
            ],
        },
    }  # fmt: skip
    assert httpx.post(
        f"{base}/api/v3/checkout/authorize", json=body, headers=auth
    ).is_success

    def capture(n: int) -> tuple[int, int]:
        one = {"orderDetails": {"totalGrossAmount": 1, "totalNetAmount": 1,
               "items": [{**body["order"]["items"][0], "quantity": 1}]}}  # type: ignore[index]  # fmt: skip
        answer = httpx.post(
            f"{base}/api/v3/orders/W2/captures",
            json=one,
            headers={**auth, "Idempotency-Key": f"w2-{n}"},
            timeout=30,
        )
        assert answer.status_code == 200, answer.text
        read = httpx.get(orders, headers=auth, timeout=30)  # a new connection
        answered = round(answer.json()["totalCapturedAmount"] * 100)
        return answered, int(read.json()["totals"]["captured"])

    with ThreadPoolExecutor(8) as pool:
        seen = list(pool.map(capture, range(40)))
    # Whichever worker answered the read, it held the capture just answered.
    assert all(read >= answered for answered, read in seen), seen
    final = httpx.get(orders, headers=auth).json()["totals"]
    assert final["captured"] == 40 * 100


def test_the_demo_prints_a_console_link_that_signs_in_once(
    database_url: str, schema: str, tmp_path: Path
) -> None:
    """What ``make run`` does: ``ledger serve --demo --open``."""
    log = tmp_path / "serve.log"
    for base in serving(
        database_url, schema, log, "--demo", "--open", "--workers", "1"
    ):
        [link] = re.findall(r"console:\s+(\S+)", log.read_text())
        assert link.startswith(f"{base}/console/ticket/")
        with httpx.Client() as browser:
            assert browser.get(link).headers["location"] == "/console/orders"
            orders = browser.get(f"{base}/console/orders")
            assert orders.status_code == 200
            assert '<strong id="account">demo</strong>' in orders.text
        with httpx.Client() as again:
            assert again.get(link).headers["location"] == "/console/sign-in"
