"""SPEC §12 on bodies, ids, amounts and times: refused in the route's dialect
before anything is written, or read exactly as sent."""

from __future__ import annotations

import pytest

from tests.e2e import riverty
from tests.e2e.dintero import NATIVE, SHOP, chair, create_order, ok, operation

DEEP = '{"a":' * 40 + "1" + "}" * 40


def riverty_order(writer, number: str = "R-1") -> str:
    ok(riverty.authorize(writer, number))
    return number


def routes(writer):
    """One writing route of each dialect, and how its errors look."""
    order_id = create_order(writer, [chair(1, 1000)])
    number = riverty_order(writer)
    return [
        ("dintero", f"{SHOP}/orders/{order_id}/authorizations"),
        ("dintero", f"{SHOP}/draft_orders"),
        ("riverty", f"{riverty.API}/orders/{number}/captures"),
        ("riverty", f"{riverty.API}/orders/{number}/refunds"),
        ("riverty", f"{riverty.API}/orders/{number}/voids"),
        ("native", f"{NATIVE}/orders/{order_id}/payments/P/expiry"),
    ]


def assert_dialect_error(dialect: str, response, status: int) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    if dialect == "riverty":
        assert isinstance(body, list)
        assert body[0]["code"].startswith(str(status))
    elif dialect == "dintero":
        assert "error" in body, body
    else:
        assert body["status"] == status, body


@pytest.mark.parametrize(
    ("body", "content_type", "status"),
    [
        pytest.param('{"a": 1, "a": 2}', "application/json", 400, id="duplicate-key"),
        pytest.param(DEEP, "application/json", 400, id="nesting-40"),
        pytest.param("{}", "text/plain", 415, id="text-plain"),
        pytest.param("{}", "application/x-www-form-urlencoded", 415, id="form"),
        pytest.param("{}", "application/json; charset=latin-1", 415, id="latin-1"),
    ],
)
def test_bodies_that_are_not_what_they_seem_are_refused(
    writer, fuzz_ledger, body, content_type, status
):
    for dialect, path in routes(writer):
        before = fuzz_ledger.recorder.max_notification_id()
        response = writer.post(
            path, content=body, headers={"Content-Type": content_type}
        )
        assert_dialect_error(dialect, response, status)
        assert fuzz_ledger.recorder.max_notification_id() == before, path


def test_a_json_subtype_and_utf8_charset_are_json(writer):
    order_id = create_order(writer, [chair(1, 1000)])
    body = (
        '{"items": [{"line_id": 1, "amount": 1000}],'
        ' "payment_details": {"payment_id": "P"}}'
    )
    for content_type in ("application/vnd.api+json", "application/json; charset=UTF-8"):
        response = writer.post(
            f"{SHOP}/orders/{order_id}/authorizations",
            content=body,
            headers={"Content-Type": content_type},
        )
        assert response.status_code == 200, (content_type, response.text)
        order_id = create_order(writer, [chair(1, 1000)])


def test_a_bad_body_from_a_caller_without_access_is_still_401(api):
    with api.client() as anonymous:
        response = anonymous.post(
            f"{SHOP}/draft_orders",
            content='{"a": 1, "a": 2}',
            headers={"Content-Type": "application/json"},
        )
    assert response.status_code == 401, response.text


@pytest.mark.parametrize(
    ("digits", "code"),
    [
        ("100.0000001", "400.007"),  # 1e-7 off: real decimals, refused
        # Float noise (within 1e-9 of a cent, SPEC §6) is that cent: 100.01,
        # which the items' 100 does not add up to.
        ("100.00999999999999999", "400.102"),
    ],
)
def test_an_amount_is_read_from_its_digits_the_same_as_number_or_text(
    writer, digits, code
):
    items = [riverty.item("A", 100, 84)]
    for number, form in enumerate((digits, f'"{digits}"')):
        body = {
            "payment": {"type": "Invoice"},
            "order": {
                "number": f"EXACT-{number}-{digits}",
                "currency": "EUR",
                "totalGrossAmount": 100,
                "totalNetAmount": 84,
                "items": items,
            },
        }
        text = (
            __import__("json")
            .dumps(body)
            .replace('"totalGrossAmount": 100', f'"totalGrossAmount": {form}')
        )
        response = writer.post(
            f"{riverty.API}/checkout/authorize",
            content=text,
            headers={"Content-Type": "application/json"},
        )
        assert response.status_code == 400, response.text
        assert response.json()[0]["code"] == code, (form, response.text)


@pytest.mark.parametrize("digits", ["١٢٣", "１００", "1_000", "1e", " "])
def test_only_ascii_digits_are_digits(writer, digits):
    item = riverty.item("A", 100, 84)
    item["grossUnitPrice"] = digits
    response = riverty.authorize(writer, "DIGITS-1", [item], gross=100, net=84)
    assert response.status_code == 400, response.text
    assert writer.get(f"{riverty.API}/orders/DIGITS-1").status_code == 404


@pytest.mark.parametrize(
    "number", ["2026/0001", "a\\b", "x?y", "x#y", "50%", ".", ".."]
)
def test_an_order_number_that_cannot_be_addressed_is_refused(writer, number):
    response = riverty.authorize(writer, number)
    assert response.status_code == 400, response.text
    assert response.json()[0]["fieldReference"] == "order.number"


def test_a_payment_id_and_an_invoice_number_that_cannot_be_addressed(writer):
    order_id = create_order(writer, [chair(1, 1000)])
    response = operation(writer, order_id, "authorizations", {1: 1000}, "psp/123")
    assert response.status_code == 400, response.text
    number = riverty_order(writer, "R-INV")
    response = writer.post(
        f"{riverty.API}/orders/{number}/captures",
        json={
            "invoiceNumber": "2026/17",
            "orderDetails": {"totalGrossAmount": 285, "totalNetAmount": 239.41},
        },
    )
    assert response.status_code == 400, response.text
    assert response.json()[0]["fieldReference"] == "invoiceNumber"


def test_a_composed_and_a_decomposed_name_are_one_order(writer):
    ok(riverty.authorize(writer, "\u00c5-1"))  # Å composed
    again = riverty.authorize(writer, "A\u030a-1")  # A + combining ring
    assert again.status_code == 400, again.text
    assert again.json()[0]["code"] == "400.100"
    read = writer.get(f"{riverty.API}/orders/A\u030a-1")
    assert read.status_code == 200, read.text


def test_capture_numbers_are_one_whatever_their_case(writer):
    number = riverty_order(writer, "R-CASE")
    half = {
        "orderDetails": {
            "totalGrossAmount": 100,
            "totalNetAmount": 84,
            "items": [riverty.SEED_ITEMS[0] | {"quantity": 1}],
        }
    }
    ok(
        writer.post(
            f"{riverty.API}/orders/{number}/captures",
            json={**half, "invoiceNumber": "INV-A"},
        )
    )
    twin = writer.post(
        f"{riverty.API}/orders/{number}/captures",
        json={**half, "invoiceNumber": "inv-a"},
    )
    # The same number with the same content answers the first capture.
    assert twin.status_code == 200, twin.text
    assert twin.json()["captureNumber"] == "INV-A"
    captures = ok(writer.get(f"{riverty.API}/orders/{number}/captures"))["captures"]
    assert [c["captureNumber"] for c in captures] == ["INV-A"]
    other = writer.post(
        f"{riverty.API}/orders/{number}/captures",
        json={
            "invoiceNumber": "Inv-A",
            "orderDetails": {
                "totalGrossAmount": 5,
                "totalNetAmount": 4.2,
                "items": [riverty.SEED_ITEMS[3]],
            },
        },
    )
    assert other.status_code in (400, 409), other.text


@pytest.mark.parametrize(
    "moment",
    ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00", "1969-12-31T23:59:59Z"],
)
def test_times_outside_1970_to_9999_in_utc_are_refused(writer, finance, moment):
    order_id = create_order(writer, [chair(1, 1000)])
    ok(operation(writer, order_id, "authorizations", {1: 1000}, "P"))
    expiry = writer.post(
        f"{NATIVE}/orders/{order_id}/payments/P/expiry", json={"expires_at": moment}
    )
    assert expiry.status_code in (400, 422), expiry.text
    capture = writer.post(
        f"{SHOP}/orders/{order_id}/captures",
        json={
            "items": [{"line_id": 1, "amount": 100}],
            "payment_details": {"payment_id": "P"},
            "processed_at": moment,
        },
    )
    assert capture.status_code == 400, capture.text
    for path in (f"{NATIVE}/orders", f"{SHOP}/orders"):
        assert finance.get(path).status_code == 200
    listed = finance.get(f"{NATIVE}/orders", params={"created_from": moment})
    assert listed.status_code == 400, listed.text
