"""Finance reads find their rows by index: a filter matching nothing reads nothing."""

from __future__ import annotations

import psycopg
from psycopg import sql

from api.database import ensure_schema
from projections.setup import open_views
from tests.integration.summaries import fill_summaries


def test_a_status_filter_reads_by_the_status_index(database_url: str, schema: str):
    ensure_schema(database_url, schema)
    open_views(database_url, schema)
    query = sql.SQL(
        "EXPLAIN SELECT * FROM {}.order_summaries WHERE account = 'acct'"
        " AND status = ANY(ARRAY['cancelled']) ORDER BY created_at, order_id LIMIT 11"
    ).format(sql.Identifier(schema))
    with psycopg.connect(database_url) as conn:
        fill_summaries(conn, schema, 5000)
        plan = "\n".join(row[0] for row in conn.execute(query).fetchall())
    assert "order_summaries_status_idx" in plan, plan
