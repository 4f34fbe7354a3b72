"""Planning a full replacement of an order's items (Riverty ``updateOrder``).

Pure: reads the order, decides line ids, checks totals and re-spreads the
authorization; the aggregate turns the plan into one event.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from domain.bounds import check_amount
from domain.errors import InvalidItemError, LineIdReusedError
from domain.money_errors import AmbiguousPaymentError, ReplaceAfterCaptureError
from domain.rules import (
    check_item_count,
    check_item_fields,
    check_order_total,
    check_totals,
)
from domain.values import Allocation, Item

if TYPE_CHECKING:
    from domain.order import Order


@dataclass(frozen=True)
class ReplacementPlan:
    items: tuple[Item, ...]
    increase: int
    payment_id: str | None
    authorization: tuple[Allocation, ...]
    authorized_change: int


@dataclass(frozen=True)
class ReplacementRules:
    """How a dialect replaces an order.

    Riverty names no line ids (``assign_line_ids``: an item keeps the line id
    of a current line with the same item id and unit price, else gets a new
    one) and an accepted risk check authorizes an increase. Dintero names its
    line ids, and only its own authorization operations authorize money.
    """

    assign_line_ids: bool = True
    authorize_increase: bool = True


RIVERTY_REPLACEMENT = ReplacementRules()
DINTERO_REPLACEMENT = ReplacementRules(assign_line_ids=False, authorize_increase=False)


def plan_replacement(
    order: Order,
    items: Sequence[Item],
    declared_gross: int,
    declared_net: int,
    rules: ReplacementRules = RIVERTY_REPLACEMENT,
) -> ReplacementPlan:
    """Check a replacement and work out its lines and authorization."""
    # Any line with captured money, even where lines net to zero (a discount).
    captured = [line.balance().captured for line in order.lines]
    if any(captured):
        raise ReplaceAfterCaptureError(sum(captured))
    check_item_count(len(items))
    new_items = (
        _assign_line_ids(order, items)
        if rules.assign_line_ids
        else _check_line_ids(order, items)
    )
    for item in new_items:
        check_item_fields(item)
        if item.reverses is not None:
            raise InvalidItemError("items", "a replacement cannot carry reversal lines")
    check_order_total(new_items)
    check_totals(
        new_items,
        check_amount(declared_gross, "totalGrossAmount"),
        check_amount(declared_net, "totalNetAmount"),
    )
    new_total = sum(item.gross_amount for item in new_items)
    increase = new_total - order.gross_total
    payment_id = _authorized_payment(order)
    old_authorized = (
        order.totals(payment_id).outstanding_authorized if payment_id else 0
    )
    wanted = old_authorized + increase if rules.authorize_increase else old_authorized
    new_authorized = max(0, min(wanted, new_total)) if payment_id else 0
    return ReplacementPlan(
        items=new_items,
        increase=increase,
        payment_id=payment_id,
        authorization=_spread(new_authorized, new_items),
        authorized_change=new_authorized - old_authorized,
    )


def _assign_line_ids(order: Order, items: Sequence[Item]) -> tuple[Item, ...]:
    available = {
        line.line_id: (line.item.item_id, line.item.unit_price)
        for line in order.lines
        if not line.is_reversal
    }
    next_id = order.next_line_id()
    assigned: list[Item] = []
    for item in items:
        key = (item.item_id, item.unit_price)
        match = next((lid for lid, k in available.items() if k == key), None)
        if match is None:
            match, next_id = next_id, next_id + 1
        else:
            del available[match]
        assigned.append(replace(item, line_id=match))
    return tuple(assigned)


def _check_line_ids(order: Order, items: Sequence[Item]) -> tuple[Item, ...]:
    """Given line ids: new, or a current line's for the same item; never reused."""
    current = {line.line_id: line.item.item_id for line in order.lines}
    seen: set[int] = set()
    for item in items:
        reused = (
            item.line_id in order.retired_line_ids
            or current.get(item.line_id, item.item_id) != item.item_id
        )
        if reused or item.line_id in seen:
            raise LineIdReusedError(item.line_id)
        seen.add(item.line_id)
    return tuple(items)


def _authorized_payment(order: Order) -> str | None:
    payments = [pid for pid in order.payment_ids if order.outstanding(pid)]
    if len(payments) > 1:
        raise AmbiguousPaymentError(payments)
    return payments[0] if payments else None


def _spread(total: int, items: Sequence[Item]) -> tuple[Allocation, ...]:
    """Negative lines take their full amount, positive lines fill up in order."""
    if total == 0:
        return ()
    negatives = [item for item in items if item.gross_amount < 0]
    remaining = total - sum(item.gross_amount for item in negatives)
    spread = [Allocation(item.line_id, item.gross_amount) for item in negatives]
    for item in items:
        if item.gross_amount > 0 and remaining > 0:
            amount = min(item.gross_amount, remaining)
            spread.append(Allocation(item.line_id, amount))
            remaining -= amount
    return tuple(sorted(spread, key=lambda a: a.line_id))
