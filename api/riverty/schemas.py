"""Riverty dialect bodies (seeds 002, 003): decimal major units, camelCase fields."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, Literal, Self, get_args

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    model_validator,
)

from api.fields import Addressable, DecimalText


def any_case(values: Any) -> BeforeValidator:  # noqa: ANN401 - a Literal type
    """Riverty takes enum values in any case: ``eur`` is ``EUR``."""
    canonical = {value.casefold(): value for value in get_args(values)}

    def pick(value: object) -> object:
        return (
            canonical.get(value.casefold(), value) if isinstance(value, str) else value
        )

    return BeforeValidator(pick)


CurrencyCode = Literal["EUR", "NOK", "SEK", "DKK", "CHF"]
Currency = Annotated[CurrencyCode, any_case(CurrencyCode)]
ItemTypeName = Literal[
    "PhysicalArticle",
    "DigitalArticle",
    "GiftCard",
    "Discount",
    "ShippingFee",
    "Surcharge",
    "Info",
    "Subscription",
]
ItemType = Annotated[ItemTypeName, any_case(ItemTypeName)]
VatCategoryName = Literal[
    "HighCategory",
    "LowCategory",
    "NullCategory",
    "NoCategory",
    "MiddleCategory",
    "OtherCategory",
]
VatCategory = Annotated[VatCategoryName, any_case(VatCategoryName)]
RefundTypeName = Literal["Refund", "Return"]
RefundType = Annotated[RefundTypeName, any_case(RefundTypeName)]
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
    # Riverty truncates a longer groupId; the ledger does not keep it.
    groupId: str | None = Field(default=None, max_length=4096)
    description: str = Field(min_length=1)
    type: ItemType | None = None
    netUnitPrice: DecimalText
    grossUnitPrice: DecimalText
    quantity: DecimalText = Field(gt=0)
    vatCategory: VatCategory | None = None
    vatPercent: DecimalText = Field(ge=0, le=100)
    vatAmount: DecimalText
    imageUrl: str | None = Field(default=None, max_length=2048)
    productUrl: str | None = Field(default=None, max_length=2048)
    marketPlaceSellerId: str | None = Field(default=None, max_length=32)
    additionalInformation: str | None = Field(default=None, max_length=4096)


class UpdateOrderSummaryIn(_Body):
    totalNetAmount: DecimalText
    totalGrossAmount: DecimalText
    currency: Currency | None = None
    merchantImageUrl: str | None = Field(default=None, max_length=2048)
    items: list[OrderItemIn] = Field(default_factory=list, max_length=200)


class UpdateOrderIn(_Body):
    updateOrderSummary: UpdateOrderSummaryIn
    yourReference: str | None = Field(default=None, max_length=20)
    # Riverty truncates a longer ourReference; the ledger does not keep it.
    ourReference: str | None = Field(default=None, max_length=4096)


class PaymentIn(_Body):
    type: str = Field(min_length=1, max_length=50)


class CheckoutOrderIn(_Body):
    number: Annotated[str, Field(min_length=1, max_length=50), Addressable]
    currency: Currency | None = Field(
        default=None, description="left out: the ledger's LEDGER_DEFAULT_CURRENCY"
    )
    totalGrossAmount: DecimalText
    totalNetAmount: DecimalText
    items: list[OrderItemIn] = Field(min_length=1, max_length=200)


class AuthorizeIn(_Body):
    payment: PaymentIn
    order: CheckoutOrderIn


class PaymentMethodsOrderIn(_Body):
    totalGrossAmount: DecimalText
    totalNetAmount: DecimalText | None = None
    currency: Currency | None = None
    items: list[OrderItemIn] = Field(default_factory=list, max_length=200)


class PaymentMethodsIn(_Body):
    """What a shop asks before it shows the gateway; customer data is not kept."""

    order: PaymentMethodsOrderIn


class PaymentMethodOut(BaseModel):
    type: str
    title: str
    tag: str


class PaymentMethodsOut(BaseModel):
    checkoutId: str
    outcome: Outcome
    paymentMethods: list[PaymentMethodOut]


class OrderDetailsIn(_Body):
    totalGrossAmount: DecimalText
    totalNetAmount: DecimalText
    items: list[OrderItemIn] = Field(default_factory=list, max_length=200)


class TransactionReferences(_Body):
    """A PSP's references of one transaction and of its order, kept and shown."""

    transactionReference: str | None = Field(default=None, min_length=1, max_length=100)
    parentTransactionReference: str | None = Field(
        default=None, min_length=1, max_length=128
    )

    def kept(self) -> dict[str, str]:
        return {
            name: value
            for name in ("transactionReference", "parentTransactionReference")
            if (value := getattr(self, name)) is not None
        }


ShippingTypeName = Literal["Shipment", "Return"]
ShippingType = Annotated[ShippingTypeName, any_case(ShippingTypeName)]


class ShippingDetailIn(_Body):
    """``POST …/captures/{captureNumber}/shipping-details``: carrier and tracking."""

    type: ShippingType
    shippingCompany: str = Field(min_length=1, max_length=200)
    trackingId: str = Field(min_length=1, max_length=100)
    trackingUrl: str | None = Field(default=None, min_length=1, max_length=2083)


class ShippingDetailOut(BaseModel):
    shippingNumber: int
    type: str
    shippingCompany: str
    trackingId: str
    trackingUrl: str | None = None


class ShippingNumberOut(BaseModel):
    shippingNumber: int


class CaptureIn(TransactionReferences):
    """``invoiceNumber`` is optional; given, it becomes the ``captureNumber``."""

    orderDetails: OrderDetailsIn
    invoiceNumber: (
        Annotated[str, Field(min_length=1, max_length=20), Addressable] | None
    ) = None


class RefundIn(TransactionReferences):
    """Riverty's reference names the lines ``items``; its SDK sends ``orderItems``.

    Reading only one of them would take a refund of some lines for a refund
    of everything: both are read, and two different lists are refused. No
    ``captureNumber`` refunds across the captures; no lines refund everything
    refundable (the SDK's full refund sends ``""``).
    """

    captureNumber: str | None = Field(default=None, min_length=1, max_length=50)
    items: list[OrderItemIn] | None = Field(default=None, max_length=200)
    orderItems: list[OrderItemIn] | None = Field(default=None, max_length=200)
    refundType: RefundType | None = None
    creditNoteNumber: (
        Annotated[str, Field(min_length=1, max_length=19), Addressable] | None
    ) = None

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
    def lines(self) -> tuple[str, list[OrderItemIn] | None]:
        """The field the lines came in (for error paths), and the lines."""
        if self.items is not None:
            return "items", self.items
        return "orderItems", self.orderItems


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
    """Without ``Accepted`` no order is made: no reservation, no expiry."""

    outcome: Outcome
    reservationId: str | None = None
    checkoutId: str
    expirationDate: str | None = None
    riskCheckMessages: list[ResponseMessage] = Field(default_factory=list)


class UpdateOrderOut(AuthorizeOut):
    pass


class OrderAmounts(BaseModel):
    """The order's amounts after a request, with Riverty's meanings.

    ``totalAuthorizedAmount`` is what was authorized (a void does not lower
    it); ``remainingAuthorizedAmount`` is what can still be captured.
    """

    totalCapturedAmount: Amount
    totalAuthorizedAmount: Amount
    remainingAuthorizedAmount: Amount
    totalRefundedAmount: Amount


class CaptureOut(BaseModel):
    capturedAmount: Amount
    authorizedAmount: Amount
    remainingAuthorizedAmount: Amount
    captureNumber: str
    totalCapturedAmount: Amount
    totalRefundedAmount: Amount


class RefundOut(OrderAmounts):
    refundNumbers: list[str]


class VoidOut(OrderAmounts):
    voidedAmount: Amount


class ItemOut(BaseModel):
    """An item as Riverty echoes it (order, capture, refund or void items)."""

    productId: str
    description: str
    type: str | None = None
    netUnitPrice: Amount
    grossUnitPrice: Amount
    quantity: Amount
    vatPercent: Amount | None = None
    vatAmount: Amount


class OrderItemOut(ItemOut):
    lineNumber: int
    # The ledger's per-line balances (an addition to Riverty's shape).
    authorizedAmount: Amount
    capturedAmount: Amount
    refundedAmount: Amount
    voidedAmount: Amount


class CaptureRecordOut(BaseModel):
    reservationId: str
    captureNumber: str
    orderNumber: str
    amount: Amount
    balance: Amount  # what of the capture is not refunded
    totalRefundedAmount: Amount
    currency: str
    insertedAt: str
    updatedAt: str
    invoiceNumber: str | None
    captureItems: list[ItemOut]
    shippingDetails: list[ShippingDetailOut] = []
    transactionReference: str | None = None
    parentTransactionReference: str | None = None


class RefundRecordOut(BaseModel):
    reservationId: str
    refundNumber: str
    orderNumber: str
    amount: Amount  # negative, as Riverty shows a refund
    balance: Amount
    currency: str
    insertedAt: str
    updatedAt: str
    captureNumber: str | None
    refundItems: list[ItemOut]
    transactionReference: str | None = None
    parentTransactionReference: str | None = None


class CancellationItemOut(ItemOut):
    cancellationNumber: str


class CancellationOut(BaseModel):
    cancellationNo: str
    cancellationAmount: Amount
    insertedAt: str
    cancellationItems: list[CancellationItemOut]


class CapturesOut(BaseModel):
    captures: list[CaptureRecordOut]


class RefundsOut(BaseModel):
    refunds: list[RefundRecordOut]


class VoidsOut(BaseModel):
    cancellations: list[CancellationOut]


class OrderDetailsOut(BaseModel):
    orderId: str
    orderNumber: str
    totalNetAmount: Amount
    totalGrossAmount: Amount
    currency: str
    status: Literal["Accepted", "Cancelled", "Expired"]
    insertedAt: str
    updatedAt: str
    expirationDate: str | None
    orderItems: list[OrderItemOut]


class PaymentOut(BaseModel):
    type: str


class RivertyOrderOut(OrderAmounts):
    orderDetails: OrderDetailsOut
    reservationId: str
    ledgerStatus: str  # the ledger's own status word (SPEC §4)
    captures: list[CaptureRecordOut]
    refunds: list[RefundRecordOut]
    cancellations: list[CancellationOut]
    payment: PaymentOut | None
