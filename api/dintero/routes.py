"""The Dintero dialect (SPEC §5, seed 000)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Body, status
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.models import Example

from api.auth import LedgerDep, Reader, WriteContext
from api.dintero import translate as t
from api.dintero.errors import DinteroRoute
from api.dintero.schemas import (
    CancelIn,
    DinteroOrderOut,
    DraftOrderIn,
    DraftOrderOut,
    PaymentOperationIn,
)
from api.examples import (
    AUTHORIZE_CAPTURE_EXAMPLE,
    CREATE_DRAFT_EXAMPLE,
    UPDATE_DRAFT_EXAMPLE,
)
from api.native.problems import PROBLEM_RESPONSES
from domain.application import OrderLedger
from domain.idempotency import CommandResult

_DRAFT_EXAMPLES = {
    "create": Example(summary="Create order", value=CREATE_DRAFT_EXAMPLE),
    "update": Example(summary="Reverse an item, add one", value=UPDATE_DRAFT_EXAMPLE),
}
router = APIRouter(
    prefix="/v1/accounts/{aid}/shopping",
    tags=["Dintero"],
    responses=PROBLEM_RESPONSES,
    route_class=DinteroRoute,
)


@router.post(
    "/draft_orders",
    status_code=status.HTTP_201_CREATED,
    summary="Create a draft order (new order, or items for an existing one)",
)
def create_draft(
    aid: str,
    ledger: LedgerDep,
    context: WriteContext,
    body: Annotated[DraftOrderIn, Body(openapi_examples=_DRAFT_EXAMPLES)],
) -> DraftOrderOut:
    items = [t.item_in(item) for item in body.order.items]
    result = ledger.create_draft(
        aid, body.order.currency, items, body.options.order_id, context
    )
    return t.draft_out(ledger.get_draft(aid, result.ref))


@router.get("/draft_orders/{draft_id}", summary="Read a draft order")
def read_draft(aid: str, draft_id: str, ledger: LedgerDep, _: Reader) -> DraftOrderOut:
    return t.draft_out(ledger.get_draft(aid, draft_id))


@router.put(
    "/draft_orders/{draft_id}/complete",
    summary="Complete a draft: a new order, or its items added to options.order_id",
)
def complete_draft(
    aid: str, draft_id: str, ledger: LedgerDep, context: WriteContext
) -> DinteroOrderOut:
    return _order_at(ledger, aid, ledger.complete_draft(aid, draft_id, context))


def _order_at(ledger: LedgerDep, aid: str, result: CommandResult) -> DinteroOrderOut:
    """The order as this command left it: a retry gets the very same answer."""
    return t.order_out(ledger.result_order(aid, result))


_EXAMPLES = {"seed": Example(summary="Seed 000", value=AUTHORIZE_CAPTURE_EXAMPLE)}


MoneyCommand = Callable[..., CommandResult]


def _payment_operation(command: MoneyCommand) -> Callable[..., DinteroOrderOut]:
    """The endpoint of one per-line payment operation (seed 000's body)."""

    def operation(
        aid: str,
        order_id: str,
        ledger: LedgerDep,
        context: WriteContext,
        body: Annotated[PaymentOperationIn, Body(openapi_examples=_EXAMPLES)],
    ) -> DinteroOrderOut:
        result = command(
            ledger,
            aid,
            order_id,
            body.payment_details.payment_id,
            t.allocations_in(body.items),
            success=body.success,
            context=context,
        )
        return _order_at(ledger, aid, result)

    return operation


for _command, _path, _summary in (
    (OrderLedger.authorize, "authorizations", "Authorize order lines"),
    (OrderLedger.capture, "captures", "Capture authorized order lines"),
    (OrderLedger.refund, "refund", "Refund captured order lines"),
):
    router.post(
        f"/orders/{{order_id}}/{_path}", summary=_summary, name=_command.__name__
    )(_payment_operation(_command))


@router.post(
    "/orders/{order_id}/cancel",
    summary="Release outstanding authorization (all of it when items is empty)",
)
def cancel(
    aid: str, order_id: str, body: CancelIn, ledger: LedgerDep, context: WriteContext
) -> DinteroOrderOut:
    payment = body.payment_details.payment_id if body.payment_details else None
    if payment is None and body.items:
        raise RequestValidationError(
            [
                {
                    "loc": ("body", "payment_details", "payment_id"),
                    "msg": "required when items are named",
                    "type": "missing",
                }
            ]
        )
    if payment is None:
        result = ledger.cancel(aid, order_id, context)
    else:
        result = ledger.release(
            aid,
            order_id,
            payment,
            t.allocations_in(body.items),
            success=body.success,
            reason="cancel",
            context=context,
        )
    return _order_at(ledger, aid, result)


@router.get("/orders/{order_id}", summary="Read the order in Dintero's shape")
def read_order(
    aid: str, order_id: str, ledger: LedgerDep, _: Reader
) -> DinteroOrderOut:
    return t.order_out(ledger.get_order(aid, order_id))
