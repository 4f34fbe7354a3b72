"""Dintero bodies ↔ the domain: items, drafts and facts in; orders, drafts out."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any, Final, Literal, cast

from api.dintero import schemas as dintero
from api.native.present import balance_fields, payment_fields
from domain.chain import payload
from domain.client_map import ClientMap, check_metadata
from domain.context import OperationFacts
from domain.draft import DraftOrder, DraftTarget
from domain.operations import (
    AUTHORIZATION,
    CANCELLATION,
    CAPTURE,
    REFUND,
    PaymentOperation,
    payment_operations,
)
from domain.order import Order
from domain.values import Allocation, Item, OrderDetails, OrderStatus, TaxLine
from projections import queries

_ONE = Decimal(1)


def item_in(item: dintero.DraftItemIn) -> Item:
    return Item(
        line_id=item.line_id,
        item_id=item.id,
        description=item.description,
        quantity=_ONE if item.quantity is None else Decimal(item.quantity),
        gross_amount=item.gross_amount,
        tax_lines=tuple(
            TaxLine(t.amount, t.percentage, _tax_extras(t, n))
            for n, t in enumerate(item.tax_lines)
        ),
        description_alias=item.description_alias,
        reverses=item.related_item.line_id if item.related_item else None,
        reversed_reason=item.reversed_reason,
    )


def _tax_extras(tax: dintero.TaxLineIn, index: int) -> ClientMap | None:
    """The tax line's fields the ledger does not use, checked as a client map."""
    if not tax.model_extra:
        return None
    return check_metadata(tax.model_extra, f"tax_lines[{index}]")


def details_in(order: dintero.DraftOrderBodyIn) -> OrderDetails:
    return OrderDetails(
        merchant_reference=order.merchant_reference,
        merchant_reference_2=order.merchant_reference_2,
        metadata=order.metadata,
    )


def target_in(body: dintero.DraftOrderIn) -> DraftTarget:
    return DraftTarget(
        order_ref=body.options.order_id,
        new_order_ref=body.order.order_id,
        replace=body.options.replace == "order",
        id_format=body.options.generate_order_id,
    )


def facts_in(body: dintero.PaymentOperationIn | dintero.CancelIn) -> OperationFacts:
    return OperationFacts(processed_at=body.processed_at, metadata=body.metadata)


def allocations_in(items: list[dintero.LineAmountIn]) -> list[Allocation]:
    return [Allocation(i.line_id, i.amount) for i in items]


def _draft_item(item: Item) -> dict[str, Any]:
    return {
        "id": item.item_id,
        "line_id": item.line_id,
        "quantity": item.quantity,
        "gross_amount": item.gross_amount,
        "net_amount": item.net_amount,
        "tax_lines": [
            {**(t.extras or {}), "amount": t.amount, "percentage": t.percentage}
            for t in item.tax_lines
        ],
        "description": item.description,
        "description_alias": item.description_alias,
        "reversed_reason": item.reversed_reason,
        "related_item": {"line_id": item.reverses}
        if item.reverses is not None
        else None,
    }


def _details(details: OrderDetails | None) -> dict[str, Any]:
    details = details or OrderDetails()
    return {
        "merchant_reference": details.merchant_reference,
        "merchant_reference_2": details.merchant_reference_2,
        "metadata": details.metadata,
    }


# The ledger's status (SPEC §4) in Dintero's words: the order's, its payment's.
# Dintero's payment_status has no word for "all released, nothing captured":
# nothing is reserved or paid, so it is ``pending``, the order ``cancelled``.
_PAYMENT_STATUS: Final[dict[OrderStatus, dintero.PaymentStatus]] = {
    OrderStatus.OPEN: "pending",
    OrderStatus.AUTHORIZED: "authorized",
    OrderStatus.PART_CAPTURED: "partially_paid",
    OrderStatus.CAPTURED: "paid",
    OrderStatus.REFUNDED: "refunded",
    OrderStatus.CANCELLED: "pending",
}


# The list's filters: Dintero's words → the ledger's statuses they cover.
OrderStatusFilter = Literal[
    "open", "closed", "cancelled", "authorized", "part_captured", "captured", "refunded"
]
PaymentStatusFilter = Literal[
    "pending",
    "authorized",
    "partially_captured",
    "partially_paid",
    "captured",
    "paid",
    "partially_refunded",
    "refunded",
    "cancelled",
]
_ORDER_STATUSES: Final[dict[str, tuple[OrderStatus, ...]]] = {
    "open": (OrderStatus.OPEN, OrderStatus.AUTHORIZED, OrderStatus.PART_CAPTURED),
    "closed": (OrderStatus.CAPTURED, OrderStatus.REFUNDED),
}
# Each word the filter takes → the statuses it covers, and whether refunded.
# The ledger's earlier words (partially_captured, captured, cancelled) still work.
_PAYMENT_STATUSES: Final[dict[str, tuple[tuple[OrderStatus, ...], bool | None]]] = {
    "pending": ((OrderStatus.OPEN, OrderStatus.CANCELLED), None),
    "authorized": ((OrderStatus.AUTHORIZED,), None),
    "partially_captured": ((OrderStatus.PART_CAPTURED,), None),
    "partially_paid": ((OrderStatus.PART_CAPTURED,), None),
    "captured": ((OrderStatus.CAPTURED,), False),
    "paid": ((OrderStatus.CAPTURED,), False),
    "partially_refunded": ((OrderStatus.CAPTURED,), True),
    "refunded": ((OrderStatus.REFUNDED,), None),
    "cancelled": ((OrderStatus.CANCELLED,), None),
}


def order_filters(
    status: str | None,
    payment: str | None,
    merchant_reference: str | None,
    currency: str | None,
    created: tuple[datetime | None, datetime | None] = (None, None),
) -> queries.OrderFilters:
    """The list's query in the read model's terms (both statuses must hold)."""
    wanted: set[OrderStatus] = set(OrderStatus)
    refunded = None
    if status is not None:
        covered = _ORDER_STATUSES.get(status) or (OrderStatus(status),)
        wanted &= set(covered)
    if payment is not None:
        covered_by_payment, refunded = _PAYMENT_STATUSES[payment]
        wanted &= set(covered_by_payment)
    return queries.OrderFilters(
        statuses=tuple(sorted(wanted)) if status or payment else None,
        refunded=refunded,
        merchant_reference=merchant_reference,
        currency=currency,
        created_from=created[0],
        created_to=created[1],
    )


def payment_status(order: Order) -> dintero.PaymentStatus:
    status = order.status
    if status is OrderStatus.CAPTURED and order.totals().refunded:
        return "partially_refunded"
    return _PAYMENT_STATUS[status]


def order_status(order: Order) -> str:
    """``cancelled`` all released; ``closed`` nothing left to capture; else open."""
    status = order.status
    if status is OrderStatus.CANCELLED:
        return "cancelled"
    if status in (OrderStatus.CAPTURED, OrderStatus.REFUNDED):
        return "closed"
    return "open"


def operation_out(order_ref: str, op: PaymentOperation) -> dintero.OperationOut:
    # Built without validation: every value comes from a stored event, already
    # checked when it was recorded, and a long order lists thousands.
    return dintero.OperationOut.model_construct(
        id=op.id,
        type=cast("Any", op.kind),  # one of the four kinds, by construction
        amount=op.amount,
        items=[
            dintero.LineAmountIn.model_construct(line_id=a.line_id, amount=a.amount)
            for a in op.items
        ],
        success=op.success,
        payment_details=dintero.PaymentDetailsOut.model_construct(
            payment_id=op.payment_id
        ),
        created_at=op.recorded_at,
        created_by=op.actor,
        processed_at=op.processed_at,
        metadata=None if op.metadata is None else dict(op.metadata),
        reason=op.reason,
        order_id=order_ref,
        version=op.version,
        request_id=op.request_id,
        idempotency_key=op.idempotency_key,
    )


def operations_out(
    order_ref: str, events: Sequence[Order.Event], kind: str | None = None
) -> list[dintero.OperationOut]:
    return [operation_out(order_ref, op) for op in payment_operations(events, kind)]


def order_out(
    order: Order, events: Sequence[Order.Event], *, with_events: bool = False
) -> dintero.DinteroOrderOut:
    """The order as Dintero shows it, with the ledger's balances per item."""
    events = [e for e in events if e.originator_version <= order.version]
    # One pass over the events for every kind: a long order is read once.
    operations: dict[str, list[dintero.OperationOut]] = {
        kind: [] for kind in (AUTHORIZATION, CAPTURE, REFUND, CANCELLATION)
    }
    for op in payment_operations(events):
        operations[op.kind].append(operation_out(order.order_ref, op))
    items = [
        dintero.OrderItemOut(
            **_draft_item(line.item),
            **balance_fields(line.balance(), order.refundable(line.line_id)),
        )
        for line in order.lines
    ]
    return dintero.DinteroOrderOut(
        id=order.order_ref,
        order_id=order.order_ref,
        account_id=order.account,
        **_details(order.details),
        currency=order.currency,
        status=order_status(order),
        payment_status=payment_status(order),
        ledger_status=str(order.status),
        gross_amount=order.gross_total,
        net_amount=sum(line.item.net_amount for line in order.lines),
        amount=order.gross_total,
        created_at=order.created_on,
        updated_at=order.modified_on,
        version=order.version,
        items=items,
        transactions=[dintero.TransactionOut(**p) for p in payment_fields(order)],
        authorizations=operations[AUTHORIZATION],
        captures=operations[CAPTURE],
        refunds=operations[REFUND],
        cancellations=operations[CANCELLATION],
        events=events_out(events).events if with_events else None,
    )


def draft_out(draft: DraftOrder) -> dintero.DraftOrderOut:
    target = draft.target
    options = dintero.DraftOptionsOut(
        generate_order_id=None
        if target.order_ref or target.new_order_ref
        else target.id_format or "ALPHANUMERIC_9",
        order_id=target.order_ref,
        replace="order" if target.replace else None,
    )
    return dintero.DraftOrderOut(
        id=draft.draft_ref,
        options=options,
        order=dintero.DraftOrderBodyOut(
            currency=draft.currency,
            items=[dintero.DraftItemOut(**_draft_item(item)) for item in draft.items],
            order_id=target.new_order_ref,
            **_details(draft.details),
            gross_amount=sum(item.gross_amount for item in draft.items),
            net_amount=sum(item.net_amount for item in draft.items),
        ),
        order_id=draft.completed_order_ref,
        status="completed" if draft.completed_order_ref else "open",
        created_at=draft.created_on,
        updated_at=draft.modified_on,
    )


def events_out(events: Sequence[Order.Event]) -> dintero.OrderEventsOut:
    return dintero.OrderEventsOut(
        events=[
            dintero.OrderEventOut(
                id=f"{event.originator_id}:{event.originator_version}",
                event=type(event).__name__,
                version=event.originator_version,
                created_at=event.timestamp,
                created_by=event.actor,
                request_id=event.request_id,
                idempotency_key=event.idempotency_key,
                processed_at=getattr(event, "processed_at", None),
                data=payload(event),
                hash=event.__dict__.get("hash"),
            )
            for event in events
        ]
    )
