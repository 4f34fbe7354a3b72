"""How requests find their routes, and failures outside every route, in dialect.

Inside a route its class renders every failure (api/errors.py). Outside one
(an unknown path, a wrong method) only the path tells the dialect:
``/api/v3`` is Riverty's, a Dintero base path Dintero's, anything else the
native problem format.
"""

from __future__ import annotations

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.console.errors import ConsolePages
from api.console.web import PREFIX as CONSOLE_PREFIX
from api.dintero.errors import DinteroErrors, is_dintero_path
from api.errors import ErrorRenderer, render_error
from api.native.problems import NativeProblems
from api.riverty.errors import PREFIX as RIVERTY_PREFIX
from api.riverty.errors import RivertyErrors


def renderer_for(path: str) -> ErrorRenderer:
    if path == RIVERTY_PREFIX or path.startswith(f"{RIVERTY_PREFIX}/"):
        return RivertyErrors()
    if is_dintero_path(path):
        return DinteroErrors()
    if path == CONSOLE_PREFIX or path.startswith(f"{CONSOLE_PREFIX}/"):
        return ConsolePages()
    return NativeProblems()


def install_fallback_handlers(app: FastAPI) -> None:
    async def fallback(request: Request, exc: Exception) -> Response:
        return await render_error(renderer_for(request.url.path), request, exc)

    app.add_exception_handler(StarletteHTTPException, fallback)
    app.add_exception_handler(RequestValidationError, fallback)


def include_routes(app: FastAPI, router: APIRouter) -> None:
    """Put ``router``'s path operations in the app's own list of routes.

    Since FastAPI 0.137 ``include_router`` keeps the router as a node that
    every request walks route by route, whatever its prefix, each step
    saving and restoring scope keys (fastapi/fastapi#16159): with the
    ledger's routers that was 0.8 ms of every request here, as much as a
    command's own Python time. A router's routes already carry its prefix,
    tags, responses and dependencies, so they are added as they are, and a
    request is matched by each route's own pattern in turn.
    """
    for route in router.routes:
        if not isinstance(route, APIRoute):
            msg = f"{route!r} is not a path operation"
            raise TypeError(msg)
    app.router.routes.extend(router.routes)
