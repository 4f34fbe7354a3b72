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
from uuid import UUID

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
LOCK = "SELECT pg_advisory_lock(%s, %s)"
UNLOCK = "SELECT pg_advisory_unlock(%s, %s)"
HORIZON = sql.SQL("transaction_id < pg_snapshot_xmin(pg_current_snapshot())")


class HorizonRecorder(PostgresApplicationRecorder):
    """The library's recorder; readers stop at the finished-transaction horizon.

    The events can be split over ``logs`` notification logs by a hash of the
    order id (``log_id`` column): writers to different logs never wait for
    each other, and each log is read, in order, by its own projection runner.
    With one log (the default) it is the library's single notification log.
    """

    logs = 1  # set by api.database from LEDGER_NOTIFICATION_LOGS

    def __init__(
        self, datastore: PostgresDatastore, *, events_table_name: str = "stored_events"
    ) -> None:
        super().__init__(datastore, events_table_name=events_table_name)
        table = sql.Identifier(self.datastore.schema, self.events_table_name)
        self.sql_create_statements.extend(
            _add_columns(self.datastore.schema, self.events_table_name)
        )
        key = zlib.crc32(f"{self.datastore.schema}.{events_table_name}".encode())
        self.lock_key = key - 2**32 if key >= 2**31 else key
        self.insert_statement = sql.SQL(
            "INSERT INTO {0} (originator_id, originator_version, topic, state, log_id) "
            "SELECT u.originator_id, u.originator_version, u.topic, u.state, u.log_id "
            # unnest of two arrays expands the composite into its fields
            "FROM unnest(%s::{1}[], %s::smallint[]) "
            "AS u(originator_id, originator_version, topic, state, log_id) "
            "RETURNING notification_id"
        ).format(
            table, sql.Identifier(self.datastore.schema, self.stored_event_type_name)
        )
        self.max_notification_id_statement = sql.SQL(
            "SELECT MAX(notification_id) FROM {0} WHERE {1}"
        ).format(table, HORIZON)
        self.table = table
        self.lock_timeout_statement = sql.SQL("SET LOCAL lock_timeout = '{0}s'").format(
            datastore.lock_timeout
        )
        self.notify_statement = sql.SQL("NOTIFY {0}").format(
            sql.Identifier(self.channel_name)
        )

    def log_of(self, originator_id: UUID | str) -> int:
        """The notification log an aggregate's events go to."""
        if self.logs == 1:
            return 0
        value = (
            originator_id if isinstance(originator_id, UUID) else UUID(originator_id)
        )
        return value.int % self.logs

    def lock_keys(self, log: int) -> tuple[int, int]:
        """The two int4 keys of a log's advisory lock."""
        return LOCK_NAMESPACE, (self.lock_key + log + 2**31) % 2**32 - 2**31

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
                # A failed INSERT skips the queued unlocks; the session locks
                # must not go back to the pool with the connection.
                if not conn.broken:
                    conn.execute("SELECT pg_advisory_unlock_all()")
                raise

    def _insert_in_order(
        self, conn: Connection[DictRow], stored_events: Sequence[StoredEvent]
    ) -> list[int]:
        log_ids = [self.log_of(e.originator_id) for e in stored_events]
        locks = [self.lock_keys(log) for log in sorted(set(log_ids))]  # fixed order
        failure: Exception | None = None
        notification_ids: list[int] = []
        with conn.pipeline() as pipeline, conn.transaction():
            with conn.cursor() as curs:
                try:
                    curs.execute(self.lock_timeout_statement)
                    for lock in locks:
                        curs.execute(LOCK, lock, prepare=True)
                    # Take the xid now, under the locks, not at some earlier write.
                    curs.execute("SELECT pg_current_xact_id()", prepare=True)
                    curs.execute(self.notify_statement)
                    curs.execute(
                        self.insert_statement,
                        (self._composites(stored_events), log_ids),
                    )
                    for lock in locks:
                        conn.execute(UNLOCK, lock, prepare=True)
                    pipeline.sync()
                    notification_ids = [row["notification_id"] for row in curs]
                except Exception as error:  # noqa: BLE001 - re-raised below
                    # Raising inside the pipeline block makes psycopg warn.
                    failure = error
            if failure is not None:
                raise failure
        return notification_ids

    def _composites(self, stored_events: Sequence[StoredEvent]) -> list[object]:
        return [
            self.construct_pg_stored_event(
                e.originator_id, e.originator_version, e.topic, e.state
            )
            for e in stored_events
        ]

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
        """Notifications of every log, in id order: in order only with one log."""
        return self._select(
            None, start, limit, stop, topics, inclusive_of_start=inclusive_of_start
        )

    @retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)
    def select_log(
        self, log: int, start: int, limit: int, stop: int | None = None
    ) -> Sequence[Notification]:
        """One log's notifications from id ``start``, in order, none skipped."""
        return self._select(log, start, limit, stop, ())

    def max_log_notification_id(self, log: int) -> int | None:
        statement = sql.SQL(
            "SELECT MAX(notification_id) AS max FROM {0} WHERE log_id = %s AND {1}"
        ).format(self.table, HORIZON)
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(statement, (log,), prepare=True)
            row = curs.fetchone()
            return row["max"] if row else None

    def _select(  # noqa: PLR0913 - the library's, plus the log
        self,
        log: int | None,
        start: int | None,
        limit: int,
        stop: int | None,
        topics: Sequence[str],
        *,
        inclusive_of_start: bool = True,
    ) -> Sequence[Notification]:
        conditions = [HORIZON]
        params: list[object] = []
        if log is not None:
            conditions.append(sql.SQL("log_id = %s"))
            params.append(log)
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


def _add_columns(schema: str, table: str) -> list[sql.Composed]:
    """DDL adding the writer's xid and the log to an events table.

    Rows written before the columns existed get xid 0, which every snapshot
    counts as finished, and log 0; new rows default to their own
    transaction's xid. Conditional, so that a start-up does not take an
    ACCESS EXCLUSIVE lock on a table that already has the columns.
    """
    qualified = sql.Identifier(schema, table)
    return [
        sql.SQL(
            "DO $$ BEGIN "
            "IF NOT EXISTS (SELECT 1 FROM information_schema.columns "
            "WHERE table_schema = {schema} AND table_name = {table} "
            "AND column_name = {column}) THEN {alter} END IF; END $$"
        ).format(
            schema=sql.Literal(schema),
            table=sql.Literal(table),
            column=sql.Literal(column),
            alter=alter,
        )
        for column, alter in (
            (
                "transaction_id",
                sql.SQL(
                    "ALTER TABLE {0} ADD COLUMN transaction_id xid8 NOT NULL "
                    "DEFAULT '0'; ALTER TABLE {0} "
                    "ALTER COLUMN transaction_id SET DEFAULT pg_current_xact_id();"
                ).format(qualified),
            ),
            (
                "log_id",
                sql.SQL(
                    "ALTER TABLE {0} ADD COLUMN log_id smallint NOT NULL DEFAULT 0; "
                    "CREATE INDEX {1} ON {0} (log_id, notification_id);"
                ).format(qualified, sql.Identifier(f"{table}_log_idx")),
            ),
        )
    ]
