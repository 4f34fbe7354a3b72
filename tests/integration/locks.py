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


def hold_commits(url: str, schema: str, gate: int, topics_like: str) -> None:
    """A deferred trigger: a commit of events whose topic is LIKE ``topics_like``
    waits for the one-bigint advisory lock ``gate`` (a test holds it)."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            sql.SQL(
                "CREATE FUNCTION {schema}.hold_commit() RETURNS trigger "
                "LANGUAGE plpgsql AS $$ BEGIN "
                "PERFORM pg_advisory_xact_lock({gate}); RETURN NULL; END $$; "
                "CREATE CONSTRAINT TRIGGER hold_commit AFTER INSERT "
                "ON {schema}.ledger_events DEFERRABLE INITIALLY DEFERRED "
                "FOR EACH ROW WHEN (NEW.topic LIKE {topics}) "
                "EXECUTE FUNCTION {schema}.hold_commit()"
            ).format(
                schema=sql.Identifier(schema),
                gate=sql.Literal(gate),
                topics=sql.Literal(topics_like),
            )
        )
