"""The outbound service as both the API and the console reach it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from http import HTTPStatus

from fastapi import HTTPException, Request

from outbound.endpoints import EndpointError, EndpointNotFoundError
from outbound.feed import CursorError
from outbound.service import Outbound


def outbound_of(request: Request) -> Outbound:
    outbound: Outbound = request.app.state.outbound
    return outbound


@contextmanager
def answered() -> Iterator[None]:
    """The service's refusals as HTTP errors: 400 with the reason, or 404."""
    try:
        yield
    except (EndpointError, CursorError) as error:
        raise HTTPException(HTTPStatus.BAD_REQUEST, str(error)) from None
    except EndpointNotFoundError:
        raise HTTPException(
            HTTPStatus.NOT_FOUND, "no such webhook endpoint in this account"
        ) from None
