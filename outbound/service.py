"""The outbound service: the follower's and the sender's loops.

Also what the API and the command line ask of them: the feed, status,
the delivery log, replay.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

from psycopg import sql
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool

from domain.application import OrderLedger
from outbound.ddl import create_tables
from outbound.endpoints import ALL_EVENTS, Endpoints
from outbound.feed import FeedPage, read_page
from outbound.follower import OutboundFollower
from outbound.sender import Sender, SenderSettings
from projections.setup import ProjectionLaggingError
from projections.wakeup import Wakeup

log = logging.getLogger(__name__)
IDLE_SECONDS: Final = 0.2
POLL_SECONDS: Final = 0.1


@dataclass(frozen=True)
class OutboundStatus:
    pending: int
    failed: int
    oldest_undelivered_seconds: float
    events_behind: int
    endpoints_disabled: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "pending": self.pending,
            "failed": self.failed,
            "oldest_undelivered_seconds": round(self.oldest_undelivered_seconds, 3),
            "events_behind": self.events_behind,
            "endpoints_disabled": self.endpoints_disabled,
        }


class Outbound:
    def __init__(
        self,
        ledger: OrderLedger,
        url: str,
        schema: str,
        settings: SenderSettings,
        *,
        followed_elsewhere: bool = False,
    ) -> None:
        self.ledger = ledger
        self.schema = schema
        self.pool = ConnectionPool(
            url,
            min_size=1,
            max_size=settings.threads + 4,
            timeout=5,
            open=True,
            kwargs={"autocommit": True},
        )
        with self.pool.connection() as conn:
            create_tables(conn, schema)
        self.endpoints = Endpoints(self.pool, schema, settings.allowed)
        self.follower = OutboundFollower(ledger, self.pool, schema)
        self.sender = Sender(self.pool, schema, settings)
        self.followed_elsewhere = followed_elsewhere
        self._stop = threading.Event()
        self._work = threading.Event()
        self._threads: list[threading.Thread] = []

    def _table(self, name: str) -> sql.Identifier:
        return sql.Identifier(self.schema, name)

    # --- running -----------------------------------------------------------

    def start(self) -> None:
        for target, name in ((self._follow, "follow"), (self._send, "send")):
            thread = threading.Thread(
                target=target, name=f"webhooks-{name}", daemon=True
            )
            thread.start()
            self._threads.append(thread)

    def stop(self) -> None:
        self._stop.set()
        self._work.set()
        for thread in self._threads:
            thread.join(timeout=10)
        self._threads.clear()

    def close(self) -> None:
        self.stop()
        self.sender.close()
        self.pool.close()

    def _follow(self) -> None:
        wakeup = Wakeup.following(self.ledger.recorder)  # type: ignore[arg-type]
        try:
            while not self._stop.is_set():
                try:
                    if self.follower.step():
                        self._work.set()
                    else:
                        wakeup.wait(IDLE_SECONDS, self._stop)
                except Exception:
                    log.exception("webhooks: the follower failed; retrying")
                    self._stop.wait(1.0)
        finally:
            wakeup.close()

    def _send(self) -> None:
        while not self._stop.is_set():
            try:
                if not self.sender.step():
                    self._work.wait(POLL_SECONDS)
                    self._work.clear()
            except Exception:
                log.exception("webhooks: the sender failed; retrying")
                self._stop.wait(1.0)

    # --- reading -----------------------------------------------------------

    def wait_for_head(self, timeout: float) -> None:
        """Every event committed now is in the feed, or ProjectionLaggingError."""
        heads = self.follower.log.heads()
        started = time.monotonic()
        while not self.follower.reached(heads):
            waited = time.monotonic() - started
            if waited > timeout:
                raise ProjectionLaggingError("outbound", self.follower.lag(), waited)
            if self._threads or self.followed_elsewhere:
                time.sleep(POLL_SECONDS / 10)
            else:
                self.follower.step()  # alone (a command): follow here

    def feed(
        self,
        account: str,
        starting_after: str | None,
        limit: int,
        types: Sequence[str],
        wait: float,
    ) -> FeedPage:
        self.wait_for_head(wait)
        return read_page(
            self.pool, self.schema, account,
            starting_after=starting_after, limit=limit, types=types,
        )  # fmt: skip

    def deliveries(
        self, account: str, endpoint_id: str, limit: int = 100
    ) -> list[dict[str, Any]]:
        """The endpoint's deliveries, newest first, each with its attempts."""
        self.endpoints.get(account, endpoint_id)  # 404 unless it is the account's
        query = sql.SQL(
            "SELECT d.id, d.status, d.attempts, d.next_attempt_at, d.created_at,"
            " d.delivered_at, a.type AS event_type, a.event_id, a.order_id,"
            " COALESCE((SELECT json_agg(json_build_object('attempt', t.attempt,"
            "  'at', t.attempted_at, 'status_code', t.status_code,"
            "  'latency_ms', round(t.latency_ms::numeric, 1), 'response', t.response,"
            "  'error', t.error) ORDER BY t.attempt) FROM {t} t"
            "  WHERE t.delivery_id = d.id), '[]') AS attempt_log"
            " FROM {d} d JOIN {a} a ON a.log_id = d.log_id"
            " AND a.notification_id = d.notification_id"
            " WHERE d.endpoint_id = %s ORDER BY d.log_id DESC, d.notification_id DESC"
            " LIMIT %s"
        ).format(
            t=self._table("webhook_attempts"),
            d=self._table("webhook_deliveries"),
            a=self._table("account_events"),
        )
        with self.pool.connection() as conn:
            rows = (
                conn.cursor(row_factory=dict_row)
                .execute(query, (endpoint_id, limit))
                .fetchall()
            )
        return [dict(row) for row in rows]

    def status(self) -> OutboundStatus:
        query = sql.SQL(
            "SELECT count(*) FILTER (WHERE status = 'pending') AS pending,"
            " count(*) FILTER (WHERE status = 'failed') AS failed,"
            " COALESCE(EXTRACT(EPOCH FROM now() - min(created_at)"
            "  FILTER (WHERE status = 'pending')), 0) AS oldest,"
            " (SELECT count(*) FROM {e} WHERE disabled AND NOT deleted) AS disabled"
            " FROM {d}"
        ).format(
            d=self._table("webhook_deliveries"), e=self._table("webhook_endpoints")
        )
        with self.pool.connection() as conn:
            row = conn.cursor(row_factory=dict_row).execute(query).fetchone()
        assert row is not None  # noqa: S101 - an aggregate returns a row
        return OutboundStatus(
            int(row["pending"]),
            int(row["failed"]),
            float(row["oldest"]),
            self.follower.lag(),
            int(row["disabled"]),
        )

    # --- replay ------------------------------------------------------------

    def replay(
        self,
        account: str,
        endpoint_id: str,
        *,
        start: datetime | None = None,
        end: datetime | None = None,
        delivery_id: str | None = None,
    ) -> int:
        """Send again: one delivery, or every wanted event recorded in a range.

        Events of the range the endpoint never had (made later, or another
        type then) get a delivery; those it had are sent again, under their
        first ``webhook-id``. Returns how many are queued.
        """
        endpoint = self.endpoints.get(account, endpoint_id)
        deliveries = self._table("webhook_deliveries")
        with self.pool.connection() as conn, conn.transaction():
            if delivery_id is not None:
                return conn.execute(
                    sql.SQL(
                        "UPDATE {} SET status = 'pending', attempts = 0,"
                        " next_attempt_at = now(), lease_until = NULL"
                        " WHERE id = %s AND endpoint_id = %s"
                    ).format(deliveries),
                    (delivery_id, endpoint_id),
                ).rowcount
            types = None if ALL_EVENTS in endpoint.events else list(endpoint.events)
            inserted = conn.execute(
                sql.SQL(
                    "INSERT INTO {d} (id, endpoint_id, account, log_id,"
                    " notification_id, order_id)"
                    " SELECT 'msg_' || %(endpoint)s || '_' || a.event_id,"
                    " %(endpoint)s, a.account, a.log_id, a.notification_id, a.order_id"
                    " FROM {a} a WHERE a.account = %(account)s"
                    " AND a.created_at >= %(start)s AND a.created_at < %(end)s"
                    " AND (%(types)s::text[] IS NULL OR a.type = ANY(%(types)s))"
                    " ON CONFLICT (id) DO UPDATE SET status = 'pending', attempts = 0,"
                    " next_attempt_at = now(), lease_until = NULL"
                ).format(d=deliveries, a=self._table("account_events")),
                {
                    "endpoint": endpoint_id,
                    "account": account,
                    "start": start or datetime.min.replace(tzinfo=UTC),
                    "end": end or datetime.max.replace(tzinfo=UTC),
                    "types": types,
                },
            ).rowcount
        self._work.set()
        return inserted
