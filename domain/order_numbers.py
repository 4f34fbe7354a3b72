"""The numbers an order's captures and refunds carry, for the commands."""

from __future__ import annotations

from collections.abc import Callable
from uuid import UUID

from eventsourcing.utils import get_topic

from domain.order import Order
from domain.order_records import RecordCommands


class OrderNumbers(RecordCommands):
    # (order id, event topic) → the ``reference`` each such event carries;
    # set by the store's composition (store/references.py).
    stored_references: Callable[[UUID, str], set[str]] | None = None

    def _references(self, order: Order, kind: type[Order.Event]) -> set[str]:
        """The numbers the order's events of one kind carry (captures, refunds).

        Read by the store where it can (``stored_references``): the events of
        that kind only, without decoding the order's whole history.
        """
        if self.stored_references is not None:
            return self.stored_references(order.id, get_topic(kind))
        return {
            reference
            for event in self.events.get(order.id)
            if isinstance(event, kind)
            and (reference := getattr(event, "reference", None)) is not None
        }

    def _version_of(
        self, order: Order, kind: type[Order.Event], reference: str | None
    ) -> int | None:
        """The version of the order's event of one kind carrying a number."""
        for event in self.events.get(order.id):
            if (
                isinstance(event, kind)
                and getattr(event, "reference", None) == reference
            ):
                return int(event.originator_version)
        return None
