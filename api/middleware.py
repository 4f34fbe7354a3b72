"""ASGI middleware: a request id on every request, and a cap on body size."""

from __future__ import annotations

import json
import re
from typing import Final
from uuid import uuid4

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.context import _request_id, current_request_id
from api.dintero import errors as dintero
from api.errors import render_error
from api.native.problems import NativeProblems
from api.riverty import errors as riverty
from settlements.service import MAX_FILE_BYTES

MAX_BODY_BYTES: Final = 1024 * 1024
# A provider's settlement report is a file, not a request (settlements/service.py
# caps it): 100,000 rows of an Adyen report are about 40 MB.
FILE_PATHS: Final = re.compile(
    r"^(/v1/accounts/[^/]+/settlements/imports|/console/settlements/upload)$"
)
_SAFE_ID = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")


def with_headers(send: Send, extra: list[tuple[bytes, bytes]]) -> Send:
    """``send``, adding ``extra`` headers to the response's start."""

    async def sending(message: Message) -> None:
        if message["type"] == "http.response.start":
            message["headers"] = [*message.get("headers", []), *extra]
        await send(message)

    return sending


class RequestIdMiddleware:
    """Take ``X-Request-Id`` when it is sane, else make one; echo it back."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1")
        request_id = given if _SAFE_ID.match(given) else uuid4().hex
        token = _request_id.set(request_id)

        try:
            await self.app(
                scope,
                receive,
                with_headers(send, [(b"x-request-id", request_id.encode())]),
            )
        finally:
            _request_id.reset(token)


SECURITY_HEADERS: Final = (
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cache-control", b"no-store"),
)
_API_CSP: Final = (
    b"content-security-policy",
    b"default-src 'none'; frame-ancestors 'none'",
)
# Pages run only the ledger's own scripts and styles, served from its own
# packages. Swagger UI and ReDoc also set inline styles as they render (and
# ReDoc searches in a blob: worker), so the docs allow those; the console not.
_PAGE_POLICY: Final = (
    "default-src 'none'; script-src 'self'; style-src 'self'{styles}; "
    "img-src 'self' data:; font-src 'self'; connect-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'{workers}"
)
_CONSOLE_CSP: Final = (
    b"content-security-policy",
    _PAGE_POLICY.format(styles="", workers="").encode(),
)
_DOCS_CSP: Final = (
    b"content-security-policy",
    _PAGE_POLICY.format(
        styles=" 'unsafe-inline'", workers="; worker-src 'self' blob:"
    ).encode(),
)
DOCS_PREFIXES: Final = ("/docs", "/redoc", "/static/docs")


def _policy(path: str) -> tuple[bytes, bytes]:
    if path.startswith("/console"):
        return _CONSOLE_CSP
    if path.startswith(DOCS_PREFIXES):
        return _DOCS_CSP
    return _API_CSP


class SecurityHeadersMiddleware:
    """Headers that keep browsers from sniffing, framing or caching answers."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = [*SECURITY_HEADERS, _policy(scope.get("path", ""))]
        await self.app(scope, receive, with_headers(send, headers))


class BodyLimitMiddleware:
    """Answer 413 to a body over ``limit`` bytes, declared or streamed."""

    def __init__(self, app: ASGIApp, limit: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = MAX_FILE_BYTES if FILE_PATHS.match(scope["path"]) else self.limit
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await self._reject(scope, send)
            return
        received = 0
        started = rejected = False

        async def counting_receive() -> Message:
            # Past the limit: answer 413 now and tell the app the client left,
            # so whatever it answers to that is dropped.
            nonlocal received, rejected
            if rejected:
                return {"type": "http.disconnect"}
            message = await receive()
            received += len(message.get("body", b""))
            if received > limit:
                rejected = True
                if not started:
                    await self._reject(scope, send)
                return {"type": "http.disconnect"}
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if rejected:
                return
            started = started or message["type"] == "http.response.start"
            await send(message)

        await self.app(scope, counting_receive, tracking_send)

    async def _reject(self, scope: Scope, send: Send) -> None:
        detail = f"request bodies are limited to {self.limit} bytes"
        path = scope.get("path", "")
        if path.startswith(riverty.PREFIX):
            content_type = b"application/json"
            body = json.dumps(
                [riverty.message("413.000", "Request body too large.", None, detail)]
            ).encode()
        elif dintero.is_dintero_path(path):
            content_type = b"application/json"
            body = dintero.error_body("payload_too_large", detail)
        else:
            content_type = b"application/problem+json"
            body = json.dumps(
                {
                    "type": "/problems/payload-too-large",
                    "title": "Request body too large",
                    "status": 413,
                    "code": "payload_too_large",
                    "detail": detail,
                    "instance": path,
                    "request_id": current_request_id(),
                }
            ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", content_type),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


class UnexpectedErrorMiddleware:
    """Answer an exception no route answered, inside the other middleware.

    Routes answer their own failures (api/errors.py). Starlette renders an
    ``Exception`` handler outside every middleware, so its 500 would carry
    neither the request id nor the security headers.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception as error:
            if started:
                raise  # the answer is under way; only the server can end it
            response = await render_error(NativeProblems(), Request(scope), error)
            await response(scope, receive, send)
