"""What Riverty's real shop plugins send, each as it failed before (issue 22).

WooCommerce asks for the payment methods before it shows the gateway and
sends every line, a free one too; OXID's voucher sends float noise and net
totals a cent off; etrias' connector leaves the currency out and parses
times without fractions. Each test checks the answer and the native balances.
"""

from __future__ import annotations

import re
from typing import Any

import httpx

from tests.e2e.dintero import NATIVE, ok
from tests.e2e.riverty import API, authorize, authorize_body, item

WHOLE_SECONDS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


def totals(client: httpx.Client, number: str) -> dict[str, int]:
    return ok(client.get(f"{NATIVE}/orders/{number}"))["totals"]


def lines(client: httpx.Client, number: str) -> dict[int, dict[str, Any]]:
    order = ok(client.get(f"{NATIVE}/orders/{number}"))
    return {line["line_id"]: line["balance"] for line in order["lines"]}


def test_payment_methods_offer_invoice_so_the_shop_shows_the_gateway(writer):
    body = {
        "conversationLanguage": "EN",
        "country": "DE",
        "order": {"totalGrossAmount": "185", "totalNetAmount": "155.41",
                  "currency": "EUR"},
    }  # fmt: skip
    answer = ok(writer.post(f"{API}/checkout/payment-methods", json=body))
    assert answer["outcome"] == "Accepted"
    assert [m["type"] for m in answer["paymentMethods"]] == ["Invoice"]
    assert answer["paymentMethods"][0]["title"]
    assert re.fullmatch(r"[0-9a-f-]{36}", answer["checkoutId"])
    refused = writer.post(
        f"{API}/checkout/payment-methods",
        json={"order": {"totalGrossAmount": "1.005", "currency": "EUR"}},
    )
    assert refused.status_code == 400
    assert refused.json()[0]["code"] == "400.007"
    assert writer.post(f"{API}/checkout/payment-methods", json={}).status_code == 400


FREE_GIFT = [
    item("JACKET", 100, 84.03),
    item("GIFT", 0, 0),
    item("SHIP", 5, 4.2),
]


def test_a_free_line_is_captured_refunded_and_voided_with_the_others(writer):
    ok(authorize(writer, "FREE-1", FREE_GIFT, 105, 88.23))
    body = {"orderDetails": {"totalGrossAmount": 100, "totalNetAmount": 84.03,
                             "items": FREE_GIFT[:2]}}  # fmt: skip
    captured = ok(writer.post(f"{API}/orders/FREE-1/captures", json=body))
    assert captured["capturedAmount"] == 100
    refund = {"captureNumber": captured["captureNumber"], "items": FREE_GIFT[:2]}
    refunded = ok(writer.post(f"{API}/orders/FREE-1/refunds", json=refund))
    assert refunded["totalRefundedAmount"] == 100
    void = {"cancellationDetails": {"totalGrossAmount": 5, "totalNetAmount": 4.2,
                                    "items": FREE_GIFT[1:]}}  # fmt: skip
    voided = ok(writer.post(f"{API}/orders/FREE-1/voids", json=void))
    assert voided["voidedAmount"] == 5
    balance = lines(writer, "FREE-1")
    assert (balance[1]["captured"], balance[1]["refunded"]) == (10000, 10000)
    assert balance[2] == {**balance[2], "authorized": 0, "captured": 0}
    assert (balance[3]["authorized"], balance[3]["released"]) == (500, 500)


def test_a_capture_of_only_free_lines_is_refused_and_moves_nothing(writer):
    ok(authorize(writer, "FREE-2", FREE_GIFT, 105, 88.23))
    body = {"orderDetails": {"totalGrossAmount": 0, "totalNetAmount": 0,
                             "items": [FREE_GIFT[1]]}}  # fmt: skip
    refused = writer.post(f"{API}/orders/FREE-2/captures", json=body)
    assert refused.status_code == 400, refused.text
    assert totals(writer, "FREE-2")["captured"] == 0


def test_oxid_voucher_float_noise_and_a_net_total_a_cent_off_are_accepted(writer):
    voucher = item("VOUCHER", -10, -8.4, type="Discount")
    voucher["vatAmount"] = -1.5999999999999996
    jacket = item("JACKET", 100, 84.03)
    jacket["netUnitPrice"] = 84.03000000000000114
    # Σ net = 84.03 - 8.40 = 75.63; the shop declares 75.64.
    body = authorize_body("OXID-1", [jacket, voucher], 90, 75.64)
    answer = ok(writer.post(f"{API}/checkout/authorize", json=body))
    assert answer["outcome"] == "Accepted"
    assert totals(writer, "OXID-1")["authorized"] == 9000
    real_decimals = authorize_body("OXID-2", [item("JACKET", 100.005, 84)], 100, 84)
    refused = writer.post(f"{API}/checkout/authorize", json=real_decimals)
    assert refused.status_code == 400
    assert refused.json()[0]["code"] == "400.007"
    off_by_two = authorize_body("OXID-3", [jacket], 100, 84.05)
    refused = writer.post(f"{API}/checkout/authorize", json=off_by_two)
    assert refused.json()[0]["code"] == "400.101"
    gross_off = authorize_body("OXID-4", [jacket], 100.01, 84.03)
    assert writer.post(f"{API}/checkout/authorize", json=gross_off).status_code == 400


def test_etrias_leaves_the_currency_out_and_reads_whole_second_times(writer):
    body = authorize_body("ETRIAS-1", [item("JACKET", 100, 84.03)], 100, 84.03)
    del body["order"]["currency"]
    ok(writer.post(f"{API}/checkout/authorize", json=body))
    order = ok(writer.get(f"{NATIVE}/orders/ETRIAS-1"))
    assert (order["currency"], order["totals"]["authorized"]) == ("EUR", 10000)
    capture = {"orderDetails": {"totalGrossAmount": 100, "totalNetAmount": 84.03}}
    captured = ok(writer.post(f"{API}/orders/ETRIAS-1/captures", json=capture))
    ok(writer.post(f"{API}/orders/ETRIAS-1/refunds",
                   json={"captureNumber": captured["captureNumber"]}))  # fmt: skip
    read = ok(writer.get(f"{API}/orders/ETRIAS-1"))
    times = _times(read)
    assert len(times) >= 4
    assert all(WHOLE_SECONDS.match(value) for value in times), times
    for path in ("captures", "refunds"):
        assert all(
            WHOLE_SECONDS.match(value)
            for value in _times(ok(writer.get(f"{API}/orders/ETRIAS-1/{path}")))
        )


def _times(answer: object) -> list[str]:
    if isinstance(answer, dict):
        found = [v for k, v in answer.items() if k in ("insertedAt", "updatedAt")]
        return found + [t for v in answer.values() for t in _times(v)]
    if isinstance(answer, list):
        return [t for v in answer for t in _times(v)]
    return []


def test_the_customer_facing_message_names_no_order_account_or_figure(writer):
    ok(authorize(writer, "SHOPPER-1", [item("JACKET", 100, 84.03)], 100, 84.03))
    again = writer.post(
        f"{API}/checkout/authorize",
        json=authorize_body("SHOPPER-1", [item("JACKET", 100, 84.03)], 100, 84.03),
    )
    over = writer.post(
        f"{API}/orders/SHOPPER-1/captures",
        json={"orderDetails": {"totalGrossAmount": 200, "totalNetAmount": 168.06,
                               "items": [item("JACKET", 100, 84.03, quantity=2)]}},
    )  # fmt: skip
    for answer in (again, over):
        assert answer.status_code == 400, answer.text
        [error] = answer.json()
        shown = error["customerFacingMessage"]
        for internal in ("SHOPPER-1", "acme", "10000", "20000", "200", "'"):
            assert internal not in shown, shown
        assert error["message"] != shown  # the detail stays for the developer


def test_references_cancellation_numbers_refund_vat_and_shipping_read_back(writer):
    three = [item("JACKET", 100, 84.03), item("HAT", 30, 25.21), item("SHIP", 5, 4.2)]
    ok(authorize(writer, "REFS-1", three, 135, 113.44))
    capture = {
        "invoiceNumber": "INV-77",
        "transactionReference": "psp-tx-0001",
        "parentTransactionReference": "psp-order-77",
        "orderDetails": {"totalGrossAmount": 130, "totalNetAmount": 109.24,
                         "items": three[:2]},
    }  # fmt: skip
    captured = ok(writer.post(f"{API}/orders/REFS-1/captures", json=capture))
    assert captured["captureNumber"] == "INV-77"
    goodwill = {
        "captureNumber": "INV-77",
        "transactionReference": "psp-tx-0002",
        "items": [{"productId": "REFUND", "description": "Goodwill",
                   "grossUnitPrice": -11.9, "netUnitPrice": -10, "quantity": 1,
                   "vatPercent": 19, "vatAmount": -1.9}],
    }  # fmt: skip
    ok(writer.post(f"{API}/orders/REFS-1/refunds", json=goodwill))
    void = {"cancellationDetails": {"totalGrossAmount": 5, "totalNetAmount": 4.2,
                                    "items": three[2:]}}  # fmt: skip
    ok(writer.post(f"{API}/orders/REFS-1/voids", json=void))
    shipping = {"type": "shipment", "shippingCompany": "DHL",
                "trackingId": "3SBCC000123457",
                "trackingUrl": "https://tracking.example/3SBCC000123457"}  # fmt: skip
    first = ok(writer.post(f"{API}/orders/REFS-1/captures/inv-77/shipping-details",
                           json=shipping))  # fmt: skip
    second = ok(writer.post(f"{API}/orders/REFS-1/captures/INV-77/shipping-details",
                            json={**shipping, "type": "Return",
                                  "trackingId": "RET-1"}))  # fmt: skip
    assert (first["shippingNumber"], second["shippingNumber"]) == (1, 2)

    order = ok(writer.get(f"{API}/orders/REFS-1"))
    [capture_read] = order["captures"]
    assert capture_read["transactionReference"] == "psp-tx-0001"
    assert capture_read["parentTransactionReference"] == "psp-order-77"
    assert [s["trackingId"] for s in capture_read["shippingDetails"]] == [
        "3SBCC000123457",
        "RET-1",
    ]
    assert capture_read["shippingDetails"][1]["type"] == "Return"
    [refund_read] = order["refunds"]
    assert refund_read["transactionReference"] == "psp-tx-0002"
    [asked] = refund_read["refundItems"]
    assert (asked["vatPercent"], asked["vatAmount"]) == (19, -1.9)
    assert (asked["grossUnitPrice"], asked["netUnitPrice"]) == (-11.9, -10)
    [cancellation] = order["cancellations"]
    assert [i["cancellationNumber"] for i in cancellation["cancellationItems"]] == [
        cancellation["cancellationNo"]
    ]
    assert totals(writer, "REFS-1")["captured"] == 13000
    assert totals(writer, "REFS-1")["refunded"] == 1190
    unknown = writer.post(
        f"{API}/orders/REFS-1/captures/NOPE/shipping-details", json=shipping
    )
    assert unknown.status_code == 400
    assert unknown.json()[0]["code"] == "400.920"
    bad = writer.post(
        f"{API}/orders/REFS-1/captures/INV-77/shipping-details",
        json={**shipping, "type": "teleport"},
    )
    assert bad.status_code == 400
    shipped = [
        e for e in events_of(writer, "REFS-1") if e["type"] == "ShippingRecorded"
    ]
    assert len(shipped) == 2  # nothing recorded by the refused ones


def events_of(client: httpx.Client, number: str) -> list[dict[str, Any]]:
    return ok(client.get(f"{NATIVE}/orders/{number}/events"))["events"]


GOODS = [item("JACKET", 100, 84.03), item("HAT", 30, 25.21), item("SHIP", 5, 4.2)]


def goodwill(amount: float, capture: str | None = "INV-1") -> dict[str, Any]:
    line = {"productId": "REFUND", "description": "Goodwill", "quantity": 1,
            "grossUnitPrice": -amount, "netUnitPrice": -amount, "vatPercent": 0,
            "vatAmount": 0}  # fmt: skip
    body: dict[str, Any] = {"items": [line]}
    if capture:
        body["captureNumber"] = capture
    return body


def captured_in_full(writer: httpx.Client, number: str) -> None:
    ok(authorize(writer, number, GOODS, 135, 113.44))
    body = {"invoiceNumber": "INV-1", "orderDetails": {"totalGrossAmount": 135,
            "totalNetAmount": 113.44, "items": GOODS}}  # fmt: skip
    ok(writer.post(f"{API}/orders/{number}/captures", json=body))


def test_goodwill_then_the_whole_item_is_refunded_against_the_capture(writer):
    captured_in_full(writer, "GW-1")
    ok(writer.post(f"{API}/orders/GW-1/refunds", json=goodwill(13.5)))
    jacket = {"captureNumber": "INV-1", "items": [GOODS[0]]}
    answer = ok(writer.post(f"{API}/orders/GW-1/refunds", json=jacket))
    assert answer["totalRefundedAmount"] == 113.5
    balance = lines(writer, "GW-1")
    assert balance[1]["refunded"] == 10000  # the jacket, whole
    assert balance[2]["refunded"] + balance[3]["refunded"] == 1350
    for line_id in (1, 2, 3):
        assert 0 <= balance[line_id]["refunded"] <= balance[line_id]["captured"]
    [capture] = ok(writer.get(f"{API}/orders/GW-1/captures"))["captures"]
    assert capture["balance"] == 21.5
    kinds = [e["type"] for e in events_of(writer, "GW-1")]
    assert kinds[-3:] == ["Refunded", "RefundSharesMoved", "Refunded"]
    audit = ok(writer.get(f"{NATIVE}/audit/verify", params={"order_id": "GW-1"}))
    assert audit["broken"] == []


def test_goodwill_then_an_item_without_a_capture_number(writer):
    captured_in_full(writer, "GW-2")
    ok(writer.post(f"{API}/orders/GW-2/refunds", json=goodwill(13.5, None)))
    ok(writer.post(f"{API}/orders/GW-2/refunds", json={"items": [GOODS[0]]}))
    assert totals(writer, "GW-2")["refunded"] == 11350
    assert lines(writer, "GW-2")[1]["refunded"] == 10000


def test_a_goodwill_share_never_moves_beyond_what_the_capture_has(writer):
    captured_in_full(writer, "GW-3")
    ok(writer.post(f"{API}/orders/GW-3/refunds", json=goodwill(130)))
    before = events_of(writer, "GW-3")
    jacket = {"captureNumber": "INV-1", "items": [GOODS[0]]}
    refused = writer.post(f"{API}/orders/GW-3/refunds", json=jacket)
    assert refused.status_code == 400
    assert refused.json()[0]["code"] == "400.910"
    assert events_of(writer, "GW-3") == before
    assert totals(writer, "GW-3")["refunded"] == 13000
