"""An event recorder that keeps the notification log in order without a table lock.

eventsourcing's PostgreSQL recorder holds ``LOCK TABLE … IN EXCLUSIVE MODE``
from before its INSERT until after COMMIT, so that notification ids commit
in the order they were issued and a reader never passes over a gap that fills
later. Every writer then waits for the previous writer's commit (its WAL
flush), one at a time.

This recorder gives readers the same guarantee another way:

* Writers serialise only the INSERT, not the commit: a session advisory lock
  taken just before the insert and released right after it, in the same
  pipeline, before COMMIT. Under that lock the transaction gets its id
  (xid) and its notification ids, so for any two writing transactions xid
  order and notification-id order agree. Each row stores its writer's xid.
* Readers only see rows whose writer's xid is below the ``xmin`` of their
  snapshot, the oldest transaction still running. Every transaction below
  that horizon has finished, so no row can still appear below a row a reader
  has been given: a committed row below one that is returned has a smaller
  xid (the lock), hence is below the horizon and visible too.

The price: a transaction that stays open anywhere on the PostgreSQL server
holds the horizon back, and projections wait for it (they never skip).
The events INSERT must be its transaction's first write, which it is here:
the recorder owns that transaction.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence

from eventsourcing.persistence import (
    InterfaceError,
    Notification,
    OperationalError,
    StoredEvent,
)
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore
from eventsourcing.utils import retry
from psycopg import Connection, sql
from psycopg.rows import DictRow

# Advisory locks taken with two int4 keys never collide with one-bigint keys
# (projections.startup.schema_lock uses one bigint).
LOCK_NAMESPACE = 0x1ED6
HORIZON = sql.SQL("transaction_id < pg_snapshot_xmin(pg_current_snapshot())")


class HorizonRecorder(PostgresApplicationRecorder):
    """The library's recorder; readers stop at the finished-transaction horizon."""

    def __init__(
        self, datastore: PostgresDatastore, *, events_table_name: str = "stored_events"
    ) -> None:
        super().__init__(datastore, events_table_name=events_table_name)
        table = sql.Identifier(self.datastore.schema, self.events_table_name)
        self.sql_create_statements.append(
            _add_transaction_id_column(self.datastore.schema, self.events_table_name)
        )
        key = zlib.crc32(f"{self.datastore.schema}.{events_table_name}".encode())
        lock_key = (LOCK_NAMESPACE, key - 2**32 if key >= 2**31 else key)
        self.lock_table_statements = [
            sql.SQL("SET LOCAL lock_timeout = '{0}s'").format(datastore.lock_timeout),
            sql.SQL("SELECT pg_advisory_lock({0}, {1})").format(*lock_key),
            # Take the xid now, under the lock, not at some earlier write.
            sql.SQL("SELECT pg_current_xact_id()"),
        ]
        self.unlock_statement = sql.SQL("SELECT pg_advisory_unlock({0}, {1})").format(
            *lock_key
        )
        self.max_notification_id_statement = sql.SQL(
            "SELECT MAX(notification_id) FROM {0} WHERE {1}"
        ).format(table, HORIZON)
        self.table = table

    @retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)
    def insert_events(
        self, stored_events: Sequence[StoredEvent], **_: object
    ) -> Sequence[int] | None:
        if not stored_events:
            return None
        with self.datastore.get_connection() as conn:
            try:
                return self._insert_in_order(conn, stored_events)
            except BaseException:
                # A failed INSERT skips the queued unlock; the session lock
                # must not go back to the pool with the connection.
                if not conn.broken:
                    conn.execute("SELECT pg_advisory_unlock_all()")
                raise

    def _insert_in_order(
        self, conn: Connection[DictRow], stored_events: Sequence[StoredEvent]
    ) -> list[int]:
        failure: Exception | None = None
        notification_ids: list[int] = []
        with conn.pipeline() as pipeline, conn.transaction():
            with conn.cursor() as curs:
                try:
                    self._lock_table(curs)
                    self._notify_channel(curs)
                    super(PostgresApplicationRecorder, self)._insert_stored_events(
                        curs, stored_events
                    )
                    conn.execute(self.unlock_statement)
                    pipeline.sync()
                    notification_ids = [row["notification_id"] for row in curs]
                except Exception as error:  # noqa: BLE001 - re-raised below
                    # Raising inside the pipeline block makes psycopg warn.
                    failure = error
            if failure is not None:
                raise failure
        return notification_ids

    @retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)
    def select_notifications(
        self,
        start: int | None,
        limit: int,
        stop: int | None = None,
        topics: Sequence[str] = (),
        *,
        inclusive_of_start: bool = True,
    ) -> Sequence[Notification]:
        conditions = [HORIZON]
        params: list[object] = []
        if start is not None:
            above = ">=" if inclusive_of_start else ">"
            conditions.append(sql.SQL(f"notification_id {above} %s"))
            params.append(start)
        if stop is not None:
            conditions.append(sql.SQL("notification_id <= %s"))
            params.append(stop)
        if topics:
            conditions.append(sql.SQL("topic = ANY(%s)"))
            params.append(list(topics))
        params.append(limit)
        statement = sql.SQL(
            "SELECT notification_id, originator_id, originator_version, topic, state "
            "FROM {0} WHERE {1} ORDER BY notification_id LIMIT %s"
        ).format(self.table, sql.SQL(" AND ").join(conditions))
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(statement, params, prepare=True)
            return [
                Notification(
                    id=row["notification_id"],
                    originator_id=row["originator_id"],
                    originator_version=row["originator_version"],
                    topic=row["topic"],
                    state=bytes(row["state"]),
                )
                for row in curs
            ]


def _add_transaction_id_column(schema: str, table: str) -> sql.Composed:
    """DDL adding the writer's xid to an events table, existing rows included.

    Rows written before the column existed get xid 0, which every snapshot
    counts as finished; new rows default to their own transaction's xid.
    Conditional, so that a start-up does not take an ACCESS EXCLUSIVE lock
    on a table that already has the column.
    """
    return sql.SQL(
        "DO $$ BEGIN "
        "IF NOT EXISTS (SELECT 1 FROM information_schema.columns "
        "WHERE table_schema = {schema} AND table_name = {table} "
        "AND column_name = 'transaction_id') THEN "
        "ALTER TABLE {qualified} ADD COLUMN transaction_id xid8 NOT NULL DEFAULT '0'; "
        "ALTER TABLE {qualified} "
        "ALTER COLUMN transaction_id SET DEFAULT pg_current_xact_id(); "
        "END IF; END $$"
    ).format(
        schema=sql.Literal(schema),
        table=sql.Literal(table),
        qualified=sql.Identifier(schema, table),
    )
