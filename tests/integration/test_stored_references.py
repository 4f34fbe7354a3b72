"""A numbered refund reads the order's refund numbers in SQL, not by decoding."""

from __future__ import annotations

import pytest
from eventsourcing.utils import get_topic

from domain.money_errors import DuplicateReferenceError
from domain.order import Order, order_uuid
from domain.values import Allocation
from tests.builders import item


def test_the_stored_numbers_are_the_decoded_ones(pg_ledger):
    pg_ledger.create_order("acct", "R1", "EUR", [item(1, 10_000)])
    pg_ledger.authorize("acct", "R1", "P", [Allocation(1, 10_000)])
    pg_ledger.capture("acct", "R1", "P", [Allocation(1, 6_000)], numbered=True)
    for _ in range(3):
        pg_ledger.refund("acct", "R1", "P", [Allocation(1, 100)], numbered=True)
    pg_ledger.refund("acct", "R1", "P", [Allocation(1, 100)], reference="OWN-1")
    pg_ledger.refund("acct", "R1", "P", [Allocation(1, 100)])
    order = pg_ledger.get_order("acct", "R1")
    assert order.id == order_uuid("acct", "R1")
    stored = pg_ledger.stored_references
    for kind in (Order.Refunded, Order.Captured):
        in_sql = stored(order.id, get_topic(kind))
        pg_ledger.stored_references = None
        try:
            decoded = pg_ledger._references(order, kind)
        finally:
            pg_ledger.stored_references = stored
        assert in_sql == decoded
    assert len(stored(order.id, get_topic(Order.Refunded))) == 4  # 3 and OWN-1


def test_a_refund_number_taken_before_is_refused(pg_ledger):
    pg_ledger.create_order("acct", "R2", "EUR", [item(1, 1_000)])
    pg_ledger.authorize("acct", "R2", "P", [Allocation(1, 1_000)])
    pg_ledger.capture("acct", "R2", "P", [Allocation(1, 1_000)])
    pg_ledger.refund(
        "acct", "R2", "P", [Allocation(1, 100)], reference="CN-7", numbered=True
    )
    with pytest.raises(DuplicateReferenceError):
        pg_ledger.refund(
            "acct", "R2", "P", [Allocation(1, 100)], reference="cn-7", numbered=True
        )
