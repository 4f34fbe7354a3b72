"""The Dintero dialect's draft orders (SPEC §5, seed 000, Dintero's reference).

``POST …/draft_orders`` stages items (it may start empty), ``…/items`` adds,
replaces or removes one, ``PUT …/complete`` turns the draft into an order, or
applies it to ``options.order_id``'s order (added, or with ``options.replace:
"order"`` replacing its items) and answers ``{"orders": [order]}``.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Path, Query, status
from fastapi.openapi.models import Example

from api.auth import LedgerDep, Reader, WriteContext
from api.dintero import schemas as s
from api.dintero import translate as t
from api.dintero.errors import DINTERO_ERROR_RESPONSES, DinteroRoute
from api.examples import CREATE_DRAFT_EXAMPLE, UPDATE_DRAFT_EXAMPLE
from domain.application import OrderLedger
from domain.bounds import MAX_INT4
from domain.idempotency import CommandResult
from projections.drafts import draft_refs

_DRAFT_EXAMPLES = {
    "create": Example(summary="Create order", value=CREATE_DRAFT_EXAMPLE),
    "update": Example(summary="Reverse an item, add one", value=UPDATE_DRAFT_EXAMPLE),
}
LineId = Annotated[int, Path(gt=0, le=MAX_INT4)]
router = APIRouter(
    prefix="/v1/accounts/{aid}/shopping",
    tags=["Dintero"],
    responses=DINTERO_ERROR_RESPONSES,
    route_class=DinteroRoute,
)


def completed_out(
    ledger: OrderLedger, aid: str, result: CommandResult
) -> s.CompletedOut:
    """The order as this command left it: a retry gets the very same answer."""
    order = ledger.result_order(aid, result)
    events = ledger.order_events(aid, result.ref)
    return s.CompletedOut(orders=[t.order_out(order, events)])


@router.post(
    "/draft_orders",
    status_code=status.HTTP_201_CREATED,
    summary="Create a draft order (new order, or items for an existing one)",
)
def create_draft(
    aid: str,
    ledger: LedgerDep,
    context: WriteContext,
    body: Annotated[s.DraftOrderIn, Body(openapi_examples=_DRAFT_EXAMPLES)],
) -> s.DraftOrderOut:
    result = ledger.create_draft(
        aid,
        body.order.currency,
        [t.item_in(item) for item in body.order.items],
        t.target_in(body),
        context,
        t.details_in(body.order),
    )
    return t.draft_out(ledger.get_draft(aid, result.ref))


@router.get("/draft_orders", summary="The account's draft orders, oldest first")
def list_drafts(
    aid: str,
    ledger: LedgerDep,
    _: Reader,
    limit: Annotated[int, Query(ge=1, le=100)] = 10,
    starting_after: Annotated[
        str | None, Query(min_length=1, max_length=64, description="a draft id")
    ] = None,
) -> s.DraftOrderListOut:
    refs = draft_refs(ledger.recorder, aid, limit + 1, starting_after)  # type: ignore[arg-type]
    drafts = [t.draft_out(ledger.get_draft(aid, ref)) for ref in refs[:limit]]
    more = len(refs) > limit
    return s.DraftOrderListOut(
        draft_orders=drafts, next_page_token=drafts[-1].id if more else None
    )


@router.get("/draft_orders/{draft_id}", summary="Read a draft order")
def read_draft(
    aid: str, draft_id: str, ledger: LedgerDep, _: Reader
) -> s.DraftOrderOut:
    return t.draft_out(ledger.get_draft(aid, draft_id))


@router.post(
    "/draft_orders/{draft_id}/items",
    status_code=status.HTTP_201_CREATED,
    summary="Add an item to a draft order",
)
def add_draft_item(
    aid: str,
    draft_id: str,
    item: s.DraftItemIn,
    ledger: LedgerDep,
    context: WriteContext,
) -> s.DraftOrderOut:
    ledger.add_draft_item(aid, draft_id, t.item_in(item), context)
    return t.draft_out(ledger.get_draft(aid, draft_id))


@router.put(
    "/draft_orders/{draft_id}/items/{line_id}",
    summary="Replace an item of a draft order",
)
def update_draft_item(
    aid: str,
    draft_id: str,
    line_id: LineId,
    item: s.DraftItemIn,
    ledger: LedgerDep,
    context: WriteContext,
) -> s.DraftOrderOut:
    # The path names the line: a body naming another is that line, changed.
    changed = t.item_in(item.model_copy(update={"line_id": line_id}))
    ledger.update_draft_item(aid, draft_id, changed, context)
    return t.draft_out(ledger.get_draft(aid, draft_id))


@router.delete(
    "/draft_orders/{draft_id}/items/{line_id}",
    summary="Remove an item from a draft order",
)
def remove_draft_item(
    aid: str, draft_id: str, line_id: LineId, ledger: LedgerDep, context: WriteContext
) -> s.DraftOrderOut:
    ledger.remove_draft_item(aid, draft_id, line_id, context)
    return t.draft_out(ledger.get_draft(aid, draft_id))


@router.put(
    "/draft_orders/{draft_id}/complete",
    summary="Complete a draft: a new order, or its items applied to options.order_id",
)
def complete_draft(
    aid: str, draft_id: str, ledger: LedgerDep, context: WriteContext
) -> s.CompletedOut:
    return completed_out(ledger, aid, ledger.complete_draft(aid, draft_id, context))
