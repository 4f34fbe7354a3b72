"""Order state rebuilt event by event, in the order the projector reads them."""

from __future__ import annotations

from collections import OrderedDict
from copy import copy
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from eventsourcing.utils import get_topic

from domain.application import OrderLedger, replay
from domain.order import Order
from domain.values import Balance

ORDER_TOPICS = frozenset(
    get_topic(cls)
    for cls in vars(Order).values()
    if isinstance(cls, type) and issubclass(cls, Order.Event)
)


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
    """Keeps recently seen orders in memory; loads others from the event store."""

    def __init__(self, ledger: OrderLedger, capacity: int = 10_000) -> None:
        self.ledger = ledger
        self.capacity = capacity
        self.orders: OrderedDict[UUID, Order] = OrderedDict()

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
        self.orders[event.originator_id] = mutated
        while len(self.orders) > self.capacity:
            self.orders.popitem(last=False)
        return Folded(event, mutated, replaced, after)

    def forget(self) -> None:
        """Drop every cached order (after a failed batch, state may be ahead)."""
        self.orders.clear()
