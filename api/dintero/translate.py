"""Dintero bodies ↔ the domain: items and line amounts in, orders and drafts out."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from api.dintero import schemas as dintero
from api.native.present import balance_fields, payment_fields
from domain.draft import DraftOrder
from domain.order import Order
from domain.values import Allocation, Item, TaxLine


def item_in(item: dintero.DraftItemIn) -> Item:
    return Item(
        line_id=item.line_id,
        item_id=item.id,
        description=item.description,
        quantity=Decimal(item.quantity),
        gross_amount=item.gross_amount,
        tax_lines=tuple(TaxLine(t.amount, t.percentage) for t in item.tax_lines),
        description_alias=item.description_alias,
        reverses=item.related_item.line_id if item.related_item else None,
        reversed_reason=item.reversed_reason,
    )


def allocations_in(items: list[dintero.LineAmountIn]) -> list[Allocation]:
    return [Allocation(i.line_id, i.amount) for i in items]


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


def order_out(order: Order) -> dintero.DinteroOrderOut:
    items = [
        dintero.OrderItemOut(
            **_draft_item(line.item),
            **balance_fields(line.balance(), order.refundable(line.line_id)),
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
        transactions=[dintero.TransactionOut(**p) for p in payment_fields(order)],
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
