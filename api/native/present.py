"""Domain objects rendered as response models (the only place that reads them)."""

from __future__ import annotations

from typing import Any

from api.dintero import schemas as dintero
from api.native import schemas as native
from domain.chain import payload
from domain.draft import DraftOrder
from domain.order import Order
from domain.values import Balance, Item, Line


def _balance(balance: Balance, refundable: int) -> dict[str, int]:
    return {
        "authorized": balance.authorized,
        "captured": balance.captured,
        "refunded": balance.refunded,
        "released": balance.released,
        "outstanding_authorized": balance.outstanding_authorized,
        "refundable": refundable,
    }


def _line_payments(order: Order, line: Line) -> list[dict[str, Any]]:
    return [
        {
            "payment_id": pid,
            **_balance(line.balance(pid), order.refundable(line.line_id, pid)),
        }
        for pid in sorted(line.payments)
    ]


def _payments(order: Order) -> list[dict[str, Any]]:
    return [
        {
            "payment_id": pid,
            "expires_at": order.expiry[pid].isoformat()
            if pid in order.expiry
            else None,
            **_balance(order.totals(pid), order.total_refundable(pid)),
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
                native.TaxLineOut(amount=t.amount, percentage=str(t.percentage))
                for t in line.item.tax_lines
            ],
            item_type=line.item.item_type,
            unit_price=line.item.unit_price,
            reverses=line.item.reverses,
            reversed_reason=line.item.reversed_reason,
            reversed_by=[r.line_id for r in order.reversals_of(line.line_id)],
            balance=native.BalanceOut(
                **_balance(line.balance(), order.refundable(line.line_id))
            ),
            payments=[
                native.PaymentBalanceOut(**p) for p in _line_payments(order, line)
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
        totals=native.BalanceOut(**_balance(order.totals(), order.total_refundable())),
        payments=[native.PaymentOut(**p) for p in _payments(order)],
        lines=lines,
    )


def _draft_item(item: Item) -> dict[str, Any]:
    return {
        "id": item.item_id,
        "line_id": item.line_id,
        "quantity": item.quantity,
        "gross_amount": item.gross_amount,
        "tax_lines": [
            {"amount": t.amount, "percentage": t.percentage} for t in item.tax_lines
        ],
        "description": item.description,
        "description_alias": item.description_alias,
        "reversed_reason": item.reversed_reason,
        "related_item": {"line_id": item.reverses}
        if item.reverses is not None
        else None,
    }


def dintero_order_out(order: Order) -> dintero.DinteroOrderOut:
    items = [
        dintero.OrderItemOut(
            **_draft_item(line.item),
            **_balance(line.balance(), order.refundable(line.line_id)),
        )
        for line in order.lines
    ]
    return dintero.DinteroOrderOut(
        id=order.order_ref,
        account_id=order.account,
        currency=order.currency,
        status=str(order.status),
        version=order.version,
        amount=order.gross_total,
        items=items,
        transactions=[dintero.TransactionOut(**p) for p in _payments(order)],
    )


def draft_out(draft: DraftOrder) -> dintero.DraftOrderOut:
    options = (
        dintero.DraftOptionsIn(order_id=draft.order_ref)
        if draft.order_ref
        else dintero.DraftOptionsIn(generate_order_id="ALPHANUMERIC_9")
    )
    return dintero.DraftOrderOut(
        id=draft.draft_ref,
        options=options,
        order=dintero.DraftOrderBodyOut(
            currency=draft.currency,
            items=[dintero.DraftItemOut(**_draft_item(item)) for item in draft.items],
        ),
        order_id=draft.completed_order_ref,
        created_at=draft.created_on.isoformat(),
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
