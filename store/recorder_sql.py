"""SQL the horizon recorder adds to the events table; rows as notifications."""

from __future__ import annotations

from eventsourcing.persistence import Notification
from psycopg import sql
from psycopg.rows import DictRow


def quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def notification(row: DictRow) -> Notification:
    return Notification(
        id=row["notification_id"],
        originator_id=row["originator_id"],
        originator_version=row["originator_version"],
        topic=row["topic"],
        state=bytes(row["state"]),
    )


def add_columns(schema: str, table: str) -> list[sql.Composed]:
    """DDL adding the writer's xid and the log to an events table.

    Rows written before the columns existed get xid 0, which every snapshot
    counts as finished, and log 0; new rows default to their own
    transaction's xid. Conditional, so that a start-up does not take an
    ACCESS EXCLUSIVE lock on a table that already has the columns.
    """
    qualified = sql.Identifier(schema, table)
    return [
        sql.SQL(
            "DO $$ BEGIN "
            "IF NOT EXISTS (SELECT 1 FROM information_schema.columns "
            "WHERE table_schema = {schema} AND table_name = {table} "
            "AND column_name = {column}) THEN {alter} END IF; END $$"
        ).format(
            schema=sql.Literal(schema),
            table=sql.Literal(table),
            column=sql.Literal(column),
            alter=alter,
        )
        for column, alter in (
            (
                "transaction_id",
                sql.SQL(
                    "ALTER TABLE {0} ADD COLUMN transaction_id xid8 NOT NULL "
                    "DEFAULT '0'; ALTER TABLE {0} "
                    "ALTER COLUMN transaction_id SET DEFAULT pg_current_xact_id();"
                ).format(qualified),
            ),
            (
                "log_id",
                sql.SQL(
                    "ALTER TABLE {0} ADD COLUMN log_id smallint NOT NULL DEFAULT 0; "
                    "CREATE INDEX {1} ON {0} (log_id, notification_id);"
                ).format(qualified, sql.Identifier(f"{table}_log_idx")),
            ),
        )
    ]
