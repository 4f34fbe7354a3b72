"""SPEC §4 invariants 1–3: amounts, line ids, reversals."""

from decimal import Decimal

import pytest

from domain.errors import EmptyRequestError, UnsupportedCurrencyError
from domain.order import Order, order_uuid
from domain.values import Item
from tests.builders import an_order, assert_rejected, item


class TestOpen:
    def test_opens_with_items_and_a_deterministic_id(self):
        order = Order.open("acct", "O-1", "NOK", [item(1, 39800), item(2, 100)])
        opened, first, second = order.collect_events()
        assert isinstance(opened, Order.Opened)
        assert opened.currency == "NOK"
        assert [first.item.line_id, second.item.line_id] == [1, 2]
        assert order.id == order_uuid("acct", "O-1")
        assert order.id != order_uuid("other", "O-1")

    def test_unsupported_currency_is_rejected(self):
        with pytest.raises(UnsupportedCurrencyError):
            Order.open("acct", "O-1", "USD", [item(1, 100)])

    def test_an_order_needs_items(self):
        with pytest.raises(EmptyRequestError):
            Order.open("acct", "O-1", "NOK", [])


class TestAddItems:
    def test_adds_items_in_order(self):
        order = an_order({1: 100})
        order.add_items([item(2, 200), item(3, 300)])
        added = order.collect_events()
        assert [type(e).__name__ for e in added] == ["ItemAdded", "ItemAdded"]
        assert [line.line_id for line in order.lines] == [1, 2, 3]

    def test_float_amount_is_rejected(self):
        order = an_order({1: 100})
        bad = Item(2, "X", "d", Decimal(1), 1.5)  # type: ignore[arg-type]
        assert_rejected(order, "invalid_amount", lambda: order.add_items([bad]))

    def test_other_currency_is_rejected(self):
        order = an_order({1: 100}, currency="NOK")
        assert_rejected(
            order, "currency_mismatch", lambda: order.add_items([item(2, 1)], "EUR")
        )

    def test_existing_line_id_is_rejected(self):
        order = an_order({1: 100})
        assert_rejected(order, "line_id_reused", lambda: order.add_items([item(1, 5)]))

    def test_same_line_id_twice_in_one_request_is_rejected_whole(self):
        order = an_order({1: 100})
        assert_rejected(
            order, "line_id_reused", lambda: order.add_items([item(2, 5), item(2, 6)])
        )

    def test_line_id_of_a_replaced_line_is_never_reused(self):
        order = an_order({1: 100, 2: 200})
        order.replace([item(0, 100, item_id="SKU-1")], 100, 100, _no_risk)
        assert 2 in order.retired_line_ids
        assert_rejected(order, "line_id_reused", lambda: order.add_items([item(2, 5)]))

    def test_non_positive_line_id_is_rejected(self):
        order = an_order({1: 100})
        assert_rejected(order, "invalid_item", lambda: order.add_items([item(0, 5)]))

    def test_zero_quantity_is_rejected(self):
        order = an_order({1: 100})
        assert_rejected(
            order, "invalid_item", lambda: order.add_items([item(2, 5, quantity=0)])
        )

    def test_a_bad_item_late_in_a_batch_rejects_the_whole_batch(self):
        order = an_order({1: 100})
        assert_rejected(
            order, "line_id_reused", lambda: order.add_items([item(2, 5), item(1, 5)])
        )

    def test_more_than_200_items_is_rejected(self):
        order = an_order({1: 100})
        many = [item(i, 1) for i in range(2, 203)]
        assert_rejected(order, "too_many_items", lambda: order.add_items(many))


class TestReverseItem:
    def test_reversal_line_links_to_the_reversed_line(self):
        order = an_order({1: 39800})
        order.add_items([item(2, -39800, reverses=1), item(3, 39800)])
        reversed_, added = order.collect_events()
        assert isinstance(reversed_, Order.ItemReversed)
        assert isinstance(added, Order.ItemAdded)
        assert [r.line_id for r in order.reversals_of(1)] == [2]

    def test_partial_reversals_up_to_the_line_are_allowed(self):
        order = an_order({1: 1000})
        order.add_items([item(2, -400, reverses=1), item(3, -600, reverses=1)])
        assert len(order.reversals_of(1)) == 2

    def test_positive_reversal_is_rejected(self):
        order = an_order({1: 1000})
        assert_rejected(
            order,
            "invalid_reversal",
            lambda: order.add_items([item(2, 10, reverses=1)]),
        )

    def test_reversal_of_a_missing_line_is_rejected(self):
        order = an_order({1: 1000})
        assert_rejected(
            order,
            "invalid_reversal",
            lambda: order.add_items([item(2, -10, reverses=9)]),
        )

    def test_reversal_of_a_reversal_is_rejected(self):
        order = an_order({1: 1000})
        order.add_items([item(2, -10, reverses=1)])
        assert_rejected(
            order,
            "invalid_reversal",
            lambda: order.add_items([item(3, -1, reverses=2)]),
        )

    def test_reversals_beyond_the_line_are_rejected(self):
        order = an_order({1: 1000})
        order.add_items([item(2, -600, reverses=1)])
        assert_rejected(
            order,
            "reversal_exceeds_line",
            lambda: order.add_items([item(3, -401, reverses=1)]),
        )

    def test_reversals_beyond_the_line_within_one_request_are_rejected(self):
        order = an_order({1: 1000})
        assert_rejected(
            order,
            "reversal_exceeds_line",
            lambda: order.add_items(
                [item(2, -600, reverses=1), item(3, -401, reverses=1)]
            ),
        )

    def test_reversal_may_reverse_a_line_added_earlier_in_the_same_request(self):
        order = an_order({1: 1000})
        order.add_items([item(2, 500), item(3, -500, reverses=2)])
        assert order.line(3).item.reverses == 2


def _no_risk(increase: int):  # pragma: no cover - only called on an increase
    raise AssertionError(increase)
