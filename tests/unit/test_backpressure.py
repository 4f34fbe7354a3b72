"""Back-pressure: a request that finds every database slot busy is refused at once."""

from __future__ import annotations

import asyncio

import pytest

from api.backpressure import DatabaseSlots, LedgerBusyError


def test_no_free_slot_fails_fast_and_a_freed_slot_is_taken():
    async def scenario() -> list[str]:
        slots = DatabaseSlots(1, timeout=0.01)
        outcomes = []
        async with slots.held():
            with pytest.raises(LedgerBusyError):
                async with slots.held():
                    outcomes.append("second got in")  # pragma: no cover
            outcomes.append("second refused")
        async with slots.held():
            outcomes.append("third got in")
        return outcomes

    assert asyncio.run(scenario()) == ["second refused", "third got in"]
