"""``FixedClock``: a clock tests set, advance and even turn back."""

from __future__ import annotations

from datetime import datetime, timedelta

from invoicekit.errors import ValidationError, problem

__all__ = ["FixedClock"]


class FixedClock:
    """Returns the instant it was given until told otherwise."""

    def __init__(self, at: datetime) -> None:
        self._now = self._checked(at)

    @staticmethod
    def _checked(at: datetime) -> datetime:
        if at.tzinfo is None or at.utcoffset() is None:
            raise ValidationError([problem("at", "must be timezone-aware", at)], subject="clock")
        return at

    def now(self) -> datetime:
        """The instant set last."""
        return self._now

    def set(self, at: datetime) -> None:
        """Jump to ``at`` (backwards is allowed: clocks do that)."""
        self._now = self._checked(at)

    def advance(self, delta: timedelta | None = None, **units: float) -> datetime:
        """Move forward by ``delta`` or by keyword units (``days=3``, ``hours=1``); return the new now."""
        self._now += delta if delta is not None else timedelta(**units)
        return self._now
