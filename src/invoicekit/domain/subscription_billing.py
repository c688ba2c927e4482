"""Which invoices a subscription owes at an instant, and the lines each one bills.

Boundary ``k`` of the schedule is billed at ``schedule.bill_at(period k)``: the fixed and
seat prices for period ``k`` (in advance) and the metered usage since the previous bill (in
arrears). A cancellation ends with a final bill at ``cancel_at`` for the usage up to it and
no advance fees. A bill that falls in a pause is skipped (its usage moves to the next bill)
or billed as uncollectible. Pure: ``now`` is a parameter; storing progress is the services'.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Final

import attrs

from invoicekit.domain import checks
from invoicekit.domain.coupons import apply_coupons
from invoicekit.domain.line import MAX_QUANTITY, Line, ServicePeriod
from invoicekit.domain.pricing import Price, PriceKind
from invoicekit.domain.proration import days_text, local_day
from invoicekit.domain.schedule import BillingPeriod
from invoicekit.domain.subscription import (
    PauseBehavior,
    RetiredItem,
    Subscription,
    SubscriptionPause,
    SubscriptionStatus,
)
from invoicekit.domain.subscription_rating import Rated, item_rated
from invoicekit.domain.usage import Usage
from invoicekit.errors import problem

__all__ = [
    "TRIAL_INDEX",
    "PeriodBill",
    "UsageWindow",
    "after_bill",
    "bill_lines",
    "billed_index_of",
    "current_period",
    "due_bills",
    "usage_windows",
]

#: The index of the bill for a trial at a price (billed when the subscription starts).
TRIAL_INDEX: Final = -1
_ADVANCE: Final = frozenset({PriceKind.FIXED, PriceKind.SEATS})


@attrs.frozen(kw_only=True)
class PeriodBill:
    """One invoice a subscription owes: period ``index`` in advance, the usage before it in arrears."""

    #: The schedule period whose fees it bills (TRIAL_INDEX: the trial at a price).
    index: int
    #: When it is due (aware, in the schedule's zone; a final bill: ``cancel_at``).
    bill_at: datetime
    period: BillingPeriod
    #: The metered usage it bills: records with ``start <= at < end``; None: none.
    usage_window: tuple[datetime, datetime] | None = None
    #: Why nothing is billed ("paused"); record the bill as handled all the same.
    skipped: str | None = None
    #: Bill it, then write it off at once (a pause with MARK_UNCOLLECTIBLE).
    uncollectible: bool = False
    #: The bill after a cancellation: usage up to ``cancel_at``, no advance fees.
    final: bool = False


def _periods(sub: Subscription, first: int = 0) -> Iterator[tuple[BillingPeriod, datetime]]:
    for period in sub.schedule.periods(first):
        yield period, sub.schedule.bill_at(period)


def current_period(sub: Subscription, at: datetime) -> BillingPeriod | None:
    """The period whose bill went out last before ``at`` (None before the first bill).

    A change at the very instant of a bill belongs to the next period: that bill takes it.
    A trialing subscription has none: nothing is billed until its trial is ended.
    """
    if sub.status is SubscriptionStatus.TRIALING:
        return None
    found = None
    for period, bill_at in _periods(sub):
        if bill_at >= at:
            break
        found = period
    return found


def _pause_at(sub: Subscription, at: datetime) -> SubscriptionPause | None:
    return next((p for p in sub.pauses if p.start <= at and (p.end is None or at < p.end)), None)


def _skipped(sub: Subscription, at: datetime) -> bool:
    pause = _pause_at(sub, at)
    return pause is not None and pause.behavior is PauseBehavior.SKIP


def _window_start(sub: Subscription, index: int) -> datetime:
    """Where bill ``index``'s usage starts: the previous bill, or before it if that was skipped."""
    j = index - 1
    at = sub.schedule.bill_at(sub.schedule.period_at(j))
    while j >= 1 and _skipped(sub, at):
        j -= 1
        at = sub.schedule.bill_at(sub.schedule.period_at(j))
    return at


def _trial_bill(sub: Subscription) -> PeriodBill | None:
    if not sub.trial_lines or sub.start is None or sub.trial_end is None:
        return None
    if sub.cancel_at is not None and sub.cancel_at <= sub.start:
        return None  # canceled before it started
    zone = sub.schedule.zone
    first = local_day(sub.start, zone)
    period = BillingPeriod(first, max(local_day(sub.trial_end, zone), first), TRIAL_INDEX)
    return PeriodBill(index=TRIAL_INDEX, bill_at=sub.start, period=period)


def _is_final(sub: Subscription, period: BillingPeriod, cancel_at: datetime) -> bool:
    """True when ``period`` is the first whose bill falls at or after ``cancel_at`` (not the first)."""
    if period.index == 0:
        return False  # nothing was billed before the cancellation
    before = sub.schedule.period_at(period.index - 1)
    return sub.schedule.bill_at(before) < cancel_at


def _ended(sub: Subscription, now: datetime) -> bool:
    return sub.cancel_at is not None and sub.cancel_at <= now


def _final_bill(sub: Subscription, period: BillingPeriod, cancel_at: datetime) -> PeriodBill:
    """The bill after a cancellation: the usage up to ``cancel_at``, no advance fees."""
    window = (_window_start(sub, period.index), cancel_at)
    return PeriodBill(
        index=period.index, bill_at=cancel_at, period=period, usage_window=window, final=True
    )


def due_bills(sub: Subscription, last_index: int | None, now: datetime) -> list[PeriodBill]:
    """Every bill due at ``now`` after ``last_index``, in order, each exactly once.

    After an outage each missed bill comes back once; a trial bills nothing (but its
    trial lines) until ``end_trial``; an open pause holds back every bill from its start.
    """
    found_problems = [] if last_index is None else checks.at_least("last_index", last_index, -1)
    if not isinstance(now, datetime) or now.utcoffset() is None:
        found_problems.append(problem("now", "must be a timezone-aware datetime", now))
    checks.refuse(found_problems, "due bills")
    due: list[PeriodBill] = []
    trial = _trial_bill(sub)
    if trial is not None and last_index is None and trial.bill_at <= now:
        due.append(trial)
    if sub.status is SubscriptionStatus.TRIALING:
        return due
    first = 0 if last_index is None or last_index < 0 else last_index + 1
    for period, bill_at in _periods(sub, first):
        if sub.cancel_at is not None and bill_at >= sub.cancel_at:
            if _is_final(sub, period, sub.cancel_at) and sub.cancel_at <= now:
                due.append(_final_bill(sub, period, sub.cancel_at))
            break
        if bill_at > now:
            break
        pause = _pause_at(sub, bill_at)
        if pause is not None and pause.end is None and not _ended(sub, now):
            break  # wait: resuming decides how this bill goes (a cancellation ends the pause)
        window = (_window_start(sub, period.index), bill_at) if period.index else None
        if pause is not None and pause.behavior is PauseBehavior.SKIP:
            due.append(
                PeriodBill(index=period.index, bill_at=bill_at, period=period, skipped="paused")
            )
            continue
        due.append(
            PeriodBill(
                index=period.index,
                bill_at=bill_at,
                period=period,
                usage_window=window,
                uncollectible=pause is not None,
            )
        )
    return due


def billed_index_of(sub: Subscription, at: datetime, billed: Sequence[int]) -> int | None:
    """The bill among ``billed`` (ascending period indexes) whose usage window holds ``at``.

    A bill's window ends at its ``bill_at`` and starts where the previous billed one ended
    (a skipped bill's usage moves to the next), so it is the first billed index whose bill
    falls after ``at``: found by bisection, so late usage of any age costs a few schedule
    steps, not a walk through the subscription's history. None: after the last one.
    """
    schedule = sub.schedule

    def ends(index: int) -> datetime:
        return schedule.bill_at(schedule.period_at(index))

    found = bisect_right(billed, at, key=ends)
    return billed[found] if found < len(billed) else None


def _service(first: date, last: date) -> ServicePeriod:
    return ServicePeriod(first, max(first, last))


def _window_days(sub: Subscription, bill: PeriodBill) -> ServicePeriod:
    """The days a bill's usage is for: the periods before it, up to the cancellation if final."""
    assert bill.usage_window is not None  # noqa: S101 - the caller checks
    zone = sub.schedule.zone
    first = local_day(bill.usage_window[0], zone)
    last = bill.period.start - timedelta(days=1)
    if bill.final:
        last = min(last, local_day(bill.usage_window[1] - timedelta(microseconds=1), zone))
    return _service(first, last)


@attrs.frozen(kw_only=True)
class UsageWindow:
    """The usage one metered price bills on a bill: its meter's records with ``start <= at < end``."""

    #: The key of its aggregated usage in ``bill_lines``' mapping.
    key: str
    price: Price
    start: datetime
    end: datetime


def _same_meter(a: Price, b: Price) -> bool:
    return a.meter is not None and b.meter is not None and a.meter.key == b.meter.key


def _begin(earlier: Iterable[RetiredItem], price: Price, start: datetime) -> datetime:
    """Where ``price``'s usage starts: after the plan changes before it that switched its meter."""
    return max([start, *(r.until for r in earlier if _same_meter(r.item.price, price))])


def usage_windows(sub: Subscription, bill: PeriodBill) -> tuple[UsageWindow, ...]:
    """The metered usage ``bill`` bills: one window per metered price, in the bill's window.

    A plan change splits a meter's usage at its instant: before it at the replaced price
    (``sub.retired``), from it at the new one. Aggregate each window's records for its key.
    """
    if bill.skipped is not None or bill.usage_window is None:
        return ()
    start, end = bill.usage_window
    found: list[UsageWindow] = []
    for n, old in enumerate(sub.retired):
        begin, stop = _begin(sub.retired[:n], old.item.price, start), min(old.until, end)
        if begin < stop:
            found.append(UsageWindow(key=old.key, price=old.item.price, start=begin, end=stop))
    for item in sub.items:
        if item.price.kind is PriceKind.METERED:
            begin = _begin(sub.retired, item.price, start)
            if begin < end:
                found.append(UsageWindow(key=item.price.id, price=item.price, start=begin, end=end))
    return tuple(found)


def _usage_days(sub: Subscription, bill: PeriodBill, window: UsageWindow) -> ServicePeriod:
    whole = _window_days(sub, bill)
    zone = sub.schedule.zone
    assert bill.usage_window is not None  # noqa: S101 - a window comes from one
    first = whole.start if window.start == bill.usage_window[0] else local_day(window.start, zone)
    last = (
        whole.end
        if window.end == bill.usage_window[1]
        else local_day(window.end - timedelta(microseconds=1), zone)
    )
    return _service(first, last)


def bill_lines(sub: Subscription, bill: PeriodBill, usage: Mapping[str, Usage]) -> tuple[Line, ...]:
    """The lines of ``bill``: fees for its period, usage for its window, pending prorations, coupons.

    ``usage`` maps each ``usage_windows`` key (a metered price's id, or for a price a plan
    change replaced '<price id>@<until>') to its aggregated usage over that window; a
    missing key counts as no usage. A skipped bill has no lines. Each line names its
    days in the description; its arithmetic goes into the line's note.
    """
    if bill.skipped is not None:
        return ()
    if bill.index == TRIAL_INDEX:
        trial = _service(bill.period.start, bill.period.last_day)
        return tuple(attrs.evolve(line, period=line.period or trial) for line in sub.trial_lines)
    lines: list[Line] = []
    groups: list[object] = []  # the price each line bills: a percent coupon takes its share
    if not bill.final:
        days = _service(bill.period.start, bill.period.last_day)
        for item in sub.items:
            if item.price.kind in _ADVANCE:
                lines += _lines(item.price, item_rated(item.price, item.quantity), days)
                groups += [item.price.id] * (len(lines) - len(groups))
    for window in usage_windows(sub, bill):
        used = usage.get(window.key, Usage())
        rated = item_rated(window.price, Decimal(1), used)
        lines += _lines(window.price, rated, _usage_days(sub, bill, window))
        groups += [f"usage {window.key}"] * (len(lines) - len(groups))
    lines += sub.pending
    groups += [("pending", n) for n in range(len(sub.pending))]
    return apply_coupons(lines, sub.coupons, bill.index, sub.currency, groups=groups)


def after_bill(sub: Subscription, bill: PeriodBill) -> Subscription:
    """The subscription once ``bill`` is invoiced (or skipped): its pending prorations are billed.

    Save it with the bill's index as ``last_index``. A final bill leaves it CANCELED.
    The metered items plan changes replaced stay in ``retired`` (one per change): late
    usage of any period is recounted over the windows its bill had (``usage_windows``
    gives a retired item no window outside the time it was the subscription's).
    """
    if bill.skipped is not None or bill.index == TRIAL_INDEX:
        return sub
    retired = sub.retired
    if bill.final:
        return attrs.evolve(
            sub,
            pending=(),
            retired=retired,
            status=SubscriptionStatus.CANCELED,
            canceled_at=sub.canceled_at or bill.bill_at,
        )
    return attrs.evolve(sub, pending=(), retired=retired)


def _lines(price: Price, rated: Rated, days: ServicePeriod) -> list[Line]:
    text = days_text(days.start, days.end)
    found: list[Line] = []
    for part in rated.parts:
        if not part.quantity:
            continue
        quantity, unit_price = part.quantity, part.unit_price
        if abs(quantity) > MAX_QUANTITY:  # more units than a line holds: the amount, once
            quantity, unit_price = Decimal(1), part.amount
        found.append(
            Line(
                description=f"{part.description} ({text})",
                quantity=quantity,
                unit_price=unit_price,
                tax=price.taxes,
                unit=price.unit,
                period=days,
                note=part.note,
            )
        )
    return found
