"""Idempotency, concurrency, keys, limits and reads, over HTTP."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

import httpx

from tests.e2e.dintero import NATIVE, SHOP, chair, create_order, history, ok, operation


def paid(writer: httpx.Client, gross: int = 39800) -> str:
    order_id = create_order(writer, [chair(1, gross)])
    ok(operation(writer, order_id, "authorizations", {1: gross}))
    return order_id


class TestIdempotency:
    def test_a_retry_returns_the_first_response_and_writes_nothing(self, writer):
        order_id = paid(writer)
        first = operation(
            writer, order_id, "captures", {1: 1000}, **{"Idempotency-Key": "cap-1"}
        )
        ok(
            operation(writer, order_id, "captures", {1: 500})
        )  # something happens in between
        before = history(writer, order_id)
        again = operation(
            writer, order_id, "captures", {1: 1000}, **{"Idempotency-Key": "cap-1"}
        )
        assert again.status_code == first.status_code == 200
        assert again.json() == first.json()
        assert history(writer, order_id) == before

    def test_the_same_key_with_another_body_is_409(self, writer):
        order_id = paid(writer)
        ok(
            operation(
                writer, order_id, "captures", {1: 1000}, **{"Idempotency-Key": "cap-1"}
            )
        )
        before = history(writer, order_id)
        response = operation(
            writer, order_id, "captures", {1: 1001}, **{"Idempotency-Key": "cap-1"}
        )
        assert response.status_code == 409
        assert response.json()["error"]["code"] == "idempotency_key_reused"
        assert history(writer, order_id) == before

    def test_draft_creation_and_completion_retries_give_the_same_order(self, writer):
        body = {"order": {"currency": "NOK", "items": [chair(1, 100)]}}
        draft = ok(
            writer.post(
                f"{SHOP}/draft_orders", json=body, headers={"Idempotency-Key": "d"}
            ),
            201,
        )
        again = ok(
            writer.post(
                f"{SHOP}/draft_orders", json=body, headers={"Idempotency-Key": "d"}
            ),
            201,
        )
        assert again == draft
        complete = f"{SHOP}/draft_orders/{draft['id']}/complete"
        order = ok(writer.put(complete, headers={"Idempotency-Key": "c"}))
        assert ok(writer.put(complete, headers={"Idempotency-Key": "c"})) == order
        second = writer.put(complete)
        assert second.status_code == 409
        assert second.json()["error"]["code"] == "draft_completed"

    def test_the_key_is_in_the_audit_trail(self, writer):
        order_id = paid(writer)
        ok(
            operation(
                writer,
                order_id,
                "captures",
                {1: 10},
                **{"Idempotency-Key": "k-audit", "X-Request-Id": "req-42"},
            )
        )
        last = ok(writer.get(f"{NATIVE}/orders/{order_id}/events"))["events"][-1]
        assert (last["type"], last["idempotency_key"], last["request_id"]) == (
            "Captured",
            "k-audit",
            "req-42",
        )
        assert last["payload"]["items"] == [{"line_id": 1, "amount": 10}]


def test_20_concurrent_captures_never_exceed_the_authorization(api, writer):
    order_id = paid(writer, gross=10_000)
    start = threading.Barrier(20)

    def capture(n: int) -> int:
        with api.client(api.writer) as client:
            start.wait()
            return operation(
                client, order_id, "captures", {1: 700}, **{"Idempotency-Key": f"c{n}"}
            ).status_code

    with ThreadPoolExecutor(20) as pool:
        statuses = list(pool.map(capture, range(20)))
    assert (
        sorted(statuses) == [200] * 14 + [409] * 6
    )  # 14 × 700 = 9800 ≤ 10000 < 15 × 700
    order = ok(writer.get(f"{NATIVE}/orders/{order_id}"))
    assert order["totals"]["captured"] == 9800
    captures = [
        e
        for e in ok(writer.get(f"{NATIVE}/orders/{order_id}/events"))["events"]
        if e["type"] == "Captured"
    ]
    assert len(captures) == 14


class TestKeys:
    def test_no_key_is_401(self, api, writer):
        order_id = paid(writer)
        with api.client() as anonymous:
            response = anonymous.get(f"{NATIVE}/orders/{order_id}")
        assert response.status_code == 401
        assert response.json()["code"] == "unauthorized"
        assert response.headers["www-authenticate"] == "Bearer"

    def test_a_wrong_key_is_401(self, api, writer):
        order_id = paid(writer)
        with api.client("lk_nothing_real") as stranger:
            assert stranger.get(f"{NATIVE}/orders/{order_id}").status_code == 401

    def test_another_accounts_order_is_404(self, api, writer):
        order_id = paid(writer)
        with api.client(api.other_writer) as other:
            assert other.get(f"/v1/accounts/other/orders/{order_id}").status_code == 404
            assert other.get(f"{NATIVE}/orders/{order_id}").status_code == 404
            response = operation(other, order_id, "captures", {1: 1})
        assert response.status_code == 404
        assert ok(writer.get(f"{NATIVE}/orders/{order_id}"))["totals"]["captured"] == 0

    def test_finance_reads_but_cannot_write(self, writer, finance):
        order_id = paid(writer)
        assert finance.get(f"{NATIVE}/orders/{order_id}").status_code == 200
        assert finance.get(f"{NATIVE}/orders/{order_id}/events").status_code == 200
        response = operation(finance, order_id, "captures", {1: 1})
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "forbidden"

    def test_admin_writes(self, api, writer):
        order_id = paid(writer)
        with api.client(api.admin) as admin:
            ok(operation(admin, order_id, "captures", {1: 1}))

    def test_the_riverty_header_is_accepted(self, api, writer):
        order_id = paid(writer)
        with httpx.Client(
            base_url=api.base, headers={"X-Auth-Key": api.finance}
        ) as client:
            assert client.get(f"{NATIVE}/orders/{order_id}").status_code == 200


class TestBadInput:
    def test_a_body_over_1_mib_is_413(self, writer):
        order_id = paid(writer)
        before = history(writer, order_id)
        body = b'{"items": [], "padding": "' + b"x" * (1024 * 1024) + b'"}'
        response = writer.post(
            f"{SHOP}/orders/{order_id}/captures",
            content=body,
            headers={"Content-Type": "application/json"},
        )
        assert response.status_code == 413
        assert response.json()["error"]["code"] == "payload_too_large"
        assert history(writer, order_id) == before

    def test_a_riverty_body_over_1_mib_is_a_riverty_413(self, writer):
        body = b'{"padding": "' + b"x" * (1024 * 1024) + b'"}'
        response = writer.post(
            "/api/v3/checkout/authorize",
            content=body,
            headers={"Content-Type": "application/json"},
        )
        assert response.status_code == 413
        [message] = response.json()
        assert message["code"] == "413.000"
        assert response.headers.get_list("x-request-id")

    def test_a_streamed_body_over_1_mib_is_413(self, writer):
        order_id = paid(writer)

        def chunks():
            for _ in range(20):
                yield b"x" * 65536

        response = writer.post(f"{SHOP}/orders/{order_id}/captures", content=chunks())
        assert response.status_code == 413

    def test_malformed_json_is_400_and_writes_nothing(self, writer):
        order_id = paid(writer)
        before = history(writer, order_id)
        response = writer.post(
            f"{SHOP}/orders/{order_id}/captures",
            content=b'{"items": [',
            headers={"Content-Type": "application/json"},
        )
        assert response.status_code == 400
        assert response.json()["error"]["code"] == "validation_error"
        assert history(writer, order_id) == before

    def test_a_missing_field_is_named(self, writer):
        order_id = paid(writer)
        response = writer.post(
            f"{SHOP}/orders/{order_id}/authorizations",
            json={"items": [{"line_id": 1, "amount": 1}]},
        )
        assert response.status_code == 400
        errors = response.json()["error"]["errors"]
        assert [e["field"] for e in errors] == ["payment_details"]

    def test_an_unknown_order_is_404(self, writer):
        response = operation(writer, "NOSUCHORD", "captures", {1: 1})
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "order_not_found"

    def test_a_bad_idempotency_key_is_400(self, writer):
        order_id = paid(writer)
        response = operation(
            writer, order_id, "captures", {1: 1}, **{"Idempotency-Key": "x" * 300}
        )
        assert response.status_code == 400


class TestReads:
    def test_by_version_and_time(self, writer, finance):
        order_id = paid(writer)
        events = ok(finance.get(f"{NATIVE}/orders/{order_id}/events"))["events"]
        authorized_at = events[-1]["time"]
        ok(operation(writer, order_id, "captures", {1: 100}))
        assert (
            ok(finance.get(f"{NATIVE}/orders/{order_id}", params={"version": 2}))[
                "totals"
            ]["authorized"]
            == 0
        )
        at = ok(
            finance.get(f"{NATIVE}/orders/{order_id}", params={"as_of": authorized_at})
        )
        assert (at["version"], at["totals"]["captured"]) == (3, 0)
        assert (
            ok(finance.get(f"{NATIVE}/orders/{order_id}"))["totals"]["captured"] == 100
        )
        missing = finance.get(f"{NATIVE}/orders/{order_id}", params={"version": 99})
        assert missing.status_code == 404
        assert missing.json()["code"] == "version_not_found"

    def test_a_time_without_zone_is_400(self, writer, finance):
        order_id = paid(writer)
        naive = datetime(2026, 1, 1).isoformat()  # noqa: DTZ001 - the point of the test
        assert (
            finance.get(
                f"{NATIVE}/orders/{order_id}", params={"as_of": naive}
            ).status_code
            == 400
        )

    def test_every_event_is_in_the_audit_trail(self, writer, finance):
        order_id = paid(writer)
        events = ok(finance.get(f"{NATIVE}/orders/{order_id}/events"))["events"]
        assert [e["type"] for e in events] == ["Opened", "ItemAdded", "Authorized"]
        assert [e["version"] for e in events] == [1, 2, 3]
        assert all(e["actor"] and e["request_id"] and e["time"] for e in events)
        assert events[1]["payload"]["item"]["gross_amount"] == 39800

    def test_the_audit_trail_comes_a_page_at_a_time(self, api, writer, finance):
        order_id = paid(writer)
        ok(operation(writer, order_id, "captures", {1: 100}))
        ok(operation(writer, order_id, "captures", {1: 100}))
        trail = f"{NATIVE}/orders/{order_id}/events"

        def page(after: int) -> tuple[list[int], bool]:
            got = ok(finance.get(trail, params={"after_version": after, "limit": 2}))
            return [e["version"] for e in got["events"]], got["has_more"]

        assert page(0) == ([1, 2], True)
        assert page(2) == ([3, 4], True)
        assert page(4) == ([5], False)
        assert page(5) == ([], False)
        whole = ok(finance.get(trail))
        assert ([e["version"] for e in whole["events"]], whole["has_more"]) == (
            [1, 2, 3, 4, 5],
            False,
        )
        for bad in ({"limit": 0}, {"limit": 1001}, {"after_version": -1}):
            assert finance.get(trail, params=bad).status_code == 422, bad
        with api.client(api.other_writer) as other:
            theirs = other.get(
                trail.replace("/acme/", "/other/"), params={"after_version": 9}
            )
            assert theirs.status_code in (403, 404)

    def test_the_response_carries_the_request_id(self, writer):
        response = writer.get("/health/live", headers={"X-Request-Id": "abc-123"})
        assert response.headers["x-request-id"] == "abc-123"
        assert writer.get("/health/live").headers["x-request-id"]

    def test_openapi_documents_the_dialect_with_seed_examples(self, writer):
        spec = ok(writer.get("/openapi.json"))
        paths = spec["paths"]
        assert "/v1/accounts/{aid}/shopping/draft_orders" in paths
        assert "/v1/accounts/{aid}/shopping/orders/{order_id}/captures" in paths
        examples = paths["/v1/accounts/{aid}/shopping/draft_orders"]["post"][
            "requestBody"
        ]["content"]["application/json"]["examples"]
        assert (
            examples["create"]["value"]["options"]["generate_order_id"]
            == "ALPHANUMERIC_9"
        )
        assert writer.get("/docs").status_code == 200


class TestAudit:
    def test_verify_reports_every_order_and_the_events_show_their_hashes(
        self, writer, finance
    ):
        order_id = paid(writer)
        report = ok(finance.get(f"{NATIVE}/audit/verify"))
        assert report["orders_checked"] >= 1
        assert report["broken"] == []
        one = ok(finance.get(f"{NATIVE}/audit/verify", params={"order_id": order_id}))
        assert (one["orders_checked"], one["events_checked"]) == (1, 3)
        events = ok(finance.get(f"{NATIVE}/orders/{order_id}/events"))["events"]
        assert all(len(e["hash"]) == 64 for e in events)
        assert [e["previous_hash"] for e in events[1:]] == [
            e["hash"] for e in events[:-1]
        ]

    def test_another_accounts_order_is_404(self, api, writer):
        order_id = paid(writer)
        with api.client(api.other_writer) as other:
            response = other.get(
                "/v1/accounts/other/audit/verify", params={"order_id": order_id}
            )
        assert response.status_code == 404


def test_a_payments_expiry_can_be_moved_and_then_it_captures(api, writer):
    order_id = paid(writer)  # line 1 authorized under PID_123
    later = (api.clock() + timedelta(days=90)).isoformat()
    moved = writer.post(
        f"{NATIVE}/orders/{order_id}/payments/PID_123/expiry",
        json={"expires_at": later},
    )
    assert moved.status_code == 200, moved.text
    [payment] = [p for p in moved.json()["payments"] if p["payment_id"] == "PID_123"]
    assert payment["expires_at"].startswith(later[:19])
    unknown = writer.post(
        f"{NATIVE}/orders/{order_id}/payments/NOPE/expiry", json={"expires_at": later}
    )
    assert unknown.status_code == 422
    assert unknown.json()["code"] == "unknown_payment"
    naive = writer.post(
        f"{NATIVE}/orders/{order_id}/payments/PID_123/expiry",
        json={"expires_at": "2030-01-01T00:00:00"},
    )
    assert naive.status_code == 422
    # Past the default 30 days, within the moved expiry: the capture goes through.
    api.clock.offset = timedelta(days=60)
    ok(operation(writer, order_id, "captures", {1: 1000}))
    # Past the moved expiry: refused as expired, and nothing more is captured.
    api.clock.offset = timedelta(days=91)
    expired = operation(writer, order_id, "captures", {1: 1000})
    assert expired.status_code in (409, 422), expired.text
    assert "expired" in expired.text
    assert ok(writer.get(f"{NATIVE}/orders/{order_id}"))["totals"]["captured"] == 1000
