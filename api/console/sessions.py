"""Console sessions: a signed-in API key, kept server-side behind a cookie.

The cookie holds only a random token; the table keeps its hash, the key it
stands for and the session's CSRF token. A session ends when it is signed
out, when it expires, or when its key is revoked (every lookup joins the live
key), so a stolen cookie is worth no more than the key's own life.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from psycopg import sql

from api.keys import KeyStore, Principal, Role
from projections.startup import schema_lock

SESSION_LIFETIME = timedelta(hours=8)
TICKET_LIFETIME = timedelta(minutes=15)


@dataclass(frozen=True)
class ConsoleSession:
    principal: Principal
    csrf_token: str


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class ConsoleSessions:
    """The ``console_sessions`` table, next to the keys it refers to."""

    def __init__(self, url: str, keys: KeyStore) -> None:
        self.keys = keys
        self.table = sql.Identifier(keys.schema, "console_sessions")
        with schema_lock(url), keys.pool.connection() as conn:
            conn.execute(
                sql.SQL(
                    "CREATE TABLE IF NOT EXISTS {} ("
                    " token_hash text PRIMARY KEY,"
                    " key_id text NOT NULL,"
                    " csrf_token text NOT NULL,"
                    " created_at timestamptz NOT NULL DEFAULT now(),"
                    " expires_at timestamptz NOT NULL,"
                    " ticket boolean NOT NULL DEFAULT false)"
                ).format(self.table)
            )

    def start(self, principal: Principal) -> tuple[str, ConsoleSession]:
        """A new session for ``principal``: (the cookie's token, the session)."""
        csrf = secrets.token_urlsafe(32)
        token = self._insert(principal, csrf, SESSION_LIFETIME, ticket=False)
        return token, ConsoleSession(principal, csrf)

    def issue_ticket(self, principal: Principal) -> str:
        """A one-use sign-in link's secret (``ledger serve --demo`` prints one)."""
        return self._insert(principal, "", TICKET_LIFETIME, ticket=True)

    def _insert(
        self, principal: Principal, csrf: str, lifetime: timedelta, *, ticket: bool
    ) -> str:
        """A new row for ``principal``; its secret (only its hash is kept)."""
        secret = secrets.token_urlsafe(32)
        with self.keys.pool.connection() as conn:
            conn.execute(  # expired rows go as new ones come
                sql.SQL("DELETE FROM {} WHERE expires_at < now()").format(self.table)
            )
            conn.execute(
                sql.SQL(
                    "INSERT INTO {} (token_hash, key_id, csrf_token, expires_at,"
                    " ticket) VALUES (%s, %s, %s, now() + %s, %s)"
                ).format(self.table),
                (_token_hash(secret), principal.key_id, csrf, lifetime, ticket),
            )
        return secret

    def redeem(self, ticket: str) -> tuple[str, ConsoleSession] | None:
        """A new session for a live ticket, which is used up by it."""
        with self.keys.pool.connection() as conn:
            row = conn.execute(
                sql.SQL(
                    "DELETE FROM {} s USING {} k WHERE s.token_hash = %s"
                    " AND s.ticket AND s.expires_at > now()"
                    " AND k.key_id = s.key_id AND k.revoked_at IS NULL"
                    " RETURNING k.key_id, k.account, k.role"
                ).format(self.table, self.keys.table),
                (_token_hash(ticket),),
            ).fetchone()
        if row is None:
            return None
        return self.start(Principal(str(row[0]), str(row[1]), Role(str(row[2]))))

    def find(self, token: str) -> ConsoleSession | None:
        """The live session of ``token``: not expired, its key not revoked."""
        with self.keys.pool.connection() as conn:
            row = conn.execute(
                sql.SQL(
                    "SELECT s.key_id, k.account, k.role, s.csrf_token FROM {} s"
                    " JOIN {} k ON k.key_id = s.key_id AND k.revoked_at IS NULL"
                    " WHERE s.token_hash = %s AND s.expires_at > now()"
                    " AND NOT s.ticket"
                ).format(self.table, self.keys.table),
                (_token_hash(token),),
            ).fetchone()
        if row is None:
            return None
        principal = Principal(str(row[0]), str(row[1]), Role(str(row[2])))
        return ConsoleSession(principal, str(row[3]))

    def end(self, token: str) -> None:
        with self.keys.pool.connection() as conn:
            conn.execute(
                sql.SQL("DELETE FROM {} WHERE token_hash = %s").format(self.table),
                (_token_hash(token),),
            )
