"""Builders for test orders; fixtures are for resources only."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from domain.context import RequestContext, acting
from domain.order import Order
from domain.values import Allocation, Item, TaxLine

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
TTL = timedelta(days=30)
ACCOUNT = "acct"


def item(
    line_id: int,
    gross: int,
    *,
    item_id: str | None = None,
    reverses: int | None = None,
    quantity: int = 1,
    tax: int = 0,
    unit_price: int | None = None,
) -> Item:
    return Item(
        line_id=line_id,
        item_id=item_id or f"SKU-{line_id}",
        description=f"item {line_id}",
        quantity=Decimal(quantity),
        gross_amount=gross,
        tax_lines=(TaxLine(tax, Decimal(25)),) if tax else (),
        unit_price=unit_price,
        reverses=reverses,
        reversed_reason="Replace item" if reverses else None,
    )


def alloc(*pairs: tuple[int, int]) -> list[Allocation]:
    return [Allocation(line_id, amount) for line_id, amount in pairs]


def an_order(
    lines: Mapping[int, int] | None = None,
    *,
    authorized: Mapping[int, int] | None = None,
    captured: Mapping[int, int] | None = None,
    refunded: Mapping[int, int] | None = None,
    payment_id: str = "PID_123",
    currency: str = "NOK",
    order_ref: str = "ORDER1",
) -> Order:
    """An order with lines ``{line_id: gross}`` and money moved under one payment.

    Pending events are collected, so a test sees only what its act triggers.
    """
    lines = lines or {1: 39800}
    with acting(RequestContext(actor="builder")):
        order = Order.open(
            ACCOUNT, order_ref, currency, [item(lid, g) for lid, g in lines.items()]
        )
        if authorized:
            order.authorize(payment_id, alloc(*authorized.items()), T0 + TTL)
        if captured:
            order.capture(payment_id, alloc(*captured.items()), T0)
        if refunded:
            order.refund(payment_id, alloc(*refunded.items()))
    order.collect_events()
    return order


def state_of(order: Order) -> dict[str, object]:
    """Everything an order holds, to compare before and after a rejected command."""
    import copy  # noqa: PLC0415

    return copy.deepcopy(
        {k: v for k, v in vars(order).items() if k != "_pending_events"}
    )


def assert_rejected(order: Order, code: str, act: object) -> None:
    """``act()`` raises the LedgerError ``code`` and leaves ``order`` unchanged."""
    import pytest  # noqa: PLC0415

    from domain.errors import LedgerError  # noqa: PLC0415

    assert callable(act)
    before = state_of(order)
    pending = list(order.pending_events)
    with pytest.raises(LedgerError) as info:
        act()
    assert info.value.code == code, info.value
    assert state_of(order) == before
    assert list(order.pending_events) == pending


def fixed_replacement(items: list[Item], gross: int, net: int):
    """An ``updateOrder`` whose items do not depend on the order."""
    return lambda _order: (items, gross, net)
