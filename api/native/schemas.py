"""Native reads (SPEC §7): balances per line, per payment and per order; events."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from api.fields import Moment


class BalanceOut(BaseModel):
    """Minor units. outstanding = authorized − released − captured."""

    authorized: int
    captured: int
    refunded: int
    released: int
    outstanding_authorized: int
    refundable: int


class PaymentBalanceOut(BalanceOut):
    payment_id: str


class PaymentOut(PaymentBalanceOut):
    expires_at: str | None = Field(description="when its authorization expires")


class TaxLineOut(BaseModel):
    amount: int
    percentage: str
    extras: dict[str, Any] | None = Field(
        default=None, description="what else the client said of the tax, as sent"
    )


class LineOut(BaseModel):
    line_id: int
    item_id: str
    description: str
    quantity: str = Field(description="exact decimal, as a string")
    gross_amount: int
    net_amount: int
    tax_lines: list[TaxLineOut]
    item_type: str | None
    unit_price: int | None
    reverses: int | None = Field(description="the line this reversal line reverses")
    reversed_reason: str | None
    reversed_by: list[int] = Field(description="reversal lines of this line")
    balance: BalanceOut
    payments: list[PaymentBalanceOut]


class OrderOut(BaseModel):
    order_id: str
    account: str
    currency: str
    status: str
    version: int
    updated_at: str = Field(description="time of the event at this version")
    gross_amount: int
    totals: BalanceOut
    payments: list[PaymentOut]
    lines: list[LineOut]


class EventOut(BaseModel):
    type: str
    version: int
    time: str
    actor: str
    request_id: str
    idempotency_key: str | None
    payload: dict[str, Any]
    hash: str | None = Field(description="SHA-256 chaining this event to the previous")
    previous_hash: str | None


class OrderEventsOut(BaseModel):
    order_id: str
    events: list[EventOut]
    has_more: bool = Field(
        default=False,
        description="more events follow: ask again with after_version set to the "
        "last event's version",
    )


class ExtendAuthorizationIn(BaseModel):
    """The PSP moved the expiry of a payment's authorization."""

    model_config = ConfigDict(extra="forbid")
    expires_at: Moment
