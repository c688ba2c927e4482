"""Named fault points: places in the services where tests make a process crash, sleep or fail.

Production code calls ``faults.hit("after_number_alloc")``; by default nothing
happens. Tests arm a point programmatically, or through the environment for a
child process: ``INVOICEKIT_FAULT=after_number_alloc:3`` kills the process with
SIGKILL at the third time that point is reached (a real ``kill -9``).
"""

from __future__ import annotations

import os
import signal
from collections.abc import Callable, Mapping
from typing import Final

__all__ = ["POINTS", "FaultPoints"]

#: Every fault point the services pass through, in the order an issue reaches them.
POINTS: Final = (
    "before_number_alloc",
    "after_number_alloc",
    "before_commit",
    "after_commit",
    "after_provider_call",
    # delivery: messages claimed under a lease (a death here leaves them "sending"), sent
    "after_claim",
    "before_send",
    "after_send",
    # recurring generation: drafts added (before their commit), then issued
    "recurring_after_draft",
    "recurring_before_issue",
    "recurring_after_issue",
    # subscription generation: drafts added (before their commit), then issued
    "subscriptions_after_draft",
    "subscriptions_before_issue",
    "subscriptions_after_issue",
    # automatic collection: the attempt is recorded, then the provider charges (then
    # "after_provider_call", before the outcome is recorded)
    "collect_attempt_recorded",
)


class FaultPoints:
    """Actions keyed by fault-point name; a point without an action does nothing."""

    def __init__(self, actions: Mapping[str, Callable[[], None]] | None = None) -> None:
        unknown = set(actions or {}) - set(POINTS)
        if unknown:
            raise ValueError(f"unknown fault points {sorted(unknown)}; known: {', '.join(POINTS)}")
        self._actions = dict(actions or {})
        self.counts: dict[str, int] = dict.fromkeys(POINTS, 0)

    def hit(self, point: str) -> None:
        """Reached ``point``: count it and run its action, if any."""
        self.counts[point] += 1
        action = self._actions.get(point)
        if action is not None:
            action()

    @classmethod
    def from_env(cls, variable: str = "INVOICEKIT_FAULT") -> FaultPoints:
        """Arm ``point:n`` from the environment: SIGKILL this process at the n-th hit."""
        spec = os.environ.get(variable, "")
        if not spec:
            return cls()
        point, _, nth = spec.partition(":")
        target = int(nth or "1")
        faults = cls()

        def kill() -> None:
            if faults.counts[point] == target:
                os.kill(os.getpid(), signal.SIGKILL)

        faults._actions[point] = kill
        if point not in POINTS:
            raise ValueError(
                f"unknown fault point {point!r} in ${variable}; known: {', '.join(POINTS)}"
            )
        return faults
