"""An event recorder that keeps the notification log in order without a table lock.

eventsourcing's PostgreSQL recorder holds ``LOCK TABLE … IN EXCLUSIVE MODE``
from before its INSERT until after COMMIT, so that notification ids commit
in the order they were issued and a reader never passes over a gap that fills
later. Every writer then waits for the previous writer's commit (its WAL
flush), one at a time.

This recorder gives readers the same guarantee another way:

* Writers serialise only the INSERT, not the commit: a session advisory lock
  taken just before the insert and released right after it, inside the one
  statement that saves (``recorder_sql.append_function``), before COMMIT.
  Under that lock the transaction gets its id (xid) and its notification
  ids, so for any two writing transactions xid order and notification-id
  order agree. Each row stores its writer's xid.
* Readers stop below a horizon made of the *event writers* only, so an
  unrelated open transaction (another database, an idle BI session, a long
  report) holds nothing back. A read is two statements:

  1. ``xmax``, the first xid not yet assigned at this moment, and ``W``, the
     xids of transactions that hold ``RowExclusiveLock`` on the events table
     (every INSERT into it takes that lock and keeps it until the end of
     its transaction).
  2. Then, under a new snapshot S: rows with ``transaction_id <
     least(xmax, min(xids in W still running in S))``.

  No row can commit later below a row a reader was given. Say a returned
  row R (writer xid r) had a row of writer T, still running at S, below it.
  T took its ids before R's writer, so t < r < xmax and T had its xid before
  statement 1. If T had inserted by then, it held the lock, so t is in W
  and running in S: the horizon is at most t < r, and R was not returned.
  If it had not inserted yet, R's writer took its xid after T's insert,
  after statement 1, so r >= xmax: again not returned.

The events INSERT must be its transaction's first write, which it is here:
the recorder's one statement is that transaction.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from typing import Any
from uuid import UUID

import psycopg
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

from store.recorder_sql import add_columns, append_function, notification, quoted
from store.requests import (
    KeyedRecorder,
    RequestKeys,
    RequestRow,
    create_statements,
    requests_table,
    rows_of,
)

# Advisory locks taken with two int4 keys never collide with one-bigint keys
# (projections.startup.schema_lock uses one bigint).
LOCK_NAMESPACE = 0x1ED6
# Statement 1 of a read (see the module docstring): xmax, then the writers.
WRITERS = sql.SQL(
    "SELECT pg_snapshot_xmax(pg_current_snapshot())::text AS xmax, ARRAY("
    "SELECT t.transactionid::text::bigint FROM pg_locks r JOIN pg_locks t "
    "ON t.virtualtransaction = r.virtualtransaction "
    "AND t.locktype = 'transactionid' AND t.mode = 'ExclusiveLock' "
    "WHERE r.locktype = 'relation' AND r.mode = 'RowExclusiveLock' "
    "AND r.relation = {table}::regclass AND r.database = "
    "(SELECT oid FROM pg_database WHERE datname = current_database())"
    ") AS writers"
)
# Statement 2's condition; pg_locks shows 32-bit xids, snapshots 64-bit ones.
HORIZON = sql.SQL(
    "transaction_id < LEAST(%(xmax)s::xid8, (SELECT min(x) "
    "FROM pg_snapshot_xip(pg_current_snapshot()) x "
    "WHERE mod(x::text::numeric, 4294967296)::bigint = ANY(%(writers)s)))"
)


class HorizonRecorder(KeyedRecorder, PostgresApplicationRecorder):
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
            add_columns(self.datastore.schema, self.events_table_name)
        )
        self.sql_create_statements.extend(
            create_statements(self.datastore.schema, self.events_table_name)
        )
        self.request_keys = RequestKeys(datastore, events_table_name)
        key = zlib.crc32(f"{self.datastore.schema}.{events_table_name}".encode())
        self.lock_key = key - 2**32 if key >= 2**31 else key
        self.sql_create_statements.append(
            append_function(
                self.datastore.schema,
                events_table_name,
                requests_table(events_table_name),
                self.channel_name,
                LOCK_NAMESPACE,
            )
        )
        # Statements of every command as text: psycopg caches the conversion
        # of a text query, not of a composed one.
        self.append_statement = sql.SQL(
            "SELECT notification_id FROM {}(%s::uuid[], %s::bigint[], %s::text[],"
            " %s::bytea[], %s::smallint[], %s::int[], %s, %s::uuid[], %s::text[],"
            " %s::text[], %s::bigint[]) AS notification_id"
        ).format(sql.Identifier(self.datastore.schema, f"{events_table_name}_append"))
        self.append_statement_text = self.append_statement.as_string()
        self.select_after_text = (
            sql.SQL(
                "SELECT originator_version, topic, state FROM {}"
                " WHERE originator_id = %s AND originator_version > %s"
                " ORDER BY originator_version"
            )
            .format(table)
            .as_string()
        )
        self.lock_timeout = f"{datastore.lock_timeout}s"
        self.table = table
        self.writers_statement = WRITERS.format(
            table=sql.Literal(
                f"{quoted(self.datastore.schema)}.{quoted(events_table_name)}"
            )
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
        self,
        stored_events: Sequence[StoredEvent],
        **kwargs: Any,  # noqa: ANN401 - the library's signature
    ) -> Sequence[int] | None:
        if not stored_events:
            return None
        with self.datastore.get_connection() as conn:
            try:
                return self._append(conn, stored_events, rows_of(kwargs))
            except psycopg.IntegrityError:
                raise  # raised by the append after it released its locks
            except BaseException:
                # Failed between its lock and unlock: the session locks must
                # not go back to the pool with the connection.
                if not conn.broken:
                    conn.execute("SELECT pg_advisory_unlock_all()")
                raise

    def _append(
        self,
        conn: Connection[DictRow],
        stored_events: Sequence[StoredEvent],
        requests: Sequence[RequestRow] = (),
    ) -> list[int]:
        """Save in one statement (``append_function``), its own transaction."""
        log_ids = [self.log_of(e.originator_id) for e in stored_events]
        # Fixed order, so that writers to several logs never deadlock.
        locks = [self.lock_keys(log)[1] for log in sorted(set(log_ids))]
        keys = [list(column) for column in zip(*requests, strict=True)] or [[]] * 4
        events = (
            [e.originator_id for e in stored_events],
            [e.originator_version for e in stored_events],
            [e.topic for e in stored_events],
            [e.state for e in stored_events],
        )
        rows = conn.execute(
            self.append_statement_text,
            (*events, log_ids, locks, self.lock_timeout, *keys),
            prepare=True,
        )
        return [row["notification_id"] for row in rows]

    @retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)
    def select_events(
        self,
        originator_id: UUID | str,
        *,
        gt: int | None = None,
        lte: int | None = None,
        desc: bool = False,
        limit: int | None = None,
    ) -> Sequence[StoredEvent]:
        """The library's read; a command's (the events after a version) prepared."""
        if lte is not None or desc or limit is not None:
            selected: Sequence[StoredEvent] = super().select_events(
                originator_id, gt=gt, lte=lte, desc=desc, limit=limit
            )
            return selected
        aggregate_id = (
            originator_id if isinstance(originator_id, UUID) else UUID(originator_id)
        )
        with self.datastore.get_connection() as conn:
            rows = conn.execute(
                self.select_after_text, (aggregate_id, gt or 0), prepare=True
            )
            return [
                StoredEvent(
                    originator_id=aggregate_id,
                    originator_version=row["originator_version"],
                    topic=row["topic"],
                    state=bytes(row["state"]),
                )
                for row in rows
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

    @retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)
    def max_notification_id(self) -> int | None:
        """The highest id a reader may be given now (below the horizon)."""
        return self._max(None, below_horizon=True)

    @retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)
    def max_committed_id(self, log: int | None = None) -> int | None:
        """The highest committed id, horizon or not: what lag is counted against."""
        return self._max(log, below_horizon=False)

    def _max(self, log: int | None, *, below_horizon: bool) -> int | None:
        conditions = [HORIZON] if below_horizon else []
        params: dict[str, object] = {}
        if log is not None:
            conditions.append(sql.SQL("log_id = %(log)s"))
            params["log"] = log
        where = sql.SQL(" AND ").join(conditions) if conditions else sql.SQL("TRUE")
        statement = sql.SQL("SELECT MAX(notification_id) AS max FROM {0} WHERE {1}")
        rows = self._read(
            statement.format(self.table, where), params, below_horizon=below_horizon
        )
        return rows[0]["max"] if rows else None

    def _read(
        self,
        statement: sql.Composed,
        params: dict[str, object],
        *,
        below_horizon: bool,
    ) -> list[DictRow]:
        """Run a read; with ``below_horizon``, statement 1 runs first (see above)."""
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            if below_horizon:
                curs.execute(self.writers_statement, prepare=True)
                head = curs.fetchone()
                assert head is not None  # noqa: S101 - a SELECT without FROM
                params = {**params, "xmax": head["xmax"], "writers": head["writers"]}
            curs.execute(statement, params, prepare=True)
            return curs.fetchall()

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
        params: dict[str, object] = {"limit": limit}
        if log is not None:
            conditions.append(sql.SQL("log_id = %(log)s"))
            params["log"] = log
        if start is not None:
            above = ">=" if inclusive_of_start else ">"
            conditions.append(sql.SQL(f"notification_id {above} %(start)s"))
            params["start"] = start
        if stop is not None:
            conditions.append(sql.SQL("notification_id <= %(stop)s"))
            params["stop"] = stop
        if topics:
            conditions.append(sql.SQL("topic = ANY(%(topics)s)"))
            params["topics"] = list(topics)
        statement = sql.SQL(
            "SELECT notification_id, originator_id, originator_version, topic, state "
            "FROM {0} WHERE {1} ORDER BY notification_id LIMIT %(limit)s"
        ).format(self.table, sql.SQL(" AND ").join(conditions))
        return [
            notification(row)
            for row in self._read(statement, params, below_horizon=True)
        ]

    def oldest_committed_after(self, log: int, position: int) -> Notification | None:
        """The first committed event above ``position``, horizon or not (for lag)."""
        statement = sql.SQL(
            "SELECT notification_id, originator_id, originator_version, topic, state "
            "FROM {0} WHERE log_id = %(log)s AND notification_id > %(start)s "
            "ORDER BY notification_id LIMIT 1"
        ).format(self.table)
        params: dict[str, object] = {"log": log, "start": position}
        rows = self._read(statement, params, below_horizon=False)
        return notification(rows[0]) if rows else None
