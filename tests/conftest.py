"""Test resources: a throwaway PostgreSQL database per run, a schema per test."""

from __future__ import annotations

import os
import random
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import psycopg_pool.base
import pytest
from hypothesis import HealthCheck, settings
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from api.bootstrap import open_ledger
from api.database import embedded_postgres
from api.settings import Settings
from domain.application import OrderLedger

settings.register_profile(
    "ci",
    derandomize=True,
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("dev", max_examples=60, deadline=None)
# `make test-deep`: fresh examples every run, and many more of them.
settings.register_profile(
    "deep",
    max_examples=2_000,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile(
    os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") else "dev")
)

TESTS = Path(__file__).parent

# A pool opening a connection jitters its lifetime with the global `random`.
# The in-process test servers' pools do that on their own threads while
# Hypothesis draws examples on the main one, which Hypothesis reports as a
# strategy using `random` (a flaky failure). Their jitter gets its own source.
psycopg_pool.base.random = random.Random().random  # type: ignore[attr-defined]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        folder = Path(str(item.fspath)).relative_to(TESTS).parts[0]
        if folder in ("integration", "e2e"):
            item.add_marker(getattr(pytest.mark, folder))


@pytest.fixture(scope="session")
def server_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``DATABASE_URL`` if set, else an embedded PostgreSQL started for this run."""
    url = os.environ.get("DATABASE_URL")
    if url:
        yield url
        return
    # A short path: the server's unix socket lives in this folder.
    with embedded_postgres(tmp_path_factory.mktemp("pg")) as embedded_url:
        yield embedded_url


@pytest.fixture(scope="session")
def database_url(server_url: str) -> Iterator[str]:
    """A database created for this run on the server, dropped at the end."""
    name = f"ledger_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield make_conninfo(server_url, dbname=name)
    finally:
        maintenance = conninfo_to_dict(server_url).get("dbname") or "postgres"
        with psycopg.connect(
            make_conninfo(server_url, dbname=maintenance), autocommit=True
        ) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                    sql.Identifier(name)
                )
            )


@pytest.fixture
def schema() -> str:
    return f"t_{uuid.uuid4().hex[:12]}"


@pytest.fixture
def pg_settings(database_url: str, schema: str) -> Settings:
    return Settings(
        database_url=database_url,
        db_schema=schema,
        db_workers=10,
        # Webhooks to the tests' own receivers on loopback, retried within seconds.
        webhook_allowed_hosts="127.0.0.1",
        webhook_retry_schedule="0.2,0.2,0.2,0.2,0.2",
        webhook_timeout=2.0,
    )


@pytest.fixture
def pg_ledger(pg_settings: Settings, database_url: str) -> Iterator[OrderLedger]:
    """An OrderLedger on real PostgreSQL, in a schema of its own."""
    ledger = open_ledger(pg_settings, database_url)
    try:
        yield ledger
    finally:
        ledger.close()
