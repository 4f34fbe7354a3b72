"""The ledger's orders in Riverty's shapes: amounts, orders, captures, refunds, voids.

Riverty echoes what moved as items (``captureItems``, ``refundItems``,
``cancellationItems``): each allocation is shown as its order line's product,
in whole units where the amount is a multiple of the unit price, else as one
unit of the amount. A free-amount refund line is shown as it was sent.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from api.riverty import schemas as r
from api.riverty.translate import expiration_date, major, reservation_id
from domain.order import Order
from domain.values import (
    Allocation,
    Item,
    OrderStatus,
    RequestedLine,
    RiskOutcome,
    Shipment,
)


def timestamp(at: datetime) -> str:
    """RFC 3339 in UTC with whole seconds, as Riverty's examples write them.

    Clients parse them with a fixed format without fractions (etrias'
    connector), and fail on microseconds.
    """
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def amounts(order: Order) -> dict[str, Decimal]:
    """Riverty's order amounts: what was authorized, captured, left, refunded."""
    totals = order.totals()
    return {
        "totalCapturedAmount": major(order, totals.captured),
        "totalAuthorizedAmount": major(order, totals.authorized),
        "remainingAuthorizedAmount": major(order, totals.outstanding_authorized),
        "totalRefundedAmount": major(order, totals.refunded),
    }


def _share(part: int, whole: int, amount: int) -> int:
    """``amount × part / whole`` in integers, half up."""
    if whole == 0:
        return 0
    exact = Decimal(amount) * part / whole
    return int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def items_ever(order: Order, events: Iterable[Order.Event]) -> dict[int, Item]:
    """Every line's item as last listed, lines a replacement dropped included.

    A void of a line that ``updateOrder`` later dropped stays readable.
    """
    found: dict[int, Item] = {}
    for event in events:
        if isinstance(event, Order.ItemAdded | Order.ItemReversed):
            found[event.item.line_id] = event.item
        elif isinstance(event, Order.OrderReplaced):
            found.update({item.line_id: item for item in event.items})
    found.update({line.line_id: line.item for line in order.lines})
    return found


def part_out(
    order: Order, allocation: Allocation, item: Item | None = None
) -> r.ItemOut:
    """One allocation as the product of its line (``item``: a dropped line's)."""
    item = item or order.lines_by_id[allocation.line_id].item
    unit = item.unit_price
    if unit and allocation.amount == item.gross_amount:
        gross_unit, quantity = unit, item.quantity  # the whole line, as listed
    elif unit and allocation.amount % unit == 0:
        gross_unit, quantity = unit, Decimal(allocation.amount // unit)
    else:
        gross_unit, quantity = allocation.amount, Decimal(1)
    net_unit = _share(gross_unit, item.gross_amount, item.net_amount)
    return r.ItemOut(
        productId=item.item_id,
        description=item.description,
        type=item.item_type,
        netUnitPrice=major(order, net_unit),
        grossUnitPrice=major(order, gross_unit),
        quantity=quantity,
        vatPercent=item.tax_lines[0].percentage if item.tax_lines else None,
        vatAmount=major(order, gross_unit - net_unit),
    )


def _asked_out(order: Order, line: RequestedLine, sign: int) -> r.ItemOut:
    """A free-amount refund line as the shop sent it, its VAT too."""
    vat = line.vat_amount or 0
    return r.ItemOut(
        productId=line.product_id,
        description=line.description,
        netUnitPrice=major(order, sign * (line.amount - vat)),
        grossUnitPrice=major(order, sign * line.amount),
        quantity=Decimal(1),
        vatPercent=line.vat_percent,
        vatAmount=major(order, sign * vat),
    )


def _negated(item: r.ItemOut) -> r.ItemOut:
    return item.model_copy(
        update={
            "netUnitPrice": -item.netUnitPrice,
            "grossUnitPrice": -item.grossUnitPrice,
            "vatAmount": -item.vatAmount,
        }
    )


def captures_out(
    order: Order, events: Sequence[Order.Event]
) -> list[r.CaptureRecordOut]:
    """The order's numbered captures, oldest first, with what is refunded of each."""
    payment = reservation_id(order.account, order.order_ref)
    made = {
        e.reference: e
        for e in events
        if isinstance(e, Order.Captured) and e.reference in order.captures
    }
    touched: dict[str | None, datetime] = {}
    shipments: dict[str, list[r.ShippingDetailOut]] = {}
    for event in events:
        if isinstance(event, Order.Refunded):
            touched[event.capture_reference] = event.timestamp
        if isinstance(event, Order.ShippingRecorded):
            shipped = shipments.setdefault(event.capture_reference, [])
            shipped.append(_shipping_out(len(shipped) + 1, event.shipment))
    out = []
    for number, capture in order.captures.items():
        captured = sum(a.amount for a in capture.captured)
        refunded = sum(a.amount for a in capture.refunded)
        event = made[number]
        out.append(
            r.CaptureRecordOut(
                reservationId=payment,
                captureNumber=number,
                orderNumber=order.order_ref,
                amount=major(order, captured),
                balance=major(order, captured - refunded),
                totalRefundedAmount=major(order, refunded),
                currency=order.currency,
                insertedAt=timestamp(event.timestamp),
                updatedAt=timestamp(touched.get(number, event.timestamp)),
                invoiceNumber=capture.invoice_number,
                captureItems=[part_out(order, a) for a in capture.captured],
                shippingDetails=shipments.get(number, []),
                **_references(event),
            )
        )
    return out


def refunds_out(order: Order, events: Sequence[Order.Event]) -> list[r.RefundRecordOut]:
    """Every refund, oldest first; Riverty shows refunded amounts negative."""
    payment = reservation_id(order.account, order.order_ref)
    out = []
    for event in events:
        if not isinstance(event, Order.Refunded):
            continue
        amount = -sum(a.amount for a in event.items)
        items = (
            [_asked_out(order, line, -1) for line in event.requested]
            if event.requested
            else [_negated(part_out(order, a)) for a in event.items]
        )
        out.append(
            r.RefundRecordOut(
                reservationId=payment,
                refundNumber=event.reference or str(event.originator_version),
                orderNumber=order.order_ref,
                amount=major(order, amount),
                balance=major(order, amount),
                currency=order.currency,
                insertedAt=timestamp(event.timestamp),
                updatedAt=timestamp(event.timestamp),
                captureNumber=event.capture_reference,
                refundItems=items,
                **_references(event),
            )
        )
    return out


def void_number(event: Order.Event) -> str:
    """Riverty's void numbers look like ``C0000033476``; the ledger's version."""
    return f"C{event.originator_version:010d}"


def voids_out(order: Order, events: Sequence[Order.Event]) -> list[r.CancellationOut]:
    items = items_ever(order, events)
    return [
        r.CancellationOut(
            cancellationNo=void_number(event),
            cancellationAmount=major(order, sum(a.amount for a in event.items)),
            insertedAt=timestamp(event.timestamp),
            cancellationItems=[
                r.CancellationItemOut(
                    **part_out(order, a, items[a.line_id]).model_dump(),
                    cancellationNumber=void_number(event),
                )
                for a in event.items
            ],
        )
        for event in events
        if isinstance(event, Order.AuthorizationReleased)
    ]


# The references a shop sent with a capture or refund, kept in its metadata.
REFERENCE_FIELDS = ("transactionReference", "parentTransactionReference")


def _references(event: Order.Event) -> dict[str, str]:
    kept = getattr(event, "metadata", None) or {}
    return {name: str(kept[name]) for name in REFERENCE_FIELDS if name in kept}


def _status(order: Order) -> Any:  # noqa: ANN401 - the Literal of OrderDetailsOut
    return "Cancelled" if order.status == OrderStatus.CANCELLED else "Accepted"


def order_out(order: Order, events: Sequence[Order.Event]) -> r.RivertyOrderOut:
    payment = reservation_id(order.account, order.order_ref)
    details = order.details
    payment_type = (
        details.metadata.get("payment_type") if details and details.metadata else None
    )
    items = []
    for line in order.lines:
        balance = line.balance()
        shown = part_out(order, Allocation(line.line_id, line.item.gross_amount))
        items.append(
            r.OrderItemOut(
                **shown.model_dump(),
                lineNumber=line.line_id,
                authorizedAmount=major(order, balance.authorized),
                capturedAmount=major(order, balance.captured),
                refundedAmount=major(order, balance.refunded),
                voidedAmount=major(order, balance.released),
            )
        )
    return r.RivertyOrderOut(
        orderDetails=r.OrderDetailsOut(
            orderId=str(order.id),
            orderNumber=order.order_ref,
            totalNetAmount=major(order, sum(ln.item.net_amount for ln in order.lines)),
            totalGrossAmount=major(order, order.gross_total),
            currency=order.currency,
            status=_status(order),
            insertedAt=timestamp(events[0].timestamp),
            updatedAt=timestamp(events[-1].timestamp),
            expirationDate=expiration_date(order, payment),
            orderItems=items,
        ),
        reservationId=payment,
        ledgerStatus=str(order.status),
        captures=captures_out(order, events),
        refunds=refunds_out(order, events),
        cancellations=voids_out(order, events),
        payment=r.PaymentOut(type=str(payment_type)) if payment_type else None,
        **amounts(order),
    )


# What a shop shows the customer for each method Riverty documents.
_METHOD_TEXTS = {
    "Invoice": ("Invoice - 14 days", "Buy now, Pay in 14 days"),
    "Account": ("Flexible monthly payments", "Pay in your own pace"),
    "Installment": ("Fixed installments", "Pay in fixed monthly installments"),
    "DirectDebit": ("Direct debit", "Pay by direct debit"),
    "Consolidatedinvoice": ("Consolidated Invoice", "Gather all your purchases"),
}


def payment_method(kind: str) -> r.PaymentMethodOut:
    title, tag = _METHOD_TEXTS.get(kind, (kind, kind))
    return r.PaymentMethodOut(type=kind, title=title, tag=tag)


def _shipping_out(number: int, shipment: Shipment) -> r.ShippingDetailOut:
    return r.ShippingDetailOut(
        shippingNumber=number,
        type=shipment.kind.capitalize(),
        shippingCompany=shipment.carrier,
        trackingId=shipment.tracking_id,
        trackingUrl=shipment.tracking_url,
    )


def shipping_number(events: Sequence[Order.Event], recorded: Order.Event) -> int:
    """A shipment's number on its capture: 1 for the first, and so on."""
    assert isinstance(recorded, Order.ShippingRecorded)  # noqa: S101
    same = [
        e
        for e in events
        if isinstance(e, Order.ShippingRecorded)
        and e.capture_reference == recorded.capture_reference
        and e.originator_version <= recorded.originator_version
    ]
    return len(same)


def risk_messages(outcome: str, texts: Iterable[str]) -> list[r.ResponseMessage]:
    """The risk check's words: a notice when accepted, else a business error."""
    kind = "NotificationMessage" if outcome == RiskOutcome.ACCEPTED else "BusinessError"
    return [r.ResponseMessage(type=kind, code="RiskCheck", message=t) for t in texts]
