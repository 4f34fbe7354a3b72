"""JSON transcodings for the value objects kept in events and snapshots."""

from __future__ import annotations

import json
from dataclasses import fields
from typing import Any

from eventsourcing.persistence import Transcoder, Transcoding

from domain.client_map import ClientMap
from domain.values import (
    Allocation,
    Balance,
    CaptureRecord,
    Item,
    Line,
    OrderDetails,
    RequestedLine,
    Shipment,
    TaxLine,
)


class DataclassAsDict(Transcoding):
    """A dataclass as a dict of its fields; JSON lists come back as tuples."""

    def __init__(self, cls: type[Any]) -> None:
        self.type = cls
        self.name = cls.__name__
        self._fields = [f.name for f in fields(cls)]

    def encode(self, obj: Any) -> dict[str, Any]:  # noqa: ANN401 - library's interface
        return {name: getattr(obj, name) for name in self._fields}

    def decode(self, data: dict[str, Any]) -> Any:  # noqa: ANN401 - library's interface
        return self.type(
            **{k: tuple(v) if isinstance(v, list) else v for k, v in data.items()}
        )


class ClientMapAsText(Transcoding):
    """A client's map as its JSON text: its keys are never read as type markers."""

    type = ClientMap
    name = "client_map"

    def encode(self, obj: ClientMap) -> str:
        return json.dumps(obj.as_dict(), ensure_ascii=False, separators=(",", ":"))

    def decode(self, data: str) -> ClientMap:
        return ClientMap(json.loads(data))


def register_value_transcodings(transcoder: Transcoder) -> None:
    for cls in (
        TaxLine,
        Item,
        Allocation,
        Balance,
        Line,
        CaptureRecord,
        OrderDetails,
        RequestedLine,
        Shipment,
    ):
        transcoder.register(DataclassAsDict(cls))  # type: ignore[attr-defined]
    transcoder.register(ClientMapAsText())  # type: ignore[attr-defined]
