"""Planning a full replacement of an order's items (an order update).

Pure: reads the order, decides line ids, checks totals and re-spreads the
authorization; the aggregate turns the plan into one event.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from domain.bounds import check_amount
from domain.errors import InvalidItemError, LineIdReusedError
from domain.money_errors import (
    AmbiguousPaymentError,
    CapturedLineChangedError,
    ReplaceAfterCaptureError,
)
from domain.rules import (
    check_item_count,
    check_item_fields,
    check_order_total,
    check_totals,
)
from domain.values import Allocation, Item, Line

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
    """How a replacement is read.

    Matched by product (``assign_line_ids``): the items name no line ids, so
    an item keeps the line id of a current line with the same item id and unit
    price, else gets a new one, and an accepted risk check authorizes an
    increase. By named lines: the items carry their line ids, and only
    authorization operations authorize money.
    """

    assign_line_ids: bool = True
    authorize_increase: bool = True


MATCHED_BY_PRODUCT = ReplacementRules()
BY_NAMED_LINES = ReplacementRules(assign_line_ids=False, authorize_increase=False)


def plan_replacement(
    order: Order,
    items: Sequence[Item],
    declared_gross: int,
    declared_net: int,
    rules: ReplacementRules = MATCHED_BY_PRODUCT,
) -> ReplacementPlan:
    """Check a replacement and work out its lines and authorization.

    Lines with captured money stay as they are (SPEC §4.8): listed again they
    must be unchanged, left out they are kept. An order with captured money
    and nothing left to capture cannot be replaced.
    """
    captured = [line for line in order.lines if line.has_captured]
    if captured and not any(order.outstanding(pid) for pid in order.payment_ids):
        raise ReplaceAfterCaptureError(order.totals().captured)
    check_item_count(len(items))
    listed = (
        _assign_line_ids(order, items)
        if rules.assign_line_ids
        else _check_line_ids(order, items)
    )
    for item in listed:
        check_item_fields(item)
        if item.reverses is not None:
            raise InvalidItemError("items", "a replacement cannot carry reversal lines")
    check_totals(
        listed,
        check_amount(declared_gross, "totalGrossAmount"),
        check_amount(declared_net, "totalNetAmount"),
    )
    new_items = _with_captured_lines(listed, captured)
    check_item_count(len(new_items))
    check_order_total(new_items)
    payment_id = _authorized_payment(order)
    old_authorized = (
        order.totals(payment_id).outstanding_authorized if payment_id else 0
    )
    rooms = [_room(order, item, payment_id) for item in new_items]
    new_authorized = (
        _new_authorization(old_authorized, rooms, rules) if payment_id else 0
    )
    gross_change = sum(item.gross_amount for item in new_items) - order.gross_total
    return ReplacementPlan(
        items=new_items,
        # Money voided before is not authorized any more: authorizing it again
        # is an increase the risk check sees, whatever the order's total did.
        increase=max(gross_change, new_authorized - old_authorized),
        payment_id=payment_id,
        authorization=_spread(new_authorized, rooms),
        authorized_change=new_authorized - old_authorized,
    )


def _new_authorization(
    old_authorized: int, rooms: Sequence[tuple[int, int]], rules: ReplacementRules
) -> int:
    """What the payment has authorized after the replacement.

    From the lines' balances, not from the change in the order's total: each
    line ends authorized for exactly what it may still capture, whatever was
    voided, captured or refunded before (SPEC §6). A dialect that authorizes
    no increase keeps at most what was outstanding.
    """
    target = max(0, sum(room for _, room in rooms))
    return target if rules.authorize_increase else min(old_authorized, target)


def _with_captured_lines(
    listed: Sequence[Item], captured: Sequence[Line]
) -> tuple[Item, ...]:
    """The listed items, a captured line's as it was; unlisted captured lines kept."""
    by_id = {line.line_id: line for line in captured}
    items = []
    for item in listed:
        line = by_id.pop(item.line_id, None)
        if line is not None and (
            (item.item_id, item.gross_amount)
            != (line.item.item_id, line.item.gross_amount)
        ):
            raise CapturedLineChangedError(line.line_id, line.item.item_id)
        items.append(line.item if line is not None else item)
    return (*items, *(line.item for line in by_id.values()))


def _room(order: Order, item: Item, payment_id: str | None) -> tuple[int, int]:
    """How much of a new line's gross can be authorized again (line id, room).

    A kept line's net authorization (authorized − released) stays where it is
    captured, or under another payment; only its outstanding authorization
    under the payment is spread again, within the line's gross (SPEC §4.4).
    """
    line = order.lines_by_id.get(item.line_id)
    if line is None or not line.has_captured:
        return item.line_id, item.gross_amount
    total = line.balance()
    stays = total.authorized - total.released
    if payment_id is not None:
        stays -= line.balance(payment_id).outstanding_authorized
    room = item.gross_amount - stays
    return item.line_id, max(room, 0) if item.gross_amount > 0 else min(room, 0)


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


def _spread(total: int, rooms: Sequence[tuple[int, int]]) -> tuple[Allocation, ...]:
    """Negative lines take their full room, positive lines fill up in order."""
    if total == 0:
        return ()
    negatives = [(line_id, room) for line_id, room in rooms if room < 0]
    remaining = total - sum(room for _, room in negatives)
    spread = [Allocation(line_id, room) for line_id, room in negatives]
    for line_id, room in rooms:
        if room > 0 and remaining > 0:
            amount = min(room, remaining)
            spread.append(Allocation(line_id, amount))
            remaining -= amount
    return tuple(sorted(spread, key=lambda a: a.line_id))
