"""Helpers for driving the console over HTTP, as a browser's forms do."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

import httpx

from tests.e2e.conftest import ACCOUNT, Api
from tests.e2e.dintero import chair, ok

_HIDDEN = re.compile(r'name="(form_token|csrf)" value="([^"]*)"')


def hidden(page: str, name: str) -> str:
    """A hidden form field's value on a page."""
    values = dict(_HIDDEN.findall(page))
    return values[name]


@contextmanager
def signed_in(api: Api, key: str) -> Iterator[httpx.Client]:
    """A client holding a console session for ``key``."""
    with httpx.Client(base_url=api.base, timeout=30) as client:
        form = client.get("/console/sign-in")
        assert form.status_code == 200, form.text
        answer = client.post(
            "/console/sign-in",
            data={"key": key, "form_token": hidden(form.text, "form_token")},
        )
        assert answer.status_code == 303, answer.text
        assert answer.headers["location"] == "/console/orders"
        yield client


def csrf_of(client: httpx.Client, path: str = "/console/audit") -> str:
    return hidden(client.get(path).text, "csrf")


def money_story(
    writer: httpx.Client, reference: str | None = None, account: str = ACCOUNT
) -> dict[str, Any]:
    """An order with an authorization, a capture and a refund; its ids."""
    reference = reference or f"MR-{uuid.uuid4().hex[:10]}"
    shop = f"/v1/accounts/{account}/shopping"
    body = {
        "options": {"generate_order_id": "ALPHANUMERIC_12"},
        "order": {
            "currency": "NOK",
            "merchant_reference": reference,
            "items": [chair(1, 10000), chair(2, 5000, id="175939")],
        },
    }
    draft = ok(writer.post(f"{shop}/draft_orders", json=body), 201)
    done = ok(writer.put(f"{shop}/draft_orders/{draft['id']}/complete"))
    order_id = str(done["orders"][0]["id"])
    for kind, lines in (
        ("authorizations", {1: 10000, 2: 5000}),
        ("captures", {1: 10000}),
        ("refunds", {1: 2500}),
    ):
        items = [{"line_id": line, "amount": amount} for line, amount in lines.items()]
        body = {"items": items, "payment_details": {"payment_id": "PID_1"}}
        ok(writer.post(f"{shop}/orders/{order_id}/{kind}", json=body))
    return {"order_id": order_id, "merchant_reference": reference}


def read_minor(text: str) -> int:
    """What a person reads in a cell (``-1,234.50 NOK``), in minor units."""
    match = re.fullmatch(r"\s*(-?[\d,]+\.\d{2}) [A-Z]{3}\s*", text)
    assert match, f"not an amount: {text!r}"
    return int(Decimal(match.group(1).replace(",", "")) * 100)
