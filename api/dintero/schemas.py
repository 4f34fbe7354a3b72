"""Dintero dialect bodies: drafts, items, payment operations, orders, events.

Shapes follow Dintero's published Orders ("Shopping") API (docs.dintero.com
``api-reference``, ``spec-orders.yaml``) and seed 000. Unknown fields are
ignored: Dintero sends more than the ledger keeps (customer data is never
stored).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    StrictBool,
    StrictInt,
)

from api.examples import (
    AUTHORIZE_CAPTURE_EXAMPLE,
    CREATE_DRAFT_EXAMPLE,
    DRAFT_ITEM_EXAMPLE,
    UPDATE_DRAFT_EXAMPLE,
)
from api.fields import ClientJson, DecimalText, Moment, PathId
from api.native.schemas import BalanceOut


class _Body(BaseModel):
    model_config = ConfigDict(extra="ignore")


Metadata = ClientJson


class TaxLineIn(_Body):
    """Dintero's tax line.

    Its other fields (``tax_code``, ``tax_basis``, …) are kept as the client
    sent them and shown again.
    """

    model_config = ConfigDict(extra="allow")
    amount: StrictInt
    percentage: DecimalText = Field(ge=0, le=100)


class RelatedItemIn(_Body):
    line_id: StrictInt = Field(gt=0)
    type: Literal["reversed"]


class DraftItemIn(_Body):
    model_config = ConfigDict(
        extra="ignore", json_schema_extra={"examples": [DRAFT_ITEM_EXAMPLE]}
    )
    id: str = Field(min_length=1, max_length=255)
    line_id: StrictInt = Field(gt=0)
    quantity: DecimalText | None = Field(default=None, gt=0, description="default 1")
    gross_amount: StrictInt
    tax_lines: list[TaxLineIn] = Field(default_factory=list, max_length=10)
    description: str = Field(default="", max_length=4096)
    description_alias: str | None = Field(default=None, max_length=4096)
    reversed_reason: str | None = Field(default=None, max_length=4096)
    related_item: RelatedItemIn | None = None


class DraftOptionsIn(_Body):
    generate_order_id: str | None = Field(
        default=None,
        max_length=20,
        description="ALPHANUMERIC_n, NUMERIC_n or ALPHA_n (4 ≤ n ≤ 32)",
    )
    order_id: str | None = Field(
        default=None,
        min_length=1,
        max_length=255,
        description="an existing order the draft's items go onto",
    )
    replace: Literal["order"] | None = Field(
        default=None, description='"order": the items replace the order\'s items'
    )


class DraftOrderBodyIn(_Body):
    currency: str = Field(min_length=3, max_length=3)
    items: list[DraftItemIn] = Field(default_factory=list, max_length=200)
    order_id: PathId | None = Field(default=None, description="a custom order id")
    merchant_reference: str | None = Field(default=None, max_length=255)
    merchant_reference_2: str | None = Field(default=None, max_length=255)
    metadata: Metadata | None = Field(default=None, max_length=50)


class DraftOrderIn(_Body):
    model_config = ConfigDict(
        extra="ignore",
        json_schema_extra={"examples": [CREATE_DRAFT_EXAMPLE, UPDATE_DRAFT_EXAMPLE]},
    )
    options: DraftOptionsIn = Field(default_factory=DraftOptionsIn)
    order: DraftOrderBodyIn


class LineAmountIn(_Body):
    line_id: StrictInt = Field(gt=0)
    amount: StrictInt


class PaymentDetailsIn(_Body):
    payment_id: PathId


class _OperationFacts(_Body):
    processed_at: Moment | None = Field(
        default=None, description="when the PSP processed it (business time)"
    )
    metadata: Metadata | None = Field(default=None, max_length=50)


class PaymentOperationIn(_OperationFacts):
    model_config = ConfigDict(
        extra="ignore", json_schema_extra={"examples": [AUTHORIZE_CAPTURE_EXAMPLE]}
    )
    items: list[LineAmountIn] = Field(min_length=1, max_length=200)
    payment_details: PaymentDetailsIn | None = Field(
        default=None,
        description="required to authorize; else the order's one payment if left out",
    )
    success: StrictBool = True


class CancelIn(_OperationFacts):
    """Release outstanding authorization: the given lines, or all when empty."""

    items: list[LineAmountIn] = Field(default_factory=list, max_length=200)
    payment_details: PaymentDetailsIn | None = None
    success: StrictBool = True


def _number(value: Decimal) -> int | float:
    # Dintero sends quantities as JSON numbers; answer in kind.
    return int(value) if value == value.to_integral_value() else float(value)


JsonNumber = Annotated[Decimal, PlainSerializer(_number, return_type=int | float)]


class TaxLineOut(BaseModel):
    model_config = ConfigDict(extra="allow")  # the client's other tax fields
    amount: int
    percentage: JsonNumber


class RelatedItemOut(BaseModel):
    line_id: int
    type: Literal["reversed"] = "reversed"


class DraftItemOut(BaseModel):
    id: str
    line_id: int
    quantity: JsonNumber
    gross_amount: int
    net_amount: int
    tax_lines: list[TaxLineOut]
    description: str
    description_alias: str | None = None
    reversed_reason: str | None = None
    related_item: RelatedItemOut | None = None


class DraftOptionsOut(BaseModel):
    generate_order_id: str | None = None
    order_id: str | None = None
    replace: Literal["order"] | None = None


class DraftOrderBodyOut(BaseModel):
    currency: str
    items: list[DraftItemOut]
    order_id: str | None = None
    merchant_reference: str | None = None
    merchant_reference_2: str | None = None
    metadata: Metadata | None = None
    gross_amount: int
    net_amount: int


class DraftOrderOut(BaseModel):
    id: str
    options: DraftOptionsOut
    order: DraftOrderBodyOut
    order_id: str | None = Field(
        default=None, description="the order it completed into, if any"
    )
    status: Literal["open", "completed"]
    created_at: datetime
    updated_at: datetime


class DraftOrderListOut(BaseModel):
    draft_orders: list[DraftOrderOut]
    next_page_token: str | None = None


class OrderItemOut(DraftItemOut, BalanceOut):
    pass


class TransactionOut(BalanceOut):
    payment_id: str
    expires_at: str | None = None


class PaymentDetailsOut(BaseModel):
    payment_id: str


class OperationOut(BaseModel):
    """A created payment operation, as Dintero answers it (and lists it)."""

    id: str = Field(description="stable: the same operation always has this id")
    type: Literal["authorization", "capture", "refund", "cancellation"]
    amount: int = Field(description="sum of the items' amounts, minor units")
    items: list[LineAmountIn]
    success: bool
    payment_details: PaymentDetailsOut
    created_at: datetime = Field(description="when the ledger recorded it")
    created_by: str = Field(description="the API key id that sent it")
    processed_at: datetime | None = None
    metadata: Metadata | None = None
    reason: str | None = None
    order_id: str
    version: int = Field(description="the order's version this operation left")
    request_id: str
    idempotency_key: str | None = None


class AuthorizationListOut(BaseModel):
    authorizations: list[OperationOut]


class CaptureListOut(BaseModel):
    captures: list[OperationOut]


class RefundListOut(BaseModel):
    refunds: list[OperationOut]


class CancellationListOut(BaseModel):
    cancellations: list[OperationOut]


OperationListOut = (
    AuthorizationListOut | CaptureListOut | RefundListOut | CancellationListOut
)
# Each list path's envelope, as Dintero's reference names it (SPEC §5).
OPERATION_LISTS: dict[str, type[OperationListOut]] = {
    "authorizations": AuthorizationListOut,
    "captures": CaptureListOut,
    "refunds": RefundListOut,
    "cancellations": CancellationListOut,
}


class OrderEventOut(BaseModel):
    id: str
    event: str = Field(description="the ledger's event type, e.g. Captured")
    version: int
    created_at: datetime
    created_by: str
    request_id: str
    idempotency_key: str | None = None
    processed_at: datetime | None = None
    data: dict[str, object]
    hash: str | None = None


DinteroOrderStatus = Literal["open", "closed", "cancelled"]
PaymentStatus = Literal[
    "pending", "authorized", "partially_paid", "paid", "partially_refunded", "refunded"
]


class DinteroOrderOut(BaseModel):
    id: str
    order_id: str = Field(description="the same value as id")
    account_id: str
    merchant_reference: str | None = None
    merchant_reference_2: str | None = None
    metadata: Metadata | None = None
    currency: str
    status: DinteroOrderStatus
    payment_status: PaymentStatus
    ledger_status: str = Field(description="the ledger's own status (SPEC §4)")
    gross_amount: int
    net_amount: int
    amount: int = Field(description="gross_amount, as the seed's shape had it")
    created_at: datetime
    updated_at: datetime
    version: int
    items: list[OrderItemOut]
    transactions: list[TransactionOut]
    authorizations: list[OperationOut]
    captures: list[OperationOut]
    refunds: list[OperationOut]
    cancellations: list[OperationOut]
    events: list[OrderEventOut] | None = Field(
        default=None, description="with include_events=true: the order's events"
    )


class CompletedOut(BaseModel):
    """``PUT …/complete``: Dintero answers the orders the draft made or changed."""

    orders: list[DinteroOrderOut]


class OrderListOut(BaseModel):
    orders: list[DinteroOrderOut]
    next_page_token: str | None = None


class OrderEventsOut(BaseModel):
    events: list[OrderEventOut]
