"""Schemathesis over every operation of all three surfaces, from the app's OpenAPI.

A bounded number of generated requests per operation (derandomized in CI,
many more in ``make test-deep``), each checked by schemathesis' own checks
(no 5xx; status codes, content types, headers and bodies as the document
declares them) and by the ledger's rules: every 4xx is its dialect's error
and writes nothing; every order a request wrote reads back in every surface,
is projected (no event set aside) and verifies (SPEC §12).
"""

from __future__ import annotations

import itertools
from urllib.parse import quote

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import checks
from schemathesis.core.transport import Response

from api.app import create_app
from api.dintero.errors import is_dintero_path
from api.settings import Settings
from tests.e2e import riverty
from tests.e2e.conftest import ACCOUNT
from tests.e2e.dintero import chair

# The document comes from the app's routes; no database is needed to build it.
schema = schemathesis.openapi.from_dict(create_app(Settings()).openapi())

# Checks the ledger does not claim: a body the schema allows may still break a
# business rule (positive_data_acceptance), and the schema cannot say every
# rule, so not every invalid body is one it can describe (negative_data_...).
NOT_CLAIMED = [
    checks.positive_data_acceptance,
    checks.negative_data_rejection,
    checks.missing_required_header,
    checks.ignored_auth,
    checks.unsupported_method,
]


def _riverty_start(n: int) -> dict[str, object]:
    return riverty.authorize_body(f"FLOW-{n}")


def _dintero_start(n: int) -> dict[str, object]:
    return {
        "order": {
            "currency": "NOK",
            "order_id": f"FLOW-D{n}",
            "items": [chair(1, 10_000), chair(2, 5_000, id="175939")],
        }
    }


STARTS = {
    ("POST", "/api/v3/checkout/authorize"): _riverty_start,
    ("POST", "/v1/accounts/{aid}/shopping/draft_orders"): _dintero_start,
}


def assert_well_formed_error(path: str, response: Response) -> None:
    body = response.json()
    [content_type] = response.headers["content-type"]
    if path.startswith("/api/v3"):
        assert isinstance(body, list), body
        assert body
        assert all({"type", "code", "message"} <= set(entry) for entry in body), body
    elif is_dintero_path(path):
        assert content_type.startswith("application/json"), content_type
        assert {"code", "message", "request_id"} <= set(body["error"]), body
    else:
        assert content_type.startswith("application/problem+json"), content_type
        assert {"type", "title", "status", "code"} <= set(body), body
        assert body["status"] == response.status_code


def assert_reads_back(client: httpx.Client, ledger: object, order_ref: str) -> None:
    """The order answers in every surface, is projected and verifies."""
    ref = quote(order_ref, safe="")
    native = f"/v1/accounts/{ACCOUNT}"
    for path in (
        f"{native}/orders/{ref}",
        f"{native}/orders/{ref}/events",
        f"{native}/shopping/orders/{ref}",
        f"{native}/shopping/orders/{ref}/captures",
        f"/api/v3/orders/{ref}",
        f"/api/v3/orders/{ref}/voids",
        f"{native}/orders",
        f"{native}/shopping/orders",
    ):
        response = client.get(path)
        assert response.status_code == 200, (order_ref, path, response.text)
    audit = client.get(f"{native}/audit/verify", params={"order_id": order_ref})
    assert audit.status_code == 200, audit.text
    assert audit.json()["broken"] == [], audit.text
    assert ledger.recorder is not None  # type: ignore[attr-defined]


def orders_written(ledger: object, after: int) -> set[str]:
    """The refs of the orders whose events were stored after ``after``."""
    notifications = ledger.recorder.select_notifications(  # type: ignore[attr-defined]
        start=after + 1, limit=1000
    )
    refs = set()
    for notification in notifications:
        owner = ledger.owner_of(notification.originator_id)  # type: ignore[attr-defined]
        if owner is not None and owner[0] == ACCOUNT:
            refs.add(owner[1])
    return refs


@pytest.fixture
def fuzz_order(api) -> str:
    """An authorized order every generated request of one operation works on."""
    with api.client(api.writer) as writer:
        answer = riverty.authorize(writer, "FUZZ-1")
        assert answer.status_code == 200, answer.text
    return "FUZZ-1"


@schema.parametrize()
@settings(
    max_examples=max(20, settings.default.max_examples // 3),  # 20; more when deep
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
def test_no_5xx_nothing_unreadable_and_no_write_on_4xx(
    case, api, fuzz_ledger, fuzz_order
):
    parameters = case.path_parameters or {}
    if "aid" in parameters:
        parameters["aid"] = ACCOUNT  # reach past the account check
    for name in ("order_id", "orderNumber"):
        if name in parameters:  # an order that exists, so bodies reach its rules
            parameters[name] = fuzz_order
    before = fuzz_ledger.recorder.max_notification_id() or 0
    response = case.call_and_validate(
        base_url=api.base,
        headers={"Authorization": f"Bearer {api.writer}"},
        excluded_checks=NOT_CLAIMED,
    )
    after = fuzz_ledger.recorder.max_notification_id() or 0
    if 400 <= response.status_code < 500:
        assert_well_formed_error(case.path, response)
        assert after == before
    if after > before:
        with api.client(api.finance) as finance:
            for order_ref in orders_written(fuzz_ledger, before):
                assert_reads_back(finance, fuzz_ledger, order_ref)


def test_the_linked_flows_statefully(api, fuzz_ledger):
    """Schemathesis follows the document's links: authorize then capture, refund,
    void, update; draft then complete then the operations — with bodies it
    generates, so the rules meet sequences no hand-written test sends."""
    auth = {"Authorization": f"Bearer {api.writer}"}
    written: set[str] = set()

    starts = itertools.count()

    class Flows(schema.as_state_machine()):  # type: ignore[misc, valid-type]
        def before_call(self, case) -> None:
            if "aid" in (case.path_parameters or {}):
                case.path_parameters["aid"] = ACCOUNT
            # Every other flow starts from an order that is accepted, so the
            # generated captures, refunds, voids and updates meet real money.
            if next(starts) % 2 and (case.method, case.path) in STARTS:
                case.body = STARTS[case.method, case.path](next(starts))

        def get_call_kwargs(self, case) -> dict[str, object]:  # noqa: ARG002
            return {"base_url": api.base, "headers": auth}

        def validate_response(self, response, case, **_: object) -> None:
            before = self._position
            case.validate_response(response, excluded_checks=NOT_CLAIMED)
            self._position = fuzz_ledger.recorder.max_notification_id() or 0
            if 400 <= response.status_code < 500:
                assert_well_formed_error(case.path, response)
            elif self._position > before:
                written.update(orders_written(fuzz_ledger, before))

        def setup(self) -> None:
            self._position = fuzz_ledger.recorder.max_notification_id() or 0

    Flows.run(
        settings=settings(
            max_examples=max(10, settings.default.max_examples // 10),
            stateful_step_count=6,
            deadline=None,
            suppress_health_check=list(HealthCheck),
        )
    )
    with api.client(api.finance) as finance:
        for order_ref in written:
            assert_reads_back(finance, fuzz_ledger, order_ref)


SETTLEMENT_PATHS = r"/(settlements|reconciliation/|reports/payouts)"


@schema.include(path_regex=SETTLEMENT_PATHS).parametrize()
@settings(
    max_examples=max(20, settings.default.max_examples // 3),
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
def test_settlement_operations_with_a_finance_key(case, api):
    """The settlement operations past the role check: no 5xx, every 4xx a problem."""
    parameters = case.path_parameters or {}
    if "aid" in parameters:
        parameters["aid"] = ACCOUNT
    response = case.call_and_validate(
        base_url=api.base,
        headers={"Authorization": f"Bearer {api.finance}"},
        excluded_checks=NOT_CLAIMED,
    )
    if 400 <= response.status_code < 500:
        assert_well_formed_error(case.path, response)
