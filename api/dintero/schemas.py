"""Dintero dialect bodies (seed 000): draft orders and per-line payment operations."""

from __future__ import annotations

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
    UPDATE_DRAFT_EXAMPLE,
)
from api.native.schemas import BalanceOut


class _Body(BaseModel):
    # Dintero sends more fields than the ledger keeps; unknown ones are ignored.
    model_config = ConfigDict(extra="ignore")


class TaxLineIn(_Body):
    amount: StrictInt
    percentage: Decimal = Field(ge=0, le=100)


class RelatedItemIn(_Body):
    line_id: StrictInt = Field(gt=0)
    type: Literal["reversed"]


class DraftItemIn(_Body):
    id: str = Field(min_length=1, max_length=100)
    line_id: StrictInt = Field(gt=0)
    quantity: Decimal = Field(gt=0)
    gross_amount: StrictInt
    tax_lines: list[TaxLineIn] = Field(default_factory=list, max_length=10)
    description: str = Field(default="", max_length=1000)
    description_alias: str | None = Field(default=None, max_length=1000)
    reversed_reason: str | None = Field(default=None, max_length=1000)
    related_item: RelatedItemIn | None = None


class DraftOptionsIn(_Body):
    generate_order_id: Literal["ALPHANUMERIC_9"] | None = None
    order_id: str | None = Field(default=None, min_length=1, max_length=100)


class DraftOrderBodyIn(_Body):
    currency: str = Field(min_length=3, max_length=3)
    items: list[DraftItemIn] = Field(min_length=1, max_length=200)


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
    payment_id: str = Field(min_length=1, max_length=100)


class PaymentOperationIn(_Body):
    model_config = ConfigDict(
        extra="ignore", json_schema_extra={"examples": [AUTHORIZE_CAPTURE_EXAMPLE]}
    )
    items: list[LineAmountIn] = Field(min_length=1, max_length=200)
    payment_details: PaymentDetailsIn
    success: StrictBool = True


class CancelIn(_Body):
    """Release outstanding authorization: the given lines, or all when empty."""

    items: list[LineAmountIn] = Field(default_factory=list, max_length=200)
    payment_details: PaymentDetailsIn | None = None
    success: StrictBool = True


def _number(value: Decimal) -> int | float:
    # Dintero sends quantities as JSON numbers; answer in kind.
    return int(value) if value == value.to_integral_value() else float(value)


JsonNumber = Annotated[Decimal, PlainSerializer(_number, return_type=int | float)]


class TaxLineOut(BaseModel):
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
    tax_lines: list[TaxLineOut]
    description: str
    description_alias: str | None = None
    reversed_reason: str | None = None
    related_item: RelatedItemOut | None = None


class DraftOrderBodyOut(BaseModel):
    currency: str
    items: list[DraftItemOut]


class DraftOrderOut(BaseModel):
    id: str
    options: DraftOptionsIn
    order: DraftOrderBodyOut
    order_id: str | None = Field(description="the order it completed into, if any")
    created_at: str


class OrderItemOut(DraftItemOut, BalanceOut):
    pass


class TransactionOut(BalanceOut):
    payment_id: str
    expires_at: str | None


class DinteroOrderOut(BaseModel):
    id: str
    account_id: str
    currency: str
    status: str
    version: int
    amount: int = Field(description="sum of the lines' gross amounts, minor units")
    items: list[OrderItemOut]
    transactions: list[TransactionOut]
