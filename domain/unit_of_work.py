"""The machinery every command shares: read, plan, replay or act, save, retry.

A command reads its aggregate, turns the request into domain terms *against
that read* (a dialect's translation and rule checks run here, inside the
retry loop, so they always see the state they act on), recognises a retried
request by its idempotency key, and saves its new events in one transaction.
A version conflict (another writer saved first) runs it all again on fresh
state, a bounded number of times.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterable, Mapping
from contextlib import AbstractContextManager, nullcontext
from copy import deepcopy
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from itertools import count
from typing import Any, ClassVar, NamedTuple, Protocol, cast
from uuid import UUID

from eventsourcing.application import (
    AggregateNotFoundError,
    Application,
    ProcessingEvent,
)
from eventsourcing.domain import Snapshot
from eventsourcing.persistence import EventStore, IntegrityError, JSONTranscoder

from domain.audited import AuditedAggregate
from domain.bounds import DEFAULT_MAX_LINE_MINOR
from domain.context import RequestContext, acting
from domain.draft import DraftOrder, draft_uuid
from domain.errors import (
    ConcurrentModificationError,
    IdempotencyConflictError,
    LedgerError,
    OrderExistsError,
    OrderNotFoundError,
)
from domain.idempotency import CommandResult, fingerprint, utc_now
from domain.order import Order, order_uuid
from domain.snapshots import VerifiedSnapshotStore
from domain.transcodings import register_value_transcodings
from domain.values import RiskDecision

# Its own generator: jitter never moves the process-wide random state
# (which a test framework in the same process may be watching).
_JITTER = random.Random()  # noqa: S311 - jitter, not a secret

Clock = Callable[[], datetime]
# (command, "ok" | "replayed" | the rejection's code, events appended)
CommandObserver = Callable[[str, str, int], None]
NO_CONTEXT = RequestContext()
RETRY_JITTER_SECONDS = 0.002
# A step either answers at once (a replay) or names what to save and the answer.
Outcome = CommandResult | tuple[list[AuditedAggregate], CommandResult]
Step = Callable[[RequestContext], Outcome]


@dataclass(frozen=True)
class Plan:
    """A request in domain terms, made from the order it will act on.

    ``args`` are what the request is fingerprinted by (an idempotency key
    sent again with other arguments is refused); ``act`` changes the order.
    """

    args: Mapping[str, Any]
    act: Callable[[Order], Any]
    # An earlier event of the order that already answers the request (a
    # capture repeated under its number): no new event, that one's answer.
    answered_by: int | None = None


Planner = Callable[[Order], Plan]


class StaleReadError(Exception):
    """The aggregate was read before a request it must answer committed."""


class RequestIndex(Protocol):
    """Where a recorder keeps idempotency keys (store/requests.py)."""

    def find_request(
        self, originator_id: UUID, key: str
    ) -> tuple[str | None, int] | None: ...


class RequestRow(NamedTuple):
    """A request's idempotency key, saved with the events that carry it."""

    originator_id: UUID
    idempotency_key: str
    fingerprint: str | None
    version: int  # the aggregate's version after the request


def request_rows(aggregates: Iterable[AuditedAggregate]) -> list[RequestRow]:
    """One row per aggregate whose new events carry an idempotency key."""
    rows = []
    for aggregate in aggregates:
        events = cast("list[AuditedAggregate.Event]", aggregate.pending_events)
        keyed = [e for e in events if e.idempotency_key is not None]
        if keyed:
            last = keyed[-1]
            rows.append(
                RequestRow(
                    aggregate.id,
                    cast("str", last.idempotency_key),
                    last.request_fingerprint,
                    last.originator_version,
                )
            )
    return rows


def replay(aggregate: Any, events: Iterable[Any]) -> Any:  # noqa: ANN401 - the library's projector type
    """Apply ``events`` to ``aggregate`` in turn, as the library's projector does.

    The library's ``project_aggregate`` asserts each event against a
    runtime-checkable Protocol: under cProfile that isinstance was about a
    tenth of a command's Python time, for events that are always ours.
    """
    for event in events:
        aggregate = event.mutate(aggregate)
    return aggregate


class LedgerApplication(Application[UUID]):
    name = "ledger"
    snapshotting_intervals: ClassVar[dict[type[Any], int]] = {Order: 50}
    # A block within which a command's statements share one pooled
    # connection (set by the store's composition: store/connections.py).
    command_connection: Callable[[], AbstractContextManager[None]] = nullcontext

    def __init__(  # noqa: PLR0913 - collaborators a deployment chooses
        self,
        env: Mapping[str, str] | None = None,
        *,
        clock: Clock = utc_now,
        authorization_ttl: timedelta = timedelta(days=30),
        max_attempts: int = 10,
        on_command: CommandObserver | None = None,
        max_line_minor: int = DEFAULT_MAX_LINE_MINOR,
    ) -> None:
        super().__init__(env)
        self.max_line_minor = max_line_minor
        self.on_command = on_command
        self.clock = clock
        self.authorization_ttl = authorization_ttl
        self.max_attempts = max_attempts

    def construct_snapshot_store(self) -> EventStore[UUID]:
        store = VerifiedSnapshotStore(
            mapper=self.mapper,
            recorder=self.factory.aggregate_recorder(purpose="snapshots"),
        )
        store.fold = self.fold_from_events
        store.take = lambda aggregate: getattr(
            type(aggregate), "Snapshot", Snapshot
        ).take(aggregate)
        return store

    def _take_snapshots(self, processing_event: ProcessingEvent[UUID]) -> None:
        """Snapshot what was just saved, when a save reaches an interval's multiple.

        The library reads the aggregate back from the store to snapshot it (a
        hot order's 50th command read and replayed 50 events). The saved
        aggregate is that state already; a save that passes the multiple
        (versions 49-51, say) is snapshotted at its last version.
        """
        if self.snapshots is None:
            return
        for aggregate in processing_event.aggregates.values():
            interval = self.snapshotting_intervals.get(type(aggregate))
            if interval is not None and any(
                event.originator_id == aggregate.id
                and event.originator_version % interval == 0
                for event in processing_event.events
            ):
                snapshot_class = getattr(type(aggregate), "Snapshot", Snapshot)
                self.snapshots.put([snapshot_class.take(aggregate)])

    def fold_from_events(self, aggregate_id: UUID, version: int) -> Any:  # noqa: ANN401 - any aggregate
        """An aggregate at ``version`` from its events alone, no snapshot."""
        return replay(None, self.events.get(aggregate_id, lte=version))

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        register_value_transcodings(transcoder)

    @property
    def keys_are_unique(self) -> bool:
        """The recorder keeps idempotency keys in a table that refuses a key twice."""
        return hasattr(self.recorder, "find_request")

    def replayed(
        self, aggregate: AuditedAggregate, context: RequestContext
    ) -> int | None:
        """The version an earlier request with this key left, or None if it is new.

        The same key with another request (fingerprint) is refused.
        """
        key = context.idempotency_key
        if key is None:
            return None
        found = self._find_request(aggregate.id, key)
        if found is None:
            return None
        first_fingerprint, version = found
        if first_fingerprint != (context.request_fingerprint or ""):
            raise IdempotencyConflictError(key)
        if version > aggregate.version:
            # The key was read after the aggregate, and a twin request
            # committed in between: answer from a read that includes it.
            raise StaleReadError
        return version

    def _find_request(
        self, aggregate_id: UUID, key: str
    ) -> tuple[str | None, int] | None:
        recorder = self.recorder
        if hasattr(recorder, "find_request"):
            index: RequestIndex = recorder
            return index.find_request(aggregate_id, key)
        # A recorder without the table (in memory, in the unit tests): the
        # aggregate's own events, which carry every key.
        found = None
        events = cast("Iterable[AuditedAggregate.Event]", self.events.get(aggregate_id))
        for event in events:
            if event.idempotency_key == key:
                found = (event.request_fingerprint, event.originator_version)
        return found

    def _run(
        self,
        account: str,
        order_ref: str,
        context: RequestContext,
        command: str,
        planner: Planner,
    ) -> CommandResult:
        """Run a command on an existing order: replay it, or plan and act."""
        attempts = count()

        def step(ctx: RequestContext) -> Outcome:
            # Where the store's key table refuses a key twice, the first
            # attempt acts without looking its key up: a retried request then
            # fails to save (or to act) and the next attempt finds its key.
            look_up_first = next(attempts) > 0 or not self.keys_are_unique
            order = self._find(account, order_ref)
            if order is None:
                raise OrderNotFoundError(account, order_ref)
            plan = planner(order)
            with acting(ctx.with_fingerprint(fingerprint(command, plan.args))) as req:
                replayed = self.replayed(order, req) if look_up_first else None
                if replayed is not None:
                    return CommandResult(order_ref, replayed, replayed=True)
                if plan.answered_by is not None:
                    return CommandResult(order_ref, plan.answered_by, replayed=True)
                try:
                    outcome = plan.act(order)
                except LedgerError:
                    replayed = None if look_up_first else self.replayed(order, req)
                    if replayed is None:
                        raise
                    return CommandResult(order_ref, replayed, replayed=True)
            risk = outcome if isinstance(outcome, RiskDecision) else None
            return [order], CommandResult(
                order_ref, order.version, risk=risk, order=order
            )

        return self._execute(order_ref, context, command, step)

    def _create(  # noqa: PLR0913, PLR0917
        self,
        account: str,
        order_ref: str,
        context: RequestContext,
        command: str,
        args: Mapping[str, Any],
        create: Callable[[], Order],
    ) -> CommandResult:
        """Run a command that opens an order: replay it, or create it once.

        The first attempt saves without reading (two round trips for an order
        that is not there): a store that has the order refuses its version 1,
        and the next attempt reads it to answer a replay or OrderExistsError.
        """
        attempts = count()

        def step(ctx: RequestContext) -> Outcome:
            order = self._find(account, order_ref) if next(attempts) else None
            with acting(ctx.with_fingerprint(fingerprint(command, args))) as req:
                if order is not None:
                    replayed = self.replayed(order, req)
                    if replayed is not None:
                        return CommandResult(order_ref, replayed, replayed=True)
                    raise OrderExistsError(account, order_ref)
                order = create()
            return [order], CommandResult(order_ref, order.version, order=order)

        return self._execute(order_ref, context, command, step)

    def _execute(
        self, ref: str, context: RequestContext, command: str, step: Step
    ) -> CommandResult:
        """Run ``step`` and save what it changed in one transaction.

        A version conflict (another writer saved first) runs the step again on
        fresh state, up to ``max_attempts`` times.
        """
        with self.command_connection():
            return self._attempt(ref, context, command, step)

    def _attempt(
        self, ref: str, context: RequestContext, command: str, step: Step
    ) -> CommandResult:
        try:
            for attempt in range(self.max_attempts):
                if attempt:
                    # Jitter, so writers that collided do not collide again.
                    time.sleep(_JITTER.uniform(0, RETRY_JITTER_SECONDS * attempt))
                try:
                    outcome = step(context)
                except StaleReadError:
                    continue
                if isinstance(outcome, CommandResult):
                    self._observe(command, "replayed", 0)
                    return outcome
                aggregates, result = outcome
                appended = sum(len(a.pending_events) for a in aggregates)
                # Saving collects the pending events: keep the order's for the answer.
                recorded = tuple(getattr(result.order, "pending_events", ()))
                try:
                    self.save(*aggregates, requests=request_rows(aggregates))
                except IntegrityError:
                    continue
                self._observe(command, "ok", appended)
                return replace(result, events=recorded)
            raise ConcurrentModificationError(ref, self.max_attempts)
        except LedgerError as error:
            self._observe(command, error.code, 0)
            raise

    def _observe(self, command: str, outcome: str, events: int) -> None:
        if self.on_command is not None:
            self.on_command(command, outcome, events)

    def _find(self, account: str, order_ref: str) -> Order | None:
        order: Order | None = self._load(order_uuid(account, order_ref))
        return order

    def _find_draft(self, account: str, draft_ref: str) -> DraftOrder | None:
        draft: DraftOrder | None = self._load(draft_uuid(account, draft_ref))
        return draft

    def _load(self, aggregate_id: UUID) -> Any:  # noqa: ANN401 - an order or a draft
        """A copy of the aggregate as stored now, or None.

        A cached aggregate is brought up to date with the events stored after
        it (one read), and cached so; saving caches what it saved. Unlike the
        library's fast-forward, threads reading one order do not queue for it.
        """
        cache = self.repository.cache
        try:
            if cache is None:
                return self.repository.get(aggregate_id, projector_func=replay)
            try:
                cached = cache.get(aggregate_id)
            except KeyError:
                # Read from the store, cached, and a copy returned.
                return self.repository.get(aggregate_id, projector_func=replay)
        except AggregateNotFoundError:
            return None
        newer = list(self.events.get(aggregate_id, gt=cached.version))
        if newer:
            cached = replay(deepcopy(cached), newer)
            cache.put(aggregate_id, cached)
        return deepcopy(cached)
