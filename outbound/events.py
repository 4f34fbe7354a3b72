"""An order event as the feed and the webhooks show it.

``type`` is the event's name (``Captured``), ``data`` its payload as the hash
chain reads it (amounts in minor units, times RFC 3339), ``business_time``
the PSP's time of a money event (SPEC §10) and ``created_at`` when the
ledger recorded it. ``id`` is stable: the order's id and the event's version.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain.chain import payload
from domain.order import Order


def _order_event_types() -> frozenset[str]:
    """The events an order records.

    The library also gives ``Order`` a ``Created`` class of its own, which
    nothing records (``Opened`` is the order's created event).
    """
    return frozenset(
        name
        for name, value in vars(Order).items()
        if isinstance(value, type)
        and issubclass(value, Order.Event)
        and value not in (Order.Event, Order.MoneyEvent)
        and (value is Order.Opened or not issubclass(value, Aggregate.Created))
    )


EVENT_TYPES: Final = _order_event_types()


@dataclass(frozen=True)
class OutboundEvent:
    account: str
    order_id: str
    event: Any  # an Order.Event

    @property
    def id(self) -> str:
        return event_id(self.event.originator_id, self.event.originator_version)

    @property
    def type(self) -> str:
        return type(self.event).__name__

    @property
    def business_time(self) -> datetime | None:
        return getattr(self.event, "processed_at", None)

    def data(self) -> dict[str, Any]:
        return payload(self.event)


def event_id(originator_id: UUID, version: int) -> str:
    return f"evt_{originator_id.hex}_{version}"


def rfc3339(moment: datetime) -> str:
    """``2026-12-07T07:10:30.519021Z``: UTC, as the feed's JSON writes it."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def shown(row: dict[str, Any]) -> dict[str, Any]:
    """A stored ``account_events`` row as the feed and the webhooks show it."""
    business = row["business_time"]
    return {
        "id": row["event_id"],
        "type": row["type"],
        "order_id": row["order_id"],
        "version": row["version"],
        "created_at": rfc3339(row["created_at"]),
        "business_time": rfc3339(business) if business else None,
        "data": row["data"],
    }
