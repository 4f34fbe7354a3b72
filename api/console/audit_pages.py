"""The console's audit page: the account's chains verified as the page grows."""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, StreamingResponse
from markupsafe import escape

from api.auth import LedgerDep
from api.console.errors import ConsoleRoute
from api.console.web import PREFIX, Session, check_csrf, page
from domain.application import OrderLedger
from projections.audit import AuditReport, ChainVerifier

router = APIRouter(prefix=PREFIX, route_class=ConsoleRoute, include_in_schema=False)


@router.get("/audit")
def audit_form(request: Request, session: Session) -> HTMLResponse:
    return page(request, "audit.html", {}, session=session)


@router.post("/audit")
def audit(
    request: Request,
    session: Session,
    ledger: LedgerDep,
    csrf: Annotated[str, Form(max_length=100)],
) -> StreamingResponse:
    """Verify the account's chains, the page growing as the walk goes on."""
    check_csrf(request, csrf, session.csrf_token)
    head = bytes(page(request, "audit_run.html", {}, session=session).body).decode()
    before, after = head.split("<!--progress-->")
    return StreamingResponse(
        _audit_stream(ledger, session.principal.account, before, after),
        media_type="text/html; charset=utf-8",
    )


def _audit_stream(
    ledger: OrderLedger, account: str, before: str, after: str
) -> Iterator[str]:
    updates: queue.Queue[int | AuditReport | BaseException] = queue.Queue()

    def walk() -> None:
        try:
            report = ChainVerifier(ledger).verify(account=account, progress=updates.put)
            updates.put(report)
        except Exception as error:  # noqa: BLE001 - shown on the page
            updates.put(error)

    threading.Thread(target=walk, daemon=True).start()
    yield before
    read = 0
    while True:
        update = updates.get()
        if isinstance(update, int):
            read += update
            yield f'<li class="progress">{read:,} stored events read…</li>\n'
            continue
        if isinstance(update, BaseException):
            yield f'</ol><p class="bad">The walk failed: {escape(str(update))}</p>'
        else:
            yield _audit_result(update)
        break
    yield after


def _audit_result(report: AuditReport) -> str:
    lines = [
        "</ol>",
        f'<p id="audit-result" class="{"bad" if report.broken else "good"}">',
        f"{report.orders_checked:,} orders, {report.events_checked:,} events checked: ",
        f"{len(report.broken)} broken chains" if report.broken else "every chain holds",
        "</p>",
    ]
    if report.broken:
        lines.append("<table><tr><th>order</th><th>version</th><th>why</th></tr>")
        lines.extend(
            f"<tr><td>{escape(b.order_id)}</td><td>{b.version}</td>"
            f"<td>{escape(b.reason)}</td></tr>"
            for b in report.broken
        )
        lines.append("</table>")
    return "\n".join(lines)
