"""The Riverty dialect over HTTP: risk checks, validation, captures, refunds, voids."""

from __future__ import annotations

import copy
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import httpx
import pytest

from api.risk_http import HttpRiskCheck
from domain.values import RiskOutcome
from tests.e2e.dintero import NATIVE, ok
from tests.e2e.riverty import (
    API,
    SEED_ITEMS,
    authorize,
    capture_jacket,
    item,
    summary,
    update,
)


def native(client, number):
    return ok(client.get(f"{NATIVE}/orders/{number}"))


def events(client, number):
    return ok(client.get(f"{NATIVE}/orders/{number}/events"))["events"]


def errors(response, status=400):
    assert response.status_code == status, response.text
    return [(e["code"], e["fieldReference"]) for e in response.json()]


class TestRiskCheck:
    def test_an_increase_under_the_limit_authorizes_exactly_the_increase(self, writer):
        ok(authorize(writer, "R1"))
        body = summary(
            [*copy.deepcopy(SEED_ITEMS), item("BELT", 50, 42.02)], 335, 281.43
        )
        answer = ok(update(writer, "R1", body))
        assert answer["outcome"] == "Accepted"
        order = native(writer, "R1")
        assert order["totals"]["authorized"] == 33500
        assert order["totals"]["outstanding_authorized"] == 33500
        replaced = events(writer, "R1")[-1]
        assert replaced["type"] == "OrderReplaced"
        assert (
            replaced["payload"]["increase"],
            replaced["payload"]["authorized_change"],
        ) == (5000, 5000)
        assert [line["line_id"] for line in order["lines"]] == [1, 2, 3, 4, 5]

    def test_an_increase_over_the_limit_is_rejected_and_only_recorded(self, writer):
        ok(authorize(writer, "R2"))
        before = native(writer, "R2")
        body = summary(
            [*copy.deepcopy(SEED_ITEMS), item("TV", 600, 504.20)], 885, 743.61
        )
        answer = ok(update(writer, "R2", body))
        assert answer["outcome"] == "Rejected"
        assert answer["riskCheckMessages"][0]["type"] == "BusinessError"
        after = native(writer, "R2")
        assert {
            k: v for k, v in after.items() if k not in ("version", "updated_at")
        } == {k: v for k, v in before.items() if k not in ("version", "updated_at")}
        rejected = events(writer, "R2")[-1]
        assert rejected["type"] == "UpdateRejected"
        assert rejected["payload"]["risk_outcome"] == "Rejected"

    def test_a_decrease_releases_the_difference(self, writer):
        ok(authorize(writer, "R3"))
        ok(update(writer, "R3", summary(copy.deepcopy(SEED_ITEMS[:1]), 200, 168)))
        order = native(writer, "R3")
        assert order["totals"]["outstanding_authorized"] == 20000
        assert [line["line_id"] for line in order["lines"]] == [1]

    def test_a_retried_update_returns_the_first_answer(self, writer):
        ok(authorize(writer, "R4"))
        body = summary(
            [*copy.deepcopy(SEED_ITEMS), item("TV", 600, 504.20)], 885, 743.61
        )
        first = writer.post(
            f"{API}/orders/R4/updateOrder", json=body, headers={"Idempotency-Key": "u1"}
        )
        again = writer.post(
            f"{API}/orders/R4/updateOrder", json=body, headers={"Idempotency-Key": "u1"}
        )
        assert again.json() == first.json()
        # opened, the payment type, 4 items, authorized, one rejection
        assert len(events(writer, "R4")) == 8


class RiskService(BaseHTTPRequestHandler):
    outcome = "Accepted"  # the answer to the kind judged; the other is accepted
    judged = "increase"  # or "authorization"
    silent = threading.Event()  # hold requests of the judged kind unanswered
    release = threading.Event()  # set at teardown: held requests end
    kinds: ClassVar[list[str]] = []

    def do_POST(self) -> None:
        length = int(self.headers["Content-Length"])
        request = json.loads(self.rfile.read(length))
        RiskService.kinds.append(request["kind"])
        judged = request["kind"] == RiskService.judged
        if RiskService.silent.is_set() and judged:
            # The connection stays open and unanswered until teardown: the
            # client's own timeout has to end the call.
            RiskService.release.wait(timeout=30)
            return
        body = json.dumps(
            {
                "outcome": RiskService.outcome if judged else "Accepted",
                "messages": [f"saw {request['increase_minor']}"],
            }
        )
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body.encode())

    def log_message(self, *_args: object) -> None:
        pass


@pytest.fixture
def risk_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), RiskService)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/risk"
    finally:
        RiskService.silent.clear()
        RiskService.judged = "increase"
        RiskService.kinds.clear()
        RiskService.release.set()
        server.shutdown()
        RiskService.release.clear()
        server.server_close()


class TestHttpRiskCheck:
    @pytest.mark.parametrize("answer", ["Accepted", "Pending", "Rejected"])
    def test_passes_on_the_service_answer(self, risk_url, answer):
        RiskService.outcome = answer
        decision = HttpRiskCheck(risk_url, timeout=2).assess("acct", "O1", "EUR", 1234)
        assert decision.outcome == RiskOutcome(answer)
        assert decision.messages == ("saw 1234",)

    def test_no_answer_in_time_is_not_evaluated(self, risk_url):
        RiskService.silent.set()
        decision = HttpRiskCheck(risk_url, timeout=0.3).assess("acct", "O1", "EUR", 1)
        assert decision.outcome is RiskOutcome.NOT_EVALUATED
        assert "timed out" in decision.messages[0], decision.messages

    def test_nothing_listening_is_not_evaluated(self):
        decision = HttpRiskCheck("http://127.0.0.1:9/risk", timeout=0.5).assess(
            "a", "O", "EUR", 1
        )
        assert decision.outcome is RiskOutcome.NOT_EVALUATED

    @pytest.mark.parametrize(
        ("answer", "applied"),
        [("Accepted", True), ("Pending", False), ("Rejected", False)],
    )
    def test_an_update_through_the_service(
        self, api, writer, risk_url, answer, applied
    ):
        RiskService.outcome = answer
        api.risk_check(HttpRiskCheck(risk_url, timeout=2))
        ok(authorize(writer, "H1"))
        body = summary(
            [*copy.deepcopy(SEED_ITEMS), item("BELT", 50, 42.02)], 335, 281.43
        )
        assert ok(update(writer, "H1", body))["outcome"] == answer
        assert native(writer, "H1")["totals"]["authorized"] == (
            33500 if applied else 28500
        )

    @pytest.mark.parametrize("answer", ["Accepted", "Pending", "Rejected"])
    def test_an_authorization_is_asked_and_only_accepted_makes_the_order(
        self, api, writer, risk_url, answer
    ):
        RiskService.judged, RiskService.outcome = "authorization", answer
        api.risk_check(HttpRiskCheck(risk_url, timeout=2))
        answered = ok(authorize(writer, f"AUTH-{answer}"))
        assert answered["outcome"] == answer
        assert RiskService.kinds == ["authorization"]
        found = writer.get(f"{NATIVE}/orders/AUTH-{answer}")
        if answer == "Accepted":
            assert found.json()["totals"]["authorized"] == 28500
            assert answered["reservationId"]
            assert answered["riskCheckMessages"][0]["type"] == "NotificationMessage"
        else:
            assert found.status_code == 404
            assert "reservationId" not in answered or not answered["reservationId"]
            assert answered["riskCheckMessages"][0]["message"] == "saw 28500"

    def test_the_built_in_rule_accepts_any_new_authorization(self, writer):
        big = [item("SOFA", 2000, 1680.67)]
        answer = ok(authorize(writer, "BIG-1", big, 2000, 1680.67))
        assert answer["outcome"] == "Accepted"
        assert native(writer, "BIG-1")["totals"]["authorized"] == 200000

    def test_an_unreachable_service_applies_nothing(self, api, writer, risk_url):
        RiskService.silent.set()
        api.risk_check(HttpRiskCheck(risk_url, timeout=0.3))
        ok(authorize(writer, "H2"))
        body = summary(
            [*copy.deepcopy(SEED_ITEMS), item("BELT", 50, 42.02)], 335, 281.43
        )
        assert ok(update(writer, "H2", body))["outcome"] == "NotEvaluated"
        assert len(native(writer, "H2")["lines"]) == 4
        assert events(writer, "H2")[-1]["payload"]["risk_outcome"] == "NotEvaluated"


class TestValidation:
    def test_update_after_a_full_capture_is_refused(self, writer):
        ok(authorize(writer, "V1"))
        ok(
            writer.post(
                f"{API}/orders/V1/captures",
                json={
                    "orderDetails": {"totalGrossAmount": 285, "totalNetAmount": 0},
                    "invoiceNumber": "INV-1",
                },
            )
        )
        body = summary(copy.deepcopy(SEED_ITEMS), 285, 239.41)
        assert errors(update(writer, "V1", body)) == [("400.916", None)]

    def test_200_items_are_accepted_and_201_refused(self, writer):
        two_hundred = [item(f"P{i}", 1, 0.84) for i in range(200)]
        ok(authorize(writer, "V2", two_hundred, gross=200, net=168))
        assert (
            ok(update(writer, "V2", summary(two_hundred, 200, 168)))["outcome"]
            == "Accepted"
        )
        too_many = [*two_hundred, item("P200", 1, 0.84)]
        assert errors(update(writer, "V2", summary(too_many, 201, 168.84))) == [
            ("400.003", "updateOrderSummary.items")
        ]

    def test_three_decimals_is_400_007(self, writer):
        ok(authorize(writer, "V3"))
        items = copy.deepcopy(SEED_ITEMS)
        items[1]["grossUnitPrice"] = 10.005
        assert errors(update(writer, "V3", summary(items, 285, 239.41))) == [
            ("400.007", "updateOrderSummary.items[1].grossUnitPrice")
        ]
        assert errors(
            update(writer, "V3", summary(copy.deepcopy(SEED_ITEMS), 285.001, 239.41))
        ) == [("400.007", "updateOrderSummary.totalGrossAmount")]

    def test_decimal_quantities_round_half_up(self, writer):
        ok(
            authorize(
                writer,
                "V4",
                [item("CHEESE", 0.05, 0.04, quantity=0.5)],
                gross=0.03,
                net=0.02,
            )
        )
        assert native(writer, "V4")["lines"][0]["gross_amount"] == 3

    def test_an_unknown_currency_is_refused(self, writer):
        ok(authorize(writer, "V5"))
        body = summary(copy.deepcopy(SEED_ITEMS), 285, 239.41)
        body["updateOrderSummary"]["currency"] = "USD"
        assert errors(update(writer, "V5", body)) == [
            ("400.004", "updateOrderSummary.currency")
        ]

    def test_another_currency_is_refused(self, writer):
        ok(authorize(writer, "V6"))
        body = summary(copy.deepcopy(SEED_ITEMS), 285, 239.41)
        body["updateOrderSummary"]["currency"] = "SEK"
        assert errors(update(writer, "V6", body)) == [("400.901", None)]

    def test_an_unknown_order_is_404(self, writer):
        assert errors(
            update(writer, "NOPE", summary(copy.deepcopy(SEED_ITEMS), 285, 239.41)), 404
        ) == [("404.001", None)]

    def test_another_accounts_order_is_404(self, api, writer):
        ok(authorize(writer, "V7"))
        with api.client(api.other_writer) as other:
            assert other.get(f"{API}/orders/V7").status_code == 404
            response = update(
                other, "V7", summary(copy.deepcopy(SEED_ITEMS), 285, 239.41)
            )
        assert errors(response, 404) == [("404.001", None)]

    def test_a_missing_field_and_a_too_long_one_are_named(self, writer):
        ok(authorize(writer, "V8"))
        items = copy.deepcopy(SEED_ITEMS)
        del items[0]["productId"]
        items[1]["productId"] = "p" * 101
        items[2]["groupId"] = "g" * 51  # Riverty truncates it: accepted
        assert errors(update(writer, "V8", summary(items, 285, 239.41))) == [
            ("400.002", "updateOrderSummary.items[0].productId"),
            ("400.005", "updateOrderSummary.items[1].productId"),
        ]

    def test_no_key_is_401_in_rivertys_format(self, api):
        with api.client() as anonymous:
            assert errors(anonymous.get(f"{API}/orders/X"), 401) == [("401.000", None)]

    def test_finance_cannot_write(self, finance):
        assert errors(authorize(finance, "V9"), 403) == [("403.000", None)]

    def test_the_x_auth_key_header_works(self, api):
        with httpx.Client(
            base_url=api.base, headers={"X-Auth-Key": api.writer}
        ) as client:
            assert ok(authorize(client, "V10"))["outcome"] == "Accepted"


class TestCapturesRefundsVoids:
    def test_capture_part_capture_rest_refund_void(self, writer):
        ok(authorize(writer, "C1"))
        jacket = copy.deepcopy(SEED_ITEMS[0])
        part = ok(
            writer.post(
                f"{API}/orders/C1/captures",
                json={
                    "orderDetails": {
                        "totalGrossAmount": 200,
                        "totalNetAmount": 168,
                        "items": [jacket],
                    },
                    "invoiceNumber": "INV-1",
                },
            )
        )
        assert part == {
            "capturedAmount": 200,
            "authorizedAmount": 285,
            "remainingAuthorizedAmount": 85,
            "captureNumber": "INV-1",  # the invoice number is the capture number
            "totalCapturedAmount": 200,
            "totalRefundedAmount": 0,
        }
        balances = {
            line["line_id"]: line["balance"] for line in native(writer, "C1")["lines"]
        }
        assert (balances[1]["captured"], balances[2]["captured"]) == (20000, 0)

        duplicate = writer.post(
            f"{API}/orders/C1/captures",
            json={
                "orderDetails": {
                    "totalGrossAmount": 85,
                    "totalNetAmount": 71.41,
                    "items": [],
                },
                "invoiceNumber": "INV-1",
            },
        )
        assert errors(duplicate) == [("400.919", "invoiceNumber")]

        rest = ok(
            writer.post(
                f"{API}/orders/C1/captures",
                json={
                    "orderDetails": {
                        "totalGrossAmount": 85,
                        "totalNetAmount": 71.41,
                        "items": [],
                    },
                    "invoiceNumber": "INV-2",
                },
            )
        )
        assert rest == {
            "capturedAmount": 85,
            "authorizedAmount": 285,
            "remainingAuthorizedAmount": 0,
            "captureNumber": "INV-2",
            "totalCapturedAmount": 285,
            "totalRefundedAmount": 0,
        }
        assert native(writer, "C1")["status"] == "captured"

        too_much = writer.post(
            f"{API}/orders/C1/refunds",
            json={"captureNumber": "INV-2", "orderItems": [jacket]},
        )
        assert errors(too_much) == [("400.910", None)]
        refunded = ok(
            writer.post(
                f"{API}/orders/C1/refunds",
                json={"captureNumber": "INV-1", "orderItems": [jacket]},
            )
        )
        [number] = refunded.pop("refundNumbers")
        assert len(number) <= 19
        assert refunded == {
            "totalCapturedAmount": 285,
            "totalAuthorizedAmount": 285,
            "remainingAuthorizedAmount": 0,
            "totalRefundedAmount": 200,
        }
        order = native(writer, "C1")
        assert order["totals"]["refunded"] == 20000
        assert order["totals"]["refundable"] == 8500
        unknown = writer.post(
            f"{API}/orders/C1/refunds", json={"captureNumber": "nope"}
        )
        assert errors(unknown) == [("400.920", None)]

    def test_void_after_a_partial_capture_frees_only_the_rest(self, writer):
        ok(authorize(writer, "C2"))
        ok(capture_jacket(writer, "C2", invoiceNumber="INV-1"))
        voided = ok(writer.post(f"{API}/orders/C2/voids", json={}))
        assert voided == {
            "totalCapturedAmount": 200,
            "totalAuthorizedAmount": 285,  # what was authorized: OXID reads it so
            "remainingAuthorizedAmount": 0,
            "voidedAmount": 85,
            "totalRefundedAmount": 0,
        }
        order = native(writer, "C2")
        assert (
            order["totals"]["captured"],
            order["totals"]["released"],
            order["totals"]["outstanding_authorized"],
        ) == (20000, 8500, 0)
        assert errors(writer.post(f"{API}/orders/C2/voids")) == [("400.912", None)]
        view = ok(writer.get(f"{API}/orders/C2"))
        assert (view["totalCapturedAmount"], view["remainingAuthorizedAmount"]) == (
            200,
            0,
        )

    def test_void_of_items_then_capture_of_the_rest(self, writer):
        ok(authorize(writer, "C3"))
        socks = copy.deepcopy(SEED_ITEMS[1])
        ok(
            writer.post(
                f"{API}/orders/C3/voids",
                json={
                    "cancellationDetails": {
                        "totalGrossAmount": 50,
                        "totalNetAmount": 42,
                        "items": [socks],
                    }
                },
            )
        )
        rest = ok(
            writer.post(
                f"{API}/orders/C3/captures",
                json={
                    "orderDetails": {
                        "totalGrossAmount": 235,
                        "totalNetAmount": 197.41,
                        "items": [],
                    },
                    "invoiceNumber": "I",
                },
            )
        )
        assert rest["capturedAmount"] == 235
        lines = {
            line["line_id"]: line["balance"] for line in native(writer, "C3")["lines"]
        }
        assert (lines[2]["released"], lines[2]["captured"]) == (5000, 0)

    def test_a_capture_of_an_unknown_product_is_refused(self, writer):
        ok(authorize(writer, "C4"))
        response = writer.post(
            f"{API}/orders/C4/captures",
            json={
                "orderDetails": {
                    "totalGrossAmount": 1,
                    "totalNetAmount": 1,
                    "items": [item("GHOST", 1, 0.84)],
                },
                "invoiceNumber": "I",
            },
        )
        assert errors(response) == [("400.904", "orderDetails.items[0].productId")]

    def test_capture_totals_must_match_the_items(self, writer):
        ok(authorize(writer, "C5"))
        response = writer.post(
            f"{API}/orders/C5/captures",
            json={
                "orderDetails": {
                    "totalGrossAmount": 199,
                    "totalNetAmount": 168,
                    "items": [copy.deepcopy(SEED_ITEMS[0])],
                },
                "invoiceNumber": "I",
            },
        )
        assert errors(response) == [("400.102", "orderDetails.totalGrossAmount")]

    def test_a_second_authorize_of_the_same_number_is_refused(self, writer):
        ok(authorize(writer, "C6"))
        assert errors(authorize(writer, "C6")) == [("400.100", "order.number")]
        assert errors(authorize(writer, "c6")) == [("400.100", "order.number")]


class TestRefundLines:
    """A refund names its lines under ``items`` (the reference) or ``orderItems``
    (the SDK); either way exactly those lines are refunded, never the whole capture."""

    def captured(self, writer, number: str) -> str:
        ok(authorize(writer, number))
        capture = ok(
            writer.post(
                f"{API}/orders/{number}/captures",
                json={
                    "orderDetails": {"totalGrossAmount": 285, "totalNetAmount": 239.41},
                    "invoiceNumber": f"INV-{number}",
                },
            )
        )
        return capture["captureNumber"]

    @pytest.mark.parametrize("field", ["items", "orderItems"])
    def test_only_the_named_lines_are_refunded(self, writer, field):
        number = f"RL-{field}"
        capture = self.captured(writer, number)
        jacket = copy.deepcopy(SEED_ITEMS[0])
        ok(
            writer.post(
                f"{API}/orders/{number}/refunds",
                json={"captureNumber": capture, field: [jacket]},
            )
        )
        assert native(writer, number)["totals"]["refunded"] == 20000  # 2 × 100.00

    def test_two_different_lists_are_refused_and_refund_nothing(self, writer):
        capture = self.captured(writer, "RL-BOTH")
        jacket, socks = copy.deepcopy(SEED_ITEMS[0]), copy.deepcopy(SEED_ITEMS[1])
        response = writer.post(
            f"{API}/orders/RL-BOTH/refunds",
            json={"captureNumber": capture, "items": [jacket], "orderItems": [socks]},
        )
        assert response.status_code == 400, response.text
        assert native(writer, "RL-BOTH")["totals"]["refunded"] == 0
