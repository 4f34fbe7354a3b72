"""The read-only finance role reads the read models and nothing else."""

from __future__ import annotations

import uuid

import psycopg
import pytest
from psycopg import sql

from projections.finance_role import READ_MODEL_TABLES, grant_finance_role
from projections.setup import open_views
from settlements.ddl import TABLES as SETTLEMENT_TABLES
from settlements.service import Settlements


@pytest.fixture
def role(database_url: str):
    name = f"ledger_finance_{uuid.uuid4().hex[:8]}"
    yield name
    with psycopg.connect(database_url, autocommit=True) as conn:  # only what we made
        conn.execute(sql.SQL("DROP OWNED BY {}").format(sql.Identifier(name)))
        conn.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(name)))


@pytest.mark.usefixtures("pg_ledger")  # its tables must exist to be refused
def test_selects_read_models_and_nothing_else(database_url, schema, role):
    views = open_views(database_url, schema)
    Settlements(database_url, schema).close()  # the settlement tables
    grant_finance_role(database_url, schema, role, SETTLEMENT_TABLES)
    grant_finance_role(database_url, schema, role, SETTLEMENT_TABLES)  # harmless
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(sql.SQL("SET ROLE {}").format(sql.Identifier(role)))
        for table in (*READ_MODEL_TABLES, *SETTLEMENT_TABLES):
            conn.execute(
                sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(schema, table))
            )
        for forbidden in ("ledger_events", "ledger_snapshots"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(
                    sql.SQL("SELECT 1 FROM {}").format(
                        sql.Identifier(schema, forbidden)
                    )
                )
        for table in ("journal", "settlement_lines"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(
                    sql.SQL("DELETE FROM {}").format(sql.Identifier(schema, table))
                )
    for view in views:
        view.datastore.close()
