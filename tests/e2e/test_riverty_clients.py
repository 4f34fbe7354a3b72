"""Riverty's API v3 as its real clients speak it (issue 14), end to end over HTTP.

Request shapes come from Riverty's reference (developer.riverty.com,
docs.riverty.com) and from what its PHP SDK and the shop plugins built on it
send: string amounts and quantities, refund lines with negated prices under
``orderItems``, ``""`` bodies for a full refund or void, captures with and
without ``invoiceNumber``, WooCommerce's one free-form ``REFUND`` line,
OXID's void and order read. Every answer is checked, and so are the ledger's
own (native) balances after it: no 200 records an amount other than the one
asked for.
"""

from __future__ import annotations

import copy
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from tests.e2e.dintero import NATIVE, ok
from tests.e2e.riverty import API, SEED_ITEMS, authorize, item, summary, update

JACKET, SOCKS, HAT, SHIP = (copy.deepcopy(i) for i in SEED_ITEMS)


def totals(client: httpx.Client, number: str) -> dict[str, int]:
    return ok(client.get(f"{NATIVE}/orders/{number}"))["totals"]


def codes(response: httpx.Response, status: int = 400) -> list[tuple[str, Any]]:
    assert response.status_code == status, response.text
    return [(e["code"], e["fieldReference"]) for e in response.json()]


def post(client: httpx.Client, number: str, what: str, **kwargs: Any) -> httpx.Response:
    return client.post(f"{API}/orders/{number}/{what}", **kwargs)


def capture_all(
    client: httpx.Client, number: str, invoice: str | None = None, gross: Any = 285
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "orderDetails": {"totalGrossAmount": gross, "totalNetAmount": 239.41}
    }
    if invoice is not None:
        body["invoiceNumber"] = invoice
    return ok(post(client, number, "captures", json=body))


def jacket_capture(invoice: str | None = None) -> dict[str, Any]:
    """A capture of the two jackets (200.00) only."""
    body: dict[str, Any] = {
        "orderDetails": {
            "totalGrossAmount": 200,
            "totalNetAmount": 168,
            "items": [JACKET],
        }
    }
    if invoice is not None:
        body["invoiceNumber"] = invoice
    return body


def sdk_refund_line(
    line: dict[str, Any], quantity: int | None = None
) -> dict[str, Any]:
    """A line as Riverty's PHP SDK builds a partial refund: amounts negated,
    the quantity as a string, ``refundType`` lost on the way."""
    return {
        "productId": line["productId"],
        "description": line["description"],
        "quantity": str(quantity or line["quantity"]),
        "grossUnitPrice": -line["grossUnitPrice"],
        "netUnitPrice": -line["netUnitPrice"],
        "vatAmount": -line["vatAmount"],
        "vatPercent": line["vatPercent"],
    }


class TestRequestsAsClientsSendThem:
    def test_string_amounts_and_quantities(self, writer):
        items = [
            {
                **JACKET,
                "grossUnitPrice": "100.00",
                "netUnitPrice": "84",
                "quantity": "2",
            },
            {**SOCKS, "grossUnitPrice": "10", "quantity": "5", "vatAmount": "1.6"},
            HAT,
            SHIP,
        ]
        ok(authorize(writer, "S-1", items, gross="285.00", net="239.41"))
        answer = capture_all(writer, "S-1", "S-1", gross="285")
        assert answer["capturedAmount"] == 285
        assert totals(writer, "S-1")["captured"] == 28500

    def test_order_numbers_and_enum_values_in_any_case(self, writer):
        items = [{**SHIP, "type": "shippingfee", "vatCategory": "highcategory"}]
        ok(
            authorize(
                writer, "Case-Order", [JACKET, SOCKS, HAT, *items], currency="eur"
            )
        )
        answer = capture_all(writer, "CASE-ORDER", "inv-case")
        assert answer["totalCapturedAmount"] == 285
        read = ok(writer.get(f"{API}/orders/case-order"))
        assert read["orderDetails"]["orderNumber"] == "Case-Order"
        assert read["orderDetails"]["currency"] == "EUR"
        refund = {"captureNumber": "inv-case", "refundType": "return"}
        ok(post(writer, "case-ORDER", "refunds", json=refund))
        assert totals(writer, "Case-Order")["refunded"] == 28500


class TestCaptures:
    def test_without_an_invoice_number_the_ledger_numbers_the_capture(self, writer):
        ok(authorize(writer, "K-1"))
        first = ok(
            post(
                writer,
                "K-1",
                "captures",
                json=jacket_capture(),
            )
        )
        number = first["captureNumber"]
        assert number.isdigit()
        assert len(number) <= 19
        assert first == {
            "capturedAmount": 200,
            "authorizedAmount": 285,
            "remainingAuthorizedAmount": 85,
            "captureNumber": number,
            "totalCapturedAmount": 200,
            "totalRefundedAmount": 0,
        }
        ok(post(writer, "K-1", "refunds", json={"captureNumber": number}))
        assert totals(writer, "K-1")["refunded"] == 20000

    def test_the_same_invoice_number_and_content_answers_the_first_capture(
        self, writer
    ):
        ok(authorize(writer, "K-2"))
        body = jacket_capture("INV-K2")
        first = ok(post(writer, "K-2", "captures", json=body))
        again = ok(post(writer, "K-2", "captures", json=body))
        assert again == first
        assert totals(writer, "K-2")["captured"] == 20000
        other = copy.deepcopy(body)
        other["orderDetails"] = {
            "totalGrossAmount": 50,
            "totalNetAmount": 42,
            "items": [SOCKS],
        }
        assert codes(post(writer, "K-2", "captures", json=other)) == [
            ("400.919", "invoiceNumber")
        ]
        assert totals(writer, "K-2")["captured"] == 20000

    def test_a_full_capture_repeated_under_its_number_is_answered_once(self, writer):
        ok(authorize(writer, "K-3"))
        first = capture_all(writer, "K-3", "K-3")
        assert capture_all(writer, "K-3", "K-3") == first
        assert totals(writer, "K-3")["captured"] == 28500

    def test_capturing_all_must_declare_what_is_left(self, writer):
        ok(authorize(writer, "K-4"))
        response = post(
            writer,
            "K-4",
            "captures",
            json={"orderDetails": {"totalGrossAmount": 100, "totalNetAmount": 84}},
        )
        assert codes(response) == [("400.102", "orderDetails.totalGrossAmount")]
        assert totals(writer, "K-4")["captured"] == 0


class TestRefunds:
    def test_the_sdks_partial_refund_with_negated_prices(self, writer):
        ok(authorize(writer, "F-1"))
        capture_all(writer, "F-1", "INV-F1")
        body = {
            "captureNumber": "INV-F1",
            "orderItems": [sdk_refund_line(SOCKS, 2)],
            "refundType": "Refund",
        }
        answer = ok(post(writer, "F-1", "refunds", json=body))
        assert answer["totalRefundedAmount"] == 20
        assert answer["totalCapturedAmount"] == 285
        assert len(answer["refundNumbers"]) == 1
        lines = {
            line["line_id"]: line["balance"]["refunded"]
            for line in ok(writer.get(f"{NATIVE}/orders/F-1"))["lines"]
        }
        assert lines == {1: 0, 2: 2000, 3: 0, 4: 0}

    @pytest.mark.parametrize(
        "body",
        [None, "", "null", "{}", '""'],
        ids=["none", "empty", "null", "{}", '""'],
    )
    def test_an_empty_body_refunds_everything(self, writer, body):
        number = f"F-EMPTY-{len(body or '')}-{body!s:.2}"
        ok(authorize(writer, number))
        capture_all(writer, number, "INV")
        headers = {"Content-Type": "application/json"}
        answer = ok(post(writer, number, "refunds", content=body, headers=headers))
        assert answer["totalRefundedAmount"] == 285
        assert totals(writer, number)["refunded"] == 28500

    def test_no_capture_number_refunds_across_the_captures(self, writer):
        ok(authorize(writer, "F-2"))
        first = {
            "orderDetails": {
                "totalGrossAmount": 200,
                "totalNetAmount": 168,
                "items": [JACKET],
            },
            "invoiceNumber": "F2-A",
        }
        ok(post(writer, "F-2", "captures", json=first))
        capture_all(writer, "F-2", "F2-B", gross=85)
        answer = ok(post(writer, "F-2", "refunds", json=""))
        assert len(answer["refundNumbers"]) == 2  # one per capture
        captures = ok(writer.get(f"{API}/orders/F-2/captures"))["captures"]
        assert [(c["captureNumber"], c["balance"]) for c in captures] == [
            ("F2-A", 0),
            ("F2-B", 0),
        ]
        assert totals(writer, "F-2")["refunded"] == 28500

    def test_woocommerces_free_form_refund_is_spread_pro_rata(self, writer):
        ok(authorize(writer, "W-1"))
        capture = ok(
            post(
                writer,
                "W-1",
                "captures",
                json={
                    "orderDetails": {
                        "totalGrossAmount": 285,
                        "totalNetAmount": 239.41,
                        "items": [JACKET, SOCKS, HAT, SHIP],
                    },
                    "invoiceNumber": "W-1",
                },
            )
        )
        assert capture["captureNumber"] == "W-1"
        line = {
            "productId": "REFUND",
            "description": "REFUND: damaged",
            "quantity": "1",
            "grossUnitPrice": -28.5,
            "netUnitPrice": -23.95,
            "vatAmount": -4.55,
            "vatPercent": 19,
        }
        answer = ok(
            post(
                writer,
                "W-1",
                "refunds",
                json={"captureNumber": "W-1", "orderItems": [line]},
            )
        )
        assert answer["totalRefundedAmount"] == 28.5
        lines = {
            ln["line_id"]: ln["balance"]["refunded"]
            for ln in ok(writer.get(f"{NATIVE}/orders/W-1"))["lines"]
        }
        # 2850 over 20000, 5000, 3000, 500 (of 28500): exactly a tenth each
        assert lines == {1: 2000, 2: 500, 3: 300, 4: 50}
        [refund] = ok(writer.get(f"{API}/orders/W-1/refunds"))["refunds"]
        assert refund["amount"] == -28.5
        assert refund["refundItems"][0]["productId"] == "REFUND"
        assert refund["refundItems"][0]["description"] == "REFUND: damaged"

    def test_a_free_amount_uses_the_largest_remainder(self, writer):
        ok(authorize(writer, "W-2"))
        capture_all(writer, "W-2", "W-2")
        line = {**item("REFUND", -1, -1), "vatAmount": 0}
        ok(
            post(
                writer, "W-2", "refunds", json={"captureNumber": "W-2", "items": [line]}
            )
        )
        lines = {
            ln["line_id"]: ln["balance"]["refunded"]
            for ln in ok(writer.get(f"{NATIVE}/orders/W-2"))["lines"]
        }
        # 100 over 20000:5000:3000:500 is 70.18, 17.54, 10.53, 1.75: the floors
        # (70, 17, 10, 1) leave 2, which go to the largest remainders (4, then 2).
        assert lines == {1: 70, 2: 18, 3: 10, 4: 2}
        assert sum(lines.values()) == 100

    def test_a_credit_note_number_is_the_refund_number_once(self, writer):
        ok(authorize(writer, "F-3"))
        capture_all(writer, "F-3", "F-3")
        body = {"orderItems": [sdk_refund_line(HAT)], "creditNoteNumber": "CN-1"}
        assert ok(post(writer, "F-3", "refunds", json=body))["refundNumbers"] == [
            "CN-1"
        ]
        again = {"orderItems": [sdk_refund_line(SHIP)], "creditNoteNumber": "CN-1"}
        assert codes(post(writer, "F-3", "refunds", json=again)) == [
            ("400.919", "creditNoteNumber")
        ]
        assert totals(writer, "F-3")["refunded"] == 3000

    @pytest.mark.parametrize(
        "body",
        [
            {"items": []},
            {"orderItems": []},
            {"orderItems": [{**sdk_refund_line(HAT), "grossUnitPrice": 0}]},
            {"items": [{**item("REFUND", 0, 0), "vatAmount": 0}]},
        ],
        ids=["empty items", "empty orderItems", "zero price", "zero free amount"],
    )
    def test_lines_that_come_to_nothing_refund_nothing(self, writer, body):
        number = f"F-Z-{abs(hash(str(body))) % 10_000}"
        ok(authorize(writer, number))
        capture_all(writer, number, "INV")
        response = post(writer, number, "refunds", json=body)
        assert response.status_code == 400, response.text
        assert totals(writer, number)["refunded"] == 0

    def test_a_free_amount_over_what_is_refundable_is_refused(self, writer):
        ok(authorize(writer, "F-4"))
        capture_all(writer, "F-4", "F-4")
        line = {**item("REFUND", -285.01, -285.01), "vatAmount": 0}
        response = post(writer, "F-4", "refunds", json={"items": [line]})
        assert codes(response) == [("400.910", None)]
        assert totals(writer, "F-4")["refunded"] == 0


class TestVoidsAndReads:
    def test_oxids_full_void_and_order_read(self, writer):
        ok(authorize(writer, "X-1"))
        headers = {"Content-Type": "application/json"}
        answer = ok(post(writer, "X-1", "voids", content='""', headers=headers))
        assert answer["totalAuthorizedAmount"] > 0  # OXID's test of a good void
        assert answer["remainingAuthorizedAmount"] == 0
        assert answer["voidedAmount"] == 285
        assert totals(writer, "X-1")["released"] == 28500
        read = ok(writer.get(f"{API}/orders/X-1"))
        assert read["orderDetails"]["status"] == "Cancelled"
        [void] = read["cancellations"]
        assert void["cancellationAmount"] == 285
        single = ok(writer.get(f"{API}/orders/X-1/voids/{void['cancellationNo']}"))
        assert single["cancellations"] == [void]

    def test_a_void_of_details_without_items_voids_nothing(self, writer):
        ok(authorize(writer, "X-2"))
        body = {"cancellationDetails": {"totalGrossAmount": 50, "totalNetAmount": 42}}
        assert post(writer, "X-2", "voids", json=body).status_code == 400
        assert totals(writer, "X-2")["released"] == 0

    def test_the_order_in_rivertys_shape(self, writer):
        ok(authorize(writer, "X-3"))
        read = ok(writer.get(f"{API}/orders/X-3"))
        details = read["orderDetails"]
        assert details["status"] == "Accepted"  # WooCommerce checks this
        assert details["orderNumber"] == "X-3"
        assert [i["productId"] for i in details["orderItems"]] == [
            "4534-BLK-M",
            "5745-GRY-M",
            "3323-BRN-M",
            "SHIP",
        ]
        jacket = details["orderItems"][0]
        assert (
            jacket["grossUnitPrice"],
            jacket["netUnitPrice"],
            jacket["quantity"],
        ) == (
            100,
            84,
            2,
        )
        assert read["payment"] == {"type": "Invoice"}
        assert (read["totalAuthorizedAmount"], read["remainingAuthorizedAmount"]) == (
            285,
            285,
        )
        assert read["captures"] == read["refunds"] == read["cancellations"] == []

    def test_captures_and_refunds_listed_and_read_one_by_one(self, writer):
        ok(authorize(writer, "X-4"))
        capture_all(writer, "X-4", "X4-INV")
        refund = ok(
            post(writer, "X-4", "refunds", json={"orderItems": [sdk_refund_line(HAT)]})
        )
        [number] = refund["refundNumbers"]
        [capture] = ok(writer.get(f"{API}/orders/X-4/captures/x4-inv"))["captures"]
        assert (capture["amount"], capture["balance"]) == (285, 255)
        assert capture["totalRefundedAmount"] == 30
        assert {i["productId"] for i in capture["captureItems"]} == {
            "4534-BLK-M",
            "5745-GRY-M",
            "3323-BRN-M",
            "SHIP",
        }
        [one] = ok(writer.get(f"{API}/orders/X-4/refunds/{number}"))["refunds"]
        assert (one["amount"], one["captureNumber"]) == (-30, "X4-INV")
        assert one["refundItems"][0]["grossUnitPrice"] == -30
        missing = writer.get(f"{API}/orders/X-4/captures/NOPE")
        assert codes(missing, 404) == [("404.000", None)]


class TestUpdateAfterAPartialCapture:
    def test_what_is_captured_stays(self, writer):
        ok(authorize(writer, "U-1"))
        ok(
            post(
                writer,
                "U-1",
                "captures",
                json=jacket_capture("U1"),
            )
        )
        # The socks are gone from the shop; the jacket stays as captured.
        body = summary([JACKET, HAT, SHIP], 235, 197.41)
        assert ok(update(writer, "U-1", body))["outcome"] == "Accepted"
        order = ok(writer.get(f"{NATIVE}/orders/U-1"))
        lines = {ln["line_id"]: ln for ln in order["lines"]}
        assert sorted(lines) == [1, 3, 4]
        assert lines[1]["balance"]["captured"] == 20000
        assert order["totals"]["outstanding_authorized"] == 3500
        rest = capture_all(writer, "U-1", "U1-B", gross=35)
        assert rest["capturedAmount"] == 35

    def test_a_captured_item_cannot_change(self, writer):
        ok(authorize(writer, "U-2"))
        ok(
            post(
                writer,
                "U-2",
                "captures",
                json=jacket_capture("U2"),
            )
        )
        fewer = {**JACKET, "quantity": 1}
        body = summary([fewer, SOCKS, HAT, SHIP], 185, 155.41)
        assert codes(update(writer, "U-2", body)) == [("400.917", None)]
        assert totals(writer, "U-2")["captured"] == 20000


class TestErrorsInRivertysFormat:
    def test_a_missing_body_is_400_001(self, writer):
        response = writer.post(
            f"{API}/checkout/authorize", headers={"Content-Type": "application/json"}
        )
        assert codes(response) == [("400.001", "request")]

    def test_required_and_too_long_values(self, writer):
        ok(authorize(writer, "E-1"))
        body = {
            "orderDetails": {"totalGrossAmount": 285, "totalNetAmount": 239.41},
            "invoiceNumber": "x" * 21,
        }
        assert codes(post(writer, "E-1", "captures", json=body)) == [
            ("400.005", "invoiceNumber")
        ]
        assert codes(post(writer, "E-1", "captures", json={"orderDetails": {}})) == [
            ("400.002", "orderDetails.totalGrossAmount"),
            ("400.002", "orderDetails.totalNetAmount"),
        ]

    def test_an_unknown_capture_number_and_a_bad_json_body(self, writer):
        ok(authorize(writer, "E-2"))
        unknown = post(writer, "E-2", "refunds", json={"captureNumber": "NOPE"})
        assert codes(unknown) == [("400.920", None)]
        headers = {"Content-Type": "application/json"}
        broken = post(writer, "E-2", "refunds", content="{", headers=headers)
        assert codes(broken) == [("400.001", "request")]

    def test_a_path_no_route_has_is_answered_in_rivertys_format(self, writer):
        assert codes(writer.get(f"{API}/no/such/path"), 404) == [("404.000", None)]
        wrong_method = writer.delete(f"{API}/orders/E-1")
        assert codes(wrong_method, 405) == [("405.000", None)]


class TestRaces:
    """SPEC §4.6 and §4.11 with Riverty's shapes: racing requests never over-move."""

    def test_racing_full_refunds_refund_the_capture_once(self, api, writer):
        ok(authorize(writer, "RACE-1"))
        capture_all(writer, "RACE-1", "RACE-1-A", gross=285)

        def full_refund(_: int) -> int:
            with api.client(api.writer) as client:
                return post(client, "RACE-1", "refunds", content="").status_code

        with ThreadPoolExecutor(8) as pool:
            statuses = list(pool.map(full_refund, range(8)))
        assert statuses.count(200) == 1, statuses
        assert set(statuses) <= {200, 400}, statuses
        assert totals(writer, "RACE-1")["refunded"] == 28500

    def test_racing_captures_under_one_invoice_number_capture_once(self, api, writer):
        ok(authorize(writer, "RACE-2"))
        body = jacket_capture("RACE-2-INV")

        def capture(_: int) -> dict[str, Any]:
            with api.client(api.writer) as client:
                return ok(post(client, "RACE-2", "captures", json=body))

        with ThreadPoolExecutor(8) as pool:
            answers = list(pool.map(capture, range(8)))
        assert all(answer == answers[0] for answer in answers)
        assert totals(writer, "RACE-2")["captured"] == 20000
