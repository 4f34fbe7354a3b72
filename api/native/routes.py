"""Native API (SPEC §7): an order at any version or time, its events, the audit.

Also where a payment's authorization expiry is moved (the PSP extended it).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query

from api.auth import LedgerDep, Reader, WriteContext
from api.fields import query_time
from api.native.present import events_out, order_out
from api.native.problems import PROBLEM_RESPONSES, NativeRoute
from api.native.schemas import ExtendAuthorizationIn, OrderEventsOut, OrderOut
from domain.bounds import MAX_INT4
from domain.errors import OrderNotFoundError
from domain.order import order_uuid
from projections.audit import ChainVerifier

router = APIRouter(
    prefix="/v1/accounts/{aid}",
    tags=["Orders"],
    responses=PROBLEM_RESPONSES,
    route_class=NativeRoute,
)


EVENTS_PAGE, EVENTS_MAX = 200, 1_000  # events in one answer: by default, at most


@router.get("/orders/{order_id}", summary="An order's lines and balances")
def read_order(
    aid: str,
    order_id: str,
    ledger: LedgerDep,
    _: Reader,
    version: Annotated[
        int | None, Query(ge=1, description="as it stood at this version")
    ] = None,
    as_of: Annotated[
        datetime | None, Query(description="as it stood at this RFC 3339 time")
    ] = None,
) -> OrderOut:
    if version is not None and as_of is not None:
        raise HTTPException(400, "give version or as_of, not both")
    as_of = query_time(as_of, "as_of")
    return order_out(ledger.get_order(aid, order_id, version=version, as_of=as_of))


@router.post(
    "/orders/{order_id}/payments/{payment_id}/expiry",
    summary="Move a payment's authorization expiry (the PSP extended it)",
)
def extend_authorization(
    aid: str,
    order_id: str,
    payment_id: str,
    body: ExtendAuthorizationIn,
    ledger: LedgerDep,
    context: WriteContext,
) -> OrderOut:
    result = ledger.extend_authorization(
        aid, order_id, payment_id, body.expires_at, context
    )
    return order_out(ledger.result_order(aid, result))


@router.get("/orders/{order_id}/events", summary="The audit trail of an order")
def read_events(
    aid: str,
    order_id: str,
    ledger: LedgerDep,
    _: Reader,
    after_version: Annotated[
        int, Query(ge=0, le=MAX_INT4, description="events after this version")
    ] = 0,
    limit: Annotated[
        int, Query(ge=1, le=EVENTS_MAX, description="at most this many events")
    ] = EVENTS_PAGE,
) -> OrderEventsOut:
    """The events oldest first, a page at a time (``has_more``)."""
    events, more = ledger.order_events_page(aid, order_id, after_version, limit)
    page = events_out(order_id, events)
    page.has_more = more
    return page


@router.get("/audit/verify", summary="Recompute the hash chains; report broken orders")
def verify_audit(
    aid: str,
    ledger: LedgerDep,
    _: Reader,
    order_id: Annotated[str | None, Query(description="only this order")] = None,
) -> dict[str, Any]:
    """Orders and events checked, and the first broken event of each broken order."""
    verifier = ChainVerifier(ledger)
    if order_id is not None:
        # 404 unless it is this account's: read from its first event only, so
        # an order a later event cannot be decoded of is still audited.
        aggregate_id = order_uuid(aid, order_id)
        if ledger.owner_of(aggregate_id) is None:
            raise OrderNotFoundError(aid, order_id)
        report = verifier.verify(aggregate_id=aggregate_id)
    else:
        report = verifier.verify(account=aid)
    return report.as_dict()
