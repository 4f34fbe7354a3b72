"""SPEC §4 invariants 4–7 and 9: authorize, capture, refund, release, expiry."""

from datetime import timedelta

import pytest

from domain.order import Order
from domain.rules import Movement
from domain.values import Allocation, OrderStatus
from tests.builders import T0, TTL, alloc, an_order, assert_rejected, item

LATER = T0 + TTL


class TestAuthorize:
    def test_authorizes_per_line_and_payment(self):
        order = an_order({1: 39800, 2: 1000})
        order.authorize("PID_123", alloc((1, 39800), (2, 500)), LATER)
        [authorized] = order.collect_events()
        assert isinstance(authorized, Order.Authorized)
        assert order.line(1).balance("PID_123").authorized == 39800
        assert order.line(2).balance().outstanding_authorized == 500
        assert order.status is OrderStatus.AUTHORIZED

    def test_beyond_the_line_is_rejected(self):
        order = an_order({1: 1000})
        assert_rejected(
            order,
            "over_authorization",
            lambda: order.authorize("P", alloc((1, 1001)), LATER),
        )

    def test_beyond_the_line_summed_over_payments_is_rejected(self):
        order = an_order({1: 1000}, authorized={1: 600}, payment_id="P1")
        assert_rejected(
            order,
            "over_authorization",
            lambda: order.authorize("P2", alloc((1, 401)), LATER),
        )
        order.authorize("P2", alloc((1, 400)), LATER)
        assert order.line(1).balance().authorized == 1000

    def test_released_authorization_frees_room_for_a_new_one(self):
        order = an_order({1: 1000}, authorized={1: 1000}, payment_id="P1")
        order.release("P1", alloc((1, 1000)), "void")
        order.authorize("P2", alloc((1, 1000)), LATER)
        assert order.line(1).balance("P2").outstanding_authorized == 1000

    def test_positive_amount_on_a_reversal_line_is_rejected(self):
        order = an_order({1: 1000})
        order.add_items([item(2, -1000, reverses=1)])
        assert_rejected(
            order,
            "amount_sign_mismatch",
            lambda: order.authorize("P", alloc((2, 1000)), LATER),
        )

    def test_reversal_line_is_authorized_negative(self):
        order = an_order({1: 1000})
        order.authorize("P", alloc((1, 1000)), LATER)
        order.add_items([item(2, -1000, reverses=1)])
        order.authorize("P", alloc((2, -1000)), LATER)
        assert order.line(2).balance().authorized == -1000

    def test_a_negative_line_alone_cannot_take_a_payment_below_zero(self):
        order = an_order({1: 1000})
        order.add_items([item(2, -1000, reverses=1)])
        assert_rejected(
            order,
            "negative_total",
            lambda: order.authorize("P", alloc((2, -1000)), LATER),
        )

    def test_zero_amount_is_rejected(self):
        order = an_order({1: 1000})
        assert_rejected(
            order,
            "amount_sign_mismatch",
            lambda: order.authorize("P", alloc((1, 0)), LATER),
        )

    def test_float_amount_is_rejected(self):
        order = an_order({1: 1000})
        assert_rejected(
            order,
            "invalid_amount",
            lambda: order.authorize("P", alloc((1, 10.0)), LATER),
        )

    def test_unknown_line_is_rejected(self):
        order = an_order({1: 1000})
        assert_rejected(
            order, "unknown_line", lambda: order.authorize("P", alloc((7, 1)), LATER)
        )

    def test_same_line_twice_is_rejected(self):
        order = an_order({1: 1000})
        assert_rejected(
            order,
            "duplicate_line_in_request",
            lambda: order.authorize("P", alloc((1, 1), (1, 2)), LATER),
        )

    def test_no_items_is_rejected(self):
        order = an_order({1: 1000})
        assert_rejected(order, "empty_request", lambda: order.authorize("P", [], LATER))

    def test_other_currency_is_rejected(self):
        order = an_order({1: 1000}, currency="NOK")
        assert_rejected(
            order,
            "currency_mismatch",
            lambda: order.authorize("P", alloc((1, 1)), LATER, currency="SEK"),
        )

    def test_one_bad_line_rejects_the_whole_request(self):
        order = an_order({1: 1000, 2: 100})
        assert_rejected(
            order,
            "over_authorization",
            lambda: order.authorize("P", alloc((1, 1000), (2, 101)), LATER),
        )


class TestCapture:
    def test_captures_part_of_the_authorization(self):
        order = an_order({1: 1000}, authorized={1: 1000})
        order.capture("PID_123", alloc((1, 400)), T0, reference="INV-1")
        [captured] = order.collect_events()
        assert captured.reference == "INV-1"
        assert order.line(1).balance().outstanding_authorized == 600
        assert order.status is OrderStatus.PART_CAPTURED

    def test_beyond_outstanding_is_rejected(self):
        order = an_order({1: 1000}, authorized={1: 1000}, captured={1: 700})
        assert_rejected(
            order, "over_capture", lambda: order.capture("PID_123", alloc((1, 301)), T0)
        )

    def test_under_another_payment_is_rejected(self):
        order = an_order({1: 1000}, authorized={1: 1000}, payment_id="P1")
        assert_rejected(
            order, "over_capture", lambda: order.capture("P2", alloc((1, 1)), T0)
        )

    def test_released_authorization_cannot_be_captured(self):
        order = an_order({1: 1000}, authorized={1: 1000})
        order.release("PID_123", alloc((1, 600)), "void")
        assert_rejected(
            order, "over_capture", lambda: order.capture("PID_123", alloc((1, 401)), T0)
        )

    def test_after_expiry_is_rejected(self):
        order = an_order({1: 1000}, authorized={1: 1000})
        expired = T0 + TTL + timedelta(seconds=1)
        assert_rejected(
            order,
            "authorization_expired",
            lambda: order.capture("PID_123", alloc((1, 1)), expired),
        )

    def test_extension_makes_it_capturable_again(self):
        order = an_order({1: 1000}, authorized={1: 1000})
        order.extend_authorization("PID_123", T0 + TTL * 2)
        order.capture("PID_123", alloc((1, 1000)), T0 + TTL + timedelta(days=1))
        assert order.status is OrderStatus.CAPTURED

    def test_extending_an_unknown_payment_is_rejected(self):
        order = an_order({1: 1000})
        assert_rejected(
            order, "unknown_payment", lambda: order.extend_authorization("P9", LATER)
        )


class TestRefund:
    def test_refunds_what_was_captured(self):
        order = an_order({1: 1000}, authorized={1: 1000}, captured={1: 1000})
        order.refund("PID_123", alloc((1, 1000)), reference="R-1")
        assert order.refundable(1) == 0
        assert order.status is OrderStatus.REFUNDED

    def test_beyond_captured_is_rejected(self):
        order = an_order({1: 1000}, authorized={1: 1000}, captured={1: 500})
        assert_rejected(
            order, "over_refund", lambda: order.refund("PID_123", alloc((1, 501)))
        )

    def test_twice_beyond_captured_is_rejected(self):
        order = an_order(
            {1: 1000}, authorized={1: 1000}, captured={1: 500}, refunded={1: 300}
        )
        assert_rejected(
            order, "over_refund", lambda: order.refund("PID_123", alloc((1, 201)))
        )

    def test_under_another_payment_is_rejected(self):
        order = an_order({1: 1000}, authorized={1: 1000}, captured={1: 1000})
        assert_rejected(order, "over_refund", lambda: order.refund("P2", alloc((1, 1))))

    def test_a_reversed_and_captured_line_cannot_be_refunded_again(self):
        order = an_order({1: 39800}, authorized={1: 39800}, captured={1: 39800})
        order.add_items([item(2, -39800, reverses=1)])
        order.authorize("PID_123", alloc((2, -39800)), LATER)
        order.capture("PID_123", alloc((2, -39800)), T0)
        assert order.refundable(1) == 0
        assert order.refundable(2) == 0
        assert_rejected(
            order, "over_refund", lambda: order.refund("PID_123", alloc((1, 1)))
        )

    def test_a_reversal_line_is_never_refunded_directly(self):
        order = an_order({1: 1000}, authorized={1: 1000}, captured={1: 1000})
        order.add_items([item(2, -1000, reverses=1)])
        assert_rejected(
            order,
            "reversal_line_refund",
            lambda: order.refund("PID_123", alloc((2, -1000))),
        )

    def test_line_refundable_adds_up_to_the_order(self):
        order = an_order({1: 1000, 3: 500}, authorized={1: 1000, 3: 500})
        order.capture("PID_123", alloc((1, 1000), (3, 500)), T0)
        order.add_items([item(2, -300, reverses=1)])
        order.authorize("PID_123", alloc((2, -300)), LATER)
        order.capture("PID_123", alloc((2, -300)), T0)
        assert [order.refundable(i) for i in (1, 2, 3)] == [700, 0, 500]
        totals = order.totals()
        assert order.total_refundable() == totals.captured - totals.refunded


class TestRelease:
    def test_releases_outstanding(self):
        order = an_order({1: 1000}, authorized={1: 1000}, captured={1: 300})
        order.release("PID_123", alloc((1, 700)), "void")
        [released] = order.collect_events()
        assert released.reason == "void"
        assert order.line(1).balance().outstanding_authorized == 0
        assert order.status is OrderStatus.CAPTURED

    def test_captured_part_cannot_be_released(self):
        order = an_order({1: 1000}, authorized={1: 1000}, captured={1: 300})
        assert_rejected(
            order, "over_release", lambda: order.release("PID_123", alloc((1, 701)))
        )

    def test_cancel_releases_everything_and_cancels(self):
        order = an_order({1: 1000, 2: 50}, authorized={1: 1000, 2: 50})
        order.cancel()
        assert order.status is OrderStatus.CANCELLED
        assert order.totals().outstanding_authorized == 0

    def test_cancel_releases_under_every_payment(self):
        order = an_order({1: 1000}, authorized={1: 600}, payment_id="P1")
        order.authorize("P2", alloc((1, 400)), LATER)
        order.cancel()
        events = order.collect_events()
        assert sorted(e.payment_id for e in events[1:]) == ["P1", "P2"]
        assert order.status is OrderStatus.CANCELLED

    def test_cancel_with_nothing_outstanding_is_rejected(self):
        order = an_order({1: 1000}, authorized={1: 1000}, captured={1: 1000})
        assert_rejected(order, "nothing_outstanding", order.cancel)


class TestFailure:
    @pytest.mark.parametrize("movement", list(Movement))
    def test_is_recorded_and_moves_no_money(self, movement):
        order = an_order({1: 1000}, authorized={1: 1000})
        before = order.totals()
        order.record_failure(movement, "PID_123", alloc((1, 5000)), "declined")
        [failed] = order.collect_events()
        assert failed.operation == str(movement)
        assert order.totals() == before

    def test_failure_on_an_unknown_line_is_rejected(self):
        order = an_order({1: 1000})
        assert_rejected(
            order,
            "unknown_line",
            lambda: order.record_failure(Movement.CAPTURE, "P", alloc((5, 1))),
        )


class TestStatus:
    def test_new_order_is_open(self):
        assert an_order({1: 100}).status is OrderStatus.OPEN

    def test_fully_released_without_capture_is_cancelled(self):
        order = an_order({1: 100}, authorized={1: 100})
        order.release("PID_123", alloc((1, 100)))
        assert order.status is OrderStatus.CANCELLED


class TestCaptureOfAReversal:
    def test_cannot_give_back_more_than_the_reversed_line_captured(self):
        order = an_order({1: 1000}, authorized={1: 1000}, captured={1: 300})
        order.add_items([item(2, -1000, reverses=1)])
        order.authorize("PID_123", alloc((2, -1000)), LATER)
        assert_rejected(
            order,
            "over_capture",
            lambda: order.capture("PID_123", alloc((2, -301)), T0),
        )
        order.capture("PID_123", alloc((2, -300)), T0)
        assert order.refundable(1) == 0

    def test_an_uncaptured_line_cannot_have_its_reversal_captured(self):
        order = an_order({1: 1000}, authorized={1: 1000})
        order.add_items([item(2, -1, reverses=1)])
        order.authorize("PID_123", alloc((2, -1)), LATER)
        assert_rejected(
            order, "over_capture", lambda: order.capture("PID_123", alloc((2, -1)), T0)
        )


class TestReferencedCaptures:
    def test_an_invoice_number_is_the_captures_number(self):
        order = an_order({1: 1000, 2: 500}, authorized={1: 1000, 2: 500})
        first = order.capture(
            "PID_123", alloc((1, 600)), T0, "INV-1", invoice_number="INV-1"
        )
        second = order.capture("PID_123", [], T0, numbered=True)
        assert first == "INV-1"
        assert second is not None
        assert second.isdigit()
        assert len(second) == 9  # like Riverty's, within its 19 characters
        assert order.captures[second].captured == (
            Allocation(1, 400),
            Allocation(2, 500),
        )
        assert order.totals().outstanding_authorized == 0

    def test_a_generated_number_is_the_same_on_every_replay(self):
        def numbered() -> str | None:
            order = an_order({1: 1000}, authorized={1: 1000})
            return order.capture("PID_123", alloc((1, 1)), T0, numbered=True)

        assert numbered() == numbered()

    def test_a_refund_is_bounded_by_its_capture(self):
        order = an_order({1: 1000}, authorized={1: 1000})
        order.capture("PID_123", alloc((1, 600)), T0, "C1", invoice_number="C1")
        order.capture("PID_123", alloc((1, 400)), T0, "C2", invoice_number="C2")
        assert_rejected(
            order,
            "over_refund",
            lambda: order.refund("PID_123", alloc((1, 401)), capture_reference="C2"),
        )
        assert order.refund("PID_123", [], capture_reference="C2") == "C2-R1"
        assert_rejected(
            order,
            "empty_request",
            lambda: order.refund("PID_123", [], capture_reference="C2"),
        )
        assert (
            order.refund("PID_123", alloc((1, 100)), capture_reference="C1") == "C1-R1"
        )
        assert order.refundable(1) == 500

    def test_a_numbered_refund_naming_no_capture_is_split_over_the_captures(self):
        order = an_order({1: 1000}, authorized={1: 1000})
        order.capture("PID_123", alloc((1, 600)), T0, "C1", numbered=True)
        order.capture("PID_123", alloc((1, 400)), T0, "C2", numbered=True)
        order.collect_events()
        first = order.refund(
            "PID_123", alloc((1, 700)), "CN-1", numbered=True, taken={"OLD"}
        )
        one, two = order.collect_events()
        assert first == "CN-1"
        assert (one.reference, one.capture_reference, one.items) == (
            "CN-1",
            "C1",
            (Allocation(1, 600),),
        )
        assert (two.capture_reference, two.items) == ("C2", (Allocation(1, 100),))
        assert two.reference not in {"CN-1", "OLD"}
        assert order.captures["C2"].remaining(1) == 300

    def test_a_numbered_refund_of_nothing_named_refunds_everything(self):
        order = an_order({1: 1000, 2: -100}, authorized={1: 1000, 2: -100})
        order.capture("PID_123", alloc((1, 1000), (2, -100)), T0, numbered=True)
        order.refund("PID_123", [], numbered=True)
        assert order.total_refundable() == 0
        assert order.totals().refunded == 900
        assert_rejected(
            order,
            "nothing_refundable",
            lambda: order.refund("PID_123", [], numbered=True),
        )

    def test_a_used_refund_number_is_rejected(self):
        order = an_order({1: 1000}, authorized={1: 1000}, captured={1: 1000})
        assert_rejected(
            order,
            "duplicate_reference",
            lambda: order.refund(
                "PID_123", alloc((1, 1)), "CN-1", numbered=True, taken={"CN-1"}
            ),
        )

    def test_an_invoice_number_is_used_once(self):
        order = an_order({1: 1000}, authorized={1: 1000})
        order.capture("PID_123", alloc((1, 1)), T0, invoice_number="INV-1")
        assert_rejected(
            order,
            "duplicate_reference",
            lambda: order.capture("PID_123", alloc((1, 1)), T0, invoice_number="INV-1"),
        )

    def test_an_unknown_capture_is_rejected(self):
        order = an_order({1: 1000}, authorized={1: 1000}, captured={1: 1000})
        assert_rejected(
            order,
            "unknown_capture",
            lambda: order.refund("PID_123", [], capture_reference="nope"),
        )

    def test_capturing_everything_with_nothing_outstanding_is_rejected(self):
        order = an_order({1: 1000}, authorized={1: 1000}, captured={1: 1000})
        assert_rejected(
            order, "nothing_outstanding", lambda: order.capture("PID_123", [], T0)
        )


def test_a_used_invoice_number_is_named_even_when_nothing_is_left():
    order = an_order({1: 1000}, authorized={1: 1000})
    order.capture("PID_123", [], T0, "INV-1", invoice_number="INV-1")
    assert_rejected(
        order,
        "duplicate_reference",
        lambda: order.capture("PID_123", [], T0, "INV-1", invoice_number="INV-1"),
    )
