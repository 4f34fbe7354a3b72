"""What a command gives back, and how its request is fingerprinted (idempotency)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, is_dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from domain.values import RiskDecision


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class CommandResult:
    """The id a command wrote to (order or draft) and the version it left.

    ``order`` is the order as the command left it, and ``events`` what it
    recorded on that order, when the command wrote it (not on a replay), so
    an answer needs no second read.
    """

    ref: str
    version: int
    replayed: bool = False
    risk: RiskDecision | None = None
    order: Any = field(default=None, compare=False, repr=False)
    events: tuple[Any, ...] = field(default=(), compare=False, repr=False)


def fingerprint(command: str, arguments: Mapping[str, Any]) -> str:
    """SHA-256 of a canonical JSON form of a command and its arguments."""

    def plain(value: object) -> object:
        if is_dataclass(value) and not isinstance(value, type):
            return asdict(value)
        if isinstance(value, Decimal | datetime):
            return str(value)
        if isinstance(value, Mapping):  # a client's map
            return dict(value)
        msg = f"cannot fingerprint {type(value).__name__}"
        raise TypeError(msg)

    text = json.dumps([command, arguments], default=plain, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()
