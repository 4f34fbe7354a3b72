"""Every answer of a full Dintero flow, parsed as a generated client parses it.

The models below are written from Dintero's API-reference pages
(docs.dintero.com ``api-reference/orderlist/get-authorization-collection``,
``…/get-refunds-collection``, ``…/order-events-collection``,
``authenticate/get-token``, ``orderstatus/open-order``), the way
``openapi-python-client`` turns them into classes: a field may be absent but
is never ``null`` (no field there is nullable), an enum value outside the
published list is a failure, and extra fields are allowed.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

import httpx
import pytest
from pydantic import BaseModel, ConfigDict, ValidationError

from tests.e2e.conftest import ACCOUNT, Api
from tests.e2e.dintero import NATIVE, SHOP, balances, ok
from tests.e2e.test_dintero_reference import item
from tests.e2e.test_dintero_token import TOKEN, credentials


class _Generated(BaseModel):
    model_config = ConfigDict(extra="allow")


class Token(_Generated):
    access_token: str
    token_type: Literal["Bearer"]
    expires_in: int


class TaxLine(_Generated):
    amount: int
    percentage: float


class RelatedItem(_Generated):
    line_id: int
    type: Literal["reversed"]


class Item(_Generated):
    id: str
    line_id: int
    gross_amount: int
    quantity: float = 1
    description: str = ""
    description_alias: str = ""
    reversed_reason: str = ""
    related_item: RelatedItem = RelatedItem(line_id=1, type="reversed")
    tax_lines: list[TaxLine] = []


class DraftBody(_Generated):
    currency: str
    items: list[Item]
    merchant_reference: str = ""
    order_id: str = ""
    metadata: dict[str, Any] = {}


class DraftOptions(_Generated):
    generate_order_id: str = ""
    order_id: str = ""
    replace: Literal["order"] = "order"


class Draft(_Generated):
    id: str
    order: DraftBody
    options: DraftOptions = DraftOptions()
    order_id: str = ""
    created_at: datetime


class LineAmount(_Generated):
    line_id: int
    amount: int


class PaymentDetails(_Generated):
    payment_id: str


class Operation(_Generated):
    id: str
    amount: int
    items: list[LineAmount]
    success: bool
    payment_details: PaymentDetails
    created_at: datetime
    created_by: str = ""
    processed_at: datetime = datetime.min.replace(tzinfo=UTC)
    metadata: dict[str, Any] = {}


class Event(_Generated):
    id: str
    created_at: datetime
    created_by: str = ""
    version: int


class Order(_Generated):
    id: str
    order_id: str
    currency: str
    status: Literal["open", "closed", "cancelled"]
    payment_status: Literal[
        "pending",
        "authorized",
        "partially_paid",
        "paid",
        "partially_refunded",
        "refunded",
    ]
    gross_amount: int
    net_amount: int
    created_at: datetime
    updated_at: datetime
    merchant_reference: str = ""
    metadata: dict[str, Any] = {}
    items: list[Item]
    authorizations: list[Operation] = []
    captures: list[Operation] = []
    refunds: list[Operation] = []
    cancellations: list[Operation] = []
    events: list[Event] = []


class Completed(_Generated):
    orders: list[Order]


class OrderList(_Generated):
    orders: list[Order]
    next_page_token: str = ""


class Authorizations(_Generated):
    authorizations: list[Operation]


class Captures(_Generated):
    captures: list[Operation]


class Refunds(_Generated):
    refunds: list[Operation]


class Cancellations(_Generated):
    cancellations: list[Operation]


class Events(_Generated):
    events: list[Event]


class ErrorBody(_Generated):
    code: str
    message: str


class Error(_Generated):
    error: ErrorBody


LISTS: dict[str, type[_Generated]] = {
    "authorizations": Authorizations,
    "captures": Captures,
    "refunds": Refunds,
    "cancellations": Cancellations,
}


class Flow:
    """A client that parses every answer; counts what it parsed."""

    def __init__(self, client: httpx.Client) -> None:
        self.client = client
        self.parsed = 0

    def call(
        self, model: type[_Generated], method: str, path: str, status: int = 200,
        **kwargs: Any,
    ) -> Any:  # fmt: skip
        answer = self.client.request(method, path, **kwargs)
        assert answer.status_code == status, (method, path, answer.text)
        try:
            parsed = model.model_validate_json(answer.content)
        except ValidationError as error:  # what the generated client would raise
            pytest.fail(f"{method} {path}: {error}\n{answer.text}")
        self.parsed += 1
        return parsed


def pay_body(lines: dict[int, int]) -> dict[str, object]:
    return {
        "items": [
            {"line_id": line, "amount": amount} for line, amount in lines.items()
        ],
        "payment_details": {"payment_id": "PID_1"},
        "success": True,
    }


def test_a_generated_client_parses_every_answer_of_a_full_flow(
    api: Api, writer: httpx.Client
):
    with api.client() as anonymous:
        answer = anonymous.post(  # Dintero's own example sends no grant_type
            TOKEN,
            auth=credentials(api.writer),
            json={"audience": f"https://api.dintero.com/v1/accounts/{ACCOUNT}"},
        )
    assert answer.status_code == 200, answer.text
    token = Token.model_validate_json(answer.content)
    with api.client(token.access_token) as client:
        flow = Flow(client)
        order_ids = [_one_order(flow) for _ in range(3)]
        order_id = order_ids[0]
        for kind, lines in (
            ("authorizations", {1: 10000, 2: 6000}),
            ("captures", {1: 10000}),
            ("refunds", {1: 2500}),
        ):
            flow.call(Operation, "POST", f"{SHOP}/orders/{order_id}/{kind}",
                      json=pay_body(lines))  # fmt: skip
        cancelled = flow.call(
            Operation,
            "POST",
            f"{SHOP}/orders/{order_id}/cancellations",
            json={"items": [], "payment_details": {"payment_id": "PID_1"}},
        )
        assert cancelled.amount == 6000
        for kind, envelope in LISTS.items():
            listed = flow.call(envelope, "GET", f"{SHOP}/orders/{order_id}/{kind}")
            [operation] = getattr(listed, kind)
            one = flow.call(
                Operation, "GET", f"{SHOP}/orders/{order_id}/{kind}/{operation.id}"
            )
            assert one == operation
        plain = flow.call(Order, "GET", f"{SHOP}/orders/{order_id}")
        assert plain.payment_status == "partially_refunded"
        assert plain.status == "closed"
        assert "events" not in plain.model_fields_set
        with_events = flow.call(
            Order, "GET", f"{SHOP}/orders/{order_id}", params={"include_events": "true"}
        )
        events = flow.call(Events, "GET", f"{SHOP}/orders/{order_id}/events")
        assert [e.id for e in with_events.events] == [e.id for e in events.events]
        assert len(events.events) == 7  # opened, 2 items, 4 operations

        # Dintero pages by the last item's id.
        first = flow.call(OrderList, "GET", f"{SHOP}/orders", params={"limit": 2})
        assert [o.id for o in first.orders] == order_ids[:2]
        rest = flow.call(
            OrderList, "GET", f"{SHOP}/orders",
            params={"limit": 2, "starting_after": first.orders[-1].id},
        )  # fmt: skip
        assert [o.id for o in rest.orders] == order_ids[2:]
        assert "next_page_token" not in rest.model_fields_set

        # Failures parse as Dintero's error too.
        flow.call(Error, "GET", f"{SHOP}/orders/NO-SUCH-ORDER", 404)
        flow.call(Error, "POST", f"{SHOP}/orders/{order_id}/captures", 400,
                  json={"items": "nope"})  # fmt: skip
        flow.call(Error, "POST", f"{SHOP}/orders/{order_id}/captures", 409,
                  json=pay_body({2: 1}))  # fmt: skip
    assert flow.parsed >= 30
    assert balances(writer, order_id) == {
        1: (10000, 10000, 2500, 0, 0, 7500),
        2: (6000, 0, 0, 6000, 0, 0),
    }


def _one_order(flow: Flow) -> str:
    draft = flow.call(
        Draft,
        "POST",
        f"{SHOP}/draft_orders",
        201,
        json={"order": {"currency": "NOK", "items": []}},  # no options, no metadata
    )
    for line, gross in ((1, 10000), (2, 6000), (3, 999)):
        flow.call(Draft, "POST", f"{SHOP}/draft_orders/{draft.id}/items", 201,
                  json=item(line, gross))  # fmt: skip
    flow.call(Draft, "DELETE", f"{SHOP}/draft_orders/{draft.id}/items/3")
    flow.call(Draft, "GET", f"{SHOP}/draft_orders/{draft.id}")
    completed = flow.call(Completed, "PUT", f"{SHOP}/draft_orders/{draft.id}/complete")
    [order] = completed.orders
    assert order.payment_status == "pending"
    return order.id


def test_payment_status_uses_only_dinteros_words_in_every_state(api: Api, writer):
    """authorized, partially_paid, paid, refunded, and a cancelled order."""
    seen = []
    with api.client(api.writer) as client:
        flow = Flow(client)
        order_id = _one_order(flow)
        for kind, lines in (
            ("authorizations", {1: 10000, 2: 6000}),
            ("captures", {1: 10000}),
            ("captures", {2: 6000}),
            ("refunds", {1: 10000, 2: 6000}),
        ):
            flow.call(Operation, "POST", f"{SHOP}/orders/{order_id}/{kind}",
                      json=pay_body(lines))  # fmt: skip
            seen.append(flow.call(Order, "GET", f"{SHOP}/orders/{order_id}"))
        cancelled_id = _one_order(flow)
        flow.call(Operation, "POST", f"{SHOP}/orders/{cancelled_id}/authorizations",
                  json=pay_body({1: 10000}))  # fmt: skip
        flow.call(Operation, "POST", f"{SHOP}/orders/{cancelled_id}/cancel",
                  json={"items": []})  # fmt: skip
        cancelled = flow.call(Order, "GET", f"{SHOP}/orders/{cancelled_id}")
    assert [o.payment_status for o in seen] == [
        "authorized",
        "partially_paid",
        "paid",
        "refunded",
    ]
    assert (cancelled.status, cancelled.payment_status) == ("cancelled", "pending")
    native = ok(writer.get(f"{NATIVE}/orders/{cancelled_id}"))["totals"]
    assert (native["authorized"], native["released"]) == (10000, 10000)


DINTERO_TAX_LINE = {  # the fields of Dintero's add-item example
    "amount": 5584,
    "amount_dwh": "5584.0440",
    "exempt": False,
    "included_in_price": True,
    "percentage": 25,
    "tax_basis": 27920,
    "tax_basis_dwh": "27920.22",
    "tax_code": "3",
    "tax_group": "Vmva-høy",
}


def test_the_tax_lines_other_fields_are_kept_and_shown_again(writer: httpx.Client):
    body = {"gross_amount": 39800, "tax_lines": [DINTERO_TAX_LINE], "id": "175938",
            "line_id": 1}  # fmt: skip
    draft = ok(
        writer.post(
            f"{SHOP}/draft_orders", json={"order": {"currency": "NOK", "items": []}}
        ),
        201,
    )
    added = ok(writer.post(f"{SHOP}/draft_orders/{draft['id']}/items", json=body), 201)
    assert added["order"]["items"][0]["tax_lines"] == [DINTERO_TAX_LINE]
    [order] = ok(writer.put(f"{SHOP}/draft_orders/{draft['id']}/complete"))["orders"]
    assert order["items"][0]["tax_lines"] == [DINTERO_TAX_LINE]
    read = ok(writer.get(f"{SHOP}/orders/{order['id']}"))
    assert read["items"][0]["tax_lines"] == [DINTERO_TAX_LINE]
    [line] = ok(writer.get(f"{NATIVE}/orders/{order['id']}"))["lines"]
    [tax] = line["tax_lines"]
    assert (tax["amount"], tax["percentage"]) == (5584, "25")
    assert tax["extras"] == {
        k: v for k, v in DINTERO_TAX_LINE.items() if k not in ("amount", "percentage")
    }
    verified = ok(
        writer.get(f"{NATIVE}/audit/verify", params={"order_id": order["id"]})
    )
    assert verified["broken"] == []

    too_many = {**body, "line_id": 2,
                "tax_lines": [{"amount": 1, "percentage": 25,
                               **{f"k{n}": n for n in range(51)}}]}  # fmt: skip
    refused = writer.post(f"{SHOP}/draft_orders/{draft['id']}/items", json=too_many)
    assert refused.status_code in (400, 409), refused.text
