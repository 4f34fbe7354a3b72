"""The settlement tables, in the ledger's schema (docs/finance-schema.md).

Written under the events' rules: rows are only ever inserted. A trigger
refuses UPDATE, DELETE and TRUNCATE, so an exception's status, a batch's
proof or a run's outcome is derived from what was appended, never edited.
"""

from __future__ import annotations

from typing import Final

import psycopg
from psycopg import sql

TABLES: Final = (
    "settlement_imports",
    "settlement_batches",
    "settlement_lines",
    "settlement_mappings",
    "reconciliation_runs",
    "reconciliation_results",
    "reconciliation_exceptions",
    "reconciliation_exception_events",
)

STATEMENTS: Final = (
    """CREATE TABLE IF NOT EXISTS {schema}.settlement_imports (
        import_id text PRIMARY KEY, account text NOT NULL, provider text NOT NULL,
        checksum text NOT NULL, filename text, rows integer NOT NULL,
        actor text NOT NULL, received_at timestamptz NOT NULL,
        UNIQUE (account, provider, checksum))""",
    # One row per batch a file tells of; a batch told by two files (Klarna's
    # payout JSON and its CSV) is the union of its rows.
    """CREATE TABLE IF NOT EXISTS {schema}.settlement_batches (
        account text NOT NULL, provider text NOT NULL, batch_id text NOT NULL,
        import_id text NOT NULL, currency text NOT NULL,
        payout_amount bigint, payout_date date, payout_reference text,
        merchant_account text, carry_in bigint NOT NULL, carry_out bigint NOT NULL,
        header jsonb NOT NULL, received_at timestamptz NOT NULL,
        PRIMARY KEY (account, provider, batch_id, import_id))""",
    """CREATE TABLE IF NOT EXISTS {schema}.settlement_lines (
        line_id text PRIMARY KEY, account text NOT NULL, provider text NOT NULL,
        batch_id text NOT NULL, import_id text NOT NULL, line_no integer NOT NULL,
        line_type text NOT NULL, provider_type text NOT NULL,
        order_ref text, operation_ref text,
        provider_payment_ref text, provider_operation_ref text,
        gross bigint NOT NULL, gross_currency text, exchange_rate text,
        fee bigint NOT NULL, net bigint NOT NULL, currency text NOT NULL,
        occurred_at timestamptz, booked_at timestamptz, raw jsonb NOT NULL,
        received_at timestamptz NOT NULL)""",
    """CREATE INDEX IF NOT EXISTS settlement_lines_batch_idx
        ON {schema}.settlement_lines (account, provider, batch_id, line_no)""",
    """CREATE INDEX IF NOT EXISTS settlement_lines_received_idx
        ON {schema}.settlement_lines (account, received_at)""",
    # A user's column mapping per provider; the newest row is the one in use.
    """CREATE TABLE IF NOT EXISTS {schema}.settlement_mappings (
        account text NOT NULL, provider text NOT NULL, version integer NOT NULL,
        mapping jsonb NOT NULL, actor text NOT NULL, saved_at timestamptz NOT NULL,
        PRIMARY KEY (account, provider, version))""",
    """CREATE TABLE IF NOT EXISTS {schema}.reconciliation_runs (
        run_id text PRIMARY KEY, account text NOT NULL, as_of timestamptz NOT NULL,
        first_day date, last_day date, actor text NOT NULL,
        started_at timestamptz NOT NULL, summary jsonb NOT NULL)""",
    """CREATE INDEX IF NOT EXISTS reconciliation_runs_account_idx
        ON {schema}.reconciliation_runs (account, started_at)""",
    # Each run's outcome per settlement line, and per ledger movement not settled.
    """CREATE TABLE IF NOT EXISTS {schema}.reconciliation_results (
        run_id text NOT NULL, seq integer NOT NULL, account text NOT NULL,
        line_id text, status text NOT NULL, order_id text, operation text,
        ledger_refs jsonb NOT NULL, difference_minor bigint, age_days integer,
        exception_key text, detail jsonb NOT NULL,
        PRIMARY KEY (run_id, seq))""",
    """CREATE INDEX IF NOT EXISTS reconciliation_results_line_idx
        ON {schema}.reconciliation_results (line_id)""",
    """CREATE TABLE IF NOT EXISTS {schema}.reconciliation_exceptions (
        exception_id text PRIMARY KEY, account text NOT NULL,
        exception_key text NOT NULL, category text NOT NULL,
        opened_by_run text NOT NULL, opened_at timestamptz NOT NULL,
        detail jsonb NOT NULL, UNIQUE (account, exception_key))""",
    # What happened to an exception: resolved by a person, closed by a run
    # that explained it, reopened by a run that found it again.
    """CREATE TABLE IF NOT EXISTS {schema}.reconciliation_exception_events (
        exception_id text NOT NULL, seq integer NOT NULL, kind text NOT NULL
            CHECK (kind IN ('resolved', 'closed', 'reopened')),
        resolution text, note text, operation jsonb, actor text NOT NULL,
        run_id text, at timestamptz NOT NULL,
        PRIMARY KEY (exception_id, seq))""",
)

APPEND_ONLY: Final = """
CREATE OR REPLACE FUNCTION {schema}.settlement_reject_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the ledger''s % is append-only: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END $$;
"""
TRIGGERS: Final = (
    """CREATE OR REPLACE TRIGGER {trigger}
        BEFORE UPDATE OR DELETE ON {table}
        FOR EACH ROW EXECUTE FUNCTION {schema}.settlement_reject_change()""",
    """CREATE OR REPLACE TRIGGER {truncate}
        BEFORE TRUNCATE ON {table}
        FOR EACH STATEMENT EXECUTE FUNCTION {schema}.settlement_reject_change()""",
)


def create_tables(conn: psycopg.Connection[object], schema: str) -> None:
    name = sql.Identifier(schema)
    with conn.transaction():
        conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(name))
        for statement in STATEMENTS:
            conn.execute(sql.SQL(statement).format(schema=name))
        conn.execute(sql.SQL(APPEND_ONLY).format(schema=name))
        for table in TABLES:
            for statement in TRIGGERS:
                conn.execute(
                    sql.SQL(statement).format(
                        trigger=sql.Identifier(f"{table}_append_only"),
                        truncate=sql.Identifier(f"{table}_no_truncate"),
                        table=sql.Identifier(schema, table),
                        schema=name,
                    )
                )
