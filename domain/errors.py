"""Domain errors: a stable machine-readable ``code`` each, no HTTP status.

The API layer owns the mapping from these classes to each dialect's answers.
"""

from __future__ import annotations

from typing import Any, ClassVar


class LedgerError(Exception):
    """Base of every rejected command; a rejected command changes nothing."""

    code: ClassVar[str] = "ledger_error"

    def __init__(self, message: str, **extensions: object) -> None:
        super().__init__(message)
        self._extensions = extensions

    def extensions(self) -> dict[str, Any]:
        """Machine-readable details, snake_case keys, JSON-serialisable values."""
        return dict(self._extensions)


class InvalidAmountError(LedgerError):
    code = "invalid_amount"

    def __init__(self, field: str, value: str, reason: str) -> None:
        super().__init__(f"{field}={value}: {reason}", field=field, value=value)


class OutOfBoundsError(LedgerError):
    """A number that would not fit where the ledger writes it (SPEC §12)."""

    code = "out_of_bounds"

    def __init__(self, field: str, value: str, low: int, high: int) -> None:
        super().__init__(
            f"{field}={value} is outside {low}..{high}",
            field=field,
            value=value,
            minimum=low,
            maximum=high,
        )


class InvalidTextError(LedgerError):
    """A string with control characters, blank where required, or too long."""

    code = "invalid_text"

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}", field=field)


class TooManyDecimalsError(LedgerError):
    """More decimals than the currency allows (never rounded away)."""

    code = "too_many_decimals"

    def __init__(self, field: str, value: str, exponent: int) -> None:
        super().__init__(
            f"{field}={value} has more than {exponent} decimal places",
            field=field,
            value=value,
            max_decimals=exponent,
        )


class UnsupportedCurrencyError(LedgerError):
    code = "unsupported_currency"

    def __init__(self, currency: str, supported: list[str]) -> None:
        super().__init__(
            f"currency {currency!r} is not one of {', '.join(supported)}",
            currency=currency,
            supported=supported,
        )


class CurrencyMismatchError(LedgerError):
    code = "currency_mismatch"

    def __init__(self, requested: str, order_currency: str) -> None:
        super().__init__(
            f"request currency {requested} differs from order currency "
            f"{order_currency}",
            requested_currency=requested,
            order_currency=order_currency,
        )


class InvalidItemError(LedgerError):
    """An item that can never be valid: bad line id, empty id, bad quantity."""

    code = "invalid_item"

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}", field=field)


class EmptyRequestError(LedgerError):
    code = "empty_request"

    def __init__(self, what: str) -> None:
        super().__init__(f"the request names no {what}", missing=what)


class TooManyItemsError(LedgerError):
    code = "too_many_items"

    def __init__(self, count: int, limit: int) -> None:
        super().__init__(
            f"{count} items exceed the limit of {limit}", count=count, limit=limit
        )


class DuplicateLineError(LedgerError):
    """The same line named twice in one request."""

    code = "duplicate_line_in_request"

    def __init__(self, line_id: int) -> None:
        super().__init__(
            f"line {line_id} appears twice in the request", line_id=line_id
        )


class LineIdReusedError(LedgerError):
    code = "line_id_reused"

    def __init__(self, line_id: int) -> None:
        super().__init__(
            f"line_id {line_id} is already used in this order", line_id=line_id
        )


class UnknownProductError(LedgerError):
    """An item (product id and unit price) the order does not list."""

    code = "unknown_product"

    def __init__(self, field: str, product_id: str) -> None:
        super().__init__(
            f"{field}: product {product_id!r} at this price is not in the order",
            field=field,
            product_id=product_id,
        )


class UnknownLineError(LedgerError):
    code = "unknown_line"

    def __init__(self, line_id: int) -> None:
        super().__init__(f"the order has no line {line_id}", line_id=line_id)


class InvalidReversalError(LedgerError):
    code = "invalid_reversal"

    def __init__(self, line_id: int, reason: str) -> None:
        super().__init__(f"reversal line {line_id}: {reason}", line_id=line_id)


class ReversalExceedsLineError(LedgerError):
    code = "reversal_exceeds_line"

    def __init__(self, line_id: int, reversed_minor: int, line_minor: int) -> None:
        super().__init__(
            f"reversals of line {line_id} would total {reversed_minor}, "
            f"more than its {line_minor}",
            line_id=line_id,
            reversed_minor=reversed_minor,
            line_gross_minor=line_minor,
        )


class AmountSignError(LedgerError):
    code = "amount_sign_mismatch"

    def __init__(self, line_id: int, amount_minor: int) -> None:
        super().__init__(
            f"amount {amount_minor} on line {line_id} is zero or has the "
            "wrong sign for the line",
            line_id=line_id,
            requested_minor=amount_minor,
        )


class TotalsMismatchError(LedgerError):
    """Declared totals that do not equal the items; lists every wrong total."""

    code = "totals_mismatch"

    def __init__(self, mismatches: list[dict[str, int | str]]) -> None:
        names = ", ".join(str(m["total"]) for m in mismatches)
        super().__init__(
            f"declared {names} do not match the items", mismatches=mismatches
        )
        self.mismatches = mismatches


class IdempotencyConflictError(LedgerError):
    code = "idempotency_key_reused"

    def __init__(self, idempotency_key: str) -> None:
        super().__init__(
            "this Idempotency-Key was used with a different request",
            idempotency_key=idempotency_key,
        )


class OrderNotFoundError(LedgerError):
    code = "order_not_found"

    def __init__(self, account: str, order_ref: str) -> None:
        super().__init__(
            f"no order {order_ref!r} in account {account!r}", order_id=order_ref
        )


class OrderExistsError(LedgerError):
    code = "order_exists"

    def __init__(self, account: str, order_ref: str) -> None:
        super().__init__(
            f"order {order_ref!r} already exists in account {account!r}",
            order_id=order_ref,
        )


class DraftNotFoundError(LedgerError):
    code = "draft_not_found"

    def __init__(self, account: str, draft_ref: str) -> None:
        super().__init__(
            f"no draft order {draft_ref!r} in account {account!r}", draft_id=draft_ref
        )


class DraftCompletedError(LedgerError):
    code = "draft_completed"

    def __init__(self, draft_ref: str, order_ref: str) -> None:
        super().__init__(
            f"draft {draft_ref!r} was already completed into order {order_ref!r}",
            draft_id=draft_ref,
            order_id=order_ref,
        )


class VersionNotFoundError(LedgerError):
    code = "version_not_found"

    def __init__(self, order_ref: str, detail: str) -> None:
        super().__init__(f"order {order_ref!r} {detail}", order_id=order_ref)


class ConcurrentModificationError(LedgerError):
    """Version conflicts persisted past the retry budget; safe to retry."""

    code = "concurrent_modification"

    def __init__(self, order_ref: str, attempts: int) -> None:
        super().__init__(
            f"order {order_ref!r} kept changing under {attempts} attempts",
            order_id=order_ref,
            attempts=attempts,
        )
