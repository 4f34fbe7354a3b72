"""A reconciliation run: settlement lines against the ledger, as of a moment, stored.

What a run reads is fixed by its ``as_of``: lines received, ledger movements
recorded and hand matches made by then. Run again with the same ``as_of``,
it gives the same outcome. A run as of now also moves the exception queue
(settlements/exceptions.py); a run as of the past only reports.
"""

from __future__ import annotations

import json
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Final

from psycopg import Connection, Cursor, sql
from psycopg.rows import DictRow

from domain.operations import operation_id
from settlements import exceptions
from settlements.batches import list_batches
from settlements.matching import WINDOW_AFTER, WINDOW_BEFORE, Line, Movement, match

DEFAULT_DELAY_DAYS: Final = 10


@dataclass(frozen=True)
class RunRequest:
    account: str
    as_of: datetime
    first: date | None = None
    last: date | None = None
    delay_days: int = DEFAULT_DELAY_DAYS


def lines_of(curs: Cursor[DictRow], schema: str, request: RunRequest) -> list[Line]:
    curs.execute(
        sql.SQL(
            "SELECT line_id, provider || '/' || batch_id AS batch, line_type, gross,"
            " gross_currency, coalesce(occurred_at, booked_at) AS at, order_ref,"
            " operation_ref, provider_payment_ref, provider_operation_ref"
            " FROM {}.settlement_lines WHERE account = %(account)s"
            " AND received_at <= %(as_of)s"
            " AND (%(first)s::date IS NULL"
            "  OR coalesce(booked_at, occurred_at, received_at)::date >= %(first)s)"
            " AND (%(last)s::date IS NULL"
            "  OR coalesce(booked_at, occurred_at, received_at)::date <= %(last)s)"
            " ORDER BY received_at, import_id, line_no"
        ).format(sql.Identifier(schema)),
        _params(request),
    )
    return [
        Line(
            r["line_id"],
            r["batch"],
            r["line_type"],
            r["gross"],
            r["gross_currency"],
            r["at"],
            r["order_ref"],
            r["operation_ref"],
            r["provider_payment_ref"],
            r["provider_operation_ref"],
        )
        for r in curs.fetchall()
    ]


def movements_of(
    curs: Cursor[DictRow], schema: str, request: RunRequest
) -> list[Movement]:
    """Captures and refunds recorded by ``as_of``, widened by the match window."""
    params = _params(request)
    params["start"] = (
        datetime.combine(request.first, datetime.min.time(), request.as_of.tzinfo)
        - WINDOW_AFTER
        if request.first
        else None
    )
    params["end"] = (
        datetime.combine(request.last, datetime.max.time(), request.as_of.tzinfo)
        + WINDOW_BEFORE
        if request.last
        else None
    )
    curs.execute(
        sql.SQL(
            "SELECT order_id, payment_id, kind, sum(amount)::bigint AS amount,"
            " currency,"
            " reference, occurred_at, notification_id, originator_id, version"
            " FROM {}.journal"
            " WHERE account = %(account)s AND kind IN ('capture', 'refund')"
            " AND occurred_at <= %(as_of)s"
            " AND (%(start)s::timestamptz IS NULL OR occurred_at >= %(start)s)"
            " AND (%(end)s::timestamptz IS NULL OR occurred_at <= %(end)s)"
            " GROUP BY notification_id, order_id, payment_id, kind, currency,"
            " reference, occurred_at, originator_id, version ORDER BY notification_id"
        ).format(sql.Identifier(schema)),
        params,
    )
    return [
        Movement(
            movement_key(r["order_id"], r["kind"], r["notification_id"]),
            r["order_id"],
            r["payment_id"],
            r["kind"],
            abs(r["amount"]),
            r["currency"],
            r["occurred_at"],
            r["reference"],
            operation_id(r["originator_id"], r["version"]),
        )
        for r in curs.fetchall()
    ]


def movement_key(order_id: str, kind: str, notification_id: int) -> str:
    return f"{order_id}/{kind}/{notification_id}"


def _params(request: RunRequest) -> dict[str, Any]:
    return {
        "account": request.account,
        "as_of": request.as_of,
        "first": request.first,
        "last": request.last,
    }


def outcome_rows(
    curs: Cursor[DictRow], schema: str, request: RunRequest
) -> list[dict[str, Any]]:
    """The run's results: one per line, per unsettled movement, per batch.

    Each names the exception it would open, if any.
    """
    lines = lines_of(curs, schema, request)
    movements = movements_of(curs, schema, request)
    by_hand = exceptions.hand_matches(curs, schema, request.account, request.as_of)
    outcome = match(lines, movements, by_hand)
    rows: list[dict[str, Any]] = []
    for line in lines:
        result = outcome.lines[line.line_id]
        problem = result.status in exceptions.LINE_PROBLEMS
        rows.append(
            {
                "line_id": line.line_id,
                "status": result.status,
                "order_id": result.order_id or line.order_ref,
                "operation": result.operation,
                "ledger_refs": list(result.movements),
                "difference_minor": result.difference,
                "age_days": None,
                "exception_key": f"line:{line.line_id}" if problem else None,
                "detail": {"by_hand": result.by_hand, "batch": line.batch},
            }
        )
    for movement in outcome.unsettled:
        if request.first and movement.occurred_at.date() < request.first:
            continue
        age = (request.as_of - movement.occurred_at).days
        overdue = age > request.delay_days
        rows.append(
            {
                "line_id": None,
                "status": "not_yet_settled",
                "order_id": movement.order_id,
                "operation": f"{movement.kind} {movement.reference or movement.key}",
                "ledger_refs": [movement.key],
                "difference_minor": -movement.amount,
                "age_days": age,
                "exception_key": f"movement:{movement.key}" if overdue else None,
                "detail": {"overdue": overdue, "currency": movement.currency},
            }
        )
    batches = list_batches(
        curs,
        schema,
        request.account,
        request.as_of,
        first=request.first,
        last=request.last,
    )
    for batch in batches:
        key = f"batch:{batch['provider']}:{batch['batch_id']}"
        flagged = batch["proof"]["status"] in ("unbalanced", "conflicting")
        rows.append(
            {
                "line_id": None,
                "status": f"batch_{batch['proof']['status']}",
                "order_id": None,
                "operation": f"{batch['provider']} {batch['batch_id']}",
                "ledger_refs": [],
                "difference_minor": batch["proof"]["difference_minor"],
                "age_days": None,
                "exception_key": key if flagged else None,
                "detail": {"proof": batch["proof"]},
            }
        )
    return rows


def summary_of(rows: list[dict[str, Any]]) -> dict[str, Any]:
    statuses = Counter(row["status"] for row in rows)
    to_match = (
        statuses["matched"] + statuses["amount_differs"] + statuses["not_in_ledger"]
    )
    return {
        "statuses": dict(sorted(statuses.items())),
        "lines": sum(1 for row in rows if row["line_id"]),
        "match_rate": round(statuses["matched"] / to_match, 4) if to_match else None,
        "exceptions": sum(1 for row in rows if row["exception_key"]),
    }


def execute(
    conn: Connection[DictRow],
    schema: str,
    request: RunRequest,
    actor: str,
    now: datetime,
) -> dict[str, Any]:
    """Run, store the run, and (as of now) open and close exceptions."""
    run_id = "run_" + uuid.uuid4().hex
    with conn.transaction():
        exceptions.lock(conn, request.account)
        with conn.cursor() as curs:
            rows = outcome_rows(curs, schema, request)
        summary = summary_of(rows)
        live = now - request.as_of < timedelta(seconds=1)
        if live:
            summary["queue"] = exceptions.follow_run(
                conn, schema, request.account, run_id, rows, now
            )
        conn.execute(
            sql.SQL(
                "INSERT INTO {}.reconciliation_runs (run_id, account, as_of, first_day,"
                " last_day, actor, started_at, summary) VALUES (%s, %s, %s, %s, %s, %s,"
                " %s, %s)"
            ).format(sql.Identifier(schema)),
            (
                run_id,
                request.account,
                request.as_of,
                request.first,
                request.last,
                actor,
                now,
                json.dumps(summary),
            ),
        )
        _store_results(conn, schema, request.account, run_id, rows)
    return {"run_id": run_id, "as_of": request.as_of.isoformat(), **summary}


def _store_results(
    conn: Connection[DictRow],
    schema: str,
    account: str,
    run_id: str,
    rows: list[dict[str, Any]],
) -> None:
    columns = (
        "run_id", "seq", "account", "line_id", "status", "order_id", "operation",
        "ledger_refs", "difference_minor", "age_days", "exception_key", "detail",
    )  # fmt: skip
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(schema, "reconciliation_results"),
        sql.SQL(", ").join(map(sql.Identifier, columns)),
    )
    with conn.cursor() as curs, curs.copy(statement) as copy:
        for seq, row in enumerate(rows):
            copy.write_row(
                (
                    run_id,
                    seq,
                    account,
                    row["line_id"],
                    row["status"],
                    row["order_id"],
                    row["operation"],
                    json.dumps(row["ledger_refs"]),
                    row["difference_minor"],
                    row["age_days"],
                    row["exception_key"],
                    json.dumps(row["detail"]),
                )
            )
