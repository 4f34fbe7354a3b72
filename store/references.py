r"""The numbers an order's events of one kind carry, read in SQL.

A numbered refund needs every refund number the order already has. Decoding
the order's whole history for that made a refund of a long order as slow as
its length; this reads only the ``reference`` of the events of that topic.
``json``, not ``jsonb``: it keeps any text a stored event holds (``\u0000``
included), and only the reference itself is unescaped.
"""

from __future__ import annotations

from uuid import UUID

from eventsourcing.postgres import PostgresDatastore
from psycopg import sql


class StoredReferences:
    def __init__(self, datastore: PostgresDatastore, events_table: str) -> None:
        self.datastore = datastore
        self.statement = sql.SQL(
            "SELECT convert_from(state, 'UTF8')::json ->> 'reference' AS reference"
            " FROM {} WHERE originator_id = %s AND topic = %s"
        ).format(sql.Identifier(datastore.schema, events_table))

    def __call__(self, originator_id: UUID, topic: str) -> set[str]:
        with self.datastore.get_connection() as conn:  # one statement, autocommit
            rows = conn.execute(self.statement, (originator_id, topic), prepare=True)
            return {row["reference"] for row in rows if row["reference"] is not None}
