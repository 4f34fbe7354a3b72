"""The read side as a request sees it: fresh read models, the finance reports."""

from __future__ import annotations

from fastapi import Request

from projections.reports import FinanceReports
from projections.setup import Projections


def fresh_projections(request: Request) -> Projections:
    """The read models, once they hold every event committed before this read."""
    projections: Projections = request.app.state.projections
    projections.wait_for_head(request.app.state.settings.projection_wait)
    return projections


def finance_reports(request: Request) -> FinanceReports:
    wait: float = request.app.state.settings.projection_wait
    return FinanceReports(request.app.state.projections, wait)
