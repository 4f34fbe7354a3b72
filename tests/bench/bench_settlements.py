"""A 100,000-row settlement report: read, imported, reconciled; each against a ceiling.

``python -m tests.bench.bench_settlements`` (also part of ``make bench``). The
report is an Adyen Settlement details report written from its documented
columns (captures, a refund in ten rows, fee rows, the payout). Ceilings,
measured in the same run: ``csv.reader`` over the same bytes (what reading
any CSV costs before a cell is understood), and a COPY of the same number of
rows, with their raw JSON, into a copy of the lines table and its indexes
(what storing them costs before any check). The ledger side is 100,000
journal rows written in SQL, so a run matches real keys: 2 % of the lines
have no ledger operation, 1 % differ by a cent.
"""

from __future__ import annotations

import csv
import io
import json
import time
from collections.abc import Iterator

import psycopg
from psycopg import sql

from projections.setup import open_views
from settlements import formats
from settlements.service import Settlements
from tests.bench.bench_commands import bench_database
from tests.bench.report import Report, Section
from tests.settlement_files import ADYEN_COLUMNS

SCHEMA = "bench"
ACCOUNT = "bench"
ROWS = 100_000


def _rows() -> Iterator[dict[str, str]]:
    total = 0
    for i in range(ROWS - 1):
        base = {
            "Company Account": "BenchCo",
            "Merchant Account": "BenchECOM",
            "Psp Reference": f"PSP{i:012d}",
            "Creation Date": f"2026-03-02 {i // 3600 % 24:02d}:{i // 60 % 60:02d}"
            f":{i % 60:02d}",
            "TimeZone": "CET",
            "Gross Currency": "EUR",
            "Exchange Rate": "1",
            "Net Currency": "EUR",
            "Batch Number": "900",
            "Booking Date": "2026-03-04 01:00:00",
            "Booking Date TimeZone": "CET",
        }
        if i % 1000 == 999:
            total -= 12
            yield {**base, "Type": "Fee", "Net Debit (NC)": "0.12"}
            continue
        gross = 1000 + i % 9000
        if i % 10 == 9:
            total -= gross
            yield {
                **base,
                "Type": "Refunded",
                "Merchant Reference": f"O-{i}",
                "Modification Merchant Reference": f"O-{i}-R1",
                "Gross Debit (GC)": f"{gross / 100:.2f}",
                "Net Debit (NC)": f"{gross / 100:.2f}",
            }
            continue
        total += gross - 10
        yield {
            **base,
            "Type": "Settled",
            "Merchant Reference": f"O-{i}",
            "Modification Merchant Reference": f"O-{i}-C1",
            "Gross Credit (GC)": f"{gross / 100:.2f}",
            "Net Credit (NC)": f"{(gross - 10) / 100:.2f}",
            "Markup (NC)": "0.10",
        }
    yield {
        "Company Account": "BenchCo",
        "Merchant Account": "BenchECOM",
        "Type": "MerchantPayout",
        "Net Currency": "EUR",
        "Net Debit (NC)": f"{total / 100:.2f}",
        "Batch Number": "900",
        "Booking Date": "2026-03-04 01:00:00",
    }


def report_bytes() -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(ADYEN_COLUMNS), lineterminator="\n")
    writer.writeheader()
    writer.writerows(_rows())
    return out.getvalue().encode()


def ledger_side(url: str) -> None:
    """The journal's captures and refunds the report settles (SQL, in bulk)."""
    for view in open_views(url, SCHEMA):
        view.datastore.close()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            sql.SQL(
                "INSERT INTO {} (account, order_id, line_id, payment_id, kind, amount,"
                " currency, occurred_at, originator_id, version, notification_id,"
                " reference, capture_reference, seq)"
                " SELECT %s, 'O-' || i, 1, 'P' || i,"
                " CASE WHEN i %% 10 = 9 THEN 'refund' ELSE 'capture' END,"
                " 1000 + i %% 9000 + CASE WHEN i %% 100 = 3 THEN 1 ELSE 0 END,"
                " 'EUR', timestamptz '2026-03-01 12:00Z', gen_random_uuid(), 2, i + 1,"
                " 'O-' || i || CASE WHEN i %% 10 = 9 THEN '-R1' ELSE '-C1' END, NULL, 0"
                " FROM generate_series(0, %s) i"
                " WHERE i %% 1000 <> 999 AND i %% 50 <> 7"
            ).format(sql.Identifier(SCHEMA, "journal")),
            (ACCOUNT, ROWS - 2),
        )


def _timed(action: object) -> tuple[float, object]:
    started = time.perf_counter()
    result = action()  # type: ignore[operator]
    return time.perf_counter() - started, result


def copy_ceiling(url: str, content: bytes) -> float:
    """COPY of the report's rows, as lines, into a copy of the lines table."""
    parsed = formats.read(content)
    lines = [line for batch in parsed.batches for line in batch.lines]
    raws = [json.dumps(line.raw) for line in lines]
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            sql.SQL("CREATE TABLE {} (LIKE {} INCLUDING INDEXES)").format(
                sql.Identifier(SCHEMA, "lines_ceiling"),
                sql.Identifier(SCHEMA, "settlement_lines"),
            )
        )
        started = time.perf_counter()
        with (
            conn.transaction(),
            conn.cursor() as cur,
            cur.copy(
                sql.SQL(
                    "COPY {} (line_id, account, provider, batch_id, import_id,"
                    " line_no, line_type, provider_type, gross, fee, net, currency,"
                    " raw, received_at) FROM STDIN"
                ).format(sql.Identifier(SCHEMA, "lines_ceiling"))
            ) as copy,
        ):
            for line, raw in zip(lines, raws, strict=True):
                copy.write_row(
                    (
                        f"c.{line.line_no}", ACCOUNT, "adyen", "900", "c",
                        line.line_no, line.line_type, line.provider_type,
                        line.gross, line.fee, line.net, line.currency, raw,
                        "2026-03-05T00:00:00Z",
                    )
                )  # fmt: skip
        return time.perf_counter() - started


def measure(url: str, report: Report | None) -> None:
    content = report_bytes()
    print(f"report: {ROWS:,} rows, {len(content) / 1e6:.1f} MB", flush=True)
    csv_s, _ = _timed(lambda: sum(1 for _ in csv.reader(io.StringIO(content.decode()))))
    parse_s, _ = _timed(lambda: formats.read(content))
    settlements = Settlements(url, SCHEMA)
    try:
        ceiling_s = copy_ceiling(url, content)
        import_s, imported = _timed(
            lambda: settlements.import_file(ACCOUNT, content, actor="bench")
        )
        ledger_side(url)
        run_s, run = _timed(lambda: settlements.reconcile(ACCOUNT, actor="bench"))
        payouts_s, _ = _timed(lambda: settlements.payouts(ACCOUNT))
    finally:
        settlements.close()
    assert imported["batches"][0]["balanced"], imported
    both = csv_s + ceiling_s
    figures = [
        ("csv.reader over the bytes (ceiling)", csv_s, ""),
        ("read into signed minor units", parse_s, f"{parse_s / csv_s:.1f}× ceiling"),
        ("COPY of the lines (ceiling)", ceiling_s, ""),
        ("import: read, check, write", import_s, f"{import_s / both:.1f}× ceilings"),
        ("reconciliation run", run_s, f"match rate {run['match_rate']:.1%}"),
        ("payout report", payouts_s, ""),
    ]
    for what, seconds, ratio in figures:
        print(f"  {what}: {seconds:.2f} s, {ROWS / seconds:,.0f} rows/s {ratio}")
    print(f"  run statuses: {run['statuses']}")
    if report is None:
        return
    section = report.add(
        Section(
            "Settlement imports and reconciliation",
            intro=(
                f"An Adyen Settlement details report of {ROWS:,} rows"
                f" ({len(content) / 1e6:.1f} MB, one batch), written from its"
                " documented columns; 100,000 ledger movements as journal rows."
            ),
            header=["step", "seconds", "rows/s", "against"],
        )
    )
    for what, seconds, ratio in figures:
        section.row(what, f"{seconds:.2f}", f"{ROWS / seconds:,.0f}", ratio)
    section.notes.append(f"Run outcome: {run['statuses']}.")
    report.target(
        "100,000-row settlement import",
        f"{import_s:.1f} s",
        "seconds",
        met=import_s < 30,
    )


def main(report: Report | None = None) -> None:
    with bench_database() as url:
        measure(url, report)


if __name__ == "__main__":
    main()
