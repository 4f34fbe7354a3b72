"""The exception queue: differences a finance user works to zero.

An exception is opened by the first run that finds its difference, keyed by
what it is about (a line, a ledger movement, a batch). Its story is appended,
never edited: a person resolves it (matched by hand to an operation, accepted
as timing, written off) with a reason, or a later run closes it because a new
import or ledger event explains it; a run that finds it again reopens it.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from psycopg import Connection, Cursor, sql
from psycopg.rows import DictRow

from settlements.store import lock_account

LINE_PROBLEMS: Final = frozenset(
    {"amount_differs", "not_in_ledger", "provider_initiated"}
)
CATEGORIES: Final = {
    "amount_differs": "amount_differs",
    "not_in_ledger": "settled_not_in_ledger",
    "provider_initiated": "provider_initiated",
    "not_yet_settled": "not_settled",
    "batch_unbalanced": "unbalanced_batch",
    "batch_conflicting": "unbalanced_batch",
}
RESOLUTIONS: Final = ("matched", "timing", "write_off")
STATES: Final = ("open", "resolved", "closed")
MAX_NOTE: Final = 2000

lock = lock_account


class ExceptionError(ValueError):
    """A resolution that cannot be recorded; the message says why."""


class ExceptionNotFoundError(LookupError):
    pass


@dataclass(frozen=True)
class Resolution:
    resolution: str
    note: str
    movements: tuple[str, ...] = ()


STATE_QUERY: Final = """
SELECT x.exception_id, x.exception_key, x.category, x.opened_by_run, x.opened_at,
    x.detail, coalesce(
        (SELECT CASE e.kind WHEN 'reopened' THEN 'open' ELSE e.kind END
         FROM {schema}.reconciliation_exception_events e
         WHERE e.exception_id = x.exception_id AND e.at <= %(as_of)s
         ORDER BY e.seq DESC LIMIT 1), 'open') AS status
FROM {schema}.reconciliation_exceptions x
WHERE x.account = %(account)s AND x.opened_at <= %(as_of)s
"""


def states(
    curs: Cursor[DictRow], schema: str, account: str, as_of: datetime
) -> list[dict[str, Any]]:
    curs.execute(
        sql.SQL(STATE_QUERY + " ORDER BY x.opened_at, x.exception_id").format(
            schema=sql.Identifier(schema)
        ),
        {"account": account, "as_of": as_of},
    )
    return [dict(row) for row in curs.fetchall()]


def explained(rows: Iterable[dict[str, Any]]) -> set[str]:
    """The exception keys a run's rows show to be in order now."""
    keys: set[str] = set()
    for row in rows:
        if row["exception_key"]:
            continue
        if row["line_id"]:
            keys.add(f"line:{row['line_id']}")
            if row["status"] in ("matched", "amount_differs"):
                keys.update(f"movement:{key}" for key in row["ledger_refs"])
        elif row["status"].startswith("batch_"):
            keys.add("batch:" + row["operation"].replace(" ", ":", 1))
    return keys


def follow_run(
    conn: Connection[DictRow],
    schema: str,
    account: str,
    run_id: str,
    rows: list[dict[str, Any]],
    now: datetime,
) -> dict[str, int]:
    """Open what the run found, close what it explained, reopen what came back."""
    with conn.cursor() as curs:
        known = {x["exception_key"]: x for x in states(curs, schema, account, now)}
    problems = {row["exception_key"]: row for row in rows if row["exception_key"]}
    counts = {"opened": 0, "closed": 0, "reopened": 0}
    for key, row in problems.items():
        existing = known.get(key)
        if existing is None:
            _open(conn, schema, account, run_id, key, row, now)
            counts["opened"] += 1
        elif existing["status"] == "closed":
            _event(
                conn, schema, existing["exception_id"], "reopened", now, run_id=run_id
            )
            counts["reopened"] += 1
    for key in explained(rows) & known.keys():
        if known[key]["status"] == "open":
            _event(
                conn, schema, known[key]["exception_id"], "closed", now, run_id=run_id
            )
            counts["closed"] += 1
    return counts


def _open(
    conn: Connection[DictRow],
    schema: str,
    account: str,
    run_id: str,
    key: str,
    row: dict[str, Any],
    now: datetime,
) -> None:
    detail = {
        "status": row["status"],
        "line_id": row["line_id"],
        "order_id": row["order_id"],
        "operation": row["operation"],
        "difference_minor": row["difference_minor"],
        **row["detail"],
    }
    conn.execute(
        sql.SQL(
            "INSERT INTO {}.reconciliation_exceptions (exception_id, account,"
            " exception_key, category, opened_by_run, opened_at, detail)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING"
        ).format(sql.Identifier(schema)),
        (
            "exc_" + uuid.uuid4().hex[:20],
            account,
            key,
            CATEGORIES[row["status"]],
            run_id,
            now,
            json.dumps(detail, default=str),
        ),
    )


def _event(
    conn: Connection[DictRow],
    schema: str,
    exception_id: str,
    kind: str,
    now: datetime,
    *,
    run_id: str | None = None,
    actor: str = "reconciliation run",
    resolution: Resolution | None = None,
) -> None:
    conn.execute(
        sql.SQL(
            "INSERT INTO {0}.reconciliation_exception_events (exception_id, seq, kind,"
            " resolution, note, operation, actor, run_id, at) SELECT %s,"
            " coalesce(max(seq), 0) + 1, %s, %s, %s, %s, %s, %s, %s"
            " FROM {0}.reconciliation_exception_events WHERE exception_id = %s"
        ).format(sql.Identifier(schema)),
        (
            exception_id,
            kind,
            resolution.resolution if resolution else None,
            resolution.note if resolution else None,
            json.dumps({"movements": list(resolution.movements)})
            if resolution
            else None,
            actor,
            run_id,
            now,
            exception_id,
        ),
    )


def resolve(
    conn: Connection[DictRow],
    schema: str,
    account: str,
    exception_id: str,
    resolution: Resolution,
    actor: str,
    now: datetime,
) -> None:
    if resolution.resolution not in RESOLUTIONS:
        msg = f"resolution must be one of {', '.join(RESOLUTIONS)}"
        raise ExceptionError(msg)
    if not resolution.note.strip() or len(resolution.note) > MAX_NOTE:
        msg = f"give the reason in a note (1 to {MAX_NOTE} characters)"
        raise ExceptionError(msg)
    with conn.transaction():
        lock(conn, account)
        with conn.cursor() as curs:
            found = [
                x
                for x in states(curs, schema, account, now)
                if x["exception_id"] == exception_id
            ]
        if not found:
            raise ExceptionNotFoundError(exception_id)
        if found[0]["status"] != "open":
            msg = f"exception {exception_id} is {found[0]['status']}, not open"
            raise ExceptionError(msg)
        is_line = found[0]["exception_key"].startswith("line:")
        if resolution.resolution == "matched" and not (
            is_line and resolution.movements
        ):
            msg = "only a settlement line is matched by hand, and to a named operation"
            raise ExceptionError(msg)
        _event(
            conn,
            schema,
            exception_id,
            "resolved",
            now,
            actor=actor,
            resolution=resolution,
        )


def hand_matches(
    curs: Cursor[DictRow], schema: str, account: str, as_of: datetime
) -> dict[str, list[str]]:
    """Lines a person matched to ledger movements, by ``as_of``."""
    curs.execute(
        sql.SQL(
            "SELECT x.exception_key, e.operation"
            " FROM {0}.reconciliation_exception_events e"
            " JOIN {0}.reconciliation_exceptions x USING (exception_id)"
            " WHERE x.account = %s AND e.kind = 'resolved' AND e.resolution = 'matched'"
            " AND e.at <= %s ORDER BY e.at"
        ).format(sql.Identifier(schema)),
        (account, as_of),
    )
    return {
        row["exception_key"].removeprefix("line:"): list(row["operation"]["movements"])
        for row in curs.fetchall()
    }


def history(
    curs: Cursor[DictRow], schema: str, exception_ids: list[str]
) -> dict[str, list[dict[str, Any]]]:
    curs.execute(
        sql.SQL(
            "SELECT exception_id, seq, kind, resolution, note, operation, actor,"
            " run_id, at"
            " FROM {}.reconciliation_exception_events WHERE exception_id = ANY(%s)"
            " ORDER BY exception_id, seq"
        ).format(sql.Identifier(schema)),
        (exception_ids,),
    )
    found: dict[str, list[dict[str, Any]]] = {}
    for row in curs.fetchall():
        found.setdefault(row["exception_id"], []).append(
            {
                "kind": row["kind"],
                "resolution": row["resolution"],
                "note": row["note"],
                "operation": (row["operation"] or {}).get("movements"),
                "actor": row["actor"],
                "run_id": row["run_id"],
                "at": row["at"].isoformat(),
            }
        )
    return found
