"""The console's settlement pages: upload, payouts, one payout, the exception queue.

The same service as ``/v1/accounts/{aid}/settlements`` and ``ledger
settlements``, for the signed-in key's account. Every key reads; finance and
admin keys upload, run and resolve, as in the API (SPEC §13).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Form, HTTPException, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from api.console.errors import ConsoleRoute
from api.console.sessions import ConsoleSession
from api.console.web import PREFIX, Session, account_if, check_csrf, page
from api.keys import Role
from api.settlements.answers import answered, settlements_of
from settlements.exceptions import RESOLUTIONS, STATES
from settlements.model import PROVIDERS, SettlementFileError
from settlements.service import MAX_FILE_BYTES
from settlements.store import SettlementConflictError

router = APIRouter(prefix=PREFIX, route_class=ConsoleRoute, include_in_schema=False)
Csrf = Annotated[str, Form(max_length=100)]
KEEPERS = (Role.FINANCE, Role.ADMIN)


def _keeping(session: ConsoleSession) -> str:
    """The session's account, if its key may record settlement facts."""
    return account_if(session, KEEPERS, "import settlements or resolve exceptions")


def _payouts_page(
    request: Request,
    session: ConsoleSession,
    **outcome: Any,  # noqa: ANN401
) -> HTMLResponse:
    account = session.principal.account
    service = settlements_of(request)
    context = {
        "payouts": service.payouts(account),
        "open_exceptions": len(service.exceptions(account, "open")),
        "providers": PROVIDERS,
        "may_keep": session.principal.role in KEEPERS,
        **outcome,
    }
    return page(request, "settlements.html", context, session=session)


@router.get("/settlements")
def payouts(request: Request, session: Session) -> HTMLResponse:
    return _payouts_page(request, session)


@router.post("/settlements/upload")
async def upload(
    request: Request,
    session: Session,
    csrf: Csrf,
    report: Annotated[UploadFile, File()],
    provider: Annotated[str, Form(max_length=20)] = "",
) -> HTMLResponse:
    check_csrf(request, csrf, session.csrf_token)
    account = _keeping(session)
    content = await report.read(MAX_FILE_BYTES + 1)
    try:
        imported = await run_in_threadpool(
            settlements_of(request).import_file,
            account,
            content,
            provider or None,
            report.filename,
            session.principal.key_id,
        )
    except (SettlementFileError, SettlementConflictError) as error:
        return _payouts_page(request, session, refused=str(error))
    return _payouts_page(request, session, imported=imported)


@router.post("/settlements/run")
def run(request: Request, session: Session, csrf: Csrf) -> HTMLResponse:
    check_csrf(request, csrf, session.csrf_token)
    account = _keeping(session)
    result = settlements_of(request).reconcile(account, actor=session.principal.key_id)
    return _payouts_page(request, session, run=result)


@router.get("/settlements/{provider}/{batch_id}")
def payout(
    request: Request, session: Session, provider: str, batch_id: str
) -> HTMLResponse:
    with answered():
        batch = settlements_of(request).batch(
            session.principal.account, provider, batch_id
        )
    return page(request, "settlement_batch.html", {"batch": batch}, session=session)


@router.get("/exceptions")
def exceptions(
    request: Request, session: Session, status: str = "open"
) -> HTMLResponse:
    if status not in STATES:
        raise HTTPException(400, f"status must be one of {', '.join(STATES)}")
    found = settlements_of(request).exceptions(session.principal.account, status)
    context = {
        "exceptions": found,
        "status": status,
        "states": STATES,
        "resolutions": RESOLUTIONS,
        "may_keep": session.principal.role in KEEPERS,
    }
    return page(request, "exceptions.html", context, session=session)


@router.post("/exceptions/{exception_id}/resolve")
def resolve(  # noqa: PLR0913 - the form's fields
    request: Request,
    session: Session,
    exception_id: str,
    *,
    csrf: Csrf,
    resolution: Annotated[str, Form(max_length=20)],
    note: Annotated[str, Form(max_length=2000)],
    order_id: Annotated[str, Form(max_length=255)] = "",
    kind: Annotated[str, Form(max_length=20)] = "capture",
    reference: Annotated[str, Form(max_length=255)] = "",
) -> Response:
    check_csrf(request, csrf, session.csrf_token)
    account = _keeping(session)
    operation = (
        {
            "order_id": order_id.strip(),
            "kind": kind,
            "reference": reference.strip() or None,
        }
        if order_id.strip()
        else None
    )
    with answered():
        settlements_of(request).resolve(
            account, exception_id, resolution, note, operation, session.principal.key_id
        )
    return RedirectResponse(f"{PREFIX}/exceptions?status=open", status_code=303)
