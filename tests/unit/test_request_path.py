"""The request path's plumbing: routes found directly, one thread hop, fast parts."""

from __future__ import annotations

import asyncio
import inspect
import threading

import pytest
from fastapi import APIRouter, FastAPI
from fastapi.routing import APIRoute
from starlette.routing import Mount, Route
from uvicorn.protocols.http.auto import AutoHTTPProtocol

from api.app import create_app
from api.errors import off_the_event_loop
from api.routing import include_routes
from api.serving import NoDelayHTTPProtocol
from api.settings import Settings


def test_every_path_operation_is_a_route_of_the_app_itself():
    """No router node that every request would walk (FastAPI >= 0.137)."""
    app = create_app(Settings(database_url="postgresql://unused"))
    kinds = {type(route) for route in app.routes}
    assert all(issubclass(kind, Route | Mount) for kind in kinds), kinds
    paths = {route.path for route in app.routes if isinstance(route, APIRoute)}
    assert "/api/v3/orders/{orderNumber}/captures" in paths
    assert "/v1/accounts/{aid}/shopping/orders/{order_id}/captures" in paths


def test_only_path_operations_are_copied_into_the_app():
    router = APIRouter()
    router.mount("/files", FastAPI())
    with pytest.raises(TypeError, match="not a path operation"):
        include_routes(FastAPI(), router)


def blocking(order_id: str, *, amount: int = 1) -> dict[str, object]:
    return {"order_id": order_id, "amount": amount, "thread": threading.get_ident()}


def test_a_blocking_endpoint_runs_off_the_event_loop_with_its_signature():
    threaded = off_the_event_loop(blocking)

    async def call() -> tuple[dict[str, object], int]:
        return await threaded("O1", amount=5), threading.get_ident()

    answer, loop_thread = asyncio.run(call())
    assert inspect.iscoroutinefunction(threaded)
    assert inspect.signature(threaded) == inspect.signature(blocking)
    assert (answer["order_id"], answer["amount"]) == ("O1", 5)
    assert answer["thread"] != loop_thread


def test_a_coroutine_endpoint_stays_as_it_is():
    async def endpoint() -> None:
        return None

    assert off_the_event_loop(endpoint) is endpoint


def test_uvicorn_parses_http_with_httptools_under_the_no_delay_protocol():
    assert AutoHTTPProtocol.__name__ == "HttpToolsProtocol"
    assert issubclass(NoDelayHTTPProtocol, AutoHTTPProtocol)
