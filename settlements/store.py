"""Imports, batches and lines: written once, in one transaction, read as batches.

The same file twice (account + provider + checksum) is the first import. A
batch may take its lines from one file and its declared payout from one
(Klarna's payout JSON declares, its CSV itemizes); a second file that would
add lines to a batch, or declare another payout for it, is refused whole.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Final

from psycopg import Connection, sql
from psycopg.rows import DictRow

from settlements.model import ParsedFile, SettlementBatch, SettlementLine

LINE_COLUMNS: Final = (
    "line_id",
    "account",
    "provider",
    "batch_id",
    "import_id",
    "line_no",
    "line_type",
    "provider_type",
    "order_ref",
    "operation_ref",
    "provider_payment_ref",
    "provider_operation_ref",
    "gross",
    "gross_currency",
    "exchange_rate",
    "fee",
    "net",
    "currency",
    "occurred_at",
    "booked_at",
    "raw",
    "received_at",
)


class SettlementConflictError(ValueError):
    """A file that contradicts what an earlier import recorded."""


@dataclass(frozen=True)
class ImportOutcome:
    import_id: str
    created: bool
    provider: str
    batch_ids: tuple[str, ...]


def lock_account(conn: Connection[DictRow], account: str) -> None:
    """Imports, runs and resolutions of one account, one at a time."""
    conn.execute(
        "SELECT pg_advisory_xact_lock(hashtext('settlements:' || %s))", (account,)
    )


def write_import(
    conn: Connection[DictRow],
    schema: str,
    account: str,
    parsed: ParsedFile,
    checksum: str,
    filename: str | None,
    actor: str,
    now: datetime,
) -> ImportOutcome:
    ident = sql.Identifier(schema)
    with conn.transaction():
        lock_account(conn, account)
        found = conn.execute(
            sql.SQL(
                "SELECT import_id FROM {}.settlement_imports"
                " WHERE account = %s AND provider = %s AND checksum = %s"
            ).format(ident),
            (account, parsed.provider, checksum),
        ).fetchone()
        if found is not None:
            batch_ids = _batch_ids_of(conn, schema, found["import_id"])
            return ImportOutcome(
                found["import_id"],
                created=False,
                provider=parsed.provider,
                batch_ids=batch_ids,
            )
        import_id = "imp_" + uuid.uuid4().hex
        batches = [_checked(conn, schema, account, batch) for batch in parsed.batches]
        conn.execute(
            sql.SQL(
                "INSERT INTO {}.settlement_imports (import_id, account, provider,"
                " checksum, filename, rows, actor, received_at)"
                " VALUES (%s, %s, %s, %s, %s, %s, %s, %s)"
            ).format(ident),
            (
                import_id,
                account,
                parsed.provider,
                checksum,
                filename,
                parsed.rows,
                actor,
                now,
            ),
        )
        for batch in batches:
            _insert_batch(conn, schema, account, import_id, batch, now)
        return ImportOutcome(
            import_id,
            created=True,
            provider=parsed.provider,
            batch_ids=tuple(b.batch_id for b in batches),
        )


def _batch_ids_of(
    conn: Connection[DictRow], schema: str, import_id: str
) -> tuple[str, ...]:
    rows = conn.execute(
        sql.SQL(
            "SELECT batch_id FROM {}.settlement_batches WHERE import_id = %s"
            " ORDER BY batch_id"
        ).format(sql.Identifier(schema)),
        (import_id,),
    ).fetchall()
    return tuple(row["batch_id"] for row in rows)


def _checked(
    conn: Connection[DictRow], schema: str, account: str, batch: SettlementBatch
) -> SettlementBatch:
    parts = conn.execute(
        sql.SQL(
            "SELECT b.currency, b.payout_amount, b.import_id,"
            " EXISTS (SELECT 1 FROM {0}.settlement_lines l"
            "  WHERE l.import_id = b.import_id"
            "  AND l.provider = b.provider AND l.batch_id = b.batch_id) AS has_lines"
            " FROM {0}.settlement_batches b"
            " WHERE b.account = %s AND b.provider = %s AND b.batch_id = %s"
        ).format(sql.Identifier(schema)),
        (account, batch.provider, batch.batch_id),
    ).fetchall()
    if not batch.currency:
        if not parts:
            msg = (
                f"batch {batch.batch_id}: these lines do not name their currency;"
                " import the settlement that declares it first"
            )
            raise SettlementConflictError(msg)
        currency = parts[0]["currency"]
        batch = replace(
            batch,
            currency=currency,
            lines=[_in_currency(line, currency) for line in batch.lines],
        )
    for part in parts:
        where = f"batch {batch.batch_id} (import {part['import_id']})"
        if part["currency"] != batch.currency:
            msg = f"{where} is settled in {part['currency']}, not {batch.currency}"
            raise SettlementConflictError(msg)
        if batch.lines and part["has_lines"]:
            msg = f"{where} already has its lines; a changed report is refused"
            raise SettlementConflictError(msg)
        declared = part["payout_amount"]
        if (
            None not in (declared, batch.payout_amount)
            and declared != batch.payout_amount
        ):
            msg = (
                f"{where} declared a payout of {declared},"
                f" this file {batch.payout_amount}"
            )
            raise SettlementConflictError(msg)
    return batch


def _in_currency(line: SettlementLine, currency: str) -> SettlementLine:
    return replace(
        line, currency=currency, gross_currency=line.gross_currency or currency
    )


def _insert_batch(
    conn: Connection[DictRow],
    schema: str,
    account: str,
    import_id: str,
    batch: SettlementBatch,
    now: datetime,
) -> None:
    conn.execute(
        sql.SQL(
            "INSERT INTO {}.settlement_batches (account, provider, batch_id, import_id,"
            " currency, payout_amount, payout_date, payout_reference, merchant_account,"
            " carry_in, carry_out, header, received_at)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
        ).format(sql.Identifier(schema)),
        (
            account,
            batch.provider,
            batch.batch_id,
            import_id,
            batch.currency,
            batch.payout_amount,
            batch.payout_date,
            batch.payout_reference,
            batch.merchant_account,
            batch.carry_in,
            batch.carry_out,
            json.dumps(batch.header),
            now,
        ),
    )
    copy_statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(schema, "settlement_lines"),
        sql.SQL(", ").join(map(sql.Identifier, LINE_COLUMNS)),
    )
    with conn.cursor() as cursor, cursor.copy(copy_statement) as copy:
        for row in _line_rows(account, import_id, batch, now):
            copy.write_row(row)


def _line_rows(
    account: str, import_id: str, batch: SettlementBatch, now: datetime
) -> Iterator[tuple[Any, ...]]:
    for line in batch.lines:
        yield (
            f"{import_id}.{line.line_no}",
            account,
            batch.provider,
            batch.batch_id,
            import_id,
            line.line_no,
            line.line_type,
            line.provider_type,
            line.order_ref,
            line.operation_ref,
            line.provider_payment_ref,
            line.provider_operation_ref,
            line.gross,
            line.gross_currency,
            line.exchange_rate,
            line.fee,
            line.net,
            line.currency,
            line.occurred_at,
            line.booked_at,
            json.dumps(line.raw),
            now,
        )
