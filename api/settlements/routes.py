"""Settlements and reconciliation over HTTP (SPEC §13).

Finance and admin keys import reports, save column mappings, run the
reconciliation and resolve exceptions; any key of the account reads; each
account sees only its own batches, lines, runs and exceptions.
"""

from __future__ import annotations

from datetime import date, datetime
from http import HTTPStatus
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from starlette.concurrency import run_in_threadpool

from api.auth import Reader, SettlementKeeper
from api.fields import query_time
from api.native.problems import PROBLEM_RESPONSES, NativeRoute, problem
from api.settlements import schemas as s
from api.settlements.answers import answered, settlements_of
from settlements.mapping import MappingError
from settlements.model import SettlementFileError
from settlements.reports import payouts_csv
from settlements.store import SettlementConflictError

router = APIRouter(
    prefix="/v1/accounts/{aid}",
    tags=["Settlements and reconciliation"],
    responses=PROBLEM_RESPONSES,
    route_class=NativeRoute,
)
FILE_TYPES = ("text/csv", "application/json", "text/plain", "application/octet-stream")
AsOf = Annotated[datetime | None, Query(description="as it stood at this time")]
First = Annotated[date | None, Query(alias="from", description="first day, inclusive")]
Last = Annotated[date | None, Query(alias="to", description="last day, inclusive")]


@router.post(
    "/settlements/imports",
    status_code=201,
    summary="Import a provider's settlement report (the file is the body)",
    responses={200: {"model": s.ImportOut, "description": "the same file again"}},
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {kind: {"schema": {"type": "string"}} for kind in FILE_TYPES},
        }
    },
)
async def import_settlement(
    aid: str,
    request: Request,
    principal: SettlementKeeper,
    provider: s.Provider | None = None,
    filename: Annotated[
        str | None, Query(max_length=255, pattern=r"^[^\x00]*$")
    ] = None,
) -> Any:  # noqa: ANN401 - the import, or its refusal
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind not in FILE_TYPES:
        raise HTTPException(415, f"send the file as one of {', '.join(FILE_TYPES)}")
    content = await request.body()
    try:
        answer = await run_in_threadpool(
            settlements_of(request).import_file,
            aid,
            content,
            provider,
            filename,
            principal.key_id,
        )
    except SettlementFileError as error:
        return problem(
            request,
            422,
            "settlement_file_refused",
            "Settlement file refused",
            str(error),
            line=error.line,
            column=error.column,
        )
    except SettlementConflictError as error:
        return problem(
            request, 409, "settlement_conflict", "Conflicts with an import", str(error)
        )
    status = HTTPStatus.CREATED if answer["created"] else HTTPStatus.OK
    return JSONResponse(
        s.ImportOut.model_validate(answer).model_dump(), status_code=status
    )


@router.put("/settlements/mappings/{provider}", summary="Save a column mapping")
async def save_mapping(
    aid: str, provider: s.Provider, request: Request, principal: SettlementKeeper
) -> s.MappingOut:
    text = (await request.body()).decode("utf-8", errors="replace")
    try:
        saved = await run_in_threadpool(
            settlements_of(request).save_mapping, aid, provider, text, principal.key_id
        )
    except MappingError as error:
        raise HTTPException(400, str(error)) from None
    return s.MappingOut.model_validate(saved)


@router.get("/settlements/mappings/{provider}", summary="The column mapping in use")
def read_mapping(
    aid: str, provider: s.Provider, request: Request, _: Reader
) -> s.MappingOut:
    saved = settlements_of(request).saved_mapping(aid, provider)
    if saved is None:
        raise HTTPException(404, f"no mapping is saved for {provider}")
    return s.MappingOut.model_validate(saved)


@router.get("/settlements/batches", summary="Payout batches, each with its proof")
def list_batches(
    aid: str,
    request: Request,
    _: Reader,
    provider: s.Provider | None = None,
    from_: First = None,
    to: Last = None,
    as_of: AsOf = None,
) -> s.BatchListOut:
    batches = settlements_of(request).batches(
        aid, provider, from_, to, query_time(as_of, "as_of")
    )
    return s.BatchListOut.model_validate({"batches": batches})


@router.get(
    "/settlements/batches/{provider}/{batch_id}",
    summary="One batch: its proof, and each line with its match",
)
def read_batch(
    aid: str,
    provider: s.Provider,
    batch_id: str,
    request: Request,
    _: Reader,
    as_of: AsOf = None,
) -> s.BatchDetailOut:
    with answered():
        batch = settlements_of(request).batch(
            aid, provider, batch_id, query_time(as_of, "as_of")
        )
    return s.BatchDetailOut.model_validate(batch)


@router.post(
    "/reconciliation/runs", status_code=201, summary="Run the reconciliation, stored"
)
def run_reconciliation(
    aid: str,
    request: Request,
    principal: SettlementKeeper,
    from_: First = None,
    to: Last = None,
    as_of: AsOf = None,
    delay_days: Annotated[int, Query(ge=0, le=365)] = 10,
) -> s.RunOut:
    if from_ and to and to < from_:
        raise HTTPException(400, "to is before from")
    run = settlements_of(request).reconcile(
        aid, from_, to, query_time(as_of, "as_of"), principal.key_id, delay_days
    )
    return s.RunOut.model_validate(run)


@router.get("/reconciliation/runs/{run_id}", summary="A stored run and its results")
def read_run(aid: str, run_id: str, request: Request, _: Reader) -> dict[str, Any]:
    with answered():
        return settlements_of(request).run(aid, run_id)


@router.get("/reconciliation/exceptions", summary="The exception queue")
def list_exceptions(
    aid: str,
    request: Request,
    _: Reader,
    status: Annotated[str | None, Query(pattern="^(open|resolved|closed)$")] = None,
    as_of: AsOf = None,
) -> s.ExceptionListOut:
    found = settlements_of(request).exceptions(aid, status, query_time(as_of, "as_of"))
    return s.ExceptionListOut.model_validate({"exceptions": found})


@router.post(
    "/reconciliation/exceptions/{exception_id}/resolve",
    summary="Resolve an exception: matched by hand, timing, or written off",
)
def resolve_exception(
    aid: str,
    exception_id: str,
    body: s.ResolveIn,
    request: Request,
    principal: SettlementKeeper,
) -> s.ExceptionOut:
    operation = body.operation.model_dump() if body.operation else None
    with answered():
        resolved = settlements_of(request).resolve(
            aid, exception_id, body.resolution, body.note, operation, principal.key_id
        )
    return s.ExceptionOut.model_validate(resolved)


@router.get(
    "/reports/payouts",
    summary="Per payout and per period: gross, fees, net, matched (JSON or CSV)",
    responses={200: {"content": {"text/csv": {}}}},
)
def payout_report(
    aid: str,
    request: Request,
    _: Reader,
    from_: Annotated[date, Query(alias="from", description="first day, inclusive")],
    to: Annotated[date, Query(description="last day, inclusive")],
    as_of: AsOf = None,
) -> Response:
    if to < from_:
        raise HTTPException(400, "to is before from")
    service = settlements_of(request)
    moment = query_time(as_of, "as_of")
    payouts = service.payouts(aid, from_, to, moment)
    if "text/csv" in request.headers.get("accept", ""):
        return PlainTextResponse(payouts_csv(payouts), media_type="text/csv")
    period = service.period(aid, from_, to, moment)
    report = s.PayoutReportOut.model_validate({"payouts": payouts, "period": period})
    return JSONResponse(report.model_dump())
