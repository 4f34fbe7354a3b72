"""OrderLedger: the eventsourcing Application that runs every order command.

Each command reads the order, checks the rules, and saves its new events in one
transaction. A version conflict (another writer saved first) re-reads and
re-checks, a bounded number of times. Idempotency keys live in the aggregate,
so a retried request is recognised by the same read that checks the rules.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any, ClassVar, Unpack, cast
from uuid import UUID, uuid4, uuid5

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.domain import Snapshot
from eventsourcing.persistence import EventStore, IntegrityError, JSONTranscoder

from domain.audited import AuditedAggregate
from domain.bounds import DEFAULT_MAX_LINE_MINOR, check_amount
from domain.context import RequestContext, acting
from domain.draft import DRAFT_NAMESPACE, DraftOrder, draft_uuid
from domain.errors import (
    ConcurrentModificationError,
    DraftNotFoundError,
    LedgerBusyError,
    LedgerError,
    OrderExistsError,
    OrderNotFoundError,
    VersionNotFoundError,
)
from domain.idempotency import CommandResult, MoneyOptions, fingerprint, utc_now
from domain.order import Order, order_uuid
from domain.risk import RiskCheck
from domain.rules import Movement, check_line_limit, check_totals
from domain.snapshots import VerifiedSnapshotStore
from domain.transcodings import register_value_transcodings
from domain.values import Allocation, Item, RiskDecision

Clock = Callable[[], datetime]
# (command, "ok" | "replayed" | the rejection's code, events appended)
CommandObserver = Callable[[str, str, int], None]
NO_CONTEXT = RequestContext()
RETRY_JITTER_SECONDS = 0.002
# A step either answers at once (a replay) or names what to save and the answer.
Step = Callable[
    [RequestContext], "CommandResult | tuple[list[AuditedAggregate], CommandResult]"
]


def replay(aggregate: Any, events: Iterable[Any]) -> Any:  # noqa: ANN401 - the library's projector type
    """Apply ``events`` to ``aggregate`` in turn, as the library's projector does.

    The library's ``project_aggregate`` asserts each event against a
    runtime-checkable Protocol: under cProfile that isinstance was about a
    tenth of a command's Python time, for events that are always ours.
    """
    for event in events:
        aggregate = event.mutate(aggregate)
    return aggregate


class OrderLedger(Application[UUID]):
    name = "ledger"
    snapshotting_intervals: ClassVar[dict[type[Any], int]] = {Order: 50}

    def __init__(  # noqa: PLR0913 - collaborators a deployment chooses
        self,
        env: Mapping[str, str] | None = None,
        *,
        clock: Clock = utc_now,
        authorization_ttl: timedelta = timedelta(days=30),
        max_attempts: int = 10,
        max_concurrency: int | None = None,
        busy_timeout: float = 1.0,
        on_command: CommandObserver | None = None,
        max_line_minor: int = DEFAULT_MAX_LINE_MINOR,
    ) -> None:
        super().__init__(env)
        self.max_line_minor = max_line_minor
        self.on_command = on_command
        self.clock = clock
        self.authorization_ttl = authorization_ttl
        self.max_attempts = max_attempts
        self.busy_timeout = busy_timeout
        self._slots = (
            threading.BoundedSemaphore(max_concurrency) if max_concurrency else None
        )

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

    def fold_from_events(self, aggregate_id: UUID, version: int) -> Any:  # noqa: ANN401 - any aggregate
        """An aggregate at ``version`` from its events alone, no snapshot."""
        return replay(None, self.events.get(aggregate_id, lte=version))

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        register_value_transcodings(transcoder)

    # --- commands ----------------------------------------------------------

    def create_order(
        self,
        account: str,
        order_ref: str,
        currency: str,
        items: Sequence[Item],
        context: RequestContext = NO_CONTEXT,
    ) -> CommandResult:
        check_line_limit(items, self.max_line_minor)
        args = {"currency": currency, "items": list(items)}
        return self._run(
            account,
            order_ref,
            context,
            "create_order",
            args,
            create=lambda: Order.open(account, order_ref, currency, items),
        )

    def authorize_order(  # noqa: PLR0913, PLR0917 - Riverty's checkout/authorize
        self,
        account: str,
        order_ref: str,
        currency: str,
        items: Sequence[Item],
        declared: tuple[int, int],
        payment_id: str,
        context: RequestContext = NO_CONTEXT,
    ) -> CommandResult:
        """Create an order and authorize every line in full, in one transaction.

        ``declared`` is the request's (gross, net) total; both must match.
        """
        check_line_limit(items, self.max_line_minor)
        gross, net = declared
        args = {"currency": currency, "items": list(items), "declared": [gross, net]}

        def create() -> Order:
            check_totals(
                items,
                check_amount(gross, "totalGrossAmount"),
                check_amount(net, "totalNetAmount"),
            )
            order = Order.open(account, order_ref, currency, items)
            everything = [
                Allocation(i.line_id, i.gross_amount) for i in items if i.gross_amount
            ]
            if everything:
                expires_at = self.clock() + self.authorization_ttl
                order.authorize(payment_id, everything, expires_at)
            return order

        return self._run(
            account, order_ref, context, "authorize_order", args, create=create
        )

    def add_items(
        self,
        account: str,
        order_ref: str,
        items: Sequence[Item],
        currency: str | None = None,
        context: RequestContext = NO_CONTEXT,
    ) -> CommandResult:
        """Add items; an item with ``reverses`` set becomes a reversal line."""
        check_line_limit(items, self.max_line_minor)
        args = {"items": list(items), "currency": currency}
        return self._run(
            account,
            order_ref,
            context,
            "add_items",
            args,
            lambda order: order.add_items(items, currency),
        )

    def reverse_item(
        self,
        account: str,
        order_ref: str,
        reversal: Item,
        context: RequestContext = NO_CONTEXT,
    ) -> CommandResult:
        return self.add_items(account, order_ref, [reversal], context=context)

    def replace_order(  # noqa: PLR0913, PLR0917 - the updateOrder request
        self,
        account: str,
        order_ref: str,
        items: Sequence[Item],
        declared_gross: int,
        declared_net: int,
        risk_check: RiskCheck,
        context: RequestContext = NO_CONTEXT,
    ) -> CommandResult:
        check_line_limit(items, self.max_line_minor)
        decisions: dict[int, RiskDecision] = {}

        def act(order: Order) -> RiskDecision:
            def assess(increase: int) -> RiskDecision:
                # A conflict retry re-plans; ask the port once per distinct increase.
                if increase not in decisions:
                    decisions[increase] = risk_check.assess(
                        account, order_ref, order.currency, increase
                    )
                return decisions[increase]

            return order.replace(items, declared_gross, declared_net, assess)

        args = {"items": list(items), "gross": declared_gross, "net": declared_net}
        return self._run(account, order_ref, context, "replace_order", args, act)

    def authorize(
        self,
        account: str,
        order_ref: str,
        payment_id: str,
        items: Sequence[Allocation],
        **options: Unpack[MoneyOptions],
    ) -> CommandResult:
        """Authorize per line under a payment; it expires after the TTL."""
        return self.move(
            Movement.AUTHORIZE, account, order_ref, payment_id, items, **options
        )

    def capture(
        self,
        account: str,
        order_ref: str,
        payment_id: str,
        items: Sequence[Allocation],
        **options: Unpack[MoneyOptions],
    ) -> CommandResult:
        """Capture outstanding authorization of a payment."""
        return self.move(
            Movement.CAPTURE, account, order_ref, payment_id, items, **options
        )

    def refund(
        self,
        account: str,
        order_ref: str,
        payment_id: str,
        items: Sequence[Allocation],
        **options: Unpack[MoneyOptions],
    ) -> CommandResult:
        """Refund captured money of original (non-reversal) lines."""
        return self.move(
            Movement.REFUND, account, order_ref, payment_id, items, **options
        )

    def release(
        self,
        account: str,
        order_ref: str,
        payment_id: str,
        items: Sequence[Allocation],
        **options: Unpack[MoneyOptions],
    ) -> CommandResult:
        """Free authorization that is not captured (a void)."""
        return self.move(
            Movement.RELEASE, account, order_ref, payment_id, items, **options
        )

    def move(
        self,
        movement: Movement,
        account: str,
        order_ref: str,
        payment_id: str,
        items: Sequence[Allocation],
        **options: Unpack[MoneyOptions],
    ) -> CommandResult:
        """One path for the four money commands; ``success=False`` only records."""
        success = options.get("success", True)
        reference = options.get("reference")
        currency = options.get("currency")
        reason = options.get("reason", str(movement))
        invoice = options.get("invoice_number")
        capture_reference = options.get("capture_reference")
        args = {
            "payment_id": payment_id,
            "items": list(items),
            "success": success,
            "reference": reference,
            "currency": currency,
            "reason": reason,
            "invoice_number": invoice,
            "capture_reference": capture_reference,
        }

        def act(order: Order) -> None:
            if not success:
                failure = f"{movement} reported success=false"
                order.record_failure(movement, payment_id, items, failure)
            elif movement is Movement.AUTHORIZE:
                expires_at = self.clock() + self.authorization_ttl
                order.authorize(payment_id, items, expires_at, currency)
            elif movement is Movement.CAPTURE:
                now = self.clock()
                order.capture(payment_id, items, now, reference, currency, invoice)
            elif movement is Movement.REFUND:
                order.refund(payment_id, items, reference, currency, capture_reference)
            else:
                order.release(payment_id, items, reason)

        context = options.get("context", NO_CONTEXT)
        return self._run(account, order_ref, context, str(movement), args, act)

    def cancel(
        self, account: str, order_ref: str, context: RequestContext = NO_CONTEXT
    ) -> CommandResult:
        """Release all outstanding authorization of the order."""
        return self._run(
            account, order_ref, context, "cancel", {}, lambda order: order.cancel()
        )

    def extend_authorization(
        self,
        account: str,
        order_ref: str,
        payment_id: str,
        expires_at: datetime,
        context: RequestContext = NO_CONTEXT,
    ) -> CommandResult:
        args = {"payment_id": payment_id, "expires_at": expires_at}
        return self._run(
            account,
            order_ref,
            context,
            "extend_authorization",
            args,
            lambda order: order.extend_authorization(payment_id, expires_at),
        )

    # --- draft orders (Dintero) -------------------------------------------

    def create_draft(
        self,
        account: str,
        currency: str,
        items: Sequence[Item],
        order_ref: str | None = None,
        context: RequestContext = NO_CONTEXT,
    ) -> CommandResult:
        """Stage items; with an idempotency key the draft id derives from it."""
        check_line_limit(items, self.max_line_minor)
        key = context.idempotency_key
        draft_ref = (
            "D"
            + (uuid5(DRAFT_NAMESPACE, f"{account}\x1f{key}") if key else uuid4()).hex
        )
        args = {"currency": currency, "items": list(items), "order_ref": order_ref}

        def step(
            ctx: RequestContext,
        ) -> CommandResult | tuple[list[AuditedAggregate], CommandResult]:
            draft = self._find_draft(account, draft_ref)
            if draft is not None:
                version = draft.replayed(ctx)
                assert version is not None  # noqa: S101 - the id derives from the key
                return CommandResult(draft_ref, version, replayed=True)
            draft = DraftOrder.start(account, draft_ref, currency, items, order_ref)
            return [draft], CommandResult(draft_ref, draft.version)

        return self._execute(draft_ref, context, "create_draft", args, step)

    def complete_draft(
        self, account: str, draft_ref: str, context: RequestContext = NO_CONTEXT
    ) -> CommandResult:
        """Turn a draft into a new order, or add its items to ``order_ref``'s order.

        Order and draft are saved in one transaction: a draft completes once.
        """

        def step(
            ctx: RequestContext,
        ) -> CommandResult | tuple[list[AuditedAggregate], CommandResult]:
            draft = self.get_draft(account, draft_ref)
            if draft.replayed_version(
                ctx.idempotency_key, ctx.request_fingerprint or ""
            ):
                assert draft.completed_order_ref is not None  # noqa: S101
                assert draft.completed_version is not None  # noqa: S101
                return CommandResult(
                    draft.completed_order_ref, draft.completed_version, replayed=True
                )
            draft.check_not_completed()
            order_ref = draft.order_ref or draft.new_order_ref
            order = self._find(account, order_ref)
            if draft.order_ref is None:
                if order is not None:
                    return self._completed_meanwhile(account, draft_ref, ctx)
                order = Order.open(account, order_ref, draft.currency, draft.items)
            elif order is None:
                raise OrderNotFoundError(account, order_ref)
            else:
                order.add_items(draft.items, draft.currency)
            draft.complete(order_ref, order.version)
            return [order, draft], CommandResult(order_ref, order.version, order=order)

        return self._execute(
            draft_ref, context, "complete_draft", {"draft": draft_ref}, step
        )

    def _completed_meanwhile(
        self, account: str, draft_ref: str, ctx: RequestContext
    ) -> CommandResult:
        """The draft's order exists: completed by a concurrent identical request?

        Draft and order commit together, and the order was read after the
        draft, so a fresh read of the draft shows that completion.
        """
        draft = self.get_draft(account, draft_ref)
        if draft.replayed(ctx) is not None:
            assert draft.completed_order_ref is not None  # noqa: S101
            assert draft.completed_version is not None  # noqa: S101
            return CommandResult(
                draft.completed_order_ref, draft.completed_version, replayed=True
            )
        draft.check_not_completed()
        raise OrderExistsError(account, draft.new_order_ref)

    def get_draft(self, account: str, draft_ref: str) -> DraftOrder:
        draft = self._find_draft(account, draft_ref)
        if draft is None:
            raise DraftNotFoundError(account, draft_ref)
        return draft

    def _find_draft(self, account: str, draft_ref: str) -> DraftOrder | None:
        try:
            draft: DraftOrder = self.repository.get(
                draft_uuid(account, draft_ref), projector_func=replay
            )
        except AggregateNotFoundError:
            return None
        return draft

    # --- reads -------------------------------------------------------------

    def get_order(
        self,
        account: str,
        order_ref: str,
        *,
        version: int | None = None,
        as_of: datetime | None = None,
    ) -> Order:
        """The order now, at ``version``, or as it stood at time ``as_of``."""
        with self._slot():
            current = self._find(account, order_ref)
            if current is None:
                raise OrderNotFoundError(account, order_ref)
            if as_of is not None:
                version = self._version_at(current.id, order_ref, as_of)
            if version is None or version == current.version:
                return current
            if not 1 <= version <= current.version:
                detail = f"has versions 1..{current.version}, not {version}"
                raise VersionNotFoundError(order_ref, detail)
            order: Order = self.repository.get(
                current.id, version=version, projector_func=replay
            )
            return order

    def order_events(self, account: str, order_ref: str) -> list[Order.Event]:
        """Every event of the order, oldest first: the audit trail."""
        with self._slot():
            events = self._stored_events(order_uuid(account, order_ref))
        if not events:
            raise OrderNotFoundError(account, order_ref)
        return events

    def result_order(self, account: str, result: CommandResult) -> Order:
        """The order as a command left it: from the result, or read at its version."""
        if isinstance(result.order, Order) and result.order.version == result.version:
            return result.order
        return self.get_order(account, result.ref, version=result.version)

    def event_at(self, account: str, order_ref: str, version: int) -> Order.Event:
        """One event of an order, by version."""
        with self._slot():
            events = self.events.get(
                order_uuid(account, order_ref), gt=version - 1, lte=version
            )
            [event] = [cast("Order.Event", e) for e in events]
        return event

    def _stored_events(self, order_id: UUID) -> list[Order.Event]:
        return [cast("Order.Event", e) for e in self.events.get(order_id)]

    # --- machinery ---------------------------------------------------------

    def _run(  # noqa: PLR0913, PLR0917
        self,
        account: str,
        order_ref: str,
        context: RequestContext,
        command: str,
        args: Mapping[str, Any],
        act: Callable[[Order], Any] | None = None,
        create: Callable[[], Order] | None = None,
    ) -> CommandResult:
        """Run a command on one order: replay, create, or act on it."""

        def step(
            ctx: RequestContext,
        ) -> CommandResult | tuple[list[AuditedAggregate], CommandResult]:
            order = self._find(account, order_ref)
            if order is not None:
                replayed = order.replayed(ctx)
                if replayed is not None:
                    return CommandResult(order_ref, replayed, replayed=True)
            outcome = None
            if create is not None:
                if order is not None:
                    raise OrderExistsError(account, order_ref)
                order = create()
            elif order is None:
                raise OrderNotFoundError(account, order_ref)
            elif act is not None:
                outcome = act(order)
            risk = outcome if isinstance(outcome, RiskDecision) else None
            return [order], CommandResult(
                order_ref, order.version, risk=risk, order=order
            )

        return self._execute(order_ref, context, command, args, step)

    def _execute(
        self,
        ref: str,
        context: RequestContext,
        command: str,
        args: Mapping[str, Any],
        step: Step,
    ) -> CommandResult:
        """Run ``step`` and save what it changed in one transaction.

        A version conflict (another writer saved first) runs the step again on
        fresh state, up to ``max_attempts`` times.
        """
        request_hash = fingerprint(command, args)
        try:
            with self._slot(), acting(context.with_fingerprint(request_hash)) as ctx:
                for attempt in range(self.max_attempts):
                    if attempt:
                        # Jitter, so writers that collided do not collide again.
                        time.sleep(random.uniform(0, RETRY_JITTER_SECONDS * attempt))  # noqa: S311
                    outcome = step(ctx)
                    if isinstance(outcome, CommandResult):
                        self._observe(command, "replayed", 0)
                        return outcome
                    aggregates, result = outcome
                    appended = sum(len(a.pending_events) for a in aggregates)
                    try:
                        self.save(*aggregates)
                    except IntegrityError:
                        continue
                    self._observe(command, "ok", appended)
                    return result
            raise ConcurrentModificationError(ref, self.max_attempts)
        except LedgerError as error:
            self._observe(command, error.code, 0)
            raise

    def _observe(self, command: str, outcome: str, events: int) -> None:
        if self.on_command is not None:
            self.on_command(command, outcome, events)

    def _find(self, account: str, order_ref: str) -> Order | None:
        try:
            order: Order = self.repository.get(
                order_uuid(account, order_ref), projector_func=replay
            )
        except AggregateNotFoundError:
            return None
        return order

    def _version_at(self, order_id: UUID, order_ref: str, as_of: datetime) -> int:
        version = None
        for stored in self._stored_events(order_id):
            if stored.timestamp > as_of:
                break
            version = stored.originator_version
        if version is None:
            raise VersionNotFoundError(
                order_ref, f"did not exist at {as_of.isoformat()}"
            )
        return version

    @contextmanager
    def _slot(self) -> Iterator[None]:
        """Hold one of the database slots, or fail fast with LedgerBusyError."""
        if self._slots is None:
            yield
            return
        if not self._slots.acquire(timeout=self.busy_timeout):
            raise LedgerBusyError(self.busy_timeout)
        try:
            yield
        finally:
            self._slots.release()
