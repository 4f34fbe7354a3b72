"""Pure checks of SPEC §4 on items and money movements, before any event."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from decimal import Decimal
from enum import StrEnum
from typing import Final

from domain.errors import (
    AmountSignError,
    DuplicateLineError,
    EmptyRequestError,
    ExceedsLimitError,
    InvalidItemError,
    InvalidReversalError,
    LineIdReusedError,
    OverAuthorizationError,
    OverCaptureError,
    OverRefundError,
    OverReleaseError,
    ReversalExceedsLineError,
    TooManyItemsError,
    TotalsMismatchError,
    UnknownLineError,
)
from domain.money import check_minor
from domain.values import Allocation, Item, Line

MAX_ITEMS: Final = 200


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


def check_item_fields(item: Item) -> None:
    """Rules every item must meet whatever the order holds."""
    line_id = item.line_id
    if isinstance(line_id, bool) or not isinstance(line_id, int) or line_id <= 0:
        raise InvalidItemError("line_id", f"{line_id!r} is not a positive integer")
    if not isinstance(item.item_id, str) or not item.item_id.strip():
        raise InvalidItemError("id", f"line {line_id} has no item id")
    quantity = item.quantity
    if not isinstance(quantity, Decimal) or not quantity.is_finite() or quantity <= 0:
        raise InvalidItemError("quantity", f"line {line_id}: {quantity!r} is not > 0")
    check_minor(item.gross_amount, "gross_amount")
    for tax in item.tax_lines:
        check_minor(tax.amount, "tax_lines.amount")
    if item.unit_price is not None:
        check_minor(item.unit_price, "unit_price")


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
        amount = check_minor(allocation.amount)
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
    net = sum(item.net_amount for item in items)
    gross = sum(item.gross_amount for item in items)
    mismatches: list[dict[str, int | str]] = [
        {"total": name, "declared_minor": declared, "computed_minor": computed}
        for name, declared, computed in (
            ("net", declared_net, net),
            ("gross", declared_gross, gross),
        )
        if declared != computed
    ]
    if mismatches:
        raise TotalsMismatchError(mismatches)
