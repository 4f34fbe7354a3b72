"""The three scenarios of seed 000, over HTTP, as Dintero documents them."""

from __future__ import annotations

from tests.e2e.dintero import (
    NATIVE,
    SHOP,
    balances,
    chair,
    create_order,
    ok,
    operation,
    update_order,
)

LUX = {
    "id": "003929",
    "line_id": 3,
    "quantity": 1,
    "gross_amount": 39800,
    "tax_lines": [{"amount": 7960, "percentage": 25}],
    "description": "Stablestol for innendørsbruk",
    "description_alias": "Staplestol Lux",
}
REVERSAL = chair(
    2,
    -39800,
    reversed_reason="Replace item",
    related_item={"line_id": 1, "type": "reversed"},
)


def replace_an_item(writer) -> str:
    """Scenario (a): create → line 1 paid → reverse it with line 2 and add line 3."""
    order_id = create_order(writer, [chair(1, 39800)])
    assert len(order_id) == 9
    assert balances(writer, order_id) == {1: (0, 0, 0, 0, 0, 0)}
    ok(operation(writer, order_id, "authorizations", {1: 39800}))
    assert balances(writer, order_id) == {1: (39800, 0, 0, 0, 39800, 0)}
    ok(operation(writer, order_id, "captures", {1: 39800}))
    assert balances(writer, order_id) == {1: (39800, 39800, 0, 0, 0, 39800)}
    updated = update_order(writer, order_id, [REVERSAL, LUX])
    assert [i["line_id"] for i in updated["items"]] == [1, 2, 3]
    assert updated["items"][1]["related_item"] == {"line_id": 1, "type": "reversed"}
    assert balances(writer, order_id) == {
        1: (39800, 39800, 0, 0, 0, 39800),
        2: (0, 0, 0, 0, 0, 0),
        3: (0, 0, 0, 0, 0, 0),
    }
    ok(operation(writer, order_id, "authorizations", {2: -39800}))
    ok(operation(writer, order_id, "captures", {2: -39800}))
    assert balances(writer, order_id) == {
        1: (39800, 39800, 0, 0, 0, 0),
        2: (-39800, -39800, 0, 0, 0, 0),
        3: (0, 0, 0, 0, 0, 0),
    }
    return order_id


def test_a_replace_an_item(writer):
    order_id = replace_an_item(writer)
    ok(operation(writer, order_id, "authorizations", {3: 39800}))
    assert balances(writer, order_id)[3] == (39800, 0, 0, 0, 39800, 0)
    capture = ok(operation(writer, order_id, "captures", {3: 39800}))
    assert (capture["type"], capture["amount"], capture["success"]) == (
        "capture",
        39800,
        True,
    )
    assert capture["items"] == [{"line_id": 3, "amount": 39800}]
    order = ok(writer.get(f"{SHOP}/orders/{order_id}"))
    assert (order["status"], order["payment_status"]) == ("closed", "paid")
    assert order["captures"][-1] == capture
    assert [c["amount"] for c in order["captures"]] == [39800, -39800, 39800]
    assert balances(writer, order_id) == {
        1: (39800, 39800, 0, 0, 0, 0),
        2: (-39800, -39800, 0, 0, 0, 0),
        3: (39800, 39800, 0, 0, 0, 39800),
    }
    totals = ok(writer.get(f"{NATIVE}/orders/{order_id}"))["totals"]
    assert (totals["captured"], totals["refundable"]) == (39800, 39800)


def test_b_refund_remaining(writer):
    order_id = replace_an_item(writer)
    extra = {
        "id": "ADJ",
        "line_id": 4,
        "quantity": 1,
        "gross_amount": 1000,
        "description": "Refund line",
    }
    update_order(writer, order_id, [extra])
    ok(operation(writer, order_id, "authorizations", {3: 39800, 4: 1000}))
    assert balances(writer, order_id)[4] == (1000, 0, 0, 0, 1000, 0)
    ok(operation(writer, order_id, "captures", {3: 39800, 4: 1000}))
    assert balances(writer, order_id)[3] == (39800, 39800, 0, 0, 0, 39800)
    assert balances(writer, order_id)[4] == (1000, 1000, 0, 0, 0, 1000)
    refund = ok(operation(writer, order_id, "refund", {4: 1000}))
    assert (refund["type"], refund["amount"]) == ("refund", 1000)
    order = ok(writer.get(f"{SHOP}/orders/{order_id}"))
    assert (order["status"], order["payment_status"]) == (
        "closed",
        "partially_refunded",
    )
    assert order["refunds"] == [refund]
    assert balances(writer, order_id) == {
        1: (39800, 39800, 0, 0, 0, 0),
        2: (-39800, -39800, 0, 0, 0, 0),
        3: (39800, 39800, 0, 0, 0, 39800),
        4: (1000, 1000, 1000, 0, 0, 0),
    }


def test_c_part_authorization_with_a_second_payment(writer):
    order_id = replace_an_item(writer)
    ok(operation(writer, order_id, "authorizations", {3: 38800}))
    ok(operation(writer, order_id, "captures", {3: 38800}))
    ok(operation(writer, order_id, "authorizations", {3: 1000}, payment_id="PID_321"))
    assert balances(writer, order_id)[3] == (39800, 38800, 0, 0, 1000, 38800)
    ok(operation(writer, order_id, "captures", {3: 1000}, payment_id="PID_321"))
    assert balances(writer, order_id)[3] == (39800, 39800, 0, 0, 0, 39800)
    order = ok(writer.get(f"{NATIVE}/orders/{order_id}"))
    line3 = next(line for line in order["lines"] if line["line_id"] == 3)
    assert {p["payment_id"]: p["captured"] for p in line3["payments"]} == {
        "PID_123": 38800,
        "PID_321": 1000,
    }
    assert {p["payment_id"] for p in order["payments"]} == {"PID_123", "PID_321"}
    dintero_view = ok(writer.get(f"{SHOP}/orders/{order_id}"))
    assert [t["payment_id"] for t in dintero_view["transactions"]] == [
        "PID_123",
        "PID_321",
    ]
