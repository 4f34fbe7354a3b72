"""Aggregates whose events carry who, which request, and its idempotency key."""

from __future__ import annotations

from dataclasses import field
from typing import Any

from eventsourcing.domain import Aggregate

from domain.chain import GENESIS, chain_hash
from domain.context import current_request


class AuditedAggregate(Aggregate):
    """Stamps every event with its request: who, which request, its idempotency key.

    The keys are not kept in the aggregate's state (a hot order's snapshot
    grew with every request): the application saves them beside the events,
    in the same transaction (``LedgerApplication.replayed``).
    Every event also carries ``hash`` and ``previous_hash`` (``domain.chain``).
    """

    last_hash: str  # the chain's head: the hash of the latest event

    class Event(Aggregate.Event):
        # The hash chain of SPEC §8 will join these request stamps.
        actor: str = field(
            default_factory=lambda: current_request().actor, kw_only=True
        )
        request_id: str = field(
            default_factory=lambda: current_request().request_id, kw_only=True
        )
        idempotency_key: str | None = field(
            default_factory=lambda: current_request().idempotency_key, kw_only=True
        )
        request_fingerprint: str | None = field(
            default_factory=lambda: current_request().request_fingerprint, kw_only=True
        )

        def mutate(self, aggregate: Any) -> Any:  # noqa: ANN401 - the library's signature
            if "hash" not in self.__dict__:
                # A new event joins the chain; a stored one keeps the hash it was
                # written with, so verification can compare the two.
                previous = getattr(aggregate, "last_hash", GENESIS)
                object.__setattr__(self, "previous_hash", previous)
                object.__setattr__(self, "hash", chain_hash(previous, self))
            result = super().mutate(aggregate)
            if result is not None:
                result.last_hash = self.__dict__["hash"]
            return result
