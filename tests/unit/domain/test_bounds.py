"""SPEC §12 and §4.12-14: what does not fit, and per-payment net money, is refused."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.application import OrderLedger
from domain.bounds import MAX_INT4, MAX_MINOR, check_text
from domain.errors import LedgerError
from domain.money import line_amount_minor, to_minor
from domain.order import Order
from domain.values import RiskDecision, RiskOutcome
from tests.builders import T0, TTL, alloc, an_order, assert_rejected, item

LATER = T0 + TTL / 2
POPO = {"PERSISTENCE_MODULE": "eventsourcing.popo"}


class TestAmounts:
    def test_a_line_beyond_bigint_is_rejected(self):
        order = an_order({1: 1000})
        assert_rejected(
            order, "out_of_bounds", lambda: order.add_items([item(2, 2**63)])
        )

    def test_lines_whose_sum_passes_bigint_are_rejected(self):
        order = an_order({1: 2**62})
        assert_rejected(
            order, "out_of_bounds", lambda: order.add_items([item(2, 2**62)])
        )

    def test_the_largest_line_that_fits_is_accepted(self):
        order = an_order({1: MAX_MINOR})
        assert order.gross_total == MAX_MINOR

    def test_an_allocation_beyond_bigint_is_rejected(self):
        order = an_order({1: 1000})
        assert_rejected(
            order,
            "out_of_bounds",
            lambda: order.authorize("P", alloc((1, 2**64)), LATER),
        )

    def test_tax_beyond_the_gross_is_rejected(self):
        order = an_order({1: 1000})
        assert_rejected(
            order, "invalid_item", lambda: order.add_items([item(2, 100, tax=200)])
        )

    def test_the_configured_line_maximum_is_enforced_by_the_ledger(self):
        ledger = OrderLedger(POPO, max_line_minor=10_000)
        ledger.create_order("a", "ok", "EUR", [item(1, 10_000)])
        with pytest.raises(LedgerError) as info:
            ledger.create_order("a", "big", "EUR", [item(1, 10_001)])
        assert info.value.code == "out_of_bounds"
        with pytest.raises(LedgerError):
            ledger.add_items("a", "ok", [item(2, 1, unit_price=10_001)])
        assert ledger.get_order("a", "ok").version == 2


class TestIdsAndQuantities:
    def test_a_line_id_beyond_integer_is_rejected(self):
        order = an_order({1: 1000})
        assert_rejected(
            order, "out_of_bounds", lambda: order.add_items([item(MAX_INT4 + 1, 1)])
        )

    def test_a_quantity_beyond_integer_is_rejected(self):
        order = an_order({1: 1000})
        big = replace(item(2, 100), quantity=Decimal(10) ** 30)
        assert_rejected(order, "out_of_bounds", lambda: order.add_items([big]))

    def test_riverty_prices_and_quantities_too_large_are_refused_not_crashed(self):
        with pytest.raises(LedgerError) as price:
            line_amount_minor("1e20", "1", "EUR")
        with pytest.raises(LedgerError) as quantity:
            line_amount_minor("1", "1e30", "EUR")
        with pytest.raises(LedgerError) as huge:
            to_minor("1e999999", "EUR")
        assert {price.value.code, quantity.value.code, huge.value.code} == {
            "out_of_bounds"
        }

    def test_an_exact_product_of_large_values_is_kept(self):
        assert line_amount_minor("99999999.99", "21474", "EUR") == 9999999999 * 21474


TEXT_FIELDS = ["item_id", "description", "description_alias", "reversed_reason"]


class TestText:
    @pytest.mark.parametrize("field", TEXT_FIELDS)
    @pytest.mark.parametrize("bad", ["a\x00b", "a\x1fb", "a\x7fb", "\ud800"])
    def test_control_characters_in_an_item_are_rejected(self, field, bad):
        order = an_order({1: 1000})
        dirty = replace(item(2, 100), **{field: bad})
        assert_rejected(order, "invalid_text", lambda: order.add_items([dirty]))

    def test_nul_in_a_payment_id_is_rejected(self):
        order = an_order({1: 1000})
        assert_rejected(
            order,
            "invalid_text",
            lambda: order.authorize("P\x00", alloc((1, 100)), LATER),
        )

    @pytest.mark.parametrize("ref", ["A\x00", " A", "A ", "   ", "x" * 256])
    def test_bad_order_numbers_open_nothing(self, ref):
        with pytest.raises(LedgerError) as info:
            Order.open("acct", ref, "EUR", [item(1, 100)])
        assert info.value.code in {"invalid_text", "invalid_item"}

    def test_a_capture_reference_with_nul_is_rejected(self):
        order = an_order({1: 1000}, authorized={1: 1000})
        assert_rejected(
            order,
            "invalid_text",
            lambda: order.capture("PID_123", alloc((1, 10)), T0, reference="r\x00"),
        )

    @given(st.text())
    def test_accepted_text_encodes_for_postgres(self, text):
        try:
            check_text(text, "f")
        except LedgerError:
            return
        assert "\x00" not in text
        text.encode("utf-8")


class TestPerPaymentNet:
    """SPEC §4.12: goods 100 and a −20 discount, both authorized (net 80)."""

    def discounted(self, **money):
        return an_order({1: 100, 2: -20}, authorized={1: 100, 2: -20}, **money)

    def test_goods_alone_cannot_be_captured_beyond_the_net(self):
        order = self.discounted()
        assert_rejected(
            order,
            "over_capture",
            lambda: order.capture("PID_123", alloc((1, 100)), T0),
        )

    def test_goods_and_discount_are_captured_together(self):
        order = self.discounted()
        order.capture("PID_123", alloc((1, 100), (2, -20)), T0)
        assert order.totals().captured == 80

    def test_capture_of_everything_outstanding_is_the_net(self):
        order = self.discounted()
        order.capture("PID_123", [], T0)
        assert order.totals().captured == 80

    def test_voiding_the_discount_alone_cannot_raise_the_authorization(self):
        order = self.discounted()
        assert_rejected(
            order, "negative_total", lambda: order.release("PID_123", alloc((2, -20)))
        )

    def test_a_release_cannot_leave_less_authorized_than_captured(self):
        order = self.discounted()
        order.capture("PID_123", alloc((1, 80)), T0)
        assert_rejected(
            order, "over_release", lambda: order.release("PID_123", alloc((1, 20)))
        )
        order.release("PID_123", [])
        net = order.totals()
        assert net.authorized - net.released == 80

    def test_goods_alone_cannot_be_refunded_beyond_the_net_capture(self):
        order = self.discounted()
        order.capture("PID_123", alloc((1, 100), (2, -20)), T0)
        assert_rejected(
            order, "over_refund", lambda: order.refund("PID_123", alloc((1, 100)))
        )
        order.refund("PID_123", alloc((1, 80)))
        assert order.totals().refunded == 80

    def test_a_refund_of_the_discount_alone_would_charge_and_is_rejected(self):
        order = self.discounted()
        order.capture("PID_123", alloc((1, 100), (2, -20)), T0)
        assert_rejected(
            order, "negative_total", lambda: order.refund("PID_123", alloc((2, -20)))
        )


class TestNegativeOrders:
    def test_an_order_with_a_negative_total_is_not_opened(self):
        with pytest.raises(LedgerError) as info:
            Order.open("acct", "NEG", "EUR", [item(1, -100)])
        assert info.value.code == "negative_total"

    def test_a_discount_beyond_the_goods_is_rejected(self):
        order = an_order({1: 100})
        assert_rejected(
            order, "negative_total", lambda: order.add_items([item(2, -101)])
        )

    def test_a_checkout_with_a_negative_total_is_rejected(self):
        ledger = OrderLedger(POPO)
        with pytest.raises(LedgerError) as info:
            ledger.authorize_order("a", "N1", "EUR", [item(1, -100)], (-100, -100), "P")
        assert info.value.code == "negative_total"


class TestFoundByTheModel:
    def test_a_discount_capture_cannot_leave_less_captured_than_refunded(self):
        order = an_order({1: 100, 2: -20}, authorized={1: 100, 2: -20})
        order.capture("PID_123", alloc((1, 10)), T0)
        order.refund("PID_123", alloc((1, 10)))
        assert_rejected(
            order,
            "negative_total",
            lambda: order.capture("PID_123", alloc((2, -5)), T0),
        )

    def test_lines_that_net_to_zero_captured_are_kept_by_a_replacement(self):
        order = an_order({1: 100, 2: -20}, authorized={1: 100, 2: -20})
        order.capture("PID_123", alloc((1, 20), (2, -20)), T0)
        assert order.totals().captured == 0
        order.replace(
            [item(0, 50)], 50, 50, lambda _: RiskDecision(RiskOutcome.ACCEPTED)
        )
        kept = {line.line_id: line.balance().captured for line in order.lines}
        assert kept[1] == 20
        assert kept[2] == -20
