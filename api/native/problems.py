"""RFC 9457 problem responses: the native (and for now Dintero) error format."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any, Final

from fastapi import Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict

from api.context import current_request_id
from api.errors import DialectRoute, FieldError, http_code
from domain import errors as e
from domain import money_errors as m

log = logging.getLogger(__name__)
PROBLEM_JSON: Final = "application/problem+json"


@dataclass(frozen=True)
class ProblemType:
    status: HTTPStatus
    title: str


class Problem(BaseModel):
    """RFC 9457 problem details; ``code`` is stable and machine-readable."""

    model_config = ConfigDict(extra="allow")
    type: str
    title: str
    status: int
    code: str
    detail: str | None = None
    instance: str
    request_id: str


PROBLEM_RESPONSES: Final[dict[int | str, dict[str, Any]]] = {
    status: {
        "model": Problem,
        "description": HTTPStatus(status).phrase,
        "content": {"application/problem+json": {}},
    }
    for status in (400, 401, 403, 404, 409, 413, 415, 422, 429, 500, 503)
}

_UNPROCESSABLE = HTTPStatus.UNPROCESSABLE_ENTITY
_CONFLICT = HTTPStatus.CONFLICT

PROBLEM_TYPES: Final[Mapping[type[e.LedgerError], ProblemType]] = {
    e.InvalidAmountError: ProblemType(_UNPROCESSABLE, "Invalid amount"),
    e.TooManyDecimalsError: ProblemType(_UNPROCESSABLE, "Too many decimal places"),
    e.OutOfBoundsError: ProblemType(_UNPROCESSABLE, "Value out of range"),
    e.InvalidTextError: ProblemType(_UNPROCESSABLE, "Invalid text"),
    m.NegativeTotalError: ProblemType(_CONFLICT, "Total would go below zero"),
    e.UnsupportedCurrencyError: ProblemType(_UNPROCESSABLE, "Unsupported currency"),
    e.CurrencyMismatchError: ProblemType(_UNPROCESSABLE, "Wrong currency"),
    e.InvalidItemError: ProblemType(_UNPROCESSABLE, "Invalid item"),
    e.EmptyRequestError: ProblemType(_UNPROCESSABLE, "Nothing requested"),
    e.TooManyItemsError: ProblemType(_UNPROCESSABLE, "Too many items"),
    e.DuplicateLineError: ProblemType(_UNPROCESSABLE, "Line named twice"),
    e.LineIdReusedError: ProblemType(_CONFLICT, "Line id already used"),
    e.UnknownLineError: ProblemType(_UNPROCESSABLE, "Unknown line"),
    e.UnknownProductError: ProblemType(_UNPROCESSABLE, "Unknown product"),
    e.InvalidReversalError: ProblemType(_UNPROCESSABLE, "Invalid reversal"),
    e.ReversalExceedsLineError: ProblemType(_CONFLICT, "Reversal exceeds the line"),
    e.AmountSignError: ProblemType(_UNPROCESSABLE, "Amount has the wrong sign"),
    m.OverAuthorizationError: ProblemType(_CONFLICT, "Authorization exceeds the line"),
    m.OverCaptureError: ProblemType(_CONFLICT, "Capture exceeds capturable amount"),
    m.OverRefundError: ProblemType(_CONFLICT, "Refund exceeds refundable amount"),
    m.OverReleaseError: ProblemType(_CONFLICT, "Release exceeds outstanding amount"),
    m.NothingOutstandingError: ProblemType(_CONFLICT, "Nothing to release"),
    m.NothingRefundableError: ProblemType(_CONFLICT, "Nothing to refund"),
    m.CapturedLineChangedError: ProblemType(_CONFLICT, "Captured line changed"),
    m.DuplicateReferenceError: ProblemType(_CONFLICT, "Reference already used"),
    m.UnknownCaptureError: ProblemType(_UNPROCESSABLE, "Unknown capture"),
    m.ReversalRefundError: ProblemType(
        _UNPROCESSABLE, "Reversal lines are not refunded"
    ),
    m.AuthorizationExpiredError: ProblemType(_CONFLICT, "Authorization expired"),
    m.UnknownPaymentError: ProblemType(_UNPROCESSABLE, "Unknown payment"),
    m.ReplaceAfterCaptureError: ProblemType(_CONFLICT, "Order already captured"),
    m.AmbiguousPaymentError: ProblemType(_CONFLICT, "Several payments authorized"),
    e.TotalsMismatchError: ProblemType(_UNPROCESSABLE, "Totals do not match items"),
    e.IdempotencyConflictError: ProblemType(_CONFLICT, "Idempotency-Key reused"),
    e.OrderNotFoundError: ProblemType(HTTPStatus.NOT_FOUND, "Order not found"),
    e.OrderExistsError: ProblemType(_CONFLICT, "Order already exists"),
    e.DraftNotFoundError: ProblemType(HTTPStatus.NOT_FOUND, "Draft order not found"),
    e.DraftCompletedError: ProblemType(_CONFLICT, "Draft already completed"),
    e.VersionNotFoundError: ProblemType(HTTPStatus.NOT_FOUND, "No such version"),
    e.ConcurrentModificationError: ProblemType(_CONFLICT, "Concurrent modification"),
}


def problem(  # noqa: PLR0913, PLR0917 - the members of a problem
    request: Request,
    status: int,
    code: str,
    title: str,
    detail: str | None = None,
    headers: Mapping[str, str] | None = None,
    **extensions: Any,  # noqa: ANN401 - JSON members
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": f"/problems/{code.replace('_', '-')}",
        "title": title,
        "status": status,
        "code": code,
        "instance": request.url.path,
        "request_id": current_request_id(),
    }
    if detail:
        body["detail"] = detail
    body.update(extensions)
    headers = dict(headers or {})
    if status == HTTPStatus.SERVICE_UNAVAILABLE:
        headers["Retry-After"] = "1"
    return JSONResponse(
        body, status_code=status, media_type=PROBLEM_JSON, headers=headers
    )


def ledger_problem(request: Request, error: e.LedgerError) -> JSONResponse:
    kind = PROBLEM_TYPES[type(error)]
    return problem(
        request, kind.status, error.code, kind.title, str(error), **error.extensions()
    )


class NativeProblems:
    """RFC 9457 ``application/problem+json`` answers with a stable ``code``."""

    def ledger(self, request: Request, error: e.LedgerError) -> Response:
        return ledger_problem(request, error)

    def invalid(self, request: Request, errors: Sequence[FieldError]) -> Response:
        members = [
            {"field": err.field, "message": err.message, "type": err.kind}
            for err in errors
        ]
        detail = "; ".join(f"{err.field or 'body'}: {err.message}" for err in errors)
        return problem(
            request, 422, "validation_error", "Invalid request", detail, errors=members
        )

    def http(
        self,
        request: Request,
        status: int,
        detail: str | None,
        headers: Mapping[str, str] | None,
    ) -> Response:
        phrase = HTTPStatus(status).phrase
        return problem(
            request, status, http_code(status), phrase, detail, headers=headers
        )

    def unavailable(
        self, request: Request, code: str, title: str, detail: str
    ) -> Response:
        return problem(request, 503, code, title, detail)

    def internal(self, request: Request) -> Response:
        return problem(request, 500, "internal_error", "Internal error")


class NativeRoute(DialectRoute):
    renderer = NativeProblems()
