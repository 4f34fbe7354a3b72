"""Every SPEC §4 invariant broken once over HTTP: the right 4xx, and nothing changed."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import httpx
import pytest

from tests.e2e.dintero import SHOP, chair, create_order, history, ok, operation

REVERSAL_OF_1 = {
    "reversed_reason": "Replace item",
    "related_item": {"line_id": 1, "type": "reversed"},
}


@pytest.fixture
def paid_order(writer: httpx.Client) -> str:
    """Line 1 (39800) authorized and 30000 captured; line 2 (1000) authorized."""
    order_id = create_order(writer, [chair(1, 39800), {**chair(2, 1000), "id": "X"}])
    ok(operation(writer, order_id, "authorizations", {1: 39800, 2: 1000}))
    ok(operation(writer, order_id, "captures", {1: 30000}))
    return order_id


def draft_onto(
    client: httpx.Client, order_id: str, items: list[dict], currency: str = "NOK"
) -> httpx.Response:
    body = {
        "options": {"order_id": order_id},
        "order": {"currency": currency, "items": items},
    }
    draft = ok(client.post(f"{SHOP}/draft_orders", json=body), 201)
    return client.put(f"{SHOP}/draft_orders/{draft['id']}/complete")


def assert_rejected(
    client: httpx.Client,
    order_id: str,
    status: int,
    code: str,
    send: Callable[[], httpx.Response],
) -> dict:
    before = history(client, order_id)
    response = send()
    assert response.status_code == status, response.text
    # Dintero's format: {"error": {"code", "message", …}}, 400 for invalid input.
    assert response.headers["content-type"] == "application/json"
    problem = response.json()["error"]
    assert problem["code"] == code
    assert problem["message"]
    assert "Traceback" not in response.text
    assert history(client, order_id) == before
    return problem


# 1. amounts are integers; the currency is the order's
def test_a_fractional_amount_is_rejected_naming_the_field(writer, paid_order):
    body = {
        "items": [{"line_id": 1, "amount": 100.5}],
        "payment_details": {"payment_id": "PID_123"},
    }
    problem = assert_rejected(
        writer,
        paid_order,
        400,
        "validation_error",
        lambda: writer.post(f"{SHOP}/orders/{paid_order}/captures", json=body),
    )
    assert problem["errors"][0]["field"] == "items[0].amount"


def test_a_numeric_string_amount_is_rejected(writer, paid_order):
    body = {
        "items": [{"line_id": 1, "amount": "100"}],
        "payment_details": {"payment_id": "PID_123"},
    }
    assert_rejected(
        writer,
        paid_order,
        400,
        "validation_error",
        lambda: writer.post(f"{SHOP}/orders/{paid_order}/captures", json=body),
    )


def test_another_currency_is_rejected(writer, paid_order):
    assert_rejected(
        writer,
        paid_order,
        400,
        "currency_mismatch",
        lambda: draft_onto(writer, paid_order, [chair(3, 100)], currency="EUR"),
    )


def test_an_unsupported_currency_is_rejected(writer):
    body = {"order": {"currency": "USD", "items": [chair(1, 100)]}}
    response = writer.post(f"{SHOP}/draft_orders", json=body)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "unsupported_currency"


# 2. line ids are unique and never reused
def test_a_used_line_id_is_rejected(writer, paid_order):
    assert_rejected(
        writer,
        paid_order,
        409,
        "line_id_reused",
        lambda: draft_onto(writer, paid_order, [chair(2, 5)]),
    )


# 3. reversals are negative, of an existing line, and never exceed it
def test_a_positive_reversal_is_rejected(writer, paid_order):
    assert_rejected(
        writer,
        paid_order,
        400,
        "invalid_reversal",
        lambda: draft_onto(writer, paid_order, [chair(3, 100, **REVERSAL_OF_1)]),
    )


def test_reversals_beyond_the_line_are_rejected(writer, paid_order):
    ok(draft_onto(writer, paid_order, [chair(3, -30000, **REVERSAL_OF_1)]))
    assert_rejected(
        writer,
        paid_order,
        409,
        "reversal_exceeds_line",
        lambda: draft_onto(writer, paid_order, [chair(4, -9801, **REVERSAL_OF_1)]),
    )


# 4. authorization has the line's sign and never exceeds the line
def test_authorizing_beyond_the_line_is_rejected(writer, paid_order):
    assert_rejected(
        writer,
        paid_order,
        409,
        "over_authorization",
        lambda: operation(
            writer, paid_order, "authorizations", {2: 1}, payment_id="PID_999"
        ),
    )


def test_a_wrong_sign_is_rejected(writer, paid_order):
    assert_rejected(
        writer,
        paid_order,
        400,
        "amount_sign_mismatch",
        lambda: operation(writer, paid_order, "captures", {1: -5}),
    )


# 5. captured never exceeds what is authorized and not released
def test_capturing_beyond_the_authorization_is_rejected(writer, paid_order):
    assert_rejected(
        writer,
        paid_order,
        409,
        "over_capture",
        lambda: operation(writer, paid_order, "captures", {1: 9801}),
    )


def test_capturing_under_another_payment_is_rejected(writer, paid_order):
    assert_rejected(
        writer,
        paid_order,
        409,
        "over_capture",
        lambda: operation(writer, paid_order, "captures", {1: 1}, payment_id="PID_321"),
    )


# 6. refunds never exceed what was captured; reversal lines are not refunded
def test_refunding_beyond_captured_is_rejected(writer, paid_order):
    assert_rejected(
        writer,
        paid_order,
        409,
        "over_refund",
        lambda: operation(writer, paid_order, "refund", {1: 30001}),
    )


def test_refunding_a_reversal_line_is_rejected(writer, paid_order):
    ok(draft_onto(writer, paid_order, [chair(3, -100, **REVERSAL_OF_1)]))
    assert_rejected(
        writer,
        paid_order,
        400,
        "reversal_line_refund",
        lambda: operation(writer, paid_order, "refund", {3: -100}),
    )


# 7. a release frees only what is not captured
def test_releasing_captured_money_is_rejected(writer, paid_order):
    assert_rejected(
        writer,
        paid_order,
        409,
        "over_release",
        lambda: operation(writer, paid_order, "cancel", {1: 9801}),
    )


def test_cancel_releases_everything_outstanding(writer, paid_order):
    cancellation = ok(writer.post(f"{SHOP}/orders/{paid_order}/cancel", json={}))
    assert cancellation["type"] == "cancellation"
    order = ok(writer.get(f"{SHOP}/orders/{paid_order}"))
    assert [i["outstanding_authorized"] for i in order["items"]] == [0, 0]
    assert order["ledger_status"] == "captured"
    assert order["cancellations"][-1] == cancellation
    assert_rejected(
        writer,
        paid_order,
        409,
        "nothing_outstanding",
        lambda: writer.post(f"{SHOP}/orders/{paid_order}/cancel", json={}),
    )


def test_an_uncaptured_order_cancelled_is_cancelled(writer):
    order_id = create_order(writer, [chair(1, 500)])
    ok(operation(writer, order_id, "authorizations", {1: 500}))
    body = {"items": [], "payment_details": {"payment_id": "PID_123"}}
    ok(writer.post(f"{SHOP}/orders/{order_id}/cancel", json=body))
    order = ok(writer.get(f"{SHOP}/orders/{order_id}"))
    assert (order["status"], order["payment_status"]) == ("cancelled", "pending")


# 9. an expired authorization cannot be captured
def test_capturing_an_expired_authorization_is_rejected(api, writer, paid_order):
    api.clock.offset = timedelta(days=31)
    assert_rejected(
        writer,
        paid_order,
        409,
        "authorization_expired",
        lambda: operation(writer, paid_order, "captures", {1: 1}),
    )


# An operation the PSP reports as failed moves nothing but is in the audit trail.
def test_success_false_is_recorded_and_moves_no_money(writer, paid_order):
    body = {
        "items": [{"line_id": 1, "amount": 9800}],
        "payment_details": {"payment_id": "PID_123"},
        "success": False,
    }
    before, _ = history(writer, paid_order)
    failed = ok(writer.post(f"{SHOP}/orders/{paid_order}/captures", json=body))
    assert (failed["type"], failed["success"], failed["amount"]) == (
        "capture",
        False,
        9800,
    )
    after, events = history(writer, paid_order)
    assert after["totals"] == before["totals"]
    assert events["events"][-1]["type"] == "PaymentOperationFailed"
