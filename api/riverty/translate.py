"""Riverty bodies ↔ the domain: decimal major units in, minor units inside."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Protocol
from uuid import uuid5

from api.riverty import schemas as r
from domain.errors import CurrencyMismatchError, UnknownProductError
from domain.money import line_amount_minor, to_major, to_minor
from domain.order import Order, order_uuid
from domain.rules import check_totals
from domain.values import Allocation, Item, TaxLine

DESCRIPTION_LIMIT = 255  # Riverty truncates longer descriptions


def reservation_id(account: str, order_ref: str) -> str:
    """The payment id of a Riverty order's authorization (derived, so stable)."""
    return str(uuid5(order_uuid(account, order_ref), "reservation"))


def checkout_id(account: str, order_ref: str) -> str:
    return str(uuid5(order_uuid(account, order_ref), "checkout"))


def items_in(
    items: Sequence[r.OrderItemIn], currency: str, path: str, first_line_id: int = 0
) -> list[Item]:
    """Items with exact minor amounts; line ids from ``first_line_id`` (0: unset)."""
    converted = []
    for index, item in enumerate(items):
        field = f"{path}[{index}]"
        to_minor(item.vatAmount, currency, f"{field}.vatAmount")
        gross = line_amount_minor(
            item.grossUnitPrice, item.quantity, currency, f"{field}.grossUnitPrice"
        )
        net = line_amount_minor(
            item.netUnitPrice, item.quantity, currency, f"{field}.netUnitPrice"
        )
        converted.append(
            Item(
                line_id=first_line_id + index if first_line_id else 0,
                item_id=item.productId,
                description=item.description[:DESCRIPTION_LIMIT],
                quantity=item.quantity,
                gross_amount=gross,
                tax_lines=(TaxLine(gross - net, item.vatPercent),),
                item_type=item.type,
                unit_price=to_minor(
                    item.grossUnitPrice, currency, f"{field}.grossUnitPrice"
                ),
            )
        )
    return converted


def allocations_in(
    order: Order, items: Sequence[r.OrderItemIn], path: str
) -> tuple[list[Allocation], list[Item]]:
    """Each item on the order line listing its product at its unit price."""
    wanted = items_in(items, order.currency, path)
    free = [line for line in order.lines if not line.is_reversal]
    allocations = []
    for index, item in enumerate(wanted):
        line = next(
            (
                line
                for line in free
                if (line.item.item_id, line.item.unit_price)
                == (item.item_id, item.unit_price)
            ),
            None,
        )
        if line is None:
            raise UnknownProductError(f"{path}[{index}].productId", item.item_id)
        free.remove(line)
        allocations.append(Allocation(line.line_id, item.gross_amount))
    return allocations, wanted


def lines_named(
    items: Sequence[r.OrderItemIn], path: str
) -> Callable[[Order], list[Allocation]]:
    """The order lines ``items`` name, found in the order the command acts on."""
    return lambda order: allocations_in(order, items, path)[0]


def captured_lines(details: r.OrderDetailsIn) -> Callable[[Order], list[Allocation]]:
    """A capture's lines; with items, its declared totals must match them."""

    def lines(order: Order) -> list[Allocation]:
        allocations, items = allocations_in(order, details.items, "orderDetails.items")
        if items:
            check_totals(
                items, *declared_totals(details, order.currency, "orderDetails")
            )
        return allocations

    return lines


def replacement(
    summary: r.UpdateOrderSummaryIn,
) -> Callable[[Order], tuple[list[Item], int, int]]:
    """An ``updateOrder`` in the order's currency: its items and declared totals."""

    def replace(order: Order) -> tuple[list[Item], int, int]:
        if summary.currency is not None and summary.currency != order.currency:
            raise CurrencyMismatchError(summary.currency, order.currency)
        path = "updateOrderSummary"
        items = items_in(summary.items, order.currency, f"{path}.items")
        gross, net = declared_totals(summary, order.currency, path)
        return items, gross, net

    return replace


class HasTotals(Protocol):
    totalGrossAmount: Decimal  # noqa: N815 - Riverty's names
    totalNetAmount: Decimal  # noqa: N815


def declared_totals(body: HasTotals, currency: str, parent: str) -> tuple[int, int]:
    """A body's declared (gross, net) totals in minor units; fields named for errors."""
    return (
        to_minor(body.totalGrossAmount, currency, f"{parent}.totalGrossAmount"),
        to_minor(body.totalNetAmount, currency, f"{parent}.totalNetAmount"),
    )


def major(order: Order, amount_minor: int) -> Decimal:
    return to_major(amount_minor, order.currency)


def expiration_date(order: Order, payment_id: str) -> str | None:
    expires = order.expiry.get(payment_id)
    return expires.date().isoformat() if expires else None


def order_out(order: Order) -> r.RivertyOrderOut:
    payment = reservation_id(order.account, order.order_ref)
    totals = order.totals()
    return r.RivertyOrderOut(
        orderDetails=r.OrderDetailsOut(
            orderNumber=order.order_ref,
            currency=order.currency,
            totalGrossAmount=major(order, order.gross_total),
            totalNetAmount=major(
                order, sum(line.item.net_amount for line in order.lines)
            ),
            items=[
                r.OrderItemOut(
                    lineId=line.line_id,
                    productId=line.item.item_id,
                    description=line.item.description,
                    type=line.item.item_type,
                    grossUnitPrice=(
                        major(order, line.item.unit_price)
                        if line.item.unit_price is not None
                        else None
                    ),
                    quantity=line.item.quantity,
                    grossAmount=major(order, line.item.gross_amount),
                    netAmount=major(order, line.item.net_amount),
                    vatPercent=(
                        line.item.tax_lines[0].percentage
                        if line.item.tax_lines
                        else None
                    ),
                )
                for line in order.lines
            ],
        ),
        status=str(order.status),
        reservationId=payment,
        expirationDate=expiration_date(order, payment),
        authorizedAmount=major(order, totals.authorized - totals.released),
        capturedAmount=major(order, totals.captured),
        refundedAmount=major(order, totals.refunded),
        remainingAuthorizedAmount=major(order, totals.outstanding_authorized),
        captures=[
            r.CaptureSummaryOut(
                captureNumber=number,
                invoiceNumber=capture.invoice_number,
                capturedAmount=major(order, sum(a.amount for a in capture.captured)),
                refundedAmount=major(order, sum(a.amount for a in capture.refunded)),
            )
            for number, capture in order.captures.items()
        ],
    )
