"""Times as stored text, shared by the SQL adapters: UTC ISO 8601 of one width, so text order is time order."""

from __future__ import annotations

from datetime import UTC, datetime

from invoicekit.errors import ValidationError, problem

__all__ = ["parse_utc", "utc_text", "utc_text_or_none"]


def utc_text(value: datetime, what: str = "time") -> str:
    """``value`` as UTC ISO 8601 text of one fixed width: text order is time order.

    Raises ValidationError for a naive datetime (its instant is unknown).
    """
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValidationError(
            [problem(what, "must be timezone-aware (pass tzinfo=UTC)", value.isoformat())],
            subject="message time",
        )
    return value.astimezone(UTC).isoformat(timespec="microseconds")


def utc_text_or_none(value: datetime | None, what: str = "time") -> str | None:
    """``utc_text`` of ``value``, or None."""
    return None if value is None else utc_text(value, what)


def parse_utc(value: str | None) -> datetime | None:
    """The aware datetime of stored text (equal, as an instant, to what was written)."""
    return None if value is None else datetime.fromisoformat(value)
