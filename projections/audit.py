"""Recompute every aggregate's hash chain from the stored events (SPEC §8)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from eventsourcing.persistence import StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder

from domain.application import OrderLedger
from domain.chain import chain_hash
from domain.snapshots import VerifiedSnapshotStore
from projections.account_index import account_aggregates, account_event_count
from projections.audit_heads import AuditHeads, BrokenChain, Chain

Progress = Callable[[int], None]
BATCH = 1_000


@dataclass
class AuditReport:
    orders_checked: int = 0
    events_checked: int = 0
    broken: list[BrokenChain] = field(default_factory=list)
    # The whole-store audit: events read by this run, and the last one's id.
    events_read: int | None = None
    verified_through: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "orders_checked": self.orders_checked,
            "events_checked": self.events_checked,
            "broken": [
                {"order_id": b.order_id, "version": b.version, "reason": b.reason}
                for b in self.broken
            ],
        }


class ChainVerifier:
    """Walks stored events in order and checks each aggregate's chain."""

    def __init__(self, ledger: OrderLedger) -> None:
        self.ledger = ledger

    def verify(
        self,
        account: str | None = None,
        aggregate_id: UUID | None = None,
        progress: Progress | None = None,
    ) -> AuditReport:
        chains: dict[UUID, Chain] = {}
        events = 0
        for stored in self._stored(aggregate_id, progress, account):
            chain = chains.setdefault(UUID(str(stored.originator_id)), Chain())
            self._check(chain, stored)
            events += 1
        selected = {
            aggregate_id: c
            for aggregate_id, c in chains.items()
            if account is None or c.account == account
        }
        for chain_id, chain in selected.items():
            self._check_snapshot(chain_id, chain)
        return AuditReport(
            orders_checked=sum(c.is_order for c in selected.values()),
            events_checked=events
            if account is None
            else sum(c.version for c in selected.values()),
            broken=[c.broken for c in selected.values() if c.broken is not None],
        )

    def verify_store(
        self, *, full: bool = False, progress: Progress | None = None
    ) -> AuditReport:
        """Every aggregate's chain, reading only events the last run did not.

        The walk goes on from the kept position and each aggregate's kept head
        (``projections/audit_heads.py``); ``full`` starts again from the first
        event and replaces what is kept.
        """
        recorder = self.ledger.recorder
        assert isinstance(recorder, PostgresApplicationRecorder)  # noqa: S101
        kept = AuditHeads(recorder)  # its tables made by open_ledger
        position, _ = (0, 0) if full else kept.position()
        chains: dict[UUID, Chain] = {}
        read = 0
        while batch := recorder.select_notifications(
            start=position, limit=BATCH, inclusive_of_start=False
        ):
            ids = {UUID(str(n.originator_id)) for n in batch}
            if not full:
                chains.update(kept.load(ids - chains.keys()))
            for stored in batch:
                chain = chains.setdefault(UUID(str(stored.originator_id)), Chain())
                if stored.originator_version > chain.version or chain.broken:
                    self._check(chain, stored)
            read += len(batch)
            position = batch[-1].id
            if progress:
                progress(len(batch))
        for chain_id, chain in chains.items():
            self._check_snapshot(chain_id, chain)
        kept.save(chains, position, read, full=full)
        orders, broken = kept.totals()
        return AuditReport(
            orders_checked=orders,
            events_checked=kept.position()[1],
            broken=broken,
            events_read=read,
            verified_through=position,
        )

    def verify_order(self, aggregate_id: UUID) -> tuple[AuditReport, int]:
        """One order's chain from the whole-store audit's kept head, if it has one.

        The events after the kept version are read and checked against it;
        without a kept head every event is. Also answers the version the kept
        head vouches for (0: none). For pages that show an order, not for an
        audit: an event changed after the store audit read it is found by
        ``verify(aggregate_id=…)`` or ``verify_store(full=True)``.
        """
        recorder = self.ledger.recorder
        kept = (
            AuditHeads(recorder).load([aggregate_id]).get(aggregate_id)
            if isinstance(recorder, PostgresApplicationRecorder)
            else None
        )
        if kept is None:
            return self.verify(aggregate_id=aggregate_id), 0
        vouched = kept.version
        for stored in recorder.select_events(aggregate_id, gt=vouched):
            self._check(kept, stored)
        report = AuditReport(
            orders_checked=int(kept.is_order),
            events_checked=kept.version,
            broken=[kept.broken] if kept.broken else [],
        )
        return report, vouched

    def store_events_to_read(self, *, full: bool = False) -> int:
        """How many events ``verify_store`` will read (for progress)."""
        recorder = self.ledger.recorder
        assert isinstance(recorder, PostgresApplicationRecorder)  # noqa: S101
        kept = AuditHeads(recorder)  # its tables made by open_ledger
        position, _ = (0, 0) if full else kept.position()
        return max(0, (recorder.max_notification_id() or 0) - position)

    def events_to_read(self, account: str | None = None) -> int:
        """How many stored events ``verify(account=…)`` will read (for progress)."""
        recorder = self.ledger.recorder
        if account is not None and isinstance(recorder, PostgresApplicationRecorder):
            return account_event_count(recorder, account)
        return recorder.max_notification_id() or 0

    def _check_snapshot(self, aggregate_id: UUID, chain: Chain) -> None:
        """A snapshot must equal a fold of the events it stands for."""
        store = self.ledger.snapshots
        if chain.broken is not None or not isinstance(store, VerifiedSnapshotStore):
            return
        latest = store.latest(aggregate_id)
        if latest is not None and not latest[1]:
            version = latest[0]
            reason = f"the snapshot at version {version} does not match the events"
            chain.broken = BrokenChain(chain.ref, version, reason)

    def _stored(
        self,
        aggregate_id: UUID | None,
        progress: Progress | None,
        account: str | None = None,
    ) -> Iterator[StoredEvent]:
        recorder = self.ledger.recorder
        if aggregate_id is not None:
            yield from recorder.select_events(aggregate_id)
            return
        if account is not None and isinstance(recorder, PostgresApplicationRecorder):
            # The account's own orders and drafts, found by the store's index
            # of first events: the walk reads that account's events only.
            for found in account_aggregates(recorder, account):
                events = recorder.select_events(found)
                yield from events
                if progress:
                    progress(len(events))
            return
        start = 1
        while batch := self.ledger.recorder.select_notifications(
            start=start, limit=BATCH
        ):
            yield from batch
            if progress:
                progress(len(batch))
            start = batch[-1].id + 1

    def _check(self, chain: Chain, stored: StoredEvent) -> None:
        if chain.broken is not None:
            chain.version = stored.originator_version
            return
        try:
            event: Any = self.ledger.mapper.to_domain_event(stored)
        except ValueError as error:
            self._break(chain, stored.originator_version, f"unreadable: {error}")
            return
        if chain.version == 0:
            ref = getattr(event, "order_ref", None) or getattr(event, "draft_ref", "?")
            chain.ref = str(ref)
            chain.account = getattr(event, "account", None)
            chain.is_order = getattr(event, "order_ref", None) is not None
        for reason in self._faults(chain, stored, event):
            self._break(chain, stored.originator_version, reason)
            return
        chain.version = stored.originator_version
        stored_hash = event.__dict__.get("hash")
        chain.hashed = chain.hashed or stored_hash is not None
        chain.head = stored_hash or chain_hash(chain.head, event)

    @staticmethod
    def _faults(chain: Chain, stored: StoredEvent, event: Any) -> Iterable[str]:  # noqa: ANN401
        if stored.originator_version != chain.version + 1:
            yield f"expected version {chain.version + 1}: an event is missing"
        stored_hash = event.__dict__.get("hash")
        if stored_hash is None:
            # Events written before hashing began are chained from GENESIS as
            # read; only a hashed event may follow one, never the reverse.
            if chain.hashed:
                yield "the event carries no hash"
        elif event.__dict__.get("previous_hash") != chain.head:
            yield "does not chain to the previous event"
        elif chain_hash(chain.head, event) != stored_hash:
            yield "content does not match its hash"

    @staticmethod
    def _break(chain: Chain, version: int, reason: str) -> None:
        chain.broken = BrokenChain(chain.ref, version, reason)
        chain.version = version
