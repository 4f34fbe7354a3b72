"""Settlement reports for tests, written from each provider's documented columns.

Every value is invented. Each writer takes rows as dicts by column name, so a
test can reorder columns, add unknown ones, and write both signs.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

ADYEN_COLUMNS = (
    "Company Account",
    "Merchant Account",
    "Psp Reference",
    "Merchant Reference",
    "Payment Method",
    "Creation Date",
    "TimeZone",
    "Type",
    "Modification Reference",
    "Gross Currency",
    "Gross Debit (GC)",
    "Gross Credit (GC)",
    "Exchange Rate",
    "Net Currency",
    "Net Debit (NC)",
    "Net Credit (NC)",
    "Commission (NC)",
    "Markup (NC)",
    "Scheme Fees (NC)",
    "Interchange (NC)",
    "Payment Method Variant",
    "Modification Merchant Reference",
    "Batch Number",
    "Reserved4",
    "Reserved5",
    "Booking Date",
    "Booking Date TimeZone",
)
KLARNA_COLUMNS = (
    "payment_reference",
    "payout_date",
    "merchant_id",
    "type",
    "detailed_type",
    "capture_date",
    "sale_date",
    "order_id",
    "short_order_id",
    "capture_id",
    "refund_id",
    "merchant_reference1",
    "merchant_reference2",
    "merchant_capture_reference",
    "merchant_refund_reference",
    "amount",
    "posting_currency",
    "tax_rate",
    "tax_amount",
    "purchase_country",
    "reversal_reference",
)
STRIPE_COLUMNS = (
    "automatic_payout_id",
    "automatic_payout_effective_at",
    "balance_transaction_id",
    "created_utc",
    "available_on_utc",
    "currency",
    "gross",
    "fee",
    "net",
    "reporting_category",
    "source_id",
    "description",
    "customer_facing_amount",
    "customer_facing_currency",
    "charge_id",
    "payment_intent_id",
    "payment_metadata[order_id]",
)
GENERIC_COLUMNS = (
    "date",
    "order_id",
    "payment_id",
    "kind",
    "amount",
    "currency",
    "reference",
)


def table(
    columns: Sequence[str], rows: Iterable[Mapping[str, Any]], delimiter: str = ","
) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(
        out, fieldnames=list(columns), delimiter=delimiter, lineterminator="\n"
    )
    writer.writeheader()
    for row in rows:
        unknown = set(row) - set(columns)
        assert not unknown, unknown
        writer.writerow(row)
    return out.getvalue()


def adyen_row(kind: str, batch: str = "7", **cells: str) -> dict[str, str]:
    """One SDR row; amounts as the report writes them (unsigned, major units)."""
    base = {
        "Company Account": "TestCo",
        "Merchant Account": "TestShopECOM",
        "Creation Date": "2026-03-02 10:00:00",
        "TimeZone": "CET",
        "Type": kind,
        "Gross Currency": "EUR" if kind not in ("Fee", "MerchantPayout") else "",
        "Exchange Rate": "1" if kind not in ("Fee", "MerchantPayout") else "",
        "Net Currency": "EUR",
        "Batch Number": batch,
        "Booking Date": "2026-03-04 01:00:00",
        "Booking Date TimeZone": "CET",
    }
    return {**base, **cells}


def adyen_settled(
    order: str, reference: str, gross: str, fee: str, **more: str
) -> dict[str, str]:
    net = f"{float(gross) - float(fee):.2f}"
    return adyen_row(
        "Settled",
        **{
            "Psp Reference": f"PSP{order}",
            "Merchant Reference": order,
            "Modification Reference": f"MOD{reference}",
            "Gross Credit (GC)": gross,
            "Net Credit (NC)": net,
            "Markup (NC)": fee,
            "Modification Merchant Reference": reference,
            **more,
        },
    )


def klarna_row(kind: str, amount: str, **cells: str) -> dict[str, str]:
    return {
        "payment_reference": "KPAY1",
        "payout_date": "2026-03-10T07:45:00Z",
        "merchant_id": "KTEST",
        "type": kind,
        "capture_date": "2026-03-02T10:00:00Z",
        "amount": amount,
        "posting_currency": "SEK",
        **cells,
    }


def stripe_row(category: str, gross: str, fee: str, **cells: str) -> dict[str, str]:
    net = f"{float(gross) - float(fee):.2f}"
    return {
        "automatic_payout_id": "po_TEST1",
        "automatic_payout_effective_at": "2026-03-05 00:00:00",
        "created_utc": "2026-03-02 10:00:00",
        "currency": "eur",
        "gross": gross,
        "fee": fee,
        "net": net,
        "reporting_category": category,
        **cells,
    }


def riverty_epa(
    payout: int,
    fees: int,
    reference: str,
    lines: Sequence[Sequence[object]],
    date: str = "20260304",
) -> str:
    """The documented ``H`` header, then lines in the default mapping's layout."""
    header = f"H,EUR,{payout},{fees},{len(lines)},{reference},{date}"
    return (
        "\n".join([header, *(",".join(map(str, ["T", *line])) for line in lines)])
        + "\n"
    )


def dintero_settlements(items: Sequence[Mapping[str, Any]]) -> str:
    return json.dumps({"items": list(items)})


def dintero_settlement(
    sid: str, capture: int, refund: int, fee: int, currency: str = "NOK"
) -> dict[str, Any]:
    return {
        "id": sid,
        "settled_at": "2026-03-04T00:00:00Z",
        "provider": "payex",
        "provider_reference": f"REF-{sid}",
        "amounts": [
            {
                "amount": capture - refund - fee,
                "capture": capture,
                "refund": refund,
                "fee": fee,
                "currency": currency,
            }
        ],
    }


def dintero_events(transactions: Mapping[str, Sequence[Mapping[str, Any]]]) -> str:
    return json.dumps(
        {
            "transactions": [
                {"id": tid, "settlements": {"events": list(events)}}
                for tid, events in transactions.items()
            ]
        }
    )
