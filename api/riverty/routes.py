"""The Riverty dialect's writes (SPEC §6): authorize, update, capture, refund, void.

Amounts are decimal major units (numbers or numeric strings), order numbers
are not case-sensitive and enum values come in any case. Each answer carries
the order's amounts with Riverty's meanings (``present.amounts``).
"""

from __future__ import annotations

from typing import Annotated
from uuid import uuid4

from fastapi import APIRouter, Depends, Request

from api.auth import Caller, CallerContext, LedgerDep, RiskDep
from api.riverty import present as p
from api.riverty import schemas as r
from api.riverty import translate as t
from api.riverty.bodies import documented, optional_body
from api.riverty.errors import RivertyRoute
from api.settings import Settings
from domain.application import OrderLedger
from domain.context import NO_FACTS, OperationFacts
from domain.idempotency import CommandResult
from domain.order import Order
from domain.values import OrderDetails, RiskOutcome, Shipment

ERRORS = {
    status: {"model": list[r.ResponseMessage], "description": description}
    for status, description in (
        (400, "Model validation failed, or a business rule refused the request."),
        (401, "Authorization has been denied for this request."),
        (403, "The key may only read."),
        (404, "No such order for this key's account."),
        (409, "Idempotency-Key reused with another body."),
        (413, "Request body too large."),
        (415, "The body is not JSON."),
        (429, "Too many requests."),
        (500, "Internal server error."),
        (503, "The ledger cannot answer now; retry."),
    )
}
router = APIRouter(
    prefix="/api/v3",
    tags=["Riverty"],
    responses=ERRORS,  # type: ignore[arg-type]
    route_class=RivertyRoute,
)


def command_events(
    ledger: OrderLedger, account: str, result: CommandResult
) -> list[Order.Event]:
    """The events one request recorded (a refund split over captures: several)."""
    return ledger.recorded_events(account, result)


async def _refund_body(request: Request) -> r.RefundIn:
    return await optional_body(request, r.RefundIn)


async def _void_body(request: Request) -> r.VoidIn:
    return await optional_body(request, r.VoidIn)


def _references(body: r.TransactionReferences) -> OperationFacts:
    """The shop's transaction references, kept on the operation's event."""
    kept = body.kept()
    return OperationFacts(metadata=kept) if kept else NO_FACTS


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


@router.post(
    "/checkout/payment-methods",
    summary="The payment methods offered for a basket (asked before the checkout)",
)
def payment_methods(
    body: r.PaymentMethodsIn, _: Caller, request: Request
) -> r.PaymentMethodsOut:
    currency = body.order.currency or _settings(request).default_currency
    t.amount_minor(body.order.totalGrossAmount, currency, "order.totalGrossAmount")
    offered = _settings(request).payment_methods.split(",")
    return r.PaymentMethodsOut(
        checkoutId=str(uuid4()),
        outcome="Accepted",
        paymentMethods=[p.payment_method(kind) for kind in offered],
    )


@router.post("/checkout/authorize", summary="Create and authorize an order")
def authorize(
    body: r.AuthorizeIn,
    caller: Caller,
    ledger: LedgerDep,
    risk: RiskDep,
    context: CallerContext,
    request: Request,
) -> r.AuthorizeOut:
    account, order = caller.account, body.order
    currency = order.currency or _settings(request).default_currency
    items = t.items_in(order.items, currency, "order.items", first_line_id=1)
    declared = t.declared_totals(order, currency, "order")
    decision = risk.assess(
        account, order.number, currency, declared[0], "authorization"
    )
    if decision.outcome != RiskOutcome.ACCEPTED:  # the order is not made
        return r.AuthorizeOut(
            outcome=decision.outcome,
            checkoutId=t.checkout_id(account, order.number),
            riskCheckMessages=p.risk_messages(decision.outcome, decision.messages),
        )
    payment = t.reservation_id(account, order.number)
    details = OrderDetails(metadata={"payment_type": body.payment.type})
    result = ledger.authorize_order(
        account, order.number, currency, items, declared, payment, context, details
    )
    authorized = ledger.result_order(account, result)
    return r.AuthorizeOut(
        outcome="Accepted",
        reservationId=payment,
        checkoutId=t.checkout_id(account, order.number),
        expirationDate=t.expiration_date(authorized, payment),
        riskCheckMessages=p.risk_messages(decision.outcome, decision.messages),
    )


@router.post(
    "/orders/{orderNumber}/updateOrder",
    summary="Replace the items not captured yet (risk check on an increase)",
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
    [event] = command_events(ledger, account, result)
    assert isinstance(event, Order.OrderReplaced | Order.UpdateRejected)  # noqa: S101
    outcome = event.risk_outcome or str(RiskOutcome.ACCEPTED)
    messages = p.risk_messages(outcome, event.risk_messages)
    updated = ledger.result_order(account, result)
    payment = t.reservation_id(account, orderNumber)
    return r.UpdateOrderOut(
        outcome=outcome,
        reservationId=payment,
        checkoutId=t.checkout_id(account, orderNumber),
        expirationDate=t.expiration_date(updated, payment),
        riskCheckMessages=messages,
    )


@router.post(
    "/orders/{orderNumber}/captures",
    summary="Capture items, or all that remains; invoiceNumber is the captureNumber",
)
def capture(
    orderNumber: str,  # noqa: N803
    body: r.CaptureIn,
    caller: Caller,
    ledger: LedgerDep,
    context: CallerContext,
) -> r.CaptureOut:
    account, details = caller.account, body.orderDetails
    payment = t.reservation_id(account, orderNumber)
    result = ledger.capture(
        account,
        orderNumber,
        payment,
        t.captured_lines(details, body.invoiceNumber, payment),
        reference=body.invoiceNumber,
        invoice_number=body.invoiceNumber,
        numbered=True,
        declared_total=t.declared_gross(details),
        context=context,
        facts=_references(body),
    )
    [event] = command_events(ledger, account, result)
    assert isinstance(event, Order.Captured)  # noqa: S101
    after = ledger.result_order(account, result)
    totals = p.amounts(after)
    return r.CaptureOut(
        capturedAmount=t.major(after, sum(a.amount for a in event.items)),
        authorizedAmount=totals["totalAuthorizedAmount"],
        remainingAuthorizedAmount=totals["remainingAuthorizedAmount"],
        captureNumber=event.reference or "",
        totalCapturedAmount=totals["totalCapturedAmount"],
        totalRefundedAmount=totals["totalRefundedAmount"],
    )


@router.post(
    "/orders/{orderNumber}/refunds",
    summary="Refund lines, a free amount, a capture, or everything refundable",
    openapi_extra=documented(r.RefundIn),
)
def refund(
    orderNumber: str,  # noqa: N803
    body: Annotated[r.RefundIn, Depends(_refund_body)],
    caller: Caller,
    ledger: LedgerDep,
    context: CallerContext,
) -> r.RefundOut:
    account = caller.account
    field, lines = body.lines
    payment = t.reservation_id(account, orderNumber)
    asked = t.RefundLines(lines, field, body.captureNumber, payment)
    result = ledger.refund(
        account,
        orderNumber,
        payment,
        asked.allocations,
        reference=body.creditNoteNumber,
        capture_reference=body.captureNumber,
        numbered=True,
        requested=asked.requested,
        context=context,
        facts=_references(body),
    )
    made = command_events(ledger, account, result)
    after = ledger.result_order(account, result)
    return r.RefundOut(
        refundNumbers=[
            e.reference or "" for e in made if isinstance(e, Order.Refunded)
        ],
        **p.amounts(after),
    )


@router.post(
    "/orders/{orderNumber}/captures/{captureNumber}/shipping-details",
    summary="Record a capture's carrier and tracking (moves no money)",
)
def shipping_details(
    orderNumber: str,  # noqa: N803
    captureNumber: str,  # noqa: N803
    body: r.ShippingDetailIn,
    caller: Caller,
    ledger: LedgerDep,
    context: CallerContext,
) -> r.ShippingNumberOut:
    account = caller.account
    shipment = Shipment(
        kind=body.type.lower(),
        carrier=body.shippingCompany,
        tracking_id=body.trackingId,
        tracking_url=body.trackingUrl,
    )
    result = ledger.record_shipping(
        account, orderNumber, captureNumber, shipment, context
    )
    [event] = command_events(ledger, account, result)
    assert isinstance(event, Order.ShippingRecorded)  # noqa: S101
    events = ledger.order_events(account, orderNumber)
    return r.ShippingNumberOut(
        shippingNumber=p.shipping_number(events, event),
    )


@router.post(
    "/orders/{orderNumber}/voids",
    summary="Void items, or everything not captured (empty body)",
    openapi_extra=documented(r.VoidIn),
)
def void(
    orderNumber: str,  # noqa: N803
    body: Annotated[r.VoidIn, Depends(_void_body)],
    caller: Caller,
    ledger: LedgerDep,
    context: CallerContext,
) -> r.VoidOut:
    account = caller.account
    result = ledger.release(
        account,
        orderNumber,
        t.reservation_id(account, orderNumber),
        t.void_lines(body),
        reason="void",
        context=context,
    )
    [event] = command_events(ledger, account, result)
    assert isinstance(event, Order.AuthorizationReleased)  # noqa: S101
    after = ledger.result_order(account, result)
    return r.VoidOut(
        voidedAmount=t.major(after, sum(a.amount for a in event.items)),
        **p.amounts(after),
    )
