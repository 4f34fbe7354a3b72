"""Riverty's error format: HTTP 400 (or 401/403/404/409) with an array of messages.

Every code the dialect can answer is in ``CODES`` (and in the README table).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from fastapi import Request, Response
from fastapi.responses import JSONResponse

from api.errors import DialectRoute, FieldError
from domain import errors as e
from domain import money_errors as m

PREFIX: Final = "/api/v3"


@dataclass(frozen=True)
class Code:
    status: int
    code: str
    message: str


CODES: Final[Mapping[type[e.LedgerError], Code]] = {
    e.InvalidAmountError: Code(400, "400.004", "Invalid amount."),
    e.TooManyDecimalsError: Code(400, "400.007", "Amount has more than two decimals."),
    e.OutOfBoundsError: Code(400, "400.003", "Value is out of range."),
    e.InvalidTextError: Code(400, "400.004", "Invalid text."),
    m.NegativeTotalError: Code(400, "400.215", "A total would go below zero."),
    e.UnsupportedCurrencyError: Code(400, "400.005", "Currency is not supported."),
    e.CurrencyMismatchError: Code(400, "400.006", "Currency differs from the order's."),
    e.InvalidItemError: Code(400, "400.004", "Invalid item."),
    e.EmptyRequestError: Code(400, "400.009", "The request names no items."),
    e.TooManyItemsError: Code(400, "400.008", "Maximum allowed 200 items."),
    e.DuplicateLineError: Code(400, "400.010", "An item appears twice."),
    e.LineIdReusedError: Code(400, "400.010", "An item appears twice."),
    e.UnknownLineError: Code(400, "400.208", "Item is not part of the order."),
    e.UnknownProductError: Code(400, "400.208", "Item is not part of the order."),
    e.InvalidReversalError: Code(400, "400.004", "Invalid item."),
    e.ReversalExceedsLineError: Code(400, "400.004", "Invalid item."),
    e.AmountSignError: Code(400, "400.011", "Amount is zero or has the wrong sign."),
    m.OverAuthorizationError: Code(400, "400.212", "Amount exceeds the order."),
    m.OverCaptureError: Code(400, "400.202", "Capture exceeds the authorized amount."),
    m.OverRefundError: Code(400, "400.203", "Refund exceeds the captured amount."),
    m.OverReleaseError: Code(400, "400.204", "Void exceeds the authorized amount."),
    m.NothingOutstandingError: Code(400, "400.211", "Nothing authorized remains."),
    m.ReversalRefundError: Code(400, "400.004", "Invalid item."),
    m.AuthorizationExpiredError: Code(400, "400.205", "The authorization has expired."),
    m.UnknownPaymentError: Code(400, "400.213", "Unknown reservation."),
    m.ReplaceAfterCaptureError: Code(
        400, "400.201", "Order is captured and can no longer be updated."
    ),
    m.AmbiguousPaymentError: Code(400, "400.210", "Order has several reservations."),
    m.DuplicateReferenceError: Code(400, "400.206", "Invoice number already used."),
    m.UnknownCaptureError: Code(400, "400.207", "Unknown capture number."),
    e.TotalsMismatchError: Code(400, "400.101", "Totals do not match items."),
    e.IdempotencyConflictError: Code(409, "409.001", "Idempotency-Key reused."),
    e.OrderNotFoundError: Code(404, "404.001", "Order not found."),
    e.OrderExistsError: Code(400, "400.209", "Order number already exists."),
    e.DraftNotFoundError: Code(404, "404.002", "Draft order not found."),
    e.DraftCompletedError: Code(400, "400.214", "Draft already completed."),
    e.VersionNotFoundError: Code(404, "404.003", "No such version."),
    e.ConcurrentModificationError: Code(409, "409.002", "Order changed; retry."),
}

# Seed 003's exact wording, including its Dutch customer-facing message.
TOTALS: Final[Mapping[str, dict[str, str]]] = {
    "net": {
        "code": "400.101",
        "message": "TotalNetAmount doesn't match with items prices.",
        "customerFacingMessage": "TotalNetAmount komt niet overeen met de itemprijzen.",
        "field": "totalNetAmount",
    },
    "gross": {
        "code": "400.102",
        "message": "Order gross amount doesn't match with items prices.",
        "customerFacingMessage": "Order gross amount doesn't match with items prices.",
        "field": "totalGrossAmount",
    },
}

# Where an endpoint's declared totals live, for fieldReference.
_TOTALS_PARENT: Final = {
    "updateOrder": "updateOrderSummary",
    "captures": "orderDetails",
    "voids": "cancellationDetails",
    "authorize": "order",
}

VALIDATION_CODES: Final = {
    "missing": ("400.001", "Field is required."),
    "string_too_long": ("400.002", "Value is too long."),
    "string_too_short": ("400.002", "Value is too short."),
    "literal_error": ("400.003", "Value is not one of the allowed values."),
    "too_long": ("400.008", "Maximum allowed 200 items."),
}


def message(
    code: str,
    text: str,
    field: str | None = None,
    customer: str | None = None,
    kind: str = "BusinessError",
) -> dict[str, Any]:
    return {
        "type": kind,
        "code": code,
        "message": text,
        "customerFacingMessage": customer or text,
        "actionCode": "Unavailable",
        "fieldReference": field,
    }


def respond(status: int, messages: Iterable[dict[str, Any]]) -> JSONResponse:
    # X-Request-Id is added to every answer by RequestIdMiddleware.
    return JSONResponse(list(messages), status_code=status)


def ledger_error(request: Request, error: e.LedgerError) -> JSONResponse:
    if isinstance(error, e.TotalsMismatchError):
        parent = _TOTALS_PARENT.get(request.url.path.rsplit("/", 1)[-1], "order")
        return respond(
            400,
            (
                message(
                    t["code"],
                    t["message"],
                    f"{parent}.{t['field']}",
                    t["customerFacingMessage"],
                )
                for t in (TOTALS[str(m["total"])] for m in error.mismatches)
            ),
        )
    code = CODES[type(error)]
    kind = "TechnicalError" if code.status >= 500 else "BusinessError"  # noqa: PLR2004
    field = error.extensions().get("field")
    return respond(
        code.status, [message(code.code, code.message, field, str(error), kind)]
    )


def validation_error(errors: Iterable[FieldError]) -> JSONResponse:
    """Pydantic's field errors → Riverty messages."""
    return respond(
        400,
        (
            message(
                VALIDATION_CODES.get(err.kind, ("400.004", ""))[0],
                VALIDATION_CODES.get(err.kind, ("", err.message))[1] or err.message,
                err.field or None,
                err.message,
            )
            for err in errors
        ),
    )


def http_error(
    status: int, detail: str | None, headers: Mapping[str, str] | None = None
) -> JSONResponse:
    texts = {
        401: "Authorization has been denied for this request.",
        403: "This key may not write.",
        404: "Not found.",
        429: "Too many requests; retry later.",
    }
    text = texts.get(status, detail or "Request failed.")
    kind = "TechnicalError" if status >= 500 else "BusinessError"  # noqa: PLR2004
    response = respond(
        status, [message(f"{status}.000", text, None, detail or text, kind)]
    )
    response.headers.update(headers or {})
    return response


# Where the ledger's own conditions sit beside Riverty's numbered codes.
UNAVAILABLE_CODES: Final = {
    "ledger_busy": "503.001",
    "database_unavailable": "503.002",
    "projection_lagging": "503.003",
}


class RivertyErrors:
    """Every failure of a Riverty route as Riverty's array of messages."""

    def ledger(self, request: Request, error: e.LedgerError) -> Response:
        return ledger_error(request, error)

    def invalid(self, request: Request, errors: Sequence[FieldError]) -> Response:
        return validation_error(errors)

    def http(
        self,
        request: Request,
        status: int,
        detail: str | None,
        headers: Mapping[str, str] | None,
    ) -> Response:
        return http_error(status, detail, headers)

    def unavailable(
        self, request: Request, code: str, title: str, detail: str
    ) -> Response:
        response = respond(
            503,
            [
                message(
                    UNAVAILABLE_CODES[code], title + ".", None, detail, "TechnicalError"
                )
            ],
        )
        response.headers["Retry-After"] = "1"
        return response

    def internal(self, request: Request) -> Response:
        return http_error(500, "Internal error.")


class RivertyRoute(DialectRoute):
    renderer = RivertyErrors()
