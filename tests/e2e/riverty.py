"""Seed 003's bodies, verbatim, and helpers for the Riverty dialect."""

from __future__ import annotations

import copy
from typing import Any

import httpx

API = "/api/v3"

SEED_ITEMS: list[dict[str, Any]] = [
    {
        "productId": "4534-BLK-M",
        "description": "Leather jacket, Black, size M",
        "grossUnitPrice": 100,
        "netUnitPrice": 84,
        "quantity": 2,
        "vatPercent": 19,
        "vatAmount": 16,
        "imageUrl": "https://developer-sandbox.riverty.com/images/black_leather_jacket.jpg",
    },
    {
        "productId": "5745-GRY-M",
        "description": "Socks, Grey, Size M",
        "grossUnitPrice": 10,
        "netUnitPrice": 8.4,
        "quantity": 5,
        "vatPercent": 19,
        "vatAmount": 1.6,
        "imageUrl": "https://developer-sandbox.riverty.com/images/grey_socks.jpg",
    },
    {
        "productId": "3323-BRN-M",
        "description": "Woolen hat, brown, Size M",
        "grossUnitPrice": 30,
        "netUnitPrice": 25.21,
        "quantity": 1,
        "vatPercent": 19,
        "vatAmount": 4.79,
        "imageUrl": "https://developer-sandbox.riverty.com/images/brown_wool_hat.jpg",
    },
    {
        "productId": "SHIP",
        "description": "Shipping",
        "type": "ShippingFee",
        "grossUnitPrice": 5,
        "netUnitPrice": 4.2,
        "quantity": 1,
        "vatPercent": 19,
        "vatAmount": 0.8,
    },
]

FIRST_UPDATE = {
    "updateOrderSummary": {
        "totalNetAmount": 239.41,
        "totalGrossAmount": 285,
        "currency": "EUR",
        "items": SEED_ITEMS,
    }
}
SECOND_UPDATE = {
    "updateOrderSummary": {
        "totalNetAmount": 155.41,
        "totalGrossAmount": 185,
        "currency": "EUR",
        "items": SEED_ITEMS,
    }
}
SEED_ERRORS = [
    {
        "type": "BusinessError",
        "code": "400.101",
        "message": "TotalNetAmount doesn't match with items prices.",
        "customerFacingMessage": "TotalNetAmount komt niet overeen met de itemprijzen.",
        "actionCode": "Unavailable",
        "fieldReference": "updateOrderSummary.totalNetAmount",
    },
    {
        "type": "BusinessError",
        "code": "400.102",
        "message": "Order gross amount doesn't match with items prices.",
        "customerFacingMessage": "Order gross amount doesn't match with items prices.",
        "actionCode": "Unavailable",
        "fieldReference": "updateOrderSummary.totalGrossAmount",
    },
]


def authorize(
    client: httpx.Client,
    number: str,
    items: list[dict[str, Any]] | None = None,
    gross: float = 285,
    net: float = 239.41,
    currency: str = "EUR",
) -> httpx.Response:
    body = authorize_body(number, items, gross, net, currency)
    return client.post(f"{API}/checkout/authorize", json=body)


def authorize_body(
    number: str,
    items: list[dict[str, Any]] | None = None,
    gross: float = 285,
    net: float = 239.41,
    currency: str = "EUR",
) -> dict[str, Any]:
    """A checkout/authorize body: seed 003's items unless others are given."""
    return {
        "payment": {"type": "Invoice"},
        "order": {
            "number": number,
            "currency": currency,
            "totalGrossAmount": gross,
            "totalNetAmount": net,
            "items": copy.deepcopy(items if items is not None else SEED_ITEMS),
        },
        "customer": {"firstName": "Not", "lastName": "Stored"},
    }


def capture_jacket(client: httpx.Client, number: str, **more: Any) -> httpx.Response:
    """Capture seed 003's jacket (200 of 285) of an order authorized with its items."""
    details = {
        "totalGrossAmount": 200,
        "totalNetAmount": 168,
        "items": [copy.deepcopy(SEED_ITEMS[0])],
    }
    return client.post(
        f"{API}/orders/{number}/captures", json={"orderDetails": details, **more}
    )


def update(client: httpx.Client, number: str, body: dict[str, Any]) -> httpx.Response:
    return client.post(f"{API}/orders/{number}/updateOrder", json=body)


def summary(items: list[dict[str, Any]], gross: float, net: float) -> dict[str, Any]:
    return {
        "updateOrderSummary": {
            "totalGrossAmount": gross,
            "totalNetAmount": net,
            "items": items,
        }
    }


def item(
    product: str, gross: float, net: float, quantity: float = 1, **extra: Any
) -> dict[str, Any]:
    return {
        "productId": product,
        "description": product,
        "grossUnitPrice": gross,
        "netUnitPrice": net,
        "quantity": quantity,
        "vatPercent": 19,
        "vatAmount": round(gross - net, 2),
        **extra,
    }
