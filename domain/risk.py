"""The risk-check port for order increases, and the built-in rule."""

from __future__ import annotations

from typing import Protocol

from domain.values import RiskDecision, RiskOutcome


class RiskCheck(Protocol):
    """Decides whether an order may grow by ``increase_minor``."""

    def assess(
        self, account: str, order_ref: str, currency: str, increase_minor: int
    ) -> RiskDecision: ...


class MaxIncreaseRiskCheck:
    """Accept an increase up to a limit (``LEDGER_RISK_MAX_INCREASE``), reject above."""

    def __init__(self, max_increase_minor: int = 50_000) -> None:
        self.max_increase_minor = max_increase_minor

    def assess(
        self,
        account: str,  # noqa: ARG002 - the port's signature
        order_ref: str,  # noqa: ARG002
        currency: str,
        increase_minor: int,
    ) -> RiskDecision:
        if increase_minor > self.max_increase_minor:
            return RiskDecision(
                RiskOutcome.REJECTED,
                (
                    (
                        f"increase of {increase_minor} {currency} minor units is "
                        f"above the limit of {self.max_increase_minor}"
                    ),
                ),
            )
        return RiskDecision(RiskOutcome.ACCEPTED)
