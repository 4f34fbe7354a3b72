"""A client written from Dintero's published Orders API, step by step.

docs.dintero.com ``api-reference`` (``spec-orders.yaml``): get a token with
client credentials, stage a draft (items without quantities, added one by
one), complete it (``{"orders": [order]}``), authorize, capture, refund
(``/refunds``), cancel, each answered by the operation it created, then read
the order, its operations, its events and the order list.
"""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest

from tests.e2e.conftest import ACCOUNT, Api
from tests.e2e.dintero import NATIVE, SHOP, balances, ok
from tests.e2e.test_dintero_token import get_token

PROCESSED = "2026-11-30T10:15:00+00:00"


def item(line_id: int, gross: int, **extra: object) -> dict[str, object]:
    """An item as Dintero's add-item example has it: no quantity."""
    return {
        "id": f"SKU-{line_id}",
        "line_id": line_id,
        "gross_amount": gross,
        "tax_lines": [{"amount": gross // 5, "percentage": 25}],
        "description": f"Item {line_id}",
        **extra,
    }


@pytest.fixture
def dintero(api: Api):
    token = ok(get_token(api, api.writer))["access_token"]
    with api.client(token) as client:
        yield client


def pay(client: httpx.Client, order_id: str, kind: str, lines: dict[int, int], **body):
    payload = {
        "items": [
            {"line_id": line, "amount": amount} for line, amount in lines.items()
        ],
        "payment_details": {"payment_id": body.pop("payment_id", "PID_1")},
        "success": True,
        **body,
    }
    return client.post(f"{SHOP}/orders/{order_id}/{kind}", json=payload)


def a_completed_order(client: httpx.Client) -> dict:
    body = {
        "options": {"generate_order_id": "ALPHANUMERIC_9"},
        "order": {
            "currency": "NOK",
            "items": [],
            "merchant_reference": "shop-order-1001",
            "metadata": {"channel": "web", "basket": 7},
        },
    }
    draft = ok(client.post(f"{SHOP}/draft_orders", json=body), 201)
    assert draft["order"]["items"] == []
    assert draft["status"] == "open"
    draft_id = draft["id"]
    ok(client.post(f"{SHOP}/draft_orders/{draft_id}/items", json=item(1, 10000)), 201)
    ok(client.post(f"{SHOP}/draft_orders/{draft_id}/items", json=item(2, 5000)), 201)
    ok(client.post(f"{SHOP}/draft_orders/{draft_id}/items", json=item(3, 999)), 201)
    changed = ok(
        client.put(f"{SHOP}/draft_orders/{draft_id}/items/2", json=item(2, 6000))
    )
    assert [i["gross_amount"] for i in changed["order"]["items"]] == [10000, 6000, 999]
    removed = ok(client.delete(f"{SHOP}/draft_orders/{draft_id}/items/3"))
    assert [i["line_id"] for i in removed["order"]["items"]] == [1, 2]
    assert removed["order"]["items"][0]["quantity"] == 1
    assert removed["order"]["merchant_reference"] == "shop-order-1001"
    assert ok(client.get(f"{SHOP}/draft_orders/{draft_id}")) == removed
    answer = ok(client.put(f"{SHOP}/draft_orders/{draft_id}/complete"))
    [order] = answer["orders"]
    assert ok(client.get(f"{SHOP}/draft_orders/{draft_id}"))["status"] == "completed"
    return order


def test_a_reference_client_runs_end_to_end(dintero):
    order = a_completed_order(dintero)
    order_id = order["id"]
    assert order["order_id"] == order_id
    assert len(order_id) == 9
    assert order["merchant_reference"] == "shop-order-1001"
    assert order["metadata"] == {"channel": "web", "basket": 7}
    assert (order["status"], order["payment_status"]) == ("open", "pending")
    assert (order["gross_amount"], order["net_amount"]) == (16000, 12800)

    auth = ok(
        pay(
            dintero,
            order_id,
            "authorizations",
            {1: 10000, 2: 6000},
            processed_at=PROCESSED,
            metadata={"psp_reference": "AUTH-77"},
        )
    )
    assert (auth["type"], auth["amount"], auth["success"]) == (
        "authorization",
        16000,
        True,
    )
    assert auth["payment_details"] == {"payment_id": "PID_1"}
    assert datetime.fromisoformat(auth["processed_at"]) == datetime.fromisoformat(
        PROCESSED
    )
    assert auth["metadata"] == {"psp_reference": "AUTH-77"}
    capture = ok(pay(dintero, order_id, "captures", {1: 10000}))
    assert capture["id"] != auth["id"]
    refund = ok(pay(dintero, order_id, "refunds", {1: 2500}))
    cancel = ok(
        dintero.post(
            f"{SHOP}/orders/{order_id}/cancel",
            json={"items": [], "payment_details": {"payment_id": "PID_1"}},
        )
    )
    assert (cancel["type"], cancel["amount"]) == ("cancellation", 6000)
    assert balances(dintero, order_id) == {
        1: (10000, 10000, 2500, 0, 0, 7500),
        2: (6000, 0, 0, 6000, 0, 0),
    }

    for kind, created in (
        ("authorizations", auth),
        ("captures", capture),
        ("refunds", refund),
        ("cancellations", cancel),
    ):
        listed = ok(dintero.get(f"{SHOP}/orders/{order_id}/{kind}"))[kind]
        assert listed == [created]
        one = ok(dintero.get(f"{SHOP}/orders/{order_id}/{kind}/{created['id']}"))
        assert one == created

    read = ok(dintero.get(f"{SHOP}/orders/{order_id}"))
    assert (read["status"], read["payment_status"]) == ("closed", "partially_refunded")
    assert read["captures"] == [capture]
    assert read["refunds"] == [refund]
    created_at = datetime.fromisoformat(read["created_at"])
    assert created_at <= datetime.fromisoformat(read["updated_at"])
    assert created_at.tzinfo is not None
    assert created_at <= datetime.now(UTC)

    events = ok(dintero.get(f"{SHOP}/orders/{order_id}/events"))["events"]
    assert [e["event"] for e in events] == [
        "Opened",
        "DetailsRecorded",
        "ItemAdded",
        "ItemAdded",
        "Authorized",
        "Captured",
        "Refunded",
        "AuthorizationReleased",
    ]
    assert events[4]["data"]["metadata"] == {"psp_reference": "AUTH-77"}
    assert all(e["hash"] for e in events)


def test_an_operation_id_is_stable_and_a_keyed_retry_answers_it_again(dintero):
    order_id = a_completed_order(dintero)["id"]
    key = {"Idempotency-Key": "auth-1"}
    body = {
        "items": [{"line_id": 1, "amount": 100}],
        "payment_details": {"payment_id": "PID_1"},
    }
    first = ok(
        dintero.post(f"{SHOP}/orders/{order_id}/authorizations", json=body, headers=key)
    )
    again = ok(
        dintero.post(f"{SHOP}/orders/{order_id}/authorizations", json=body, headers=key)
    )
    assert again == first
    # Without a key a retry is a second operation (Dintero clients send none;
    # the README says so): here it authorizes a second 100.
    unkeyed = ok(dintero.post(f"{SHOP}/orders/{order_id}/authorizations", json=body))
    assert unkeyed["id"] != first["id"]
    assert balances(dintero, order_id)[1][0] == 200


def test_custom_order_id_and_other_id_formats(dintero):
    custom = {
        "order": {"currency": "EUR", "order_id": "ORD-2026-77", "items": [item(1, 100)]}
    }
    draft = ok(dintero.post(f"{SHOP}/draft_orders", json=custom), 201)
    [order] = ok(dintero.put(f"{SHOP}/draft_orders/{draft['id']}/complete"))["orders"]
    assert order["id"] == order["order_id"] == "ORD-2026-77"
    assert ok(dintero.get(f"{NATIVE}/orders/ORD-2026-77"))["currency"] == "EUR"

    numeric = {
        "options": {"generate_order_id": "NUMERIC_12"},
        "order": {"currency": "EUR", "items": [item(1, 100)]},
    }
    draft = ok(dintero.post(f"{SHOP}/draft_orders", json=numeric), 201)
    [order] = ok(dintero.put(f"{SHOP}/draft_orders/{draft['id']}/complete"))["orders"]
    assert len(order["id"]) == 12
    assert order["id"].isdigit()

    bad = {"options": {"generate_order_id": "UUID"}, "order": numeric["order"]}
    refused = dintero.post(f"{SHOP}/draft_orders", json=bad)
    assert refused.status_code == 400
    assert refused.json()["error"]["code"] == "invalid_item"


def test_options_replace_order_replaces_the_items_and_authorizes_nothing(dintero):
    order_id = a_completed_order(dintero)["id"]
    ok(pay(dintero, order_id, "authorizations", {1: 10000, 2: 6000}))
    body = {
        "options": {"order_id": order_id, "replace": "order"},
        "order": {"currency": "NOK", "items": [item(1, 10000), item(4, 9000)]},
    }
    draft = ok(dintero.post(f"{SHOP}/draft_orders", json=body), 201)
    [order] = ok(dintero.put(f"{SHOP}/draft_orders/{draft['id']}/complete"))["orders"]
    assert [i["line_id"] for i in order["items"]] == [1, 4]
    assert order["gross_amount"] == 19000
    # 16000 was authorized: the replacement keeps it, spread over the new
    # lines; the 3000 more needs the PSP's own authorization.
    totals = ok(dintero.get(f"{NATIVE}/orders/{order_id}"))["totals"]
    assert totals["authorized"] - totals["released"] == 16000
    reused = {
        "options": {"order_id": order_id, "replace": "order"},
        "order": {"currency": "NOK", "items": [item(2, 6000)]},
    }
    draft = ok(dintero.post(f"{SHOP}/draft_orders", json=reused), 201)
    refused = dintero.put(f"{SHOP}/draft_orders/{draft['id']}/complete")
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "line_id_reused"


def test_the_order_list_pages_in_dinteros_shape(dintero):
    ids = [a_completed_order(dintero)["id"] for _ in range(3)]
    first = ok(dintero.get(f"{SHOP}/orders", params={"limit": 2}))
    assert [o["id"] for o in first["orders"]] == ids[:2]
    assert first["orders"][0]["merchant_reference"] == "shop-order-1001"
    token = first["next_page_token"]
    rest = ok(
        dintero.get(f"{SHOP}/orders", params={"limit": 2, "starting_after": token})
    )
    assert [o["id"] for o in rest["orders"]] == ids[2:]
    assert "next_page_token" not in rest
    drafts = ok(dintero.get(f"{SHOP}/draft_orders", params={"limit": 2}))
    assert len(drafts["draft_orders"]) == 2
    more = ok(
        dintero.get(
            f"{SHOP}/draft_orders",
            params={"limit": 5, "starting_after": drafts["next_page_token"]},
        )
    )
    assert len(more["draft_orders"]) == 1
    assert "next_page_token" not in more


def test_the_order_list_filters_by_dinteros_statuses_and_reference(dintero):
    body = {
        "options": {"generate_order_id": "ALPHANUMERIC_9"},
        "order": {
            "currency": "SEK",
            "merchant_reference": "filter-ref-1",
            "items": [item(1, 1000)],
        },
    }
    draft = ok(dintero.post(f"{SHOP}/draft_orders", json=body), 201)
    [order] = ok(dintero.put(f"{SHOP}/draft_orders/{draft['id']}/complete"))["orders"]
    order_id = order["id"]

    def listed(**params: str) -> list[str]:
        params = {"merchant_reference": "filter-ref-1", **params}
        return [
            o["id"] for o in ok(dintero.get(f"{SHOP}/orders", params=params))["orders"]
        ]

    assert listed() == [order_id]
    assert listed(status="open", payment_status="pending") == [order_id]
    ok(pay(dintero, order_id, "authorizations", {1: 1000}))
    ok(pay(dintero, order_id, "captures", {1: 1000}))
    assert listed(status="open") == []
    assert listed(status="closed", payment_status="paid") == [order_id]
    ok(pay(dintero, order_id, "refunds", {1: 100}))
    assert listed(payment_status="paid") == []
    assert listed(payment_status="partially_refunded") == [order_id]
    assert listed(merchant_reference="another") == []
    assert listed(payment_status="captured") == []  # the ledger's earlier words too
    created = order["created_at"]
    assert listed(**{"created_at.gte": created, "created_at.lte": created}) == [
        order_id
    ]
    assert listed(**{"created_at.gte": "2999-01-01T00:00:00Z"}) == []
    bad = dintero.get(f"{SHOP}/orders", params={"payment_status": "nope"})
    assert bad.status_code == 400
    assert bad.json()["error"]["code"] == "validation_error"


def test_captures_and_refunds_without_payment_details_use_the_orders_payment(dintero):
    """Clients that pair Orders with Dintero's Checkout name no payment."""
    order_id = a_completed_order(dintero)["id"]
    lines = {1: 1000}
    bare = {"items": [{"line_id": 1, "amount": 1000}]}
    unnamed = dintero.post(f"{SHOP}/orders/{order_id}/authorizations", json=bare)
    assert unnamed.status_code == 400
    assert unnamed.json()["error"]["code"] == "validation_error"
    ok(pay(dintero, order_id, "authorizations", lines, payment_id="PID_9"))
    capture = ok(dintero.post(f"{SHOP}/orders/{order_id}/captures", json=bare))
    assert capture["payment_details"]["payment_id"] == "PID_9"
    ok(dintero.post(f"{SHOP}/orders/{order_id}/refunds", json=bare))
    assert balances(dintero, order_id)[1][2] == 1000  # refunded
    ok(pay(dintero, order_id, "authorizations", {2: 10}, payment_id="PID_8"))
    two = dintero.post(
        f"{SHOP}/orders/{order_id}/captures",
        json={"items": [{"line_id": 2, "amount": 10}]},
    )
    assert two.status_code == 409
    assert two.json()["error"]["code"] == "ambiguous_payment"


class TestErrorsInDinterosFormat:
    def error(self, response: httpx.Response, status: int, code: str) -> dict:
        assert response.status_code == status, response.text
        assert response.headers["content-type"] == "application/json"
        error = response.json()["error"]
        assert error["code"] == code
        assert error["message"]
        assert error["request_id"] == response.headers["x-request-id"]
        return dict(error)

    def test_validation_names_the_field_with_400(self, dintero):
        order_id = a_completed_order(dintero)["id"]
        body = {"items": [{"line_id": 1, "amount": "ten"}], "payment_details": {}}
        error = self.error(
            dintero.post(f"{SHOP}/orders/{order_id}/captures", json=body),
            400,
            "validation_error",
        )
        fields = {e["field"] for e in error["errors"]}
        assert fields == {"items[0].amount", "payment_details.payment_id"}

    def test_a_conflict_with_the_order_is_409_with_its_figures(self, dintero):
        order_id = a_completed_order(dintero)["id"]
        ok(pay(dintero, order_id, "authorizations", {1: 100}))
        error = self.error(
            pay(dintero, order_id, "captures", {1: 101}), 409, "over_capture"
        )
        assert error["requested_minor"] == 101

    def test_unknown_order_draft_and_operation_are_404(self, dintero):
        self.error(dintero.get(f"{SHOP}/orders/NOPE"), 404, "order_not_found")
        self.error(dintero.get(f"{SHOP}/draft_orders/NOPE"), 404, "draft_not_found")
        order_id = a_completed_order(dintero)["id"]
        self.error(
            dintero.get(f"{SHOP}/orders/{order_id}/captures/nope"), 404, "not_found"
        )

    def test_no_key_wrong_key_finance_key_and_a_wrong_method(self, api: Api):
        with api.client() as anonymous:
            self.error(anonymous.get(f"{SHOP}/orders/X"), 401, "unauthorized")
        with api.client("lk_nope_nope") as stranger:
            self.error(stranger.get(f"{SHOP}/orders/X"), 401, "unauthorized")
        with api.client(api.finance) as finance:
            self.error(finance.post(f"{SHOP}/draft_orders", json={}), 403, "forbidden")
        with api.client(api.writer) as writer:
            self.error(writer.delete(f"{SHOP}/draft_orders"), 405, "method_not_allowed")

    def test_a_body_over_1_mib_is_413_in_dinteros_format(self, dintero):
        body = b'{"padding": "' + b"x" * (1024 * 1024) + b'"}'
        response = dintero.post(
            f"{SHOP}/draft_orders",
            content=body,
            headers={"Content-Type": "application/json"},
        )
        assert response.status_code == 413
        assert response.json()["error"]["code"] == "payload_too_large"

    def test_completing_an_empty_draft_is_refused(self, dintero):
        body = {"order": {"currency": "NOK"}}
        draft = ok(dintero.post(f"{SHOP}/draft_orders", json=body), 201)
        self.error(
            dintero.put(f"{SHOP}/draft_orders/{draft['id']}/complete"),
            400,
            "empty_request",
        )

    def test_bad_metadata_is_refused_before_anything_is_written(self, dintero):
        too_deep: object = 1
        for _ in range(9):
            too_deep = {"k": too_deep}
        for metadata in ({"k": "a\x00b"}, too_deep, {"k": 2**63}):
            body = {"order": {"currency": "NOK", "metadata": metadata}}
            response = dintero.post(f"{SHOP}/draft_orders", json=body)
            assert response.status_code == 400, (metadata, response.text)


def test_openapi_shows_dinteros_bodies(api: Api):
    with api.client() as client:
        spec = ok(client.get("/openapi.json"))
    paths = spec["paths"]
    for path in (
        "/v1/accounts/{aid}/auth/token",
        "/v1/accounts/{aid}/shopping/draft_orders/{draft_id}/items",
        "/v1/accounts/{aid}/shopping/orders/{order_id}/refunds",
        "/v1/accounts/{aid}/shopping/orders/{order_id}/captures/{operation_id}",
    ):
        assert path in paths, path
    schemas = spec["components"]["schemas"]
    assert schemas["DraftOrderIn"]["examples"]
    assert schemas["TokenIn"]["examples"][0]["grant_type"] == "client_credentials"
    assert ACCOUNT not in str(spec)
