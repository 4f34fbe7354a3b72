"""The FastAPI application factory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI

from api import docs, health
from api.admission import Admissions
from api.answer_cache import AnswerCache
from api.backpressure import DatabaseSlots
from api.bootstrap import services, tune_garbage_collection
from api.console import audit_pages as console_audit
from api.console import pages as console
from api.console import settlement_pages as console_settlements
from api.console import webhook_pages as console_webhooks
from api.dintero import orders as dintero_orders
from api.dintero import routes as dintero
from api.dintero import token as dintero_token
from api.keys import KeyStore
from api.logs import configure_logging
from api.metrics import LedgerMetrics, MetricsMiddleware, app_gauges
from api.middleware import (
    BodyLimitMiddleware,
    RequestIdMiddleware,
    SecurityHeadersMiddleware,
    UnexpectedErrorMiddleware,
)
from api.native import finance
from api.native import routes as orders
from api.openapi_links import add_links
from api.riverty import reads as riverty_reads
from api.riverty import routes as riverty
from api.routing import include_routes, install_fallback_handlers
from api.settings import Settings
from api.settlements import routes as settlements
from api.webhooks import routes as webhooks
from domain.application import OrderLedger

DESCRIPTION = """
An event-sourced ledger of orders and the money moved against each order line.

Amounts are integers in minor units (øre, cent). Authenticate with
`Authorization: Bearer <API key>`. Every POST and PUT takes an
`Idempotency-Key`: a retry with the same key and body returns the first answer
and writes nothing; the same key with another body is 409. Errors are RFC 9457
`application/problem+json` with a stable `code`.
"""


def create_app(
    settings: Settings | None = None,
    ledger: OrderLedger | None = None,
    keys: KeyStore | None = None,
) -> FastAPI:
    """Build the app; it opens (and closes) what it is not given."""
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        with services(settings, ledger, keys) as running:
            running.ledger.on_command = metrics.observe_command
            app.state.ledger = running.ledger
            app.state.keys = running.keys
            app.state.rate_limiter = running.rate_limiter
            app.state.projections = running.projections
            app.state.console_sessions = running.console_sessions
            app.state.outbound = running.outbound
            app.state.settlements = running.settlements
            admissions = Admissions(running.keys)
            await admissions.open()
            app.state.admissions = admissions
            try:
                yield
            finally:
                await admissions.close()

    app = FastAPI(
        title="Order ledger",
        version="0.1.0",
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,  # api/docs.py serves them without a CDN
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.answer_cache = AnswerCache(settings.answer_cache_mb * 2**20)
    metrics = LedgerMetrics()
    metrics.watch(lambda: app_gauges(app.state))
    app.state.metrics = metrics
    app.state.risk_check = settings.risk_check()
    install_fallback_handlers(app)
    app.state.database_slots = DatabaseSlots(settings.db_workers, settings.busy_timeout)
    app.add_middleware(UnexpectedErrorMiddleware)
    app.add_middleware(BodyLimitMiddleware)
    app.add_middleware(SecurityHeadersMiddleware)
    app.add_middleware(RequestIdMiddleware)
    app.add_middleware(MetricsMiddleware, metrics=metrics)
    include_routes(app, health.router)
    include_routes(app, dintero_token.router)
    include_routes(app, dintero.router)
    include_routes(app, dintero_orders.router)
    include_routes(app, riverty.router)
    include_routes(app, riverty_reads.router)
    include_routes(app, finance.router)
    include_routes(app, orders.router)
    include_routes(app, webhooks.router)
    include_routes(app, settlements.router)
    include_routes(app, console.router)
    include_routes(app, console_audit.router)
    include_routes(app, console_webhooks.router)
    include_routes(app, console_settlements.router)
    docs.install(app)
    with_links(app)
    return app


def with_links(app: FastAPI) -> None:
    """The generated document, with the main flows' links (api/openapi_links.py)."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = add_links(generate())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def app_from_environment() -> FastAPI:
    """The app of one ``ledger serve`` worker, configured from the environment."""
    configure_logging()
    app = create_app(Settings())
    tune_garbage_collection()
    return app
