"""Crash safety: SIGKILL the server mid-stream, restart it, retry every command.

Afterwards every acknowledged command is stored exactly once, retries made no
duplicates, the read models equal a fresh rebuild, and the chains verify.
"""

from __future__ import annotations

import signal
import subprocess
import threading
import time
from collections import Counter
from pathlib import Path

import httpx
import psycopg
import pytest
from psycopg import sql

from api.keys import KeyStore, Role
from domain.values import Allocation
from projections.audit import ChainVerifier
from projections.setup import Projections, open_views
from tests.builders import item
from tests.e2e.conftest import LEDGER
from tests.e2e.test_serve import free_port
from tests.integration.locks import hold_commits, wait_for_advisory_waiter

COMMANDS = 120
KILL_AFTER = (30, 60, 90)  # acknowledged commands before each SIGKILL


class Server:
    def __init__(
        self, env: dict[str, str], port: int, log: Path, workers: int = 1
    ) -> None:
        self.env, self.port, self.log, self.workers = env, port, log, workers
        self.process: subprocess.Popen[bytes] | None = None
        self.up = threading.Event()

    def start(self) -> None:
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(  # noqa: S603
                [
                    LEDGER,
                    "serve",
                    "--port",
                    str(self.port),
                    "--workers",
                    str(self.workers),
                ],
                env=self.env,
                stdout=out,
                stderr=out,
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(
                    f"http://127.0.0.1:{self.port}/health/ready", timeout=1
                ).is_success:
                    self.up.set()
                    return
            except httpx.TransportError:
                time.sleep(0.05)  # readiness probe of another process, bounded
        raise AssertionError(self.log.read_text())

    def kill(self) -> None:
        self.up.clear()
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)


def send_until_acknowledged(server: Server, url: str, headers: dict[str, str]) -> None:
    """Retry one command with its key through kills and restarts until it is 200."""
    body = {
        "items": [{"line_id": 1, "amount": 1}],
        "payment_details": {"payment_id": "P"},
    }
    for _attempt in range(100):
        server.up.wait(timeout=60)
        try:
            response = httpx.post(url, json=body, headers=headers, timeout=5)
        except httpx.TransportError:
            continue  # the server died under us: retry with the same key
        if response.status_code == 200:
            return
        assert response.status_code >= 500, response.text  # a 4xx would be a bug
    pytest.fail(f"{headers['Idempotency-Key']} never acknowledged")


def assert_rebuild_is_identical(projections: Projections) -> None:
    projections.catch_up()
    projected = {n: r.view.checksum() for n, r in projections.runners.items()}
    for runner in projections.runners.values():
        assert runner.rebuild() > 0  # projected again from an emptied view
    assert {n: r.view.checksum() for n, r in projections.runners.items()} == projected


def test_acknowledged_commands_survive_kills_exactly_once(
    env, pg_ledger, database_url, schema, tmp_path
):
    pg_ledger.create_order("acme", "CRASH", "EUR", [item(1, 1_000_000)])
    pg_ledger.authorize("acme", "CRASH", "P", [Allocation(1, 1_000_000)])
    keys = KeyStore(database_url, schema)
    _, key = keys.create("acme", Role.WRITER)
    keys.close()
    server = Server(env, free_port(), tmp_path / "serve.log")
    server.start()
    acknowledged: list[str] = []
    kill_now = threading.Event()

    def killer() -> None:
        for _ in KILL_AFTER:
            kill_now.wait()
            kill_now.clear()
            server.kill()
            server.start()

    thread = threading.Thread(target=killer)
    thread.start()
    url = f"http://127.0.0.1:{server.port}/v1/accounts/acme/shopping/orders/CRASH/captures"
    try:
        for n in range(COMMANDS):
            headers = {"Authorization": f"Bearer {key}", "Idempotency-Key": f"cap-{n}"}
            send_until_acknowledged(server, url, headers)
            acknowledged.append(f"cap-{n}")
            if len(acknowledged) in KILL_AFTER:
                kill_now.set()
    finally:
        thread.join(timeout=120)
        server.stop()

    events = pg_ledger.order_events("acme", "CRASH")
    captured = Counter(
        e.idempotency_key for e in events if type(e).__name__ == "Captured"
    )
    assert captured == Counter(acknowledged)  # each exactly once, none extra
    assert pg_ledger.get_order("acme", "CRASH").totals().captured == COMMANDS
    assert ChainVerifier(pg_ledger).verify().broken == []
    projections = Projections(pg_ledger, open_views(database_url, schema))
    try:
        assert_rebuild_is_identical(projections)
    finally:
        projections.close()


GATE = 4343  # a one-bigint advisory lock that holds a capture's commit open


def captures_stored(database_url: str, schema: str) -> int:
    with psycopg.connect(database_url, autocommit=True) as conn:
        row = conn.execute(
            sql.SQL("SELECT count(*) FROM {} WHERE topic LIKE '%%Captured'").format(
                sql.Identifier(schema, "ledger_events")
            )
        ).fetchone()
    return int(row[0]) if row else 0


def test_a_command_committed_but_never_answered_is_replayed_on_retry(
    env, pg_ledger, database_url, schema, tmp_path
):
    """SIGKILL lands between COMMIT and the answer; the retry gets the answer."""
    pg_ledger.create_order("acme", "LIMBO", "EUR", [item(1, 1_000)])
    pg_ledger.authorize("acme", "LIMBO", "P", [Allocation(1, 1_000)])
    keys = KeyStore(database_url, schema)
    _, key = keys.create("acme", Role.WRITER)
    keys.close()
    hold_commits(database_url, schema, GATE, "%Captured")  # COMMIT waits for GATE
    server = Server(env, free_port(), tmp_path / "serve.log")
    server.start()
    url = f"http://127.0.0.1:{server.port}/v1/accounts/acme/shopping/orders/LIMBO/captures"
    headers = {"Authorization": f"Bearer {key}", "Idempotency-Key": "limbo-1"}
    body = {
        "items": [{"line_id": 1, "amount": 300}],
        "payment_details": {"payment_id": "P"},
    }
    outcome: list[object] = []

    def first_try() -> None:
        try:
            outcome.append(httpx.post(url, json=body, headers=headers, timeout=60))
        except httpx.TransportError as error:
            outcome.append(error)

    with psycopg.connect(database_url, autocommit=True) as gate:
        gate.execute("SELECT pg_advisory_lock(%s)", (GATE,))
        sender = threading.Thread(target=first_try)
        sender.start()
        wait_for_advisory_waiter(gate, "objid", GATE, "the capture's commit")
        server.kill()  # the server dies while its COMMIT is in flight
        gate.execute("SELECT pg_advisory_unlock(%s)", (GATE,))
    sender.join(timeout=60)
    assert isinstance(outcome[0], httpx.TransportError)  # never answered

    deadline = time.monotonic() + 30  # the orphaned backend finishes its COMMIT
    while captures_stored(database_url, schema) != 1:
        assert time.monotonic() < deadline, "the capture never committed"

    server.start()
    try:
        retried = httpx.post(url, json=body, headers=headers, timeout=30)
    finally:
        server.stop()
    assert retried.status_code == 200, retried.text
    assert captures_stored(database_url, schema) == 1  # replayed, not captured again
    assert pg_ledger.get_order("acme", "LIMBO").totals().captured == 300
