"""Readiness reflects whether the event store answers."""

from __future__ import annotations

from fastapi.testclient import TestClient

from api.app import create_app
from api.bootstrap import open_ledger
from api.settings import Settings


def test_ready_is_503_when_the_event_store_is_gone(
    pg_settings: Settings, database_url: str
) -> None:
    ledger = open_ledger(pg_settings, database_url)
    app = create_app(pg_settings, ledger=ledger)
    with TestClient(app) as client:
        assert client.get("/health/ready").status_code == 200
        ledger.recorder.datastore.close()  # type: ignore[attr-defined]
        response = client.get("/health/ready")
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "not_ready"
