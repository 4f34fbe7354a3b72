"""Pure checks of SPEC §4 on items and money movements, before any event."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from decimal import Decimal
from enum import StrEnum
from typing import Final

from domain.bounds import (
    MAX_INT4,
    check_amount,
    check_id,
    check_int,
    check_optional_id,
    check_optional_text,
    check_quantity,
    check_sum,
    check_text,
)
from domain.errors import (
    AmountSignError,
    DuplicateLineError,
    EmptyRequestError,
    InvalidItemError,
    InvalidReversalError,
    LineIdReusedError,
    ReversalExceedsLineError,
    TooManyItemsError,
    TotalsMismatchError,
    UnknownLineError,
)
from domain.money_errors import (
    ExceedsLimitError,
    NegativeTotalError,
    OverAuthorizationError,
    OverCaptureError,
    OverRefundError,
    OverReleaseError,
)
from domain.values import Allocation, Balance, Item, Line, OrderDetails

MAX_ITEMS: Final = 200
MAX_PERCENT: Final = 100


class Movement(StrEnum):
    AUTHORIZE = "authorize"
    CAPTURE = "capture"
    REFUND = "refund"
    RELEASE = "release"


EXCEEDS_ERRORS: Final[Mapping[Movement, type[ExceedsLimitError]]] = {
    Movement.AUTHORIZE: OverAuthorizationError,
    Movement.CAPTURE: OverCaptureError,
    Movement.REFUND: OverRefundError,
    Movement.RELEASE: OverReleaseError,
}


def check_item_count(count: int) -> None:
    if count == 0:
        raise EmptyRequestError("items")
    if count > MAX_ITEMS:
        raise TooManyItemsError(count, MAX_ITEMS)


def check_details(details: OrderDetails) -> None:
    check_optional_id(details.merchant_reference, "merchant_reference")
    check_optional_id(details.merchant_reference_2, "merchant_reference_2")


def check_item_fields(item: Item) -> None:
    """Rules every item must meet whatever the order holds (SPEC §12 included)."""
    line_id = item.line_id
    if isinstance(line_id, bool) or not isinstance(line_id, int) or line_id <= 0:
        raise InvalidItemError("line_id", f"{line_id!r} is not a positive integer")
    check_int(line_id, "line_id", 1, MAX_INT4)
    check_id(item.item_id, f"items[line {line_id}].id")
    check_text(item.description, f"items[line {line_id}].description")
    check_optional_text(item.description_alias, "description_alias")
    check_optional_text(item.reversed_reason, "reversed_reason")
    check_optional_id(item.item_type, "type")
    quantity = item.quantity
    if not isinstance(quantity, Decimal) or not quantity.is_finite() or quantity <= 0:
        raise InvalidItemError("quantity", f"line {line_id}: {quantity!r} is not > 0")
    check_quantity(quantity)
    gross = check_amount(item.gross_amount, "gross_amount")
    if item.reverses is not None:
        check_int(item.reverses, "related_item.line_id", 1, MAX_INT4)
    _check_tax_lines(item, gross)
    if item.unit_price is not None:
        check_amount(item.unit_price, "unit_price")


def _check_tax_lines(item: Item, gross: int) -> None:
    """Tax is part of the gross: its sign, and in sum no more than the gross."""
    for tax in item.tax_lines:
        amount = check_amount(tax.amount, "tax_lines.amount")
        percentage = tax.percentage
        if not isinstance(percentage, Decimal) or not percentage.is_finite():
            raise InvalidItemError("tax_lines.percentage", "not a finite number")
        if not 0 <= percentage <= MAX_PERCENT:
            raise InvalidItemError(
                "tax_lines.percentage", f"{percentage} not in 0..100"
            )
        if amount * gross < 0:
            raise InvalidItemError(
                "tax_lines.amount", f"line {item.line_id}: tax has the other sign"
            )
    if abs(sum(tax.amount for tax in item.tax_lines)) > abs(gross):
        raise InvalidItemError(
            "tax_lines.amount", f"line {item.line_id}: tax exceeds the gross amount"
        )


def check_line_limit(items: Sequence[Item], max_line_minor: int) -> None:
    """A deployment's per-line maximum (``LEDGER_MAX_LINE_AMOUNT``)."""
    for item in items:
        check_amount(item.gross_amount, "gross_amount", max_line_minor)
        if item.unit_price is not None:
            check_amount(item.unit_price, "unit_price", max_line_minor)


def check_order_total(lines: Sequence[Item]) -> None:
    """SPEC §4.13 and §12: an order's total is not negative and its lines fit."""
    check_sum((item.gross_amount for item in lines), "gross_amount")
    total = sum(item.gross_amount for item in lines if item.reverses is None)
    if total < 0:
        raise NegativeTotalError("order_total", None, total)


def check_new_items(
    items: Sequence[Item], lines: Sequence[Line], retired_line_ids: Collection[int]
) -> None:
    """Check a batch of items (reversals included) as if added in order."""
    check_item_count(len(items))
    known = {line.line_id: line.item for line in lines}
    reversed_minor: dict[int, int] = {}
    for item in known.values():
        if item.reverses is not None:
            reversed_minor[item.reverses] = (
                reversed_minor.get(item.reverses, 0) - item.gross_amount
            )
    for item in items:
        check_item_fields(item)
        if item.line_id in known or item.line_id in retired_line_ids:
            raise LineIdReusedError(item.line_id)
        if item.reverses is not None:
            target = _reversal_target(item, item.reverses, known)
            total = reversed_minor.get(target.line_id, 0) - item.gross_amount
            if total > target.gross_amount:
                raise ReversalExceedsLineError(
                    target.line_id, total, target.gross_amount
                )
            reversed_minor[target.line_id] = total
        known[item.line_id] = item
    check_order_total(list(known.values()))


def _reversal_target(item: Item, reverses: int, known: Mapping[int, Item]) -> Item:
    if item.gross_amount >= 0:
        raise InvalidReversalError(item.line_id, "a reversal line must be negative")
    target = known.get(reverses)
    if target is None:
        raise InvalidReversalError(item.line_id, f"line {reverses} does not exist")
    if target.reverses is not None:
        raise InvalidReversalError(item.line_id, "a reversal cannot be reversed")
    if target.gross_amount <= 0:
        raise InvalidReversalError(item.line_id, "only a positive line can be reversed")
    return target


def resolve_allocations(
    allocations: Sequence[Allocation], lines: Mapping[int, Line]
) -> list[tuple[Line, int]]:
    """Each allocation's line, once each, with an amount of the line's sign."""
    if not allocations:
        raise EmptyRequestError("items")
    seen: set[int] = set()
    resolved: list[tuple[Line, int]] = []
    for allocation in allocations:
        amount = check_amount(allocation.amount, "amount")
        line = lines.get(allocation.line_id)
        if line is None:
            raise UnknownLineError(allocation.line_id)
        if line.line_id in seen:
            raise DuplicateLineError(line.line_id)
        seen.add(line.line_id)
        if line.sign == 0 or amount * line.sign <= 0:
            raise AmountSignError(line.line_id, amount)
        resolved.append((line, amount))
    return resolved


def check_within(
    movement: Movement,
    line: Line,
    amount: int,
    limits: Sequence[tuple[str | None, int]],
) -> None:
    """``amount`` may not pass any ``(payment scope, limit)``, in the line's sign."""
    for payment_id, limit in limits:
        if amount * line.sign > limit * line.sign:
            raise EXCEEDS_ERRORS[movement](line.line_id, payment_id, amount, limit)


def check_totals(items: Sequence[Item], declared_gross: int, declared_net: int) -> None:
    """The declared totals against the items': gross exact, net within rounding.

    Gross is what is authorized, so it must add up exactly. A shop computes
    net (and VAT) per line and rounds each, so its net total may differ from
    the lines' by one minor unit per line (PSPs accept such rounding
    differences).
    """
    net = sum(item.net_amount for item in items)
    gross = sum(item.gross_amount for item in items)
    mismatches: list[dict[str, int | str]] = [
        {"total": name, "declared_minor": declared, "computed_minor": computed}
        for name, declared, computed, tolerance in (
            ("net", declared_net, net, len(items)),
            ("gross", declared_gross, gross, 0),
        )
        if abs(declared - computed) > tolerance
    ]
    if mismatches:
        raise TotalsMismatchError(mismatches)


def check_payment_net(
    movement: Movement, payment_id: str, before: Balance, amount_minor: int
) -> None:
    """SPEC §4.12-13: a movement of ``amount_minor`` (signed sum over its lines).

    Per-line limits let a goods line be captured in full while a discount
    line under the same payment is not: the payment's net sums are what the
    PSP moved, so they are bounded here. A net movement in the lowering
    direction is allowed (a reversal's negative capture) while sums stay >= 0.
    """
    net_authorized = before.authorized - before.released
    if movement is Movement.AUTHORIZE:
        _not_negative("net_authorization", payment_id, net_authorized + amount_minor)
    elif movement is Movement.CAPTURE:
        captured = before.captured + amount_minor
        _not_negative("net_capture", payment_id, captured)
        # A negative line's capture may not leave less captured than refunded.
        _not_negative(
            "net_capture_less_refunds", payment_id, captured - before.refunded
        )
        if amount_minor > 0 and captured > net_authorized:
            capturable = net_authorized - before.captured
            raise OverCaptureError(None, payment_id, amount_minor, capturable)
    elif movement is Movement.REFUND:
        refunded = before.refunded + amount_minor
        _not_negative("net_refund", payment_id, refunded)
        if amount_minor > 0 and refunded > before.captured:
            refundable = before.captured - before.refunded
            raise OverRefundError(None, payment_id, amount_minor, refundable)
    else:
        _not_negative("release", payment_id, amount_minor)
        if amount_minor > before.outstanding_authorized:
            outstanding = before.outstanding_authorized
            raise OverReleaseError(None, payment_id, amount_minor, outstanding)


def _not_negative(total: str, payment_id: str, amount_minor: int) -> None:
    if amount_minor < 0:
        raise NegativeTotalError(total, payment_id, amount_minor)
