"""Changes to a subscription: seats, plan, pause and resume, cancel, trial end, coupons, status.

Each change takes its instant ``at`` and returns a ``Change``: the new subscription and the
proration lines the change caused. A prorated change credits the unused days of what was
billed for the current period (a line with quantity -1) and charges the remaining days of
what replaces it (quantity 1), each rounded on its own: a change undone the same day nets
to exactly zero. Pure.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Final
from zoneinfo import ZoneInfo

import attrs

from invoicekit.domain import checks
from invoicekit.domain.coupons import AppliedCoupon, Coupon
from invoicekit.domain.line import Line, ServicePeriod
from invoicekit.domain.pricing import Plan, PriceKind
from invoicekit.domain.proration import days_text, local_day, prorate
from invoicekit.domain.schedule import BillingPeriod
from invoicekit.domain.subscription import (
    Change,
    PauseBehavior,
    ProrationBehavior,
    RetiredItem,
    Subscription,
    SubscriptionItem,
    SubscriptionPause,
    SubscriptionStatus,
    seat_problems,
)
from invoicekit.domain.subscription_billing import current_period
from invoicekit.domain.subscription_rating import period_amount
from invoicekit.errors import Problem, ValidationError, problem

__all__ = [
    "ALLOWED_STATUS",
    "add_coupon",
    "cancel",
    "change_plan",
    "change_quantity",
    "end_trial",
    "pause",
    "proration_line",
    "resume",
    "set_status",
]

_S = SubscriptionStatus
#: The statuses ``set_status`` may move each status to (pause, resume and end_trial do the rest).
ALLOWED_STATUS: Final[Mapping[SubscriptionStatus, frozenset[SubscriptionStatus]]] = {
    _S.TRIALING: frozenset({_S.ACTIVE, _S.CANCELED}),
    _S.ACTIVE: frozenset({_S.PAST_DUE, _S.CANCELED}),
    _S.PAST_DUE: frozenset({_S.ACTIVE, _S.UNPAID, _S.CANCELED}),
    _S.UNPAID: frozenset({_S.ACTIVE, _S.CANCELED}),
    _S.PAUSED: frozenset({_S.CANCELED}),
    _S.CANCELED: frozenset(),
}
_BILLING: Final = frozenset({_S.ACTIVE, _S.PAST_DUE, _S.UNPAID})
_ADVANCE: Final = frozenset({PriceKind.FIXED, PriceKind.SEATS})


def _refuse(sub: Subscription, action: str, allowed: frozenset[SubscriptionStatus]) -> None:
    if sub.status not in allowed:
        names = ", ".join(sorted(allowed)) or "none"
        why = f"cannot {action} a subscription that is {sub.status}; allowed when: {names}"
        raise ValidationError([problem("status", why, sub.status)], subject="subscription")


def _at(sub: Subscription, at: object, *more: Problem) -> datetime:
    found = list(more)
    if not isinstance(at, datetime) or at.utcoffset() is None:
        found.append(problem("at", "must be a timezone-aware datetime (e.g. tzinfo=UTC)", at))
    else:
        latest = max((p.end or p.start for p in sub.pauses), default=None)
        if latest is not None and at < latest:
            found.append(problem("at", f"must not be before the last pause or resume {latest}", at))
        switched = max((r.until for r in sub.retired), default=None)
        if switched is not None and at < switched:
            found.append(problem("at", f"must not be before the last plan change {switched}", at))
    checks.refuse(found, "subscription")
    assert isinstance(at, datetime)  # noqa: S101 - checked above
    return at


def _before_end(sub: Subscription, at: datetime) -> None:
    """Refuse a change at or after a cancellation set for the period end."""
    if sub.cancel_at is not None and at >= sub.cancel_at:
        why = f"the subscription ends at {sub.cancel_at}; nothing changes at or after that"
        raise ValidationError([problem("at", why, at)], subject="subscription")


def _ends(sub: Subscription, at: datetime) -> datetime:
    """When a cancellation at ``at`` takes effect: then, or sooner if it was set to end sooner.

    A period-end cancellation already set, or a trial's end (a trial never converted
    bills nothing), may come first.
    """
    ends = [at]
    if sub.cancel_at is not None:
        ends.append(sub.cancel_at)
    if sub.status is _S.TRIALING and sub.trial_end is not None:
        ends.append(sub.trial_end)
    return min(ends)


def _closed(sub: Subscription, at: datetime) -> tuple[SubscriptionPause, ...]:
    """The pauses with the open one ended at ``at``.

    A cancellation ends a pause, so the bills it held back come out (skipped or
    uncollectible) before the final bill.
    """
    return tuple(p if p.end is not None else attrs.evolve(p, end=at) for p in sub.pauses)


def _behavior(value: object) -> list[Problem]:
    if isinstance(value, ProrationBehavior) or value in {b.value for b in ProrationBehavior}:
        return []
    return [problem("proration", "must be 'prorate', 'none' or 'invoice_now'", value)]


def _label(item: SubscriptionItem) -> str:
    if item.price.kind is PriceKind.SEATS:
        return f"{item.price.description} × {item.quantity}"
    return item.price.description


def proration_line(
    sub: Subscription,
    item: SubscriptionItem,
    period: BillingPeriod,
    since: datetime,
    *,
    credit: bool,
) -> Line | None:
    """The credit (unused days) or charge (remaining days) of ``item`` from ``since``; None if 0."""
    amount, arithmetic = period_amount(item.price, item.quantity)
    day = local_day(since, sub.schedule.zone)
    prorated, days = prorate(amount, period, day, sub.currency)
    if not prorated:
        return None
    first = max(day, period.start)
    what = "Unused time on" if credit else "Remaining time on"
    return Line(
        description=f"{what} {_label(item)} ({days_text(first, period.last_day)})",
        quantity=Decimal(-1 if credit else 1),
        unit_price=prorated,
        tax=item.price.taxes,
        period=ServicePeriod(first, period.last_day),
        note=f"{arithmetic}; {amount} × {days} = {prorated}",
    )


def _switch(
    sub: Subscription,
    old: tuple[SubscriptionItem, ...],
    new: tuple[SubscriptionItem, ...],
    at: datetime,
    proration: ProrationBehavior,
) -> tuple[tuple[Line, ...], bool]:
    """Proration lines for replacing ``old`` items by ``new`` at ``at``, and invoice_now."""
    period = current_period(sub, at)
    if proration is ProrationBehavior.NONE or period is None:
        return (), False
    kept = set(old) & set(new)
    lines = [
        proration_line(sub, item, period, at, credit=True)
        for item in old
        if item.price.kind in _ADVANCE and item not in kept
    ]
    lines += [
        proration_line(sub, item, period, at, credit=False)
        for item in new
        if item.price.kind in _ADVANCE and item not in kept
    ]
    return tuple(line for line in lines if line is not None), (
        proration is ProrationBehavior.INVOICE_NOW
    )


def _changed(
    sub: Subscription, lines: tuple[Line, ...], invoice_now: bool, **fields: object
) -> Change:
    pending = sub.pending if invoice_now else (*sub.pending, *lines)
    return Change(
        subscription=attrs.evolve(sub, pending=pending, **fields),  # type: ignore[arg-type]
        lines=lines,
        invoice_now=invoice_now and bool(lines),
    )


def change_quantity(
    sub: Subscription,
    price_id: str,
    quantity: Decimal | int,
    *,
    at: datetime,
    proration: ProrationBehavior | str,
) -> Change:
    """Set the seats of ``price_id`` from ``at``; prorated for the current period unless NONE."""
    _refuse(sub, "change the quantity of", _BILLING | {_S.TRIALING})
    item = sub.item(price_id) if isinstance(price_id, str) else None
    found = seat_problems("quantity", quantity) + _behavior(proration)
    if item is None or item.price.kind is not PriceKind.SEATS:
        seats = ", ".join(i.price.id for i in sub.items if i.price.kind is PriceKind.SEATS)
        found.append(problem("price_id", f"must name a seats price: {seats or 'none'}", price_id))
    at = _at(sub, at, *found)
    _before_end(sub, at)
    assert item is not None  # noqa: S101 - checked above
    new = attrs.evolve(item, quantity=Decimal(quantity))
    items = tuple(new if i is item else i for i in sub.items)
    lines, now = _switch(sub, (item,), (new,), at, ProrationBehavior(proration))
    return _changed(sub, lines, now, items=items)


def change_plan(
    sub: Subscription,
    plan: Plan,
    *,
    at: datetime,
    proration: ProrationBehavior | str,
    quantities: Mapping[str, Decimal | int] | None = None,
) -> Change:
    """Move to ``plan``'s prices in the subscription's currency from ``at``.

    Seats keep their quantity where the new plan has the same price (else 1) unless
    ``quantities`` says otherwise. Metered prices switch at ``at``: the usage before it is
    billed at the old metered prices (kept in ``retired`` until billed), the usage from it
    at the new ones. The plan must bill as often as the current one (another frequency is
    a new subscription).
    """
    _refuse(sub, "change the plan of", _BILLING | {_S.TRIALING})
    found = _behavior(proration)
    if not isinstance(plan, Plan):
        found.append(problem("plan", "must be a Plan (build it with Plan.create)", plan))
    elif not plan.prices_in(sub.currency):
        offered = ", ".join(plan.currencies()) or "none"
        why = f"has no prices in {sub.currency}, the subscription's currency; it has {offered}"
        found.append(problem("plan", why, plan.id))
    elif (plan.frequency, plan.interval) != (sub.schedule.frequency, sub.schedule.interval):
        why = (
            f"must bill {sub.schedule.frequency} every {sub.schedule.interval} like the "
            "current plan; another frequency starts a new subscription"
        )
        found.append(problem("plan", why, plan.id))
    at = _at(sub, at, *found)
    _before_end(sub, at)
    prices = plan.prices_in(sub.currency)
    kept = {i.price.id: i.quantity for i in sub.items if i.price.kind is PriceKind.SEATS}
    merged: dict[str, Decimal | int] = {
        p.id: kept[p.id] for p in prices if p.kind is PriceKind.SEATS and p.id in kept
    }
    merged.update(quantities or {})
    probe = Subscription.create(
        id=sub.id,
        customer_id=sub.customer_id,
        plan=plan,
        currency=sub.currency,
        start=at,
        zone=sub.schedule.zone,
        quantities=merged,
    )
    lines, now = _switch(sub, sub.items, probe.items, at, ProrationBehavior(proration))
    retired = tuple(
        RetiredItem(item=item, until=at)
        for item in sub.items
        if item.price.kind is PriceKind.METERED and item not in probe.items
    )
    return _changed(
        sub, lines, now, items=probe.items, plan_id=plan.id, retired=(*sub.retired, *retired)
    )


def pause(sub: Subscription, *, at: datetime, behavior: PauseBehavior | str) -> Change:
    """Pause from ``at``: bills due while paused are skipped or marked uncollectible."""
    _refuse(sub, "pause", _BILLING)
    ok = isinstance(behavior, PauseBehavior) or behavior in {b.value for b in PauseBehavior}
    more = [] if ok else [problem("behavior", "must be 'skip' or 'mark_uncollectible'", behavior)]
    at = _at(sub, at, *more)
    _before_end(sub, at)
    new_pause = SubscriptionPause(start=at, behavior=PauseBehavior(behavior))
    return _changed(sub, (), False, status=_S.PAUSED, pauses=(*sub.pauses, new_pause))


def resume(sub: Subscription, *, at: datetime) -> Change:
    """Bill again from ``at`` (bills due during the pause stay skipped or uncollectible)."""
    _refuse(sub, "resume", frozenset({_S.PAUSED}))
    at = _at(sub, at)
    *earlier, current = sub.pauses
    closed = attrs.evolve(current, end=at)
    return _changed(sub, (), False, status=_S.ACTIVE, pauses=(*earlier, closed))


def cancel(sub: Subscription, *, at: datetime, at_period_end: bool, prorate: bool) -> Change:
    """Cancel now (optionally crediting the unused days, on an invoice now) or at period end.

    Usage up to the cancellation is billed on a final bill (``due_bills``).
    """
    _refuse(sub, "cancel", frozenset(_S) - {_S.CANCELED})
    at = _at(
        sub, at, *checks.flag("at_period_end", at_period_end), *checks.flag("prorate", prorate)
    )
    period = current_period(sub, at)
    if at_period_end:
        following = 0 if period is None else period.index + 1
        ends = sub.schedule.bill_at(sub.schedule.period_at(following))
        return _changed(sub, (), False, cancel_at_period_end=True, cancel_at=ends)
    lines: tuple[Line, ...] = ()
    if prorate and period is not None and sub.status is not _S.PAUSED:
        unused = (
            proration_line(sub, item, period, at, credit=True)
            for item in sub.items
            if item.price.kind in _ADVANCE
        )
        lines = tuple(line for line in unused if line is not None)
    return _changed(
        sub,
        lines,
        True,
        status=_S.CANCELED,
        canceled_at=at,
        cancel_at=_ends(sub, at),
        cancel_at_period_end=False,
        pauses=_closed(sub, at),
    )


def end_trial(sub: Subscription, *, at: datetime, has_payment_method: bool) -> Change:
    """End the trial: billing starts (at ``at`` when ended early), or it is cancelled without a payment method."""
    _refuse(sub, "end the trial of", frozenset({_S.TRIALING}))
    at = _at(sub, at, *checks.flag("has_payment_method", has_payment_method))
    assert sub.trial_end is not None  # noqa: S101 - every TRIALING subscription has one
    ends = min(at, sub.trial_end)
    if not has_payment_method:
        return _changed(sub, (), False, status=_S.CANCELED, canceled_at=at, cancel_at=ends)
    if at >= sub.trial_end:
        return _changed(sub, (), False, status=_S.ACTIVE)
    local = at.astimezone(ZoneInfo(sub.schedule.zone))
    schedule = attrs.evolve(
        sub.schedule, start=local.date(), time_of_day=local.time().replace(tzinfo=None, fold=0)
    )
    return _changed(sub, (), False, status=_S.ACTIVE, trial_end=at, schedule=schedule)


def add_coupon(sub: Subscription, coupon: Coupon, *, at: datetime) -> Change:
    """Apply ``coupon`` from the next bill on."""
    _refuse(sub, "add a coupon to", frozenset(_S) - {_S.CANCELED})
    found: list[Problem] = []
    if not isinstance(coupon, Coupon):
        found.append(problem("coupon", "must be a Coupon (build it with Coupon.create)", coupon))
    else:
        if coupon.amount_off is not None and coupon.currency != sub.currency:
            why = f"must be the subscription's currency {sub.currency}"
            found.append(problem("coupon.currency", why, coupon.currency))
        if any(a.coupon.id == coupon.id for a in sub.coupons):
            found.append(problem("coupon", "is applied already", coupon.id))
    at = _at(sub, at, *found)
    _before_end(sub, at)
    period = current_period(sub, at)
    applied = AppliedCoupon(coupon=coupon, first_index=0 if period is None else period.index + 1)
    return _changed(sub, (), False, coupons=(*sub.coupons, applied))


def set_status(
    sub: Subscription, status: SubscriptionStatus | str, *, at: datetime
) -> Subscription:
    """Move to ``status`` by the table ``ALLOWED_STATUS`` (collection failed, paid, dunning ended)."""
    known = {s.value for s in SubscriptionStatus}
    found = (
        [] if status in known else [problem("status", f"must be one of {sorted(known)}", status)]
    )
    at = _at(sub, at, *found)
    target = SubscriptionStatus(status)
    allowed = ALLOWED_STATUS[sub.status]
    if target not in allowed:
        names = ", ".join(sorted(allowed)) or "none (canceled is final)"
        why = f"cannot move a subscription that is {sub.status} to {target}; allowed: {names}"
        raise ValidationError([problem("status", why, target)], subject="subscription")
    if target is _S.CANCELED:
        ends = _ends(sub, at)
        return attrs.evolve(
            sub, status=target, canceled_at=at, cancel_at=ends, pauses=_closed(sub, at)
        )
    return attrs.evolve(sub, status=target)
