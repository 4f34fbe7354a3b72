"""The journal: one row per line per money movement, signed like the line."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from domain.order import Order
from projections.fold import Folded

KINDS: dict[type[Order.Event], str] = {
    Order.Authorized: "authorization",
    Order.Captured: "capture",
    Order.Refunded: "refund",
    Order.RefundSharesMoved: "refund",  # between lines: it sums to zero
    Order.AuthorizationReleased: "release",
}


@dataclass(frozen=True)
class JournalRow:
    account: str
    order_id: str
    line_id: int
    payment_id: str
    kind: str
    amount: int
    currency: str
    occurred_at: datetime
    originator_id: str
    version: int
    notification_id: int
    reference: str | None
    capture_reference: str | None


def journal_rows(folded: Folded, notification_id: int) -> Iterator[JournalRow]:
    """The journal rows of one event.

    A replacement reverses the replaced lines' authorization and releases,
    then authorizes the new lines, so the journal always sums to the balances.
    """
    event, order = folded.event, folded.order

    def row(line_id: int, payment_id: str, kind: str, amount: int) -> JournalRow:
        return JournalRow(
            order.account,
            order.order_ref,
            line_id,
            payment_id,
            kind,
            amount,
            order.currency,
            event.timestamp,
            str(event.originator_id),
            event.originator_version,
            notification_id,
            getattr(event, "reference", None),
            getattr(event, "capture_reference", None),
        )

    kind = KINDS.get(type(event))
    if kind is not None:
        for allocation in event.items:  # type: ignore[attr-defined]
            yield row(allocation.line_id, event.payment_id, kind, allocation.amount)  # type: ignore[attr-defined]
    elif isinstance(event, Order.OrderReplaced):
        for line_id, payment_id, kind, amount in _replacement_moves(folded, event):
            yield row(line_id, payment_id, kind, amount)


Move = tuple[int, str, str, int]  # line, payment, kind, amount


def _replacement_moves(folded: Folded, event: Order.OrderReplaced) -> Iterator[Move]:
    """Undo the replaced lines' authorization and releases, then write the new.

    A line with captured money keeps its balances: what stays authorized and
    released on it is written again, so the journal sums to the balances.
    """
    for line_id, payment_id, balance in folded.replaced:
        if balance.authorized:
            yield line_id, payment_id, "authorization", -balance.authorized
        if balance.released:
            yield line_id, payment_id, "release", -balance.released
    spread = {(a.line_id, event.payment_id): a.amount for a in event.authorization}
    for line_id, payment_id, balance in folded.after:
        kept = balance.authorized - spread.get((line_id, payment_id), 0)
        if kept:
            yield line_id, payment_id, "authorization", kept
        if balance.released:
            yield line_id, payment_id, "release", balance.released
    if event.payment_id is not None:
        for allocation in event.authorization:
            yield (
                allocation.line_id,
                event.payment_id,
                "authorization",
                allocation.amount,
            )
