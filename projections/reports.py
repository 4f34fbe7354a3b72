"""The finance reports, one service for the command line and HTTP.

Each report first waits until the read models hold every event committed
before it (SPEC §10: fresh or loud), then reads them in one transaction.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

from projections import queries, reconciliation
from projections.queries import SETTLEMENT_COLUMNS
from projections.setup import Projections
from projections.spreadsheet import safe_cell, safe_row

DEFAULT_WAIT_SECONDS = 5.0


class FinanceReports:
    def __init__(
        self, projections: Projections, wait_seconds: float = DEFAULT_WAIT_SECONDS
    ) -> None:
        self.projections = projections
        self.wait_seconds = wait_seconds

    def settlement(
        self,
        account: str,
        first: date,
        last: date,
        as_of: datetime | None = None,
    ) -> list[dict[str, Any]]:
        """One row per day, currency and payment id; ``as_of`` as it stood then."""
        self.projections.fresh_for(account, self.wait_seconds)
        with self.projections.reading() as curs:
            return queries.settlement(
                curs, self.projections.schema, account, first, last, as_of
            )

    def reconcile(
        self, account: str, rows: Sequence[reconciliation.SettlementRow]
    ) -> reconciliation.Reconciliation:
        """A PSP settlement file's rows against the ledger's movements of its days."""
        self.projections.fresh_for(account, self.wait_seconds)
        if not rows:
            return reconciliation.Reconciliation()
        first, last = min(r.date for r in rows), max(r.date for r in rows)
        with self.projections.reading() as curs:
            movements = queries.movements(
                curs, self.projections.schema, account, first, last
            )
        return reconciliation.reconcile(list(rows), movements)


def settlement_csv(rows: list[dict[str, Any]]) -> str:
    """The settlement rows as CSV, with SPEC §7's header; formula cells defused."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=SETTLEMENT_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(
        {key: safe_cell(cell) for key, cell in row.items()} for row in rows
    )
    return out.getvalue()


ORDER_CSV_COLUMNS = (
    "order_id",
    "merchant_reference",
    "status",
    "currency",
    *queries.TOTAL_COLUMNS,
    "payment_ids",
    "created_at",
    "updated_at",
    "authorization_expires_at",
)


def orders_csv(rows: Iterable[dict[str, Any]]) -> str:
    """Order summaries as CSV (amounts in minor units); formula cells defused."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(ORDER_CSV_COLUMNS)
    for row in rows:
        cells = {
            **row,
            "payment_ids": " ".join(row["payment_ids"]),
            **{
                key: row[key].isoformat() if row[key] else ""
                for key in ("created_at", "updated_at", "authorization_expires_at")
            },
        }
        writer.writerow(safe_row(cells[column] for column in ORDER_CSV_COLUMNS))
    return out.getvalue()
