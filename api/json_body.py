"""Reading a JSON request body the way SPEC §12 says, once for every route.

Python's ``json`` (and so FastAPI) lets the last of duplicate keys win, reads
``NaN``, recurses until the interpreter gives up, and reads ``100.01999…``
through a float. Here a body is refused whole when it is not what it seems:
a type that is not JSON (415), text that is not UTF-8, a key twice, nesting
deeper than ``MAX_DEPTH`` (400). Numbers with a fraction are read as exact
``Decimal`` values from their text, and every string is composed (NFC), so a
decomposed ``Å`` is the same id as a composed one.
"""

from __future__ import annotations

import json
import unicodedata
from decimal import Decimal
from http import HTTPStatus
from typing import Any, Final

from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.requests import Request

MAX_DEPTH: Final = 32
_EMPTY: Final = object()


class BodyRefusedError(HTTPException):
    """A body refused before validation; access is still checked first."""


def _unique(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    value = dict(pairs)
    if len(value) != len(pairs):
        seen: set[str] = set()
        twice = next(k for k, _ in pairs if k in seen or seen.add(k))  # type: ignore[func-returns-value]
        raise BodyRefusedError(HTTPStatus.BAD_REQUEST, f"key {twice!r} appears twice")
    return value


def _no_constant(name: str) -> Any:  # noqa: ANN401 - json's hook
    raise BodyRefusedError(HTTPStatus.BAD_REQUEST, f"{name} is not a JSON number")


_DECODER: Final = json.JSONDecoder(
    object_pairs_hook=_unique, parse_float=Decimal, parse_constant=_no_constant
)


def _composed(value: Any, depth: int = 1) -> Any:  # noqa: ANN401 - any JSON value
    """``value`` with its strings in NFC; refused past ``MAX_DEPTH``."""
    if isinstance(value, str):
        return unicodedata.normalize("NFC", value)
    if isinstance(value, dict | list) and depth > MAX_DEPTH:
        reason = f"nested deeper than {MAX_DEPTH}"
        raise BodyRefusedError(HTTPStatus.BAD_REQUEST, reason)
    if isinstance(value, dict):
        return {
            unicodedata.normalize("NFC", k): _composed(v, depth + 1)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_composed(v, depth + 1) for v in value]
    return value


def is_json_type(content_type: str) -> bool:
    """``application/json`` or a ``+json`` type, in UTF-8 if a charset is named."""
    media, _, params = content_type.partition(";")
    kind, _, subtype = media.strip().lower().partition("/")
    if kind != "application" or not (subtype == "json" or subtype.endswith("+json")):
        return False
    for param in params.split(";"):
        name, _, charset = param.partition("=")
        if name.strip().lower() == "charset":
            return charset.strip().strip('"').lower() in {"utf-8", "utf8"}
    return True


def parse_json(raw: bytes, content_type: str | None) -> Any:  # noqa: ANN401
    """The body's JSON value; ``None`` for an empty body, which needs no type."""
    if not raw.strip():
        return None
    if content_type and not is_json_type(content_type):
        reason = f"the body must be JSON (application/json), not {content_type}"
        raise BodyRefusedError(HTTPStatus.UNSUPPORTED_MEDIA_TYPE, reason)
    try:
        text = raw.decode("utf-8")
        value = _DECODER.decode(text)
    except UnicodeDecodeError:
        raise BodyRefusedError(HTTPStatus.BAD_REQUEST, "not UTF-8") from None
    except RecursionError:
        reason = f"nested deeper than {MAX_DEPTH}"
        raise BodyRefusedError(HTTPStatus.BAD_REQUEST, reason) from None
    except json.JSONDecodeError as error:
        raise RequestValidationError(
            [{"type": "json_invalid", "loc": ("body",), "msg": str(error)}]
        ) from None
    return _composed(value)


async def read_json_body(request: Request) -> Any:  # noqa: ANN401 - any JSON value
    """Parse the body once and leave it where FastAPI reads it (``request.json()``)."""
    cached = getattr(request, "_json", _EMPTY)
    if cached is not _EMPTY:
        return cached
    value = parse_json(await request.body(), request.headers.get("content-type"))
    request._json = value  # noqa: SLF001 - Starlette's cache that FastAPI reads
    return value
