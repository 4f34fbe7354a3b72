"""Settings from the environment (``LEDGER_*`` and ``DATABASE_URL``)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from api.risk_http import HttpRiskCheck
from domain.bounds import DEFAULT_MAX_LINE_MINOR, MAX_MINOR
from domain.risk import MaxIncreaseRiskCheck, RiskCheck
from outbound.sender import SenderSettings
from outbound.targets import AllowedHosts


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LEDGER_", extra="ignore")

    database_url: str | None = Field(default=None, validation_alias="DATABASE_URL")
    data_dir: Path = Path(".ledger")
    snapshot_key: SecretStr | None = Field(
        default=None,
        description="key that seals the snapshots this ledger takes (else the "
        "key in snapshot_key_file)",
    )
    # Not in data_dir: that is the embedded PostgreSQL's own folder (initdb
    # wants it empty, and a copy of the database must not carry the key).
    snapshot_key_file: Path = Path(".ledger-snapshot.key")
    db_schema: str = "public"
    authorization_ttl_days: int = Field(default=30, ge=1)
    risk_max_increase: int = Field(default=50_000, ge=0)
    default_currency: Literal["EUR", "NOK", "SEK", "DKK", "CHF"] = Field(
        default="EUR",
        description="a Riverty order's currency when its authorize names none",
    )
    payment_methods: str = Field(
        default="Invoice",
        pattern=r"^[A-Za-z]{1,40}(,[A-Za-z]{1,40}){0,9}$",
        description="the Riverty payment methods offered (comma-separated types)",
    )
    max_line_amount: int = Field(
        default=DEFAULT_MAX_LINE_MINOR,
        ge=1,
        le=MAX_MINOR,
        description="largest gross amount or unit price of one line, minor units",
    )
    risk_url: str | None = Field(default=None, description="HTTP risk service")
    risk_timeout: float = Field(default=2.0, gt=0, description="seconds")
    db_workers: int = Field(default=8, ge=1, description="concurrent database commands")
    db_pool_timeout: int = Field(
        default=2, ge=1, description="seconds to get a connection"
    )
    busy_timeout: float = Field(default=1.0, gt=0, description="seconds before a 503")
    aggregate_cache: int = Field(
        default=2_000,
        ge=0,
        description="orders each process keeps in memory and fast-forwards from "
        "newer events (0: read every order from its snapshot and events)",
    )
    answer_cache_mb: int = Field(
        default=64,
        ge=0,
        le=65_536,
        description="MB of whole-order answers (Riverty's and Dintero's order "
        "reads, Dintero's event and operation lists) each process keeps by the "
        "order's version (0: none)",
    )
    max_attempts: int = Field(default=10, ge=1, description="version-conflict retries")
    rate_limit: float = Field(default=100.0, gt=0, description="requests/s per key")
    rate_burst: int = Field(default=200, ge=1, description="burst per key")
    recorder: Literal["horizon", "table-lock"] = Field(
        default="horizon",
        description="event insert ordering: horizon (no table lock) or the "
        "library's table lock",
    )
    notification_logs: int = Field(
        default=1,
        ge=1,
        le=64,
        description="notification logs the events are split over by order "
        "(horizon recorder only)",
    )
    projection_wait: float = Field(
        default=5.0,
        gt=0,
        description="seconds a finance read waits for the read models to reach "
        "every committed event before 503 projection_lagging",
    )
    run_projections: bool = Field(
        default=True, description="follow the read models inside the API process"
    )
    run_webhooks: bool = Field(
        default=True,
        description="follow the event feed and deliver webhooks inside the API "
        "process (ledger serve runs them in a process of their own instead)",
    )
    webhook_retry_schedule: str = Field(
        default="5,300,1800,7200,18000,36000,36000",
        pattern=r"^\s*\d+(\.\d+)?\s*(,\s*\d+(\.\d+)?\s*)*$",
        description="seconds between a webhook's attempts (Svix's schedule: about "
        "3 days); after the last the endpoint is disabled",
    )
    webhook_allowed_hosts: str = Field(
        default="",
        description="hosts and CIDRs webhooks may reach although they are loopback "
        "or private (comma-separated)",
    )
    webhook_timeout: float = Field(
        default=15.0, gt=0, le=120, description="seconds a webhook request may take"
    )

    def webhook_sender(self) -> SenderSettings:
        return SenderSettings(
            schedule=tuple(
                float(part) for part in self.webhook_retry_schedule.split(",")
            ),
            timeout=self.webhook_timeout,
            allowed=AllowedHosts.parse(self.webhook_allowed_hosts),
        )

    def risk_check(self) -> RiskCheck:
        """The HTTP risk service if one is configured, else the built-in rule."""
        if self.risk_url:
            return HttpRiskCheck(self.risk_url, self.risk_timeout)
        return MaxIncreaseRiskCheck(self.risk_max_increase)

    @property
    def authorization_ttl(self) -> timedelta:
        return timedelta(days=self.authorization_ttl_days)
