"""An account's events in commit order, a page at a time (SPEC §14).

The cursor is the position of the last event given, in each notification
log (one by default): ``starting_after`` resumes after it, so no event is
given twice, and none is skipped — the follower writes a log's events in
order and only once every lower one has committed (the recorder's horizon),
and a read waits until it holds every event committed before the read.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

from psycopg import sql
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb
from psycopg_pool import ConnectionPool

from outbound.events import shown

MAX_LIMIT: Final = 1000
NOT_A_CURSOR: Final = "starting_after is not a cursor this feed gave"
_FROM_URLSAFE: Final = str.maketrans("-_", "+/")


class CursorError(ValueError):
    pass


@dataclass(frozen=True)
class FeedPage:
    events: list[dict[str, Any]]
    next_cursor: str | None


def encode_cursor(positions: dict[int, int]) -> str:
    text = ",".join(
        f"{log_id}:{position}" for log_id, position in sorted(positions.items())
    )
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> dict[int, int]:
    if not cursor:
        return {}
    try:
        standard = cursor.translate(_FROM_URLSAFE) + "=" * (-len(cursor) % 4)
        text = base64.b64decode(standard, validate=True).decode()
        pairs = [part.split(":") for part in text.split(",")]
        positions = {int(log_id): int(position) for log_id, position in pairs}
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise CursorError(NOT_A_CURSOR) from None
    if any(log_id < 0 or position < 0 for log_id, position in positions.items()):
        raise CursorError(NOT_A_CURSOR)
    return positions


def read_page(  # noqa: PLR0913 - the feed's query parameters
    pool: ConnectionPool,
    schema: str,
    account: str,
    *,
    starting_after: str | None,
    limit: int,
    types: Sequence[str] = (),
) -> FeedPage:
    """Up to ``limit`` events after the cursor, oldest first, of ``types`` if given.

    With several logs the events of each log come in that log's order; a
    page takes them in order of their ids across logs.
    """
    after = decode_cursor(starting_after)
    query = sql.SQL(
        "SELECT * FROM {} WHERE account = %(account)s"
        " AND notification_id"
        " > COALESCE((%(after)s::jsonb ->> log_id::text)::bigint, 0)"
        " {types} ORDER BY notification_id, log_id LIMIT %(limit)s"
    ).format(
        sql.Identifier(schema, "account_events"),
        types=sql.SQL("AND type = ANY(%(types)s)" if types else ""),
    )
    with pool.connection() as conn:
        rows = (
            conn.cursor(row_factory=dict_row)
            .execute(
                query,
                {
                    "account": account,
                    "after": Jsonb({str(k): v for k, v in after.items()}),
                    "types": list(types),
                    "limit": limit,
                },
            )
            .fetchall()
        )
    positions = dict(after)
    for row in rows:
        positions[row["log_id"]] = row["notification_id"]
    # A full page may have more after it; a short one is the end for now.
    next_cursor = encode_cursor(positions) if positions else None
    return FeedPage([shown(row) for row in rows], next_cursor)
