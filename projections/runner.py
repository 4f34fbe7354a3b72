"""Feeds read models from the ledger's notification log, many events a transaction.

The library's ProjectionRunner commits once per event (0.6–0.9k events/s
here); this runner folds a batch of up to ``batch_size`` notifications and
writes it with one tracking update, in one transaction.

Nothing is skipped: the ledger's recorder (store/recorder.py, or the
library's table lock) never lets a reader see id N of a log before every
lower id of that log that will ever commit. With several notification logs
the runner keeps one position per log and steps through each in turn.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from uuid import UUID

from eventsourcing.persistence import (
    IntegrityError,
    Notification,
)
from eventsourcing.postgres import PostgresApplicationRecorder
from psycopg import Cursor
from psycopg.rows import DictRow

from domain.application import OrderLedger
from domain.order import Order
from projections.fold import ORDER_TOPICS, OrderFolder
from projections.isolation import (
    TRANSIENT,
    PoisonedOrderError,
    order_id,
    savepoint,
)
from projections.log_reader import LogReader
from projections.views import DeadLetter, ReadModelView
from projections.wakeup import Wakeup

logger = logging.getLogger(__name__)
Progress = Callable[[int], None]
LAG_REPORT_SECONDS = 60.0
REBUILD_ORDERS = 200_000  # orders a rebuild keeps in memory (see rebuild)
# After a batch, how long the runner lets further commits gather before it
# reads again: under load one transaction then projects tens of events
# instead of one (each costs a read, a fold and a commit), for a few tens of
# ms of lag; an idle runner projects a commit as soon as it is woken.
GATHER_SECONDS = 0.015


@dataclass(frozen=True)
class Lag:
    events_behind: int
    seconds_behind: float
    set_aside: int = 0  # events this read model could not project (dead letters)


class ProjectionRunner:
    def __init__(
        self, ledger: OrderLedger, view: ReadModelView, batch_size: int = 500
    ) -> None:
        self.ledger = ledger
        self.view = view
        self.batch_size = batch_size
        self.folder = OrderFolder(ledger)
        self.log = LogReader(ledger)
        self._lock = threading.Lock()
        self._poisoned_orders: set[UUID] | None = None

    def catch_up(self, progress: Progress | None = None) -> int:
        """Process every notification not yet projected; returns how many."""
        done = 0
        while count := self.step():
            done += count
            if progress:
                progress(count)
        return done

    def rebuild(self, progress: Progress | None = None) -> int:
        """Empty the read model and project every event again, in one transaction.

        Readers see the old rows until the rebuilt ones commit, and a rebuild
        that fails (the database goes away, say) leaves the tables as they
        were. Events that cannot be projected are set aside as in ``step``.
        """
        with self._lock:
            self.folder.forget()  # cached orders are ahead of an empty view
            self._poisoned_orders = set()
            following = self.folder.capacity
            # A rebuild reads the whole history, where many more orders are
            # open at once than while following new commits: an order takes
            # about 2 KB, so 200,000 take about 400 MB for the rebuild's
            # length. Past that, the orders a batch needs are read ahead.
            self.folder.capacity = max(following, REBUILD_ORDERS)
            self.view.rebuilding = True
            try:
                with self.view.datastore.transaction(commit=True) as curs:
                    self.view.reset(curs)
                    done = self._project_everything(curs, progress)
                    self.view.rebuilt(curs)
                    return done
            except BaseException:
                self._poisoned_orders = None
                raise
            finally:
                self.view.rebuilding = False
                self.folder.forget()
                self.folder.capacity = following

    def _project_everything(
        self, curs: Cursor[DictRow], progress: Progress | None
    ) -> int:
        done = 0
        for log in self.log.logs():
            start = 1
            while notifications := self.log.select(log, start, self.batch_size):
                try:
                    with savepoint(curs):
                        self._project(notifications, log, curs)
                except TRANSIENT:
                    raise
                except Exception:  # noqa: BLE001 - find the event that fails
                    self.folder.forget()
                    self._project_one_by_one(notifications, log, curs)
                start = notifications[-1].id + 1
                done += len(notifications)
                if progress:
                    progress(len(notifications))
        return done

    def step(self) -> int:
        """Project the next batch of every notification log; 0 when none is new."""
        return sum(self._step(log) for log in self.log.logs())

    def _step(self, log: int) -> int:
        with self._lock:
            start = self.view.position(log) + 1
            notifications = self.log.select(log, start, self.batch_size)
            if not notifications:
                return 0
            try:
                self._project(notifications, log)
            except TRANSIENT:
                self.folder.forget()
                raise
            except Exception:  # noqa: BLE001 - any other failure: find the event
                self.folder.forget()
                if self.view.position(log) >= notifications[-1].id:
                    # Another runner projected this batch first: go on from there.
                    return 0
                self._project_one_by_one(notifications, log)
            return len(notifications)

    def _project(
        self,
        notifications: Sequence[Notification],
        log: int,
        curs: Cursor[DictRow] | None = None,
    ) -> None:
        events: list[tuple[Order.Event, int]] = []
        for notification in notifications:
            if notification.topic not in ORDER_TOPICS:
                continue
            if order_id(notification) in self._poisoned():
                raise PoisonedOrderError(order_id(notification))
            event = self.ledger.mapper.to_domain_event(notification)
            assert isinstance(event, Order.Event)  # noqa: S101
            events.append((event, notification.id))
        self.folder.prefetch([event for event, _ in events])
        folded = [(self.folder.fold(event), position) for event, position in events]
        self.view.process(folded, notifications[-1].id, log, curs)

    def _project_one_by_one(
        self,
        notifications: Sequence[Notification],
        log: int,
        curs: Cursor[DictRow] | None = None,
    ) -> None:
        """Isolate the events that fail: each is set aside, the rest projected.

        An event that fails to project for a reason that is not transient
        (a value its tables cannot hold, an undecodable event, a bug) would
        otherwise stop this view for every order of every account, for good.
        Later events of the same order are set aside too: their balances
        build on the one that is missing. In a rebuild (``curs``) each event
        gets a savepoint of the rebuild's transaction; otherwise its own
        transaction, and another runner may have got there first.
        """
        for notification in notifications:
            if curs is None and self.view.position(log) >= notification.id:
                continue
            try:
                with savepoint(curs):
                    self._project([notification], log, curs)
            except TRANSIENT:
                self.folder.forget()
                raise
            except Exception as error:  # noqa: BLE001 - recorded, then skipped
                self.folder.forget()
                if curs is None and self.view.position(log) >= notification.id:
                    continue  # projected by another runner meanwhile
                self._set_aside(notification, error, log, curs)

    def _set_aside(
        self,
        notification: Notification,
        error: Exception,
        log: int,
        curs: Cursor[DictRow] | None,
    ) -> None:
        reason = f"{type(error).__name__}: {error}"
        logger.error(
            "projection %s set aside event %d of %s: %s",
            self.view.name,
            notification.id,
            notification.originator_id,
            reason,
        )
        letter = DeadLetter(
            notification.id,
            order_id(notification),
            notification.originator_version,
            notification.topic,
            reason,
        )
        try:
            with savepoint(curs):
                self.view.set_aside(letter, log, curs)
        except IntegrityError:
            if curs is not None or self.view.position(log) < notification.id:
                raise
            return  # another runner got there first
        self._poisoned().add(order_id(notification))

    def _poisoned(self) -> set[UUID]:
        """Orders with an event set aside: every later event of theirs is too."""
        if self._poisoned_orders is None:
            self._poisoned_orders = {
                letter.originator_id for letter in self.view.dead_letters()
            }
        return self._poisoned_orders

    def dead_letters(self) -> list[DeadLetter]:
        return self.view.dead_letters()

    def lag(self) -> Lag:
        """How far behind this read model is.

        Committed events not yet projected (an id distance, summed over logs),
        the oldest such event's age, and how many events were set aside.
        """
        behind, seconds = 0, 0.0
        for log in self.log.logs():
            head, position = self.log.head(log), self.view.position(log)
            if position >= head:
                continue
            behind += head - position
            oldest = self.log.oldest_after(log, position)
            if oldest:
                event = self.ledger.mapper.to_domain_event(oldest)
                age = time.time() - event.timestamp.timestamp()  # type: ignore[attr-defined]
                seconds = max(seconds, age)
        return Lag(behind, seconds, len(self.view.dead_letters()))

    def heads(self) -> dict[int, int]:
        return self.log.heads()

    def reached(self, heads: dict[int, int]) -> bool:
        return all(self.view.position(log) >= head for log, head in heads.items())

    def wait(self, notification_id: int, timeout: float = 10.0) -> None:
        """Project (in this thread) until ``notification_id`` is; for tools and tests.

        A service reads with ``Projections.wait_for_head``, which leaves the
        projecting to the runner that follows the log.
        """
        deadline = time.monotonic() + timeout
        while self._behind(notification_id):
            if not self.step() and time.monotonic() > deadline:
                msg = f"{self.view.name} did not reach {notification_id}"
                raise TimeoutError(msg)

    def _behind(self, notification_id: int) -> bool:
        return any(
            self.view.position(log) < min(notification_id, self.log.head(log))
            for log in self.log.logs()
        )

    def run(
        self,
        stop: threading.Event,
        idle_seconds: float = 0.2,
        gather_seconds: float = GATHER_SECONDS,
    ) -> None:
        """Follow the log until ``stop`` is set (a service loop, not a test).

        Idle, it sleeps until the ledger's next commit (LISTEN/NOTIFY) or
        ``idle_seconds``, whichever comes first, and projects it at once.
        After a batch that was not full it lets ``gather_seconds`` of commits
        gather: under load one transaction then projects tens of events.
        """
        recorder = self.ledger.recorder
        assert isinstance(recorder, PostgresApplicationRecorder)  # noqa: S101
        wakeup = Wakeup.following(recorder)
        try:
            self._follow(stop, wakeup, idle_seconds, gather_seconds)
        finally:
            wakeup.close()

    def _follow(
        self,
        stop: threading.Event,
        wakeup: Wakeup,
        idle_seconds: float,
        gather_seconds: float,
    ) -> None:
        next_report = 0.0
        while not stop.is_set():
            try:
                done = self.step()
                if not done:
                    # Idle: the next commit is projected as soon as it comes.
                    wakeup.wait(idle_seconds, stop)
                elif done < self.batch_size:
                    # Busy: let the commits of the next few ms join one batch.
                    stop.wait(gather_seconds)
                if time.monotonic() >= next_report:
                    lag = self.lag()
                    logger.info(
                        "projection %s: %d events, %.1f s behind",
                        self.view.name,
                        lag.events_behind,
                        lag.seconds_behind,
                    )
                    next_report = time.monotonic() + LAG_REPORT_SECONDS
            except Exception:
                logger.exception("projection %s failed; retrying", self.view.name)
                stop.wait(1.0)
