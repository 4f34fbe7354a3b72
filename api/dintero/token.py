"""Dintero's ``POST /v1/accounts/{aid}/auth/token``: client credentials → a JWT.

docs.dintero.com ``api-reference/authenticate/get-token``: HTTP Basic with
the client id and secret, a JSON body ``{"grant_type": "client_credentials",
"audience": "https://api.dintero.com/v1/accounts/{aid}"}``, answered by
``{"access_token", "token_type": "Bearer", "expires_in"}``. Every API key is a
client id (``lk_<id>``) and secret (the rest of the key).
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.security import HTTPBasic, HTTPBasicCredentials
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from api.auth import admit, get_keys, limit_anonymous
from api.dintero.errors import DINTERO_ERROR_RESPONSES, DinteroRoute
from api.keys import KeyStore, Principal, key_from_client_credentials

router = APIRouter(
    prefix="/v1/accounts/{aid}/auth",
    tags=["Dintero"],
    responses=DINTERO_ERROR_RESPONSES,
    route_class=DinteroRoute,
)
_basic = HTTPBasic(auto_error=False, description="client id and client secret")


class TokenIn(BaseModel):
    model_config = ConfigDict(
        extra="ignore",
        json_schema_extra={
            "examples": [
                {
                    "grant_type": "client_credentials",
                    "audience": "https://api.dintero.com/v1/accounts/T12345678",
                }
            ]
        },
    )
    # Dintero's own example leaves it out; client credentials is the only grant.
    grant_type: Literal["client_credentials"] = "client_credentials"
    audience: str = Field(min_length=1, max_length=500)


class TokenOut(BaseModel):
    access_token: str
    token_type: Literal["Bearer"] = "Bearer"  # noqa: S105 - a scheme, not a secret
    expires_in: int


def _audience_names(audience: str, aid: str) -> bool:
    """``…/accounts/{aid}`` (Dintero's form, any host) or the account id alone."""
    return audience.rstrip("/").rsplit("/", 1)[-1] == aid and (
        audience == aid or "/accounts/" in audience
    )


def client_principal(
    request: Request,
    keys: Annotated[KeyStore, Depends(get_keys)],
    credentials: Annotated[HTTPBasicCredentials | None, Depends(_basic)],
) -> Principal:
    """The key the client id and secret make up; 401 for anything else."""
    principal = None
    if credentials is not None:
        key = key_from_client_credentials(credentials.username, credentials.password)
        principal = admit(request, keys, key)
    if principal is None:
        limit_anonymous(request)
        raise HTTPException(
            401,
            "invalid client id or secret" if credentials else "no client credentials",
            headers={"WWW-Authenticate": 'Basic realm="ledger"'},
        )
    return principal


@router.post("/token", summary="Get an access token for client credentials")
async def get_token(
    aid: str,
    body: TokenIn,
    keys: Annotated[KeyStore, Depends(get_keys)],
    principal: Annotated[Principal, Depends(client_principal)],
) -> TokenOut:
    if principal.account != aid:
        raise HTTPException(401, "these client credentials are not for this account")
    if not _audience_names(body.audience, aid):
        raise HTTPException(
            400, f"audience must name this account: …/v1/accounts/{aid}"
        )
    token = await run_in_threadpool(keys.issue_token, principal, body.audience)
    return TokenOut(access_token=token, expires_in=keys.tokens.ttl_seconds)
