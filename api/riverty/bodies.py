"""Riverty bodies that may be empty: a full refund or a full void.

Riverty's SDK sends a full refund and a full void as the JSON string ``""``;
others send nothing, ``{}`` or ``null``. FastAPI would refuse all but ``{}``
before the route runs, so these routes read their body here, and document it
with ``openapi_extra``.
"""

from __future__ import annotations

from typing import Any, TypeVar

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError

from api.json_body import read_json_body

_EMPTY = ("", None)
Model = TypeVar("Model", bound=BaseModel)


async def optional_body(request: Request, model: type[Model]) -> Model:
    """The body as ``model``; empty (none, ``""``, ``null``, ``{}``): its default."""
    value = await read_json_body(request)
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
