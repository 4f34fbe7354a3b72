"""Aggregates whose events carry who, which request, and its idempotency key."""

from __future__ import annotations

from dataclasses import field
from typing import Any

from eventsourcing.domain import Aggregate

from domain.chain import GENESIS, chain_hash
from domain.context import RequestContext, current_request
from domain.errors import IdempotencyConflictError


class AuditedAggregate(Aggregate):
    """Stamps every event with its request; remembers each idempotency key.

    ``requests`` maps an idempotency key to (request fingerprint, version after
    the request). It is rebuilt from the events on every read, so a retried
    request is recognised by the same read that checks the rules.
    Subclasses set ``self.requests = {}`` in their created-event initialiser.
    Every event also carries ``hash`` and ``previous_hash`` (``domain.chain``).
    """

    requests: dict[str, tuple[str | None, int]]
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
            if self.idempotency_key is not None and result is not None:
                result.requests[self.idempotency_key] = (
                    self.request_fingerprint,
                    self.originator_version,
                )
            return result

    def replayed(self, context: RequestContext) -> int | None:
        """``replayed_version`` for the request in ``context``."""
        return self.replayed_version(
            context.idempotency_key, context.request_fingerprint or ""
        )

    def replayed_version(
        self, idempotency_key: str | None, fingerprint: str
    ) -> int | None:
        """The version an earlier identical request left, or None if it is new."""
        if idempotency_key is None or idempotency_key not in self.requests:
            return None
        first_fingerprint, version = self.requests[idempotency_key]
        if first_fingerprint != fingerprint:
            raise IdempotencyConflictError(idempotency_key)
        return version
