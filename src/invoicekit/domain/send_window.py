"""When a dunning step may reach the customer: its day in the seller's books, the hour on their clock.

A step's day is the due date plus its days, a date of the seller's books. It goes out
at the policy's ``send_at`` on the customer's clock, not before that day has begun in
the seller's zone, moved past quiet hours and weekends (never dropped). A wall time
that does not exist (the spring-forward gap) is read with the offset before the
change, i.e. the same instant an hour later on the wall (``fold=0``); an ambiguous one
(the fall-back hour) is its first occurrence.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Final
from zoneinfo import ZoneInfo

from invoicekit.domain.dunning import DunningPolicy

__all__ = ["allowed", "next_allowed", "step_moment"]

#: Enough days to pass a weekend and a quiet night in every combination.
_SEARCH_DAYS: Final = 10
_SATURDAY: Final = 5


def _instant(day: date, at: time, zone: ZoneInfo) -> datetime:
    """The instant of wall time ``at`` on ``day`` in ``zone`` (see the module on gaps and folds)."""
    wall = datetime.combine(day, at.replace(fold=0), tzinfo=zone)
    return wall.astimezone(UTC).astimezone(zone)


def _weekend(day: date, policy: DunningPolicy) -> bool:
    return policy.skip_weekends and day.weekday() >= _SATURDAY


def allowed(at: datetime, policy: DunningPolicy, zone: ZoneInfo) -> bool:
    """Whether a message may reach the customer at ``at``: no weekend, no quiet hours on their clock."""
    local = at.astimezone(zone)
    quiet = policy.quiet_hours
    return not _weekend(local.date(), policy) and not (quiet and quiet.covers(local.time()))


def _first_allowed_on(day: date, start: time, policy: DunningPolicy, zone: ZoneInfo) -> datetime:
    """The first allowed moment on ``day`` from ``start``; after a weekend, ``send_at`` on Monday."""
    quiet = policy.quiet_hours
    moment = _instant(day, start, zone)
    for _ in range(_SEARCH_DAYS):
        local = moment.astimezone(zone)
        if _weekend(local.date(), policy):
            moment = _instant(local.date() + timedelta(days=1), policy.send_at, zone)
            continue
        if quiet and quiet.covers(local.time()):
            end_day = local.date() if quiet.end > local.time().replace(fold=0) else None
            end_day = end_day or local.date() + timedelta(days=1)
            moment = _instant(end_day, quiet.end, zone)
            continue
        return moment
    return moment  # unreachable for a checked policy: quiet hours never cover a whole day


def next_allowed(at: datetime, policy: DunningPolicy, zone: ZoneInfo) -> datetime:
    """``at`` if a message may go out then, else the next moment one may (customer's clock)."""
    local = at.astimezone(zone)
    return _first_allowed_on(local.date(), local.time().replace(tzinfo=None), policy, zone)


def step_moment(
    day: date, policy: DunningPolicy, customer_zone: ZoneInfo, seller_zone: ZoneInfo
) -> datetime:
    """When a step of the books day ``day`` goes out: ``send_at`` on the customer's clock, allowed.

    Never before ``day`` begins in the seller's zone, so a final notice is never early
    in the seller's books, wherever the customer is.
    """
    earliest = _instant(day, time(0), seller_zone)
    local_day = earliest.astimezone(customer_zone).date()
    for _ in range(_SEARCH_DAYS):
        moment = _instant(local_day, policy.send_at, customer_zone)
        if moment >= earliest:
            return next_allowed(moment, policy, customer_zone)
        local_day += timedelta(days=1)
    return next_allowed(earliest, policy, customer_zone)  # pragma: no cover - a day always fits
