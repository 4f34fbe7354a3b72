"""How a runner reads the ledger's notification log(s), whichever recorder wrote them.

The horizon recorder (store/recorder.py) may split the events over several
logs and tells readers how far they may go; the library's table-lock
recorder has one log. Heads here are *committed* ids, so lag counts every
committed event a read model has not applied (SPEC §10).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import cast

from eventsourcing.persistence import Notification

from domain.application import OrderLedger
from store.recorder import HorizonRecorder


class LogReader:
    def __init__(self, ledger: OrderLedger) -> None:
        self.ledger = ledger

    def logs(self) -> range:
        recorder = self.ledger.recorder
        return range(recorder.logs if isinstance(recorder, HorizonRecorder) else 1)

    def select(self, log: int, start: int, limit: int) -> Sequence[Notification]:
        """A log's notifications from ``start``, in order, none ever skipped."""
        recorder = self.ledger.recorder
        if isinstance(recorder, HorizonRecorder):
            return cast(
                "Sequence[Notification]", recorder.select_log(log, start, limit)
            )
        return recorder.select_notifications(start=start, limit=limit)

    def head(self, log: int) -> int:
        """The last committed event of a log, whether readers may pass to it yet."""
        recorder = self.ledger.recorder
        if isinstance(recorder, HorizonRecorder):
            return recorder.max_committed_id(log) or 0
        return recorder.max_notification_id() or 0

    def heads(self) -> dict[int, int]:
        return {log: self.head(log) for log in self.logs()}

    def oldest_after(self, log: int, position: int) -> Notification | None:
        """The first committed event above ``position`` (for the age of lag)."""
        recorder = self.ledger.recorder
        if isinstance(recorder, HorizonRecorder):
            return recorder.oldest_committed_after(log, position)
        found = recorder.select_notifications(start=position + 1, limit=1)
        return found[0] if found else None
