"""One process at a time creates tables: concurrent CREATE … IF NOT EXISTS races.

Two ``ledger serve`` workers, or the API and the projector starting together on
a fresh database, would otherwise both try to create the same table or type
and one would fail on PostgreSQL's catalog unique index.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import psycopg

LOCK_KEY = 0x1ED6E5  # any constant; shared by every ledger process


@contextmanager
def schema_lock(url: str) -> Iterator[None]:
    """Hold a session advisory lock while creating schemas, tables and triggers."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", (LOCK_KEY,))
        try:
            yield
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (LOCK_KEY,))
