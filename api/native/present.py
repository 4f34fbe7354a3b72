"""Orders rendered as the native API's response models; balances as fields."""

from __future__ import annotations

from typing import Any

from api.native import schemas as native
from domain.chain import payload
from domain.order import Order
from domain.values import Balance, Line


def balance_fields(balance: Balance, refundable: int) -> dict[str, int]:
    return {
        "authorized": balance.authorized,
        "captured": balance.captured,
        "refunded": balance.refunded,
        "released": balance.released,
        "outstanding_authorized": balance.outstanding_authorized,
        "refundable": refundable,
    }


def _linepayment_fields(order: Order, line: Line) -> list[dict[str, Any]]:
    return [
        {
            "payment_id": pid,
            **balance_fields(line.balance(pid), order.refundable(line.line_id, pid)),
        }
        for pid in sorted(line.payments)
    ]


def payment_fields(order: Order) -> list[dict[str, Any]]:
    return [
        {
            "payment_id": pid,
            "expires_at": order.expiry[pid].isoformat()
            if pid in order.expiry
            else None,
            **balance_fields(order.totals(pid), order.total_refundable(pid)),
        }
        for pid in order.payment_ids
    ]


def order_out(order: Order) -> native.OrderOut:
    lines = [
        native.LineOut(
            line_id=line.line_id,
            item_id=line.item.item_id,
            description=line.item.description,
            quantity=str(line.item.quantity),
            gross_amount=line.item.gross_amount,
            net_amount=line.item.net_amount,
            tax_lines=[
                native.TaxLineOut(
                    amount=t.amount,
                    percentage=str(t.percentage),
                    extras=dict(t.extras) if t.extras else None,
                )
                for t in line.item.tax_lines
            ],
            item_type=line.item.item_type,
            unit_price=line.item.unit_price,
            reverses=line.item.reverses,
            reversed_reason=line.item.reversed_reason,
            reversed_by=[r.line_id for r in order.reversals_of(line.line_id)],
            balance=native.BalanceOut(
                **balance_fields(line.balance(), order.refundable(line.line_id))
            ),
            payments=[
                native.PaymentBalanceOut(**p) for p in _linepayment_fields(order, line)
            ],
        )
        for line in order.lines
    ]
    return native.OrderOut(
        order_id=order.order_ref,
        account=order.account,
        currency=order.currency,
        status=str(order.status),
        version=order.version,
        updated_at=order.modified_on.isoformat(),
        gross_amount=order.gross_total,
        totals=native.BalanceOut(
            **balance_fields(order.totals(), order.total_refundable())
        ),
        payments=[native.PaymentOut(**p) for p in payment_fields(order)],
        lines=lines,
    )


def events_out(order_ref: str, events: list[Order.Event]) -> native.OrderEventsOut:
    return native.OrderEventsOut(
        order_id=order_ref,
        events=[
            native.EventOut(
                type=type(event).__name__,
                version=event.originator_version,
                time=event.timestamp.isoformat(),
                actor=event.actor,
                request_id=event.request_id,
                idempotency_key=event.idempotency_key,
                payload=payload(event),
                hash=event.__dict__.get("hash"),
                previous_hash=event.__dict__.get("previous_hash"),
            )
            for event in events
        ],
    )
