"""SPEC §4 invariant 8: replacing the whole order (Riverty updateOrder)."""

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from domain.errors import TotalsMismatchError
from domain.order import Order
from domain.values import RiskDecision, RiskOutcome
from tests.builders import T0, alloc, an_order, assert_rejected, item


class RecordingRisk:
    def __init__(self, outcome: RiskOutcome = RiskOutcome.ACCEPTED) -> None:
        self.outcome = outcome
        self.asked: list[int] = []

    def __call__(self, increase: int) -> RiskDecision:
        self.asked.append(increase)
        return RiskDecision(self.outcome, ("checked",))


def priced(line_id: int, gross: int, sku: str) -> object:
    return item(line_id, gross, item_id=sku, unit_price=gross)


class TestReplace:
    def test_keeps_line_ids_of_items_still_listed(self):
        order = an_order({1: 100, 2: 200})
        order.line(1)  # SKU-1 at 100, SKU-2 at 200
        new = [item(0, 200, item_id="SKU-2"), item(0, 100, item_id="SKU-1")]
        order.replace(new, 300, 300, RecordingRisk())
        assert [line.line_id for line in order.lines] == [2, 1]

    def test_new_items_get_new_line_ids(self):
        order = an_order({1: 100, 2: 200})
        order.replace([item(0, 300, item_id="NEW")], 300, 300, RecordingRisk())
        assert [line.line_id for line in order.lines] == [3]
        assert order.retired_line_ids == [1, 2]

    def test_same_item_at_another_price_is_a_new_line(self):
        order = an_order({1: 100})
        order.replace(
            [item(0, 100, item_id="SKU-1", unit_price=50, quantity=2)],
            100,
            100,
            RecordingRisk(),
        )
        assert order.lines[0].line_id == 2

    def test_a_decrease_releases_the_difference(self):
        order = an_order({1: 100, 2: 200}, authorized={1: 100, 2: 200})
        risk = RecordingRisk()
        order.replace([item(0, 100, item_id="SKU-1")], 100, 100, risk)
        [replaced] = order.collect_events()
        assert isinstance(replaced, Order.OrderReplaced)
        assert replaced.authorized_change == -200
        assert risk.asked == []
        assert order.totals().outstanding_authorized == 100

    def test_an_accepted_increase_adds_exactly_the_increase(self):
        order = an_order({1: 100}, authorized={1: 100})
        risk = RecordingRisk()
        order.replace(
            [item(0, 100, item_id="SKU-1"), item(0, 50, item_id="X")], 150, 150, risk
        )
        assert risk.asked == [50]
        assert order.totals().authorized == 150
        assert order.line(2).balance("PID_123").authorized == 50

    def test_a_partly_authorized_order_ends_authorized_for_every_line(self):
        # SPEC §6: each remaining line ends authorized exactly for its new
        # amount; what that adds to the authorization is what risk assesses.
        order = an_order({1: 1000}, authorized={1: 400})
        risk = RecordingRisk()
        order.replace(
            [item(0, 1000, item_id="SKU-1"), item(0, 50, item_id="X")],
            1050,
            1050,
            risk,
        )
        assert risk.asked == [650]
        assert order.line(1).balance().outstanding_authorized == 1000
        assert order.line(2).balance().outstanding_authorized == 50

    def test_a_rejected_increase_changes_nothing_but_is_recorded(self):
        order = an_order({1: 100}, authorized={1: 100})
        lines_before = [line.line_id for line in order.lines]
        risk = RecordingRisk(RiskOutcome.REJECTED)
        decision = order.replace(
            [item(0, 100, item_id="SKU-1"), item(0, 999, item_id="X")], 1099, 1099, risk
        )
        assert decision.outcome is RiskOutcome.REJECTED
        [rejected] = order.collect_events()
        assert isinstance(rejected, Order.UpdateRejected)
        assert rejected.risk_outcome == "Rejected"
        assert rejected.risk_messages == ("checked",)
        assert [line.line_id for line in order.lines] == lines_before
        assert order.totals().authorized == 100

    def test_a_pending_increase_changes_nothing(self):
        order = an_order({1: 100}, authorized={1: 100})
        order.replace(
            [item(0, 200, item_id="SKU-1")],
            200,
            200,
            RecordingRisk(RiskOutcome.PENDING),
        )
        assert order.line(1).item.gross_amount == 100

    def test_a_fully_captured_order_is_not_replaced(self):
        order = an_order({1: 100}, authorized={1: 100}, captured={1: 100})
        assert_rejected(
            order,
            "replace_after_capture",
            lambda: order.replace([item(0, 100)], 100, 100, RecordingRisk()),
        )


class TestReplaceAfterAPartialCapture:
    """SPEC §4.8 and Riverty's update order: what is captured stays."""

    def test_uncaptured_lines_change_and_the_captured_line_keeps_its_money(self):
        order = an_order({1: 100, 2: 50}, authorized={1: 100, 2: 50})
        order.capture("PID_123", alloc((1, 100)), T0)
        risk = RecordingRisk()
        new = [item(0, 100, item_id="SKU-1"), item(0, 80, item_id="NEW")]
        order.replace(new, 180, 180, risk)
        assert risk.asked == [30]
        assert [line.line_id for line in order.lines] == [1, 3]
        assert order.line(1).balance().captured == 100
        assert order.line(3).balance().authorized == 80
        totals = order.totals()
        assert (totals.authorized, totals.captured) == (180, 100)
        assert totals.outstanding_authorized == 80

    def test_a_partly_captured_line_has_its_outstanding_spread_again(self):
        order = an_order({1: 100}, authorized={1: 100})
        order.capture("PID_123", alloc((1, 40)), T0)
        new = [item(0, 100, item_id="SKU-1"), item(0, 20, item_id="NEW")]
        order.replace(new, 120, 120, RecordingRisk())
        line = order.line(1).balance()
        assert (line.authorized, line.captured, line.outstanding_authorized) == (
            100,
            40,
            60,
        )
        assert order.totals().outstanding_authorized == 80

    def test_released_money_does_not_count_against_the_room(self):
        # Found by the stateful model: authorized 2124 with 2000 released and 1
        # captured nets 124 (123 outstanding); the room is 1999, not -1.
        order = an_order({1: 2000}, authorized={1: 2000})
        order.release("PID_123", alloc((1, 2000)))
        order.authorize("PID_123", alloc((1, 124)), T0.replace(year=T0.year + 1))
        order.capture("PID_123", alloc((1, 1)), T0)
        order.replace([item(0, 392, item_id="NEW")], 392, 392, RecordingRisk())
        line = order.line(1).balance()
        assert line.captured <= line.authorized - line.released
        assert line.outstanding_authorized >= 0

    def test_a_captured_line_left_out_is_kept(self):
        order = an_order({1: 100, 2: 50}, authorized={1: 100, 2: 50})
        order.capture("PID_123", alloc((1, 100)), T0)
        order.replace([item(0, 30, item_id="NEW")], 30, 30, RecordingRisk())
        assert [line.line_id for line in order.lines] == [3, 1]
        assert order.line(1).balance().captured == 100
        assert order.totals().outstanding_authorized == 30
        assert order.retired_line_ids == [2]

    def test_a_captured_line_listed_with_other_money_is_rejected(self):
        order = an_order({1: 100, 2: 50}, authorized={1: 100, 2: 50})
        order.capture("PID_123", alloc((1, 100)), T0)
        changed = [item(0, 200, item_id="SKU-1")]
        assert_rejected(
            order,
            "captured_line_changed",
            lambda: order.replace(changed, 200, 200, RecordingRisk()),
        )

    def test_both_wrong_totals_are_reported_together(self):
        order = an_order({1: 100})
        new = [item(0, 125, item_id="A", tax=25)]
        assert_rejected(
            order,
            "totals_mismatch",
            lambda: order.replace(new, 99, 98, RecordingRisk()),
        )
        with pytest.raises(TotalsMismatchError) as info:
            order.replace(new, 99, 98, RecordingRisk())
        mismatches = info.value.extensions()["mismatches"]
        assert [m["total"] for m in mismatches] == ["net", "gross"]
        assert mismatches[0]["computed_minor"] == 100

    def test_one_wrong_total_is_reported_alone(self):
        order = an_order({1: 100})
        new = [item(0, 125, item_id="A", tax=25)]
        assert_rejected(
            order,
            "totals_mismatch",
            lambda: order.replace(new, 125, 102, RecordingRisk()),
        )

    def test_a_net_total_one_unit_per_line_off_is_a_rounding_difference(self):
        order = an_order({1: 100})
        new = [item(0, 125, item_id="A", tax=25), item(0, 10, item_id="B", tax=2)]
        order.replace(new, 135, 110, RecordingRisk())  # Σ net 108: 2 lines, 2 off
        assert [line.item.gross_amount for line in order.lines] == [125, 10]

    def test_more_than_200_items_is_rejected(self):
        order = an_order({1: 100})
        new = [item(0, 1, item_id=f"S{i}") for i in range(201)]
        assert_rejected(
            order,
            "too_many_items",
            lambda: order.replace(new, 201, 201, RecordingRisk()),
        )

    def test_two_authorized_payments_are_ambiguous(self):
        order = an_order({1: 100}, authorized={1: 50}, payment_id="P1")
        order.authorize("P2", alloc((1, 50)), T0)
        assert_rejected(
            order,
            "ambiguous_payment",
            lambda: order.replace(
                [item(0, 100, item_id="SKU-1")], 100, 100, RecordingRisk()
            ),
        )

    def test_reversal_items_cannot_be_part_of_a_replacement(self):
        order = an_order({1: 100})
        assert_rejected(
            order,
            "invalid_item",
            lambda: order.replace(
                [item(0, 100), item(0, -100, reverses=1)], 0, 0, RecordingRisk()
            ),
        )


class TestReplaceAfterMoneyMoved:
    """SPEC §6: whatever was voided, captured or refunded before, each line a
    replacement keeps ends authorized exactly for what it may still capture."""

    def test_a_void_is_not_released_twice(self):
        order = an_order({1: 1000, 2: 500}, authorized={1: 1000, 2: 500})
        order.release("PID_123", alloc((2, 500)), "void")
        order.replace([item(0, 1000, item_id="SKU-1")], 1000, 1000, RecordingRisk())
        assert order.line(1).balance("PID_123").outstanding_authorized == 1000
        order.capture("PID_123", alloc((1, 1000)), T0)
        assert order.totals().captured == 1000

    def test_three_lines_void_the_middle_keep_the_others_whole(self):
        order = an_order({1: 750, 2: 250, 3: 500}, authorized={1: 750, 2: 250, 3: 500})
        order.release("PID_123", alloc((2, 250)), "void")
        risk = RecordingRisk()
        order.replace(
            [item(0, 750, item_id="SKU-1"), item(0, 500, item_id="SKU-3")],
            1250,
            1250,
            risk,
        )
        assert risk.asked == []
        assert order.line(1).balance().outstanding_authorized == 750
        assert order.line(3).balance().outstanding_authorized == 500

    def test_voided_money_listed_again_is_an_increase_risk_assesses(self):
        order = an_order({1: 1000, 2: 500}, authorized={1: 1000, 2: 500})
        order.release("PID_123", alloc((2, 500)), "void")
        risk = RecordingRisk()
        order.replace(
            [item(0, 1000, item_id="SKU-1"), item(0, 500, item_id="SKU-2")],
            1500,
            1500,
            risk,
        )
        assert risk.asked == [500]
        assert order.totals().outstanding_authorized == 1500

    def test_after_a_partial_capture_and_refund_only_the_rest_is_authorized(self):
        order = an_order(
            {1: 1000, 2: 500},
            authorized={1: 1000, 2: 500},
            captured={1: 600},
            refunded={1: 200},
        )
        order.release("PID_123", alloc((2, 500)), "void")
        order.replace(
            [item(1, 1000, item_id="SKU-1"), item(0, 300, item_id="NEW")],
            1300,
            1300,
            RecordingRisk(),
        )
        line = order.line(1).balance("PID_123")
        assert (line.captured, line.refunded, line.outstanding_authorized) == (
            600,
            200,
            400,
        )
        assert order.line(3).balance().outstanding_authorized == 300


@given(
    grosses=st.lists(st.integers(1, 10_000), min_size=1, max_size=5),
    voided=st.data(),
)
@settings(max_examples=100)
def test_any_void_then_a_replacement_authorizes_each_line_exactly(grosses, voided):
    lines = dict(enumerate(grosses, start=1))
    order = an_order(lines, authorized=lines)
    void = voided.draw(st.sets(st.sampled_from(sorted(lines))))
    keep = [lid for lid in lines if lid not in void]
    assume(keep)  # all voided: the order is cancelled, nothing to authorize
    if void:  # no items would release everything outstanding
        order.release("PID_123", alloc(*((lid, lines[lid]) for lid in void)), "void")
    new = [item(0, lines[lid], item_id=f"SKU-{lid}") for lid in keep]
    total = sum(lines[lid] for lid in keep)
    order.replace(new, total, total, RecordingRisk())
    for lid in keep:
        assert order.line(lid).balance().outstanding_authorized == lines[lid]
