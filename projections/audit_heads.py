"""What the whole-store audit has verified, kept so a rerun reads only what is new.

One row per aggregate: the version its chain was verified through and the
hash at that version (the head a later event must chain to), or where it
broke. One row for the store: the notification id every event up to which
has been verified. Both are written only by the whole-store audit, in one
transaction, after its walk. An account's or an order's audit re-reads all
of that account's or order's events and never trusts these rows; the
console's order page does (``ChainVerifier.verify_order``) and says so.

Trusting the rows is what makes a rerun incremental: an event changed after
it was verified is found by ``ledger audit verify --full``, which rewrites
them from the first event.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from uuid import UUID

from eventsourcing.postgres import PostgresApplicationRecorder
from psycopg import sql

from domain.chain import GENESIS

HEADS = "ledger_audit_heads"
POSITION = "ledger_audit_position"


@dataclass(frozen=True)
class BrokenChain:
    order_id: str
    version: int
    reason: str


@dataclass
class Chain:
    """One aggregate's chain as verified so far."""

    ref: str = "?"
    account: str | None = None
    version: int = 0
    head: str = GENESIS
    hashed: bool = False  # seen an event that was stored with its hash
    broken: BrokenChain | None = None
    is_order: bool = False  # drafts are chained too, but are not orders


def _chain(row: dict[str, object]) -> Chain:
    version, reason = row.pop("broken_version"), row.pop("broken_reason")
    chain = Chain(**row)  # type: ignore[arg-type]
    if isinstance(version, int) and isinstance(reason, str):
        chain.broken = BrokenChain(chain.ref, version, reason)
    return chain


class AuditHeads:
    """The audit's kept heads and position, in the event store's schema."""

    def __init__(self, recorder: PostgresApplicationRecorder) -> None:
        self.datastore = recorder.datastore
        schema = recorder.datastore.schema
        self.heads = sql.Identifier(schema, HEADS)
        self.position_table = sql.Identifier(schema, POSITION)

    def ensure(self) -> None:
        with self.datastore.transaction(commit=True) as curs:
            # CREATE … IF NOT EXISTS is not safe against itself at once.
            curs.execute(
                "SELECT pg_advisory_xact_lock(hashtext(%s))",
                (f"{self.datastore.schema}.{HEADS}",),
            )
            curs.execute(
                sql.SQL(
                    "CREATE TABLE IF NOT EXISTS {} (originator_id uuid PRIMARY KEY,"
                    " ref text NOT NULL, account text, version integer NOT NULL,"
                    " head text NOT NULL, hashed boolean NOT NULL,"
                    " is_order boolean NOT NULL, broken_version integer,"
                    " broken_reason text)"
                ).format(self.heads)
            )
            curs.execute(
                sql.SQL(
                    "CREATE TABLE IF NOT EXISTS {} (one boolean PRIMARY KEY"
                    " DEFAULT true CHECK (one), position bigint NOT NULL,"
                    " events bigint NOT NULL,"
                    " verified_at timestamptz NOT NULL DEFAULT now())"
                ).format(self.position_table)
            )

    def position(self) -> tuple[int, int]:
        """The last verified notification id, and how many events it covers."""
        with self.datastore.transaction(commit=False) as curs:
            curs.execute(
                sql.SQL("SELECT position, events FROM {}").format(self.position_table)
            )
            row = curs.fetchone()
        return (int(row["position"]), int(row["events"])) if row else (0, 0)

    def load(self, ids: Iterable[UUID]) -> dict[UUID, Chain]:
        with self.datastore.transaction(commit=False) as curs:
            curs.execute(
                sql.SQL(
                    "SELECT originator_id, ref, account, version, head, hashed,"
                    " is_order, broken_version, broken_reason FROM {}"
                    " WHERE originator_id = ANY(%s)"
                ).format(self.heads),
                (list(ids),),
            )
            return {
                UUID(str(row.pop("originator_id"))): _chain(row)
                for row in curs.fetchall()
            }

    def totals(self) -> tuple[int, list[BrokenChain]]:
        """How many orders are verified, and every broken chain (oldest first)."""
        with self.datastore.transaction(commit=False) as curs:
            curs.execute(
                sql.SQL("SELECT count(*) AS n FROM {} WHERE is_order").format(
                    self.heads
                )
            )
            row = curs.fetchone()
            curs.execute(
                sql.SQL(
                    "SELECT ref, broken_version, broken_reason FROM {}"
                    " WHERE broken_version IS NOT NULL ORDER BY ref, originator_id"
                ).format(self.heads)
            )
            broken = [
                BrokenChain(r["ref"], r["broken_version"], r["broken_reason"])
                for r in curs.fetchall()
            ]
        return (int(row["n"]) if row else 0), broken

    def save(
        self, chains: dict[UUID, Chain], position: int, read: int, *, full: bool
    ) -> None:
        """Keep what a walk verified; a full walk replaces everything kept.

        ``read`` is how many events the walk read after the kept position.
        """
        rows = [
            (
                aggregate_id,
                c.ref,
                c.account,
                c.version,
                c.head,
                c.hashed,
                c.is_order,
                c.broken.version if c.broken else None,
                c.broken.reason if c.broken else None,
            )
            for aggregate_id, c in chains.items()
        ]
        with self.datastore.transaction(commit=True) as curs:
            if full:
                curs.execute(sql.SQL("DELETE FROM {}").format(self.heads))
                curs.execute(sql.SQL("DELETE FROM {}").format(self.position_table))
            # Two audits may run at once: a head only moves forward, and a
            # chain found broken stays broken.
            curs.executemany(
                sql.SQL(
                    "INSERT INTO {t} VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)"
                    " ON CONFLICT (originator_id) DO UPDATE SET"
                    " version = excluded.version, head = excluded.head,"
                    " hashed = excluded.hashed,"
                    " broken_version = coalesce({t}.broken_version,"
                    " excluded.broken_version),"
                    " broken_reason = coalesce({t}.broken_reason,"
                    " excluded.broken_reason)"
                    " WHERE excluded.version >= {t}.version"
                ).format(t=self.heads),
                rows,
            )
            curs.execute(
                sql.SQL(
                    "INSERT INTO {t} (position, events) VALUES (%s, %s)"
                    " ON CONFLICT (one) DO UPDATE SET position = excluded.position,"
                    " events = {t}.events + excluded.events, verified_at = now()"
                    " WHERE {t}.position < excluded.position"
                ).format(t=self.position_table),
                (position, read),
            )
