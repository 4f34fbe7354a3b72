"""The console's webhook pages: register, disable, rotate, delete, see deliveries.

The same service as ``/v1/accounts/{aid}/webhooks`` and ``ledger webhooks``,
for the signed-in key's account; writer and admin keys only, as in the API.
A new or rotated secret is shown once, on the page that answers the form.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.console.errors import ConsoleRoute
from api.console.sessions import ConsoleSession
from api.console.web import PREFIX, Session, account_if, check_csrf, page
from api.keys import Role
from api.webhooks.refusals import answered, outbound_of
from outbound.events import EVENT_TYPES

router = APIRouter(prefix=PREFIX, route_class=ConsoleRoute, include_in_schema=False)
DELIVERIES_SHOWN = 50
Csrf = Annotated[str, Form(max_length=100)]


def _managing(session: ConsoleSession) -> str:
    """The session's account, if its key may manage webhooks."""
    return account_if(session, (Role.WRITER, Role.ADMIN), "manage webhooks")


def _list_page(
    request: Request, session: ConsoleSession, revealed: dict[str, Any] | None = None
) -> HTMLResponse:
    account = _managing(session)
    endpoints = [e.shown() for e in outbound_of(request).endpoints.list(account)]
    context = {
        "endpoints": endpoints,
        "event_types": sorted(EVENT_TYPES),
        "revealed": revealed,
    }
    return page(request, "webhooks.html", context, session=session)


@router.get("/webhooks")
def webhooks(request: Request, session: Session) -> HTMLResponse:
    return _list_page(request, session)


@router.post("/webhooks")
def create_webhook(  # noqa: PLR0913 - the form's fields
    request: Request,
    session: Session,
    *,
    csrf: Csrf,
    url: Annotated[str, Form(max_length=2048)],
    events: Annotated[list[str] | None, Form(max_length=64)] = None,
    description: Annotated[str, Form(max_length=500)] = "",
) -> HTMLResponse:
    check_csrf(request, csrf, session.csrf_token)
    account = _managing(session)
    with answered():
        endpoint, secret = outbound_of(request).endpoints.create(
            account, url.strip(), events or [], description.strip() or None
        )
    revealed = {"id": endpoint.id, "url": endpoint.url, "secret": secret}
    return _list_page(request, session, revealed)


@router.get("/webhooks/{webhook_id}")
def webhook(request: Request, session: Session, webhook_id: str) -> HTMLResponse:
    return _endpoint_page(request, session, webhook_id)


def _endpoint_page(
    request: Request,
    session: ConsoleSession,
    webhook_id: str,
    revealed: str | None = None,
    queued: int | None = None,
) -> HTMLResponse:
    account = _managing(session)
    outbound = outbound_of(request)
    with answered():
        endpoint = outbound.endpoints.get(account, webhook_id)
        deliveries = outbound.deliveries(account, webhook_id, DELIVERIES_SHOWN)
    context = {
        "endpoint": endpoint.shown(),
        "deliveries": deliveries,
        "revealed": revealed,
        "queued": queued,
    }
    return page(request, "webhook.html", context, session=session)


@router.post("/webhooks/{webhook_id}/disabled")
def set_disabled(
    request: Request,
    session: Session,
    webhook_id: str,
    csrf: Csrf,
    disabled: Annotated[bool, Form()],
) -> Response:
    check_csrf(request, csrf, session.csrf_token)
    with answered():
        outbound_of(request).endpoints.update(
            _managing(session), webhook_id, disabled=disabled
        )
    return RedirectResponse(f"{PREFIX}/webhooks/{webhook_id}", status_code=303)


@router.post("/webhooks/{webhook_id}/rotate-secret")
def rotate_secret(
    request: Request, session: Session, webhook_id: str, csrf: Csrf
) -> HTMLResponse:
    check_csrf(request, csrf, session.csrf_token)
    with answered():
        account = _managing(session)
        _, secret = outbound_of(request).endpoints.rotate(account, webhook_id)
    return _endpoint_page(request, session, webhook_id, revealed=secret)


@router.post("/webhooks/{webhook_id}/replay")
def replay(
    request: Request,
    session: Session,
    webhook_id: str,
    csrf: Csrf,
    delivery_id: Annotated[str, Form(max_length=100)],
) -> HTMLResponse:
    check_csrf(request, csrf, session.csrf_token)
    with answered():
        queued = outbound_of(request).replay(
            _managing(session), webhook_id, delivery_id=delivery_id
        )
    return _endpoint_page(request, session, webhook_id, queued=queued)


@router.post("/webhooks/{webhook_id}/delete")
def delete(request: Request, session: Session, webhook_id: str, csrf: Csrf) -> Response:
    check_csrf(request, csrf, session.csrf_token)
    with answered():
        outbound_of(request).endpoints.delete(_managing(session), webhook_id)
    return RedirectResponse(f"{PREFIX}/webhooks", status_code=303)
