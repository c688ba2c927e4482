"""T26 (pure half): plan_due is deterministic, idempotent, and times every step by the policy.

A tiny simulator applies a plan's steps to the snapshot (what the executor would
record); planning again at the same ``now`` then proposes nothing new. Over a timeline
of sweeps every step goes out at most once, never for a paid, void or in-flight
invoice, never before its day, and only at allowed moments on the customer's clock,
across DST. T24: overdue is proposed exactly once the due date has ended in the
seller's zone (the oracle builds local midnight with ``datetime.combine``).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import attrs
from hypothesis import given, settings
from hypothesis import strategies as st

from invoicekit.domain.due_steps import (
    AddLateFee,
    DuePlan,
    GenerateOccurrence,
    MarkOverdueStep,
    RetryCollection,
    SendReminder,
)
from invoicekit.domain.dunning import DunningPolicy, LateFee, QuietHours, Step
from invoicekit.domain.planning import DueInvoice, DueSnapshot, DueTemplate, plan_due
from invoicekit.domain.send_window import step_moment
from invoicekit.domain.status import Status
from sizes import examples

ZONES = [
    "Europe/Berlin",
    "America/New_York",
    "Pacific/Auckland",
    "Asia/Kolkata",
    "Pacific/Kiritimati",
    "UTC",
]
OPEN = [Status.PENDING, Status.PARTIALLY_PAID, Status.OVERDUE, Status.FAILED]
START = datetime(2026, 1, 1, tzinfo=UTC)


@st.composite
def policies(draw: st.DrawFn) -> DunningPolicy:
    days = sorted(draw(st.sets(st.integers(-10, 30), min_size=1, max_size=6)))
    final = draw(st.booleans())
    steps = [
        Step(
            d,
            kind="final_notice" if final and i == len(days) - 1 else "reminder",
            late_fee=LateFee(fixed={"EUR": "5.00"}) if d > 0 and draw(st.booleans()) else None,
        )
        for i, d in enumerate(days)
    ]
    quiet = None
    if draw(st.booleans()):
        start, end = draw(st.lists(st.integers(0, 23), min_size=2, max_size=2, unique=True))
        quiet = QuietHours(time(start), time(end))
    return DunningPolicy(
        steps=steps,
        send_at=time(draw(st.integers(0, 23)), draw(st.sampled_from([0, 30]))),
        quiet_hours=quiet,
        skip_weekends=draw(st.booleans()),
        channels=draw(st.sampled_from([["email"], ["sms", "email"]])),
    )


@st.composite
def invoices(draw: st.DrawFn, id: str = "inv") -> DueInvoice:
    due_date = START.date() + timedelta(days=draw(st.integers(0, 300)))
    failures: tuple[datetime, ...] = ()
    if draw(st.booleans()):
        first = datetime.combine(due_date, time(6), tzinfo=UTC) - timedelta(days=3)
        failures = tuple(first + timedelta(days=i) for i in range(draw(st.integers(1, 4))))
    return DueInvoice(
        id=id,
        status=draw(st.sampled_from([*OPEN, Status.PAID, Status.VOID])),
        currency=draw(st.sampled_from(["EUR", "EUR", "USD"])),
        due_date=due_date,
        amount_due=draw(st.sampled_from([Decimal(0), Decimal("4.00"), Decimal("119.00")])),
        seller_zone=draw(st.sampled_from(ZONES)),
        customer_zone=draw(st.none() | st.sampled_from(ZONES)),
        policy=draw(policies()),
        in_flight=draw(st.sampled_from([Decimal(0), Decimal(0), Decimal("119.00")])),
        minimum={"EUR": Decimal("5.00")},
        sent=draw(st.sets(st.sampled_from(["d-3", "d0", "d+3"]), max_size=2)),
        failures=failures,
        can_charge=draw(st.booleans()),
    )


@st.composite
def snapshots(draw: st.DrawFn) -> DueSnapshot:
    count = draw(st.integers(1, 4))
    templates = [
        DueTemplate(f"t{i}", draw(st.integers(0, 5))) for i in range(draw(st.integers(0, 2)))
    ]
    return DueSnapshot(
        invoices=[draw(invoices(id=f"inv{i}")) for i in range(count)], templates=templates
    )


def monthly(template: DueTemplate, now: datetime) -> Iterable[int]:
    """A stand-in for the schedule engine: one period every 30 days from START."""
    return range((now - START).days // 30 + 1)


def nows() -> st.SearchStrategy[datetime]:
    return st.integers(0, 340 * 24 * 60).map(lambda m: START + timedelta(minutes=m))


def simulate(snapshot: DueSnapshot, plan: DuePlan) -> DueSnapshot:
    """Record a plan's steps as the executor would: status, sent names, fees, retries, periods."""
    by_id = {i.id: i for i in snapshot.invoices}
    templates = {t.id: t for t in snapshot.templates}
    for step in plan.actions:
        if isinstance(step, GenerateOccurrence):
            t = templates[step.template_id]
            templates[t.id] = attrs.evolve(t, next_period=max(t.next_period, step.period + 1))
            continue
        assert not isinstance(step, GenerateOccurrence)
        inv = by_id[getattr(step, "invoice_id")]  # noqa: B009 - every other step names one
        if isinstance(step, MarkOverdueStep):
            inv = attrs.evolve(inv, status=Status.OVERDUE)
        elif isinstance(step, SendReminder):
            inv = attrs.evolve(inv, sent=inv.sent | {step.step})
        elif isinstance(step, AddLateFee):
            inv = attrs.evolve(inv, fees=inv.fees | {step.step})
        elif isinstance(step, RetryCollection):
            inv = attrs.evolve(inv, retried=inv.retried | {step.attempt})
        by_id[inv.id] = inv
    return DueSnapshot(invoices=list(by_id.values()), templates=list(templates.values()))


@settings(max_examples=examples(ci=500))
@given(snapshot=snapshots(), now=nows(), order=st.randoms(use_true_random=False))
def test_the_plan_is_deterministic_and_ignores_the_snapshots_order(
    snapshot: DueSnapshot, now: datetime, order: object
) -> None:
    first = plan_due(snapshot, now, occurrences=monthly)
    assert plan_due(snapshot, now, occurrences=monthly) == first
    shuffled = list(snapshot.invoices)
    order.shuffle(shuffled)  # type: ignore[attr-defined]
    again = plan_due(attrs.evolve(snapshot, invoices=tuple(shuffled)), now, occurrences=monthly)
    assert again == first


@settings(max_examples=examples(ci=500))
@given(snapshot=snapshots(), now=nows())
def test_planning_again_after_the_plan_is_applied_proposes_nothing(
    snapshot: DueSnapshot, now: datetime
) -> None:
    plan = plan_due(snapshot, now, occurrences=monthly)
    after = simulate(snapshot, plan)
    assert plan_due(after, now, occurrences=monthly).actions == ()


@settings(max_examples=examples(ci=300))
@given(invoice=invoices(), every=st.integers(1, 30), jump=st.integers(0, 40))
def test_over_a_timeline_each_step_goes_out_once_at_an_allowed_moment(
    invoice: DueInvoice, every: int, jump: int
) -> None:
    """Sweeps every ``every`` hours from 12 days before the due date, with an outage of ``jump`` days."""
    policy = invoice.policy
    customer = ZoneInfo(invoice.customer_zone or invoice.seller_zone)
    seller = ZoneInfo(invoice.seller_zone)
    snapshot = DueSnapshot(invoices=[invoice])
    now = datetime.combine(invoice.due_date - timedelta(days=12), time(0), tzinfo=UTC)
    end = now + timedelta(days=50)
    sent: list[str] = []
    while now < end:
        plan = plan_due(snapshot, now)
        reminders = [s for s in plan.actions if isinstance(s, SendReminder)]
        assert len(reminders) <= 1  # never a burst on the same sweep
        if reminders:
            current = snapshot.invoices[0]
            assert current.status in OPEN
            assert current.amount_due > 0
            assert current.in_flight == 0
            local = now.astimezone(customer)
            if policy.skip_weekends:
                assert local.weekday() < 5
            if policy.quiet_hours is not None:
                assert not policy.quiet_hours.covers(local.time())
            step = policy.step(reminders[0].step)
            assert step is not None
            assert now.astimezone(seller).date() >= invoice.due_date + timedelta(days=step.days)
            sent.append(step.name)
        snapshot = simulate(snapshot, plan)
        now += timedelta(hours=every) + (timedelta(days=jump) if len(sent) == 1 else timedelta())
        if len(sent) == 1:
            jump = 0
    assert len(sent) == len(set(sent))
    assert sent == sorted(sent, key=[s.name for s in policy.steps].index)
    assert not (set(sent) & invoice.sent)


@settings(max_examples=examples(ci=500))
@given(invoice=invoices(), minutes=st.integers(-3 * 24 * 60, 3 * 24 * 60))
def test_overdue_is_proposed_exactly_after_the_due_dates_end_in_the_sellers_zone(
    invoice: DueInvoice, minutes: int
) -> None:
    invoice = attrs.evolve(
        invoice,
        status=Status.PENDING,
        amount_due=Decimal("119.00"),
        in_flight=Decimal(0),
        fully_credited=False,
    )
    ends = datetime.combine(
        invoice.due_date + timedelta(days=1), time(0), tzinfo=ZoneInfo(invoice.seller_zone)
    )
    now = ends.astimezone(UTC) + timedelta(minutes=minutes)
    marked = [
        s
        for s in plan_due(DueSnapshot(invoices=[invoice]), now).steps
        if isinstance(s, MarkOverdueStep)
    ]
    assert bool(marked) == (now >= ends)


@settings(max_examples=examples(ci=500))
@given(invoice=invoices(), now=nows())
def test_nothing_is_proposed_for_paid_void_or_in_flight_invoices(
    invoice: DueInvoice, now: datetime
) -> None:
    closed = invoice.status in {Status.PAID, Status.VOID} or invoice.amount_due == 0
    if not (closed or invoice.in_flight > 0):
        return
    assert plan_due(DueSnapshot(invoices=[invoice]), now).actions == ()


@settings(max_examples=examples(ci=500))
@given(
    policy=policies(),
    seller_zone=st.sampled_from(ZONES),
    customer_zone=st.sampled_from(ZONES),
    day=st.dates(min_value=date(2026, 1, 1), max_value=date(2027, 12, 31)),
    later=st.integers(1, 30),
)
def test_step_moments_grow_with_the_day_and_start_on_it(
    policy: DunningPolicy, seller_zone: str, customer_zone: str, day: date, later: int
) -> None:
    """The planner searches from the latest step of a begun day: this is what makes that right."""
    seller, customer = ZoneInfo(seller_zone), ZoneInfo(customer_zone)
    first = step_moment(day, policy, customer, seller)
    second = step_moment(day + timedelta(days=later), policy, customer, seller)
    assert first <= second
    assert first.astimezone(seller).date() >= day
    assert first - datetime.combine(day, time(0), tzinfo=seller) < timedelta(days=5)
