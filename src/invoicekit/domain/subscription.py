"""Subscriptions: a customer on a plan's prices in one currency, billed every period of a schedule.

A subscription is a value: every change (quantity, plan, pause, cancel, coupon) returns
a new one and, where the change is prorated, the proration lines it causes. Which
invoice bills what is decided by ``domain.subscription_billing``; storing and issuing
is the services' job. Pure: no I/O, no clock reads (every change takes its ``at``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime, time
from decimal import Decimal
from enum import StrEnum
from typing import Any, Final
from zoneinfo import ZoneInfo

import attrs

from invoicekit.domain import checks
from invoicekit.domain.coupons import AppliedCoupon
from invoicekit.domain.line import Line, build_lines
from invoicekit.domain.pricing import Plan, Price, PriceKind
from invoicekit.domain.schedule import BillTiming, Frequency, Schedule
from invoicekit.domain.terms import PaymentTerms
from invoicekit.domain.zones import zone_problems
from invoicekit.errors import Problem, ValidationError, problem
from invoicekit.money import check_currency

__all__ = [
    "Change",
    "PauseBehavior",
    "ProrationBehavior",
    "RetiredItem",
    "Subscription",
    "SubscriptionItem",
    "SubscriptionPause",
    "SubscriptionStatus",
]


class SubscriptionStatus(StrEnum):
    """Where a subscription stands."""

    #: In its trial: nothing billed (or the trial price) until ``trial_end``.
    TRIALING = "trialing"
    #: Billing every period.
    ACTIVE = "active"
    #: Its latest collection failed; dunning is under way.
    PAST_DUE = "past_due"
    #: Paused: no invoices, or invoices marked uncollectible (``PauseBehavior``).
    PAUSED = "paused"
    #: Ended (cancelled, or a trial ended without a payment method); final.
    CANCELED = "canceled"
    #: Dunning ended without payment and the seller keeps it (setting): bills, unpaid.
    UNPAID = "unpaid"


class ProrationBehavior(StrEnum):
    """What a mid-period change bills."""

    #: Credit the unused time of the old price and charge the new, on the next invoice.
    PRORATE = "prorate"
    #: Bill nothing for the change; the new price applies from the next period.
    NONE = "none"
    #: As PRORATE, but on an invoice issued now.
    INVOICE_NOW = "invoice_now"


class PauseBehavior(StrEnum):
    """What a paused subscription's periods bill."""

    #: No invoice for a paused period.
    SKIP = "skip"
    #: The invoice is issued and at once written off as uncollectible.
    MARK_UNCOLLECTIBLE = "mark_uncollectible"


@attrs.frozen(kw_only=True)
class SubscriptionItem:
    """One price of the subscription with its quantity (seats; 1 for fixed and metered)."""

    price: Price
    quantity: Decimal = Decimal(1)


@attrs.frozen(kw_only=True)
class SubscriptionPause:
    """Periods billed at or after ``start`` and before ``end`` (None: still paused) are paused."""

    start: datetime
    end: datetime | None = None
    behavior: PauseBehavior = PauseBehavior.SKIP


@attrs.frozen(kw_only=True)
class RetiredItem:
    """A metered item a plan change replaced: its usage before ``until`` is billed at its price."""

    item: SubscriptionItem
    #: The change's instant: usage from here on is the new plan's.
    until: datetime

    @property
    def key(self) -> str:
        """The key of its usage in ``bill_lines``' usage mapping: '<price id>@<until>'."""
        return f"{self.item.price.id}@{self.until.isoformat()}"


@attrs.frozen(kw_only=True)
class Subscription:
    """A customer's subscription; build with ``Subscription.create`` (checks every field)."""

    id: str
    customer_id: str
    plan_id: str
    currency: str
    items: tuple[SubscriptionItem, ...]
    #: Its periods; ``schedule.zone`` is the zone day counts and bill times are in.
    schedule: Schedule
    status: SubscriptionStatus = SubscriptionStatus.ACTIVE
    #: None: the seller's default terms.
    terms: PaymentTerms | None = None
    #: When the trial ends (billing starts then), or None without a trial.
    trial_end: datetime | None = None
    #: A trial at a price: these lines are billed for the trial instead of nothing.
    trial_lines: tuple[Line, ...] = ()
    pauses: tuple[SubscriptionPause, ...] = ()
    #: Cancel when the current period ends (set by ``cancel(at_period_end=True)``).
    cancel_at_period_end: bool = False
    #: When the cancellation takes effect (usage up to it is still accepted).
    cancel_at: datetime | None = None
    canceled_at: datetime | None = None
    coupons: tuple[AppliedCoupon, ...] = ()
    #: Proration lines of changes made since the last invoice, billed on the next one.
    pending: tuple[Line, ...] = ()
    #: When the subscription started (the trial's start when it has one); None: the
    #: schedule's first bill. A trial at a price is billed at this instant.
    start: datetime | None = None
    #: Metered items replaced by plan changes whose usage is still to be billed.
    retired: tuple[RetiredItem, ...] = ()
    #: The invoice the last change (``change_plan``, ``change_quantity``, ``cancel``, ...)
    #: billed at once, or None: that change billed nothing at once, or credited it.
    change_invoice_id: str | None = None
    #: The standalone credit note of the last change billed at once whose total was below
    #: zero, or None.
    change_credit_note_id: str | None = None

    @classmethod
    def create(
        cls,
        *,
        id: str,
        customer_id: str,
        plan: Plan,
        currency: str,
        start: datetime,
        zone: str,
        quantities: Mapping[str, Decimal | int] | None = None,
        trial_end: datetime | None = None,
        trial_lines: Iterable[Line | Mapping[str, Any]] = (),
        terms: PaymentTerms | None = None,
        coupons: Iterable[AppliedCoupon] = (),
        anchor_day: int | None = None,
    ) -> Subscription:
        """Subscribe ``customer_id`` to ``plan``'s prices in ``currency`` from ``start``.

        Billing starts at ``trial_end`` when there is a trial, else at ``start``: the
        schedule's periods start on that instant's local date in ``zone`` (or on
        ``anchor_day``) and each is billed in advance at that instant's local time.
        Every problem is reported at once in one ValidationError.
        """
        found = checks.identifier("id", id) + checks.identifier("customer_id", customer_id)
        found += checks.instance("plan", plan, Plan, "a Plan (build it with Plan.create)")
        found += zone_problems("zone", zone)
        found += _aware("start", start)
        if trial_end is not None:
            found += _aware("trial_end", trial_end)
            if not found and trial_end <= start:
                found.append(problem("trial_end", f"must be after the start {start}", trial_end))
        prices: tuple[Price, ...] = ()
        try:
            check_currency(currency)
        except ValidationError as exc:
            found += exc.problems
        else:
            if isinstance(plan, Plan):
                prices = plan.prices_in(currency)
                if not prices:
                    offered = ", ".join(plan.currencies()) or "none"
                    why = f"the plan has prices in {offered}"
                    found.append(problem("currency", why, currency))
        items, item_problems = _items(prices, quantities)
        found += item_problems
        lines, line_problems = build_lines(checks.plural(trial_lines), path="trial_lines")
        found += line_problems
        if lines and trial_end is None:
            found.append(problem("trial_lines", "bill trial lines only with a trial_end"))
        found += checks.stored_terms("terms", terms)
        applied = checks.plural(coupons)
        found += checks.items("coupons", applied, AppliedCoupon, "AppliedCoupon")
        for i, coupon in enumerate(applied if isinstance(applied, tuple) else ()):
            code = coupon.coupon.currency if isinstance(coupon, AppliedCoupon) else None
            if code is not None and code != currency:
                why = f"the coupon is in {code}; the subscription bills in {currency}"
                found.append(problem(f"coupons[{i}].currency", why, code))
        found += _anchor_problems(anchor_day, plan)
        checks.refuse(found, "subscription")
        begins = trial_end if trial_end is not None else start
        local = begins.astimezone(ZoneInfo(zone))
        schedule = _schedule(plan, local.date(), zone, anchor_day, local.time())
        return cls(
            id=id,
            customer_id=customer_id,
            plan_id=plan.id,
            currency=currency,
            items=items,
            schedule=schedule,
            status=SubscriptionStatus.TRIALING if trial_end else SubscriptionStatus.ACTIVE,
            terms=terms,
            trial_end=trial_end,
            trial_lines=lines,
            coupons=applied,
            start=start,
        )

    def item(self, price_id: str) -> SubscriptionItem | None:
        """The item of price ``price_id``, or None."""
        return next((i for i in self.items if i.price.id == price_id), None)


@attrs.frozen(kw_only=True)
class Change:
    """What a change did: the new subscription and the proration lines it caused.

    With ``invoice_now`` the lines are billed on an invoice issued now (INVOICE_NOW, or a
    cancellation's credit); otherwise they are already in ``subscription.pending``.
    """

    subscription: Subscription
    lines: tuple[Line, ...] = ()
    invoice_now: bool = False


#: The largest seat quantity.
MAX_SEATS: Final = Decimal(10) ** 9


def _aware(path: str, value: object) -> list[Problem]:
    if isinstance(value, datetime) and value.utcoffset() is not None:
        return []
    return [problem(path, "must be a timezone-aware datetime (e.g. tzinfo=UTC)", value)]


def seat_problems(path: str, value: object) -> list[Problem]:
    """A seat quantity: a Decimal or int from 0 to 10^9 with at most 6 decimal places."""
    if isinstance(value, bool) or not isinstance(value, Decimal | int):
        return [problem(path, "must be a Decimal or int >= 0 (a float is not exact)", value)]
    quantity = Decimal(value)
    if not quantity.is_finite() or not 0 <= quantity <= MAX_SEATS:
        return [problem(path, f"must be >= 0 and <= {MAX_SEATS:,}", value)]
    if quantity != quantity.quantize(
        Decimal("0.000001"),
    ):
        return [problem(path, "at most 6 decimal places", value)]
    return []


def _items(
    prices: tuple[Price, ...], quantities: Mapping[str, Decimal | int] | None
) -> tuple[tuple[SubscriptionItem, ...], list[Problem]]:
    """One item per price; SEATS prices take their quantity (default 1), the others 1."""
    given: Mapping[str, object] = {} if quantities is None else quantities
    if not isinstance(given, Mapping):
        return (), [problem("quantities", "must be a mapping of price id to seats", given)]
    if not prices:
        return (), []  # the currency's problem says why
    found: list[Problem] = []
    kinds = {p.id: p.kind for p in prices}
    for key, value in given.items():
        path = f"quantities.{key}"
        if kinds.get(key) is not PriceKind.SEATS:
            seats = ", ".join(k for k, v in kinds.items() if v is PriceKind.SEATS) or "none"
            why = f"only seats prices take a quantity; the seats prices are: {seats}"
            found.append(problem(path, why, value))
        else:
            found += seat_problems(path, value)
    if found:
        return (), found
    items = tuple(
        SubscriptionItem(price=p, quantity=Decimal(given.get(p.id, 1)))  # type: ignore[arg-type]
        for p in prices
    )
    return items, []


def _anchor_problems(anchor_day: object, plan: object) -> list[Problem]:
    if anchor_day is None:
        return []
    if isinstance(anchor_day, bool) or not isinstance(anchor_day, int) or not 1 <= anchor_day <= 31:  # noqa: PLR2004 - days of a month
        return [problem("anchor_day", "must be an integer from 1 to 31", anchor_day)]
    if isinstance(plan, Plan) and plan.frequency not in _ANCHORED:
        return [problem("anchor_day", "applies to monthly, quarterly and yearly plans")]
    return []


_ANCHORED: Final = frozenset({Frequency.MONTHLY, Frequency.QUARTERLY, Frequency.YEARLY})


def _schedule(plan: Plan, start: date, zone: str, anchor_day: int | None, at: time) -> Schedule:
    """The plan's schedule from ``start`` in ``zone``, billed in advance at local time ``at``."""
    return Schedule(
        frequency=plan.frequency,
        start=start,
        zone=zone,
        interval=plan.interval,
        anchor_day=anchor_day,
        timing=BillTiming.ADVANCE,
        time_of_day=at.replace(tzinfo=None, fold=0),
    )
