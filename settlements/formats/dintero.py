"""Dintero's settlements and the per-transaction settlement events.

``GET /v1/accounts/{aid}/settlements`` lists settlements;
``transactions[].settlements.events`` tell which settlement each capture and
refund landed in.

Amounts are minor units. A settlement declares the payout (``amounts[].amount
= capture − refund − fee``); its lines come from the transactions' events,
which name the settlement they landed in. Dintero's normalized CSV report was
not published where we looked: read it through a column mapping.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from settlements import cells
from settlements.formats.common import Batches
from settlements.model import ParsedFile, SettlementFileError, SettlementLine

UNKNOWN_CURRENCY = ""  # the events do not name it: the batch's settlement does


def looks_like_settlements(document: Mapping[str, Any]) -> bool:
    items = document.get("items")
    return isinstance(items, list) and all(
        isinstance(i, dict) and "amounts" in i for i in items
    )


def looks_like_events(document: Mapping[str, Any]) -> bool:
    items = document.get("transactions")
    return isinstance(items, list) and all(
        isinstance(i, dict) and "settlements" in i for i in items
    )


def parse_settlements(document: Mapping[str, Any]) -> ParsedFile:
    batches = Batches("dintero")
    items = document["items"]
    for number, item in enumerate(items, start=1):
        settlement_id = cells.text_or_none(item.get("id"))
        if settlement_id is None:
            raise SettlementFileError(number, "id", "is empty")
        amounts = item.get("amounts")
        if not isinstance(amounts, list) or not amounts:
            raise SettlementFileError(number, "amounts", "names no amount")
        for amount in amounts:
            _declare(batches, number, item, settlement_id, amount, len(amounts))
    return batches.parsed(len(items))


def _declare(
    batches: Batches,
    number: int,
    item: Mapping[str, Any],
    settlement_id: str,
    amount: Any,  # noqa: ANN401 - JSON
    currencies: int,
) -> None:
    if not isinstance(amount, dict):
        raise SettlementFileError(number, "amounts", "an amount must be an object")
    code = cells.currency(str(amount.get("currency", "")), number, "amounts.currency")
    totals = {
        key: cells.json_minor(amount.get(key, 0), number, f"amounts.{key}")
        for key in ("amount", "capture", "refund", "fee")
    }
    if totals["amount"] != totals["capture"] - totals["refund"] - totals["fee"]:
        raise SettlementFileError(
            number, "amounts.amount", "amount is not capture − refund − fee"
        )
    batch_id = settlement_id if currencies == 1 else f"{settlement_id}.{code}"
    batch = batches.get(batch_id, code, number)
    batch.payout_amount = totals["amount"]
    batch.payout_reference = cells.text_or_none(item.get("provider_reference"))
    batch.payout_date = cells.day(
        str(item.get("settled_at") or ""), number, "settled_at"
    )
    batch.merchant_account = cells.text_or_none(
        item.get("payout_destination_id") or item.get("store_id")
    )
    batch.header = {
        "provider": str(item.get("provider", "")),
        **{key: str(value) for key, value in totals.items()},
    }


def parse_events(document: Mapping[str, Any]) -> ParsedFile:
    batches = Batches("dintero")
    line_no = 0
    for number, transaction in enumerate(document["transactions"], start=1):
        settlements = transaction.get("settlements")
        events = settlements.get("events") if isinstance(settlements, dict) else None
        if not isinstance(events, list):
            raise SettlementFileError(number, "settlements.events", "is not a list")
        for event in events:
            if not isinstance(event, dict):
                raise SettlementFileError(number, "events", "must be objects")
            for line in _event_lines(number, transaction, event):
                line_no += 1
                settlement = cells.text_or_none(event.get("settlement_id"))
                if settlement is None:
                    raise SettlementFileError(number, "settlement_id", "is empty")
                batch = batches.get(settlement, line.currency, number)
                batch.lines.append(_numbered(line, line_no))
    return batches.parsed(line_no)


def _event_lines(
    number: int, transaction: Mapping[str, Any], event: Mapping[str, Any]
) -> list[SettlementLine]:
    values = {
        key: cells.json_minor(event.get(key, 0), number, key)
        for key in ("amount", "capture", "refund", "fee")
    }
    if values["amount"] != values["capture"] - values["refund"] - values["fee"]:
        raise SettlementFileError(
            number, "amount", "amount is not capture − refund − fee"
        )
    code = str(transaction.get("currency") or event.get("currency") or "")
    code = cells.currency(code, number, "currency") if code else UNKNOWN_CURRENCY
    common: dict[str, Any] = {
        "currency": code,
        "gross_currency": code or None,
        "order_ref": cells.text_or_none(transaction.get("merchant_reference")),
        "operation_ref": cells.text_or_none(event.get("event_correlation_id")),
        "provider_payment_ref": cells.text_or_none(transaction.get("id")),
        "provider_operation_ref": cells.text_or_none(event.get("provider_reference")),
        "raw": {key: str(value) for key, value in event.items()},
    }
    lines = []
    if values["capture"] or not values["refund"]:
        lines.append(
            SettlementLine(
                line_no=0,
                line_type="capture",
                provider_type="capture",
                gross=values["capture"],
                fee=-values["fee"],
                net=values["capture"] - values["fee"],
                **common,
            )
        )
    if values["refund"]:
        fee = 0 if lines else -values["fee"]
        lines.append(
            SettlementLine(
                line_no=0,
                line_type="refund",
                provider_type="refund",
                gross=-values["refund"],
                fee=fee,
                net=-values["refund"] + fee,
                **common,
            )
        )
    return lines


def _numbered(line: SettlementLine, line_no: int) -> SettlementLine:
    return replace(line, line_no=line_no)
