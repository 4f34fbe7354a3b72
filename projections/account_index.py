"""An account's aggregates found in the event store itself, by index.

An order's ``Opened`` event and a draft's ``Created`` event name the
account. A partial expression index over each of those topics lets a read
find one account's orders or drafts without walking the store's history
(the drafts list, an account's audit). The index is of the store, not a read
model: what it finds is what the first stored event says.
"""

from __future__ import annotations

from typing import Final
from uuid import UUID

from eventsourcing.postgres import PostgresApplicationRecorder
from eventsourcing.utils import get_topic
from psycopg import sql

from domain.draft import DraftOrder
from domain.order import Order

OPENED_TOPIC: Final = get_topic(Order.Opened)
DRAFT_CREATED_TOPIC: Final = get_topic(DraftOrder.Created)
# Each first event's topic → the name its index ends with.
FIRST_EVENTS: Final = {
    DRAFT_CREATED_TOPIC: "draft_account_idx",
    OPENED_TOPIC: "order_account_idx",
}


def account_of(schema: str) -> sql.Composable:
    """The indexed expression: a stored event's ``account``, as text."""
    return sql.SQL("{}.ledger_event_account(state)").format(sql.Identifier(schema))


def ensure_account_indexes(recorder: PostgresApplicationRecorder) -> None:
    """The function and the partial indexes the account reads use.

    ``convert_from`` is only STABLE (it depends on the server encoding); the
    store's encoding is fixed (UTF-8) for its life, so the wrapper is declared
    IMMUTABLE, as an index expression must be.
    """
    schema = recorder.datastore.schema
    table = sql.Identifier(schema, recorder.events_table_name)
    with recorder.datastore.transaction(commit=True) as curs:
        curs.execute(
            sql.SQL(
                "CREATE OR REPLACE FUNCTION {}.ledger_event_account(state bytea)"
                " RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS"
                " $$ SELECT convert_from(state, 'UTF8')::jsonb ->> 'account' $$"
            ).format(sql.Identifier(schema))
        )
        for topic, suffix in FIRST_EVENTS.items():
            index = sql.Identifier(f"{recorder.events_table_name}_{suffix}")
            curs.execute(
                sql.SQL(
                    "CREATE INDEX IF NOT EXISTS {} ON {} ({}, notification_id)"
                    " WHERE topic = {}"
                ).format(index, table, account_of(schema), sql.Literal(topic))
            )


def account_event_count(recorder: PostgresApplicationRecorder, account: str) -> int:
    """How many events the account's orders and drafts have (a walk's length)."""
    table = sql.Identifier(recorder.datastore.schema, recorder.events_table_name)
    ids = account_aggregates(recorder, account)
    with recorder.datastore.transaction(commit=False) as curs:
        curs.execute(
            sql.SQL(
                "SELECT count(*) AS n FROM {} WHERE originator_id = ANY(%s)"
            ).format(table),
            (ids,),
        )
        row = curs.fetchone()
    return int(row["n"]) if row else 0


def account_aggregates(
    recorder: PostgresApplicationRecorder, account: str
) -> list[UUID]:
    """The account's orders and drafts, in the order they were first stored."""
    schema = recorder.datastore.schema
    table = sql.Identifier(schema, recorder.events_table_name)
    # One branch per topic, its predicate inline, so each reads its own index.
    branches = sql.SQL(" UNION ALL ").join(
        sql.SQL(
            "(SELECT originator_id, notification_id FROM {} WHERE topic = {}"
            " AND {} = %(account)s)"
        ).format(table, sql.Literal(topic), account_of(schema))
        for topic in FIRST_EVENTS
    )
    query = sql.SQL("SELECT originator_id FROM ({}) found ORDER BY notification_id")
    with recorder.datastore.transaction(commit=False) as curs:
        curs.execute(query.format(branches), {"account": account})
        return [UUID(str(row["originator_id"])) for row in curs.fetchall()]
