"""Delivers webhooks: signed, in order per order, retried, logged.

A delivery is claimed with a lease (``FOR UPDATE SKIP LOCKED``), so senders
in several processes never send one twice at once, and one whose sender died
is sent again when its lease ends — with the same ``webhook-id``, so the
receiver can drop the duplicate. A delivery waits while an earlier event of
the same order is still pending for that endpoint (in order per order).
Each endpoint has at most ``PER_ENDPOINT`` requests in flight and every
request a timeout, so a slow or dead endpoint holds a few threads, never the
others, and never a writer (the ledger's commands do not wait for any of it).

Signing is the ``standardwebhooks`` library's. After a failed attempt the
next one waits the schedule's next interval (``LEDGER_WEBHOOK_RETRY_SCHEDULE``)
with ±20 % jitter; after the last, the delivery fails and the endpoint is
disabled with the reason.
"""

from __future__ import annotations

import json
import logging
import random
import threading
import time
from collections import Counter
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final

import httpx
from psycopg import sql
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool
from standardwebhooks.webhooks import Webhook

from outbound.events import shown
from outbound.targets import AllowedHosts, TargetRefusedError, check_target

# Its own generator: jitter never moves the process-wide random state
# (which a test framework in the same process may be watching).
_JITTER = random.Random()  # noqa: S311 - jitter, not a secret

log = logging.getLogger(__name__)
PER_ENDPOINT: Final = 2
RESPONSE_EXCERPT: Final = 500
JITTER: Final = 0.2
# A claimed delivery is the claimer's for its request's timeout and this much more;
# then (its sender died) another sender sends it again, same webhook-id.
LEASE_MARGIN: Final = 2.0


@dataclass(frozen=True)
class SenderSettings:
    schedule: tuple[float, ...]  # seconds between attempts
    timeout: float  # seconds a request may take
    allowed: AllowedHosts
    threads: int = 16


@dataclass(frozen=True)
class Attempt:
    status_code: int | None
    latency_ms: float
    response: str | None
    error: str | None

    @property
    def delivered(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300  # noqa: PLR2004


class Sender:
    def __init__(
        self, pool: ConnectionPool, schema: str, settings: SenderSettings
    ) -> None:
        self.pool = pool
        self.schema = schema
        self.settings = settings
        self._threads = ThreadPoolExecutor(settings.threads, "webhook")
        self._in_flight: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._client = httpx.Client(
            timeout=settings.timeout, follow_redirects=False, trust_env=False
        )

    def _table(self, name: str) -> sql.Identifier:
        return sql.Identifier(self.schema, name)

    def close(self) -> None:
        self._threads.shutdown(wait=True, cancel_futures=True)
        self._client.close()

    def step(self) -> int:
        """Claim what is due and start sending it; how many were started."""
        with self._lock:
            full = [e for e, n in self._in_flight.items() if n >= PER_ENDPOINT]
        claimed = self._claim(full, limit=self.settings.threads)
        for delivery in claimed:
            with self._lock:
                self._in_flight[delivery["endpoint_id"]] += 1
            self._threads.submit(self._send_and_record, delivery)
        return len(claimed)

    def busy(self) -> int:
        with self._lock:
            return sum(self._in_flight.values())

    def _claim(self, full: Sequence[str], limit: int) -> list[dict[str, Any]]:
        """Lease what is due: each order's oldest pending event per endpoint.

        Only the head of each (endpoint, order) can be due, so a failing
        endpoint's backlog waits behind its heads without being scanned as
        due; at most ``PER_ENDPOINT`` heads of one endpoint are taken, the
        most overdue first across endpoints, so one endpoint's backlog never
        fills a batch. The UPDATE checks the lease again: a sender in another
        process that leased a row first wins it.
        """
        lease = timedelta(seconds=self.settings.timeout + LEASE_MARGIN)
        query = sql.SQL(
            "WITH heads AS ("
            " SELECT DISTINCT ON (endpoint_id, order_id) id, endpoint_id,"
            " next_attempt_at, lease_until FROM {d} WHERE status = 'pending'"
            " ORDER BY endpoint_id, order_id, log_id, notification_id),"
            " due AS (SELECT h.id, h.next_attempt_at, row_number() OVER"
            " (PARTITION BY h.endpoint_id ORDER BY h.next_attempt_at) AS rank"
            " FROM heads h JOIN {e} e ON e.id = h.endpoint_id"
            " WHERE NOT e.disabled AND NOT e.deleted AND h.next_attempt_at <= now()"
            " AND (h.lease_until IS NULL OR h.lease_until < now())"
            " AND h.endpoint_id <> ALL(%(full)s))"
            " UPDATE {d} SET lease_until = now() + %(lease)s"
            " WHERE id IN (SELECT id FROM due WHERE rank <= %(per_endpoint)s"
            " ORDER BY rank, next_attempt_at LIMIT %(limit)s)"
            " AND status = 'pending' AND (lease_until IS NULL OR lease_until < now())"
            " RETURNING id, endpoint_id, log_id, notification_id, attempts"
        ).format(
            d=self._table("webhook_deliveries"), e=self._table("webhook_endpoints")
        )
        with self.pool.connection() as conn:
            rows = (
                conn.cursor(row_factory=dict_row)
                .execute(
                    query,
                    {
                        "lease": lease,
                        "full": list(full),
                        "limit": limit,
                        "per_endpoint": PER_ENDPOINT,
                    },
                )
                .fetchall()
            )
        return list(rows)

    def _send_and_record(self, delivery: dict[str, Any]) -> None:
        try:
            target = self._target(delivery)
            attempt = self._send(delivery["id"], *target)
            self._record(delivery, attempt)
        except Exception:
            log.exception("webhook delivery %s failed to run", delivery["id"])
        finally:
            with self._lock:
                self._in_flight[delivery["endpoint_id"]] -= 1

    def _target(self, delivery: dict[str, Any]) -> tuple[str, list[str], bytes]:
        """The endpoint's URL, its signing secrets, and the body to send."""
        with self.pool.connection() as conn:
            curs = conn.cursor(row_factory=dict_row)
            endpoint = curs.execute(
                sql.SQL(
                    "SELECT url, secret, previous_secret,"
                    " previous_until > now() AS previous_valid FROM {} WHERE id = %s"
                ).format(self._table("webhook_endpoints")),
                (delivery["endpoint_id"],),
            ).fetchone()
            row = curs.execute(
                sql.SQL(
                    "SELECT * FROM {} WHERE log_id = %s AND notification_id = %s"
                ).format(self._table("account_events")),
                (delivery["log_id"], delivery["notification_id"]),
            ).fetchone()
        assert endpoint is not None  # noqa: S101 - a foreign key in all but name
        assert row is not None  # noqa: S101
        secrets = [endpoint["secret"]]
        if endpoint["previous_valid"]:
            secrets.append(endpoint["previous_secret"])
        event = shown(row)
        body = {"type": event["type"], "timestamp": event["created_at"], "data": event}
        text = json.dumps(body, separators=(",", ":"), ensure_ascii=False)
        return endpoint["url"], secrets, text.encode()

    def _send(
        self, message_id: str, url: str, secrets: list[str], body: bytes
    ) -> Attempt:
        now = datetime.now(UTC)
        signatures = " ".join(
            Webhook(secret).sign(message_id, now, body) for secret in secrets
        )
        headers = {
            "content-type": "application/json",
            "webhook-id": message_id,
            "webhook-timestamp": str(int(now.timestamp())),
            "webhook-signature": signatures,
            "user-agent": "order-ledger-webhooks",
        }
        started = time.monotonic()
        try:
            check_target(url, self.settings.allowed)
            response = self._client.post(url, content=body, headers=headers)
        except (httpx.HTTPError, TargetRefusedError) as failed:
            latency = (time.monotonic() - started) * 1000
            reason = f"{type(failed).__name__}: {failed}"[:RESPONSE_EXCERPT]
            return Attempt(None, latency, None, reason)
        latency = (time.monotonic() - started) * 1000
        excerpt = response.text[:RESPONSE_EXCERPT]
        refused = None if response.is_success else f"answered {response.status_code}"
        return Attempt(response.status_code, latency, excerpt, refused)

    def _record(self, delivery: dict[str, Any], attempt: Attempt) -> None:
        number = delivery["attempts"] + 1
        deliveries = self._table("webhook_deliveries")
        with self.pool.connection() as conn, conn.transaction():
            conn.execute(
                sql.SQL(
                    "INSERT INTO {} (delivery_id, attempt, attempted_at, status_code,"
                    " latency_ms, response, error)"
                    " VALUES (%s, %s, now(), %s, %s, %s, %s)"
                    " ON CONFLICT DO NOTHING"
                ).format(self._table("webhook_attempts")),
                (
                    delivery["id"], number, attempt.status_code, attempt.latency_ms,
                    attempt.response, attempt.error,
                ),
            )  # fmt: skip
            if attempt.delivered:
                conn.execute(
                    sql.SQL(
                        "UPDATE {} SET status = 'delivered', attempts = %s,"
                        " delivered_at = now(), lease_until = NULL WHERE id = %s"
                    ).format(deliveries),
                    (number, delivery["id"]),
                )
                return
            schedule = self.settings.schedule
            if number <= len(schedule):
                wait = schedule[number - 1] * _JITTER.uniform(1 - JITTER, 1 + JITTER)
                conn.execute(
                    sql.SQL(
                        "UPDATE {} SET attempts = %s, lease_until = NULL,"
                        " next_attempt_at = now() + %s WHERE id = %s"
                    ).format(deliveries),
                    (number, timedelta(seconds=wait), delivery["id"]),
                )
                return
            conn.execute(
                sql.SQL(
                    "UPDATE {} SET status = 'failed', attempts = %s, lease_until = NULL"
                    " WHERE id = %s"
                ).format(deliveries),
                (number, delivery["id"]),
            )
            reason = (
                f"disabled after {number} failed attempts of {delivery['id']}: "
                f"{attempt.error}"
            )
            conn.execute(
                sql.SQL(
                    "UPDATE {} SET disabled = true, disabled_reason = %s,"
                    " updated_at = now() WHERE id = %s"
                ).format(self._table("webhook_endpoints")),
                (reason[:1000], delivery["endpoint_id"]),
            )
            log.warning("webhook endpoint %s %s", delivery["endpoint_id"], reason)
