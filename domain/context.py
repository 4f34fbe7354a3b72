"""Who is acting, for which request: stamped on every event a command triggers."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, replace
from datetime import datetime

from domain.bounds import check_time
from domain.client_map import check_metadata
from domain.values import Metadata


@dataclass(frozen=True)
class RequestContext:
    actor: str = "system"
    request_id: str = ""
    idempotency_key: str | None = None
    request_fingerprint: str | None = None

    def with_fingerprint(self, fingerprint: str) -> RequestContext:
        return replace(self, request_fingerprint=fingerprint)


NO_REQUEST = RequestContext()
_current: ContextVar[RequestContext | None] = ContextVar(
    "ledger_request_context", default=None
)


def current_request() -> RequestContext:
    return _current.get() or NO_REQUEST


@contextmanager
def acting(context: RequestContext) -> Iterator[RequestContext]:
    """Stamp events triggered inside the block with ``context``."""
    token = _current.set(context)
    try:
        yield context
    finally:
        _current.reset(token)


@dataclass(frozen=True)
class OperationFacts:
    """What the PSP says of a money operation: its business time, its metadata.

    Stamped on the money events a command triggers inside ``stating`` (SPEC §10:
    the PSP's business time beside the recording time).
    """

    processed_at: datetime | None = None
    metadata: Metadata | None = None  # kept as a checked ``ClientMap``

    def __post_init__(self) -> None:
        """Checked where every dialect builds its facts (SPEC §12)."""
        if self.processed_at is not None:
            check_time(self.processed_at, "processed_at")
        if self.metadata is not None:
            object.__setattr__(self, "metadata", check_metadata(self.metadata))


NO_FACTS = OperationFacts()
_facts: ContextVar[OperationFacts] = ContextVar(
    "ledger_operation_facts", default=NO_FACTS
)


def current_facts() -> OperationFacts:
    return _facts.get()


@contextmanager
def stating(facts: OperationFacts) -> Iterator[OperationFacts]:
    token = _facts.set(facts)
    try:
        yield facts
    finally:
        _facts.reset(token)
