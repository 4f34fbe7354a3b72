"""journal_days is the journal summed per day; the settlement report reads it."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

import psycopg
from psycopg import sql

from api.database import ensure_schema
from projections import queries
from projections.setup import Projections, open_views
from tests.integration.workload import run_workload

T0 = datetime(2026, 3, 1, tzinfo=UTC)
GROUPED = (
    "SELECT account, (occurred_at AT TIME ZONE 'UTC')::date, currency, payment_id,"
    " kind, sum(amount) FROM {}.journal GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5"
)


def days_and_journal_summed(conn, schema):
    """journal_days' rows, and the journal's grouped the same way."""
    days = conn.execute(
        sql.SQL("SELECT * FROM {}.journal_days ORDER BY 1, 2, 3, 4, 5").format(
            sql.Identifier(schema)
        )
    ).fetchall()
    return days, conn.execute(
        sql.SQL(GROUPED).format(sql.Identifier(schema))
    ).fetchall()


def from_the_journal(conn, schema, first, last, as_of):
    """The report as the journal alone gives it (the plan before journal_days)."""
    rows = conn.execute(
        sql.SQL(
            "SELECT (occurred_at AT TIME ZONE 'UTC')::date, currency, payment_id, kind,"
            " sum(amount) FROM {}.journal WHERE account = 'acct'"
            " AND occurred_at >= %s AND occurred_at < %s"
            " AND (%s::timestamptz IS NULL OR occurred_at <= %s)"
            " GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4"
        ).format(sql.Identifier(schema)),
        (queries.day_start(first), queries.day_end(last), as_of, as_of),
    ).fetchall()
    names = {"authorization": "authorized", "capture": "captured"}
    names |= {"refund": "refunded", "release": "released"}
    report: dict[tuple[str, str, str], dict[str, int]] = {}
    for day, currency, payment_id, kind, amount in rows:
        key = (day.isoformat(), currency, payment_id)
        report.setdefault(key, dict.fromkeys(names.values(), 0))[names[kind]] = amount
    return [
        {
            "date": d,
            "currency": c,
            "payment_id": p,
            **sums,
            "net": sums["captured"] - sums["refunded"],
        }
        for (d, c, p), sums in sorted(report.items())
    ]


def test_projected_journal_days_equal_the_journal_summed(
    pg_ledger, database_url, schema
):
    run_workload(pg_ledger, seed=7, orders=6, steps=60)
    projections = Projections(pg_ledger, open_views(database_url, schema))
    try:
        projections.catch_up()
    finally:
        projections.close()
    with psycopg.connect(database_url) as conn:
        days, summed = days_and_journal_summed(conn, schema)
    assert days == summed
    assert days


def test_the_report_over_days_and_an_as_of_cut_equals_the_journal(database_url, schema):
    ensure_schema(database_url, schema)
    for view in open_views(database_url, schema):
        view.datastore.close()
    rng = random.Random(11)
    kinds = ("authorization", "capture", "refund", "release")
    rows = [
        (
            "acct",
            f"O{n % 40}",
            1,
            f"P{n % 7}",
            rng.choice(kinds),
            rng.randint(-500, 5000),
            rng.choice(["EUR", "NOK"]),
            T0 + timedelta(seconds=rng.randint(0, 20 * 86400)),
            "00000000-0000-4000-8000-000000000000",
            1,
            n + 1,
            None,
            None,
            0,
        )
        for n in range(3000)
    ]
    with psycopg.connect(database_url, autocommit=True) as conn:
        table = sql.Identifier(schema, "journal")
        with (
            conn.cursor() as cur,
            cur.copy(sql.SQL("COPY {} FROM STDIN").format(table)) as copy,
        ):
            for row in rows:
                copy.write_row(row)
    # The tables made again: an existing journal fills journal_days once.
    for view in open_views(database_url, schema):
        view.datastore.close()
    for view in open_views(database_url, schema):
        view.datastore.close()
    with psycopg.connect(database_url) as conn:
        days, summed = days_and_journal_summed(conn, schema)
        assert days == summed
        cases = [(date(2026, 3, 1), date(2026, 3, 31), None)]
        for _ in range(12):
            first = T0.date() + timedelta(days=rng.randint(0, 15))
            last = first + timedelta(days=rng.randint(0, 10))
            as_of = T0 + timedelta(seconds=rng.randint(0, 25 * 86400))
            cases.append((first, last, as_of))
        with conn.cursor(row_factory=psycopg.rows.dict_row) as curs:
            for first, last, as_of in cases:
                assert queries.settlement(
                    curs, schema, "acct", first, last, as_of
                ) == from_the_journal(conn, schema, first, last, as_of), (
                    first,
                    last,
                    as_of,
                )
