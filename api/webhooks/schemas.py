"""Bodies of the event feed and the webhook endpoints."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import AnyUrl, BaseModel, ConfigDict, Field

from api.fields import Moment


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


EventTypes = list[str]


class WebhookIn(_Body):
    url: AnyUrl = Field(description="http(s) URL the ledger POSTs events to")
    events: EventTypes = Field(
        min_length=1, max_length=50, description="event types, or ['*'] for all"
    )
    description: str | None = Field(default=None, max_length=255)


class WebhookPatch(_Body):
    url: AnyUrl | None = None
    events: EventTypes | None = Field(default=None, min_length=1, max_length=50)
    description: str | None = Field(default=None, max_length=255)
    disabled: bool | None = None


class WebhookOut(BaseModel):
    id: str
    url: str
    events: list[str]
    description: str | None = None
    disabled: bool
    disabled_reason: str | None = None
    created_at: datetime
    updated_at: datetime


class WebhookWithSecretOut(WebhookOut):
    secret: str = Field(
        description="whsec_…: shown only now; verify signatures with it"
    )


class WebhookListOut(BaseModel):
    webhooks: list[WebhookOut]


class AttemptOut(BaseModel):
    attempt: int
    at: datetime
    status_code: int | None = None
    latency_ms: float
    response: str | None = Field(default=None, description="the answer's first bytes")
    error: str | None = None


class DeliveryOut(BaseModel):
    id: str = Field(description="the webhook-id header, the same on every attempt")
    status: Literal["pending", "delivered", "failed"]
    event_id: str
    event_type: str
    order_id: str
    attempts: int
    created_at: datetime
    next_attempt_at: datetime
    delivered_at: datetime | None = None
    attempt_log: list[AttemptOut]


class DeliveriesOut(BaseModel):
    deliveries: list[DeliveryOut]


class ReplayIn(_Body):
    from_: Moment | None = Field(default=None, alias="from")
    to: Moment | None = None
    delivery_id: str | None = Field(default=None, max_length=255)


class ReplayOut(BaseModel):
    queued: int


class FeedEventOut(BaseModel):
    id: str
    type: str
    order_id: str
    version: int
    created_at: datetime
    business_time: datetime | None = None
    data: dict[str, Any]


class FeedOut(BaseModel):
    events: list[FeedEventOut]
    next_cursor: str | None = Field(
        description="pass as starting_after for the events after these"
    )
