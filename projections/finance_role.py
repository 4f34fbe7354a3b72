"""A read-only PostgreSQL role for BI tools: SELECT on the read models only."""

from __future__ import annotations

from collections.abc import Sequence

import psycopg
from psycopg import sql

from projections.views import VIEWS

READ_MODEL_TABLES = tuple(table for view in VIEWS.values() for table in view.tables)


def grant_finance_role(
    url: str,
    schema: str,
    role: str = "ledger_finance",
    more_tables: Sequence[str] = (),
) -> None:
    """Create ``role`` (NOLOGIN) if missing and let it read the read models.

    ``more_tables``: other finance tables it may read (the settlements').

    It gets no privilege on the event store, the snapshots or the API keys.
    A DBA then grants it to a login role: ``GRANT ledger_finance TO metabase;``.
    """
    with psycopg.connect(url, autocommit=True) as conn:
        exists = conn.execute(
            "SELECT 1 FROM pg_roles WHERE rolname = %s", (role,)
        ).fetchone()
        if not exists:
            conn.execute(sql.SQL("CREATE ROLE {} NOLOGIN").format(sql.Identifier(role)))
        conn.execute(
            sql.SQL("GRANT USAGE ON SCHEMA {} TO {}").format(
                sql.Identifier(schema), sql.Identifier(role)
            )
        )
        tables = sql.SQL(", ").join(
            sql.Identifier(schema, t) for t in (*READ_MODEL_TABLES, *more_tables)
        )
        conn.execute(
            sql.SQL("GRANT SELECT ON {} TO {}").format(tables, sql.Identifier(role))
        )
