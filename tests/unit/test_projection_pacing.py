"""When a following projection runner reads: at once when idle, gathered when busy."""

from __future__ import annotations

import threading
from types import SimpleNamespace

from projections.runner import GATHER_SECONDS, Lag, ProjectionRunner


class Script:
    """A runner whose steps find the given numbers of events, then stops."""

    def __init__(self, found: list[int], batch_size: int = 500) -> None:
        self.found = found
        self.calls: list[str] = []
        self.stop = threading.Event()
        self.runner = SimpleNamespace(
            batch_size=batch_size,
            step=self.step,
            lag=lambda: Lag(0, 0.0),
            view=SimpleNamespace(name="test"),
        )
        self.wakeup = SimpleNamespace(wait=self.woken)

    def step(self) -> int:
        if not self.found:
            self.stop.set()
            return 0
        done = self.found.pop(0)
        self.calls.append(f"step {done}")
        return done

    def woken(self, *_: object) -> None:
        self.calls.append("wait for a commit")

    def run(self) -> list[str]:
        gather = self.stop.wait

        def waiting(timeout: float | None = None) -> bool:
            if timeout == GATHER_SECONDS:
                self.calls.append("gather")
                return False
            return gather(timeout)

        self.stop.wait = waiting  # type: ignore[method-assign]
        ProjectionRunner._follow(  # type: ignore[arg-type]
            self.runner, self.stop, self.wakeup, 0.2, GATHER_SECONDS
        )
        return self.calls


def test_an_idle_runner_projects_the_next_commit_as_soon_as_it_comes():
    assert Script([0, 1]).run() == [
        "step 0",
        "wait for a commit",
        "step 1",
        "gather",
        "wait for a commit",  # nothing more came
    ]


def test_a_busy_runner_lets_commits_gather_but_not_after_a_full_batch():
    assert Script([7, 500, 3], batch_size=500).run() == [
        "step 7",
        "gather",
        "step 500",
        "step 3",
        "gather",
        "wait for a commit",  # nothing more came
    ]
