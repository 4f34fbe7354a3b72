"""Riverty's error format: HTTP 400 (or 401/403/404/409) with an array of messages.

Every code the dialect can answer is in ``CODES`` (and in the README table).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from http import HTTPStatus
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


# Riverty's own codes keep Riverty's meanings (docs.riverty.com/bnpl/
# documentation/response_codes): 400.001-400.007 validation, 400.100-400.102
# order number and totals. Riverty publishes no 400.9xx codes: the ledger's
# own business rules answer there, so no client mistakes one for Riverty's.
CODES: Final[Mapping[type[e.LedgerError], Code]] = {
    e.InvalidAmountError: Code(400, "400.004", "Value format is incorrect."),
    e.TooManyDecimalsError: Code(
        400, "400.007", "A decimal value has more than allowed decimal digits."
    ),
    e.OutOfBoundsError: Code(400, "400.003", "Value out of range."),
    e.InvalidTextError: Code(400, "400.004", "Value format is incorrect."),
    e.UnsupportedCurrencyError: Code(400, "400.004", "Value format is incorrect."),
    e.InvalidItemError: Code(400, "400.004", "Value format is incorrect."),
    e.TooManyItemsError: Code(400, "400.003", "Maximum allowed 200 items."),
    e.OrderExistsError: Code(
        400, "400.100", "Order number is already used on the client."
    ),
    e.CurrencyMismatchError: Code(400, "400.901", "Currency differs from the order's."),
    e.EmptyRequestError: Code(400, "400.902", "The request names no items."),
    e.DuplicateLineError: Code(400, "400.903", "An item appears twice."),
    e.LineIdReusedError: Code(400, "400.903", "An item appears twice."),
    e.UnknownLineError: Code(400, "400.904", "Item is not part of the order."),
    e.UnknownProductError: Code(400, "400.904", "Item is not part of the order."),
    e.InvalidReversalError: Code(400, "400.905", "Invalid reversal."),
    e.ReversalExceedsLineError: Code(400, "400.905", "Invalid reversal."),
    m.ReversalRefundError: Code(400, "400.905", "Invalid reversal."),
    e.AmountSignError: Code(400, "400.906", "Amount is zero or has the wrong sign."),
    m.NegativeTotalError: Code(400, "400.907", "A total would go below zero."),
    m.OverAuthorizationError: Code(400, "400.908", "Amount exceeds the order."),
    m.OverCaptureError: Code(400, "400.909", "Capture exceeds the authorized amount."),
    m.OverRefundError: Code(400, "400.910", "Refund exceeds the captured amount."),
    m.OverReleaseError: Code(400, "400.911", "Void exceeds the authorized amount."),
    m.NothingOutstandingError: Code(400, "400.912", "Nothing authorized remains."),
    m.NothingRefundableError: Code(400, "400.913", "Nothing captured remains."),
    m.AuthorizationExpiredError: Code(400, "400.914", "The authorization has expired."),
    m.UnknownPaymentError: Code(400, "400.915", "Unknown reservation."),
    m.ReplaceAfterCaptureError: Code(
        400, "400.916", "Order is fully captured and can no longer be updated."
    ),
    m.CapturedLineChangedError: Code(
        400, "400.917", "A captured item can only be listed again unchanged."
    ),
    m.AmbiguousPaymentError: Code(400, "400.918", "Order has several reservations."),
    m.DuplicateReferenceError: Code(400, "400.919", "Number already used."),
    m.UnknownCaptureError: Code(400, "400.920", "Unknown capture number."),
    e.DraftCompletedError: Code(400, "400.921", "Draft already completed."),
    e.TotalsMismatchError: Code(400, "400.101", "Totals do not match items."),
    e.IdempotencyConflictError: Code(409, "409.001", "Idempotency-Key reused."),
    e.OrderNotFoundError: Code(404, "404.001", "Order not found."),
    e.DraftNotFoundError: Code(404, "404.002", "Draft order not found."),
    e.VersionNotFoundError: Code(404, "404.003", "No such version."),
    e.ConcurrentModificationError: Code(409, "409.002", "Order changed; retry."),
}

# The field Riverty names for an error whose rule has no field of its own.
_FIELDS: Final[Mapping[type[e.LedgerError], str]] = {
    e.OrderExistsError: "order.number",
}

# The ledger's names for the numbers a request carries → the body's field.
_BODY_NAMES: Final[Mapping[str, Mapping[str, str]]] = {
    "captures": {"reference": "invoiceNumber", "invoice_number": "invoiceNumber"},
    "refunds": {
        "reference": "creditNoteNumber",
        "refund_number": "creditNoteNumber",
        "capture_reference": "captureNumber",
    },
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

REQUIRED = ("400.002", "Value is required.")
INVALID_FORMAT = ("400.004", "Value format is incorrect.")
# Pydantic's error types → Riverty's validation codes and messages.
VALIDATION_CODES: Final = {
    "missing": REQUIRED,
    "too_short": REQUIRED,
    "string_too_long": ("400.005", "A string value exceeds maximum length."),
    "string_too_short": ("400.006", "A string value is shorter than required."),
    "too_long": ("400.003", "Value out of range."),
    "greater_than": ("400.003", "Value out of range."),
    "greater_than_equal": ("400.003", "Value out of range."),
    "less_than": ("400.003", "Value out of range."),
    "less_than_equal": ("400.003", "Value out of range."),
    "decimal_max_places": (
        "400.007",
        "A decimal value has more than allowed decimal digits.",
    ),
    "json_invalid": ("400.001", "Request body is empty or invalid."),
    "model_type": ("400.001", "Request body is empty or invalid."),
    "model_attributes_type": ("400.001", "Request body is empty or invalid."),
}
BODY_MISSING = ("400.001", "Request body missing.")


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
    extensions = error.extensions()
    field = (
        _FIELDS.get(type(error)) or extensions.get("field") or extensions.get("missing")
    )
    endpoint = request.url.path.rsplit("/", 1)[-1]
    field = _BODY_NAMES.get(endpoint, {}).get(str(field), field)
    # The detail (numbers, amounts) is for the developer; a shop shows the
    # customer-facing text to its customer (WooCommerce does).
    return respond(
        code.status, [message(code.code, str(error), field, code.message, kind)]
    )


def _validation_code(err: FieldError) -> tuple[str, str]:
    if err.kind == "missing" and not err.field:
        return BODY_MISSING
    return VALIDATION_CODES.get(err.kind, INVALID_FORMAT)


def validation_error(errors: Iterable[FieldError]) -> JSONResponse:
    """Pydantic's field errors → Riverty messages, ``fieldReference`` set."""
    messages = []
    for err in errors:
        code, text = _validation_code(err)
        messages.append(message(code, err.message, err.field or "request", text))
    return respond(400, messages)


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
    code, field = f"{status}.000", None
    if status == HTTPStatus.BAD_REQUEST:  # a body refused whole (api/json_body.py)
        (code, text), field = VALIDATION_CODES["json_invalid"], "request"
    response = respond(status, [message(code, detail or text, field, text, kind)])
    response.headers.update(headers or {})
    return response


# Where the ledger's own conditions sit beside Riverty's numbered codes.
UNAVAILABLE_CODES: Final = {
    "ledger_busy": "503.001",
    "database_unavailable": "503.002",
    "projection_lagging": "503.003",
    "read_model_incomplete": "503.004",
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
                    UNAVAILABLE_CODES[code], detail, None, title + ".", "TechnicalError"
                )
            ],
        )
        response.headers["Retry-After"] = "1"
        return response

    def internal(self, request: Request) -> Response:
        return http_error(500, "Internal error.")


class RivertyRoute(DialectRoute):
    renderer = RivertyErrors()
