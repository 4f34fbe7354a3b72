"""Errors of the money rules (SPEC §4): movements past a limit, totals below zero.

Split from domain/errors.py by family; the API's tables map both modules.
"""

from __future__ import annotations

from typing import ClassVar

from domain.errors import LedgerError


class NegativeTotalError(LedgerError):
    """SPEC §4.13: an order total, or a payment's net sum, below zero."""

    code = "negative_total"

    def __init__(self, total: str, payment_id: str | None, amount_minor: int) -> None:
        scope = f" of payment {payment_id}" if payment_id else ""
        name = total.replace("_", " ")
        super().__init__(
            f"the {name}{scope} would be {amount_minor}, below zero",
            total=total,
            payment_id=payment_id,
            resulting_minor=amount_minor,
        )


class ExceedsLimitError(LedgerError):
    """A money movement beyond what the line (or payment) allows."""

    verb: ClassVar[str] = ""
    limit_name: ClassVar[str] = ""

    def __init__(
        self,
        line_id: int | None,
        payment_id: str | None,
        requested: int,
        available: int,
    ) -> None:
        """``line_id`` None: the limit is the payment's net sum over its lines."""
        parts = [f"line {line_id}"] if line_id is not None else ["the lines net"]
        if payment_id:
            parts.append(f"payment {payment_id}")
        scope = ", ".join(parts)
        super().__init__(
            f"{self.verb} of {requested} on {scope} exceeds {self.limit_name} "
            f"{available}",
            line_id=line_id,
            payment_id=payment_id,
            requested_minor=requested,
            **{f"{self.limit_name}_minor": available},
        )


class OverAuthorizationError(ExceedsLimitError):
    code = "over_authorization"
    verb = "authorization"
    limit_name = "authorizable"


class OverCaptureError(ExceedsLimitError):
    code = "over_capture"
    verb = "capture"
    limit_name = "capturable"


class OverRefundError(ExceedsLimitError):
    code = "over_refund"
    verb = "refund"
    limit_name = "refundable"


class OverReleaseError(ExceedsLimitError):
    code = "over_release"
    verb = "release"
    limit_name = "outstanding"


class NothingOutstandingError(LedgerError):
    code = "nothing_outstanding"

    def __init__(self) -> None:
        super().__init__("the order has no outstanding authorization to release")


class NothingRefundableError(LedgerError):
    code = "nothing_refundable"

    def __init__(self) -> None:
        super().__init__("the order has nothing captured left to refund")


class CapturedLineChangedError(LedgerError):
    code = "captured_line_changed"

    def __init__(self, line_id: int, item_id: str) -> None:
        super().__init__(
            f"line {line_id} ({item_id}) has captured money: it can be listed "
            "again only unchanged",
            line_id=line_id,
            item_id=item_id,
        )


class DuplicateReferenceError(LedgerError):
    code = "duplicate_reference"

    def __init__(self, field: str, value: str) -> None:
        super().__init__(
            f"{field} {value!r} is already used in this order", field=field, value=value
        )


class UnknownCaptureError(LedgerError):
    code = "unknown_capture"

    def __init__(self, reference: str) -> None:
        super().__init__(
            f"the order has no capture {reference!r}", capture_reference=reference
        )


class ReversalRefundError(LedgerError):
    code = "reversal_line_refund"

    def __init__(self, line_id: int, reverses: int) -> None:
        super().__init__(
            f"line {line_id} is a reversal; refund line {reverses} instead",
            line_id=line_id,
            reverses_line_id=reverses,
        )


class AuthorizationExpiredError(LedgerError):
    code = "authorization_expired"

    def __init__(self, payment_id: str, expired_at: str) -> None:
        super().__init__(
            f"the authorization of payment {payment_id} expired at {expired_at}",
            payment_id=payment_id,
            expired_at=expired_at,
        )


class UnknownPaymentError(LedgerError):
    code = "unknown_payment"

    def __init__(self, payment_id: str) -> None:
        super().__init__(
            f"the order has no authorization under payment {payment_id}",
            payment_id=payment_id,
        )


class ReplaceAfterCaptureError(LedgerError):
    code = "replace_after_capture"

    def __init__(self, captured_minor: int) -> None:
        super().__init__(
            "an order can only be replaced while nothing is captured",
            captured_minor=captured_minor,
        )


class AmbiguousPaymentError(LedgerError):
    code = "ambiguous_payment"

    def __init__(self, payment_ids: list[str]) -> None:
        super().__init__(
            "the order is authorized under several payments; name one",
            payment_ids=payment_ids,
        )
