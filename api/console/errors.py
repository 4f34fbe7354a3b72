"""The console's failures as pages; without a session, the sign-in page."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from http import HTTPStatus

from fastapi import Request, Response
from fastapi.responses import RedirectResponse

from api.console.web import PREFIX, page
from api.errors import DialectRoute, FieldError
from api.native.problems import PROBLEM_TYPES
from domain import errors as e


class ConsolePages:
    """Failures as pages; no session (401) goes to the sign-in page."""

    def ledger(self, request: Request, error: e.LedgerError) -> Response:
        kind = PROBLEM_TYPES[type(error)]
        return _error_page(request, kind.status, kind.title, str(error))

    def invalid(self, request: Request, errors: Sequence[FieldError]) -> Response:
        detail = "; ".join(f"{err.field or 'form'}: {err.message}" for err in errors)
        return _error_page(request, 400, "Check the form", detail)

    def http(
        self,
        request: Request,
        status: int,
        detail: str | None,
        headers: Mapping[str, str] | None,
    ) -> Response:
        if status == HTTPStatus.UNAUTHORIZED:
            return RedirectResponse(f"{PREFIX}/sign-in", status_code=303)
        return _error_page(request, status, HTTPStatus(status).phrase, detail or "")

    def unavailable(
        self, request: Request, code: str, title: str, detail: str
    ) -> Response:
        response = _error_page(request, 503, title, f"{detail} ({code})")
        response.headers["Retry-After"] = "1"
        return response

    def internal(self, request: Request) -> Response:
        return _error_page(request, 500, "Something went wrong", "")


def _error_page(request: Request, status: int, title: str, detail: str) -> Response:
    return page(request, "error.html", {"title": title, "detail": detail}, status)


class ConsoleRoute(DialectRoute):
    renderer = ConsolePages()
