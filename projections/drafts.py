"""Which draft orders an account has: read from the event store itself.

Drafts have no read model; their ``Created`` events name the account. A
partial expression index over those events alone (``projections.account_index``)
makes a list read only the account's drafts, however long the store's history:
the query repeats the index's expression and its topic exactly.
"""

from __future__ import annotations

from eventsourcing.postgres import PostgresApplicationRecorder
from psycopg import sql

from domain.draft import draft_uuid
from projections.account_index import DRAFT_CREATED_TOPIC, account_of


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
        sql.Literal(DRAFT_CREATED_TOPIC),  # inline: the partial index's predicate
        account_of(recorder.datastore.schema),
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
