"""How batches and lines are shown: the summary of a batch, a line with its match."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from psycopg import Cursor, sql
from psycopg.rows import DictRow


def batch_summary(batch: dict[str, Any]) -> dict[str, Any]:
    return {
        key: batch[key]
        for key in (
            "provider",
            "batch_id",
            "currency",
            "payout_amount",
            "payout_date",
            "payout_reference",
            "balanced",
            "lines",
        )
    } | {"proof_status": batch["proof"]["status"]}


def latest_matches(
    curs: Cursor[DictRow],
    schema: str,
    account: str,
    as_of: datetime,
    line_ids: list[str],
) -> dict[str, Any]:
    """Each line's outcome in the newest run as of then."""
    curs.execute(
        sql.SQL(
            "SELECT DISTINCT ON (res.line_id) res.line_id, res.status, res.order_id,"
            " res.operation, res.difference_minor, res.ledger_refs, run.run_id"
            " FROM {0}.reconciliation_results res JOIN {0}.reconciliation_runs run"
            " USING (run_id) WHERE run.account = %s AND run.started_at <= %s"
            " AND res.line_id = ANY(%s) ORDER BY res.line_id, run.started_at DESC"
        ).format(sql.Identifier(schema)),
        (account, as_of, line_ids),
    )
    return {row["line_id"]: dict(row) for row in curs.fetchall()}


def shown_line(line: dict[str, Any], match: dict[str, Any] | None) -> dict[str, Any]:
    shown = jsonable(line)
    shown["match"] = (
        {
            "status": match["status"],
            "order_id": match["order_id"],
            "operation": match["operation"],
            "difference_minor": match["difference_minor"],
            "ledger_refs": match["ledger_refs"],
            "run_id": match["run_id"],
        }
        if match
        else {"status": "not_reconciled", "order_id": None, "operation": None,
              "difference_minor": None, "ledger_refs": [], "run_id": None}
    )  # fmt: skip
    return shown


def jsonable(row: dict[str, Any]) -> dict[str, Any]:
    shown: dict[str, Any] = json.loads(json.dumps(row, default=lambda v: v.isoformat()))
    return shown
