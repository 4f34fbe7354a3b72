"""Webhook endpoints: an account's URLs, the event types each wants, its secret.

A secret is Standard Webhooks' ``whsec_`` + base64 of 32 random bytes, shown
once when made or rotated. The ledger must sign with it, so it is stored as
it is (treat the table like the key store: finance's SQL role cannot read
it). A rotated secret keeps signing beside the new one for a day, so a
receiver can switch without losing deliveries. A deleted endpoint is kept,
marked deleted, with its delivery log.
"""

from __future__ import annotations

import base64
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final

from psycopg import sql
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool

from outbound.events import EVENT_TYPES
from outbound.targets import AllowedHosts, TargetRefusedError, check_target

ALL_EVENTS: Final = "*"
ROTATION_OVERLAP: Final = timedelta(days=1)
MAX_ENDPOINTS: Final = 20  # per account


class EndpointError(ValueError):
    """A request about endpoints that cannot be done; the message says why."""


class EndpointNotFoundError(LookupError):
    pass


@dataclass(frozen=True)
class Endpoint:
    id: str
    account: str
    url: str
    events: tuple[str, ...]
    description: str | None
    disabled: bool
    disabled_reason: str | None
    created_at: datetime
    updated_at: datetime

    def wants(self, event_type: str) -> bool:
        return ALL_EVENTS in self.events or event_type in self.events

    def shown(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "url": self.url,
            "events": list(self.events),
            "description": self.description,
            "disabled": self.disabled,
            "disabled_reason": self.disabled_reason,
            "created_at": self.created_at.isoformat(),
            "updated_at": self.updated_at.isoformat(),
        }


def new_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def check_events(events: Sequence[str]) -> tuple[str, ...]:
    unknown = sorted(set(events) - EVENT_TYPES - {ALL_EVENTS})
    if unknown:
        known = ", ".join(sorted(EVENT_TYPES))
        msg = f"unknown event types {unknown}; known: {known}, or '*' for all"
        raise EndpointError(msg)
    if not events:
        msg = "name at least one event type, or '*' for all"
        raise EndpointError(msg)
    return tuple(dict.fromkeys(events))


_COLUMNS: Final = sql.SQL(
    "id, account, url, events, description, disabled, disabled_reason,"
    " created_at, updated_at"
)


class Endpoints:
    def __init__(
        self, pool: ConnectionPool, schema: str, allowed: AllowedHosts
    ) -> None:
        self.pool = pool
        self.table = sql.Identifier(schema, "webhook_endpoints")
        self.allowed = allowed

    def _checked_url(self, url: str) -> str:
        try:
            check_target(url, self.allowed)
        except TargetRefusedError as error:
            raise EndpointError(str(error)) from None
        return url

    def create(
        self, account: str, url: str, events: Sequence[str], description: str | None
    ) -> tuple[Endpoint, str]:
        """A new endpoint and its secret (shown once)."""
        wanted = check_events(events)
        self._checked_url(url)
        secret = new_secret()
        endpoint_id = "ep_" + secrets.token_hex(12)
        with self.pool.connection() as conn, conn.transaction():
            count = conn.execute(
                sql.SQL("SELECT count(*) FROM {} WHERE account = %s AND NOT deleted")
                .format(self.table), (account,),
            ).fetchone()  # fmt: skip
            if count and count[0] >= MAX_ENDPOINTS:
                msg = f"an account has at most {MAX_ENDPOINTS} endpoints"
                raise EndpointError(msg)
            row = (
                conn.cursor(row_factory=dict_row)
                .execute(
                    sql.SQL(
                        "INSERT INTO {} (id, account, url, events, description, secret)"
                        " VALUES (%s, %s, %s, %s, %s, %s) RETURNING {}"
                    ).format(self.table, _COLUMNS),
                    (endpoint_id, account, url, list(wanted), description, secret),
                )
                .fetchone()
            )
        assert row is not None  # noqa: S101 - RETURNING a row
        return _endpoint(row), secret

    def _live(self, account: str, endpoint_id: str | None = None) -> list[Endpoint]:
        """The account's endpoints not deleted (one, given its id), oldest first."""
        only = sql.SQL(" AND id = %s" if endpoint_id is not None else "")
        params = (account,) if endpoint_id is None else (account, endpoint_id)
        with self.pool.connection() as conn:
            rows = (
                conn.cursor(row_factory=dict_row)
                .execute(
                    sql.SQL(
                        "SELECT {} FROM {} WHERE account = %s AND NOT deleted{}"
                        " ORDER BY created_at, id"
                    ).format(_COLUMNS, self.table, only),
                    params,
                )
                .fetchall()
            )
        return [_endpoint(row) for row in rows]

    def list(self, account: str) -> list[Endpoint]:
        return self._live(account)

    def get(self, account: str, endpoint_id: str) -> Endpoint:
        found = self._live(account, endpoint_id)
        if not found:
            raise EndpointNotFoundError(endpoint_id)
        return found[0]

    def update(  # noqa: PLR0913 - each field a PATCH may change
        self,
        account: str,
        endpoint_id: str,
        *,
        events: Sequence[str] | None = None,
        disabled: bool | None = None,
        url: str | None = None,
        description: str | None = None,
    ) -> Endpoint:
        changes: dict[str, Any] = {}
        if events is not None:
            changes["events"] = list(check_events(events))
        if url is not None:
            changes["url"] = self._checked_url(url)
        if description is not None:
            changes["description"] = description
        if disabled is not None:
            changes["disabled"] = disabled
            changes["disabled_reason"] = "disabled by a key" if disabled else None
        assignments = sql.SQL(", ").join(
            sql.SQL("{} = %s").format(sql.Identifier(column)) for column in changes
        )
        with self.pool.connection() as conn:
            row = (
                conn.cursor(row_factory=dict_row)
                .execute(
                    sql.SQL(
                        "UPDATE {} SET updated_at = now(){}{}"
                        " WHERE account = %s AND id = %s AND NOT deleted RETURNING {}"
                    ).format(
                        self.table,
                        sql.SQL(", " if changes else ""),
                        assignments,
                        _COLUMNS,
                    ),
                    (*changes.values(), account, endpoint_id),
                )
                .fetchone()
            )
        if row is None:
            raise EndpointNotFoundError(endpoint_id)
        return _endpoint(row)

    def delete(self, account: str, endpoint_id: str) -> None:
        with self.pool.connection() as conn:
            deleted = conn.execute(
                sql.SQL(
                    "UPDATE {} SET deleted = true, updated_at = now()"
                    " WHERE account = %s AND id = %s AND NOT deleted"
                ).format(self.table),
                (account, endpoint_id),
            ).rowcount
        if not deleted:
            raise EndpointNotFoundError(endpoint_id)

    def rotate(self, account: str, endpoint_id: str) -> tuple[Endpoint, str]:
        """A new secret; the old one signs beside it for ``ROTATION_OVERLAP``."""
        secret = new_secret()
        with self.pool.connection() as conn:
            row = (
                conn.cursor(row_factory=dict_row)
                .execute(
                    sql.SQL(
                        "UPDATE {} SET previous_secret = secret,"
                        " previous_until = now() + %s, secret = %s, updated_at = now()"
                        " WHERE account = %s AND id = %s AND NOT deleted RETURNING {}"
                    ).format(self.table, _COLUMNS),
                    (ROTATION_OVERLAP, secret, account, endpoint_id),
                )
                .fetchone()
            )
        if row is None:
            raise EndpointNotFoundError(endpoint_id)
        return _endpoint(row), secret


def _endpoint(row: dict[str, Any]) -> Endpoint:
    return Endpoint(
        id=row["id"],
        account=row["account"],
        url=row["url"],
        events=tuple(row["events"]),
        description=row["description"],
        disabled=row["disabled"],
        disabled_reason=row["disabled_reason"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )
