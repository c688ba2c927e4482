"""The dispatcher's values: when a failed message is tried again, and what one run did.

``RetryPolicy`` is exponential backoff with jitter derived from the message key, so
runs are reproducible; ``DispatchReport`` lists the keys a run sent, re-queued and
failed. Split from :mod:`invoicekit.services.dispatch`, which re-exports both.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

import attrs

from invoicekit.errors import (
    ValidationError,
    problem,
)

__all__ = ["DispatchReport", "RetryPolicy"]


@attrs.frozen
class RetryPolicy:
    """When to try a temporarily failed message again: exponential backoff with jitter, capped.

    The n-th retry waits ``first * factor**(n-1)`` (at most ``cap``) plus up to
    ``jitter`` of that, derived from the message key so that runs are reproducible.
    After ``attempts`` tries the message is ``failed`` for good.
    """

    attempts: int = 8
    first: timedelta = timedelta(seconds=30)
    factor: int = 2
    cap: timedelta = timedelta(hours=6)
    jitter: float = 0.1

    def __attrs_post_init__(self) -> None:
        found = []
        if self.attempts < 1:
            found.append(problem("attempts", "must be at least 1", self.attempts))
        if self.first <= timedelta(0) or self.cap < self.first:
            found.append(problem("first", "must be positive and at most cap", self.first))
        if self.factor < 1:
            found.append(problem("factor", "must be at least 1", self.factor))
        if not 0 <= self.jitter <= 1:
            found.append(problem("jitter", "must be between 0 and 1", self.jitter))
        if found:
            raise ValidationError(found, subject="retry policy")

    def next_attempt(self, key: str, attempts: int, now: datetime) -> datetime | None:
        """When to try again after ``attempts`` tries, or None when they are used up."""
        if attempts >= self.attempts:
            return None
        delay = min(self.cap, self.first * self.factor ** max(attempts - 1, 0))
        spread = int.from_bytes(hashlib.sha256(f"{key}:{attempts}".encode()).digest()[:4]) / 2**32
        when: datetime = now + delay * (1 + self.jitter * spread)
        return when


@attrs.define
class DispatchReport:
    """What one dispatch run did: keys sent, re-queued (with the error) and failed for good."""

    sent: list[str] = attrs.Factory(list)
    retrying: list[tuple[str, str]] = attrs.Factory(list)
    failed: list[tuple[str, str]] = attrs.Factory(list)

    @property
    def count(self) -> int:
        """How many messages this run handled."""
        return len(self.sent) + len(self.retrying) + len(self.failed)
