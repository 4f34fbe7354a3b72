"""Read-model tables (see docs/finance-schema.md) and the rows written to them."""

from __future__ import annotations

from typing import Any

from domain.order import Order

BALANCES = (
    """CREATE TABLE IF NOT EXISTS {schema}.line_balances (
        account text NOT NULL, order_id text NOT NULL, line_id integer NOT NULL,
        item_id text NOT NULL, description text NOT NULL, currency text NOT NULL,
        gross_amount bigint NOT NULL, reverses_line_id integer,
        authorized bigint NOT NULL, captured bigint NOT NULL,
        refunded bigint NOT NULL, released bigint NOT NULL,
        outstanding_authorized bigint NOT NULL, refundable bigint NOT NULL,
        PRIMARY KEY (account, order_id, line_id))""",
    """CREATE TABLE IF NOT EXISTS {schema}.payment_authorizations (
        account text NOT NULL, order_id text NOT NULL, payment_id text NOT NULL,
        first_authorized_at timestamptz NOT NULL,
        PRIMARY KEY (account, order_id, payment_id))""",
    """CREATE TABLE IF NOT EXISTS {schema}.payment_balances (
        account text NOT NULL, order_id text NOT NULL, payment_id text NOT NULL,
        currency text NOT NULL,
        authorized bigint NOT NULL, captured bigint NOT NULL,
        refunded bigint NOT NULL, released bigint NOT NULL,
        outstanding_authorized bigint NOT NULL, refundable bigint NOT NULL,
        first_authorized_at timestamptz, expires_at timestamptz,
        PRIMARY KEY (account, order_id, payment_id))""",
    """CREATE INDEX IF NOT EXISTS payment_balances_payment_idx
        ON {schema}.payment_balances (account, payment_id)""",
    """CREATE TABLE IF NOT EXISTS {schema}.order_summaries (
        account text NOT NULL, order_id text NOT NULL, currency text NOT NULL,
        status text NOT NULL, version integer NOT NULL, gross_amount bigint NOT NULL,
        authorized bigint NOT NULL, captured bigint NOT NULL,
        refunded bigint NOT NULL, released bigint NOT NULL,
        outstanding_authorized bigint NOT NULL, refundable bigint NOT NULL,
        payment_ids text[] NOT NULL,
        created_at timestamptz NOT NULL, updated_at timestamptz NOT NULL,
        oldest_authorized_at timestamptz, authorization_expires_at timestamptz,
        merchant_reference text,
        PRIMARY KEY (account, order_id))""",
    # Tables made before the column existed get it (and rows, on a rebuild).
    """ALTER TABLE {schema}.order_summaries
        ADD COLUMN IF NOT EXISTS merchant_reference text""",
    """CREATE INDEX IF NOT EXISTS order_summaries_reference_idx
        ON {schema}.order_summaries (account, merchant_reference)""",
    """CREATE INDEX IF NOT EXISTS order_summaries_created_idx
        ON {schema}.order_summaries (account, created_at, order_id)""",
    """CREATE INDEX IF NOT EXISTS order_summaries_updated_idx
        ON {schema}.order_summaries (account, updated_at)""",
    # A status filter (the order lists', the console's) reads its own orders,
    # in list order: one that matches nothing reads nothing.
    """CREATE INDEX IF NOT EXISTS order_summaries_status_idx
        ON {schema}.order_summaries (account, status, created_at, order_id)""",
)

JOURNAL = (
    """CREATE TABLE IF NOT EXISTS {schema}.journal (
        account text NOT NULL, order_id text NOT NULL, line_id integer NOT NULL,
        payment_id text NOT NULL, kind text NOT NULL
            CHECK (kind IN ('authorization', 'capture', 'refund', 'release')),
        amount bigint NOT NULL, currency text NOT NULL,
        occurred_at timestamptz NOT NULL, originator_id uuid NOT NULL,
        version integer NOT NULL, notification_id bigint NOT NULL,
        reference text, capture_reference text, seq integer NOT NULL,
        PRIMARY KEY (notification_id, seq))""",
    """CREATE INDEX IF NOT EXISTS journal_account_time_idx
        ON {schema}.journal (account, occurred_at)""",
    """CREATE INDEX IF NOT EXISTS journal_order_idx
        ON {schema}.journal (account, order_id)""",
    # The journal summed per UTC day, currency, payment and kind, written with
    # it: a month's settlement report reads a few thousand of these rows, not
    # millions of journal rows.
    """CREATE TABLE IF NOT EXISTS {schema}.journal_days (
        account text NOT NULL, day date NOT NULL, currency text NOT NULL,
        payment_id text NOT NULL, kind text NOT NULL, amount bigint NOT NULL,
        PRIMARY KEY (account, day, currency, payment_id, kind))""",
    # A journal projected before the table existed fills it once.
    """DO $$ BEGIN
        IF NOT EXISTS (SELECT 1 FROM {schema}.journal_days)
            AND EXISTS (SELECT 1 FROM {schema}.journal) THEN
            INSERT INTO {schema}.journal_days
            SELECT account, (occurred_at AT TIME ZONE 'UTC')::date, currency,
                payment_id, kind, sum(amount)
            FROM {schema}.journal GROUP BY 1, 2, 3, 4, 5;
        END IF;
    END $$""",
)

UPSERT_JOURNAL_DAY = """
INSERT INTO {schema}.journal_days (account, day, currency, payment_id, kind, amount)
VALUES (%s, %s, %s, %s, %s, %s)
ON CONFLICT (account, day, currency, payment_id, kind)
DO UPDATE SET amount = journal_days.amount + EXCLUDED.amount
"""

# Shared by the views: one row per event a view set aside (poison isolation).
DEAD_LETTERS = (
    """CREATE TABLE IF NOT EXISTS {schema}.projection_dead_letters (
        view_name text NOT NULL, notification_id bigint NOT NULL,
        originator_id uuid NOT NULL, originator_version bigint NOT NULL,
        topic text NOT NULL, reason text NOT NULL,
        recorded_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (view_name, notification_id))""",
)

INSERT_FIRST_AUTHORIZATION = """INSERT INTO {schema}.payment_authorizations
    VALUES (%s, %s, %s, %s) ON CONFLICT DO NOTHING"""

INSERT_PAYMENT = """INSERT INTO {schema}.payment_balances
    SELECT %s, %s, %s, %s, %s, %s, %s, %s, %s, %s,
        (SELECT first_authorized_at FROM {schema}.payment_authorizations a
         WHERE a.account = %s AND a.order_id = %s AND a.payment_id = %s),
        %s"""

UPSERT_SUMMARY = """INSERT INTO {schema}.order_summaries
    SELECT %(account)s, %(order_id)s, %(currency)s, %(status)s, %(version)s,
        %(gross)s, %(authorized)s, %(captured)s, %(refunded)s, %(released)s,
        %(outstanding)s, %(refundable)s, %(payment_ids)s, %(created_at)s,
        %(updated_at)s, min(p.first_authorized_at), min(p.expires_at),
        %(merchant_reference)s
    FROM (SELECT 1) one LEFT JOIN {schema}.payment_balances p
        ON p.account = %(account)s AND p.order_id = %(order_id)s
        AND p.outstanding_authorized <> 0
    ON CONFLICT (account, order_id) DO UPDATE SET
        status = excluded.status, version = excluded.version,
        gross_amount = excluded.gross_amount, authorized = excluded.authorized,
        captured = excluded.captured, refunded = excluded.refunded,
        released = excluded.released,
        outstanding_authorized = excluded.outstanding_authorized,
        refundable = excluded.refundable, payment_ids = excluded.payment_ids,
        updated_at = excluded.updated_at,
        oldest_authorized_at = excluded.oldest_authorized_at,
        authorization_expires_at = excluded.authorization_expires_at,
        merchant_reference = excluded.merchant_reference"""


def line_rows(order: Order) -> list[tuple[Any, ...]]:
    rows = []
    for line in order.lines:
        b = line.balance()
        rows.append(
            (
                order.account,
                order.order_ref,
                line.line_id,
                line.item.item_id,
                line.item.description,
                order.currency,
                line.item.gross_amount,
                line.item.reverses,
                b.authorized,
                b.captured,
                b.refunded,
                b.released,
                b.outstanding_authorized,
                order.refundable(line.line_id),
            )
        )
    return rows


def payment_rows(order: Order) -> list[tuple[Any, ...]]:
    rows = []
    for pid in order.payment_ids:
        b = order.totals(pid)
        rows.append(
            (
                order.account,
                order.order_ref,
                pid,
                order.currency,
                b.authorized,
                b.captured,
                b.refunded,
                b.released,
                b.outstanding_authorized,
                order.total_refundable(pid),
                order.account,
                order.order_ref,
                pid,
                order.expiry.get(pid),
            )
        )
    return rows


def summary_row(order: Order) -> dict[str, Any]:
    b = order.totals()
    return {
        "account": order.account,
        "order_id": order.order_ref,
        "currency": order.currency,
        "status": str(order.status),
        "version": order.version,
        "gross": order.gross_total,
        "authorized": b.authorized,
        "captured": b.captured,
        "refunded": b.refunded,
        "released": b.released,
        "outstanding": b.outstanding_authorized,
        "refundable": order.total_refundable(),
        "payment_ids": order.payment_ids,
        "created_at": order.created_on,
        "updated_at": order.modified_on,
        "merchant_reference": (
            order.details.merchant_reference if order.details else None
        ),
    }
