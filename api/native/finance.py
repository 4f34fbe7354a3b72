"""Finance reads (SPEC §7): order lists, settlement reports, reconciliation."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from starlette.concurrency import run_in_threadpool

from api.auth import Reader
from api.fields import query_time
from api.native.problems import PROBLEM_RESPONSES, NativeRoute
from api.reads import finance_reports, fresh_projections, settlement_rows
from domain.values import OrderStatus
from projections import queries, reconciliation
from projections.reports import settlement_csv

router = APIRouter(
    prefix="/v1/accounts/{aid}",
    tags=["Finance"],
    responses=PROBLEM_RESPONSES,
    route_class=NativeRoute,
)


def _wants_csv(request: Request, fmt: str | None) -> bool:
    if fmt is not None:
        if fmt not in ("csv", "json"):
            raise HTTPException(400, "format must be csv or json")
        return fmt == "csv"
    return "text/csv" in request.headers.get("accept", "")


@router.get("/orders", summary="Order summaries with filters, oldest first, paginated")
def list_orders(
    aid: str,
    request: Request,
    _: Reader,
    status: OrderStatus | None = None,
    currency: Literal["EUR", "NOK", "SEK", "DKK", "CHF"] | None = None,
    payment_id: Annotated[
        str | None, Query(max_length=100, pattern=r"^[^\x00]*$")
    ] = None,
    merchant_reference: Annotated[
        str | None, Query(max_length=255, pattern=r"^[^\x00]*$")
    ] = None,
    created_from: datetime | None = None,
    created_to: datetime | None = None,
    updated_from: datetime | None = None,
    updated_to: datetime | None = None,
    authorized_older_than_days: Annotated[
        int | None,
        Query(ge=0, le=36_500, description="outstanding authorization older than"),
    ] = None,
    expiring_before: Annotated[
        datetime | None, Query(description="outstanding authorization expiring before")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    cursor: str | None = None,
) -> dict[str, Any]:
    projections = fresh_projections(request, aid)
    older = (
        datetime.now(UTC) - timedelta(days=authorized_older_than_days)
        if authorized_older_than_days is not None
        else None
    )
    filters = queries.OrderFilters(
        status=str(status) if status else None,
        currency=currency,
        payment_id=payment_id,
        merchant_reference=merchant_reference,
        created_from=query_time(created_from, "created_from"),
        created_to=query_time(created_to, "created_to"),
        updated_from=query_time(updated_from, "updated_from"),
        updated_to=query_time(updated_to, "updated_to"),
        authorized_before=older,
        expiring_before=query_time(expiring_before, "expiring_before"),
    )
    try:
        with projections.reading() as curs:
            rows, next_cursor = queries.list_orders(
                curs, projections.schema, aid, filters, limit, cursor
            )
    except ValueError as error:
        raise HTTPException(400, str(error)) from None
    return {"orders": [_summary(row) for row in rows], "next_cursor": next_cursor}


def _summary(row: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in row.items() if k != "account"}
    for key in (
        "created_at",
        "updated_at",
        "oldest_authorized_at",
        "authorization_expires_at",
    ):
        out[key] = row[key].isoformat() if row[key] else None
    return out


@router.get(
    "/reports/settlement",
    summary="Money moved per day, currency and payment (JSON or CSV)",
    responses={200: {"content": {"text/csv": {}}}},
)
def settlement_report(
    aid: str,
    request: Request,
    _: Reader,
    from_: Annotated[date, Query(alias="from", description="first day, inclusive")],
    to: Annotated[date, Query(description="last day, inclusive")],
    as_of: Annotated[
        datetime | None, Query(description="as the report stood at this time")
    ] = None,
    format: str | None = None,  # noqa: A002 - the query parameter's name
) -> Any:  # noqa: ANN401 - JSON or CSV
    if to < from_:
        raise HTTPException(400, "to is before from")
    rows = finance_reports(request).settlement(
        aid, from_, to, query_time(as_of, "as_of")
    )
    if _wants_csv(request, format):
        return PlainTextResponse(settlement_csv(rows), media_type="text/csv")
    return {"rows": rows}


@router.post(
    "/reconciliation",
    summary="Compare a PSP settlement CSV with the ledger",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "text/csv": {
                    "schema": {"type": "string"},
                    "example": f"{','.join(reconciliation.COLUMNS)}\n"
                    "2026-11-02,ORDER1,PID_123,capture,39800,NOK,psp-1\n",
                }
            },
        }
    },
)
async def reconcile(
    aid: str,
    request: Request,
    _: Reader,
    format: str | None = None,  # noqa: A002
) -> Response:
    text = (await request.body()).decode("utf-8", errors="replace")
    rows = settlement_rows(text)
    result = await run_in_threadpool(finance_reports(request).reconcile, aid, rows)
    if _wants_csv(request, format):
        return PlainTextResponse(result.to_csv(), media_type="text/csv")
    return JSONResponse(result.as_dict())
