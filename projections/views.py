"""Read models in PostgreSQL, each written with its tracking row in one transaction."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC
from typing import Any, ClassVar
from uuid import UUID

from eventsourcing.persistence import Tracking
from eventsourcing.postgres import PostgresDatastore, PostgresTrackingRecorder
from psycopg import Cursor, sql
from psycopg.rows import DictRow

from domain.order import Order
from projections import ddl
from projections.fold import Folded
from projections.journal import journal_rows
from projections.order_totals import (
    ADD_ORDERS,
    ORDER_TOTALS,
    SUBTRACT_ORDERS,
    SUM_EVERY_ORDER,
)

UPSTREAM = "ledger"  # the application whose notification log is projected
DEAD_LETTER_TABLE = "projection_dead_letters"
CHECKSUM_BATCH = 10_000  # rows a checksum fetches at a time


@dataclass(frozen=True)
class DeadLetter:
    """An event a view could not project, and why; the view went on without it."""

    notification_id: int
    originator_id: UUID
    originator_version: int
    topic: str
    reason: str


def upstream(log: int) -> str:
    """The tracking name of one notification log (log 0 keeps the plain name)."""
    return UPSTREAM if log == 0 else f"{UPSTREAM}/{log}"


class ReadModelView(PostgresTrackingRecorder):
    """A named set of tables fed from the ledger's events, exactly once.

    ``process`` writes a whole batch of events and the position of its last
    notification in one transaction; a batch seen before fails its tracking
    insert and rolls back, so redelivery changes nothing.
    """

    name: ClassVar[str]
    tables: ClassVar[tuple[str, ...]]
    statements: ClassVar[tuple[str, ...]]
    rebuilding = False  # set by the runner while it rebuilds (see ``rebuilt``)

    def __init__(self, datastore: PostgresDatastore) -> None:
        super().__init__(datastore, tracking_table_name=f"{self.name}_tracking")
        schema = sql.Identifier(self.datastore.schema)
        name = sql.Literal(self.datastore.schema)
        self.sql_create_statements.extend(
            sql.SQL(statement).format(schema=schema, schema_name=name)
            for statement in (*self.statements, *ddl.DEAD_LETTERS)
        )

    def table(self, name: str) -> sql.Composed:
        return sql.SQL("{}.{}").format(
            sql.Identifier(self.datastore.schema), sql.Identifier(name)
        )

    def position(self, log: int = 0) -> int:
        return self.max_tracking_id(upstream(log)) or 0

    def process(
        self,
        folded: Sequence[tuple[Folded, int]],
        last_notification_id: int,
        log: int = 0,
        curs: Cursor[DictRow] | None = None,
    ) -> None:
        """Write a batch and its position atomically (in ``curs``'s transaction)."""
        with self._writing(curs) as writing:
            if folded:
                self.write(writing, folded)
            self._insert_tracking(
                writing, Tracking(upstream(log), last_notification_id)
            )

    @contextmanager
    def _writing(self, curs: Cursor[DictRow] | None) -> Iterator[Cursor[DictRow]]:
        """``curs`` if given (a rebuild's transaction), else a new transaction."""
        if curs is not None:
            yield curs
            return
        with self.datastore.transaction(commit=True) as own:
            yield own

    def write(
        self, curs: Cursor[DictRow], folded: Sequence[tuple[Folded, int]]
    ) -> None:
        raise NotImplementedError

    def rebuilt(self, curs: Cursor[DictRow]) -> None:
        """After a rebuild's last batch, in its transaction: what is summed once."""

    def set_aside(
        self, letter: DeadLetter, log: int = 0, curs: Cursor[DictRow] | None = None
    ) -> None:
        """Record an event this view cannot project, and move past it, atomically."""
        with self._writing(curs) as writing:
            writing.execute(
                sql.SQL(
                    "INSERT INTO {} (view_name, notification_id, originator_id, "
                    "originator_version, topic, reason) VALUES (%s, %s, %s, %s, %s, %s)"
                ).format(self.table(DEAD_LETTER_TABLE)),
                (
                    self.name,
                    letter.notification_id,
                    letter.originator_id,
                    letter.originator_version,
                    letter.topic,
                    letter.reason[:2000],
                ),
            )
            self._insert_tracking(
                writing, Tracking(upstream(log), letter.notification_id)
            )

    def dead_letters(self) -> list[DeadLetter]:
        """Every event set aside, oldest first."""
        with self.datastore.transaction(commit=False) as curs:
            curs.execute(
                sql.SQL(
                    "SELECT notification_id, originator_id, originator_version, topic, "
                    "reason FROM {} WHERE view_name = %s ORDER BY notification_id"
                ).format(self.table(DEAD_LETTER_TABLE)),
                (self.name,),
            )
            return [DeadLetter(**row) for row in curs.fetchall()]

    def reset(self, curs: Cursor[DictRow] | None = None) -> None:
        """Empty the tables and forget the position, in one transaction.

        DELETE, not TRUNCATE: inside a rebuild's transaction, readers go on
        seeing the old rows (TRUNCATE's lock would block them) until the
        rebuilt ones commit.
        """
        with self._writing(curs) as writing:
            for name in self.tables:
                writing.execute(sql.SQL("DELETE FROM {}").format(self.table(name)))
            writing.execute(
                sql.SQL("DELETE FROM {} WHERE view_name = %s").format(
                    self.table(DEAD_LETTER_TABLE)
                ),
                (self.name,),
            )
            writing.execute(
                sql.SQL(
                    "DELETE FROM {} WHERE application_name = %s "
                    "OR application_name LIKE %s"
                ).format(self.table(self.tracking_table_name)),
                (UPSTREAM, f"{UPSTREAM}/%"),
            )

    def checksum(self) -> str:
        """MD5 over every table's rows in a fixed order: equal content, equal sum.

        The rows are streamed through a server-side cursor into the hash, so
        no table is ever one text value (PostgreSQL caps one at 1 GB); the sum
        is the one ``md5`` of the rows' text joined by newlines, in text order,
        gives in SQL.
        """
        parts = []
        with self.datastore.transaction(commit=False) as curs:
            for name in self.tables:
                digest = hashlib.md5(usedforsecurity=False)
                rows = curs.connection.cursor(name=f"checksum_{name}")
                rows.itersize = CHECKSUM_BATCH
                rows.execute(
                    sql.SQL("SELECT t::text FROM {} t ORDER BY t::text").format(
                        self.table(name)
                    )
                )
                for index, row in enumerate(rows):
                    text = next(iter(row.values())) if isinstance(row, dict) else row[0]
                    digest.update((b"\n" if index else b"") + str(text).encode())
                rows.close()
                parts.append(f"{name}:{digest.hexdigest()}")
        return " ".join(parts)


class BalancesView(ReadModelView):
    """Per-line and per-payment balances and order summaries, as of the last event."""

    name = "balances"
    tables = (
        "line_balances",
        "payment_balances",
        "payment_authorizations",
        "order_summaries",
    )
    statements = (*ddl.BALANCES, *ORDER_TOTALS)

    def write(
        self, curs: Cursor[DictRow], folded: Sequence[tuple[Folded, int]]
    ) -> None:
        orders: dict[tuple[str, str], Order] = {}
        opened: set[tuple[str, str]] = set()  # orders with no rows before this batch
        first_authorizations = []
        for item, _ in folded:
            order = item.order
            orders[(order.account, order.order_ref)] = order
            if item.event.originator_version == 1:
                opened.add((order.account, order.order_ref))
            if isinstance(item.event, Order.Authorized):
                first_authorizations.append(
                    (
                        order.account,
                        order.order_ref,
                        item.event.payment_id,
                        item.event.timestamp,
                    )
                )
        for name in ("line_balances", "payment_balances"):
            # One point delete per order: a set-based DELETE … IN (unnest)
            # was planned as a sequential scan while a rebuild outgrew the
            # table's statistics, and slowed to a crawl.
            curs.executemany(
                sql.SQL("DELETE FROM {} WHERE account = %s AND order_id = %s").format(
                    self.table(name)
                ),
                [key for key in orders if key not in opened],
            )
        s = sql.Identifier(self.datastore.schema)
        keys = ([account for account, _ in orders], [order for _, order in orders])
        if not self.rebuilding:
            curs.execute(sql.SQL(SUBTRACT_ORDERS).format(schema=s), keys)
        curs.executemany(
            sql.SQL(ddl.INSERT_FIRST_AUTHORIZATION).format(schema=s),
            first_authorizations,
        )
        copy_rows(
            curs,
            self.table("line_balances"),
            [row for order in orders.values() for row in ddl.line_rows(order)],
        )
        curs.executemany(
            sql.SQL(ddl.INSERT_PAYMENT).format(schema=s),
            [row for order in orders.values() for row in ddl.payment_rows(order)],
        )
        curs.executemany(
            sql.SQL(ddl.UPSERT_SUMMARY).format(schema=s),
            [ddl.summary_row(order) for order in orders.values()],
        )
        if not self.rebuilding:
            curs.execute(sql.SQL(ADD_ORDERS).format(schema=s), keys)

    def reset(self, curs: Cursor[DictRow] | None = None) -> None:
        with self._writing(curs) as writing:
            super().reset(writing)
            writing.execute(
                sql.SQL("DELETE FROM {}").format(self.table("order_totals"))
            )

    def rebuilt(self, curs: Cursor[DictRow]) -> None:
        """Every summary is written: sum them (projections/order_totals.py)."""
        schema = sql.Identifier(self.datastore.schema)
        curs.execute(sql.SQL(SUM_EVERY_ORDER).format(schema=schema))


class JournalView(ReadModelView):
    """The flat journal of money movements."""

    name = "journal"
    tables = ("journal", "journal_days")
    statements = ddl.JOURNAL

    def write(
        self, curs: Cursor[DictRow], folded: Sequence[tuple[Folded, int]]
    ) -> None:
        rows = [
            (
                r.account,
                r.order_id,
                r.line_id,
                r.payment_id,
                r.kind,
                r.amount,
                r.currency,
                r.occurred_at,
                r.originator_id,
                r.version,
                r.notification_id,
                r.reference,
                r.capture_reference,
                seq,
            )
            for item, notification_id in folded
            for seq, r in enumerate(journal_rows(item, notification_id))
        ]
        copy_rows(curs, self.table("journal"), rows)
        days: dict[tuple[Any, ...], int] = defaultdict(int)
        for row in rows:
            account, _, _, payment_id, kind, amount, currency, occurred_at = row[:8]
            day = occurred_at.astimezone(UTC).date()
            days[account, day, currency, payment_id, kind] += amount
        curs.executemany(
            sql.SQL(ddl.UPSERT_JOURNAL_DAY).format(
                schema=sql.Identifier(self.datastore.schema)
            ),
            [(*key, amount) for key, amount in sorted(days.items())],
        )


def copy_rows(
    curs: Cursor[DictRow], table: sql.Composed, rows: Sequence[tuple[Any, ...]]
) -> None:
    """Append rows with COPY: one statement a batch, not one INSERT a row.

    A row that is already there (a redelivered batch) fails the primary key
    as an INSERT would, and the whole batch rolls back.
    """
    if rows:
        with curs.copy(sql.SQL("COPY {} FROM STDIN").format(table)) as copy:
            for row in rows:
                copy.write_row(row)


VIEWS: dict[str, type[ReadModelView]] = {v.name: v for v in (BalancesView, JournalView)}
