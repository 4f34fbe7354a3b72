"""Snapshots' seals in PostgreSQL, and the key that makes them (domain/snapshots.py).

The seal table sits beside the snapshots; a seal is worth nothing without
the key, which is never written to the database: ``LEDGER_SNAPSHOT_KEY``, or
else a key file made once (``LEDGER_SNAPSHOT_KEY_FILE``, readable by its
user only), outside the embedded database's folder. Processes on one host
share the file; on several hosts, give them the same ``LEDGER_SNAPSHOT_KEY``
(otherwise each host folds the others' snapshots once per process, which is
correct, only slower).
"""

from __future__ import annotations

import contextlib
import os
import secrets
import tempfile
from pathlib import Path
from uuid import UUID

from eventsourcing.persistence import StoredEvent
from eventsourcing.postgres import PostgresDatastore
from psycopg import sql


class SnapshotSeals:
    """``<snapshots table>_seals``: one seal per (order, version)."""

    def __init__(self, datastore: PostgresDatastore, snapshots_table: str) -> None:
        self.datastore = datastore
        self.snapshots = sql.Identifier(datastore.schema, snapshots_table)
        self.table = sql.Identifier(datastore.schema, f"{snapshots_table}_seals")

    def create(self) -> None:
        with self.datastore.transaction(commit=True) as curs:
            curs.execute(
                sql.SQL(
                    "CREATE TABLE IF NOT EXISTS {} (originator_id uuid NOT NULL,"
                    " originator_version integer NOT NULL, seal text NOT NULL,"
                    " PRIMARY KEY (originator_id, originator_version))"
                ).format(self.table)
            )

    def insert(self, snapshot: StoredEvent, seal: str) -> None:
        """The snapshot and its seal, in one statement (as one insert cost).

        In autocommit: one statement is atomic, and no BEGIN or COMMIT is sent.
        """
        with self.datastore.get_connection() as conn:
            conn.execute(
                sql.SQL(
                    "WITH snapshot AS (INSERT INTO {} (originator_id,"
                    " originator_version, topic, state) VALUES (%s, %s, %s, %s))"
                    " INSERT INTO {} VALUES (%s, %s, %s) ON CONFLICT"
                    " (originator_id, originator_version) DO UPDATE SET seal ="
                    " excluded.seal"
                ).format(self.snapshots, self.table),
                (
                    snapshot.originator_id,
                    snapshot.originator_version,
                    snapshot.topic,
                    snapshot.state,
                    snapshot.originator_id,
                    snapshot.originator_version,
                    seal,
                ),
            )

    def get(self, aggregate_id: UUID, version: int) -> str | None:
        with self.datastore.get_connection() as conn:
            row = conn.execute(
                sql.SQL(
                    "SELECT seal FROM {} WHERE originator_id = %s"
                    " AND originator_version = %s"
                ).format(self.table),
                (aggregate_id, version),
            ).fetchone()
        return str(row["seal"]) if row else None


def snapshot_key(configured: str | None, path: Path) -> bytes | None:
    """The configured key, else this host's key file at ``path`` (made if missing).

    None when there is no key and no key file can be made there: snapshots
    are then checked by folding their events, as without seals.
    """
    if configured:
        return configured.encode()
    try:
        if not path.exists():
            _make_key_file(path)
        return path.read_text().strip().encode() or None
    except OSError:
        return None


def _make_key_file(path: Path) -> None:
    """Written aside and linked in: processes starting at once agree on one key."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, aside = tempfile.mkstemp(dir=path.parent, prefix=".snapshot-key-")
    try:
        with os.fdopen(descriptor, "w") as file:  # mkstemp: mode 0600
            file.write(secrets.token_hex(32))
        # Another process may have made it first: then theirs is the key.
        with contextlib.suppress(FileExistsError):
            os.link(aside, path)
    finally:
        Path(aside).unlink()
