"""Dintero's client credentials (SPEC §5, §9): Basic id and secret → a bearer JWT."""

from __future__ import annotations

import httpx
import jwt
import pytest

from api.keys import Role
from api.tokens import TokenClaims, TokenSigner
from tests.e2e.conftest import ACCOUNT, Api
from tests.e2e.dintero import SHOP, chair, create_order, ok

AUDIENCE = f"https://api.dintero.com/v1/accounts/{ACCOUNT}"
TOKEN = f"/v1/accounts/{ACCOUNT}/auth/token"


def credentials(key: str) -> tuple[str, str]:
    """A key ``lk_<id>_<secret>`` as Dintero's client id and secret."""
    _, key_id, secret = key.split("_", 2)
    return f"lk_{key_id}", secret


def get_token(api: Api, key: str, **body: str) -> httpx.Response:
    with api.client() as client:
        return client.post(
            TOKEN,
            auth=credentials(key),
            json={"grant_type": "client_credentials", "audience": AUDIENCE, **body},
        )


def test_client_credentials_give_a_bearer_token_that_writes(api: Api):
    answer = ok(get_token(api, api.writer))
    assert answer["token_type"] == "Bearer"  # noqa: S105 - a scheme, not a secret
    assert answer["expires_in"] == 4 * 60 * 60
    claims = jwt.decode(answer["access_token"], options={"verify_signature": False})
    assert claims["account"] == ACCOUNT
    assert claims["role"] == "writer"
    assert claims["exp"] - claims["iat"] == answer["expires_in"]
    with api.client(answer["access_token"]) as client:
        order_id = create_order(client, [chair(1, 39800)])
        assert ok(client.get(f"{SHOP}/orders/{order_id}"))["order_id"] == order_id


def test_a_finance_token_reads_but_cannot_write(api: Api):
    token = ok(get_token(api, api.finance))["access_token"]
    with api.client(token) as client:
        refused = client.post(f"{SHOP}/draft_orders", json={"order": {}})
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "forbidden"


@pytest.mark.parametrize(
    "mangle",
    [
        lambda cid, secret: (cid, secret + "x"),
        lambda cid, secret: (cid + "0", secret),
        lambda _cid, _secret: ("", ""),
    ],
)
def test_wrong_client_credentials_are_401_in_dinteros_format(api: Api, mangle):
    with api.client() as client:
        answer = client.post(
            TOKEN,
            auth=mangle(*credentials(api.writer)),
            json={"grant_type": "client_credentials", "audience": AUDIENCE},
        )
    assert answer.status_code == 401
    assert answer.headers["content-type"].startswith("application/json")
    assert answer.json()["error"]["code"] == "unauthorized"


def test_no_credentials_at_all_is_401(api: Api):
    with api.client() as client:
        answer = client.post(TOKEN, json={"grant_type": "client_credentials"})
    assert answer.status_code == 401


def test_another_accounts_credentials_or_audience_get_no_token(api: Api):
    assert get_token(api, api.other_writer).status_code == 401
    wrong = get_token(
        api, api.writer, audience="https://api.dintero.com/v1/accounts/other"
    )
    assert wrong.status_code == 400
    assert "audience" in wrong.json()["error"]["message"]


def test_only_the_client_credentials_grant_is_known(api: Api):
    answer = get_token(api, api.writer, grant_type="password")
    assert answer.status_code == 400
    assert answer.json()["error"]["errors"][0]["field"] == "grant_type"


def test_a_token_is_refused_once_its_key_is_revoked(api: Api):
    keys = api.app.state.keys  # type: ignore[attr-defined]
    new = keys.create(ACCOUNT, Role.WRITER)
    token = ok(get_token(api, new.key))["access_token"]
    with api.client(token) as client:
        assert client.get(f"{SHOP}/draft_orders").status_code == 200
        assert keys.revoke(new.key_id)
        assert client.get(f"{SHOP}/draft_orders").status_code == 401


def test_forged_and_expired_tokens_are_refused(api: Api):
    token = ok(get_token(api, api.writer))["access_token"]
    claims = jwt.decode(token, options={"verify_signature": False})
    forged = jwt.encode({**claims, "role": "admin"}, "not-the-secret" * 4, "HS256")
    signer = api.app.state.keys.tokens  # type: ignore[attr-defined]
    stale = TokenSigner(signer._secret, ttl_seconds=-10).issue(
        TokenClaims(claims["sub"], ACCOUNT, "writer"), AUDIENCE
    )
    for bad in (forged, stale, token[:-2] + "xx"):
        with api.client(bad) as client:
            assert client.get(f"{SHOP}/draft_orders").status_code == 401
