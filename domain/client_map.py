"""A client's own JSON map, checked to fit and kept as data (SPEC §12)."""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from decimal import Decimal
from typing import Any, Final

from domain.bounds import check_amount, check_id, check_text
from domain.errors import InvalidTextError


class ClientMap(Mapping[str, Any]):
    """A client's own JSON object (``metadata``), kept as data and never changed.

    The event store's transcoder reads any ``{"_type_", "_data_"}`` object as
    one of its own types, so a client map is stored as its JSON text
    (domain/transcodings.py): whatever keys a client sends stay its data.
    Build one with ``domain.bounds.client_map``, which checks it fits (SPEC §12).
    """

    __slots__ = ("_items",)

    def __deepcopy__(self, memo: dict[int, Any]) -> ClientMap:
        return self  # never changed in place: an aggregate's copies share it

    def __init__(self, items: Mapping[str, Any]) -> None:
        self._items = dict(items)

    def __getitem__(self, key: str) -> Any:  # noqa: ANN401 - any JSON value
        return self._items[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __repr__(self) -> str:
        return f"ClientMap({self._items!r})"

    # Equal to a dict, which is unhashable.
    __hash__ = None  # type: ignore[assignment]

    def as_dict(self) -> dict[str, Any]:
        """A plain copy, for answers and JSON."""
        return dict(self._items)


MAX_METADATA_KEYS: Final = 50  # at each level of a client map
MAX_METADATA_DEPTH: Final = 8  # objects and arrays inside one another
MAX_METADATA_ITEMS: Final = 500  # values in the whole map, at any depth


def check_metadata(value: object, field: str = "metadata") -> ClientMap:
    """A client's JSON object, bounded, every value one that reads back (SPEC §12).

    Plain JSON only: objects with short text keys, arrays, text, finite numbers
    (integers within ``bigint``), booleans and null. Any key is allowed, the
    transcoder's own ``_type_``/``_data_`` too: a ``ClientMap`` is stored as
    its JSON text, so no key can be read as a type.
    """
    if isinstance(value, ClientMap):
        value = value.as_dict()
    if not isinstance(value, dict):
        raise InvalidTextError(field, "must be an object")
    budget = [MAX_METADATA_ITEMS]
    return ClientMap(
        {
            key: _json_value(item, f"{field}.{key}", 1, budget)
            for key, item in _json_object(value, field)
        }
    )


def _json_object(value: dict[object, object], field: str) -> list[tuple[str, object]]:
    if len(value) > MAX_METADATA_KEYS:
        raise InvalidTextError(field, f"more than {MAX_METADATA_KEYS} keys")
    for key in value:
        check_id(key, f"{field} key")
    return [(str(key), item) for key, item in value.items()]


def _json_value(value: object, field: str, depth: int, budget: list[int]) -> object:
    budget[0] -= 1
    if budget[0] < 0:
        raise InvalidTextError(field, f"more than {MAX_METADATA_ITEMS} values")
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str):
        return check_text(value, field)
    if isinstance(value, int):
        return check_amount(value, field)
    if isinstance(value, float | Decimal):
        return _json_number(value, field)
    if depth >= MAX_METADATA_DEPTH and isinstance(value, dict | list):
        raise InvalidTextError(field, f"nested deeper than {MAX_METADATA_DEPTH}")
    if isinstance(value, dict):
        return {
            key: _json_value(item, f"{field}.{key}", depth + 1, budget)
            for key, item in _json_object(value, field)
        }
    if isinstance(value, list):
        if len(value) > MAX_METADATA_KEYS:
            raise InvalidTextError(field, f"more than {MAX_METADATA_KEYS} values")
        return [
            _json_value(item, f"{field}[{i}]", depth + 1, budget)
            for i, item in enumerate(value)
        ]
    raise InvalidTextError(field, "must be JSON: object, array, text, number or bool")


def _json_number(value: float | Decimal, field: str) -> int | float:
    """A fraction kept as a float only when the float reads back as sent."""
    if not math.isfinite(value):
        raise InvalidTextError(field, "not a finite number")
    if isinstance(value, Decimal):
        if value == value.to_integral_value() and value.as_tuple().exponent == 0:
            return check_amount(int(value), field)
        number = float(value)
        if Decimal(repr(number)) != value:
            raise InvalidTextError(field, "a number a float cannot hold exactly")
        return number
    return value
