"""Failures outside every route (an unknown path, a wrong method), in dialect.

Inside a route its class renders every failure (api/errors.py). Outside one
only the path tells the dialect: ``/api/v3`` is Riverty's, a Dintero base
path Dintero's, anything else the native problem format.
"""

from __future__ import annotations

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
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
