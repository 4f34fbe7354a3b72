"""Follows the ledger's notification log and writes each order event once.

Like a read model, with its own position per log (``outbound_tracking``),
moved in the same transaction as what it writes: the event as the feed and
the webhooks show it (``account_events``), and a delivery for each endpoint
of the account that wants its type (``webhook_deliveries``). So a crash
between the two is impossible, and a restart goes on where it stopped. The
position row is locked for the step, so followers in several processes take
turns and never write an event twice. Reading the log through the ledger's
recorder keeps its horizon rule: nothing is passed over that commits later.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any, Final
from uuid import UUID

from eventsourcing.persistence import Notification
from psycopg import Connection, sql
from psycopg.types.json import Jsonb
from psycopg_pool import ConnectionPool

from domain.application import OrderLedger
from domain.order import Order
from outbound.endpoints import ALL_EVENTS
from outbound.events import OutboundEvent
from projections.log_reader import LogReader

log = logging.getLogger(__name__)
ORDER_TOPIC_PREFIX: Final = f"{Order.__module__}:{Order.__qualname__}."
BATCH: Final = 500
OWNERS_CACHED: Final = 100_000


class OutboundFollower:
    def __init__(self, ledger: OrderLedger, pool: ConnectionPool, schema: str) -> None:
        self.ledger = ledger
        self.pool = pool
        self.schema = schema
        self.log = LogReader(ledger)
        self._owners: dict[UUID, tuple[str, str] | None] = {}
        self.set_aside = 0  # events that could not be read (old data)

    def _table(self, name: str) -> sql.Identifier:
        return sql.Identifier(self.schema, name)

    def position(self, log_id: int) -> int:
        with self.pool.connection() as conn:
            row = conn.execute(
                sql.SQL("SELECT position FROM {} WHERE log_id = %s").format(
                    self._table("outbound_tracking")
                ),
                (log_id,),
            ).fetchone()
        return int(row[0]) if row else 0

    def reached(self, heads: dict[int, int]) -> bool:
        return all(self.position(log_id) >= head for log_id, head in heads.items())

    def lag(self) -> int:
        return sum(
            max(0, self.log.head(log_id) - self.position(log_id))
            for log_id in self.log.logs()
        )

    def step(self) -> int:
        """Write the next batch of each log; how many events were written."""
        return sum(self._step(log_id) for log_id in self.log.logs())

    def _step(self, log_id: int) -> int:
        tracking = self._table("outbound_tracking")
        with self.pool.connection() as conn, conn.transaction():
            conn.execute(
                sql.SQL(
                    "INSERT INTO {} (log_id, position) VALUES (%s, 0)"
                    " ON CONFLICT DO NOTHING"
                ).format(tracking),
                (log_id,),
            )
            row = conn.execute(
                sql.SQL("SELECT position FROM {} WHERE log_id = %s FOR UPDATE").format(
                    tracking
                ),
                (log_id,),
            ).fetchone()
            position = int(row[0]) if row else 0
            notifications = self.log.select(log_id, position + 1, BATCH)
            if not notifications:
                return 0
            events = self._order_events(notifications)
            self._write(conn, log_id, events)
            conn.execute(
                sql.SQL("UPDATE {} SET position = %s WHERE log_id = %s").format(
                    tracking
                ),
                (notifications[-1].id, log_id),
            )
        return len(notifications)

    def _order_events(
        self, notifications: Sequence[Notification]
    ) -> list[tuple[int, OutboundEvent]]:
        found = []
        for notification in notifications:
            if not notification.topic.startswith(ORDER_TOPIC_PREFIX):
                continue  # drafts and snapshots are not the account's events
            try:
                event = self.ledger.mapper.to_domain_event(notification)
            except Exception:
                log.exception("outbound: cannot read event %d", notification.id)
                self.set_aside += 1
                continue
            owner = self._owner(event)
            if owner is not None:
                found.append((notification.id, OutboundEvent(*owner, event)))
        return found

    def _owner(self, event: Any) -> tuple[str, str] | None:  # noqa: ANN401
        if isinstance(event, Order.Opened):
            owner: tuple[str, str] | None = (event.account, event.order_ref)
        elif event.originator_id in self._owners:
            owner = self._owners[event.originator_id]
        else:
            owner = self.ledger.owner_of(event.originator_id)
        if len(self._owners) >= OWNERS_CACHED:
            self._owners.clear()
        self._owners[event.originator_id] = owner
        return owner

    def _write(
        self,
        conn: Connection[Any],
        log_id: int,
        events: Sequence[tuple[int, OutboundEvent]],
    ) -> None:
        if not events:
            return
        with conn.cursor() as curs:
            curs.executemany(
                sql.SQL(
                    "INSERT INTO {} (log_id, notification_id, account, event_id, type,"
                    " order_id, originator_id, version, created_at, business_time,"
                    " data) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
                    " ON CONFLICT DO NOTHING"
                ).format(self._table("account_events")),
                [
                    (
                        log_id, nid, e.account, e.id, e.type, e.order_id,
                        e.event.originator_id, e.event.originator_version,
                        e.event.timestamp, e.business_time, Jsonb(e.data()),
                    )
                    for nid, e in events
                ],
            )  # fmt: skip
        accounts = sorted({e.account for _, e in events})
        endpoints = conn.execute(
            sql.SQL(
                "SELECT id, account, events FROM {} WHERE account = ANY(%s)"
                " AND NOT deleted AND NOT disabled"
            ).format(self._table("webhook_endpoints")),
            (accounts,),
        ).fetchall()
        deliveries = [
            (
                f"msg_{endpoint_id}_{e.id}",
                endpoint_id,
                e.account,
                log_id,
                nid,
                e.order_id,
            )
            for endpoint_id, account, wanted in endpoints
            for nid, e in events
            if e.account == account and (ALL_EVENTS in wanted or e.type in wanted)
        ]
        if deliveries:
            with conn.cursor() as curs:
                curs.executemany(
                    sql.SQL(
                        "INSERT INTO {} (id, endpoint_id, account, log_id,"
                        " notification_id, order_id) VALUES (%s, %s, %s, %s, %s, %s)"
                        " ON CONFLICT DO NOTHING"
                    ).format(self._table("webhook_deliveries")),
                    deliveries,
                )
