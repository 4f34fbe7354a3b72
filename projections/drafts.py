"""Which draft orders an account has: read from the event store itself.

Drafts have no read model; their ``Created`` events name the account. A
partial expression index over those events alone (``ensure_draft_index``)
makes a list read only the account's drafts, however long the store's
history: the query repeats the index's expression and its topic exactly.
"""

from __future__ import annotations

from eventsourcing.postgres import PostgresApplicationRecorder
from psycopg import sql

from domain.draft import DraftOrder, draft_uuid

CREATED_TOPIC = f"{DraftOrder.__module__}:{DraftOrder.Created.__qualname__}"


def _account_of(schema: str) -> sql.Composable:
    return sql.SQL("{}.ledger_event_account(state)").format(sql.Identifier(schema))


def ensure_draft_index(recorder: PostgresApplicationRecorder) -> None:
    """The function and the partial index the drafts list reads by.

    ``convert_from`` is only STABLE (it depends on the server encoding); the
    store's encoding is fixed (UTF-8) for its life, so the wrapper is declared
    IMMUTABLE, as an index expression must be.
    """
    schema = recorder.datastore.schema
    table = sql.Identifier(schema, recorder.events_table_name)
    index = sql.Identifier(f"{recorder.events_table_name}_draft_account_idx")
    with recorder.datastore.transaction(commit=True) as curs:
        curs.execute(
            sql.SQL(
                "CREATE OR REPLACE FUNCTION {}.ledger_event_account(state bytea)"
                " RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS"
                " $$ SELECT convert_from(state, 'UTF8')::jsonb ->> 'account' $$"
            ).format(sql.Identifier(schema))
        )
        curs.execute(
            sql.SQL(
                "CREATE INDEX IF NOT EXISTS {} ON {} ({}, notification_id)"
                " WHERE topic = {}"
            ).format(index, table, _account_of(schema), sql.Literal(CREATED_TOPIC))
        )


def draft_refs(
    recorder: PostgresApplicationRecorder,
    account: str,
    limit: int,
    starting_after: str | None = None,
) -> list[str]:
    """The account's draft ids, oldest first, ``limit`` after ``starting_after``."""
    table = sql.Identifier(recorder.datastore.schema, recorder.events_table_name)
    after = (
        sql.SQL(
            "AND notification_id > (SELECT notification_id FROM {} "
            "WHERE originator_id = %(after)s AND originator_version = 1)"
        ).format(table)
        if starting_after is not None
        else sql.SQL("")
    )
    query = sql.SQL(
        "SELECT convert_from(state, 'UTF8')::jsonb ->> 'draft_ref' AS ref FROM {} "
        "WHERE topic = {} AND {} = %(account)s "
        "{} ORDER BY notification_id LIMIT %(limit)s"
    ).format(
        table,
        sql.Literal(CREATED_TOPIC),  # inline: the partial index's predicate
        _account_of(recorder.datastore.schema),
        after,
    )
    params = {
        "account": account,
        "limit": limit,
        "after": draft_uuid(account, starting_after) if starting_after else None,
    }
    with recorder.datastore.transaction(commit=False) as curs:
        curs.execute(query, params)
        return [str(row["ref"]) for row in curs.fetchall()]
