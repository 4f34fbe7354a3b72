"""The hash chain of an aggregate's events (SPEC §8).

Each event's hash is SHA-256 over the previous event's hash and a canonical
JSON encoding of the event: its type, version, time, actor, request id,
idempotency key and payload. The first event of an aggregate chains from
``GENESIS`` (64 zeros). Changing, removing or reordering a stored event
breaks the chain from that event on.

Events stored before hashing began carry no hash: reading them (the
aggregate's ``mutate``, the verifier) chains them from ``GENESIS`` as they are,
so the events written after them chain on; a missing hash after a hashed
event is reported as tampering.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import Field, fields, is_dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Final
from uuid import UUID

GENESIS: Final = "0" * 64
# Attributes that are not the event's payload: its place, its stamps, its chain.
ENVELOPE: Final = frozenset(
    {
        "originator_id",
        "originator_version",
        "originator_topic",
        "timestamp",
        "actor",
        "request_id",
        "idempotency_key",
        "request_fingerprint",
        "hash",
        "previous_hash",
    }
)

# Payload fields added after events were first hashed, left out while they hold
# the value an upcast gives older events: those events' hashes stay valid.
LATER_FIELDS: Final = {
    "processed_at": None,
    "metadata": None,
    "details": None,
    "new_order_ref": None,
    "replace": False,
    "id_format": None,
    "requested": None,
}


def _unset_later_field(field: Field[Any], value: object) -> bool:
    """Left out of the hash, and of a snapshot's digest (the same encoding).

    A field added after hashing began, while at its default; derived state.
    """
    if field.metadata.get("derived"):
        return True
    return bool(field.metadata.get("added_later")) and value == field.default


def plain(value: object) -> Any:  # noqa: ANN401 - any JSON value
    """JSON values: dataclasses as objects, decimals and ids as strings, times ISO."""
    if is_dataclass(value) and not isinstance(value, type):
        return {
            f.name: plain(getattr(value, f.name))
            for f in fields(value)
            if not _unset_later_field(f, getattr(value, f.name))
        }
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, Mapping):  # a dict, or a client's map
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, Decimal | UUID):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def payload(event: object) -> dict[str, Any]:
    return {
        k: plain(v)
        for k, v in vars(event).items()
        if k not in ENVELOPE
        and not (k in LATER_FIELDS and v is LATER_FIELDS[k])  # None, False
    }


def canonical(event: Any) -> bytes:  # noqa: ANN401 - any aggregate event
    content = {
        "type": type(event).__qualname__,
        "version": event.originator_version,
        "time": event.timestamp.isoformat(),
        "actor": event.actor,
        "request_id": event.request_id,
        "idempotency_key": event.idempotency_key,
        "payload": payload(event),
    }
    return json.dumps(content, sort_keys=True, separators=(",", ":")).encode()


def chain_hash(previous: str, event: object) -> str:
    return hashlib.sha256(previous.encode() + b"\n" + canonical(event)).hexdigest()
