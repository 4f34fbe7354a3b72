"""Reads of one order from its events: now, at a version or a time, its trail."""

from __future__ import annotations

from datetime import datetime
from itertools import takewhile
from typing import cast
from uuid import UUID

from domain.errors import OrderNotFoundError, VersionNotFoundError
from domain.idempotency import CommandResult
from domain.order import Order, order_uuid
from domain.unit_of_work import LedgerApplication, replay


class OrderReads(LedgerApplication):
    def get_order(
        self,
        account: str,
        order_ref: str,
        *,
        version: int | None = None,
        as_of: datetime | None = None,
    ) -> Order:
        """The order now, at ``version``, or as it stood at time ``as_of``."""
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

    def order_events(
        self, account: str, order_ref: str, *, up_to: int | None = None
    ) -> list[Order.Event]:
        """Every event of the order (up to version ``up_to``), oldest first."""
        events = self._stored_events(order_uuid(account, order_ref), up_to)
        if not events:
            raise OrderNotFoundError(account, order_ref)
        return events

    def order_events_page(
        self, account: str, order_ref: str, after_version: int, limit: int
    ) -> tuple[list[Order.Event], bool]:
        """Up to ``limit`` events after ``after_version``, and whether more follow.

        One bounded read, whatever the order's length.
        """
        order_id = order_uuid(account, order_ref)
        events = [
            cast("Order.Event", e)
            for e in self.events.get(order_id, gt=after_version, limit=limit + 1)
        ]
        if not events and not list(self.events.get(order_id, lte=1)):
            raise OrderNotFoundError(account, order_ref)
        return events[:limit], len(events) > limit

    def result_order(self, account: str, result: CommandResult) -> Order:
        """The order as a command left it: from the result, or read at its version."""
        if isinstance(result.order, Order) and result.order.version == result.version:
            return result.order
        return self.get_order(account, result.ref, version=result.version)

    def owner_of(self, aggregate_id: UUID) -> tuple[str, str] | None:
        """(account, order id) of an order's id; None for a draft or nothing."""
        first = next(iter(self.events.get(aggregate_id, lte=1)), None)
        if not isinstance(first, Order.Opened):
            return None
        return first.account, first.order_ref

    def recorded_events(self, account: str, result: CommandResult) -> list[Order.Event]:
        """The events the request of ``result`` recorded, oldest first.

        From the result when the command wrote them; read back for a replay.
        """
        if result.events:
            recorded = [cast("Order.Event", e) for e in result.events]
            return _same_request(recorded)[::-1]
        return self.command_events(account, result.ref, result.version)

    def command_events(
        self, account: str, order_ref: str, version: int
    ) -> list[Order.Event]:
        """The events one request recorded, ending at ``version``, oldest first.

        A request's events share its request id (a replay's are the first
        request's). Read backwards in growing windows: a hot order's whole
        history is not read for one answer.
        """
        order_id = order_uuid(account, order_ref)
        window = 8
        while True:
            low = max(0, version - window)
            events = [
                cast("Order.Event", e)
                for e in self.events.get(order_id, gt=low, lte=version)
            ]
            if not events:
                raise OrderNotFoundError(account, order_ref)
            made = _same_request(events)
            if len(made) < len(events) or low == 0:
                return made[::-1]
            window *= 4

    def _stored_events(
        self, order_id: UUID, up_to: int | None = None
    ) -> list[Order.Event]:
        return [cast("Order.Event", e) for e in self.events.get(order_id, lte=up_to)]

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


def _same_request(events: list[Order.Event]) -> list[Order.Event]:
    """The last event and those of its kind before it from the same request.

    Newest first. The kind too: requests without an id (the CLI, a script)
    share the empty one.
    """
    last = events[-1]
    return list(
        takewhile(
            lambda e: (e.request_id, type(e)) == (last.request_id, type(last)),
            reversed(events),
        )
    )
