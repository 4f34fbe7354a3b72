"""An order's payment operations, read from its money events.

Each money event is one operation a PSP reported: an authorization, capture,
refund or cancellation (release), or one reported with ``success: false``.
Its id derives from the order and the event's version, so it never changes
and a replayed request answers the same id.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Final
from uuid import UUID, uuid5

from domain.order import Order
from domain.values import Allocation, Metadata

AUTHORIZATION: Final = "authorization"
CAPTURE: Final = "capture"
REFUND: Final = "refund"
CANCELLATION: Final = "cancellation"

_KINDS: Final[dict[type[Order.Event], str]] = {
    Order.Authorized: AUTHORIZATION,
    Order.Captured: CAPTURE,
    Order.Refunded: REFUND,
    Order.AuthorizationReleased: CANCELLATION,
}
# PaymentOperationFailed.operation is the Movement's value.
_FAILED_KINDS: Final = {
    "authorize": AUTHORIZATION,
    "capture": CAPTURE,
    "refund": REFUND,
    "release": CANCELLATION,
}


def operation_id(order_id: UUID, version: int) -> str:
    return str(uuid5(order_id, f"operation:{version}"))


@dataclass(frozen=True)
class PaymentOperation:
    id: str
    kind: str
    payment_id: str
    items: tuple[Allocation, ...]
    success: bool
    recorded_at: datetime
    actor: str
    version: int
    request_id: str
    idempotency_key: str | None
    processed_at: datetime | None
    metadata: Metadata | None
    reason: str | None

    @property
    def amount(self) -> int:
        return sum(item.amount for item in self.items)


def as_operation(event: Order.Event) -> PaymentOperation | None:
    """The operation a money event records; None for any other event."""
    if isinstance(event, Order.PaymentOperationFailed):
        kind, success, reason = _FAILED_KINDS[event.operation], False, event.reason
    elif type(event) in _KINDS:
        kind, success = _KINDS[type(event)], True
        reason = getattr(event, "reason", None)
    else:
        return None
    assert isinstance(event, Order.MoneyEvent)  # noqa: S101 - the kinds above are
    return PaymentOperation(
        id=operation_id(event.originator_id, event.originator_version),
        kind=kind,
        payment_id=event.payment_id,  # type: ignore[attr-defined]
        items=tuple(event.items),  # type: ignore[attr-defined]
        success=success,
        recorded_at=event.timestamp,
        actor=event.actor,
        version=event.originator_version,
        request_id=event.request_id,
        idempotency_key=event.idempotency_key,
        processed_at=event.processed_at,
        metadata=event.metadata,
        reason=reason,
    )


def payment_operations(
    events: Iterable[Order.Event], kind: str | None = None
) -> list[PaymentOperation]:
    """Every operation among ``events`` (of one ``kind``, if given), oldest first."""
    operations = (as_operation(event) for event in events)
    return [op for op in operations if op and (kind is None or op.kind == kind)]
