"""Snapshots are a cache of the events they stand for, never a source (SPEC §8).

The event table refuses UPDATE and DELETE and its rows are hash-chained; the
snapshot table is only a cache, so whoever can write it could make every read
of an order show other money. Each snapshot is therefore checked against a
fold of the order's events before it is used, once per process for each
(order, version, stored bytes); a snapshot this process took itself is
trusted. A snapshot that does not match is not used, and the order is read
from its events.

Folding the events makes the first read of a long order after a restart
as slow as reading it without a snapshot. So a snapshot the ledger took is
also sealed: an HMAC, under a key that lives with the service and not in
the database, of its order, version and stored bytes. A sealed snapshot is
trusted without the fold; whoever can write the database but not read the
key cannot seal one. Without a key, or with a seal that does not match (a
key changed, another host's key), the fold decides, as before.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from typing import Any, Protocol
from uuid import UUID

from eventsourcing.persistence import EventStore, StoredEvent

from domain.chain import plain

logger = logging.getLogger(__name__)
Fold = Callable[[UUID, int], Any]  # the aggregate's state at a version, from events
Take = Callable[[Any], Any]  # a snapshot of an aggregate
VERIFIED_CAPACITY = 100_000
Key = tuple[UUID, int, str]  # an order, a version, the stored bytes' SHA-256


# State that aggregates no longer keep: snapshots taken before still carry it
# (the idempotency keys moved to their own table), and match without it.
LEGACY_STATE = frozenset({"requests"})


def state_digest(state: dict[str, Any]) -> str:
    kept = {k: v for k, v in state.items() if k not in LEGACY_STATE}
    text = json.dumps(plain(kept), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


class Seals(Protocol):
    """Where snapshots' seals are kept (``store/snapshot_seals.py``)."""

    def insert(self, snapshot: StoredEvent, seal: str) -> None: ...

    def get(self, aggregate_id: UUID, version: int) -> str | None: ...


class VerifiedSnapshotStore(EventStore[UUID]):
    """The library's snapshot store; it hands out only snapshots that match."""

    fold: Fold | None = None  # set by the application once its event store exists
    take: Take | None = None
    seals: Seals | None = None  # set, with the key, by the service's composition
    seal_key: bytes | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:  # noqa: ANN401 - the library's
        super().__init__(*args, **kwargs)
        self._verified: OrderedDict[Key, None] = OrderedDict()
        self._seal_checked: OrderedDict[Key, None] = OrderedDict()
        self.mismatches = 0

    def put(self, domain_events: Sequence[Any], **kwargs: Any) -> list[Any]:  # noqa: ANN401
        """Store snapshots this process took: they come from checked state."""
        stored = [self.mapper.to_stored_event(event) for event in domain_events]
        if self.seals is None or self.seal_key is None:
            self.recorder.insert_events(stored, **kwargs)
        for event in stored:
            key = _key(event)
            self._remember(key)
            if self.seals is not None and self.seal_key is not None:
                self.seals.insert(event, self._seal(key))
        return []  # the snapshot recorder hands out no notifications

    def get(
        self,
        originator_id: UUID,
        *,
        gt: int | None = None,
        lte: int | None = None,
        desc: bool = False,
        limit: int | None = None,
    ) -> Iterator[Any]:
        stored = self.recorder.select_events(
            originator_id, gt=gt, lte=lte, desc=desc, limit=limit
        )
        return iter([s for s in map(self._checked, stored) if s is not None])

    def latest(self, originator_id: UUID) -> tuple[int, bool] | None:
        """The newest stored snapshot's version, and whether it matches (audit)."""
        stored = self.recorder.select_events(originator_id, desc=True, limit=1)
        if not stored:
            return None
        # The audit asks whether the snapshot equals its events, which a seal
        # (who took it) does not answer: a snapshot taken by an older fold
        # is still found.
        found = self._checked(stored[0], trust_seal=False)
        return stored[0].originator_version, found is not None

    def _checked(self, stored: StoredEvent, *, trust_seal: bool = True) -> Any | None:  # noqa: ANN401 - a Snapshot
        """The snapshot if a fold of its events gives the same state, else None.

        Checked once per process for each (order, version, stored bytes): later
        reads hash the bytes only, a fraction of decoding them.
        """
        snapshot: Any = self.mapper.to_domain_event(stored)
        if self.fold is None or self.take is None:
            return snapshot
        key = _key(stored)
        if key in self._verified:
            self._verified.move_to_end(key)
            return snapshot
        if trust_seal and self._sealed(key):
            return snapshot
        folded = self.take(self.fold(key[0], key[1]))
        if state_digest(folded.state) != state_digest(snapshot.state):
            self.mismatches += 1
            logger.error(
                "snapshot of %s at version %d does not match its events; "
                "reading the events instead",
                key[0],
                key[1],
            )
            return None
        self._remember(key)
        return snapshot

    def _seal(self, key: Key) -> str:
        assert self.seal_key is not None  # noqa: S101 - checked by the callers
        message = f"{key[0]}:{key[1]}:{key[2]}".encode()
        return hmac.new(self.seal_key, message, hashlib.sha256).hexdigest()

    def _sealed(self, key: Key) -> bool:
        """Whether the snapshot carries this service's seal (one small read)."""
        if key in self._seal_checked:
            self._seal_checked.move_to_end(key)
            return True
        if self.seals is None or self.seal_key is None:
            return False
        seal = self.seals.get(key[0], key[1])
        if seal is None or not hmac.compare_digest(seal, self._seal(key)):
            return False
        _bounded_add(self._seal_checked, key)
        return True

    def _remember(self, key: Key) -> None:
        _bounded_add(self._verified, key)


def _bounded_add(keys: OrderedDict[Key, None], key: Key) -> None:
    keys[key] = None
    while len(keys) > VERIFIED_CAPACITY:
        keys.popitem(last=False)


def _key(stored: StoredEvent) -> Key:
    return (
        UUID(str(stored.originator_id)),
        stored.originator_version,
        hashlib.sha256(stored.state).hexdigest(),
    )
