"""The settlements service: the one the API, the command line and the console call."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from typing import Any, Final

from psycopg import Connection, sql
from psycopg.rows import DictRow, dict_row
from psycopg_pool import ConnectionPool

from projections.setup import Projections
from settlements import exceptions, formats, reports, runs
from settlements.batches import batch_lines, list_batches
from settlements.ddl import create_tables
from settlements.exceptions import ExceptionError, Resolution
from settlements.mapping import ColumnMapping, from_document, load
from settlements.model import PROVIDERS, SettlementFileError
from settlements.shown import batch_summary, jsonable, latest_matches, shown_line
from settlements.store import write_import

MAX_FILE_BYTES: Final = 128 * 1024 * 1024


class BatchNotFoundError(LookupError):
    pass


def utc_now() -> datetime:
    return datetime.now(UTC)


class Settlements:
    def __init__(
        self,
        url: str,
        schema: str,
        projections: Projections | None = None,
        wait_seconds: float = 5.0,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.schema = schema
        self.projections = projections
        self.wait_seconds = wait_seconds
        self.clock = clock
        self.pool: ConnectionPool[Connection[DictRow]] = ConnectionPool(
            url,
            min_size=1,
            max_size=4,
            kwargs={"row_factory": dict_row, "autocommit": True},
            open=True,
            name="settlements",
        )
        with self.pool.connection() as conn:
            create_tables(conn, schema)

    def close(self) -> None:
        self.pool.close()

    @contextmanager
    def _connection(self) -> Iterator[Connection[DictRow]]:
        with self.pool.connection() as conn:
            yield conn

    def import_file(
        self,
        account: str,
        content: bytes,
        provider: str | None = None,
        filename: str | None = None,
        actor: str = "unknown",
        progress: Callable[[str], None] | None = None,
    ) -> dict[str, Any]:
        """Parse, then write whole or not at all; the same file again is the first.

        ``progress`` hears each stage as it ends (a command line prints it).
        """
        say = progress or (lambda _: None)
        if len(content) > MAX_FILE_BYTES:
            raise SettlementFileError(
                0, None, f"a file is at most {MAX_FILE_BYTES} bytes"
            )
        mapping = self.mapping(account, provider) if provider else None
        started = time.perf_counter()
        parsed = formats.read(content, provider, mapping)
        lines = sum(len(batch.lines) for batch in parsed.batches)
        say(f"read {parsed.rows:,} rows of {parsed.provider} ({_since(started)})")
        checksum = hashlib.sha256(content).hexdigest()
        with self._connection() as conn:
            outcome = write_import(
                conn,
                self.schema,
                account,
                parsed,
                checksum,
                filename,
                actor,
                self.clock(),
            )
            written = "wrote" if outcome.created else "already imported, wrote none of"
            batch_count = len(parsed.batches)
            say(f"{written} {lines:,} lines, {batch_count} batches ({_since(started)})")
            with conn.transaction(), conn.cursor() as curs:
                batches = [
                    list_batches(
                        curs,
                        self.schema,
                        account,
                        self.clock(),
                        provider=outcome.provider,
                        batch_id=batch_id,
                    )[0]
                    for batch_id in outcome.batch_ids
                ]
        return {
            "import_id": outcome.import_id,
            "created": outcome.created,
            "provider": outcome.provider,
            "checksum": checksum,
            "rows": parsed.rows,
            "batches": [batch_summary(batch) for batch in batches],
        }

    def save_mapping(
        self, account: str, provider: str, text: str, actor: str
    ) -> dict[str, Any]:
        if provider not in PROVIDERS:
            msg = f"provider must be one of {', '.join(PROVIDERS)}"
            raise ExceptionError(msg)
        mapping = load(text)
        with self._connection() as conn, conn.transaction():
            exceptions.lock(conn, account)
            row = conn.execute(
                sql.SQL(
                    "INSERT INTO {0}.settlement_mappings (account, provider, version,"
                    " mapping, actor, saved_at) SELECT %s, %s,"
                    " coalesce(max(version), 0)"
                    " + 1, %s, %s, %s FROM {0}.settlement_mappings"
                    " WHERE account = %s AND provider = %s RETURNING version"
                ).format(sql.Identifier(self.schema)),
                (
                    account,
                    provider,
                    mapping.as_json(),
                    actor,
                    self.clock(),
                    account,
                    provider,
                ),
            ).fetchone()
        assert row is not None  # noqa: S101 - INSERT … RETURNING
        return {"provider": provider, "version": row["version"], "mapping": mapping.raw}

    def mapping(self, account: str, provider: str) -> ColumnMapping | None:
        saved = self.saved_mapping(account, provider)
        return from_document(saved["mapping"]) if saved else None

    def saved_mapping(self, account: str, provider: str) -> dict[str, Any] | None:
        """The newest mapping saved for the provider, with its version."""
        with self._connection() as conn:
            row = conn.execute(
                sql.SQL(
                    "SELECT provider, version, mapping FROM {}.settlement_mappings"
                    " WHERE account = %s AND provider = %s"
                    " ORDER BY version DESC LIMIT 1"
                ).format(sql.Identifier(self.schema)),
                (account, provider),
            ).fetchone()
        return dict(row) if row else None

    def batches(
        self,
        account: str,
        provider: str | None = None,
        first: date | None = None,
        last: date | None = None,
        as_of: datetime | None = None,
    ) -> list[dict[str, Any]]:
        with self._connection() as conn, conn.transaction(), conn.cursor() as curs:
            found = list_batches(
                curs, self.schema, account, as_of or self.clock(), provider, first, last
            )
        return [batch_summary(batch) | {"proof": batch["proof"]} for batch in found]

    def batch(
        self, account: str, provider: str, batch_id: str, as_of: datetime | None = None
    ) -> dict[str, Any]:
        moment = as_of or self.clock()
        with self._connection() as conn, conn.transaction(), conn.cursor() as curs:
            found = list_batches(
                curs, self.schema, account, moment, provider=provider, batch_id=batch_id
            )
            if not found:
                raise BatchNotFoundError(f"{provider}/{batch_id}")
            lines = batch_lines(curs, self.schema, account, provider, batch_id)
            matches = latest_matches(
                curs, self.schema, account, moment, [x["line_id"] for x in lines]
            )
            (payout,) = reports.payouts(
                curs, self.schema, account, moment, batch=(provider, batch_id)
            )
        return {
            **found[0],
            "fees_by_type": payout["fees_by_type"],
            "lines": [shown_line(line, matches.get(line["line_id"])) for line in lines],
        }

    def reconcile(
        self,
        account: str,
        first: date | None = None,
        last: date | None = None,
        as_of: datetime | None = None,
        actor: str = "unknown",
        delay_days: int = runs.DEFAULT_DELAY_DAYS,
    ) -> dict[str, Any]:
        if self.projections is not None:
            self.projections.fresh_for(account, self.wait_seconds)
        now = self.clock()
        request = runs.RunRequest(
            account, min(as_of or now, now), first, last, delay_days
        )
        with self._connection() as conn:
            return runs.execute(conn, self.schema, request, actor, now)

    def run(self, account: str, run_id: str) -> dict[str, Any]:
        with self._connection() as conn, conn.transaction(), conn.cursor() as curs:
            curs.execute(
                sql.SQL(
                    "SELECT run_id, as_of, first_day, last_day, actor, started_at,"
                    " summary"
                    " FROM {}.reconciliation_runs WHERE account = %s AND run_id = %s"
                ).format(sql.Identifier(self.schema)),
                (account, run_id),
            )
            run = curs.fetchone()
            if run is None:
                raise BatchNotFoundError(run_id)
            curs.execute(
                sql.SQL(
                    "SELECT line_id, status, order_id, operation, ledger_refs,"
                    " difference_minor, age_days, exception_key, detail"
                    " FROM {}.reconciliation_results WHERE run_id = %s ORDER BY seq"
                ).format(sql.Identifier(self.schema)),
                (run_id,),
            )
            results = [dict(row) for row in curs.fetchall()]
        return {**jsonable(dict(run)), "results": results}

    def exceptions(
        self, account: str, status: str | None = None, as_of: datetime | None = None
    ) -> list[dict[str, Any]]:
        if status is not None and status not in exceptions.STATES:
            msg = f"status must be one of {', '.join(exceptions.STATES)}"
            raise ExceptionError(msg)
        moment = as_of or self.clock()
        with self._connection() as conn, conn.transaction(), conn.cursor() as curs:
            found = [
                x
                for x in exceptions.states(curs, self.schema, account, moment)
                if status in (None, x["status"])
            ]
            stories = exceptions.history(
                curs, self.schema, [x["exception_id"] for x in found]
            )
        return [
            {
                "id": x["exception_id"],
                "key": x["exception_key"],
                "category": x["category"],
                "status": x["status"],
                "opened_at": x["opened_at"].isoformat(),
                "opened_by_run": x["opened_by_run"],
                "age_days": (moment - x["opened_at"]).days,
                "detail": x["detail"],
                "history": stories.get(x["exception_id"], []),
            }
            for x in found
        ]

    def resolve(
        self,
        account: str,
        exception_id: str,
        resolution: str,
        note: str,
        operation: dict[str, Any] | None = None,
        actor: str = "unknown",
    ) -> dict[str, Any]:
        movements = self._movements_named(account, operation) if operation else ()
        with self._connection() as conn:
            exceptions.resolve(
                conn,
                self.schema,
                account,
                exception_id,
                Resolution(resolution, note, movements),
                actor,
                self.clock(),
            )
        return next(x for x in self.exceptions(account) if x["id"] == exception_id)

    def _movements_named(
        self, account: str, operation: dict[str, Any]
    ) -> tuple[str, ...]:
        """The ledger movement an operation names: order, kind, and its reference."""
        order_id, kind = operation.get("order_id"), operation.get("kind")
        reference = operation.get("reference")
        if not isinstance(order_id, str) or kind not in ("capture", "refund"):
            msg = "operation names an order_id and a kind (capture or refund)"
            raise ExceptionError(msg)
        with self._connection() as conn:
            rows = conn.execute(
                sql.SQL(
                    "SELECT DISTINCT notification_id, reference FROM {}.journal"
                    " WHERE account = %s AND order_id = %s AND kind = %s"
                    " ORDER BY notification_id"
                ).format(sql.Identifier(self.schema)),
                (account, order_id, kind),
            ).fetchall()
        chosen = [r for r in rows if reference in (None, r["reference"])]
        if len(chosen) != 1:
            msg = (
                f"order {order_id} has no {kind} like that"
                if not chosen
                else f"order {order_id} has {len(chosen)} {kind}s: name its reference"
            )
            raise ExceptionError(msg)
        return (runs.movement_key(order_id, kind, chosen[0]["notification_id"]),)

    def payouts(
        self,
        account: str,
        first: date | None = None,
        last: date | None = None,
        as_of: datetime | None = None,
    ) -> list[dict[str, Any]]:
        with self._connection() as conn, conn.transaction(), conn.cursor() as curs:
            return reports.payouts(
                curs, self.schema, account, as_of or self.clock(), first, last
            )

    def period(
        self, account: str, first: date, last: date, as_of: datetime | None = None
    ) -> list[dict[str, Any]]:
        if self.projections is not None:
            self.projections.fresh_for(account, self.wait_seconds)
        with self._connection() as conn, conn.transaction(), conn.cursor() as curs:
            return reports.period(
                curs, self.schema, account, as_of or self.clock(), first, last
            )


def _since(started: float) -> str:
    return f"{time.perf_counter() - started:.2f} s"
