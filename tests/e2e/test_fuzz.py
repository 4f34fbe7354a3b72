"""Schemathesis over every operation of both dialects, from the app's OpenAPI.

A bounded number of generated requests per operation (derandomized in CI):
no 5xx; every 4xx is a well-formed problem (under /api/v3 a Riverty error
array, under Dintero's routes a Dintero error object); and no 4xx writes an
event.
"""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, settings

from api.app import create_app
from api.dintero.errors import is_dintero_path
from api.settings import Settings
from tests.e2e.conftest import ACCOUNT

# The document comes from the app's routes; no database is needed to build it.
schema = schemathesis.openapi.from_dict(create_app(Settings()).openapi())


def assert_well_formed_error(path: str, response: object) -> None:
    body = response.json()  # type: ignore[attr-defined]
    if path.startswith("/api/v3"):
        assert isinstance(body, list), body
        assert body
        assert all({"type", "code", "message"} <= set(entry) for entry in body), body
    elif is_dintero_path(path):
        content_type = response.headers["content-type"][0]  # type: ignore[attr-defined]
        assert content_type.startswith("application/json"), content_type
        assert {"code", "message", "request_id"} <= set(body["error"]), body
    else:
        content_type = response.headers["content-type"][0]  # type: ignore[attr-defined]
        assert content_type.startswith("application/problem+json"), content_type
        assert {"type", "title", "status", "code"} <= set(body), body
        assert body["status"] == response.status_code  # type: ignore[attr-defined]


@schema.parametrize()
@settings(
    max_examples=max(20, settings.default.max_examples // 3),  # 20; more when deep
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
def test_no_5xx_and_no_write_on_4xx(case, api, fuzz_ledger):
    if "aid" in (case.path_parameters or {}):
        case.path_parameters["aid"] = ACCOUNT  # reach past the account check
    before = fuzz_ledger.recorder.max_notification_id() or 0
    response = case.call(
        base_url=api.base, headers={"Authorization": f"Bearer {api.writer}"}
    )
    assert response.status_code < 500, (case.method, case.path, response.text)
    if 400 <= response.status_code < 500:
        assert_well_formed_error(case.path, response)
        assert (fuzz_ledger.recorder.max_notification_id() or 0) == before
