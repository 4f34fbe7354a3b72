"""Liveness and readiness."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, PlainTextResponse

from api.problems import problem

router = APIRouter(tags=["Health"])
log = logging.getLogger(__name__)


@router.get("/metrics", response_class=PlainTextResponse, include_in_schema=False)
def metrics(request: Request) -> PlainTextResponse:
    """Prometheus text format."""
    return PlainTextResponse(
        request.app.state.metrics.render(), media_type="text/plain; version=0.0.4"
    )


@router.get("/health/live")
def live() -> dict[str, str]:
    """The process answers."""
    return {"status": "ok"}


@router.get("/health/ready", response_model=None)
def ready(request: Request) -> dict[str, Any] | JSONResponse:
    """The event store and the key store answer a query."""
    try:
        position = request.app.state.ledger.recorder.max_notification_id()
        request.app.state.keys.ping()
        lag = request.app.state.projections.lag()
    except Exception as error:  # noqa: BLE001 - any failure means not ready
        log.warning("not ready: %s", error)
        return problem(request, 503, "not_ready", "Event store unavailable")
    return {
        "status": "ready",
        "event_store_position": position or 0,
        "projections": {
            name: {
                "events_behind": lag.events_behind,
                "seconds_behind": lag.seconds_behind,
            }
            for name, lag in lag.items()
        },
    }
