"""API keys (SPEC §9): stored as SHA-256 hashes, each bound to one account and role."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, NamedTuple

import psycopg
from psycopg import sql
from psycopg_pool import ConnectionPool

from api.limits import NEW_BUCKET, RateLimiter
from api.tokens import TokenClaims, TokenSigner, looks_like_token, new_signing_secret
from projections.startup import schema_lock

# A request's key check and its rate-limit charge, in one statement: the
# key's bucket is charged only when the key is live and its hash matches
# (a token's key: live).
ADMISSION = (
    "WITH k AS (SELECT key_hash, account, role FROM {keys}"
    " WHERE key_id = %(key_id)s AND revoked_at IS NULL),"
    " charged AS ({charge})"
    " SELECT k.key_hash, k.account, k.role, EXISTS (SELECT FROM charged),"
    " ({ahead}) FROM k"
)


# Connections of the key checks and rate-limit charges: not pinged on
# checkout (a lost one is replaced and the check retried), and committing
# without waiting for the WAL flush (see api/limits.py).
ADMISSION_CONNECTIONS: dict[str, object] = {
    "autocommit": True,
    "connect_timeout": 2,
    "options": "-c synchronous_commit=off",
}


def _small_pool(url: str, size: int, **options: Any) -> ConnectionPool:  # noqa: ANN401 - the pool's options
    """A few connections, and a short wait for one: an outage answers 503 quickly."""
    return ConnectionPool(
        url, min_size=1, max_size=size, timeout=2, open=True, **options
    )


class Role(StrEnum):
    WRITER = "writer"  # a payment integration
    FINANCE = "finance"  # read only
    ADMIN = "admin"


@dataclass(frozen=True)
class Principal:
    key_id: str
    account: str
    role: Role

    @property
    def can_write(self) -> bool:
        return self.role in (Role.WRITER, Role.ADMIN)


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class Admission(NamedTuple):
    """A request's key check: its principal (None: refused) and its wait (0: go)."""

    principal: Principal | None
    retry_after: int = 0


class Claimed(NamedTuple):
    """What a credential claims: its key id, and the hash or account to check."""

    key_id: str
    key_hash: str | None  # a key's; None for a token
    account: str | None  # a token's; None for a key


class AdmissionQuery(NamedTuple):
    """The one statement that checks a credential and charges its bucket."""

    claimed: Claimed
    statement: str
    params: dict[str, object]

    def answer(self, row: Sequence[Any] | None, limiter: RateLimiter) -> Admission:
        """The admission a row of the statement (None: no live key) stands for."""
        if row is None:
            return Admission(None)
        key_hash, account, role, allowed, ahead = row
        principal = _principal(self.claimed, (key_hash, account, role))
        if principal is None or allowed:
            return Admission(principal)
        return Admission(principal, limiter.wait_seconds(ahead))


class NewKey(NamedTuple):
    """A key as created: the bearer key, and the same as client credentials."""

    key_id: str
    key: str

    @property
    def client_id(self) -> str:
        return f"lk_{self.key_id}"

    @property
    def client_secret(self) -> str:
        return self.key.removeprefix(f"{self.client_id}_")


def key_from_client_credentials(client_id: str, client_secret: str) -> str:
    """Dintero's client id and secret are the two halves of one API key."""
    return f"{client_id}_{client_secret}"


class KeyStore:
    """The ``api_keys`` table; plaintext keys exist only in ``create``'s answer."""

    def __init__(
        self,
        url: str,
        schema: str,
        pool_size: int = 4,
        token_ttl_seconds: int | None = None,
    ) -> None:
        self.url = url
        self.schema = schema
        self.table = sql.Identifier(schema, "api_keys")
        self._admission: tuple[RateLimiter, str] | None = None
        # Checked on checkout (a server restart leaves dead connections in the
        # pool): keys are created and revoked here, rarely.
        self.pool = _small_pool(
            url,
            pool_size,
            check=ConnectionPool.check_connection,
            kwargs={"autocommit": True, "connect_timeout": 2},
        )
        self.admissions = _small_pool(url, pool_size, kwargs=ADMISSION_CONNECTIONS)
        with schema_lock(url), self.pool.connection() as conn:
            conn.execute(
                sql.SQL(
                    "CREATE TABLE IF NOT EXISTS {} ("
                    " key_id text PRIMARY KEY,"
                    " key_hash text NOT NULL UNIQUE,"
                    " account text NOT NULL,"
                    " role text NOT NULL"
                    " CHECK (role IN ('writer', 'finance', 'admin')),"
                    " created_at timestamptz NOT NULL DEFAULT now(),"
                    " revoked_at timestamptz)"
                ).format(self.table)
            )
            conn.execute(  # api.limits: one row per rate-limited key or address
                sql.SQL(
                    "CREATE TABLE IF NOT EXISTS {} "
                    "(bucket text PRIMARY KEY, tat timestamptz NOT NULL)"
                ).format(sql.Identifier(schema, "rate_limit_buckets"))
            )
            self.tokens = TokenSigner(
                self._signing_secret(conn), token_ttl_seconds or 4 * 60 * 60
            )

    def _signing_secret(self, conn: psycopg.Connection[Any]) -> str:
        """The tokens' signing secret, made once and shared by every worker."""
        table = sql.Identifier(self.schema, "token_signing_secret")
        conn.execute(
            sql.SQL(
                "CREATE TABLE IF NOT EXISTS {} (id int PRIMARY KEY CHECK (id = 1),"
                " secret text NOT NULL)"
            ).format(table)
        )
        conn.execute(
            sql.SQL(
                "INSERT INTO {} (id, secret) VALUES (1, %s) ON CONFLICT DO NOTHING"
            ).format(table),
            (new_signing_secret(),),
        )
        row = conn.execute(sql.SQL("SELECT secret FROM {}").format(table)).fetchone()
        assert row is not None  # noqa: S101 - inserted just above
        return str(row[0])

    def create(self, account: str, role: Role) -> NewKey:
        """A new key for ``account`` (its id, the key itself)."""
        if not account.strip():
            msg = "an account is required"
            raise ValueError(msg)
        key_id = secrets.token_hex(6)
        key = f"lk_{key_id}_{secrets.token_urlsafe(32)}"
        with self.pool.connection() as conn:
            conn.execute(
                sql.SQL(
                    "INSERT INTO {} (key_id, key_hash, account, role)"
                    " VALUES (%s, %s, %s, %s)"
                ).format(self.table),
                (key_id, hash_key(key), account, str(role)),
            )
        return NewKey(key_id, key)

    def authenticate(self, key: str) -> Principal | None:
        """The live key's principal (for a key or a token issued for one).

        A key's hash is compared in constant time.
        """
        claimed = self._claimed(key)
        if claimed is None:
            return None
        return _principal(claimed, self._live(claimed.key_id))

    def admit(self, key: str, limiter: RateLimiter) -> Admission:
        """``authenticate``, and the key's rate-limit bucket charged: one statement.

        A request's own check runs on the event loop (api/admission.py).
        """
        query = self.admission(key, limiter)
        if query is None:
            return Admission(None)
        row = None
        for attempt in range(2):
            try:
                with self.admissions.connection() as conn:
                    row = conn.execute(
                        query.statement, query.params, prepare=True
                    ).fetchone()
                break
            except psycopg.OperationalError:
                # A connection lost (the server restarted): test the idle
                # ones, and try once more on a live one.
                if attempt:
                    raise
                self.admissions.check()
        return query.answer(row, limiter)

    def admission(self, key: str, limiter: RateLimiter) -> AdmissionQuery | None:
        """The statement that admits ``key``; None for a malformed or bad credential."""
        claimed = self._claimed(key)
        if claimed is None:
            return None
        params = {
            **limiter.params(claimed.key_id),
            "key_id": claimed.key_id,
            "hash": claimed.key_hash,
        }
        return AdmissionQuery(claimed, self._admission_statement(limiter), params)

    def _admission_statement(self, limiter: RateLimiter) -> str:
        if self._admission is not None and self._admission[0] is limiter:
            return self._admission[1]
        charge = limiter.upsert(
            sql.SQL(
                "SELECT {} FROM k WHERE %(hash)s::text IS NULL OR k.key_hash = %(hash)s"
            ).format(NEW_BUCKET)
        )
        # As text: psycopg caches the conversion of a text query.
        statement = (
            sql.SQL(ADMISSION)
            .format(keys=self.table, charge=charge, ahead=limiter.ahead)
            .as_string()
        )
        self._admission = (limiter, statement)
        return statement

    def _claimed(self, key: str) -> Claimed | None:
        if looks_like_token(key):
            claims = self.tokens.verify(key)
            if claims is None:
                return None
            return Claimed(claims.key_id, None, claims.account)
        parts = key.split("_", 2)
        if len(parts) != 3 or parts[0] != "lk":  # noqa: PLR2004 - lk_<id>_<secret>
            return None
        return Claimed(parts[1], hash_key(key), None)

    def _live(self, key_id: str) -> tuple[str, str, str] | None:
        """(hash, account, role) of the live key ``key_id``, if there is one."""
        with self.pool.connection() as conn:
            row = conn.execute(
                sql.SQL(
                    "SELECT key_hash, account, role FROM {} "
                    "WHERE key_id = %s AND revoked_at IS NULL"
                ).format(self.table),
                (key_id,),
            ).fetchone()
        return None if row is None else (str(row[0]), str(row[1]), str(row[2]))

    def issue_token(self, principal: Principal, audience: str) -> str:
        claims = TokenClaims(principal.key_id, principal.account, str(principal.role))
        return self.tokens.issue(claims, audience)

    def revoke(self, key_or_id: str) -> bool:
        """Revoke by key id or by the key itself; False if no live key matched."""
        key_id = key_or_id.split("_")[1] if key_or_id.startswith("lk_") else key_or_id
        with self.pool.connection() as conn:
            cursor = conn.execute(
                sql.SQL(
                    "UPDATE {} SET revoked_at = now() "
                    "WHERE key_id = %s AND revoked_at IS NULL"
                ).format(self.table),
                (key_id,),
            )
            return cursor.rowcount == 1

    def list(
        self, account: str | None = None
    ) -> list[tuple[str, str, str, datetime, datetime | None]]:
        query = sql.SQL(
            "SELECT key_id, account, role, created_at, revoked_at FROM {} "
            "WHERE %(account)s::text IS NULL OR account = %(account)s"
            " ORDER BY created_at"
        ).format(self.table)
        with self.pool.connection() as conn:
            return [tuple(row) for row in conn.execute(query, {"account": account})]

    def ping(self) -> None:
        with self.pool.connection() as conn:
            conn.execute("SELECT 1")

    def close(self) -> None:
        self.admissions.close()
        self.pool.close()


def _principal(claimed: Claimed, row: tuple[str, str, str] | None) -> Principal | None:
    """The principal of a live key's ``(hash, account, role)`` row, if it matches.

    A key's hash is compared in constant time; a token names its account.
    """
    if row is None:
        return None
    key_hash, account, role = row
    if claimed.key_hash is not None and not hmac.compare_digest(
        key_hash, claimed.key_hash
    ):
        return None
    if claimed.account is not None and account != claimed.account:
        return None
    return Principal(claimed.key_id, account, Role(role))
