"""The console's pages: sign-in, orders, an order's money story, reports, health.

The audit walk is in ``audit_pages``, the webhooks in ``webhook_pages``.

Every page reads what the API reads (the same ledger reads, read models and
reports), for the signed-in key's account only: no URL names an account.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from http import HTTPStatus
from typing import Annotated, Any

from fastapi import (
    APIRouter,
    Depends,
    File,
    Form,
    HTTPException,
    Query,
    Request,
    UploadFile,
)
from fastapi.responses import (
    HTMLResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
)
from starlette.concurrency import run_in_threadpool

from api.auth import LedgerDep, admit, limit_anonymous
from api.console import views
from api.console.errors import ConsoleRoute
from api.console.sessions import ConsoleSession
from api.console.web import (
    PREFIX,
    SESSION_COOKIE,
    SIGN_IN_COOKIE,
    Session,
    check_csrf,
    new_form_token,
    page,
    sessions,
    set_cookie,
)
from api.middleware import MAX_BODY_BYTES
from api.native.present import events_out, order_out
from api.reads import finance_reports, fresh_projections, settlement_rows
from domain.bounds import MAX_INT4
from domain.money import EXPONENTS
from domain.order import order_uuid
from domain.values import OrderStatus
from projections import queries, reconciliation
from projections.audit import ChainVerifier
from projections.reports import orders_csv, settlement_csv
from projections.setup import Projections

router = APIRouter(prefix=PREFIX, route_class=ConsoleRoute, include_in_schema=False)
PAGE_SIZE = 50
EXPORT_LIMIT = 100_000
MAX_UPLOAD_BYTES = MAX_BODY_BYTES  # the same cap as every request's body


@router.get("")
@router.get("/")
async def home() -> RedirectResponse:
    return RedirectResponse(f"{PREFIX}/orders", status_code=303)


@router.get("/sign-in")
def sign_in_form(request: Request) -> HTMLResponse:
    token = new_form_token()
    response = page(request, "sign_in.html", {"form_token": token, "error": None})
    set_cookie(request, response, SIGN_IN_COOKIE, token)
    return response


@router.post("/sign-in")
def sign_in(
    request: Request,
    key: Annotated[str, Form(max_length=2048)],
    form_token: Annotated[str, Form(max_length=100)],
) -> Response:
    check_csrf(request, form_token, request.cookies.get(SIGN_IN_COOKIE, ""))
    principal = admit(request, request.app.state.keys, key.strip())
    if principal is None:
        limit_anonymous(request)
        token = new_form_token()
        response = page(
            request,
            "sign_in.html",
            {"form_token": token, "error": "That key is not a live API key."},
            status=HTTPStatus.UNAUTHORIZED,
        )
        set_cookie(request, response, SIGN_IN_COOKIE, token)
        return response
    session_token, _ = sessions(request).start(principal)
    signed = RedirectResponse(f"{PREFIX}/orders", status_code=303)
    set_cookie(request, signed, SESSION_COOKIE, session_token)
    signed.delete_cookie(SIGN_IN_COOKIE, path=PREFIX)
    return signed


@router.get("/ticket/{ticket}")
def redeem_ticket(request: Request, ticket: str) -> Response:
    """A one-use sign-in link (``ledger serve --demo`` prints one)."""
    started = sessions(request).redeem(ticket)
    if started is None:
        limit_anonymous(request)
        return RedirectResponse(f"{PREFIX}/sign-in", status_code=303)
    signed = RedirectResponse(f"{PREFIX}/orders", status_code=303)
    set_cookie(request, signed, SESSION_COOKIE, started[0])
    return signed


@router.post("/sign-out")
def sign_out(
    request: Request, session: Session, csrf: Annotated[str, Form(max_length=100)]
) -> RedirectResponse:
    check_csrf(request, csrf, session.csrf_token)
    sessions(request).end(request.cookies.get(SESSION_COOKIE, ""))
    response = RedirectResponse(f"{PREFIX}/sign-in", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path=PREFIX)
    return response


def _filters(request: Request) -> tuple[queries.OrderFilters, dict[str, str]]:
    try:
        return views.order_filters(dict(request.query_params), datetime.now(UTC))
    except views.FilterError as error:
        raise HTTPException(400, str(error)) from None


@router.get("/orders")
def orders(request: Request, session: Session) -> HTMLResponse:
    filters, given = _filters(request)
    account = session.principal.account
    projections = fresh_projections(request, account)
    cursor = request.query_params.get("cursor") or None
    try:
        with projections.reading() as curs:
            rows, next_cursor = queries.list_orders(
                curs, projections.schema, account, filters, PAGE_SIZE, cursor
            )
            totals = queries.order_totals(curs, projections.schema, account, filters)
    except ValueError as error:
        raise HTTPException(400, str(error)) from None
    return page(
        request,
        "orders.html",
        {
            "rows": rows,
            "totals": totals,
            "matching": views.grand_totals(totals),
            "given": given,
            "next_cursor": next_cursor,
            "paged": cursor is not None,
            "statuses": [str(s) for s in OrderStatus],
            "currencies": sorted(EXPONENTS),
        },
        session=session,
    )


@router.get("/orders.csv")
def orders_export(request: Request, session: Session) -> PlainTextResponse:
    filters, _ = _filters(request)
    projections = fresh_projections(request, session.principal.account)
    with projections.reading() as curs:
        rows, _ = queries.list_orders(
            curs, projections.schema, session.principal.account, filters, EXPORT_LIMIT
        )
    return PlainTextResponse(
        orders_csv(rows),
        media_type="text/csv",
        headers={"Content-Disposition": 'attachment; filename="orders.csv"'},
    )


TIMELINE_PAGE = 100  # events on one page of an order's timeline


@router.get("/orders/{order_id}")
def order_page(
    request: Request,
    order_id: str,
    session: Session,
    ledger: LedgerDep,
    version: Annotated[int | None, Query(ge=1)] = None,
    as_of: str | None = None,
    tz_offset: str = "",
    older_than: Annotated[int | None, Query(ge=2, le=MAX_INT4)] = None,
) -> HTMLResponse:
    account = session.principal.account
    current = ledger.get_order(account, order_id)  # 404 unless this account's
    instant = None
    if as_of:
        try:
            instant = views.as_of_instant(as_of, tz_offset)
        except views.FilterError as error:
            raise HTTPException(400, str(error)) from None
    shown = (
        ledger.get_order(
            account, order_id, version=None if instant else version, as_of=instant
        )
        if instant or version
        else current
    )
    # The timeline a page of TIMELINE_PAGE events at a time, newest first.
    top = min(shown.version, (older_than or shown.version + 1) - 1)
    after = max(0, top - TIMELINE_PAGE)
    page_events, _ = ledger.order_events_page(account, order_id, after, top - after)
    events = events_out(current.order_ref, page_events)
    report, vouched = ChainVerifier(ledger).verify_order(
        order_uuid(account, current.order_ref)
    )
    return page(
        request,
        "order.html",
        {
            "order": order_out(shown).model_dump(),
            "latest_version": current.version,
            "timeline": views.timeline(events, shown.version),
            "later_events": current.version - shown.version,
            "chain_verified": not report.broken,
            "broken": report.broken,
            "vouched": vouched,
            "older_than": after + 1 if after else None,
            "as_of": as_of or "",
        },
        session=session,
    )


@dataclass(frozen=True)
class Period:
    """The settlement report's days (UTC, inclusive) and its optional as-of."""

    first: date
    last: date
    as_of: datetime | None
    as_of_text: str


def period(
    first: str | None = None, last: str | None = None, as_of: str | None = None
) -> Period:
    today = datetime.now(UTC).date()
    try:
        start = date.fromisoformat(first) if first else today.replace(day=1)
        end = date.fromisoformat(last) if last else today
        moment = datetime.fromisoformat(as_of) if as_of else None
    except ValueError:
        raise HTTPException(400, "dates as YYYY-MM-DD, as of as a date-time") from None
    if end < start:
        raise HTTPException(400, "the last day is before the first")
    if moment is not None and moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return Period(start, end, moment, as_of or "")


ReportPeriod = Annotated[Period, Depends(period)]


def _settlement_rows(
    request: Request, session: ConsoleSession, chosen: Period
) -> list[dict[str, Any]]:
    return finance_reports(request).settlement(
        session.principal.account, chosen.first, chosen.last, chosen.as_of
    )


@router.get("/reports/settlement")
def settlement(
    request: Request, session: Session, chosen: ReportPeriod
) -> HTMLResponse:
    rows = _settlement_rows(request, session, chosen)
    return page(
        request,
        "settlement.html",
        {
            "rows": rows,
            "totals": views.settlement_totals(rows),
            "first": chosen.first.isoformat(),
            "last": chosen.last.isoformat(),
            "as_of": chosen.as_of_text,
        },
        session=session,
    )


@router.get("/reports/settlement.csv")
def settlement_export(
    request: Request, session: Session, chosen: ReportPeriod
) -> PlainTextResponse:
    rows = _settlement_rows(request, session, chosen)
    name = f"settlement-{chosen.first.isoformat()}-{chosen.last.isoformat()}.csv"
    return PlainTextResponse(
        settlement_csv(rows),
        media_type="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get("/reconciliation")
def reconciliation_form(request: Request, session: Session) -> HTMLResponse:
    context = {"result": None, "columns": reconciliation.COLUMNS, "file_text": ""}
    return page(request, "reconciliation.html", context, session=session)


@router.post("/reconciliation")
async def reconcile(
    request: Request,
    session: Session,
    csrf: Annotated[str, Form(max_length=100)],
    settlement_file: Annotated[UploadFile, File()],
) -> HTMLResponse:
    check_csrf(request, csrf, session.csrf_token)
    data = await settlement_file.read(MAX_UPLOAD_BYTES + 1)
    if len(data) > MAX_UPLOAD_BYTES:
        raise HTTPException(413, "a settlement file of at most 1 MiB")
    text = data.decode("utf-8-sig", errors="replace")
    rows = settlement_rows(text)
    result = await run_in_threadpool(
        finance_reports(request).reconcile, session.principal.account, rows
    )
    context = {
        "result": result.as_dict(),
        "columns": reconciliation.COLUMNS,
        "file_text": text,
        "file_name": settlement_file.filename or "",
    }
    return page(request, "reconciliation.html", context, session=session)


@router.post("/reconciliation/differences.csv")
def differences_export(
    request: Request,
    session: Session,
    csrf: Annotated[str, Form(max_length=100)],
    file_text: Annotated[str, Form(max_length=MAX_UPLOAD_BYTES)],
) -> PlainTextResponse:
    check_csrf(request, csrf, session.csrf_token)
    rows = settlement_rows(file_text)
    result = finance_reports(request).reconcile(session.principal.account, rows)
    return PlainTextResponse(
        result.to_csv(differences_only=True),
        media_type="text/csv",
        headers={"Content-Disposition": 'attachment; filename="differences.csv"'},
    )


@router.get("/health")
def health(request: Request, session: Session, ledger: LedgerDep) -> HTMLResponse:
    projections: Projections = request.app.state.projections
    with projections.reading() as curs:
        set_aside = queries.set_aside_events(curs, projections.schema)
    mine = []
    for row in set_aside:  # only this account's orders are shown
        owner = ledger.owner_of(row["originator_id"])
        if owner is not None and owner[0] == session.principal.account:
            mine.append({**row, "order_id": owner[1]})
    return page(
        request,
        "health.html",
        {"lag": projections.lag(), "set_aside": mine},
        session=session,
    )
