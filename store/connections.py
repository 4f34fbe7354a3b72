"""Connection health without a round trip per checkout.

eventsourcing's pre-ping tests every pooled connection as it is checked out:
one round trip of a command's seven, twice per command. Without it a dead
connection is found when it is used; the library's recorders then retry
(ten attempts), which is enough for one dead connection but not for a pool
full of them after a database restart. So the first failure tests every idle
connection at once (``ConnectionPool.check`` replaces the broken ones), and
the retry gets a live connection.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

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
