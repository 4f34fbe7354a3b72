"""Many order summaries of one account, written in SQL (for plan tests and benches)."""

from __future__ import annotations

import psycopg
from psycopg import sql


def fill_summaries(conn: psycopg.Connection, schema: str, count: int) -> None:
    """``count`` captured orders of account ``acct``, then the table analyzed."""
    summaries = sql.Identifier(schema, "order_summaries")
    conn.execute(
        sql.SQL(
            "INSERT INTO {} (account, order_id, currency, status, version,"
            " gross_amount, authorized, captured, refunded, released,"
            " outstanding_authorized, refundable, payment_ids, created_at,"
            " updated_at) SELECT 'acct', 'O-' || g, 'EUR', 'captured', 3, 100,"
            " 100, 100, 0, 0, 0, 100, ARRAY['P'], now() - g * interval '1 s',"
            " now() FROM generate_series(1, %s) g"
        ).format(summaries),
        (count,),
    )
    conn.execute(sql.SQL("ANALYZE {}").format(summaries))
