"""The Riverty dialect (SPEC §6, seeds 002 and 003): amounts in decimal major units."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from fastapi import APIRouter

from api.auth import Caller, CallerContext, LedgerDep, RiskDep
from api.riverty import schemas as r
from api.riverty import translate as t
from api.riverty.errors import RivertyRoute
from domain.idempotency import CommandResult
from domain.money import to_major
from domain.order import Order
from domain.values import RiskOutcome

ERRORS = {
    status: {"model": list[r.ResponseMessage], "description": description}
    for status, description in (
        (400, "Model validation failed, or a business rule refused the request."),
        (401, "Authorization has been denied for this request."),
        (403, "The key may only read."),
        (404, "No such order for this key's account."),
        (409, "Idempotency-Key reused with another body."),
    )
}
router = APIRouter(
    prefix="/api/v3",
    tags=["Riverty"],
    responses=ERRORS,  # type: ignore[arg-type]
    route_class=RivertyRoute,
)


@dataclass(frozen=True)
class _Amounts:
    currency: str
    captured: Decimal
    authorized: Decimal  # authorized and not released
    remaining: Decimal  # still capturable


def _amounts_after(ledger: LedgerDep, account: str, result: CommandResult) -> _Amounts:
    """The order's totals in major units as this command left them."""
    after = ledger.result_order(account, result)
    totals = after.totals()
    return _Amounts(
        after.currency,
        t.major(after, totals.captured),
        t.major(after, totals.authorized - totals.released),
        t.major(after, totals.outstanding_authorized),
    )


def _event(ledger: LedgerDep, account: str, result: CommandResult) -> Order.Event:
    """The event a command ended with: a retry reads the very same one."""
    return ledger.event_at(account, result.ref, result.version)


@router.post("/checkout/authorize", summary="Create and authorize an order")
def authorize(
    body: r.AuthorizeIn, caller: Caller, ledger: LedgerDep, context: CallerContext
) -> r.AuthorizeOut:
    account, order = caller.account, body.order
    items = t.items_in(order.items, order.currency, "order.items", first_line_id=1)
    declared = t.declared_totals(order, order.currency, "order")
    payment = t.reservation_id(account, order.number)
    result = ledger.authorize_order(
        account, order.number, order.currency, items, declared, payment, context
    )
    authorized = ledger.result_order(account, result)
    return r.AuthorizeOut(
        outcome="Accepted",
        reservationId=payment,
        checkoutId=t.checkout_id(account, order.number),
        expirationDate=t.expiration_date(authorized, payment),
    )


@router.post(
    "/orders/{orderNumber}/updateOrder",
    summary="Replace the items of an authorized, not captured order",
)
def update_order(
    orderNumber: str,  # noqa: N803 - Riverty's path name
    body: r.UpdateOrderIn,
    caller: Caller,
    ledger: LedgerDep,
    risk: RiskDep,
    context: CallerContext,
) -> r.UpdateOrderOut:
    account, summary = caller.account, body.updateOrderSummary
    result = ledger.replace_order(
        account, orderNumber, t.replacement(summary), risk, context
    )
    event = _event(ledger, account, result)
    assert isinstance(event, Order.OrderReplaced | Order.UpdateRejected)  # noqa: S101
    outcome = event.risk_outcome or str(RiskOutcome.ACCEPTED)
    kind = "NotificationMessage" if outcome == RiskOutcome.ACCEPTED else "BusinessError"
    messages = [
        r.ResponseMessage(type=kind, code="RiskCheck", message=text)
        for text in event.risk_messages
    ]
    updated = ledger.result_order(account, result)
    payment = t.reservation_id(account, orderNumber)
    return r.UpdateOrderOut(
        outcome=outcome,
        reservationId=payment,
        checkoutId=t.checkout_id(account, orderNumber),
        expirationDate=t.expiration_date(updated, payment),
        riskCheckMessages=messages or None,
    )


@router.post(
    "/orders/{orderNumber}/captures", summary="Capture items, or all that remains"
)
def capture(
    orderNumber: str,  # noqa: N803
    body: r.CaptureIn,
    caller: Caller,
    ledger: LedgerDep,
    context: CallerContext,
) -> r.CaptureOut:
    account, details = caller.account, body.orderDetails
    result = ledger.capture(
        account,
        orderNumber,
        t.reservation_id(account, orderNumber),
        t.captured_lines(details),
        invoice_number=body.invoiceNumber,
        context=context,
    )
    event = _event(ledger, account, result)
    assert isinstance(event, Order.Captured)  # noqa: S101
    after = _amounts_after(ledger, account, result)
    return r.CaptureOut(
        capturedAmount=to_major(sum(a.amount for a in event.items), after.currency),
        authorizedAmount=after.authorized,
        remainingAuthorizedAmount=after.remaining,
        captureNumber=event.reference or "",
    )


@router.post("/orders/{orderNumber}/refunds", summary="Refund (part of) a capture")
def refund(
    orderNumber: str,  # noqa: N803
    body: r.RefundIn,
    caller: Caller,
    ledger: LedgerDep,
    context: CallerContext,
) -> r.RefundOut:
    account = caller.account
    field, lines = body.lines
    result = ledger.refund(
        account,
        orderNumber,
        t.reservation_id(account, orderNumber),
        t.lines_named(lines, field),
        capture_reference=body.captureNumber,
        context=context,
    )
    event = _event(ledger, account, result)
    assert isinstance(event, Order.Refunded)  # noqa: S101
    after = _amounts_after(ledger, account, result)
    return r.RefundOut(
        totalCapturedAmount=after.captured,
        totalAuthorizedAmount=after.authorized,
        refundNumbers=[event.reference or ""],
    )


@router.post("/orders/{orderNumber}/voids", summary="Void what is not captured")
def void(
    orderNumber: str,  # noqa: N803
    caller: Caller,
    ledger: LedgerDep,
    context: CallerContext,
    body: r.VoidIn | None = None,
) -> r.VoidOut:
    account = caller.account
    details = body.cancellationDetails if body else None
    result = ledger.release(
        account,
        orderNumber,
        t.reservation_id(account, orderNumber),
        t.lines_named(details.items if details else [], "cancellationDetails.items"),
        reason="void",
        context=context,
    )
    after = _amounts_after(ledger, account, result)
    return r.VoidOut(
        totalCapturedAmount=after.captured, totalAuthorizedAmount=after.authorized
    )


@router.get("/orders/{orderNumber}", summary="The order, its captures and amounts")
def read_order(
    orderNumber: str,  # noqa: N803
    caller: Caller,
    ledger: LedgerDep,
) -> r.RivertyOrderOut:
    return t.order_out(ledger.get_order(caller.account, orderNumber))
