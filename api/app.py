"""The FastAPI application factory."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from api.database import database, open_ledger
from api.settings import Settings
from domain.application import OrderLedger

log = logging.getLogger(__name__)


def create_app(
    settings: Settings | None = None, ledger: OrderLedger | None = None
) -> FastAPI:
    """Build the app; it opens (and closes) its own ledger unless given one."""
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if ledger is not None:
            app.state.ledger = ledger
            yield
            return
        with database(settings) as url:
            app.state.ledger = open_ledger(settings, url)
            try:
                yield
            finally:
                app.state.ledger.close()

    app = FastAPI(title="Order ledger", version="0.1.0", lifespan=lifespan)
    app.state.settings = settings

    @app.get("/health/live", tags=["health"])
    def live() -> dict[str, str]:
        """The process answers."""
        return {"status": "ok"}

    @app.get("/health/ready", tags=["health"], response_model=None)
    def ready(request: Request) -> dict[str, Any] | JSONResponse:
        """The event store answers a query."""
        ledger_: OrderLedger = request.app.state.ledger
        try:
            position = ledger_.recorder.max_notification_id()
        except Exception as error:  # noqa: BLE001 - any failure means not ready
            log.warning("event store not ready: %s", error)
            return JSONResponse(
                {
                    "type": "/problems/not-ready",
                    "title": "Event store unavailable",
                    "status": 503,
                    "code": "not_ready",
                },
                status_code=503,
                media_type="application/problem+json",
            )
        return {"status": "ready", "event_store_position": position or 0}

    return app
