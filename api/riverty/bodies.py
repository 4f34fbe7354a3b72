"""Riverty bodies that may be empty: a full refund or a full void.

Riverty's SDK sends a full refund and a full void as the JSON string ``""``;
others send nothing, ``{}`` or ``null``. FastAPI would refuse all but ``{}``
before the route runs, so these routes read their body here, and document it
with ``openapi_extra``.
"""

from __future__ import annotations

import json
from typing import Any, TypeVar

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError

_EMPTY = ("", None)
Model = TypeVar("Model", bound=BaseModel)


async def optional_body(request: Request, model: type[Model]) -> Model:
    """The body as ``model``; empty (none, ``""``, ``null``, ``{}``): its default."""
    raw = await request.body()
    if not raw.strip():
        return model()
    try:
        value = json.loads(raw)
    except ValueError as error:
        raise RequestValidationError(
            [{"type": "json_invalid", "loc": ("body",), "msg": f"not JSON: {error}"}]
        ) from None
    if value in _EMPTY:
        return model()
    try:
        return model.model_validate(value)
    except ValidationError as error:
        raise RequestValidationError(
            [{**err, "loc": ("body", *err["loc"])} for err in error.errors()]
        ) from None


def documented(model: type[BaseModel]) -> dict[str, Any]:
    """``openapi_extra`` declaring ``model`` as an optional JSON body."""
    schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
    schema.pop("$defs", None)
    return {
        "requestBody": {
            "required": False,
            "content": {"application/json": {"schema": schema}},
        }
    }
