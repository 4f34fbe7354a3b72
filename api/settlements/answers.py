"""The settlements service as the API and the console reach it, and its refusals."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from http import HTTPStatus

from fastapi import HTTPException, Request

from settlements.exceptions import ExceptionError, ExceptionNotFoundError
from settlements.service import BatchNotFoundError, Settlements


def settlements_of(request: Request) -> Settlements:
    service: Settlements = request.app.state.settlements
    return service


@contextmanager
def answered() -> Iterator[None]:
    """The service's refusals as HTTP errors: 400 with the reason, or 404."""
    try:
        yield
    except ExceptionError as error:
        raise HTTPException(HTTPStatus.BAD_REQUEST, str(error)) from None
    except (ExceptionNotFoundError, BatchNotFoundError):
        raise HTTPException(
            HTTPStatus.NOT_FOUND, "no such resource in this account"
        ) from None
