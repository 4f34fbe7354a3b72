"""Dintero's client-credentials tokens (SPEC §5, §9): signed, expiring JWTs.

A token names the key it was issued for (``sub``), its account and role; it
is signed with HS256 by a secret the key store keeps in PostgreSQL, so every
worker and restart verifies the same tokens. A token is only as good as its
key: the key store checks on every request that the key is still live, so
revoking a key refuses its tokens at once.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from typing import Final

import jwt

ALGORITHM: Final = "HS256"
ISSUER: Final = "order-ledger"
DEFAULT_TTL_SECONDS: Final = 4 * 60 * 60  # Dintero's tokens last four hours


def new_signing_secret() -> str:
    return secrets.token_urlsafe(48)


def looks_like_token(credential: str) -> bool:
    """A JWT has three dot-separated parts; API keys (``lk_…``) have none."""
    return credential.count(".") == 2  # noqa: PLR2004 - header.payload.signature


@dataclass(frozen=True)
class TokenClaims:
    key_id: str
    account: str
    role: str


class TokenSigner:
    def __init__(self, secret: str, ttl_seconds: int = DEFAULT_TTL_SECONDS) -> None:
        self._secret = secret
        self.ttl_seconds = ttl_seconds

    def issue(self, claims: TokenClaims, audience: str) -> str:
        now = int(time.time())
        payload = {
            "iss": ISSUER,
            "sub": claims.key_id,
            "aud": audience,
            "account": claims.account,
            "role": claims.role,
            "iat": now,
            "exp": now + self.ttl_seconds,
            "jti": secrets.token_hex(8),
        }
        return jwt.encode(payload, self._secret, algorithm=ALGORITHM)

    def verify(self, token: str) -> TokenClaims | None:
        """The token's claims, or None if it is forged, expired or malformed."""
        try:
            payload = jwt.decode(
                token,
                self._secret,
                algorithms=[ALGORITHM],
                issuer=ISSUER,
                options={
                    "require": ["exp", "sub", "iss", "aud"],
                    "verify_aud": False,  # the audience names the account, below
                },
            )
        except jwt.PyJWTError:
            return None
        account, role = payload.get("account"), payload.get("role")
        if not isinstance(account, str) or not isinstance(role, str):
            return None
        return TokenClaims(str(payload["sub"]), account, role)
