"""The Riverty dialect's reads: the order, its captures, refunds and voids (SPEC §6)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from fastapi import APIRouter, HTTPException, Request, Response
from pydantic import BaseModel

from api.answer_cache import answer_cache
from api.auth import Caller, LedgerDep
from api.riverty import present as p
from api.riverty import schemas as r
from api.riverty.errors import RivertyRoute
from api.riverty.routes import ERRORS
from domain.bounds import reference_key
from domain.order import Order

router = APIRouter(
    prefix="/api/v3/orders/{orderNumber}",
    tags=["Riverty"],
    responses=ERRORS,  # type: ignore[arg-type]
    route_class=RivertyRoute,
)
Record = TypeVar("Record")


def _read(
    ledger: LedgerDep, account: str, number: str
) -> tuple[Order, list[Order.Event]]:
    order = ledger.get_order(account, number)
    return order, ledger.order_events(account, number, up_to=order.version)


def _one(
    records: Sequence[Record], number: str, key: Callable[[Record], str]
) -> list[Record]:
    """Riverty answers one record by number as a list of one; none is a 404."""
    found = [
        record
        for record in records
        if reference_key(key(record)) == reference_key(number)
    ]
    if not found:
        raise HTTPException(404, f"The order has no {number!r}.")
    return found


@router.get(
    "",
    summary="The order, its items, captures, refunds and voids",
    response_model=r.RivertyOrderOut,
)
def read_order(
    orderNumber: str,  # noqa: N803 - Riverty's path name
    caller: Caller,
    ledger: LedgerDep,
    request: Request,
) -> Response:
    """Built once per version of the order (``api/answer_cache.py``)."""
    account = caller.account
    order = ledger.get_order(account, orderNumber)
    return answer_cache(request).answer(
        ("riverty order", order.id, order.version),
        lambda: p.order_out(
            order, ledger.order_events(account, orderNumber, up_to=order.version)
        ),
    )


@dataclass(frozen=True)
class Records(Generic[Record]):
    """One kind of the order's records: how to list them, key and wrap them."""

    path: str
    listed: Callable[[Order, Sequence[Order.Event]], list[Record]]
    key: Callable[[Record], str]
    wrap: Callable[[list[Record]], BaseModel]


def _route(kind: Records[Any]) -> None:
    """``GET …/{path}`` lists the records, ``GET …/{path}/{number}`` reads one.

    ``number`` is Riverty's captureNumber, refundNumber or voidNumber.
    """

    def listed(orderNumber: str, caller: Caller, ledger: LedgerDep) -> BaseModel:  # noqa: N803
        return kind.wrap(kind.listed(*_read(ledger, caller.account, orderNumber)))

    def one(
        orderNumber: str,  # noqa: N803
        number: str,
        caller: Caller,
        ledger: LedgerDep,
    ) -> BaseModel:
        records = kind.listed(*_read(ledger, caller.account, orderNumber))
        return kind.wrap(_one(records, number, kind.key))

    model = kind.wrap([]).__class__
    router.get(
        f"/{kind.path}", summary=f"The order's {kind.path}", response_model=model
    )(listed)
    router.get(
        f"/{kind.path}/{{number}}",
        summary=f"One of the order's {kind.path}",
        response_model=model,
    )(one)


for _kind in (
    Records(
        "captures",
        p.captures_out,
        lambda c: c.captureNumber,
        lambda records: r.CapturesOut(captures=records),
    ),
    Records(
        "refunds",
        p.refunds_out,
        lambda f: f.refundNumber,
        lambda records: r.RefundsOut(refunds=records),
    ),
    Records(
        "voids",
        p.voids_out,
        lambda v: v.cancellationNo,
        lambda records: r.VoidsOut(cancellations=records),
    ),
):
    _route(_kind)
