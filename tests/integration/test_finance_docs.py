"""The SQL examples of docs/finance-schema.md run, as written, on the read models."""

from __future__ import annotations

import re
from pathlib import Path

import psycopg
from psycopg import sql

from projections.setup import Projections, open_views
from settlements.service import Settlements
from tests.integration.workload import run_workload

DOC = Path(__file__).parents[2] / "docs" / "finance-schema.md"


def runnable_queries() -> list[str]:
    blocks = re.findall(r"```sql\n(.*?)```", DOC.read_text(), flags=re.DOTALL)
    return [b for b in blocks if not b.lstrip().startswith("...")]  # fragments


def test_every_documented_query_runs(pg_ledger, database_url, schema):
    run_workload(pg_ledger, seed=4, orders=4, steps=30)
    Settlements(database_url, schema).close()  # the settlement tables
    projections = Projections(pg_ledger, open_views(database_url, schema))
    try:
        projections.catch_up()
    finally:
        projections.close()
    queries = runnable_queries()
    assert len(queries) >= 4
    with psycopg.connect(database_url) as conn:
        conn.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(schema)))
        for query in queries:
            rows = conn.execute(query).fetchall()
            if "-- no rows" in query:  # the documented answer
                assert rows == [], query
