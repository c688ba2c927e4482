"""The pure planner of ``run_due``: given the stored state as plain values and ``now``, what is due.

``plan_due`` only proposes; the executor performs each step in its own transaction
after ``still_applies`` re-checks it against the locked invoice, so a payment that
races the sweep wins (T15) and nothing goes out for an invoice paid meanwhile (T26).
Each (invoice, step) is proposed until the snapshot records it done, then never again.
The re-check (``why_not``, ``still_applies``) is in due_recheck, re-exported here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Protocol
from zoneinfo import ZoneInfo

import attrs

from invoicekit.domain.due_recheck import still_applies, why_not
from invoicekit.domain.due_steps import (
    AddLateFee,
    ChargeInvoice,
    DuePlan,
    DueStep,
    GenerateOccurrence,
    MarkOverdueStep,
    RetryCollection,
    SendReminder,
    Skip,
)
from invoicekit.domain.dunning import DunningPolicy, PolicyOverride, Step, resolve
from invoicekit.domain.frozen import FrozenMapping
from invoicekit.domain.invoice import Invoice
from invoicekit.domain.late_fee import LATE_FEE_FOR
from invoicekit.domain.overdue import (
    SkipReason,
    closed_reason,
    fully_credited,
    past_due_date,
)
from invoicekit.domain.reminding import below_minimum
from invoicekit.domain.send_window import allowed, next_allowed, step_moment
from invoicekit.domain.status import Status
from invoicekit.errors import ValidationError, problem

__all__ = [
    "DueInvoice",
    "DueOccurrences",
    "DueSnapshot",
    "DueTemplate",
    "plan_due",
    "still_applies",
    "why_not",
]

_ZERO = Decimal(0)


def _names(value: Iterable[str]) -> frozenset[str]:
    return frozenset(value)


def _attempts(value: Iterable[int]) -> frozenset[int]:
    return frozenset(value)


@attrs.frozen
class DueInvoice:
    """An open invoice as the planner sees it: its balance, dates, policy and what was done already."""

    id: str
    status: Status
    currency: str
    due_date: date
    amount_due: Decimal
    seller_zone: str
    policy: DunningPolicy
    customer_policy: DunningPolicy | PolicyOverride | None = None
    customer_zone: str | None = None
    in_flight: Decimal = _ZERO
    fully_credited: bool = False
    #: The seller's ``reminder_minimum`` (currency -> amount).
    minimum: Mapping[str, Decimal] = attrs.field(factory=FrozenMapping, converter=FrozenMapping)
    #: Names of the steps whose message was sent (or queued).
    sent: frozenset[str] = attrs.field(factory=frozenset, converter=_names)
    #: Names of the steps whose late fee was applied.
    fees: frozenset[str] = attrs.field(factory=frozenset, converter=_names)
    #: When collection attempts failed, oldest first.
    failures: tuple[datetime, ...] = ()
    #: Retry attempts already started (1 is the first retry).
    retried: frozenset[int] = attrs.field(factory=frozenset, converter=_attempts)
    #: Whether a saved payment method can be charged again.
    can_charge: bool = False
    #: When the first automatic charge is due (at issue or on the due date); None: the
    #: seller does not charge automatically, and retries follow any failure.
    collect_at: datetime | None = None
    #: Whether the first automatic charge's outcome is recorded.
    charged: bool = False
    #: Whether this invoice is itself a late fee (it is reminded of, but never charged a fee).
    late_fee: bool = False

    @classmethod
    def of(
        cls,
        invoice: Invoice,
        *,
        policy: DunningPolicy,
        customer_policy: DunningPolicy | PolicyOverride | None = None,
        minimum: Mapping[str, Decimal] | None = None,
        sent: Iterable[str] = (),
        fees: Iterable[str] = (),
        retried: Iterable[int] = (),
        can_charge: bool = False,
        collect_at: datetime | None = None,
        charged: bool = False,
    ) -> DueInvoice:
        """The planner's view of an issued ``invoice`` (zones from its party snapshots).

        ``minimum`` defaults to the seller's ``reminder_minimum`` as at issue; pass
        today's setting to follow a change, as ``send`` does.
        """
        if invoice.due_date is None or invoice.seller is None:
            raise ValidationError(
                [problem("invoice", "must be issued (it has no due date yet)", invoice.id)],
                subject="due snapshot",
            )
        customer = invoice.customer
        return cls(
            id=invoice.id,
            status=invoice.status,
            currency=invoice.currency,
            due_date=invoice.due_date,
            amount_due=invoice.amount_due,
            seller_zone=invoice.seller.timezone,
            customer_zone=None if customer is None else customer.timezone,
            policy=policy,
            customer_policy=customer_policy,
            in_flight=invoice.in_flight,
            fully_credited=fully_credited(invoice),
            minimum=invoice.seller.reminder_minimum if minimum is None else minimum,
            sent=sent,
            fees=fees,
            failures=tuple(f.at for f in invoice.failures),
            retried=retried,
            can_charge=can_charge,
            collect_at=collect_at,
            charged=charged,
            late_fee=LATE_FEE_FOR in invoice.metadata,
        )


@attrs.frozen
class DueTemplate:
    """A recurring template: the first period not billed yet, and the schedule engine's own data."""

    id: str
    next_period: int
    #: Opaque to the planner: what ``DueOccurrences`` needs (rule, anchor, zone, end, ...).
    schedule: object = None


class DueOccurrences(Protocol):
    """The schedule engine's hook: the indices of ``template``'s periods due by ``now``, ascending."""

    def __call__(self, template: DueTemplate, now: datetime) -> Iterable[int]:
        """Period indices due at ``now`` (those below ``template.next_period`` are ignored)."""
        ...


def _due_invoices(value: Iterable[DueInvoice]) -> tuple[DueInvoice, ...]:
    return tuple(value)


def _due_templates(value: Iterable[DueTemplate]) -> tuple[DueTemplate, ...]:
    return tuple(value)


@attrs.frozen
class DueSnapshot:
    """The stored state ``plan_due`` reads: open invoices and recurring templates, as plain values."""

    invoices: tuple[DueInvoice, ...] = attrs.field(default=(), converter=_due_invoices)
    templates: tuple[DueTemplate, ...] = attrs.field(default=(), converter=_due_templates)


def plan_due(
    snapshot: DueSnapshot, now: datetime, *, occurrences: DueOccurrences | None = None
) -> DuePlan:
    """What is due at ``now``: occurrences first, then each invoice by due date and id.

    Deterministic: the same snapshot and ``now`` give the same plan. A raw TypeError
    never escapes for a naive ``now``: it is a ValidationError naming ``now``.
    """
    if not isinstance(now, datetime) or now.utcoffset() is None:
        raise ValidationError(
            [problem("now", "must be a timezone-aware datetime (e.g. tzinfo=UTC)", now)],
            subject="run_due",
        )
    steps: list[DueStep] = []
    for template in sorted(snapshot.templates, key=lambda t: t.id):
        steps += _template_steps(template, now, occurrences)
    for invoice in sorted(snapshot.invoices, key=lambda i: (i.due_date, i.id)):
        steps += _invoice_steps(invoice, now)
    return DuePlan(at=now, steps=tuple(steps))


def _template_steps(
    template: DueTemplate, now: datetime, occurrences: DueOccurrences | None
) -> list[DueStep]:
    if occurrences is None:
        return [Skip(template.id, SkipReason.NO_SCHEDULE, detail="plan_due got no occurrences")]
    due = sorted({p for p in occurrences(template, now) if p >= template.next_period})
    return [GenerateOccurrence(template.id, period, now) for period in due]


def _invoice_steps(invoice: DueInvoice, now: datetime) -> list[DueStep]:
    closed = closed_reason(invoice.status, invoice.amount_due, invoice.fully_credited)
    if closed is not None:
        return [Skip(invoice.id, closed)]
    steps: list[DueStep] = []
    overdue = past_due_date(invoice.due_date, now, invoice.seller_zone)
    in_flight = invoice.in_flight > 0
    if overdue and invoice.status is not Status.OVERDUE:
        # Overdue wins over failed: the status moves on, the failed attempts stay listed.
        steps.append(
            Skip(invoice.id, SkipReason.IN_FLIGHT, detail="not marked overdue")
            if in_flight
            else MarkOverdueStep(invoice.id, now)
        )
    policy = resolve(invoice.policy, invoice.customer_policy)
    steps += _charge_steps(invoice, now, in_flight=in_flight)
    steps += _retry_steps(invoice, policy, now, in_flight=in_flight)
    steps += _dunning_steps(invoice, policy, now, in_flight=in_flight)
    return steps


def _charge_steps(invoice: DueInvoice, now: datetime, *, in_flight: bool) -> list[DueStep]:
    """The first automatic charge, once its moment has come (T29: the executor keys it)."""
    if invoice.collect_at is None or invoice.charged or not invoice.can_charge:
        return []
    if invoice.collect_at > now:
        return []
    if in_flight:
        return [Skip(invoice.id, SkipReason.IN_FLIGHT, detail="charge")]
    return [ChargeInvoice(invoice.id, now)]


def _retry_steps(
    invoice: DueInvoice, policy: DunningPolicy, now: datetime, *, in_flight: bool
) -> list[DueStep]:
    """The next collection retry, when its day after the first failure has come."""
    if invoice.collect_at is not None and not invoice.charged:
        return []  # automatic collection: retries follow the first charge
    attempt = len(invoice.failures)
    if not invoice.can_charge or not attempt or attempt > len(policy.retry_days):
        return []  # nothing failed, nothing to charge, or handed to dunning
    if attempt in invoice.retried:
        return []
    due_at = min(invoice.failures) + timedelta(days=policy.retry_days[attempt - 1])
    if due_at > now:
        return []
    if in_flight:
        return [Skip(invoice.id, SkipReason.IN_FLIGHT, detail=f"retry {attempt}")]
    return [RetryCollection(invoice.id, attempt, now)]


def _dunning_steps(
    invoice: DueInvoice, policy: DunningPolicy, now: datetime, *, in_flight: bool
) -> list[DueStep]:
    """The latest step whose moment has come (once), and the late fees of every step passed."""
    seller_zone = ZoneInfo(invoice.seller_zone)
    customer_zone = ZoneInfo(invoice.customer_zone or invoice.seller_zone)
    passed = _passed(invoice, policy, now, customer_zone, seller_zone)
    if not passed:
        return []
    latest = passed[-1]
    fees = [
        s
        for s in passed
        if s.late_fee is not None and s.name not in invoice.fees and not invoice.late_fee
    ]
    send = latest.name not in invoice.sent
    if not send and not fees:
        return []
    hold = _hold(invoice, policy, now, customer_zone, in_flight=in_flight)
    if hold is not None:
        return [attrs.evolve(hold, step=latest.name)]
    steps: list[DueStep] = [_fee(invoice, step, now) for step in fees]
    if send:
        steps.append(SendReminder(invoice.id, latest.name, latest.kind, policy.channels, now))
    return steps


def _passed(
    invoice: DueInvoice,
    policy: DunningPolicy,
    now: datetime,
    customer_zone: ZoneInfo,
    seller_zone: ZoneInfo,
) -> list[Step]:
    """The steps whose moment has come, in order.

    A step's moment never comes before its day starts in the seller's zone, and moments
    grow with the day, so the search starts at the latest step of a day already begun.
    """
    today = now.astimezone(seller_zone).date()
    begun = [s for s in policy.steps if invoice.due_date + timedelta(days=s.days) <= today]
    for count in range(len(begun), 0, -1):
        day = invoice.due_date + timedelta(days=begun[count - 1].days)
        if step_moment(day, policy, customer_zone, seller_zone) <= now:
            return begun[:count]
    return []


def _hold(
    invoice: DueInvoice,
    policy: DunningPolicy,
    now: datetime,
    zone: ZoneInfo,
    *,
    in_flight: bool,
) -> Skip | None:
    """Why nothing is chased now although a step is due, or None."""
    if in_flight:
        return Skip(invoice.id, SkipReason.IN_FLIGHT)
    if below_minimum(invoice.minimum, invoice.amount_due, invoice.currency):
        return Skip(invoice.id, SkipReason.BELOW_MINIMUM)
    if not allowed(now, policy, zone):
        later = next_allowed(now, policy, zone)
        return Skip(invoice.id, SkipReason.QUIET_HOURS, later=later)
    return None


def _fee(invoice: DueInvoice, step: Step, now: datetime) -> DueStep:
    fee = step.late_fee
    assert fee is not None  # noqa: S101 - only steps with a fee are passed
    amount = fee.amount(invoice.amount_due, invoice.currency, step.days)
    if amount is None:
        return Skip(
            invoice.id,
            SkipReason.CURRENCY_MISMATCH,
            step=step.name,
            detail=f"the late fee has no {invoice.currency} amount (it has {', '.join(fee.fixed)})",
        )
    return AddLateFee(
        invoice.id,
        step.name,
        amount,
        invoice.currency,
        fee.mode,
        fee.tax,
        fee.description,
        step.days,
        now,
        late_fee=fee,
    )
