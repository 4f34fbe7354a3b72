"""OrderLedger: the eventsourcing Application that runs every order command.

Each command reads the order, checks the rules, and saves its new events in one
transaction. A version conflict (another writer saved first) re-reads and
re-checks, a bounded number of times. Idempotency keys live in the aggregate,
so a retried request is recognised by the same read that checks the rules.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, is_dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, ClassVar, TypedDict, Unpack, cast
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.persistence import IntegrityError, JSONTranscoder

from domain.context import RequestContext, acting
from domain.errors import (
    ConcurrentModificationError,
    LedgerBusyError,
    OrderExistsError,
    OrderNotFoundError,
    VersionNotFoundError,
)
from domain.order import Order, order_uuid
from domain.risk import RiskCheck
from domain.rules import Movement
from domain.transcodings import register_value_transcodings
from domain.values import Allocation, Item, RiskDecision

Clock = Callable[[], datetime]
NO_CONTEXT = RequestContext()


def utc_now() -> datetime:
    return datetime.now(UTC)


class MoneyOptions(TypedDict, total=False):
    success: bool  # False: the PSP reported a failure; recorded, no money moves
    reference: str | None  # PSP reference of a capture or refund
    currency: str | None  # if sent, must be the order's
    reason: str  # why authorization is released
    context: RequestContext


@dataclass(frozen=True)
class CommandResult:
    order_ref: str
    version: int
    replayed: bool = False
    risk: RiskDecision | None = None


def fingerprint(command: str, arguments: Mapping[str, Any]) -> str:
    """SHA-256 of a canonical JSON form of a command and its arguments."""

    def plain(value: object) -> object:
        if is_dataclass(value) and not isinstance(value, type):
            return asdict(value)
        if isinstance(value, Decimal | datetime):
            return str(value)
        msg = f"cannot fingerprint {type(value).__name__}"
        raise TypeError(msg)

    text = json.dumps([command, arguments], default=plain, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


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
    ) -> None:
        super().__init__(env)
        self.clock = clock
        self.authorization_ttl = authorization_ttl
        self.max_attempts = max_attempts
        self.busy_timeout = busy_timeout
        self._slots = (
            threading.BoundedSemaphore(max_concurrency) if max_concurrency else None
        )

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
        args = {"currency": currency, "items": list(items)}
        return self._run(
            account,
            order_ref,
            context,
            "create_order",
            args,
            create=lambda: Order.open(account, order_ref, currency, items),
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
        args = {
            "payment_id": payment_id,
            "items": list(items),
            "success": success,
            "reference": reference,
            "currency": currency,
            "reason": reason,
        }

        def act(order: Order) -> None:
            if not success:
                failure = f"{movement} reported success=false"
                order.record_failure(movement, payment_id, items, failure)
            elif movement is Movement.AUTHORIZE:
                expires_at = self.clock() + self.authorization_ttl
                order.authorize(payment_id, items, expires_at, currency)
            elif movement is Movement.CAPTURE:
                order.capture(payment_id, items, self.clock(), reference, currency)
            elif movement is Movement.REFUND:
                order.refund(payment_id, items, reference, currency)
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
            order: Order = self.repository.get(current.id, version=version)
            return order

    def order_events(self, account: str, order_ref: str) -> list[Order.Event]:
        """Every event of the order, oldest first: the audit trail."""
        with self._slot():
            events = self._stored_events(order_uuid(account, order_ref))
        if not events:
            raise OrderNotFoundError(account, order_ref)
        return events

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
        request_hash = fingerprint(command, args)
        with self._slot(), acting(context.with_fingerprint(request_hash)) as ctx:
            for _ in range(self.max_attempts):
                outcome = None
                order = self._find(account, order_ref)
                if order is not None:
                    replayed = order.replayed_version(ctx.idempotency_key, request_hash)
                    if replayed is not None:
                        return CommandResult(order_ref, replayed, replayed=True)
                if create is not None:
                    if order is not None:
                        raise OrderExistsError(account, order_ref)
                    order = create()
                elif order is None:
                    raise OrderNotFoundError(account, order_ref)
                elif act is not None:
                    outcome = act(order)
                try:
                    self.save(order)
                except IntegrityError:
                    continue
                risk = outcome if isinstance(outcome, RiskDecision) else None
                return CommandResult(order_ref, order.version, risk=risk)
        raise ConcurrentModificationError(order_ref, self.max_attempts)

    def _find(self, account: str, order_ref: str) -> Order | None:
        try:
            order: Order = self.repository.get(order_uuid(account, order_ref))
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
