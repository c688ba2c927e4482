"""``SystemClock``: the real time, for production. Only services read a clock."""

from __future__ import annotations

from datetime import UTC, datetime

__all__ = ["SystemClock"]


class SystemClock:
    """Reads the system time in UTC."""

    def now(self) -> datetime:
        """The current instant (timezone-aware, UTC)."""
        return datetime.now(UTC)
