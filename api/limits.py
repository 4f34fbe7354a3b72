"""Request rate limits shared by every worker process, kept in PostgreSQL.

A limit per process would multiply by ``--workers``. The ledger already has
PostgreSQL and nothing else shared (the `limits` package keeps its counters
in memory, Redis, Memcached, MongoDB or etcd), so each bucket is one row,
updated atomically by one statement: GCRA, the token bucket stated as a
"theoretical arrival time" (``tat``) per bucket. A request at ``now`` is
allowed when ``max(tat, now) − now ≤ (burst − 1) / rate``, and then moves
``tat`` on by ``1 / rate``; a refused request moves nothing.
"""

from __future__ import annotations

import math
import threading
from typing import Final

from psycopg import sql
from psycopg_pool import ConnectionPool

PRUNE_EVERY: Final = 10_000  # requests between deletions of long-idle buckets


# GCRA's update of one bucket; ``{source}`` gives the row to insert when the
# bucket is new (a VALUES row, or a SELECT that yields it only for a live key).
_UPSERT: Final = (
    "INSERT INTO {t} AS r (bucket, tat) {source} "
    "ON CONFLICT (bucket) DO UPDATE "
    "SET tat = GREATEST(r.tat, statement_timestamp()) "
    "+ make_interval(secs => %(t)s) "
    "WHERE GREATEST(r.tat, statement_timestamp()) - statement_timestamp() "
    "<= make_interval(secs => %(tau)s) RETURNING 1"
)
NEW_BUCKET: Final = sql.SQL(
    "%(bucket)s, statement_timestamp() + make_interval(secs => %(t)s)"
)


class RateLimiter:
    """``rate`` requests a second on average, bursts of up to ``burst``, per bucket.

    Its table (``rate_limit_buckets``) is created with the key store's. The
    pool should commit asynchronously (``KeyStore.admissions``): a bucket's
    state is not worth a WAL flush per request, and a crash loses at most
    the last few charges.
    """

    def __init__(
        self, pool: ConnectionPool, schema: str, rate: float, burst: int
    ) -> None:
        self.pool = pool
        self.rate = rate
        self.burst = burst
        self.table = sql.Identifier(schema, "rate_limit_buckets")
        self._calls = 0
        self._lock = threading.Lock()
        self._charge = self.upsert(sql.SQL("VALUES ({})").format(NEW_BUCKET))
        self.ahead = sql.SQL(
            "SELECT EXTRACT(EPOCH FROM tat - statement_timestamp())::float8 "
            "FROM {} WHERE bucket = %(bucket)s"
        ).format(self.table)

    def upsert(self, source: sql.Composable) -> sql.Composed:
        """The statement charging ``%(bucket)s`` (``RETURNING 1`` if allowed)."""
        return sql.SQL(_UPSERT).format(t=self.table, source=source)

    def params(self, bucket: str) -> dict[str, object]:
        interval = 1 / self.rate
        return {"bucket": bucket[:200], "t": interval, "tau": self.tolerance}

    @property
    def tolerance(self) -> float:
        return (self.burst - 1) / self.rate

    def wait_seconds(self, ahead: float | None) -> int:
        """Whole seconds a refused request waits, from its bucket's lead on now."""
        return max(1, math.ceil((ahead or 0.0) - self.tolerance))

    def retry_after(self, bucket: str) -> int:
        """0 if ``bucket`` may go now (and is charged), else whole seconds to wait."""
        params = self.params(bucket)
        with self.pool.connection() as conn:
            allowed = conn.execute(self._charge, params, prepare=True).fetchone()
            # Addresses are unbounded (a key's bucket is one per key): prune here.
            self.maybe_prune(conn)
            if allowed is not None:
                return 0
            row = conn.execute(self.ahead, params).fetchone()
        return self.wait_seconds(float(row[0]) if row else None)

    def maybe_prune(self, conn: object) -> None:
        with self._lock:
            self._calls += 1
            if self._calls % PRUNE_EVERY:
                return
        conn.execute(  # type: ignore[attr-defined]
            sql.SQL("DELETE FROM {} WHERE tat < now() - interval '1 hour'").format(
                self.table
            )
        )
