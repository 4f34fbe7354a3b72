"""Read latency of a long order, and the settlement report over 5,000,000 rows.

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

LINES, EVENTS, READS, JOURNAL_ROWS = 200, 1_000, 200, 5_000_000
# The report as it read before journal_days: every journal row of the range.
FROM_THE_JOURNAL = """
SELECT (occurred_at AT TIME ZONE 'UTC')::date AS date, currency, payment_id,
    sum(amount) FILTER (WHERE kind = 'authorization'),
    sum(amount) FILTER (WHERE kind = 'capture'),
    sum(amount) FILTER (WHERE kind = 'refund'),
    sum(amount) FILTER (WHERE kind = 'release')
FROM bench.journal WHERE account = 'bench'
    AND occurred_at >= %s AND occurred_at < %s
GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
"""


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
            curs.execute(
                "INSERT INTO bench.journal_days SELECT account,"
                " (occurred_at AT TIME ZONE 'UTC')::date, currency, payment_id, kind,"
                " sum(amount) FROM bench.journal GROUP BY 1, 2, 3, 4, 5"
            )
            curs.execute("ANALYZE bench.journal")
            curs.execute("ANALYZE bench.journal_days")
        timings = {}
        for label, first, last in (
            ("month", date(2026, 3, 1), date(2026, 3, 31)),
            ("year", date(2026, 1, 1), date(2026, 12, 31)),
        ):
            with projections.reading() as curs:
                rows, seconds = _best_of(
                    3,
                    lambda curs=curs, first=first, last=last: queries.settlement(
                        curs, "bench", "bench", first, last
                    ),
                )
                _, before = _best_of(
                    3,
                    lambda curs=curs, first=first, last=last: curs.execute(
                        FROM_THE_JOURNAL,
                        (queries.day_start(first), queries.day_end(last)),
                    ).fetchall(),
                )
            timings[label] = (seconds, before, len(rows))
            print(
                f"settlement report of a {label} over {JOURNAL_ROWS:,} rows:"
                f" {seconds * 1000:.0f} ms ({len(rows)} rows);"
                f" from the journal alone {before * 1000:.0f} ms"
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
            for label, (seconds, before, count) in timings.items():
                section.row(
                    f"settlement report of a {label} ({count:,} rows) over"
                    f" {JOURNAL_ROWS:,} journal rows (300 days, 97 payments)",
                    f"{seconds * 1000:.0f} ms; {before * 1000:.0f} ms from the"
                    " journal alone (the plan before `journal_days`)",
                    "month ≤ 200 ms" if label == "month" else "≤ 5 s",
                )
            month = timings["month"][0]
            report.target("order read p99", f"{p99:.1f} ms", "≤ 10 ms", met=p99 <= 10)
            report.target(
                f"a month's settlement at {JOURNAL_ROWS:,} journal rows",
                f"{month * 1000:.0f} ms",
                "≤ 200 ms",
                met=month <= 0.2,
            )


def _best_of(runs, read):
    best, result = float("inf"), None
    for _ in range(runs):
        start = time.perf_counter()
        result = read()
        best = min(best, time.perf_counter() - start)
    return result, best


if __name__ == "__main__":
    main()
