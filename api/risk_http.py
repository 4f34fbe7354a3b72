"""The risk-check port over HTTP (``LEDGER_RISK_URL``).

POSTs ``{"account", "orderNumber", "currency", "increase_minor", "kind"}``
(``kind``: ``authorization`` of a new order's whole amount, or ``increase``)
and expects
``{"outcome": "Accepted" | "Pending" | "Rejected", "messages": [str, ...]}``.
No answer within the timeout, an HTTP error or any other body is
``NotEvaluated``: the update is then not applied (and is recorded as such).
"""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request

from domain.risk import RiskKind
from domain.values import RiskDecision, RiskOutcome

log = logging.getLogger(__name__)
_ANSWERS = {RiskOutcome.ACCEPTED, RiskOutcome.PENDING, RiskOutcome.REJECTED}


class HttpRiskCheck:
    def __init__(self, url: str, timeout: float = 2.0) -> None:
        self.url = url
        self.timeout = timeout

    def assess(
        self,
        account: str,
        order_ref: str,
        currency: str,
        increase_minor: int,
        kind: RiskKind = "increase",
    ) -> RiskDecision:
        body = json.dumps(
            {
                "account": account,
                "orderNumber": order_ref,
                "currency": currency,
                "increase_minor": increase_minor,
                "kind": kind,
            }
        ).encode()
        request = urllib.request.Request(  # noqa: S310 - the operator's configured URL
            self.url, data=body, headers={"Content-Type": "application/json"}
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                answer = json.loads(response.read())
            outcome = RiskOutcome(answer["outcome"])
            messages = tuple(str(m) for m in answer.get("messages", []))
        except (OSError, ValueError, KeyError, TypeError) as error:
            log.warning("risk check not evaluated: %s", error)
            return RiskDecision(
                RiskOutcome.NOT_EVALUATED, (f"risk check unavailable: {error}",)
            )
        if outcome not in _ANSWERS:
            return RiskDecision(RiskOutcome.NOT_EVALUATED, ("unexpected risk answer",))
        return RiskDecision(outcome, messages)
