"""What a runner needs to isolate an event that cannot be projected.

A failure of the database connection is transient: retried, never set aside.
Any other failure of one event is that event's: it is set aside with its
reason (a dead letter), and so are the later events of its order.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from uuid import UUID

import psycopg
from eventsourcing.persistence import InterfaceError, Notification, OperationalError
from psycopg import Cursor
from psycopg.rows import DictRow

# Failures of the database connection, not of an event: retried, never set aside.
TRANSIENT = (
    InterfaceError,
    OperationalError,
    psycopg.InterfaceError,
    psycopg.OperationalError,
    ConnectionError,
    TimeoutError,
)


class PoisonedOrderError(Exception):
    """An earlier event of this order was set aside."""

    def __init__(self, originator_id: UUID) -> None:
        super().__init__(f"an earlier event of order {originator_id} was set aside")


def order_id(notification: Notification) -> UUID:
    originator = notification.originator_id
    return originator if isinstance(originator, UUID) else UUID(originator)


@contextmanager
def savepoint(curs: Cursor[DictRow] | None) -> Iterator[None]:
    """Inside a rebuild's transaction, a failure undoes only this block."""
    if curs is None:
        yield
        return
    with curs.connection.transaction():
        yield
