"""Refunds accounted against the capture: free-amount shares move, never beyond."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.context import RequestContext, acting
from domain.errors import LedgerError
from domain.money import allocate
from domain.order import Order
from domain.values import Allocation, RequestedLine
from tests.builders import T0, alloc, an_order, state_of

LINES = {1: 10000, 2: 3000, 3: 500}
PID = "PID_123"


def captured_order() -> Order:
    order = an_order(LINES, authorized=LINES)
    with acting(RequestContext(actor="t")):
        order.capture(PID, alloc(*LINES.items()), T0, "INV-1", numbered=True)
    return order


def free_refund(order: Order, amount: int) -> None:
    room = order.captures["INV-1"].refundable_items()
    parts = allocate(amount, [a.amount for a in room])
    shares = [Allocation(a.line_id, p) for a, p in zip(room, parts, strict=True) if p]
    order.refund(PID, shares, capture_reference="INV-1", numbered=True,
                 requested=[RequestedLine("REFUND", "Goodwill", amount)])  # fmt: skip


def test_a_whole_item_after_goodwill_moves_the_items_share_by_an_event():
    order = captured_order()
    with acting(RequestContext(actor="t")):
        free_refund(order, 1350)
        order.collect_events()
        order.refund(PID, alloc((1, 10000)), capture_reference="INV-1", numbered=True)
    moved, refunded = order.collect_events()
    assert isinstance(moved, Order.RefundSharesMoved)
    assert sum(a.amount for a in moved.items) == 0
    assert [a for a in moved.items if a.line_id == 1] == [Allocation(1, -1000)]
    assert isinstance(refunded, Order.Refunded)
    assert order.lines_by_id[1].balance().refunded == 10000
    assert order.captures["INV-1"].remaining(1) == 0


@given(
    goodwill=st.lists(st.integers(min_value=1, max_value=4000), max_size=3),
    items=st.lists(
        st.tuples(st.sampled_from(sorted(LINES)), st.integers(1, 10000)), max_size=4
    ),
)
def test_refunds_never_leave_a_line_or_the_capture_outside_its_limits(
    goodwill: list[int], items: list[tuple[int, int]]
):
    order = captured_order()
    asked = 0
    with acting(RequestContext(actor="t")):
        for amount in goodwill:
            try:
                free_refund(order, amount)
                asked += amount
            except LedgerError:
                pass
        for line_id, amount in items:
            try:
                order.refund(PID, alloc((line_id, amount)),
                             capture_reference="INV-1", numbered=True)  # fmt: skip
                asked += amount
            except LedgerError:
                pass
    capture = order.captures["INV-1"]
    for line_id, gross in LINES.items():
        balance = order.lines_by_id[line_id].balance()
        assert 0 <= balance.refunded <= balance.captured == gross
        assert 0 <= capture.remaining(line_id) <= gross
    assert order.totals().refunded == asked


def test_a_refused_refund_moves_no_share():
    order = captured_order()
    with acting(RequestContext(actor="t")):
        free_refund(order, 13000)  # all but the 5.00 shipping's share
        order.collect_events()
        before = state_of(order)
        with pytest.raises(LedgerError):
            order.refund(
                PID, alloc((1, 10000)), capture_reference="INV-1", numbered=True
            )
    assert order.collect_events() == []
    assert state_of(order) == before


def two_captures() -> Order:
    order = an_order(LINES, authorized=LINES)
    with acting(RequestContext(actor="t")):
        order.capture(PID, alloc((1, 6000), (2, 3000)), T0, "INV-1", numbered=True)
        order.capture(PID, alloc((1, 4000), (3, 500)), T0, "INV-2", numbered=True)
    return order


@given(
    steps=st.lists(
        st.tuples(
            st.sampled_from(["free", "line"]),
            st.sampled_from([None, "INV-1", "INV-2"]),
            st.sampled_from(sorted(LINES)),
            st.integers(1, 10000),
        ),
        max_size=6,
    )
)
def test_over_two_captures_with_and_without_capture_numbers(
    steps: list[tuple[str, str | None, int, int]],
):
    order = two_captures()
    accepted = 0
    with acting(RequestContext(actor="t")):
        for kind, capture, line_id, amount in steps:
            try:
                if kind == "free":
                    room = (
                        order.captures[capture].refundable_items()
                        if capture
                        else order.refundable_items(PID)
                    )
                    total = min(amount, sum(a.amount for a in room))
                    parts = allocate(total, [a.amount for a in room]) if room else []
                    shares = [
                        Allocation(a.line_id, p)
                        for a, p in zip(room, parts, strict=True)
                        if p
                    ]
                    order.refund(PID, shares, capture_reference=capture,
                                 numbered=True, requested=[RequestedLine(
                                     "REFUND", "Goodwill", total)])  # fmt: skip
                    accepted += total
                else:
                    order.refund(PID, alloc((line_id, amount)),
                                 capture_reference=capture, numbered=True)  # fmt: skip
                    accepted += amount
            except LedgerError:
                pass
    for line_id, gross in LINES.items():
        balance = order.lines_by_id[line_id].balance()
        assert 0 <= balance.refunded <= balance.captured == gross
    for capture in order.captures.values():
        for line_id in LINES:
            held = sum(a.amount for a in capture.captured if a.line_id == line_id)
            assert 0 <= capture.remaining(line_id) <= held
    assert order.totals().refunded == accepted
