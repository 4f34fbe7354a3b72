"""Order state rebuilt event by event, in the order the projector reads them."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from copy import copy
from dataclasses import dataclass
from itertools import groupby
from typing import Any
from uuid import UUID

from eventsourcing.postgres import PostgresApplicationRecorder
from eventsourcing.utils import get_topic
from psycopg import sql

from domain.application import OrderLedger, replay
from domain.order import Order
from domain.values import Balance
from store.recorder_sql import notification

ORDER_TOPICS = frozenset(
    get_topic(cls)
    for cls in vars(Order).values()
    if isinstance(cls, type) and issubclass(cls, Order.Event)
)


# Orders at most this long are read ahead: the ledger snapshots every 50.
READ_AHEAD_MAX = OrderLedger.snapshotting_intervals[Order]


@dataclass(frozen=True)
class Folded:
    """An event, the order after it, and (for a replacement) its lines' balances.

    ``replaced``: every line's balances before the replacement; ``after``:
    after it. Copies, since ``order`` is the live object later events change.
    """

    event: Order.Event
    order: Order
    replaced: tuple[tuple[int, str, Balance], ...] = ()
    after: tuple[tuple[int, str, Balance], ...] = ()


def _balances(order: Order) -> tuple[tuple[int, str, Balance], ...]:
    return tuple(
        (line.line_id, pid, copy(balance))
        for line in order.lines
        for pid, balance in line.payments.items()
    )


class OrderFolder:
    """Keeps recently seen orders in memory; loads others from the event store.

    Orders a batch needs that are not in memory (more orders interleave than
    it keeps) are read for the whole batch in one statement (``prefetch``),
    not one load each: a rebuild then goes as fast whatever the interleaving.
    """

    def __init__(
        self, ledger: OrderLedger, capacity: int = 10_000, *, prefetching: bool = True
    ) -> None:
        self.ledger = ledger
        self.capacity = capacity
        self.prefetching = prefetching
        self.orders: OrderedDict[UUID, Order] = OrderedDict()
        self._batch_orders = 0  # kept at least: the orders of the batch in hand

    def prefetch(self, events: Sequence[Order.Event]) -> None:
        """Bring into memory, in one read, each order ``events`` build on."""
        recorder = self.ledger.recorder
        if not self.prefetching or not isinstance(
            recorder, PostgresApplicationRecorder
        ):
            self._batch_orders = 0
            return
        self._batch_orders = len({event.originator_id for event in events})
        needed: dict[UUID, int] = {}  # order → the version before its first here
        for event in events:
            order_id = event.originator_id
            if order_id in self.orders:
                self.orders.move_to_end(order_id)  # not evicted by those read now
            elif order_id not in needed:
                needed[order_id] = event.originator_version - 1
        # A long order is left to ``fold``, which starts from its snapshot:
        # read ahead, it would be replayed from its first event.
        needed = {
            order_id: v for order_id, v in needed.items() if 0 < v <= READ_AHEAD_MAX
        }
        if not needed:
            return
        table = sql.Identifier(recorder.datastore.schema, recorder.events_table_name)
        with recorder.datastore.transaction(commit=False) as curs:
            curs.execute(
                sql.SQL(
                    "SELECT e.notification_id, e.originator_id,"
                    " e.originator_version, e.topic, e.state"
                    " FROM unnest(%s::uuid[], %s::int[]) AS n(id, version)"
                    " JOIN {} e ON e.originator_id = n.id"
                    " AND e.originator_version <= n.version"
                    " ORDER BY e.originator_id, e.originator_version"
                ).format(table),
                (list(needed), list(needed.values())),
            )
            rows = curs.fetchall()
        to_event = self.ledger.mapper.to_domain_event
        for order_id, stored in groupby(rows, key=lambda row: row["originator_id"]):
            folded = replay(None, (to_event(notification(row)) for row in stored))
            self._keep(UUID(str(order_id)), folded)

    def fold(self, event: Order.Event) -> Folded:
        order = self.orders.pop(event.originator_id, None)
        if order is None and event.originator_version > 1:
            order = self.ledger.repository.get(
                event.originator_id,
                version=event.originator_version - 1,
                projector_func=replay,
            )
        replacing = isinstance(event, Order.OrderReplaced)
        replaced = _balances(order) if replacing and order is not None else ()
        mutated: Any = event.mutate(order)
        after = _balances(mutated) if replacing else ()
        self._keep(event.originator_id, mutated)
        return Folded(event, mutated, replaced, after)

    def _keep(self, order_id: UUID, order: Order) -> None:
        self.orders[order_id] = order
        while len(self.orders) > max(self.capacity, self._batch_orders):
            self.orders.popitem(last=False)

    def forget(self) -> None:
        """Drop every cached order (after a failed batch, state may be ahead)."""
        self.orders.clear()
