"""Connection health without a round trip per checkout; one checkout a command.

eventsourcing's pre-ping tests every pooled connection as it is checked out:
one round trip of a command's seven, twice per command. Without it a dead
connection is found when it is used; the library's recorders then retry
(ten attempts), which is enough for one dead connection but not for a pool
full of them after a database restart. So the first failure tests every idle
connection at once (``ConnectionPool.check`` replaces the broken ones), and
the retry gets a live connection.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager

from eventsourcing.persistence import InterfaceError, OperationalError
from eventsourcing.postgres import PostgresDatastore
from psycopg import Connection
from psycopg.rows import DictRow


def check_pool_after_failure(datastore: PostgresDatastore) -> None:
    """Make ``datastore`` test its idle connections when one of them fails."""
    checkout = datastore.get_connection

    @contextmanager
    def get_connection() -> Iterator[Connection[DictRow]]:
        used: Connection[DictRow] | None = None
        try:
            with checkout() as conn:
                used = conn
                yield conn
        except (OperationalError, InterfaceError):
            # A lock timeout is an OperationalError too, on a live connection:
            # only a lost one (or none to be had) says the others may be dead.
            if used is None or used.broken or used.closed:
                datastore.pool.check()
            raise

    datastore.get_connection = get_connection  # type: ignore[method-assign]


def one_connection_per_command(
    datastore: PostgresDatastore,
) -> Callable[[], AbstractContextManager[None]]:
    """A block within which this thread's checkouts from the pool share one.

    A command reads its order and saves in two statements; inside the block
    both (and a key lookup, a snapshot) use the connection the block checked
    out, and return it once, at the end. A connection lost inside the block
    is let go, so that the recorders' retries get a live one.
    """
    pool = datastore.pool
    checkout = pool.connection
    local = threading.local()

    @contextmanager
    def connection(timeout: float | None = None) -> Iterator[Connection[DictRow]]:
        held: Connection[DictRow] | None = getattr(local, "conn", None)
        if held is None:
            with checkout(timeout) as conn:
                yield conn
            return
        try:
            yield held
        finally:
            if held.broken or held.closed:
                local.conn = None  # the block's end gives it back to be discarded

    @contextmanager
    def holding() -> Iterator[None]:
        if getattr(local, "conn", None) is not None:
            yield  # already inside a block
            return
        with checkout() as conn:
            local.conn = conn
            try:
                yield
            finally:
                local.conn = None

    pool.connection = connection  # type: ignore[method-assign]
    return holding
