"""Watching PostgreSQL's lock table from a test, instead of sleeping."""

from __future__ import annotations

import time

import psycopg
from psycopg import sql

WAITING = (
    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' "
    "AND {} = %s AND NOT granted"
)


def wait_for_advisory_waiter(
    conn: psycopg.Connection, key: str, value: int, what: str
) -> None:
    """Return once a session waits for an advisory lock whose ``key`` is ``value``.

    ``key`` is pg_locks' ``classid`` (first of two int4 keys) or ``objid``.
    """
    query = sql.SQL(WAITING).format(sql.Identifier(key))
    deadline = time.monotonic() + 30
    while conn.execute(query, (value,)).fetchone() != (1,):
        assert time.monotonic() < deadline, f"{what} never started waiting"
