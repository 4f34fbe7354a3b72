"""Helpers for driving the Dintero dialect the way seed 000 does."""

from __future__ import annotations

from typing import Any

import httpx

from projections.queries import TOTAL_COLUMNS
from tests.e2e.conftest import ACCOUNT

SHOP = f"/v1/accounts/{ACCOUNT}/shopping"
NATIVE = f"/v1/accounts/{ACCOUNT}"


def chair(line_id: int, gross: int, **extra: Any) -> dict[str, Any]:
    return {
        "id": "175938",
        "line_id": line_id,
        "quantity": 2,
        "gross_amount": gross,
        "tax_lines": [{"amount": gross // 5, "percentage": 25}],
        "description": "Stablestol for utendørsbruk",
        "description_alias": "Staplestol",
        **extra,
    }


def ok(response: httpx.Response, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    return body


def create_order(
    client: httpx.Client, items: list[dict[str, Any]], currency: str = "NOK"
) -> str:
    body = {
        "options": {"generate_order_id": "ALPHANUMERIC_9"},
        "order": {"currency": currency, "items": items},
    }
    draft = ok(client.post(f"{SHOP}/draft_orders", json=body), 201)
    return str(completed(client, draft["id"])["id"])


def completed(client: httpx.Client, draft_id: str) -> dict[str, Any]:
    """``PUT …/complete`` answers ``{"orders": [order]}``, as Dintero does."""
    answer = ok(client.put(f"{SHOP}/draft_orders/{draft_id}/complete"))
    [order] = answer["orders"]
    assert order["id"] == order["order_id"]
    return dict(order)


def update_order(
    client: httpx.Client, order_id: str, items: list[dict[str, Any]]
) -> dict[str, Any]:
    body = {
        "options": {"order_id": order_id},
        "order": {"currency": "NOK", "items": items},
    }
    draft = ok(client.post(f"{SHOP}/draft_orders", json=body), 201)
    return completed(client, draft["id"])


def operation(
    client: httpx.Client,
    order_id: str,
    kind: str,
    lines: dict[int, int],
    payment_id: str = "PID_123",
    **headers: str,
) -> httpx.Response:
    body = {
        "items": [
            {"amount": amount, "line_id": line} for line, amount in lines.items()
        ],
        "payment_details": {"payment_id": payment_id},
        "success": True,
    }
    return client.post(f"{SHOP}/orders/{order_id}/{kind}", json=body, headers=headers)


def balances(
    client: httpx.Client, order_id: str
) -> dict[int, tuple[int, int, int, int, int, int]]:
    """Per line: (authorized, captured, refunded, released, outstanding, refundable)."""
    order = ok(client.get(f"{NATIVE}/orders/{order_id}"))
    return {
        line["line_id"]: tuple(  # type: ignore[misc]
            line["balance"][k]
            for k in TOTAL_COLUMNS[1:]  # without the gross
        )
        for line in order["lines"]
    }


def history(
    client: httpx.Client, order_id: str
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The order and its events, to compare before and after a rejected request."""
    return ok(client.get(f"{NATIVE}/orders/{order_id}")), ok(
        client.get(f"{NATIVE}/orders/{order_id}/events")
    )
