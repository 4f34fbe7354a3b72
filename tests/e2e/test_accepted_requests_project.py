"""SPEC §4.14: whatever a client sends, what is accepted can be projected.

Hypothesis sends both dialects' order bodies with any text (controls, NUL,
lone surrogates, long strings) and any numbers (past bigint, past integer,
fractions). Accepted or refused, no read model may set an event aside and
finance reads keep answering.
"""

from __future__ import annotations

import itertools
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from tests.e2e import riverty
from tests.e2e.dintero import NATIVE, SHOP


def mostly(good: st.SearchStrategy[Any], hostile: st.SearchStrategy[Any]) -> Any:
    """Four draws in five from ``good``: most bodies are accepted and reach the
    read models, the rest try the validators and the bounds."""
    return st.one_of(*[good] * 4, hostile)


PRINTABLE = st.text(
    st.characters(categories=("L", "N", "P", "S", "Zs"), exclude_characters="/\\?#%"),
    min_size=1,
    max_size=30,
).filter(lambda text: text.strip() == text and text not in {".", ".."})
HOSTILE_TEXT = st.text(max_size=300) | st.sampled_from(
    ["\x00", "=cmd|' /C calc'!A0", " x ", "a" * 300, "a/b", ".."]
)
TEXT = st.one_of(*[PRINTABLE] * 4, HOSTILE_TEXT)
BIG_INTS = st.integers(min_value=-(2**70), max_value=2**70)
AMOUNTS = st.integers(min_value=1, max_value=100_000) | BIG_INTS
NUMBERS = (
    st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.decimals(allow_nan=False, allow_infinity=False, places=3).map(str)
)
numbers = itertools.count()

# Whole bodies are plausible or hostile: a plausible one is accepted and
# reaches the read models; a hostile one has hostile leaves anywhere.
SMALL_LINE_IDS = st.integers(min_value=1, max_value=3)
GOOD_AMOUNTS = st.integers(min_value=1, max_value=100_000)
PRICES = st.decimals(min_value="0.01", max_value=1000, places=2, allow_nan=False)
HOSTILE_PRICES = (
    PRICES
    | st.just(0)
    | st.decimals(min_value=-(10**20), max_value=10**20, places=2, allow_nan=False)
)
QUANTITIES = st.integers(min_value=1, max_value=5)
HOSTILE_QUANTITIES = QUANTITIES | st.sampled_from(["1e30", "2147483648", "0.5", 3.5])


def _dintero_items(
    text: Any, line_ids: Any, quantities: Any, amounts: Any, taxes: Any
) -> Any:
    return st.lists(
        st.fixed_dictionaries(
            {
                "id": text,
                "line_id": line_ids,
                "quantity": quantities,
                "gross_amount": amounts,
                "description": text,
                "tax_lines": st.lists(taxes, max_size=1),
            }
        ),
        min_size=1,
        max_size=3,
        unique_by=lambda item: item["line_id"],
    )


dintero_items = mostly(
    _dintero_items(
        PRINTABLE,
        SMALL_LINE_IDS,
        QUANTITIES,
        GOOD_AMOUNTS,
        st.fixed_dictionaries({"amount": st.just(0), "percentage": st.just(25)}),
    ),
    _dintero_items(
        TEXT,
        SMALL_LINE_IDS | BIG_INTS,
        HOSTILE_QUANTITIES,
        AMOUNTS,
        st.fixed_dictionaries({"amount": st.just(0) | AMOUNTS, "percentage": NUMBERS}),
    ),
)


def _riverty_items(text: Any, prices: Any) -> Any:
    return st.lists(
        st.fixed_dictionaries(
            {
                "productId": text,
                "description": text,
                "grossUnitPrice": prices,
                "quantity": QUANTITIES,
            }
        ),
        min_size=1,
        max_size=3,
    )


riverty_items = mostly(
    _riverty_items(PRINTABLE, PRICES), _riverty_items(TEXT, HOSTILE_PRICES)
)


def riverty_item(item: dict[str, Any]) -> dict[str, Any]:
    """Net equal to gross and no VAT, so that the totals can be made to match."""
    price = str(item["grossUnitPrice"])
    return {
        **item,
        "grossUnitPrice": price,
        "netUnitPrice": price,
        "vatPercent": 0,
        "vatAmount": 0,
    }


def assert_projectable(api: Any, finance: Any) -> None:
    projections = api.app.state.projections
    projections.wait_for_head(10)  # what was accepted is projected by now
    for runner in projections.runners.values():
        assert runner.dead_letters() == [], runner.view.name
    response = finance.get(f"{NATIVE}/orders?limit=5")
    assert response.status_code == 200, response.text


@settings(
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(items=dintero_items, payment_id=TEXT, amount=mostly(GOOD_AMOUNTS, BIG_INTS))
# A body that is accepted, so the projection path runs whatever is generated.
@example(
    items=[
        {
            "id": "SKU",
            "line_id": 1,
            "quantity": 1,
            "gross_amount": 1000,
            "description": "x",
            "tax_lines": [],
        }
    ],
    payment_id="P",
    amount=1000,
)
def test_any_dintero_order_accepted_is_projectable(
    api, writer, finance, items, payment_id, amount
):
    body = {"order": {"currency": "NOK", "items": items}}
    draft = writer.post(f"{SHOP}/draft_orders", json=body)
    assert draft.status_code < 500, draft.text
    if draft.status_code == 201:
        done = writer.put(f"{SHOP}/draft_orders/{draft.json()['id']}/complete")
        assert done.status_code < 500, done.text
        event(f"order {'accepted' if done.status_code == 200 else 'refused'}")
        if done.status_code == 200:
            order_id = done.json()["orders"][0]["id"]
            line_id = items[0]["line_id"]
            amount = amount if amount % 3 else items[0]["gross_amount"]
            operation = {
                "items": [{"line_id": line_id, "amount": amount}],
                "payment_details": {"payment_id": payment_id},
            }
            for kind in ("authorizations", "captures"):
                answer = writer.post(f"{SHOP}/orders/{order_id}/{kind}", json=operation)
                assert answer.status_code < 500, answer.text
    assert_projectable(api, finance)


@settings(
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(items=riverty_items, number=mostly(PRINTABLE, HOSTILE_TEXT))
@example(
    items=[
        {"productId": "SKU", "description": "x", "grossUnitPrice": 10, "quantity": 2}
    ],
    number="OK",
)
def test_any_riverty_checkout_accepted_is_projectable(
    api, writer, finance, items, number
):
    order_number = f"{number[:40]}-{next(numbers)}"  # hostile, but never reused
    body_items = [riverty_item(item) for item in items]
    gross = str(sum(Decimal(i["grossUnitPrice"]) * i["quantity"] for i in body_items))
    response = riverty.authorize(
        writer, order_number, items=body_items, gross=gross, net=gross
    )
    assert response.status_code < 500, response.text
    event(f"order {'accepted' if response.status_code == 200 else 'refused'}")
    if response.status_code == 200:
        capture = writer.post(
            f"{riverty.API}/orders/{order_number}/captures",
            json={
                "orderDetails": {"totalGrossAmount": gross, "totalNetAmount": gross},
                "invoiceNumber": f"INV-{next(numbers)}",
            },
        )
        assert capture.status_code < 500, capture.text
    assert_projectable(api, finance)
