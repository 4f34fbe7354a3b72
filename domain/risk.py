"""The risk-check port (new authorizations, order increases); the built-in rule."""

from __future__ import annotations

from typing import Literal, Protocol

from domain.values import RiskDecision, RiskOutcome

# What is asked: a new order's authorization (of its whole amount), or an
# authorized order growing by ``increase_minor``.
RiskKind = Literal["authorization", "increase"]


class RiskCheck(Protocol):
    """Decides whether an order may be authorized, or grow, by ``increase_minor``."""

    def assess(
        self,
        account: str,
        order_ref: str,
        currency: str,
        increase_minor: int,
        kind: RiskKind = "increase",
    ) -> RiskDecision: ...


class MaxIncreaseRiskCheck:
    """Accept an increase up to a limit (``LEDGER_RISK_MAX_INCREASE``), reject above.

    A new order's authorization is not an increase of one already authorized:
    the rule accepts it (an HTTP risk service, ``LEDGER_RISK_URL``, judges it).
    """

    def __init__(self, max_increase_minor: int = 50_000) -> None:
        self.max_increase_minor = max_increase_minor

    def assess(
        self,
        account: str,  # noqa: ARG002 - the port's signature
        order_ref: str,  # noqa: ARG002
        currency: str,
        increase_minor: int,
        kind: RiskKind = "increase",
    ) -> RiskDecision:
        if kind == "increase" and increase_minor > self.max_increase_minor:
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
