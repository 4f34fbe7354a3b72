"""The outbound tables, in the ledger's schema (docs/finance-schema.md)."""

from __future__ import annotations

from typing import Final

import psycopg
from psycopg import sql

STATEMENTS: Final = (
    # How far the follower has read each notification log.
    """CREATE TABLE IF NOT EXISTS {schema}.outbound_tracking (
        log_id integer PRIMARY KEY, position bigint NOT NULL)""",
    # Every order event, once, as the feed and the webhooks show it.
    """CREATE TABLE IF NOT EXISTS {schema}.account_events (
        log_id integer NOT NULL, notification_id bigint NOT NULL,
        account text NOT NULL, event_id text NOT NULL UNIQUE, type text NOT NULL,
        order_id text NOT NULL, originator_id uuid NOT NULL, version bigint NOT NULL,
        created_at timestamptz NOT NULL, business_time timestamptz,
        data jsonb NOT NULL,
        PRIMARY KEY (log_id, notification_id))""",
    """CREATE INDEX IF NOT EXISTS account_events_feed_idx
        ON {schema}.account_events (account, log_id, notification_id)""",
    """CREATE INDEX IF NOT EXISTS account_events_time_idx
        ON {schema}.account_events (account, created_at)""",
    """CREATE TABLE IF NOT EXISTS {schema}.webhook_endpoints (
        id text PRIMARY KEY, account text NOT NULL, url text NOT NULL,
        events text[] NOT NULL, description text, secret text NOT NULL,
        previous_secret text, previous_until timestamptz,
        disabled boolean NOT NULL DEFAULT false, disabled_reason text,
        deleted boolean NOT NULL DEFAULT false,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now())""",
    """CREATE INDEX IF NOT EXISTS webhook_endpoints_account_idx
        ON {schema}.webhook_endpoints (account)""",
    # One row per (endpoint, event): webhook-id is its id, stable across retries.
    """CREATE TABLE IF NOT EXISTS {schema}.webhook_deliveries (
        id text PRIMARY KEY, endpoint_id text NOT NULL, account text NOT NULL,
        log_id integer NOT NULL, notification_id bigint NOT NULL,
        order_id text NOT NULL,
        status text NOT NULL DEFAULT 'pending'
            CHECK (status IN ('pending', 'delivered', 'failed')),
        attempts integer NOT NULL DEFAULT 0,
        next_attempt_at timestamptz NOT NULL DEFAULT now(),
        lease_until timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        delivered_at timestamptz,
        UNIQUE (endpoint_id, log_id, notification_id))""",
    """CREATE INDEX IF NOT EXISTS webhook_deliveries_due_idx
        ON {schema}.webhook_deliveries (next_attempt_at) WHERE status = 'pending'""",
    """CREATE INDEX IF NOT EXISTS webhook_deliveries_order_idx
        ON {schema}.webhook_deliveries (endpoint_id, order_id, log_id, notification_id)
        WHERE status = 'pending'""",
    # Every attempt, appended: the delivery log.
    """CREATE TABLE IF NOT EXISTS {schema}.webhook_attempts (
        delivery_id text NOT NULL, attempt integer NOT NULL,
        attempted_at timestamptz NOT NULL, status_code integer,
        latency_ms double precision NOT NULL, response text, error text,
        PRIMARY KEY (delivery_id, attempt))""",
)


def create_tables(conn: psycopg.Connection[object], schema: str) -> None:
    with conn.transaction():
        for statement in STATEMENTS:
            conn.execute(sql.SQL(statement).format(schema=sql.Identifier(schema)))
