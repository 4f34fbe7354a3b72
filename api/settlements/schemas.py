"""The settlement and reconciliation API's bodies (SPEC §13)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Provider = Literal["adyen", "klarna", "stripe", "dintero", "riverty", "generic"]


class Out(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Proof(Out):
    lines_net: int
    carry_in: int
    carry_out: int
    computed_payout: int
    payout_amount: int | None
    difference_minor: int | None
    status: Literal[
        "balanced",
        "within_rounding",
        "unbalanced",
        "undeclared",
        "no_lines",
        "conflicting",
    ]
    balanced: bool


class BatchSummary(Out):
    provider: str
    batch_id: str
    currency: str
    payout_amount: int | None
    payout_date: str | None
    payout_reference: str | None
    balanced: bool
    lines: int
    proof_status: str


class ImportOut(Out):
    import_id: str
    created: bool
    provider: str
    checksum: str
    rows: int
    batches: list[BatchSummary]


class BatchOut(BatchSummary):
    proof: Proof


class BatchListOut(Out):
    batches: list[BatchOut]


class LineMatch(Out):
    status: str
    order_id: str | None
    operation: str | None
    difference_minor: int | None
    ledger_refs: list[str]
    run_id: str | None


class LineOut(Out):
    model_config = ConfigDict(extra="allow")
    line_id: str
    line_no: int
    line_type: str
    provider_type: str
    gross: int
    fee: int
    net: int
    currency: str
    match: LineMatch


class BatchDetailOut(Out):
    model_config = ConfigDict(extra="allow")
    provider: str
    batch_id: str
    currency: str
    balanced: bool
    proof: Proof
    fees_by_type: dict[str, int]
    lines: list[LineOut]


class MappingOut(Out):
    provider: str
    version: int
    mapping: dict[str, Any]


class RunOut(Out):
    model_config = ConfigDict(extra="allow")
    run_id: str
    as_of: str
    statuses: dict[str, int]
    lines: int
    match_rate: float | None
    exceptions: int


class ExceptionEvent(Out):
    kind: str
    resolution: str | None
    note: str | None
    operation: list[str] | None
    actor: str
    run_id: str | None
    at: str


class ExceptionOut(Out):
    id: str
    key: str
    category: str
    status: Literal["open", "resolved", "closed"]
    opened_at: str
    opened_by_run: str
    age_days: int
    detail: dict[str, Any]
    history: list[ExceptionEvent]


class ExceptionListOut(Out):
    exceptions: list[ExceptionOut]


class OperationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    order_id: str = Field(min_length=1, max_length=255)
    kind: Literal["capture", "refund"]
    reference: str | None = Field(default=None, max_length=255)


class ResolveIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    resolution: Literal["matched", "timing", "write_off"]
    note: str = Field(min_length=1, max_length=2000, pattern=r"^[^\x00]*$")
    operation: OperationIn | None = None


class PayoutOut(Out):
    provider: str
    batch_id: str
    currency: str
    payout_date: str | None
    payout_amount: int | None
    gross: int
    fees: int
    fees_by_type: dict[str, int]
    net: int
    balanced: bool
    proof_status: str
    matched_share: float | None
    unreconciled_lines: int
    open_exceptions: int


class PeriodOut(Out):
    currency: str
    ledger_captured: int
    ledger_refunded: int
    ledger_net: int
    settled_gross: int
    fees: int
    fees_by_type: dict[str, int]
    paid_out: int
    payouts: int


class PayoutReportOut(Out):
    payouts: list[PayoutOut]
    period: list[PeriodOut]
