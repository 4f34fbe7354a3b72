"""Finance reads find their rows by index: a filter matching nothing reads nothing."""

from __future__ import annotations

import psycopg
from psycopg import sql

from api.database import ensure_schema
from projections.setup import open_views


def test_a_status_filter_reads_by_the_status_index(database_url: str, schema: str):
    ensure_schema(database_url, schema)
    open_views(database_url, schema)
    query = sql.SQL(
        "EXPLAIN SELECT * FROM {}.order_summaries WHERE account = 'acct'"
        " AND status = ANY(ARRAY['cancelled']) ORDER BY created_at, order_id LIMIT 11"
    ).format(sql.Identifier(schema))
    with psycopg.connect(database_url) as conn:
        conn.execute(
            sql.SQL(
                "INSERT INTO {}.order_summaries (account, order_id, currency, status,"
                " version, gross_amount, authorized, captured, refunded, released,"
                " outstanding_authorized, refundable, payment_ids, created_at,"
                " updated_at) SELECT 'acct', 'O-' || g, 'EUR', 'captured', 3, 100,"
                " 100, 100, 0, 0, 0, 100, ARRAY['P'], now() - g * interval '1 s',"
                " now() FROM generate_series(1, 5000) g"
            ).format(sql.Identifier(schema))
        )
        conn.execute(
            sql.SQL("ANALYZE {}.order_summaries").format(sql.Identifier(schema))
        )
        plan = "\n".join(row[0] for row in conn.execute(query).fetchall())
    assert "order_summaries_status_idx" in plan, plan
