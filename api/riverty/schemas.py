"""Riverty dialect bodies (seeds 002, 003): decimal major units, camelCase fields."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, model_validator

Currency = Literal["EUR", "NOK", "SEK", "DKK", "CHF"]
ItemType = Literal[
    "PhysicalArticle",
    "DigitalArticle",
    "GiftCard",
    "Discount",
    "ShippingFee",
    "Surcharge",
    "Info",
    "Subscription",
]
VatCategory = Literal[
    "HighCategory",
    "LowCategory",
    "NullCategory",
    "NoCategory",
    "MiddleCategory",
    "OtherCategory",
]
Outcome = Literal["Accepted", "Pending", "Rejected", "NotEvaluated"]


def _number(value: Decimal) -> int | float:
    # Riverty answers amounts as JSON numbers, e.g. 285 or 239.41.
    return int(value) if value == value.to_integral_value() else float(value)


Amount = Annotated[Decimal, PlainSerializer(_number, return_type=int | float)]


class _Body(BaseModel):
    # Riverty bodies carry customer and other data the ledger does not keep.
    model_config = ConfigDict(extra="ignore")


class OrderItemIn(_Body):
    productId: str = Field(min_length=1, max_length=100)
    groupId: str | None = Field(default=None, max_length=50)
    description: str = Field(min_length=1)
    type: ItemType | None = None
    netUnitPrice: Decimal
    grossUnitPrice: Decimal
    quantity: Decimal = Field(gt=0)
    vatCategory: VatCategory | None = None
    vatPercent: Decimal = Field(ge=0, le=100)
    vatAmount: Decimal
    imageUrl: str | None = Field(default=None, max_length=2048)
    productUrl: str | None = Field(default=None, max_length=2048)
    marketPlaceSellerId: str | None = Field(default=None, max_length=32)
    additionalInformation: str | None = Field(default=None, max_length=4096)


class UpdateOrderSummaryIn(_Body):
    totalNetAmount: Decimal
    totalGrossAmount: Decimal
    currency: Currency | None = None
    merchantImageUrl: str | None = Field(default=None, max_length=2048)
    items: list[OrderItemIn] = Field(default_factory=list, max_length=200)


class UpdateOrderIn(_Body):
    updateOrderSummary: UpdateOrderSummaryIn
    yourReference: str | None = Field(default=None, max_length=20)
    ourReference: str | None = Field(default=None, max_length=20)


class PaymentIn(_Body):
    type: str = Field(min_length=1, max_length=50)


class CheckoutOrderIn(_Body):
    number: str = Field(min_length=1, max_length=50)
    currency: Currency
    totalGrossAmount: Decimal
    totalNetAmount: Decimal
    items: list[OrderItemIn] = Field(min_length=1, max_length=200)


class AuthorizeIn(_Body):
    payment: PaymentIn
    order: CheckoutOrderIn


class OrderDetailsIn(_Body):
    totalGrossAmount: Decimal
    totalNetAmount: Decimal
    items: list[OrderItemIn] = Field(default_factory=list, max_length=200)


class CaptureIn(_Body):
    orderDetails: OrderDetailsIn
    invoiceNumber: str = Field(min_length=1, max_length=50)


class RefundIn(_Body):
    """Riverty's reference names the lines ``items``; its SDK sends ``orderItems``.

    Reading only one of them would take a refund of some lines for a refund
    of everything: both are read, and two different lists are refused.
    """

    captureNumber: str = Field(min_length=1, max_length=100)
    items: list[OrderItemIn] | None = Field(default=None, max_length=200)
    orderItems: list[OrderItemIn] | None = Field(default=None, max_length=200)
    refundType: Literal["Refund", "Return"] | None = None

    @model_validator(mode="after")
    def _one_list_of_lines(self) -> Self:
        if (
            self.items is not None
            and self.orderItems is not None
            and self.items != self.orderItems
        ):
            msg = "items and orderItems name different lines; send one list"
            raise ValueError(msg)
        return self

    @property
    def lines(self) -> tuple[str, list[OrderItemIn]]:
        """The field the lines came in (for error paths), and the lines."""
        if self.items is not None:
            return "items", self.items
        return "orderItems", self.orderItems or []


class VoidIn(_Body):
    cancellationDetails: OrderDetailsIn | None = None


class ResponseMessage(BaseModel):
    type: Literal["BusinessError", "TechnicalError", "NotificationMessage"]
    code: str
    message: str
    customerFacingMessage: str | None = None
    actionCode: str | None = None
    fieldReference: str | None = None


class AuthorizeOut(BaseModel):
    outcome: Outcome
    reservationId: str
    checkoutId: str
    expirationDate: str | None


class UpdateOrderOut(AuthorizeOut):
    riskCheckMessages: list[ResponseMessage] | None = None


class CaptureOut(BaseModel):
    capturedAmount: Amount
    authorizedAmount: Amount
    remainingAuthorizedAmount: Amount
    captureNumber: str


class RefundOut(BaseModel):
    totalCapturedAmount: Amount
    totalAuthorizedAmount: Amount
    refundNumbers: list[str]


class VoidOut(BaseModel):
    totalCapturedAmount: Amount
    totalAuthorizedAmount: Amount


class OrderItemOut(BaseModel):
    lineId: int
    productId: str
    description: str
    type: str | None
    grossUnitPrice: Amount | None
    quantity: Amount
    grossAmount: Amount
    netAmount: Amount
    vatPercent: Amount | None


class CaptureSummaryOut(BaseModel):
    captureNumber: str
    invoiceNumber: str | None
    capturedAmount: Amount
    refundedAmount: Amount


class OrderDetailsOut(BaseModel):
    orderNumber: str
    currency: str
    totalGrossAmount: Amount
    totalNetAmount: Amount
    items: list[OrderItemOut]


class RivertyOrderOut(BaseModel):
    orderDetails: OrderDetailsOut
    status: str
    reservationId: str
    expirationDate: str | None
    authorizedAmount: Amount
    capturedAmount: Amount
    refundedAmount: Amount
    remainingAuthorizedAmount: Amount
    captures: list[CaptureSummaryOut]
