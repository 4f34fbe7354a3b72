"""Who is acting, for which request: stamped on every event a command triggers."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, replace


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
