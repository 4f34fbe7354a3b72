"""The read side as a request sees it: fresh read models, the finance reports."""

from __future__ import annotations

from fastapi import HTTPException, Request

from projections import reconciliation
from projections.reports import FinanceReports
from projections.setup import Projections

MAX_FILE_ROWS = 100_000


def fresh_projections(request: Request, account: str) -> Projections:
    """The read models, once they hold every event committed before this read.

    Loud when they cannot: lagging (503 ``projection_lagging``) or missing
    events of the account they set aside (503 ``read_model_incomplete``).
    """
    projections: Projections = request.app.state.projections
    projections.fresh_for(account, request.app.state.settings.projection_wait)
    return projections


def finance_reports(request: Request) -> FinanceReports:
    wait: float = request.app.state.settings.projection_wait
    return FinanceReports(request.app.state.projections, wait)


def settlement_rows(text: str) -> list[reconciliation.SettlementRow]:
    """A PSP settlement file's rows; 400 naming the first bad line."""
    try:
        rows = list(reconciliation.parse(text))
    except reconciliation.SettlementFileError as error:
        raise HTTPException(400, str(error)) from None
    if len(rows) > MAX_FILE_ROWS:
        raise HTTPException(400, f"at most {MAX_FILE_ROWS} rows per file")
    return rows
