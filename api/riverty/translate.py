"""Riverty bodies ↔ the domain: decimal major units in, minor units inside."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol
from uuid import uuid5

from api.riverty import schemas as r
from domain.errors import (
    CurrencyMismatchError,
    EmptyRequestError,
    TotalsMismatchError,
    UnknownProductError,
)
from domain.money import (
    allocate,
    line_amount_minor,
    to_major,
    to_minor,
    without_float_noise,
)
from domain.money_errors import NothingRefundableError, UnknownCaptureError
from domain.order import Order, order_uuid
from domain.rules import check_totals
from domain.values import Allocation, Item, Line, RequestedLine, TaxLine

DESCRIPTION_LIMIT = 255  # Riverty truncates longer descriptions


def reservation_id(account: str, order_ref: str) -> str:
    """The payment id of a Riverty order's authorization (derived, so stable)."""
    return str(uuid5(order_uuid(account, order_ref), "reservation"))


def checkout_id(account: str, order_ref: str) -> str:
    return str(uuid5(order_uuid(account, order_ref), "checkout"))


def amount_minor(major: Decimal | str, currency: str, field: str) -> int:
    """A Riverty amount in minor units: float noise read as the cent it meant."""
    return to_minor(without_float_noise(major, currency, field), currency, field)


def items_in(
    items: Sequence[r.OrderItemIn], currency: str, path: str, first_line_id: int = 0
) -> list[Item]:
    """Items with exact minor amounts; line ids from ``first_line_id`` (0: unset)."""
    converted = []
    for index, item in enumerate(items):
        field = f"{path}[{index}]"
        amount_minor(item.vatAmount, currency, f"{field}.vatAmount")
        gross_unit = without_float_noise(item.grossUnitPrice, currency)
        net_unit = without_float_noise(item.netUnitPrice, currency)
        gross = line_amount_minor(
            gross_unit, item.quantity, currency, f"{field}.grossUnitPrice"
        )
        net = line_amount_minor(
            net_unit, item.quantity, currency, f"{field}.netUnitPrice"
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
                unit_price=amount_minor(
                    gross_unit, currency, f"{field}.grossUnitPrice"
                ),
            )
        )
    return converted


def _same_product(line: Line, item: Item, *, signless: bool) -> bool:
    """The order line an item names: its product at its unit price.

    Refund lines may carry the price negated (Riverty's SDK negates every
    amount of a partial refund), so refunds compare magnitudes.
    """
    if line.item.item_id != item.item_id:
        return False
    if signless and line.item.unit_price is not None and item.unit_price is not None:
        return abs(line.item.unit_price) == abs(item.unit_price)
    return line.item.unit_price == item.unit_price


def allocations_in(
    order: Order, items: Sequence[r.OrderItemIn], path: str
) -> tuple[list[Allocation], list[Item]]:
    """Each item on the order line listing its product at its unit price."""
    wanted = items_in(items, order.currency, path)
    free = [line for line in order.lines if not line.is_reversal]
    allocations = []
    for index, item in enumerate(wanted):
        line = next(
            (ln for ln in free if _same_product(ln, item, signless=False)), None
        )
        if line is None:
            raise UnknownProductError(f"{path}[{index}].productId", item.item_id)
        free.remove(line)
        if item.gross_amount:  # a free line (gift, 100 % coupon) moves no money
            allocations.append(Allocation(line.line_id, item.gross_amount))
    if wanted and not allocations:
        # Only free lines named: nothing to move, and never "everything".
        priced = f"{path} with a price"
        raise EmptyRequestError(priced)
    return allocations, wanted


def lines_named(
    items: Sequence[r.OrderItemIn], path: str
) -> Callable[[Order], list[Allocation]]:
    """The order lines ``items`` name, found in the order the command acts on."""
    return lambda order: allocations_in(order, items, path)[0]


def void_lines(body: r.VoidIn) -> Callable[[Order], list[Allocation]]:
    """A void's lines; an empty body voids everything still authorized.

    ``cancellationDetails`` without items names nothing: refused rather than
    read as "everything" (a partial void that lost its lines).
    """
    details = body.cancellationDetails
    if details is None:
        return lambda _: []
    if not details.items:
        raise EmptyRequestError("cancellationDetails.items")
    return lines_named(details.items, "cancellationDetails.items")


def captured_lines(
    details: r.OrderDetailsIn, invoice_number: str | None, payment_id: str
) -> Callable[[Order], list[Allocation]]:
    """A capture's lines, checked against its declared totals.

    Without items it captures everything still authorized, which must be
    what ``totalGrossAmount`` declares: a 200 never records another amount.
    (A capture repeated under its number is answered before this matters.)
    """

    def lines(order: Order) -> list[Allocation]:
        allocations, items = allocations_in(order, details.items, "orderDetails.items")
        gross, net = declared_totals(details, order.currency, "orderDetails")
        if items:
            check_totals(items, gross, net)
        elif invoice_number is None or order.find_capture(invoice_number) is None:
            remaining = order.totals(payment_id).outstanding_authorized
            if gross != remaining:
                raise TotalsMismatchError(
                    [
                        {
                            "total": "gross",
                            "declared_minor": gross,
                            "computed_minor": remaining,
                        }
                    ]
                )
        return allocations

    return lines


def declared_gross(details: r.OrderDetailsIn) -> Callable[[Order], int]:
    return lambda order: declared_totals(details, order.currency, "orderDetails")[0]


@dataclass(frozen=True)
class RefundLines:
    """A Riverty refund's lines in the order it acts on.

    A line naming an order line's product (at its unit price, either sign)
    refunds that line. A line naming no product of the order is a free
    amount (WooCommerce's ``REFUND`` line): it is spread over the refundable
    lines pro rata, largest remainder in line order, and kept as sent.
    """

    items: Sequence[r.OrderItemIn] | None
    path: str
    capture_number: str | None
    payment_id: str

    def allocations(self, order: Order) -> list[Allocation]:
        return self._translate(order)[0]

    def requested(self, order: Order) -> list[RequestedLine]:
        return self._translate(order)[1]

    def _translate(self, order: Order) -> tuple[list[Allocation], list[RequestedLine]]:
        if self.items is None:
            return [], []  # nothing named: everything refundable
        if not self.items:
            raise EmptyRequestError(self.path)
        wanted = items_in(self.items, order.currency, self.path)
        originals = [line for line in order.lines if not line.is_reversal]
        products = {line.item.item_id for line in originals}
        amounts: dict[int, int] = {}
        asked: list[RequestedLine] = []
        for index, item in enumerate(wanted):
            if item.gross_amount == 0 and item.item_id in products:
                continue  # a free line was refunded with its order: no money
            if item.item_id not in products:
                tax = item.tax_lines[0] if item.tax_lines else None
                asked.append(
                    RequestedLine(
                        item.item_id,
                        item.description,
                        abs(item.gross_amount),
                        tax.percentage if tax else None,
                        abs(tax.amount) if tax else None,
                    )
                )
                continue
            line = self._line_for(order, item, originals, amounts)
            if line is None:
                raise UnknownProductError(
                    f"{self.path}[{index}].productId", item.item_id
                )
            amounts[line.line_id] = amounts.get(line.line_id, 0) + line.sign * abs(
                item.gross_amount
            )
        if asked:
            self._spread(order, sum(a.amount for a in asked), amounts)
        allocations = [Allocation(lid, amount) for lid, amount in amounts.items()]
        if not allocations or any(a.amount == 0 for a in allocations):
            # Lines that come to nothing must not read as "refund everything".
            raise EmptyRequestError(self.path)
        return allocations, asked

    def _line_for(
        self,
        order: Order,
        item: Item,
        originals: list[Line],
        amounts: dict[int, int],
    ) -> Line | None:
        """The line of the item's product with refundable money left.

        Left after what this request already takes from it: a product may be
        named twice, or listed on two lines.
        """
        same = [ln for ln in originals if _same_product(ln, item, signless=True)]
        for line in same:
            left = order.refundable(line.line_id, self.payment_id)
            if abs(left) > abs(amounts.get(line.line_id, 0)):
                return line
        return same[0] if same else None

    def _spread(self, order: Order, total: int, amounts: dict[int, int]) -> None:
        """Add a free amount over the refundable lines not already named."""
        if self.capture_number is not None:
            found = order.find_capture(self.capture_number)
            if found is None:
                raise UnknownCaptureError(self.capture_number)
            _, capture = found
            room = {lid: capture.remaining(lid) for lid in order.lines_by_id}
        else:
            room = {
                a.line_id: a.amount for a in order.refundable_items(self.payment_id)
            }
        weights = {
            lid: left - amounts.get(lid, 0) for lid, left in sorted(room.items())
        }
        weights = {lid: w for lid, w in weights.items() if w > 0}
        if not weights:
            raise NothingRefundableError
        for lid, part in zip(
            weights, allocate(total, list(weights.values())), strict=True
        ):
            if part:
                amounts[lid] = amounts.get(lid, 0) + part


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
        amount_minor(body.totalGrossAmount, currency, f"{parent}.totalGrossAmount"),
        amount_minor(body.totalNetAmount, currency, f"{parent}.totalNetAmount"),
    )


def major(order: Order, amount_minor: int) -> Decimal:
    return to_major(amount_minor, order.currency)


def expiration_date(order: Order, payment_id: str) -> str | None:
    expires = order.expiry.get(payment_id)
    return expires.date().isoformat() if expires else None
