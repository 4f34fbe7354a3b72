"""Read latency of a long order, and the settlement report over 1,000,000 rows.

Run with ``make bench``.
"""

from __future__ import annotations

import statistics
import time
from datetime import date

from psycopg import sql

from api.bootstrap import open_ledger
from api.settings import Settings
from domain.values import Allocation
from projections import queries
from projections.setup import Projections, open_views
from tests.bench.bench_commands import bench_database
from tests.bench.report import Report, Section
from tests.builders import item

LINES, EVENTS, READS, JOURNAL_ROWS = 200, 1_000, 200, 1_000_000


def percentiles(samples: list[float]) -> tuple[float, float]:
    cuts = statistics.quantiles(samples, n=100)
    return cuts[49] * 1000, cuts[98] * 1000


def main(report: Report | None = None) -> None:
    with bench_database() as url:
        settings = Settings(database_url=url, db_schema="bench")
        ledger = open_ledger(settings, url)
        print(f"an order with {LINES} lines and {EVENTS} events…", flush=True)
        ledger.create_order(
            "bench", "LONG", "EUR", [item(i, 10_000) for i in range(1, LINES + 1)]
        )
        for n in range(EVENTS - LINES - 1):
            ledger.authorize("bench", "LONG", "P", [Allocation(1 + n % LINES, 1)])
        samples = []
        for _ in range(READS):
            start = time.perf_counter()
            ledger.get_order("bench", "LONG")
            samples.append(time.perf_counter() - start)
        p50, p99 = percentiles(samples)
        print(
            f"read of the order: p50 {p50:.2f} ms  p99 {p99:.2f} ms"
            " (target p99 ≤ 10 ms)"
        )

        projections = Projections(ledger, open_views(url, "bench"))
        print(f"writing {JOURNAL_ROWS:,} journal rows…", flush=True)
        with projections.datastore.transaction(commit=True) as curs:
            curs.execute(
                sql.SQL(
                    "INSERT INTO {}.journal SELECT 'bench', 'O' || (g %% 50000), 1,"
                    " 'P' || (g %% 97),"
                    " (ARRAY['authorization','capture','refund','release'])"
                    "[1 + g %% 4],"
                    " 100 + g %% 900, 'EUR', timestamptz '2026-01-01'"
                    " + (g %% 300) * interval '1 day'"
                    " + (g %% 86400) * interval '1 second',"
                    " gen_random_uuid(), 1, g, NULL, NULL, 0"
                    " FROM generate_series(1, %s) g"
                ).format(sql.Identifier("bench")),
                (JOURNAL_ROWS,),
            )
            curs.execute(sql.SQL("ANALYZE {}.journal").format(sql.Identifier("bench")))
        start = time.perf_counter()
        with projections.reading() as curs:
            rows = queries.settlement(
                curs, "bench", "bench", date(2026, 1, 1), date(2026, 12, 31)
            )
        seconds = time.perf_counter() - start
        print(
            f"settlement report over {JOURNAL_ROWS:,} rows: {seconds:.2f} s,"
            f" {len(rows)} rows (target ≤ 5 s)"
        )
        projections.close()
        ledger.close()
        if report:
            section = report.add(
                Section(
                    "Reads",
                    header=["what", "figure", "target"],
                )
            )
            section.row(
                f"`get_order` of an order with {LINES} lines and {EVENTS:,} events "
                f"(snapshots every 50), {READS} reads",
                f"p50 {p50:.1f} ms, p99 {p99:.1f} ms",
                "p99 ≤ 10 ms",
            )
            section.row(
                f"settlement report over {JOURNAL_ROWS:,} journal rows "
                "(300 days, 97 payments)",
                f"{seconds:.2f} s",
                "≤ 5 s",
            )
            report.target("order read p99", f"{p99:.1f} ms", "≤ 10 ms", met=p99 <= 10)
            report.target(
                f"settlement report over {JOURNAL_ROWS:,} rows",
                f"{seconds:.2f} s",
                "≤ 5 s",
                met=seconds <= 5,
            )


if __name__ == "__main__":
    main()
