"""The Dintero dialect's errors: ``{"error": {"code", "message", …}}`` (SPEC §5).

Dintero's published format (docs.dintero.com ``docs/errors``): a JSON object
whose ``error`` member holds a ``code`` and a human ``message``; extra members
inside ``error`` are allowed, so the ledger adds the rule's figures, the
request id and, for an invalid request, the fields at fault. An invalid
request is 400 (the native API's 422), a conflict with the order's state 409.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from http import HTTPStatus
from typing import Any, Final

from fastapi import Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict

from api.context import current_request_id
from api.errors import DialectRoute, FieldError, http_code
from api.native.problems import PROBLEM_TYPES
from domain.errors import LedgerError

# The dialect's routes (for failures answered outside a route, e.g. 413).
_PATHS: Final = re.compile(r"^/v1/accounts/[^/]+/(shopping|auth)(/|$)")


def is_dintero_path(path: str) -> bool:
    return _PATHS.match(path) is not None


def error_body(code: str, message: str) -> bytes:
    error = {"code": code, "message": message, "request_id": current_request_id()}
    return json.dumps({"error": error}).encode()


class DinteroErrorDetail(BaseModel):
    model_config = ConfigDict(extra="allow")
    code: str
    message: str
    request_id: str


class DinteroError(BaseModel):
    """Dintero's error body."""

    error: DinteroErrorDetail


DINTERO_ERROR_RESPONSES: Final[dict[int | str, dict[str, Any]]] = {
    status: {"model": DinteroError, "description": HTTPStatus(status).phrase}
    for status in (400, 401, 403, 404, 409, 413, 415, 429, 500, 503)
}


def dintero_error(
    status: int,
    code: str,
    message: str,
    headers: Mapping[str, str] | None = None,
    **extra: Any,  # noqa: ANN401 - JSON members
) -> JSONResponse:
    headers = dict(headers or {})
    if status == HTTPStatus.SERVICE_UNAVAILABLE:
        headers["Retry-After"] = "1"
    body = {"code": code, "message": message, "request_id": current_request_id()}
    return JSONResponse(
        {"error": {**body, **extra}}, status_code=status, headers=headers
    )


def _status(error: LedgerError) -> int:
    status = PROBLEM_TYPES[type(error)].status
    return 400 if status == HTTPStatus.UNPROCESSABLE_ENTITY else int(status)


class DinteroErrors:
    """Every failure of a ``/shopping`` or ``/auth`` route, in Dintero's format."""

    def ledger(self, request: Request, error: LedgerError) -> Response:
        return dintero_error(
            _status(error), error.code, str(error), **error.extensions()
        )

    def invalid(self, request: Request, errors: Sequence[FieldError]) -> Response:
        members = [
            {"field": err.field, "message": err.message, "type": err.kind}
            for err in errors
        ]
        message = "; ".join(f"{err.field or 'body'}: {err.message}" for err in errors)
        return dintero_error(400, "validation_error", message, errors=members)

    def http(
        self,
        request: Request,
        status: int,
        detail: str | None,
        headers: Mapping[str, str] | None,
    ) -> Response:
        phrase = HTTPStatus(status).phrase
        return dintero_error(status, http_code(status), detail or phrase, headers)

    def unavailable(
        self, request: Request, code: str, title: str, detail: str
    ) -> Response:
        return dintero_error(503, code, f"{title}: {detail}")

    def internal(self, request: Request) -> Response:
        return dintero_error(500, "internal_error", "Internal error")


class DinteroRoute(DialectRoute):
    """Dintero's answers leave out a field without a value (SPEC §5).

    Dintero's schemas mark no field nullable, so a client generated from them
    fails on ``null``; absent is what they expect.
    """

    renderer = DinteroErrors()

    def __init__(
        self,
        path: str,
        endpoint: Callable[..., Any],
        **kwargs: Any,  # noqa: ANN401 - APIRoute's
    ) -> None:
        kwargs["response_model_exclude_none"] = True
        super().__init__(path, endpoint, **kwargs)
