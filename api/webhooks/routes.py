"""The event feed and the webhook endpoints (SPEC §14).

Finance and admin keys read the feed; writer and admin keys manage the
endpoints; each account sees only its own.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request, Response

from api.auth import FinanceReader, Writer
from api.native.problems import PROBLEM_RESPONSES, NativeRoute
from api.webhooks import schemas as w
from api.webhooks.refusals import answered, outbound_of
from outbound.events import EVENT_TYPES
from outbound.feed import MAX_LIMIT

router = APIRouter(
    prefix="/v1/accounts/{aid}",
    tags=["Events and webhooks"],
    responses=PROBLEM_RESPONSES,
    route_class=NativeRoute,
)


@router.get("/events", summary="Every event of the account, in commit order")
def event_feed(
    aid: str,
    request: Request,
    _: FinanceReader,
    starting_after: Annotated[
        str | None, Query(max_length=2048, description="a next_cursor")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 100,
    types: Annotated[
        str | None, Query(max_length=2048, description="e.g. Captured,Refunded")
    ] = None,
) -> w.FeedOut:
    wanted = [t for t in (types or "").split(",") if t]
    unknown = sorted(set(wanted) - EVENT_TYPES)
    if unknown:
        raise HTTPException(400, f"unknown event types {unknown}")
    with answered():
        page = outbound_of(request).feed(
            aid,
            starting_after,
            limit,
            wanted,
            request.app.state.settings.projection_wait,
        )
    return w.FeedOut.model_validate(
        {"events": page.events, "next_cursor": page.next_cursor}
    )


@router.post("/webhooks", status_code=201, summary="Register a webhook endpoint")
def create_webhook(
    aid: str, body: w.WebhookIn, request: Request, _: Writer
) -> w.WebhookWithSecretOut:
    with answered():
        endpoint, secret = outbound_of(request).endpoints.create(
            aid, str(body.url), body.events, body.description
        )
    return w.WebhookWithSecretOut.model_validate({**endpoint.shown(), "secret": secret})


@router.get("/webhooks", summary="The account's webhook endpoints")
def list_webhooks(aid: str, request: Request, _: Writer) -> w.WebhookListOut:
    endpoints = outbound_of(request).endpoints.list(aid)
    return w.WebhookListOut.model_validate(
        {"webhooks": [endpoint.shown() for endpoint in endpoints]}
    )


@router.get("/webhooks/{webhook_id}", summary="One webhook endpoint")
def read_webhook(
    aid: str, webhook_id: str, request: Request, _: Writer
) -> w.WebhookOut:
    with answered():
        endpoint = outbound_of(request).endpoints.get(aid, webhook_id)
    return w.WebhookOut.model_validate(endpoint.shown())


@router.patch("/webhooks/{webhook_id}", summary="Change events, URL, or disable")
def update_webhook(
    aid: str, webhook_id: str, body: w.WebhookPatch, request: Request, _: Writer
) -> w.WebhookOut:
    with answered():
        endpoint = outbound_of(request).endpoints.update(
            aid,
            webhook_id,
            events=body.events,
            disabled=body.disabled,
            url=str(body.url) if body.url is not None else None,
            description=body.description,
        )
    return w.WebhookOut.model_validate(endpoint.shown())


@router.delete("/webhooks/{webhook_id}", status_code=204, summary="Stop and remove")
def delete_webhook(aid: str, webhook_id: str, request: Request, _: Writer) -> Response:
    with answered():
        outbound_of(request).endpoints.delete(aid, webhook_id)
    return Response(status_code=204)


@router.post(
    "/webhooks/{webhook_id}/rotate-secret",
    summary="A new secret; the old one also signs for a day",
)
def rotate_secret(
    aid: str, webhook_id: str, request: Request, _: Writer
) -> w.WebhookWithSecretOut:
    with answered():
        endpoint, secret = outbound_of(request).endpoints.rotate(aid, webhook_id)
    return w.WebhookWithSecretOut.model_validate({**endpoint.shown(), "secret": secret})


@router.get(
    "/webhooks/{webhook_id}/deliveries",
    summary="The endpoint's deliveries, newest first, each attempt logged",
)
def list_deliveries(
    aid: str,
    webhook_id: str,
    request: Request,
    _: Writer,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> w.DeliveriesOut:
    with answered():
        rows: list[dict[str, Any]] = outbound_of(request).deliveries(
            aid, webhook_id, limit
        )
    return w.DeliveriesOut.model_validate({"deliveries": rows})


@router.post(
    "/webhooks/{webhook_id}/replay",
    summary="Send again: one delivery, or the events of a time range",
)
def replay(
    aid: str, webhook_id: str, body: w.ReplayIn, request: Request, _: Writer
) -> w.ReplayOut:
    if body.delivery_id is None and body.from_ is None and body.to is None:
        raise HTTPException(400, "give delivery_id, or from and/or to")
    with answered():
        queued = outbound_of(request).replay(
            aid, webhook_id, start=body.from_, end=body.to, delivery_id=body.delivery_id
        )
    return w.ReplayOut(queued=queued)
