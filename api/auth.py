"""FastAPI dependencies: the ledger, the caller's key, and the request context."""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import Depends, Header, HTTPException, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from api.admission import Admissions
from api.context import current_request_id
from api.keys import KeyStore, Principal, Role
from api.limits import RateLimiter
from domain.application import OrderLedger
from domain.context import RequestContext
from domain.risk import RiskCheck

_bearer = HTTPBearer(
    auto_error=False,
    description="API key `Bearer lk_…`, or a token from Dintero's /auth/token",
)
_KEY_SHAPE = re.compile(r"^[\x21-\x7e]{1,255}$")

# Dependencies are ``async def``: FastAPI runs a plain ``def`` dependency in
# its thread pool, a thread hop per dependency per request. ``authenticated``
# checks the key on the event loop (api/admission.py).


async def get_ledger(request: Request) -> OrderLedger:
    ledger: OrderLedger = request.app.state.ledger
    return ledger


async def get_risk_check(request: Request) -> RiskCheck:
    risk: RiskCheck = request.app.state.risk_check
    return risk


RiskDep = Annotated[RiskCheck, Depends(get_risk_check)]


async def get_keys(request: Request) -> KeyStore:
    keys: KeyStore = request.app.state.keys
    return keys


LedgerDep = Annotated[OrderLedger, Depends(get_ledger)]


async def authenticated(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Security(_bearer)],
) -> Principal:
    """The key's principal; 401 without a key or with an unknown or revoked one."""
    key = credentials.credentials if credentials else request.headers.get("x-auth-key")
    principal = None
    if key:
        admissions: Admissions = request.app.state.admissions
        admission = await admissions.admit(key, request.app.state.rate_limiter)
        if admission.retry_after:
            raise too_many(admission.retry_after, "for this key")
        principal = admission.principal
    if principal is None:
        await run_in_threadpool(limit_anonymous, request)
        raise HTTPException(
            401,
            "a valid API key is required" if key else "no API key was sent",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return principal


def admit(request: Request, keys: KeyStore, key: str | None) -> Principal | None:
    """The live key's principal, its rate-limit bucket charged (429 once spent).

    None when ``key`` is not a live key (the caller limits the address).
    """
    if not key:
        return None
    admission = keys.admit(key, request.app.state.rate_limiter)
    if admission.retry_after:
        raise too_many(admission.retry_after, "for this key")
    return admission.principal


def limit_anonymous(request: Request) -> None:
    """Guessing keys is limited too, per client address (all workers share it)."""
    client = request.client.host if request.client else "unknown"
    _limit(request.app.state.rate_limiter, f"anonymous:{client}", "from this address")


def _limit(limiter: RateLimiter, bucket: str, scope: str) -> None:
    if wait := limiter.retry_after(bucket):
        raise too_many(wait, scope)


def too_many(wait: int, scope: str) -> HTTPException:
    return HTTPException(
        429, f"too many requests {scope}", headers={"Retry-After": str(wait)}
    )


async def reader(
    aid: str, principal: Annotated[Principal, Depends(authenticated)]
) -> Principal:
    """Any role, on its own account only: another account's data does not exist."""
    if principal.account != aid:
        raise HTTPException(404, "no such resource in this account")
    return principal


async def writer(principal: Annotated[Principal, Depends(reader)]) -> Principal:
    return _may_write(principal)


async def finance_reader(principal: Annotated[Principal, Depends(reader)]) -> Principal:
    """A finance or admin key: they read what the ledger feeds finance systems."""
    if principal.role not in (Role.FINANCE, Role.ADMIN):
        raise HTTPException(403, f"role {principal.role} cannot read the event feed")
    return principal


async def settlement_keeper(
    principal: Annotated[Principal, Depends(reader)],
) -> Principal:
    """SPEC §13: finance and admin keys record settlement facts and decisions.

    A writer key moves order money, and may not.
    """
    if principal.role not in (Role.FINANCE, Role.ADMIN):
        raise HTTPException(
            403,
            f"role {principal.role} cannot import settlements or resolve exceptions",
        )
    return principal


Reader = Annotated[Principal, Depends(reader)]
Writer = Annotated[Principal, Depends(writer)]
FinanceReader = Annotated[Principal, Depends(finance_reader)]
SettlementKeeper = Annotated[Principal, Depends(settlement_keeper)]


IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        description="a retry with the same key and body returns the first answer "
        "and writes nothing",
    ),
]


def request_context(
    principal: Principal, idempotency_key: str | None
) -> RequestContext:
    if idempotency_key is not None and not _KEY_SHAPE.match(idempotency_key):
        raise HTTPException(
            400, "Idempotency-Key must be 1-255 visible ASCII characters"
        )
    return RequestContext(
        actor=principal.key_id,
        request_id=current_request_id(),
        idempotency_key=idempotency_key,
    )


async def write_context(
    principal: Writer, idempotency_key: IdempotencyKey = None
) -> RequestContext:
    return request_context(principal, idempotency_key)


WriteContext = Annotated[RequestContext, Depends(write_context)]

# Riverty's paths name no account: the key's account owns the order.
Caller = Annotated[Principal, Depends(authenticated)]


def _may_write(principal: Principal) -> Principal:
    if not principal.can_write:
        raise HTTPException(403, f"role {principal.role} cannot write")
    return principal


async def caller_writer(principal: Caller) -> Principal:
    return _may_write(principal)


CallerWriter = Annotated[Principal, Depends(caller_writer)]


async def caller_context(
    principal: CallerWriter, idempotency_key: IdempotencyKey = None
) -> RequestContext:
    return request_context(principal, idempotency_key)


CallerContext = Annotated[RequestContext, Depends(caller_context)]


def _needs(dependant: Any, calls: tuple[object, ...]) -> bool:  # noqa: ANN401 - FastAPI's Dependant
    return any(
        dep.call in calls or _needs(dep, calls) for dep in dependant.dependencies
    )


async def check_access(request: Request) -> None:
    """SPEC §9 for a request whose body did not validate: key and role first.

    FastAPI parses the JSON body before it runs the dependencies, so a bad
    body would otherwise answer 422 to a caller with no key (401) or a
    finance key writing (403). Raises the HTTPException the route's own
    dependencies would have raised.
    """
    dependant = getattr(request.scope.get("route"), "dependant", None)
    if dependant is None or not _needs(dependant, (authenticated,)):
        return
    credentials = await _bearer(request)
    principal = await authenticated(request, credentials)
    aid = request.path_params.get("aid")
    if _needs(dependant, (reader,)) and aid is not None and principal.account != aid:
        raise HTTPException(404, "no such resource in this account")
    if _needs(dependant, (writer, caller_writer)):
        _may_write(principal)
