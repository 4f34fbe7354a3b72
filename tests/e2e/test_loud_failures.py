"""Failures answer in the route's dialect, carry the request id, and never pass
for success: 500s, access before validation, stale reads, concurrent retries."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from domain.values import Allocation
from tests.e2e import riverty
from tests.e2e.conftest import ACCOUNT
from tests.e2e.console import signed_in
from tests.e2e.dintero import NATIVE, SHOP, chair, create_order, ok, operation
from tests.integration.test_audit import tamper
from tests.integration.test_poison_isolation import save_unprojectable_order


class BrokenRiskService:
    def assess(self, *_: object) -> object:
        msg = "the risk port fell over"
        raise RuntimeError(msg)


def assert_carries_request_id_and_headers(response: httpx.Response) -> None:
    assert response.headers.get_list("x-request-id") == [
        response.headers["x-request-id"]
    ]
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["cache-control"] == "no-store"


def test_a_riverty_500_is_riverty_shaped_with_one_request_id(api, writer):
    ok(riverty.authorize(writer, "R500"))
    api.risk_check(BrokenRiskService())
    bigger = riverty.summary(
        [*riverty.SEED_ITEMS, riverty.item("EXTRA", 10, 10)], 295, 249.41
    )
    response = riverty.update(writer, "R500", bigger)
    assert response.status_code == 500
    [message] = response.json()
    assert message["type"] == "TechnicalError"
    assert "fell over" not in response.text  # no internals in the answer
    assert_carries_request_id_and_headers(response)


def test_a_native_500_is_a_problem_with_the_request_id(api, writer, monkeypatch):
    ledger = api.app.state.ledger

    def explode(*_: object, **__: object) -> object:
        msg = "boom"
        raise RuntimeError(msg)

    monkeypatch.setattr(ledger, "get_order", explode)
    response = writer.get(f"{NATIVE}/orders/ANY", headers={"X-Request-Id": "req-500"})
    assert response.status_code == 500
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["request_id"] == "req-500"
    assert response.headers["x-request-id"] == "req-500"
    assert_carries_request_id_and_headers(response)


BAD_JSON = b'{"order": '


@pytest.mark.parametrize(
    ("path", "key"),
    [
        (f"{SHOP}/draft_orders", None),
        (f"{riverty.API}/checkout/authorize", None),
        (f"{NATIVE}/reconciliation", None),
    ],
)
def test_no_key_is_401_whatever_the_body(api, path, key):
    with api.client(key) as client:
        response = client.post(
            path, content=BAD_JSON, headers={"Content-Type": "application/json"}
        )
    assert response.status_code == 401, response.text


def test_a_finance_key_writing_is_403_whatever_the_body(api):
    with api.client(api.finance) as client:
        for path in (f"{SHOP}/draft_orders", f"{riverty.API}/checkout/authorize"):
            response = client.post(
                path, content=BAD_JSON, headers={"Content-Type": "application/json"}
            )
            assert response.status_code == 403, (path, response.text)


def test_another_accounts_path_is_404_whatever_the_body(api):
    with api.client(api.other_writer) as client:
        response = client.post(
            f"{SHOP}/draft_orders",
            content=BAD_JSON,
            headers={"Content-Type": "application/json"},
        )
    assert response.status_code == 404, response.text


def test_a_writer_with_a_bad_body_still_gets_the_validation_error(writer):
    response = writer.post(
        f"{SHOP}/draft_orders",
        content=BAD_JSON,
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 400, response.text
    assert response.json()["error"]["code"] == "validation_error"


def test_a_finance_read_that_cannot_catch_up_is_503_not_a_stale_200(
    api, writer, finance
):
    api.app.state.settings = api.app.state.settings.model_copy(
        update={"projection_wait": 0.3}
    )
    api.app.state.projections.stop()  # nobody projects from here on
    body = {"order": {"currency": "NOK", "items": [chair(1, 100)]}}
    draft = ok(writer.post(f"{SHOP}/draft_orders", json=body), 201)
    ok(writer.put(f"{SHOP}/draft_orders/{draft['id']}/complete"))

    for path in ("/orders", "/reports/settlement?from=2026-01-01&to=2030-01-01"):
        response = finance.get(NATIVE + path)
        assert response.status_code == 503, (path, response.text)
        assert response.json()["code"] == "projection_lagging"
        assert response.headers["retry-after"] == "1"


def test_concurrent_identical_completes_answer_identically(writer):
    body = {"order": {"currency": "NOK", "items": [chair(1, 100)]}}
    draft = ok(writer.post(f"{SHOP}/draft_orders", json=body), 201)
    url = f"{SHOP}/draft_orders/{draft['id']}/complete"

    def complete(_: int) -> tuple[int, str]:
        with httpx.Client(base_url=str(writer.base_url), headers=writer.headers) as c:
            response = c.put(url, headers={"Idempotency-Key": "complete-once"})
            return response.status_code, response.text

    with ThreadPoolExecutor(20) as pool:
        answers = list(pool.map(complete, range(20)))
    assert {status for status, _ in answers} == {200}, answers
    assert len({text for _, text in answers}) == 1


def test_finance_reads_missing_a_set_aside_event_say_so(api, finance):
    """SPEC §10: an event a read model set aside is never a silent 200."""
    ledger = api.app.state.ledger
    save_unprojectable_order(ledger, "POISON", account=ACCOUNT)
    ledger.authorize(ACCOUNT, "POISON", "P", [Allocation(1, 1000)])
    ledger.capture(ACCOUNT, "POISON", "P", [Allocation(1, 1000)])
    api.app.state.projections.wait_for_head(10)

    reads = (
        NATIVE + "/orders",
        NATIVE + "/reports/settlement?from=2000-01-01&to=2100-01-01",
        SHOP + "/orders",
    )
    for path in reads:
        response = finance.get(path)
        assert response.status_code == 503, (path, response.text)
        assert "POISON" in response.text, response.text
        assert "read_model_incomplete" in response.text, response.text
    with signed_in(api, api.finance) as console:
        page = console.get("/console/orders")
        assert page.status_code == 503, page.text
        assert "POISON" in page.text
    ready = httpx.get(f"{api.base}/health/ready").json()
    assert ready["status"] == "degraded"
    assert ready["orders_set_aside"] == ["POISON"]
    # Another account's reads miss nothing and answer as before.
    with api.client(api.other_writer) as other:
        assert other.get("/v1/accounts/other/shopping/orders").status_code == 200


POISON_THE_AUTHORIZATION = (
    "UPDATE {table} SET state = convert_to(replace(convert_from(state, 'UTF8'),"
    """ '"metadata":null', '"metadata":{{"_type_":"no_such_type","_data_":"x"}}'),"""
    " 'UTF8') WHERE topic LIKE '%%Authorized'"
)


def test_an_order_stored_before_the_bounds_with_an_unreadable_event_is_audited(
    writer, finance, database_url, schema
):
    """Old data: a client map once stored as it was, read as a type that is not."""
    order_id = create_order(writer, [chair(1, 1000)])
    ok(operation(writer, order_id, "authorizations", {1: 1000}))
    tamper(database_url, schema, POISON_THE_AUTHORIZATION)
    audit = finance.get(f"{NATIVE}/audit/verify", params={"order_id": order_id})
    assert audit.status_code == 200, audit.text
    [broken] = audit.json()["broken"]
    assert broken["reason"].startswith("unreadable"), broken
