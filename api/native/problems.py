"""RFC 9457 problem responses: the one mapping from errors to HTTP."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any, Final

import psycopg
from eventsourcing.persistence import DataError, InterfaceError, OperationalError
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from psycopg_pool import PoolClosed, PoolTimeout
from pydantic import BaseModel, ConfigDict
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.auth import check_access
from api.context import current_request_id
from api.riverty import errors as riverty
from domain import errors as e
from projections.setup import ProjectionLaggingError

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
    for status in (400, 401, 403, 404, 409, 413, 422, 503)
}

_UNPROCESSABLE = HTTPStatus.UNPROCESSABLE_ENTITY
_CONFLICT = HTTPStatus.CONFLICT

PROBLEM_TYPES: Final[Mapping[type[e.LedgerError], ProblemType]] = {
    e.InvalidAmountError: ProblemType(_UNPROCESSABLE, "Invalid amount"),
    e.TooManyDecimalsError: ProblemType(_UNPROCESSABLE, "Too many decimal places"),
    e.OutOfBoundsError: ProblemType(_UNPROCESSABLE, "Value out of range"),
    e.InvalidTextError: ProblemType(_UNPROCESSABLE, "Invalid text"),
    e.NegativeTotalError: ProblemType(_CONFLICT, "Total would go below zero"),
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
    e.OverAuthorizationError: ProblemType(_CONFLICT, "Authorization exceeds the line"),
    e.OverCaptureError: ProblemType(_CONFLICT, "Capture exceeds capturable amount"),
    e.OverRefundError: ProblemType(_CONFLICT, "Refund exceeds refundable amount"),
    e.OverReleaseError: ProblemType(_CONFLICT, "Release exceeds outstanding amount"),
    e.NothingOutstandingError: ProblemType(_CONFLICT, "Nothing to release"),
    e.DuplicateReferenceError: ProblemType(_CONFLICT, "Reference already used"),
    e.UnknownCaptureError: ProblemType(_UNPROCESSABLE, "Unknown capture"),
    e.ReversalRefundError: ProblemType(
        _UNPROCESSABLE, "Reversal lines are not refunded"
    ),
    e.AuthorizationExpiredError: ProblemType(_CONFLICT, "Authorization expired"),
    e.UnknownPaymentError: ProblemType(_UNPROCESSABLE, "Unknown payment"),
    e.ReplaceAfterCaptureError: ProblemType(_CONFLICT, "Order already captured"),
    e.AmbiguousPaymentError: ProblemType(_CONFLICT, "Several payments authorized"),
    e.TotalsMismatchError: ProblemType(_UNPROCESSABLE, "Totals do not match items"),
    e.IdempotencyConflictError: ProblemType(_CONFLICT, "Idempotency-Key reused"),
    e.OrderNotFoundError: ProblemType(HTTPStatus.NOT_FOUND, "Order not found"),
    e.OrderExistsError: ProblemType(_CONFLICT, "Order already exists"),
    e.DraftNotFoundError: ProblemType(HTTPStatus.NOT_FOUND, "Draft order not found"),
    e.DraftCompletedError: ProblemType(_CONFLICT, "Draft already completed"),
    e.VersionNotFoundError: ProblemType(HTTPStatus.NOT_FOUND, "No such version"),
    e.ConcurrentModificationError: ProblemType(_CONFLICT, "Concurrent modification"),
    e.LedgerBusyError: ProblemType(HTTPStatus.SERVICE_UNAVAILABLE, "Ledger busy"),
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


async def _ledger_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, e.LedgerError)  # noqa: S101 - registered for it only
    if riverty.is_riverty(request):
        return riverty.ledger_error(request, exc)
    return ledger_problem(request, exc)


def field_path(location: Sequence[int | str]) -> str:
    """``("body", "order", "items", 0, "id")`` → ``order.items[0].id``."""
    path = ""
    for part in location[1:] if location and location[0] == "body" else location:
        path += (
            f"[{part}]"
            if isinstance(part, int)
            else (f".{part}" if path else str(part))
        )
    return path


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)  # noqa: S101
    try:
        await check_access(request)
    except StarletteHTTPException as denied:
        return await _http_error(request, denied)
    errors = [
        {
            "field": field_path(err.get("loc", ())),
            "message": err.get("msg", ""),
            "type": err.get("type", ""),
        }
        for err in exc.errors()
    ]
    if riverty.is_riverty(request):
        return riverty.validation_error(
            (err["field"], err["type"], err["message"]) for err in errors
        )
    detail = "; ".join(f"{err['field'] or 'body'}: {err['message']}" for err in errors)
    return problem(
        request, 422, "validation_error", "Invalid request", detail, errors=errors
    )


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)  # noqa: S101
    status = HTTPStatus(exc.status_code)
    code = status.phrase.lower().replace(" ", "_").replace("-", "_")
    detail = exc.detail if isinstance(exc.detail, str) else None
    if riverty.is_riverty(request):
        return riverty.http_error(status, detail, exc.headers)
    return problem(request, status, code, status.phrase, detail, headers=exc.headers)


async def _bad_data(request: Request, exc: Exception) -> JSONResponse:
    """Input the database cannot hold (a NUL byte, a number out of range)."""
    log.warning("input refused by the database: %s", exc)
    if riverty.is_riverty(request):
        return riverty.validation_error([("", "invalid", "value not accepted")])
    return problem(
        request, 422, "invalid_input", "Input not accepted", "a value cannot be stored"
    )


# The database cannot be reached or its pool is exhausted or closed: a retry
# later may work, so 503 with Retry-After, never 500.
UNAVAILABLE: Final = (
    OperationalError,
    InterfaceError,
    psycopg.OperationalError,
    psycopg.InterfaceError,
    PoolTimeout,
    PoolClosed,
)


def _service_unavailable(
    request: Request, code: str, title: str, detail: str
) -> JSONResponse:
    if riverty.is_riverty(request):
        return riverty.http_error(503, detail, {"Retry-After": "1"})
    return problem(request, 503, code, title, detail)


async def _database_unavailable(request: Request, exc: Exception) -> JSONResponse:
    log.warning("database unavailable: %s", exc)
    return _service_unavailable(
        request, "database_unavailable", "Database unavailable", "retry shortly"
    )


async def _projection_lagging(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ProjectionLaggingError)  # noqa: S101
    log.warning("read refused: %s", exc)
    return _service_unavailable(
        request, "projection_lagging", "Read model behind", str(exc)
    )


def unexpected_error(request: Request, exc: Exception) -> JSONResponse:
    """The answer to an exception nothing else handled, in the route's dialect."""
    if isinstance(exc, UNAVAILABLE):
        log.warning("database unavailable: %s", exc)
        return _service_unavailable(
            request, "database_unavailable", "Database unavailable", "retry shortly"
        )
    log.error("unhandled error", exc_info=exc)
    if riverty.is_riverty(request):
        return riverty.http_error(500, "Internal error.")
    return problem(request, 500, "internal_error", "Internal error")


def install_problem_handlers(app: FastAPI) -> None:
    """Map known errors; the rest go to ``unexpected_error`` (api.middleware)."""
    app.add_exception_handler(e.LedgerError, _ledger_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(DataError, _bad_data)
    app.add_exception_handler(psycopg.DataError, _bad_data)
    app.add_exception_handler(ProjectionLaggingError, _projection_lagging)
    for unavailable in UNAVAILABLE:
        app.add_exception_handler(unavailable, _database_unavailable)
