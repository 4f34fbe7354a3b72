"""Every request's key check and rate-limit charge, on the event loop.

A plain ``def`` dependency runs in FastAPI's thread pool: a thread hop (wake a
worker thread, hand the answer back to the loop) cost about half a
millisecond of CPU a request on this kind of machine, as much as the check
itself. ``KeyStore.admit``'s one statement runs here over psycopg's asyncio
connections instead, from the pool an app opens for its lifetime.
"""

from __future__ import annotations

import psycopg
from psycopg_pool import AsyncConnectionPool

from api.keys import ADMISSION_CONNECTIONS, Admission, KeyStore
from api.limits import RateLimiter


class Admissions:
    def __init__(self, keys: KeyStore, pool_size: int = 4) -> None:
        self.keys = keys
        self.pool: AsyncConnectionPool = AsyncConnectionPool(
            keys.url,
            min_size=1,
            max_size=pool_size,
            timeout=2,
            open=False,
            kwargs=ADMISSION_CONNECTIONS,
        )

    async def open(self) -> None:
        await self.pool.open()

    async def close(self) -> None:
        await self.pool.close()

    async def admit(self, key: str, limiter: RateLimiter) -> Admission:
        """``KeyStore.admit`` without leaving the event loop."""
        query = self.keys.admission(key, limiter)
        if query is None:
            return Admission(None)
        row = None
        for attempt in range(2):
            try:
                async with self.pool.connection() as conn:
                    cursor = await conn.execute(
                        query.statement, query.params, prepare=True
                    )
                    row = await cursor.fetchone()
                break
            except psycopg.OperationalError:
                # A connection lost (the server restarted): test the idle
                # ones, and try once more on a live one.
                if attempt:
                    raise
                await self.pool.check()
        return query.answer(row, limiter)
