"""Liveness and readiness."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, PlainTextResponse
from starlette.concurrency import run_in_threadpool

from api.native.problems import problem
from projections.completeness import set_aside_orders
from store.recorder import HorizonRecorder

router = APIRouter(tags=["Health"])
log = logging.getLogger(__name__)


@router.get("/metrics", response_class=PlainTextResponse, include_in_schema=False)
def metrics(request: Request) -> PlainTextResponse:
    """Prometheus text format."""
    return PlainTextResponse(
        request.app.state.metrics.render(), media_type="text/plain; version=0.0.4"
    )


@router.get("/health/live")
async def live() -> dict[str, str]:
    """The process answers (on the event loop: no I/O, no thread hop)."""
    return {"status": "ok"}


# A probe's timeout is typically 1 s: answer within it, whatever the database.
READY_DEADLINE_SECONDS = 0.8


@router.get("/health/ready", response_model=None)
async def ready(request: Request) -> dict[str, Any] | JSONResponse:
    """The event store and the key store answer a query, within the deadline.

    The library retries a failed query for about two seconds; a probe must
    not wait for that, so the check runs in a thread and is abandoned (it
    ends on its own) when the deadline passes.
    """
    try:
        return await asyncio.wait_for(
            run_in_threadpool(_readiness, request), READY_DEADLINE_SECONDS
        )
    except Exception as error:  # noqa: BLE001 - any failure means not ready
        log.warning("not ready: %r", error)
        return problem(request, 503, "not_ready", "Event store unavailable")


def _readiness(request: Request) -> dict[str, Any]:
    recorder = request.app.state.ledger.recorder
    position = (
        recorder.max_committed_id()
        if isinstance(recorder, HorizonRecorder)
        else recorder.max_notification_id()
    )
    request.app.state.keys.ping()
    projections = request.app.state.projections
    lag = projections.lag()
    set_aside = (
        set_aside_orders(projections) if any(v.set_aside for v in lag.values()) else []
    )
    return {
        # Degraded: commands work, but finance reads of these orders' accounts
        # answer 503 read_model_incomplete until the read models are rebuilt.
        "status": "degraded" if set_aside else "ready",
        "orders_set_aside": set_aside,
        "webhooks": request.app.state.outbound.status().as_dict(),
        "event_store_position": position or 0,
        "projections": {
            name: {
                "events_behind": lag.events_behind,
                "seconds_behind": lag.seconds_behind,
                "events_set_aside": lag.set_aside,
            }
            for name, lag in lag.items()
        },
    }
