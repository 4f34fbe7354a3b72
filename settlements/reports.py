"""What finance reads: per payout, and per period, as of a moment.

Per payout: gross, fees by type, net, what was paid out, the share of its
captures and refunds matched (by the newest run as of then) and its open
exceptions. Per period and currency: captured in the ledger, settled by the
providers, paid out, fees by type.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from datetime import date, datetime
from typing import Any, Final

from psycopg import Cursor, sql
from psycopg.rows import DictRow

from projections.spreadsheet import safe_row
from settlements.batches import list_batches

INLINE_FEES: Final = "transaction fees (inline)"
PAYOUT_COLUMNS: Final = (
    "provider",
    "batch_id",
    "currency",
    "payout_date",
    "payout_amount",
    "gross",
    "fees",
    "fees_by_type",
    "net",
    "balanced",
    "matched_share",
    "open_exceptions",
)

LINE_FIGURES: Final = """
SELECT l.provider, l.batch_id, l.line_id, l.line_type, l.provider_type,
    l.fee, l.net, r.status,
    EXISTS (SELECT 1 FROM {schema}.reconciliation_exceptions x
        WHERE x.account = l.account AND x.exception_key = 'line:' || l.line_id
        AND x.opened_at <= %(as_of)s AND coalesce((SELECT e.kind
            FROM {schema}.reconciliation_exception_events e
            WHERE e.exception_id = x.exception_id AND e.at <= %(as_of)s
            ORDER BY e.seq DESC LIMIT 1), 'reopened') = 'reopened') AS open_exception
FROM {schema}.settlement_lines l
LEFT JOIN LATERAL (SELECT res.status FROM {schema}.reconciliation_results res
    JOIN {schema}.reconciliation_runs run USING (run_id)
    WHERE res.line_id = l.line_id AND run.started_at <= %(as_of)s
    ORDER BY run.started_at DESC LIMIT 1) r ON true
WHERE l.account = %(account)s AND l.received_at <= %(as_of)s
    AND (%(provider)s::text IS NULL OR l.provider = %(provider)s)
    AND (%(batch)s::text IS NULL OR l.batch_id = %(batch)s)
"""


def payouts(
    curs: Cursor[DictRow],
    schema: str,
    account: str,
    as_of: datetime,
    first: date | None = None,
    last: date | None = None,
    batch: tuple[str, str] | None = None,
) -> list[dict[str, Any]]:
    """Every payout of the period, or the one ``batch`` (provider, batch id)."""
    provider, batch_id = batch or (None, None)
    batches = list_batches(
        curs, schema, account, as_of, provider, first, last, batch_id
    )
    curs.execute(
        sql.SQL(LINE_FIGURES).format(schema=sql.Identifier(schema)),
        {"account": account, "as_of": as_of, "provider": provider, "batch": batch_id},
    )
    figures: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for row in curs.fetchall():
        figures[row["provider"], row["batch_id"]].append(dict(row))
    return [
        _payout(batch, figures[batch["provider"], batch["batch_id"]])
        for batch in batches
    ]


def fees_by_type(lines: list[dict[str, Any]]) -> dict[str, int]:
    fees: dict[str, int] = defaultdict(int)
    for line in lines:
        if line["line_type"] == "fee":
            fees[line["provider_type"] or "fee"] += line["net"]
        elif line["fee"]:
            fees[INLINE_FEES] += line["fee"]
    return dict(sorted(fees.items()))


def _payout(batch: dict[str, Any], lines: list[dict[str, Any]]) -> dict[str, Any]:
    fees = fees_by_type(lines)
    moved = [
        line for line in lines if line["line_type"] not in ("fee", "payout", "carry")
    ]
    gross = sum(line["net"] - line["fee"] for line in moved)
    to_match = [line for line in lines if line["line_type"] in ("capture", "refund")]
    matched = sum(1 for line in to_match if line["status"] == "matched")
    return {
        "provider": batch["provider"],
        "batch_id": batch["batch_id"],
        "currency": batch["currency"],
        "payout_date": batch["payout_date"],
        "payout_amount": batch["payout_amount"],
        "gross": gross,
        "fees": sum(fees.values()),
        "fees_by_type": fees,
        "net": batch["proof"]["lines_net"],
        "balanced": batch["balanced"],
        "proof_status": batch["proof"]["status"],
        "matched_share": round(matched / len(to_match), 4) if to_match else None,
        "unreconciled_lines": sum(1 for line in to_match if line["status"] is None),
        "open_exceptions": sum(1 for line in lines if line["open_exception"]),
    }


def period(
    curs: Cursor[DictRow],
    schema: str,
    account: str,
    as_of: datetime,
    first: date,
    last: date,
) -> list[dict[str, Any]]:
    """Per currency: captured in the ledger vs settled vs paid out, fees by type."""
    curs.execute(
        sql.SQL(
            "SELECT currency,"
            " sum(CASE kind WHEN 'capture' THEN amount ELSE 0 END)::bigint"
            " AS captured, sum(CASE kind WHEN 'refund' THEN amount ELSE 0 END)::bigint"
            " AS refunded FROM {}.journal WHERE account = %s AND kind IN ('capture',"
            " 'refund') AND occurred_at <= %s"
            " AND (occurred_at AT TIME ZONE 'UTC')::date"
            " BETWEEN %s AND %s GROUP BY currency"
        ).format(sql.Identifier(schema)),
        (account, as_of, first, last),
    )
    ledger = {row["currency"]: row for row in curs.fetchall()}
    answer: dict[str, dict[str, Any]] = {}
    for payout in payouts(curs, schema, account, as_of, first, last):
        entry = answer.setdefault(payout["currency"], _empty(payout["currency"]))
        entry["settled_gross"] += payout["gross"]
        entry["paid_out"] += payout["payout_amount"] or 0
        entry["payouts"] += 1
        for kind, amount in payout["fees_by_type"].items():
            entry["fees_by_type"][kind] = entry["fees_by_type"].get(kind, 0) + amount
    for currency, row in ledger.items():
        entry = answer.setdefault(currency, _empty(currency))
        entry["ledger_captured"] = row["captured"]
        entry["ledger_refunded"] = -row["refunded"]
    for entry in answer.values():
        entry["ledger_net"] = entry["ledger_captured"] + entry["ledger_refunded"]
        entry["fees"] = sum(entry["fees_by_type"].values())
    return [answer[currency] for currency in sorted(answer)]


def _empty(currency: str) -> dict[str, Any]:
    return {
        "currency": currency,
        "ledger_captured": 0,
        "ledger_refunded": 0,
        "ledger_net": 0,
        "settled_gross": 0,
        "fees": 0,
        "fees_by_type": {},
        "paid_out": 0,
        "payouts": 0,
    }


def payouts_csv(rows: list[dict[str, Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(PAYOUT_COLUMNS)
    for row in rows:
        cells = {
            **row,
            "fees_by_type": "; ".join(
                f"{k}={v}" for k, v in row["fees_by_type"].items()
            ),
        }
        writer.writerow(safe_row(cells[column] for column in PAYOUT_COLUMNS))
    return out.getvalue()
