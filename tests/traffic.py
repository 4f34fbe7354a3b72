"""What a piece of code sends to PostgreSQL, counted at psycopg's API.

The bench reports these counts per command, and the integration tests hold
the command path to them.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import psycopg

from domain.application import OrderLedger
from domain.context import RequestContext
from domain.values import Allocation
from tests.builders import item


@dataclass(frozen=True)
class Traffic:
    statements: float  # per command
    round_trips: float
    checkouts: float


@contextmanager
def counted() -> Iterator[dict[str, int]]:
    """Count psycopg statements, round trips and pool checkouts in this process.

    A statement outside a pipeline is one round trip; a pipeline's statements
    are one per sync (explicit, or at the end of the block). psycopg's own
    BEGIN, COMMIT and ROLLBACK (``_exec_command``) count as statements too.
    """
    import psycopg_pool  # noqa: PLC0415
    from psycopg._connection_base import BaseConnection  # noqa: PLC0415

    counts = {"statements": 0, "round_trips": 0, "checkouts": 0}
    execute, sync, leave = (
        psycopg.Cursor.execute,
        psycopg.Pipeline.sync,
        psycopg.Pipeline.__exit__,
    )
    getconn = psycopg_pool.ConnectionPool.getconn
    command = BaseConnection._exec_command

    def counting_execute(cursor: Any, *args: Any, **kwargs: Any) -> Any:
        counts["statements"] += 1
        if cursor.connection._pipeline is None:
            counts["round_trips"] += 1
        return execute(cursor, *args, **kwargs)

    def counting_sync(pipeline: Any) -> Any:
        counts["round_trips"] += 1
        return sync(pipeline)

    def counting_exit(pipeline: Any, *args: Any) -> Any:
        counts["round_trips"] += 1
        return leave(pipeline, *args)

    def counting_command(conn: Any, *args: Any, **kwargs: Any) -> Any:
        # BEGIN, COMMIT, ROLLBACK, SAVEPOINT: psycopg sends them itself.
        counts["statements"] += 1
        if conn._pipeline is None:
            counts["round_trips"] += 1
        return (yield from command(conn, *args, **kwargs))

    def counting_getconn(pool: Any, *args: Any, **kwargs: Any) -> Any:
        counts["checkouts"] += 1
        return getconn(pool, *args, **kwargs)

    psycopg.Cursor.execute = counting_execute  # type: ignore[method-assign]
    psycopg.Pipeline.sync = counting_sync  # type: ignore[method-assign]
    psycopg.Pipeline.__exit__ = counting_exit  # type: ignore[method-assign]
    psycopg_pool.ConnectionPool.getconn = counting_getconn  # type: ignore[method-assign]
    BaseConnection._exec_command = counting_command  # type: ignore[method-assign]
    try:
        yield counts
    finally:
        psycopg.Cursor.execute = execute  # type: ignore[method-assign]
        psycopg.Pipeline.sync = sync  # type: ignore[method-assign]
        psycopg.Pipeline.__exit__ = leave  # type: ignore[method-assign]
        psycopg_pool.ConnectionPool.getconn = getconn  # type: ignore[method-assign]
        BaseConnection._exec_command = command  # type: ignore[method-assign]


def hot_capture_traffic(ledger: OrderLedger, *, keyed: bool, n: int = 200) -> Traffic:
    """What a 1-unit capture of a cached hot order sends to PostgreSQL."""
    ref = f"HOT-{uuid.uuid4().hex[:8]}"
    ledger.authorize_order("bench", ref, "EUR", [item(1, 10**9)], (10**9, 10**9), "P")
    ledger.capture("bench", ref, "P", [Allocation(1, 1)])  # warm the cache
    with counted() as counts:
        for number in range(n):
            context = RequestContext(idempotency_key=f"k{number}" if keyed else None)
            ledger.capture("bench", ref, "P", [Allocation(1, 1)], context=context)
    return Traffic(*(counts[k] / n for k in ("statements", "round_trips", "checkouts")))
