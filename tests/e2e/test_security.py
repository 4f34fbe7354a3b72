"""Rate limits, security headers, no customer data, and no way into another account."""

from __future__ import annotations

import json
import re

from api.limits import RateLimiter
from tests.e2e.conftest import ACCOUNT
from tests.e2e.dintero import NATIVE, SHOP, chair, create_order, ok, operation
from tests.e2e.riverty import API, authorize

SAMPLE_BODIES = {
    "draft_orders": {"order": {"currency": "NOK", "items": [chair(9, 1)]}},
    "authorizations": {
        "items": [{"line_id": 1, "amount": 1}],
        "payment_details": {"payment_id": "X"},
    },
    "captures": {
        "items": [{"line_id": 1, "amount": 1}],
        "payment_details": {"payment_id": "X"},
    },
    "refund": {
        "items": [{"line_id": 1, "amount": 1}],
        "payment_details": {"payment_id": "X"},
    },
    "cancel": {},
    "expiry": {"expires_at": "2031-01-01T00:00:00Z"},
}


def test_a_key_over_its_rate_gets_429_with_retry_after(api, writer):
    keys = api.app.state.keys
    api.app.state.rate_limiter = RateLimiter(keys.admissions, keys.schema, 0.5, 3)
    statuses = [writer.get(f"{NATIVE}/orders/none").status_code for _ in range(5)]
    assert statuses[:3] == [404, 404, 404]
    limited = writer.get(f"{NATIVE}/orders/none")
    assert limited.status_code == 429
    assert limited.json()["code"] == "too_many_requests"
    assert int(limited.headers["retry-after"]) >= 1
    riverty = writer.get(f"{API}/orders/none")
    assert (riverty.status_code, riverty.json()[0]["code"]) == (429, "429.000")
    with api.client(api.finance) as other_key:  # the limit is per key
        assert other_key.get(f"{NATIVE}/orders/none").status_code == 404


def test_security_headers_on_every_answer(writer):
    for response in (writer.get("/health/live"), writer.get(f"{NATIVE}/orders/none")):
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["x-frame-options"] == "DENY"
        assert response.headers["cache-control"] == "no-store"
        assert "default-src 'none'" in response.headers["content-security-policy"]
    docs_policy = writer.get("/docs").headers["content-security-policy"]
    assert "script-src 'self';" in docs_policy  # its own assets, no inline script


def test_a_malformed_key_is_401(api):
    for key in ("lk_", "lk_abc", "nonsense", "lk_x_y_z" * 40):
        with api.client(key) as client:
            assert client.get(f"{NATIVE}/orders/x").status_code == 401


def test_riverty_customer_data_is_not_stored(writer):
    ok(authorize(writer, "PII-1"))
    events = json.dumps(ok(writer.get(f"{NATIVE}/orders/PII-1/events")))
    assert "Stored" not in events  # the customer's last name in the request
    assert "firstName" not in events


SETTLEMENT_FILE = (
    b"date,order_id,payment_id,kind,amount,currency,reference\n"
    b"2026-11-02,ELSEWHERE-1,P1,capture,500,NOK,psp-1\n"
)


def test_no_route_reaches_another_accounts_data(api, writer):
    """Walk every route with a foreign key: nothing of acme's is read or written."""
    order_id = create_order(writer, [chair(1, 1000)])
    ok(operation(writer, order_id, "authorizations", {1: 1000}))
    ok(authorize(writer, "RIV-X"))
    draft = ok(
        writer.post(f"{SHOP}/draft_orders", json=SAMPLE_BODIES["draft_orders"]), 201
    )
    hook = ok(
        writer.post(
            f"{NATIVE}/webhooks",
            json={"url": "http://127.0.0.1:9/never", "events": ["*"]},
        ),
        201,
    )
    with api.client(api.finance) as finance:
        ok(
            finance.post(
                f"{NATIVE}/settlements/imports",
                content=SETTLEMENT_FILE,
                headers={"Content-Type": "text/csv"},
            ),
            201,
        )
        run = ok(finance.post(f"{NATIVE}/reconciliation/runs"), 201)
        (exception,) = ok(finance.get(f"{NATIVE}/reconciliation/exceptions"))[
            "exceptions"
        ]
        batches_before = finance.get(f"{NATIVE}/settlements/batches").json()
    before = {
        ref: ok(writer.get(f"{NATIVE}/orders/{ref}/events"))
        for ref in (order_id, "RIV-X")
    }
    paths = ok(writer.get("/openapi.json"))["paths"]
    values = {
        "aid": ACCOUNT,
        "order_id": order_id,
        "orderNumber": "RIV-X",
        "draft_id": draft["id"],
        "payment_id": "PID_123",
        "line_id": "1",
        "operation_id": "00000000-0000-0000-0000-000000000000",
        "number": "1",
        "webhook_id": hook["id"],
        "captureNumber": "1",
        "provider": "generic",
        "batch_id": batches_before["batches"][0]["batch_id"],
        "run_id": run["run_id"],
        "exception_id": exception["id"],
    }
    walked = 0
    with api.client(api.other_writer) as foreign:
        for template, methods in paths.items():
            if "{" not in template or template.endswith("/auth/token"):
                continue  # the token route takes client credentials, not a key
            path = re.sub(r"\{(\w+)\}", lambda m: values[m.group(1)], template)
            for method in methods:
                body = SAMPLE_BODIES.get(template.rsplit("/", 1)[-1], {})
                response = foreign.request(
                    method.upper(), path, json=body if method != "get" else None
                )
                walked += 1
                assert response.status_code in (400, 404, 422), (
                    method,
                    template,
                    response.text,
                )
                assert order_id not in response.text or response.status_code != 200
                if method == "get":
                    assert response.status_code == 404, (template, response.text)
    assert walked >= 15
    after = {
        ref: ok(writer.get(f"{NATIVE}/orders/{ref}/events"))
        for ref in (order_id, "RIV-X")
    }
    assert after == before
    assert "order_id" not in ok(writer.get(f"{SHOP}/draft_orders/{draft['id']}"))
    kept = ok(writer.get(f"{NATIVE}/webhooks/{hook['id']}"))
    assert (kept["url"], kept["disabled"]) == (hook["url"], hook["disabled"])
    with api.client(api.finance) as finance:
        assert finance.get(f"{NATIVE}/settlements/batches").json() == batches_before
        (still,) = ok(finance.get(f"{NATIVE}/reconciliation/exceptions"))["exceptions"]
        assert still["status"] == "open"


def test_guessing_keys_is_limited_per_address(api):
    keys = api.app.state.keys
    api.app.state.rate_limiter = RateLimiter(keys.admissions, keys.schema, 0.5, 3)
    with api.client("lk_nope_wrong") as guesser:
        statuses = [guesser.get(f"{NATIVE}/orders/x").status_code for _ in range(4)]
    assert statuses == [401, 401, 401, 429]


def test_a_wrong_secret_for_a_real_key_id_does_not_spend_that_keys_budget(api):
    keys = api.app.state.keys
    api.app.state.rate_limiter = RateLimiter(keys.admissions, keys.schema, 0.5, 3)
    key_id = api.writer.split("_")[1]
    with api.client(f"lk_{key_id}_not-its-secret") as guesser:
        statuses = [guesser.get(f"{NATIVE}/orders/x").status_code for _ in range(3)]
    assert statuses == [401, 401, 401]
    with api.client(api.writer) as owner:
        assert [owner.get(f"{NATIVE}/orders/x").status_code for _ in range(3)] == [
            404,
            404,
            404,
        ]


def test_rate_charges_skip_the_wal_flush_and_key_changes_do_not(api):
    """A lost charge costs nothing; a revocation must survive a crash."""
    keys = api.app.state.keys
    with keys.admissions.connection() as conn:
        assert conn.execute("SHOW synchronous_commit").fetchone() == ("off",)
    with keys.pool.connection() as conn:
        assert conn.execute("SHOW synchronous_commit").fetchone() == ("on",)


def test_the_limit_is_shared_by_every_limiter_on_the_database(api):
    """Two workers are two limiters on one table: a key's budget is not doubled."""
    keys = api.app.state.keys
    first = RateLimiter(keys.admissions, keys.schema, 0.5, 3)
    second = RateLimiter(keys.admissions, keys.schema, 0.5, 3)
    assert [first.retry_after("k"), second.retry_after("k")] == [0, 0]
    assert first.retry_after("k") == 0
    assert second.retry_after("k") >= 1
    assert first.retry_after("other") == 0
