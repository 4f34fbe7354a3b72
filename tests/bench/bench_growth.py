"""Reads that must not grow with the store's history, each A/B in one run.

``python -m tests.bench.bench_growth`` (also part of ``make bench``). A small
account's reads among many other accounts' rows, with the index the read uses
and then with that index dropped (the plan the ledger had before it): the
drafts list (an account's 20 drafts among others' draft events), an
account's audit (10 orders among others' events) and a status filter that
matches nothing (one account's many orders). The other rows are copies made
in SQL, so only their count matters; the audit's whole-store walk finds them
broken, which is why it is timed but its report not shown.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

import psycopg
from psycopg import sql
from psycopg.rows import dict_row

from api.bootstrap import open_ledger
from api.settings import Settings
from domain.application import OrderLedger
from domain.values import Allocation
from projections import ddl
from projections.account_index import DRAFT_CREATED_TOPIC, OPENED_TOPIC
from projections.audit import ChainVerifier
from projections.drafts import draft_refs
from projections.order_totals import ORDER_TOTALS
from projections.queries import OrderFilters, order_totals, summed_totals
from tests.bench.bench_commands import bench_database
from tests.bench.report import Report, Section
from tests.builders import item
from tests.integration.summaries import fill_summaries

SCHEMA = "bench"
OTHER_DRAFTS = 200_000
OTHER_ORDERS = 200_000
ACCOUNT_ORDERS = 200_000


def _median_ms(read: Callable[[], object], runs: int = 7) -> float:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        read()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples) * 1000


def _copies(url: str, ledger: OrderLedger, topic: str, seed: str, count: int) -> None:
    """``count`` first events of ``topic`` for others, copied from ``seed``'s."""
    table = sql.Identifier(SCHEMA, ledger.recorder.events_table_name)  # type: ignore[attr-defined]
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            sql.SQL(
                "INSERT INTO {t} (originator_id, originator_version, topic, state,"
                " transaction_id, log_id) SELECT gen_random_uuid(), 1, topic,"
                " convert_to(jsonb_set(convert_from(state, 'UTF8')::jsonb,"
                " '{{account}}', to_jsonb('other-' || (g %% 5000)))::text, 'UTF8'),"
                " transaction_id, log_id FROM {t}, generate_series(1, %s) g"
                " WHERE topic = {topic} AND {schema}.ledger_event_account(state) = %s"
            ).format(t=table, topic=sql.Literal(topic), schema=sql.Identifier(SCHEMA)),
            (count, seed),
        )
        conn.execute(sql.SQL("ANALYZE {}").format(table))


def _drop(url: str, index: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP INDEX {}").format(sql.Identifier(SCHEMA, index)))


def measure(url: str, report: Report | None) -> None:
    ledger = open_ledger(Settings(database_url=url, db_schema=SCHEMA), url)
    events = ledger.recorder.events_table_name  # type: ignore[attr-defined]
    rows: list[tuple[str, float, float]] = []
    try:
        for _ in range(20):
            ledger.create_draft("mine", "EUR", [item(1, 100)])
        ledger.create_draft("seed", "EUR", [item(1, 100)])
        for n in range(10):
            ledger.create_order("mine", f"M-{n}", "EUR", [item(1, 1_000)])
            ledger.authorize("mine", f"M-{n}", "P", [Allocation(1, 1_000)])
        ledger.create_order("seed", "S", "EUR", [item(1, 1_000)])
        print(
            f"copying {OTHER_DRAFTS:,} drafts and {OTHER_ORDERS:,} orders…", flush=True
        )
        _copies(url, ledger, DRAFT_CREATED_TOPIC, "seed", OTHER_DRAFTS)
        _copies(url, ledger, OPENED_TOPIC, "seed", OTHER_ORDERS)

        def drafts() -> object:
            return draft_refs(ledger.recorder, "mine", 21)  # type: ignore[arg-type]

        def audit() -> object:
            return ChainVerifier(ledger).verify(account="mine")

        indexed = (_median_ms(drafts), _median_ms(audit, 3))
        _drop(url, f"{events}_draft_account_idx")
        _drop(url, f"{events}_order_account_idx")
        scanned_drafts = _median_ms(drafts, 3)
        start = time.perf_counter()
        ChainVerifier(ledger).verify()  # what an account's audit walked before
        walked = (time.perf_counter() - start) * 1000
        rows += [
            (f"an account's 20 drafts among {OTHER_DRAFTS:,} others'", indexed[0],
             scanned_drafts),
            (f"an account's audit, 10 orders among {OTHER_ORDERS:,} others'",
             indexed[1], walked),
        ]  # fmt: skip
    finally:
        ledger.close()
    rows += _summaries_reads(url)
    for name, with_index, without in rows:
        print(f"{name}: {with_index:.2f} ms with the index, {without:.2f} ms without")
    if report is not None:
        section = Section(
            "Reads that do not grow with history",
            "Each read timed (median) with its index, then with the index dropped "
            "(the plan the ledger had before), in one run on one database.",
            ["read", "ms with the index", "ms without", "× faster"],
        )
        for name, with_index, without in rows:
            section.row(name, f"{with_index:.2f}", f"{without:.2f}",
                        f"{without / with_index:.0f}")  # fmt: skip
        report.add(section)


def _summaries_reads(url: str) -> list[tuple[str, float, float]]:
    """A status filter that matches nothing, and the totals of every order."""
    query = sql.SQL(
        "SELECT * FROM {}.order_summaries WHERE account = 'acct'"
        " AND status = ANY(%s) ORDER BY created_at, order_id LIMIT 11"
    ).format(sql.Identifier(SCHEMA))
    with psycopg.connect(url, autocommit=True, row_factory=dict_row) as conn:
        for statement in ddl.BALANCES:
            conn.execute(statement.format(schema=SCHEMA))
        fill_summaries(conn, SCHEMA, ACCOUNT_ORDERS)
        for statement in ORDER_TOTALS:  # made now, it sums what is there
            conn.execute(statement.format(schema=SCHEMA, schema_name=f"'{SCHEMA}'"))
        curs = conn.cursor()

        def nothing() -> object:
            return conn.execute(query, (["cancelled"],)).fetchall()

        def kept() -> object:
            return order_totals(curs, SCHEMA, "acct", OrderFilters())

        with_index = _median_ms(nothing)
        _drop(url, "order_summaries_status_idx")
        totals = (
            _median_ms(kept),
            _median_ms(lambda: summed_totals(curs, SCHEMA, "acct", OrderFilters())),
        )
        return [
            (
                f"a status filter matching none of {ACCOUNT_ORDERS:,} orders",
                with_index,
                _median_ms(nothing),
            ),
            (f"the totals of an account's {ACCOUNT_ORDERS:,} orders", *totals),
        ]


def main(report: Report | None = None) -> None:
    with bench_database() as url:
        measure(url, report)


if __name__ == "__main__":
    main()
