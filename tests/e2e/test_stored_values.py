"""SPEC §12 "Every stored value reads back", across a real process restart.

A client's own map is data at every layer: stored, decoded by a fresh
process, projected, shown by all three surfaces and the console, verified
by the audit — whatever keys it holds, the event store's type markers too.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from api.database import ensure_schema
from api.keys import KeyStore, Role
from tests.e2e.conftest import ACCOUNT, ledger
from tests.e2e.dintero import chair, create_order
from tests.e2e.test_crash import Server
from tests.e2e.test_serve import free_port

# Each one of these once bricked its order or raised a false tampering alarm.
POISON: dict[str, Any] = {
    "_type_": "no_such_type",
    "_data_": "x",
    "known": {"_type_": "decimal_str", "_data_": "1.5"},
    "uuid": [{"_type_": "uuid_hex", "_data_": "00" * 16}],
    "fine": [1, 2.5, True, None, "Å"],
}


def _reads(base: str, writer: str, finance: str, order_id: str) -> dict[str, Any]:
    """Every surface's read of the order: each must answer 200."""
    native = f"{base}/v1/accounts/{ACCOUNT}"
    reads = {
        "dintero order": (writer, f"{native}/shopping/orders/{order_id}"),
        "dintero captures": (writer, f"{native}/shopping/orders/{order_id}/captures"),
        "dintero list": (writer, f"{native}/shopping/orders"),
        "riverty order": (writer, f"{base}/api/v3/orders/{order_id}"),
        "native order": (finance, f"{native}/orders/{order_id}"),
        "native events": (finance, f"{native}/orders/{order_id}/events"),
        "native list": (finance, f"{native}/orders"),
        "settlement": (
            finance,
            f"{native}/reports/settlement?from=2000-01-01&to=2100-01-01",
        ),
        "audit": (finance, f"{native}/audit/verify?order_id={order_id}"),
    }
    answers = {}
    for name, (key, url) in reads.items():
        response = httpx.get(
            url, headers={"Authorization": f"Bearer {key}"}, timeout=30
        )
        assert response.status_code == 200, (name, response.text)
        answers[name] = response.json()
    return answers


def _operation(base: str, key: str, order_id: str, kind: str, **extra: Any) -> None:
    response = httpx.post(
        f"{base}/v1/accounts/{ACCOUNT}/shopping/orders/{order_id}/{kind}",
        headers={"Authorization": f"Bearer {key}"},
        json={
            "items": [{"line_id": 1, "amount": 400}],
            "payment_details": {"payment_id": "P1"},
            **extra,
        },
        timeout=30,
    )
    assert response.status_code == 200, response.text


def test_poisoned_metadata_reads_back_after_a_restart(
    env, database_url, schema, tmp_path
):
    ensure_schema(database_url, schema)
    keys = KeyStore(database_url, schema)
    writer = keys.create(ACCOUNT, Role.WRITER)[1]
    finance = keys.create(ACCOUNT, Role.FINANCE)[1]
    keys.close()
    server = Server(env, free_port(), tmp_path / "serve.log")
    server.start()
    base = f"http://127.0.0.1:{server.port}"
    auth = {"Authorization": f"Bearer {writer}"}
    try:
        draft = httpx.post(
            f"{base}/v1/accounts/{ACCOUNT}/shopping/draft_orders",
            headers=auth,
            json={
                "order": {
                    "currency": "NOK",
                    "order_id": "POISON-1",
                    "metadata": POISON,
                    "items": [
                        {"id": "A", "line_id": 1, "gross_amount": 1000, "tax_lines": []}
                    ],
                }
            },
            timeout=30,
        )
        assert draft.status_code == 201, draft.text
        done = httpx.put(
            f"{base}/v1/accounts/{ACCOUNT}/shopping/draft_orders/{draft.json()['id']}/complete",
            headers=auth,
            timeout=30,
        )
        assert done.status_code == 200, done.text
        _operation(base, writer, "POISON-1", "authorizations", metadata=POISON)
        _operation(base, writer, "POISON-1", "captures", metadata=POISON)
        server.stop()
        server.start()  # a fresh process decodes every event from the store
        answers = _reads(base, writer, finance, "POISON-1")
        _operation(base, writer, "POISON-1", "refunds", metadata=POISON)
    finally:
        server.stop()
    assert answers["dintero order"]["metadata"] == POISON
    [capture] = answers["dintero captures"]["captures"]
    assert capture["metadata"] == POISON
    assert answers["native order"]["totals"]["captured"] == 400
    assert answers["audit"]["broken"] == []
    captured = sum(row["captured"] for row in answers["settlement"]["rows"])
    assert captured == 400
    verified = ledger(env, "audit", "verify", "--account", ACCOUNT)
    assert verified.returncode == 0, verified.stdout + verified.stderr


@pytest.mark.parametrize(
    "metadata",
    [
        pytest.param({"k": "\u0000"}, id="nul"),
        pytest.param({"k": "\u0007"}, id="control"),
        pytest.param({"k": 2**63}, id="above-bigint"),
        pytest.param({"k": [[[[[[[[[1]]]]]]]]]}, id="too-deep"),
        pytest.param({f"k{i}": i for i in range(51)}, id="too-many-keys"),
    ],
)
def test_operation_metadata_that_does_not_fit_is_refused(writer, metadata):
    order_id = create_order(writer, [chair(1, 1000)])
    response = writer.post(
        f"/v1/accounts/{ACCOUNT}/shopping/orders/{order_id}/authorizations",
        json={
            "items": [{"line_id": 1, "amount": 1000}],
            "payment_details": {"payment_id": "P1"},
            "metadata": metadata,
        },
    )
    assert response.status_code == 400, response.text
    assert response.json()["error"]["code"] == "validation_error"


def test_a_lone_surrogate_in_operation_metadata_is_a_400(writer):
    order_id = create_order(writer, [chair(1, 1000)])
    body = (
        '{"items": [{"line_id": 1, "amount": 1000}],'
        ' "payment_details": {"payment_id": "P1"}, "metadata": {"k": "\\ud800"}}'
    )
    response = writer.post(
        f"/v1/accounts/{ACCOUNT}/shopping/orders/{order_id}/authorizations",
        content=body,
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 400, response.text
