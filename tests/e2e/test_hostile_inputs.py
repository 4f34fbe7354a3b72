"""Issue 11's findings over HTTP: values that do not fit are refused before any
write, per-payment net money holds in both dialects, and finance keeps reading."""

from __future__ import annotations

import pytest

from tests.e2e import riverty
from tests.e2e.dintero import NATIVE, SHOP, chair, create_order, ok, operation

BIG = 2**63


def draft(items):
    return {"order": {"currency": "NOK", "items": items}}


HOSTILE_DINTERO_ITEMS = [
    pytest.param([chair(1, BIG)], id="gross-2^63"),
    pytest.param([chair(1, 2**62), chair(2, 2**62)], id="two-lines-of-2^62"),
    pytest.param([chair(2**31, 100)], id="line-id-2^31"),
    pytest.param([{**chair(1, 100), "id": "a\u0000b"}], id="nul-in-id"),
    pytest.param(
        [{**chair(1, 100), "description": "x\u0000"}], id="nul-in-description"
    ),
    pytest.param([{**chair(1, 100), "quantity": 1e30}], id="quantity-1e30"),
    pytest.param([chair(1, -100)], id="negative-order"),
]


def assert_finance_reads(finance):
    for path in ("/orders", "/reports/settlement?from=2000-01-01&to=2100-01-01"):
        response = finance.get(NATIVE + path)
        assert response.status_code == 200, (path, response.text)


@pytest.mark.parametrize("items", HOSTILE_DINTERO_ITEMS)
def test_dintero_items_that_do_not_fit_are_refused(writer, finance, fuzz_ledger, items):
    before = fuzz_ledger.recorder.max_notification_id() or 0
    response = writer.post(f"{SHOP}/draft_orders", json=draft(items))
    if response.status_code == 201:
        draft_id = response.json()["id"]
        response = writer.put(f"{SHOP}/draft_orders/{draft_id}/complete")
    assert 400 <= response.status_code < 500, response.text
    # A draft may be written (its items are checked again on completion); no
    # order event is.
    written = fuzz_ledger.recorder.select_notifications(start=before + 1, limit=100)
    assert not [n.topic for n in written if n.topic.startswith("domain.order:")]
    assert_finance_reads(finance)


def test_nul_in_a_payment_id_is_refused(writer, finance):
    order_id = create_order(writer, [chair(1, 1000)])
    response = operation(
        writer, order_id, "authorizations", {1: 1000}, payment_id="P\0"
    )
    assert response.status_code in (400, 422), response.text
    assert_finance_reads(finance)


def test_dintero_goods_alone_cannot_be_captured_past_a_discount(writer):
    discount = {**chair(2, -2000), "id": "DISCOUNT", "tax_lines": []}
    order_id = create_order(writer, [chair(1, 10000), discount])
    ok(operation(writer, order_id, "authorizations", {1: 10000, 2: -2000}))
    response = operation(writer, order_id, "captures", {1: 10000})
    assert response.status_code == 409, response.text
    assert response.json()["error"]["code"] == "over_capture"
    ok(operation(writer, order_id, "captures", {1: 10000, 2: -2000}))
    totals = ok(writer.get(f"{NATIVE}/orders/{order_id}"))["totals"]
    assert totals["captured"] == 8000


RIVERTY_DISCOUNTED = [
    riverty.item("GOODS", 100, 100),
    riverty.item("DISCOUNT", -20, -20, type="Discount"),
]


def test_riverty_goods_alone_cannot_be_captured_past_a_discount(writer):
    ok(riverty.authorize(writer, "DISC-1", RIVERTY_DISCOUNTED, gross=80, net=80))
    only_goods = {
        "orderDetails": {
            "totalGrossAmount": 100,
            "totalNetAmount": 100,
            "items": [RIVERTY_DISCOUNTED[0]],
        },
        "invoiceNumber": "INV-1",
    }
    response = writer.post(f"{riverty.API}/orders/DISC-1/captures", json=only_goods)
    assert response.status_code == 400, response.text
    assert response.json()[0]["code"] == "400.909"  # over capture
    void_discount = {
        "cancellationDetails": {
            "totalGrossAmount": -20,
            "totalNetAmount": -20,
            "items": [RIVERTY_DISCOUNTED[1]],
        }
    }
    response = writer.post(f"{riverty.API}/orders/DISC-1/voids", json=void_discount)
    assert response.status_code == 400, response.text
    assert response.json()[0]["code"] == "400.907"  # a total below zero
    order = ok(writer.get(f"{riverty.API}/orders/DISC-1"))
    assert order["remainingAuthorizedAmount"] == 80


@pytest.mark.parametrize(
    ("items", "gross"),
    [
        pytest.param([riverty.item("X", -100, -100)], -100, id="negative-total"),
        pytest.param([riverty.item("X", 1e20, 1e20)], 1e20, id="unit-price-1e20"),
        pytest.param([riverty.item("X", 1, 1, quantity=1e30)], 1e30, id="qty-1e30"),
        pytest.param([riverty.item("X\u0000", 1, 1)], 1, id="nul-product-id"),
    ],
)
def test_riverty_checkouts_that_do_not_fit_are_refused(writer, finance, items, gross):
    response = riverty.authorize(writer, "HOSTILE-1", items, gross=gross, net=gross)
    assert response.status_code == 400, response.text
    assert isinstance(response.json(), list)
    assert writer.get(f"{riverty.API}/orders/HOSTILE-1").status_code == 404
    assert_finance_reads(finance)


def test_a_riverty_order_number_with_nul_is_refused(writer):
    response = riverty.authorize(writer, "N\u0000", gross=285, net=239.41)
    assert response.status_code == 400, response.text


def test_a_405_names_every_method_of_the_path(api):
    """A path with a GET and a POST is two routes; Allow names both."""
    with api.client(api.writer) as client:
        response = client.delete(f"{SHOP}/draft_orders")
        assert response.status_code == 405, response.text
        assert set(response.headers["allow"].split(", ")) == {"GET", "POST"}
