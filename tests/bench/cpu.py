"""CPU seconds used by groups of processes on this machine, read from /proc.

The HTTP bench splits each request's CPU between the API workers, the
projector and PostgreSQL (every process named ``postgres`` here: the bench
runs its database on the same machine).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from pathlib import Path

TICKS = os.sysconf("SC_CLK_TCK")
PROC = Path("/proc")


def _stat(pid: int) -> list[str] | None:
    try:
        text = (PROC / str(pid) / "stat").read_text()
    except OSError:  # gone meanwhile
        return None
    # The command name is in parentheses and may hold spaces.
    return text.rsplit(")", 1)[1].split()


def cpu_seconds(pids: Iterable[int]) -> float:
    """User + system time of ``pids`` (children that ended are not counted)."""
    total = 0
    for pid in pids:
        fields = _stat(pid)
        if fields is not None:
            total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / TICKS


def _all_pids() -> list[int]:
    return [int(p.name) for p in PROC.iterdir() if p.name.isdigit()]


def process_tree(root: int) -> list[int]:
    """``root`` and every process below it."""
    children: dict[int, list[int]] = {}
    for pid in _all_pids():
        fields = _stat(pid)
        if fields is not None:
            children.setdefault(int(fields[1]), []).append(pid)
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, ()))
    return found


def postgres_pids() -> list[int]:
    pids = []
    for pid in _all_pids():
        try:
            name = (PROC / str(pid) / "comm").read_text().strip()
        except OSError:
            continue
        if name == "postgres" or name.startswith("postgres:"):
            pids.append(pid)
    return pids


class CpuMeter:
    """CPU seconds per named group over a stretch of time.

    Groups are found again at the end: PostgreSQL starts a backend for each
    new connection (those that ended within the stretch are not counted).
    """

    def __init__(self, groups: dict[str, Callable[[], list[int]]]) -> None:
        self.groups = groups
        self._start: dict[str, dict[int, float]] = {}

    def start(self) -> None:
        self._start = {
            name: {pid: cpu_seconds([pid]) for pid in find()}
            for name, find in self.groups.items()
        }

    def used(self) -> dict[str, float]:
        """Seconds each group used since ``start``."""
        return {
            name: sum(
                cpu_seconds([pid]) - self._start[name].get(pid, 0.0) for pid in find()
            )
            for name, find in self.groups.items()
        }
