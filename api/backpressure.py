"""Back-pressure: at most as many requests use the database as it has connections.

A request waits up to ``LEDGER_BUSY_TIMEOUT`` seconds for one of
``LEDGER_DB_WORKERS`` slots and is otherwise answered 503 ``ledger_busy``
(with Retry-After): an overloaded service says so at once instead of queuing
requests until clients time out. The slots are per worker process, like its
connection pool.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Request


class LedgerBusyError(Exception):
    def __init__(self, waited: float) -> None:
        super().__init__(f"every database slot stayed busy for {waited} s; retry")


class DatabaseSlots:
    def __init__(self, slots: int, timeout: float) -> None:
        self.timeout = timeout
        self._slots = asyncio.Semaphore(slots)

    @asynccontextmanager
    async def held(self) -> AsyncIterator[None]:
        # A free slot is taken at once: wait_for would make a task for it.
        if self._slots.locked():
            try:
                await asyncio.wait_for(self._slots.acquire(), self.timeout)
            except TimeoutError:
                raise LedgerBusyError(self.timeout) from None
        else:
            await self._slots.acquire()
        try:
            yield
        finally:
            self._slots.release()


@asynccontextmanager
async def database_slot(request: Request) -> AsyncIterator[None]:
    """Hold one of the app's slots for the block (none configured: no limit)."""
    slots: DatabaseSlots | None = getattr(request.app.state, "database_slots", None)
    if slots is None:
        yield
        return
    async with slots.held():
        yield
