"""Batches as a reader sees them: each file's part joined, proven, its lines listed."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Final

from psycopg import Cursor, sql
from psycopg.rows import DictRow

from settlements.formats.riverty import rounding_tolerance
from settlements.model import OUTSIDE_THE_SUM, batch_proof

BATCH_QUERY: Final = """
SELECT b.provider, b.batch_id, min(b.currency) AS currency,
    max(b.payout_amount) AS payout_amount,
    count(DISTINCT b.payout_amount) AS declarations,
    max(b.payout_date) AS payout_date, max(b.payout_reference) AS payout_reference,
    max(b.merchant_account) AS merchant_account,
    sum(b.carry_in)::bigint AS carry_in, sum(b.carry_out)::bigint AS carry_out,
    array_agg(b.import_id ORDER BY b.received_at) AS imports,
    min(b.received_at) AS received_at,
    coalesce((SELECT sum(l.net) FROM {schema}.settlement_lines l
        WHERE l.account = b.account AND l.provider = b.provider
        AND l.batch_id = b.batch_id AND l.line_type <> ALL(%(outside)s)
        AND l.received_at <= %(as_of)s), 0)::bigint AS lines_net,
    (SELECT count(*) FROM {schema}.settlement_lines l
        WHERE l.account = b.account AND l.provider = b.provider
        AND l.batch_id = b.batch_id AND l.received_at <= %(as_of)s) AS lines
FROM {schema}.settlement_batches b
WHERE b.account = %(account)s AND b.received_at <= %(as_of)s {filters}
GROUP BY b.account, b.provider, b.batch_id
ORDER BY max(b.payout_date) DESC NULLS LAST, b.provider, b.batch_id
"""


def proven(row: dict[str, Any]) -> dict[str, Any]:
    """The batch row with its proof (Σ net + carry-in − carry-out = payout)."""
    tolerance = rounding_tolerance(row["lines"]) if row["provider"] == "riverty" else 0
    proof = batch_proof(
        row["lines_net"],
        row["carry_in"],
        row["carry_out"],
        row["payout_amount"],
        tolerance,
    )
    if row["lines"] == 0:
        proof = {**proof, "status": "no_lines", "balanced": False}
    if row["declarations"] > 1:
        proof = {**proof, "status": "conflicting", "balanced": False}
    return {
        "provider": row["provider"],
        "batch_id": row["batch_id"],
        "currency": row["currency"],
        "payout_amount": row["payout_amount"],
        "payout_date": row["payout_date"].isoformat() if row["payout_date"] else None,
        "payout_reference": row["payout_reference"],
        "merchant_account": row["merchant_account"],
        "lines": row["lines"],
        "imports": list(row["imports"]),
        "balanced": proof["balanced"],
        "proof": proof,
    }


def list_batches(
    curs: Cursor[DictRow],
    schema: str,
    account: str,
    as_of: datetime,
    provider: str | None = None,
    first: date | None = None,
    last: date | None = None,
    batch_id: str | None = None,
) -> list[dict[str, Any]]:
    filters = []
    params: dict[str, Any] = {
        "account": account,
        "as_of": as_of,
        "outside": list(OUTSIDE_THE_SUM),
    }
    for column, value, test in (
        ("provider", provider, "b.provider = %(provider)s"),
        ("batch_id", batch_id, "b.batch_id = %(batch_id)s"),
        ("first", first, "b.payout_date >= %(first)s"),
        ("last", last, "b.payout_date <= %(last)s"),
    ):
        if value is not None:
            filters.append(f"AND {test}")
            params[column] = value
    query = sql.SQL(BATCH_QUERY).format(
        schema=sql.Identifier(schema), filters=sql.SQL(" ".join(filters))
    )
    curs.execute(query, params)
    return [proven(dict(row)) for row in curs.fetchall()]


def batch_lines(
    curs: Cursor[DictRow], schema: str, account: str, provider: str, batch_id: str
) -> list[dict[str, Any]]:
    curs.execute(
        sql.SQL(
            "SELECT line_id, line_no, line_type, provider_type, order_ref,"
            " operation_ref,"
            " provider_payment_ref, provider_operation_ref, gross, gross_currency,"
            " exchange_rate, fee, net, currency, occurred_at, booked_at, raw"
            " FROM {}.settlement_lines WHERE account = %s AND provider = %s"
            " AND batch_id = %s ORDER BY received_at, import_id, line_no"
        ).format(sql.Identifier(schema)),
        (account, provider, batch_id),
    )
    return [dict(row) for row in curs.fetchall()]
