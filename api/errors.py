"""Which failure a request met, and the route class that has its dialect render it.

Each surface's router uses a ``DialectRoute`` subclass naming its renderer
(api/riverty/errors.py, api/dintero/errors.py, api/native/problems.py): every
error of its routes — a rule, a validation error, a missing key, a database
outage, a bug — is answered in that dialect's format, chosen by the route
that matched, never by sniffing the URL. The route class is also where a
request waits for one of the database slots (api/backpressure.py), and
where a blocking endpoint is sent to the thread pool, once
(``off_the_event_loop``).
"""

from __future__ import annotations

import functools
import inspect
import logging
from collections.abc import Callable, Coroutine, Mapping, Sequence
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any, ClassVar, Final, Protocol

import psycopg
from eventsourcing.persistence import DataError, InterfaceError, OperationalError
from fastapi import Request, Response, params
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from psycopg_pool import PoolClosed, PoolTimeout
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import Receive, Scope, Send

from api.auth import check_access
from api.backpressure import LedgerBusyError, database_slot
from api.json_body import BodyRefusedError, read_json_body
from domain.errors import LedgerError
from projections.completeness import ReadModelIncompleteError
from projections.setup import ProjectionLaggingError

log = logging.getLogger(__name__)

# The database cannot be reached or its pool is exhausted or closed: a retry
# later may work, so 503 with Retry-After, never 500.
UNAVAILABLE: Final = (
    OperationalError,
    InterfaceError,
    psycopg.OperationalError,
    psycopg.InterfaceError,
    PoolTimeout,
    PoolClosed,
)


@dataclass(frozen=True)
class FieldError:
    field: str  # ``order.items[0].id``
    kind: str  # pydantic's error type, e.g. ``missing``
    message: str


class ErrorRenderer(Protocol):
    """How one dialect answers each kind of failure."""

    def ledger(self, request: Request, error: LedgerError) -> Response: ...

    def invalid(self, request: Request, errors: Sequence[FieldError]) -> Response: ...

    def http(
        self,
        request: Request,
        status: int,
        detail: str | None,
        headers: Mapping[str, str] | None,
    ) -> Response: ...

    def unavailable(
        self, request: Request, code: str, title: str, detail: str
    ) -> Response: ...

    def internal(self, request: Request) -> Response: ...


def http_code(status: int) -> str:
    """A status as a stable code: 405 → ``method_not_allowed``."""
    return HTTPStatus(status).phrase.lower().replace(" ", "_").replace("-", "_")


def field_path(location: Sequence[int | str]) -> str:
    """``("body", "order", "items", 0, "id")`` → ``order.items[0].id``."""
    path = ""
    for part in location[1:] if location and location[0] == "body" else location:
        path += (
            f"[{part}]"
            if isinstance(part, int)
            else (f".{part}" if path else str(part))
        )
    return path


def field_errors(error: RequestValidationError) -> list[FieldError]:
    return [
        FieldError(
            field_path(err.get("loc", ())), err.get("type", ""), err.get("msg", "")
        )
        for err in error.errors()
    ]


async def _unless_denied(request: Request, exc: Exception) -> Exception:
    """SPEC §9: a caller who may not send this hears that, not what is wrong."""
    try:
        await check_access(request)
    except StarletteHTTPException as denied:
        return denied
    return exc


async def render_error(  # noqa: PLR0911 - one answer per kind of failure
    renderer: ErrorRenderer, request: Request, exc: Exception
) -> Response:
    """The dialect's answer to ``exc``; SPEC §9: access before validation."""
    if isinstance(exc, RequestValidationError | BodyRefusedError):
        exc = await _unless_denied(request, exc)
    if isinstance(exc, RequestValidationError):
        return renderer.invalid(request, field_errors(exc))
    if isinstance(exc, StarletteHTTPException):
        detail = exc.detail if isinstance(exc.detail, str) else None
        return renderer.http(request, exc.status_code, detail, exc.headers)
    if isinstance(exc, LedgerError):
        return renderer.ledger(request, exc)
    if isinstance(exc, DataError | psycopg.DataError):
        log.warning("input refused by the database: %s", exc)
        return renderer.invalid(
            request, [FieldError("", "invalid", "a value cannot be stored")]
        )
    if isinstance(exc, LedgerBusyError):
        return renderer.unavailable(request, "ledger_busy", "Ledger busy", str(exc))
    if isinstance(exc, ReadModelIncompleteError):
        log.error("read refused: %s", exc)
        return renderer.unavailable(
            request, "read_model_incomplete", "Read model incomplete", str(exc)
        )
    if isinstance(exc, ProjectionLaggingError):
        log.warning("read refused: %s", exc)
        return renderer.unavailable(
            request, "projection_lagging", "Read model behind", str(exc)
        )
    if isinstance(exc, UNAVAILABLE):
        log.warning("database unavailable: %s", exc)
        return renderer.unavailable(
            request, "database_unavailable", "Database unavailable", "retry shortly"
        )
    log.error("unhandled error", exc_info=exc)
    return renderer.internal(request)


Endpoint = Callable[[Request], Coroutine[Any, Any, Response]]


def off_the_event_loop(endpoint: Callable[..., Any]) -> Callable[..., Any]:
    """A blocking endpoint as a coroutine that runs it in the thread pool.

    FastAPI runs a plain ``def`` endpoint in its thread pool and then, for
    such an endpoint, validates its answer there too: two thread hops a
    request, each 0.1-0.3 ms of CPU here. As a coroutine only the endpoint's
    own work leaves the event loop. FastAPI reads the parameters and the
    answer's model through ``__wrapped__``.
    """
    if inspect.iscoroutinefunction(endpoint) or not inspect.isfunction(endpoint):
        return endpoint

    @functools.wraps(endpoint)
    async def threaded(*args: Any, **kwargs: Any) -> Any:  # noqa: ANN401 - the endpoint's
        return await run_in_threadpool(endpoint, *args, **kwargs)

    return threaded


def _allowed_methods(scope: Scope) -> str:
    """Every method some route of this path takes (the route that matched has one).

    A path with a GET and a POST is two routes: Starlette's 405 names only
    the first route's methods.
    """
    path = scope["path"]
    routes = getattr(scope.get("router"), "routes", ())
    methods = {
        method
        for route in routes
        if isinstance(route, APIRoute) and route.path_regex.match(path)
        for method in route.methods or ()
    }
    return ", ".join(sorted(methods))


class DialectRoute(APIRoute):
    """A route whose every failure its dialect's ``renderer`` answers."""

    renderer: ClassVar[ErrorRenderer]

    def __init__(
        self,
        path: str,
        endpoint: Callable[..., Any],
        **kwargs: Any,  # noqa: ANN401 - APIRoute's
    ) -> None:
        super().__init__(path, off_the_event_loop(endpoint), **kwargs)

    def get_route_handler(self) -> Endpoint:
        handle = super().get_route_handler()
        renderer = self.renderer
        json_body = self.body_field is not None and not isinstance(
            self.body_field.field_info, params.Form
        )

        async def route(request: Request) -> Response:
            try:
                if json_body:
                    await read_json_body(request)
                async with database_slot(request):
                    return await handle(request)
            except Exception as exc:  # noqa: BLE001 - every failure gets an answer
                return await render_error(renderer, request, exc)

        return route

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        """A method the path does not allow (405) is answered here, in dialect."""
        try:
            await super().handle(scope, receive, send)
        except StarletteHTTPException as exc:
            if exc.status_code == HTTPStatus.METHOD_NOT_ALLOWED:
                exc.headers = {"Allow": _allowed_methods(scope)}
            request = Request(scope, receive)
            response = await render_error(self.renderer, request, exc)
            await response(scope, receive, send)
