"""The Dintero dialect's orders: payment operations, reads, lists and events.

Each operation (``authorizations``, ``captures``, ``refunds`` — the seed's
``refund`` too — and ``cancel``) answers the operation it created, with a
stable ``id``; ``GET …/orders/{order_id}/{kind}[/{id}]`` lists and reads them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Final

from fastapi import APIRouter, Body, HTTPException, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.models import Example

from api.answer_cache import answer_cache
from api.auth import LedgerDep, Reader, WriteContext
from api.dintero import schemas as s
from api.dintero import translate as t
from api.dintero.errors import DINTERO_ERROR_RESPONSES, DinteroRoute
from api.examples import AUTHORIZE_CAPTURE_EXAMPLE
from api.fields import Moment
from api.reads import fresh_projections
from domain.application import OrderLedger
from domain.idempotency import CommandResult
from domain.operations import (
    AUTHORIZATION,
    CANCELLATION,
    CAPTURE,
    REFUND,
    as_operation,
)
from domain.order import Order
from domain.order_commands import PaymentOf
from projections import queries

router = APIRouter(
    prefix="/v1/accounts/{aid}/shopping/orders",
    tags=["Dintero"],
    responses=DINTERO_ERROR_RESPONSES,
    route_class=DinteroRoute,
)
_EXAMPLES = {"seed": Example(summary="Seed 000", value=AUTHORIZE_CAPTURE_EXAMPLE)}
# The path of each kind's list, and the operation kind it lists.
KINDS: Final = {
    "authorizations": AUTHORIZATION,
    "captures": CAPTURE,
    "refunds": REFUND,
    "cancellations": CANCELLATION,
}


def created_operation(
    ledger: OrderLedger, aid: str, result: CommandResult
) -> s.OperationOut:
    """The operation the command recorded (the same on a replay)."""
    operation = as_operation(ledger.recorded_events(aid, result)[-1])
    assert operation is not None  # noqa: S101 - a money command's last event is one
    return t.operation_out(result.ref, operation)


MoneyCommand = Callable[..., CommandResult]


def _payment_of(body: s.PaymentOperationIn, command: MoneyCommand) -> PaymentOf:
    """The named payment; naming none, the order's one payment (not to authorize).

    Clients that pair Dintero's orders with its Checkout capture and refund
    without ``payment_details``: the order's only payment is meant.
    """
    if body.payment_details is not None:
        return body.payment_details.payment_id
    if command is OrderLedger.authorize:
        raise RequestValidationError(
            [
                {
                    "loc": ("body", "payment_details"),
                    "msg": "an authorization names its payment",
                    "type": "missing",
                }
            ]
        )
    return Order.sole_payment


def _payment_operation(command: MoneyCommand) -> Callable[..., s.OperationOut]:
    """The endpoint of one per-line payment operation (seed 000's body)."""

    def operation(
        aid: str,
        order_id: str,
        ledger: LedgerDep,
        context: WriteContext,
        body: Annotated[s.PaymentOperationIn, Body(openapi_examples=_EXAMPLES)],
    ) -> s.OperationOut:
        result = command(
            ledger,
            aid,
            order_id,
            _payment_of(body, command),
            t.allocations_in(body.items),
            success=body.success,
            context=context,
            facts=t.facts_in(body),
        )
        return created_operation(ledger, aid, result)

    return operation


for _command, _paths, _summary in (
    (OrderLedger.authorize, ("authorizations",), "Authorize order lines"),
    (OrderLedger.capture, ("captures",), "Capture authorized order lines"),
    (OrderLedger.refund, ("refunds", "refund"), "Refund captured order lines"),
):
    for _path in _paths:
        router.post(
            f"/{{order_id}}/{_path}",
            summary=_summary if _path.endswith("s") else f"{_summary} (seed 000)",
            name=f"{_command.__name__}_{_path}",
        )(_payment_operation(_command))


@router.post(
    "/{order_id}/cancellations",
    summary="Release outstanding authorization (all of it when items is empty)",
)
@router.post(
    "/{order_id}/cancel",
    summary="Release outstanding authorization (the earlier path)",
)
def cancel(
    aid: str, order_id: str, body: s.CancelIn, ledger: LedgerDep, context: WriteContext
) -> s.OperationOut:
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
    facts = t.facts_in(body)
    if payment is None:
        result = ledger.cancel(aid, order_id, context, facts)
    else:
        result = ledger.release(
            aid,
            order_id,
            payment,
            t.allocations_in(body.items),
            success=body.success,
            reason="cancel",
            context=context,
            facts=facts,
        )
    return created_operation(ledger, aid, result)


def _order(
    ledger: OrderLedger, aid: str, order_id: str, *, with_events: bool = False
) -> s.DinteroOrderOut:
    return t.order_out(
        ledger.get_order(aid, order_id),
        ledger.order_events(aid, order_id),
        with_events=with_events,
    )


@router.get(
    "/{order_id}",
    summary="Read the order in Dintero's shape",
    response_model=s.DinteroOrderOut,
)
def read_order(
    aid: str,
    order_id: str,
    ledger: LedgerDep,
    _: Reader,
    request: Request,
    *,
    include_events: Annotated[
        bool, Query(description="add the order's events (``events``)")
    ] = False,
) -> Response:
    """Built once per version of the order (``api/answer_cache.py``)."""
    order = ledger.get_order(aid, order_id)
    return answer_cache(request).answer(
        ("dintero order", order.id, order.version, include_events),
        lambda: t.order_out(
            order, ledger.order_events(aid, order_id), with_events=include_events
        ),
        exclude_none=True,
    )


@router.get(
    "/{order_id}/events",
    summary="The order's events, oldest first",
    response_model=s.OrderEventsOut,
)
def read_events(
    aid: str, order_id: str, ledger: LedgerDep, _: Reader, request: Request
) -> Response:
    """Built once per version of the order (``api/answer_cache.py``)."""
    order = ledger.get_order(aid, order_id)
    return answer_cache(request).answer(
        ("dintero events", order.id, order.version),
        lambda: t.events_out(ledger.order_events(aid, order_id, up_to=order.version)),
        exclude_none=True,
    )


def _operations(path: str, kind: str) -> Callable[..., Response]:
    envelope = s.OPERATION_LISTS[path]

    def listed(
        aid: str, order_id: str, ledger: LedgerDep, _: Reader, request: Request
    ) -> Response:
        order = ledger.get_order(aid, order_id)

        def built() -> s.OperationListOut:
            events = ledger.order_events(aid, order_id, up_to=order.version)
            operations = t.operations_out(order_id, events, kind)
            return envelope.model_validate({path: operations})

        return answer_cache(request).answer(
            (f"dintero {path}", order.id, order.version), built, exclude_none=True
        )

    return listed


def _operation(kind: str) -> Callable[..., s.OperationOut]:
    def one(
        aid: str, order_id: str, operation_id: str, ledger: LedgerDep, _: Reader
    ) -> s.OperationOut:
        events = ledger.order_events(aid, order_id)
        for operation in t.operations_out(order_id, events, kind):
            if operation.id == operation_id:
                return operation
        raise HTTPException(404, f"order {order_id} has no such {kind}")

    return one


for _path, _kind in KINDS.items():
    router.get(
        f"/{{order_id}}/{_path}",
        summary=f"The order's {_path}",
        response_model=s.OPERATION_LISTS[_path],
    )(_operations(_path, _kind))
    router.get(
        f"/{{order_id}}/{_path}/{{operation_id}}", summary=f"One of the order's {_path}"
    )(_operation(_kind))


@router.get("", summary="The account's orders, oldest first, in Dintero's shape")
def list_orders(
    aid: str,
    request: Request,
    ledger: LedgerDep,
    _: Reader,
    limit: Annotated[int, Query(ge=1, le=100)] = 10,
    starting_after: Annotated[
        str | None,
        Query(
            max_length=2048,
            description="the last order's id of the page before (or its "
            "next_page_token)",
        ),
    ] = None,
    status: Annotated[
        t.OrderStatusFilter | None,
        Query(description="Dintero's order status, or the ledger's"),
    ] = None,
    payment_status: Annotated[t.PaymentStatusFilter | None, Query()] = None,
    merchant_reference: Annotated[
        str | None, Query(min_length=1, max_length=255, pattern=r"^[^\x00]*$")
    ] = None,
    currency: Annotated[str | None, Query(min_length=3, max_length=3)] = None,
    created_from: Annotated[Moment | None, Query(alias="created_at.gte")] = None,
    created_to: Annotated[Moment | None, Query(alias="created_at.lte")] = None,
) -> s.OrderListOut:
    projections = fresh_projections(request, aid)
    filters = t.order_filters(
        status, payment_status, merchant_reference, currency, (created_from, created_to)
    )
    try:
        with projections.reading() as curs:
            after = starting_after
            if starting_after is not None:  # an order's id, or our token
                by_id = queries.cursor_after_order(
                    curs, projections.schema, aid, starting_after
                )
                after = by_id or starting_after
            rows, token = queries.list_orders(
                curs, projections.schema, aid, filters, limit, after
            )
    except ValueError as error:
        raise HTTPException(
            400, "starting_after is neither an order id nor a next_page_token"
        ) from error
    orders = [_order(ledger, aid, str(row["order_id"])) for row in rows]
    return s.OrderListOut(orders=orders, next_page_token=token)
