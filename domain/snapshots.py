"""Snapshots are a cache of the events they stand for, never a source (SPEC §8).

The event table refuses UPDATE and DELETE and its rows are hash-chained; the
snapshot table is only a cache, so whoever can write it could make every read
of an order show other money. Each snapshot is therefore checked against a
fold of the order's events before it is used, once per process for each
(order, version, content): a snapshot that does not match is not used, and
the order is read from its events.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections import OrderedDict
from collections.abc import Callable, Iterator
from typing import Any
from uuid import UUID

from eventsourcing.persistence import EventStore

from domain.chain import plain

logger = logging.getLogger(__name__)
Fold = Callable[[UUID, int], Any]  # the aggregate's state at a version, from events
Take = Callable[[Any], Any]  # a snapshot of an aggregate
VERIFIED_CAPACITY = 100_000


def state_digest(state: dict[str, Any]) -> str:
    text = json.dumps(plain(state), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


class VerifiedSnapshotStore(EventStore[UUID]):
    """The library's snapshot store; it hands out only snapshots that match."""

    fold: Fold | None = None  # set by the application once its event store exists
    take: Take | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:  # noqa: ANN401 - the library's
        super().__init__(*args, **kwargs)
        self._verified: OrderedDict[tuple[UUID, int, str], None] = OrderedDict()
        self.mismatches = 0

    def get(
        self,
        originator_id: UUID,
        *,
        gt: int | None = None,
        lte: int | None = None,
        desc: bool = False,
        limit: int | None = None,
    ) -> Iterator[Any]:
        found = super().get(originator_id, gt=gt, lte=lte, desc=desc, limit=limit)
        return iter([snapshot for snapshot in found if self.matches(snapshot)])

    def latest(self, originator_id: UUID) -> Any | None:  # noqa: ANN401 - a Snapshot
        """The newest stored snapshot, checked or not (for the audit)."""
        found = list(super().get(originator_id, desc=True, limit=1))
        return found[0] if found else None

    def matches(self, snapshot: Any) -> bool:  # noqa: ANN401 - a library Snapshot
        """Whether a fold of the events up to its version gives the same state."""
        if self.fold is None or self.take is None:
            return True
        key = (
            UUID(str(snapshot.originator_id)),
            snapshot.originator_version,
            state_digest(snapshot.state),
        )
        if key in self._verified:
            self._verified.move_to_end(key)
            return True
        folded = self.take(self.fold(key[0], key[1]))
        if state_digest(folded.state) != key[2]:
            self.mismatches += 1
            logger.error(
                "snapshot of %s at version %d does not match its events; "
                "reading the events instead",
                key[0],
                key[1],
            )
            return False
        self._verified[key] = None
        while len(self._verified) > VERIFIED_CAPACITY:
            self._verified.popitem(last=False)
        return True
