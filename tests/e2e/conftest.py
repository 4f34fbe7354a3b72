"""A real uvicorn server on a free port, backed by PostgreSQL, per test."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
import uvicorn

from api.app import create_app
from api.bootstrap import open_ledger
from api.keys import KeyStore, Role
from api.settings import Settings

ACCOUNT = "acme"
LEDGER = str(Path(sys.executable).with_name("ledger"))


@pytest.fixture
def env(database_url: str, schema: str) -> dict[str, str]:
    """The environment of a ``ledger`` command on this test's database and schema."""
    return {**os.environ, "DATABASE_URL": database_url, "LEDGER_DB_SCHEMA": schema}


def ledger(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603
        [LEDGER, *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


class Clock:
    """The ledger's clock, which a test may move forward."""

    def __init__(self) -> None:
        self.offset = timedelta()

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset


@dataclass
class Api:
    base: str
    clock: Clock
    writer: str
    finance: str
    admin: str
    other_writer: str

    app: object = None

    def risk_check(self, port: object) -> None:
        """Swap the app's risk-check port (the HTTP adapter, in its tests)."""
        self.app.state.risk_check = port  # type: ignore[attr-defined]

    def client(self, key: str | None = None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        return httpx.Client(base_url=self.base, headers=headers, timeout=30)


@contextmanager
def serving_app(settings: Settings, database_url: str) -> Iterator[Api]:
    """The app on uvicorn in this process; ``settings.database_url`` is where the
    ledger connects (a proxy, say), ``database_url`` where the keys are made."""
    clock = Clock()
    ledger = open_ledger(settings, settings.database_url or database_url)
    ledger.clock = clock
    keys = KeyStore(database_url, settings.db_schema)
    app = create_app(settings, ledger=ledger, keys=keys)
    server = uvicorn.Server(
        uvicorn.Config(
            app, host="127.0.0.1", port=0, log_level="warning", lifespan="on"
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:  # a readiness wait, bounded
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("the test server did not start")
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield Api(
            base=f"http://127.0.0.1:{port}",
            clock=clock,
            app=app,
            writer=keys.create(ACCOUNT, Role.WRITER)[1],
            finance=keys.create(ACCOUNT, Role.FINANCE)[1],
            admin=keys.create(ACCOUNT, Role.ADMIN)[1],
            other_writer=keys.create("other", Role.WRITER)[1],
        )
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        keys.close()
        ledger.close()


@pytest.fixture
def api(pg_settings: Settings, database_url: str) -> Iterator[Api]:
    # A generous slot wait: the concurrency tests queue 20 requests on 10 slots.
    settings = pg_settings.model_copy(update={"busy_timeout": 30.0})
    with serving_app(settings, database_url) as served:
        yield served


@pytest.fixture
def writer(api: Api) -> Iterator[httpx.Client]:
    with api.client(api.writer) as client:
        yield client


@pytest.fixture
def finance(api: Api) -> Iterator[httpx.Client]:
    with api.client(api.finance) as client:
        yield client


@pytest.fixture
def fuzz_ledger(api: Api) -> object:
    return api.app.state.ledger  # type: ignore[attr-defined]
