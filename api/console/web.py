"""What every console page shares: templates, the session, CSRF, HTML errors."""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal
from http import HTTPStatus
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import Depends, HTTPException, Request, Response
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool

from api.console.sessions import ConsoleSession, ConsoleSessions
from api.context import current_request_id
from api.keys import Role
from settlements.cells import exponent as currency_exponent

PREFIX = "/console"
SESSION_COOKIE = "ledger_console"
SIGN_IN_COOKIE = "ledger_console_sign_in"  # the sign-in form's CSRF token
HERE = Path(__file__).parent


def major(amount: int | None, currency: str) -> str:
    """Minor units as major units: ``123450, "NOK"`` → ``1,234.50 NOK``."""
    if amount is None:
        return ""
    exponent = currency_exponent(currency)  # ISO 4217, beyond the order currencies
    value = Decimal(amount).scaleb(-exponent)
    return f"{value:,.{exponent}f} {currency}"


def utc(value: str | datetime | None) -> str:
    """An instant as UTC text; the page's script shows it in the viewer's zone."""
    if value is None or value == "":
        return ""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


templates = Jinja2Templates(directory=HERE / "templates")
templates.env.filters["major"] = major
templates.env.filters["utc"] = utc
templates.env.autoescape = True


def page(
    request: Request,
    name: str,
    context: Mapping[str, Any],
    status: int = 200,
    session: ConsoleSession | None = None,
) -> HTMLResponse:
    values = {
        "session": session,
        "csrf": session.csrf_token if session else "",
        "request_id": current_request_id(),
        **context,
    }
    return templates.TemplateResponse(request, name, values, status_code=status)


def sessions(request: Request) -> ConsoleSessions:
    store: ConsoleSessions = request.app.state.console_sessions
    return store


async def signed_in(request: Request) -> ConsoleSession:
    """The request's session; without a live one, to the sign-in page."""
    token = request.cookies.get(SESSION_COOKIE)
    session = await run_in_threadpool(sessions(request).find, token) if token else None
    if session is None:
        raise HTTPException(HTTPStatus.UNAUTHORIZED, "sign in first")
    return session


Session = Annotated[ConsoleSession, Depends(signed_in)]


def same_origin(request: Request) -> None:
    """A browser's form post names its page's origin; another one is refused."""
    origin = request.headers.get("origin")
    if origin is None or origin == "null":
        return
    if urlsplit(origin).netloc != request.headers.get("host", ""):
        raise HTTPException(HTTPStatus.FORBIDDEN, "a form from another site")


def check_csrf(request: Request, sent: str, expected: str) -> None:
    same_origin(request)
    if not sent or not expected or not hmac.compare_digest(sent, expected):
        raise HTTPException(
            HTTPStatus.FORBIDDEN, "the form expired or came from elsewhere; reload it"
        )


def new_form_token() -> str:
    return secrets.token_urlsafe(32)


def set_cookie(request: Request, response: Response, name: str, value: str) -> None:
    response.set_cookie(
        name,
        value,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path=PREFIX,
    )


def account_if(session: ConsoleSession, roles: tuple[Role, ...], doing: str) -> str:
    """The session's account, if its key's role may do this (403 otherwise)."""
    if session.principal.role not in roles:
        allowed = " or ".join(str(role) for role in roles)
        raise HTTPException(
            HTTPStatus.FORBIDDEN,
            f"a {session.principal.role} key cannot {doing};"
            f" sign in with a {allowed} key",
        )
    return session.principal.account
