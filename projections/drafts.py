"""Which draft orders an account has: read from the event store itself.

Drafts have no read model; their ``Created`` events name the account. The
query scans the events of that one topic, so it suits a back office listing
drafts, not a hot path (see the README's note on the drafts list).
"""

from __future__ import annotations

from eventsourcing.postgres import PostgresApplicationRecorder
from psycopg import sql

from domain.draft import DraftOrder, draft_uuid

CREATED_TOPIC = f"{DraftOrder.__module__}:{DraftOrder.Created.__qualname__}"


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
        "WHERE topic = %(topic)s "
        "AND convert_from(state, 'UTF8')::jsonb ->> 'account' = %(account)s "
        "{} ORDER BY notification_id LIMIT %(limit)s"
    ).format(table, after)
    params = {
        "topic": CREATED_TOPIC,
        "account": account,
        "limit": limit,
        "after": draft_uuid(account, starting_after) if starting_after else None,
    }
    with recorder.datastore.transaction(commit=False) as curs:
        curs.execute(query, params)
        return [str(row["ref"]) for row in curs.fetchall()]
