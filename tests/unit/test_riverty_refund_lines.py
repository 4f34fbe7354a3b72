"""Riverty refund lines in the order they act on (issue 14), without I/O.

A line naming a product refunds that line (either sign of price); a line
naming no product is a free amount spread pro rata over what is refundable.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from api.riverty.schemas import OrderItemIn
from api.riverty.translate import RefundLines
from domain.errors import EmptyRequestError, UnknownProductError
from domain.money_errors import NothingRefundableError
from domain.order import Order
from domain.values import Item, RequestedLine, TaxLine
from tests.builders import T0, alloc

PID = "PID_123"


def priced(line_id: int, sku: str, unit: int, quantity: int = 1) -> Item:
    return Item(
        line_id=line_id,
        item_id=sku,
        description=sku,
        quantity=Decimal(quantity),
        gross_amount=unit * quantity,
        tax_lines=(TaxLine(0, Decimal(0)),),
        unit_price=unit,
    )


def an_order(*captured: int) -> Order:
    """Lines SKU-i at the given prices, authorized and captured in full."""
    items = [priced(i, f"SKU-{i}", amount) for i, amount in enumerate(captured, 1)]
    order = Order.open("acct", "R-1", "EUR", items)
    everything = alloc(*((i.line_id, i.gross_amount) for i in items))
    order.authorize(PID, everything, T0.replace(year=T0.year + 1))
    order.capture(PID, everything, T0, "C1", numbered=True)
    return order


def line(sku: str, gross: str, quantity: str = "1") -> OrderItemIn:
    return OrderItemIn(
        productId=sku,
        description=sku,
        grossUnitPrice=Decimal(gross),
        netUnitPrice=Decimal(gross),
        quantity=Decimal(quantity),
        vatPercent=Decimal(0),
        vatAmount=Decimal(0),
    )


def refund(*items: OrderItemIn) -> RefundLines:
    return RefundLines(list(items), "orderItems", None, PID)


class TestNamedLines:
    def test_a_negated_price_refunds_the_line(self):
        order = an_order(1000, 500)
        asked = refund(line("SKU-2", "-5.00"))
        assert asked.allocations(order) == alloc((2, 500))
        assert asked.requested(order) == []

    def test_a_product_at_another_price_is_refused(self):
        order = an_order(1000)
        with pytest.raises(UnknownProductError):
            refund(line("SKU-1", "-9.99")).allocations(order)

    def test_no_list_means_everything_and_an_empty_list_is_refused(self):
        order = an_order(1000)
        assert RefundLines(None, "items", None, PID).allocations(order) == []
        with pytest.raises(EmptyRequestError):
            RefundLines([], "items", None, PID).allocations(order)


class TestFreeAmounts:
    def test_a_free_amount_is_spread_and_kept_as_sent(self):
        order = an_order(1000, 500)
        asked = refund(line("REFUND", "-3.00"))
        assert asked.allocations(order) == alloc((1, 200), (2, 100))
        assert asked.requested(order) == [
            RequestedLine("REFUND", "REFUND", 300, vat_percent=Decimal(0), vat_amount=0)
        ]

    def test_named_lines_are_not_spread_on_again(self):
        order = an_order(1000, 500)
        asked = refund(line("SKU-2", "-5.00"), line("REFUND", "-1.00"))
        assert asked.allocations(order) == alloc((2, 500), (1, 100))

    def test_nothing_refundable_left_is_refused(self):
        order = an_order(1000)
        order.refund(PID, alloc((1, 1000)))
        with pytest.raises(NothingRefundableError):
            refund(line("REFUND", "-1.00")).allocations(order)

    @given(
        prices=st.lists(
            st.integers(min_value=1, max_value=10_000), min_size=1, max_size=6
        ),
        share=st.floats(min_value=0.001, max_value=1.0),
    )
    def test_the_parts_add_up_and_fit_their_lines(self, prices, share):
        order = an_order(*prices)
        total = max(1, int(sum(prices) * share))
        amount = f"-{Decimal(total).scaleb(-2)}"
        parts = refund(line("REFUND", amount)).allocations(order)
        assert sum(a.amount for a in parts) == total
        for part in parts:
            assert 0 < part.amount <= prices[part.line_id - 1]


def test_a_product_named_twice_refunds_its_line_twice():
    order = Order.open("acct", "R-2", "EUR", [priced(1, "SOCK", 500, quantity=2)])
    order.authorize(PID, alloc((1, 1000)), T0.replace(year=T0.year + 1))
    order.capture(PID, alloc((1, 1000)), T0, "C1", numbered=True)
    asked = refund(line("SOCK", "-5.00"), line("SOCK", "-5.00"))
    assert asked.allocations(order) == alloc((1, 1000))
