"""Idempotency keys in their own table, written in the events' transaction.

An aggregate used to keep every idempotency key it had seen in its state, so
a hot order's snapshot grew with every request and every load copied it. The
keys now live in ``<events table>_requests``: one row per (aggregate, key)
with the request's fingerprint and the version it left, inserted in the same
transaction as the events that carry the key, and looked up by primary key.
They never expire and are scoped per aggregate, as before. The events still
carry their key and fingerprint, so the table can always be rebuilt from
them; a store made before the table existed is filled from its events when
the table is created.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from eventsourcing.persistence import InterfaceError, OperationalError, StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore
from eventsourcing.utils import retry
from psycopg import Connection, Cursor, sql
from psycopg.rows import DictRow

from store.recorder_sql import quoted

# (aggregate id, idempotency key, request fingerprint, version after the request)
RequestRow = tuple[UUID, str, str | None, int]


def requests_table(events_table: str) -> str:
    return f"{events_table}_requests"


def create_statements(schema: str, events_table: str) -> list[sql.Composed]:
    """The table, filled from the events (last event per key) when it is new."""
    table = sql.Identifier(schema, requests_table(events_table))
    events = sql.Identifier(schema, events_table)
    qualified = sql.Literal(f"{quoted(schema)}.{quoted(requests_table(events_table))}")
    return [
        sql.SQL(
            "DO $$ BEGIN IF to_regclass({qualified}) IS NULL THEN "
            "CREATE TABLE {table} (originator_id uuid NOT NULL,"
            " idempotency_key text NOT NULL, fingerprint text,"
            " version bigint NOT NULL,"
            " PRIMARY KEY (originator_id, idempotency_key)); "
            "INSERT INTO {table} SELECT DISTINCT ON (originator_id, key)"
            " originator_id, key, state ->> 'request_fingerprint', originator_version"
            " FROM (SELECT originator_id, originator_version,"
            " convert_from(state, 'UTF8')::jsonb AS state,"
            " convert_from(state, 'UTF8')::jsonb ->> 'idempotency_key' AS key"
            " FROM {events}) e WHERE key IS NOT NULL"
            " ORDER BY originator_id, key, originator_version DESC; "
            "END IF; END $$"
        ).format(qualified=qualified, table=table, events=events)
    ]


class RequestKeys:
    """Writes and reads of the requests table, for a recorder."""

    def __init__(self, datastore: PostgresDatastore, events_table: str) -> None:
        self.datastore = datastore
        table = sql.Identifier(datastore.schema, requests_table(events_table))
        self.insert = sql.SQL(
            "INSERT INTO {} (originator_id, idempotency_key, fingerprint, version)"
            " SELECT * FROM unnest(%s::uuid[], %s::text[], %s::text[], %s::bigint[])"
        ).format(table)
        self.select = sql.SQL(
            "SELECT fingerprint, version FROM {}"
            " WHERE originator_id = %s AND idempotency_key = %s"
        ).format(table)

    def write(
        self, conn: Connection[DictRow] | Cursor[DictRow], rows: Sequence[RequestRow]
    ) -> None:
        """Insert ``rows`` in the caller's transaction (after its events)."""
        if rows:
            columns = [list(column) for column in zip(*rows, strict=True)]
            conn.execute(self.insert, columns, prepare=True)

    @retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)
    def find(self, originator_id: UUID, key: str) -> tuple[str | None, int] | None:
        with self.datastore.get_connection() as conn:
            row = conn.execute(
                self.select, (originator_id, key), prepare=True
            ).fetchone()
        return None if row is None else (row["fingerprint"], int(row["version"]))


def rows_of(kwargs: dict[str, Any]) -> Sequence[RequestRow]:
    rows: Sequence[RequestRow] = kwargs.get("requests", ())
    return rows


class KeyedRecorder:
    """A recorder that keeps the requests table (``request_keys``)."""

    request_keys: RequestKeys

    def find_request(
        self, originator_id: UUID, key: str
    ) -> tuple[str | None, int] | None:
        """(fingerprint, version) of the request with this key, if there was one."""
        found: tuple[str | None, int] | None = self.request_keys.find(
            originator_id, key
        )
        return found


class TableLockRecorder(KeyedRecorder, PostgresApplicationRecorder):
    """eventsourcing's recorder (its table lock), writing the requests table too."""

    def __init__(
        self, datastore: PostgresDatastore, *, events_table_name: str = "stored_events"
    ) -> None:
        super().__init__(datastore, events_table_name=events_table_name)
        self.sql_create_statements.extend(
            create_statements(datastore.schema, events_table_name)
        )
        self.request_keys = RequestKeys(datastore, events_table_name)

    def _insert_stored_events(
        self,
        curs: Cursor[DictRow],
        stored_events: Sequence[StoredEvent],
        **kwargs: Any,  # noqa: ANN401 - the library's signature
    ) -> None:
        super()._insert_stored_events(curs, stored_events, **kwargs)
        # Another cursor: the library reads the notification ids from ``curs``.
        with curs.connection.cursor() as keys:
            self.request_keys.write(keys, rows_of(kwargs))
