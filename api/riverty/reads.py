"""The Riverty dialect's reads: the order, its captures, refunds and voids (SPEC §6)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

from fastapi import APIRouter, HTTPException

from api.auth import Caller, LedgerDep
from api.riverty import present as p
from api.riverty import schemas as r
from api.riverty.errors import RivertyRoute
from api.riverty.routes import ERRORS
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
    return order, ledger.order_events(account, number)


def _one(
    records: Sequence[Record], number: str, key: Callable[[Record], str]
) -> list[Record]:
    """Riverty answers one record by number as a list of one; none is a 404."""
    found = [
        record for record in records if key(record).casefold() == number.casefold()
    ]
    if not found:
        raise HTTPException(404, f"The order has no {number!r}.")
    return found


@router.get("", summary="The order, its items, captures, refunds and voids")
def read_order(
    orderNumber: str,  # noqa: N803 - Riverty's path name
    caller: Caller,
    ledger: LedgerDep,
) -> r.RivertyOrderOut:
    return p.order_out(*_read(ledger, caller.account, orderNumber))


@router.get("/captures", summary="The order's captures")
def list_captures(orderNumber: str, caller: Caller, ledger: LedgerDep) -> r.CapturesOut:  # noqa: N803
    return r.CapturesOut(
        captures=p.captures_out(*_read(ledger, caller.account, orderNumber))
    )


@router.get("/captures/{captureNumber}", summary="One capture of the order")
def read_capture(
    orderNumber: str,  # noqa: N803
    captureNumber: str,  # noqa: N803
    caller: Caller,
    ledger: LedgerDep,
) -> r.CapturesOut:
    captures = p.captures_out(*_read(ledger, caller.account, orderNumber))
    return r.CapturesOut(
        captures=_one(captures, captureNumber, lambda c: c.captureNumber)
    )


@router.get("/refunds", summary="The order's refunds")
def list_refunds(orderNumber: str, caller: Caller, ledger: LedgerDep) -> r.RefundsOut:  # noqa: N803
    return r.RefundsOut(
        refunds=p.refunds_out(*_read(ledger, caller.account, orderNumber))
    )


@router.get("/refunds/{refundNumber}", summary="One refund of the order")
def read_refund(
    orderNumber: str,  # noqa: N803
    refundNumber: str,  # noqa: N803
    caller: Caller,
    ledger: LedgerDep,
) -> r.RefundsOut:
    refunds = p.refunds_out(*_read(ledger, caller.account, orderNumber))
    return r.RefundsOut(refunds=_one(refunds, refundNumber, lambda f: f.refundNumber))


@router.get("/voids", summary="The order's voids")
def list_voids(orderNumber: str, caller: Caller, ledger: LedgerDep) -> r.VoidsOut:  # noqa: N803
    return r.VoidsOut(
        cancellations=p.voids_out(*_read(ledger, caller.account, orderNumber))
    )


@router.get("/voids/{voidNumber}", summary="One void of the order")
def read_void(
    orderNumber: str,  # noqa: N803
    voidNumber: str,  # noqa: N803
    caller: Caller,
    ledger: LedgerDep,
) -> r.VoidsOut:
    voids = p.voids_out(*_read(ledger, caller.account, orderNumber))
    return r.VoidsOut(cancellations=_one(voids, voidNumber, lambda v: v.cancellationNo))
