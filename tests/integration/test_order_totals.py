"""Kept order totals equal the summaries' sums, at every commit (issue 24)."""

from __future__ import annotations

import psycopg
import pytest
from psycopg import sql
from psycopg.rows import dict_row

from projections.queries import (
    OrderFilters,
    kept_totals,
    order_totals,
    summed_totals,
)
from tests.integration.workload import run_workload

STATUSES = (
    None,
    ("open",),
    ("authorized", "part_captured"),
    ("captured", "refunded"),
    ("cancelled",),
)


def summed(curs, schema: str, account: str, statuses, currency) -> list[dict]:
    """What the totals were before: the matching summaries summed."""
    filters = OrderFilters(statuses=statuses, currency=currency)
    return summed_totals(curs, schema, account, filters)


def assert_kept_equal_summed(database_url: str, schema: str) -> None:
    with psycopg.connect(database_url, row_factory=dict_row) as conn:
        curs = conn.cursor()
        assert kept_totals(curs, schema, "acct", None, None)  # something to compare
        for statuses in STATUSES:
            for currency in (None, "EUR", "NOK"):
                kept = kept_totals(curs, schema, "acct", statuses, currency)
                assert kept == summed(curs, schema, "acct", statuses, currency)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_kept_totals_are_the_summaries_summed(
    pg_ledger, projections, database_url, schema, seed
):
    run_workload(pg_ledger, seed=seed, orders=10, steps=80)
    projections.catch_up()
    assert_kept_equal_summed(database_url, schema)
    run_workload(pg_ledger, seed=seed + 10, orders=4, steps=30)
    projections.catch_up()
    assert_kept_equal_summed(database_url, schema)
    assert projections.runners["balances"].rebuild() > 0
    assert_kept_equal_summed(database_url, schema)


def test_a_status_filter_reads_the_kept_totals(pg_ledger, projections, database_url):
    run_workload(pg_ledger, seed=4, orders=6, steps=40)
    projections.catch_up()
    with psycopg.connect(database_url, row_factory=dict_row) as conn:
        curs = conn.cursor()
        schema = projections.schema
        both = OrderFilters(status="open", statuses=("open", "captured"))
        assert order_totals(curs, schema, "acct", both) == summed(
            curs, schema, "acct", ("open",), None
        )
        searched = OrderFilters(search="W4-1")
        assert order_totals(curs, schema, "acct", searched)  # summed, as before


def test_summaries_made_before_the_kept_totals_fill_them_once(
    pg_ledger, projections, database_url, schema
):
    run_workload(pg_ledger, seed=6, orders=6, steps=40)
    projections.catch_up()
    with psycopg.connect(database_url, autocommit=True) as conn:
        table = sql.Identifier(schema, "order_totals")
        conn.execute(sql.SQL("DROP TABLE {}").format(table))
    projections.runners["balances"].view.create_table()  # as a start-up does
    assert_kept_equal_summed(database_url, schema)
    run_workload(pg_ledger, seed=7, orders=3, steps=20)
    projections.catch_up()
    assert_kept_equal_summed(database_url, schema)
