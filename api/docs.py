"""The API docs (Swagger UI and ReDoc) from installed packages, not a CDN.

FastAPI's default pages load their scripts from a CDN, so they are blank on a
machine without internet, and they run an inline script, which the pages'
Content-Security-Policy forbids. These pages load the assets that the
``fastapi-offline`` package ships and start Swagger UI from a file of ours.
"""

from __future__ import annotations

from pathlib import Path

import fastapi_offline
from fastapi import APIRouter, FastAPI
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from api.routing import include_routes

ASSETS = Path(fastapi_offline.__file__).parent / "static"
CONSOLE_ASSETS = Path(__file__).parent / "console" / "static"
router = APIRouter(include_in_schema=False)

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Order ledger · {title}</title>{head}
<link rel="icon" href="/static/docs/favicon.png"></head>
<body>{body}</body></html>"""


@router.get("/docs")
async def swagger_ui() -> HTMLResponse:
    return HTMLResponse(
        _PAGE.format(
            title="API docs",
            head='<link rel="stylesheet" href="/static/docs/swagger-ui.css">',
            body='<div id="swagger-ui"></div>'
            '<script src="/static/docs/swagger-ui-bundle.js"></script>'
            '<script src="/console/static/docs-swagger.js"></script>',
        )
    )


@router.get("/redoc")
async def redoc() -> HTMLResponse:
    return HTMLResponse(
        _PAGE.format(
            title="API reference",
            head="",
            body='<redoc spec-url="/openapi.json"></redoc>'
            '<script src="/static/docs/redoc.standalone.js"></script>',
        )
    )


def install(app: FastAPI) -> None:
    """The docs pages and the static assets of the docs and the console."""
    include_routes(app, router)
    app.mount("/static/docs", StaticFiles(directory=ASSETS), name="docs-assets")
    app.mount(
        "/console/static", StaticFiles(directory=CONSOLE_ASSETS), name="console-assets"
    )
