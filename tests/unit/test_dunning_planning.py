"""The pure run_due planner: what is due when, what is skipped and why, and the executor's guard (T15, T26)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import attrs
import pytest

import factories as f
from invoicekit.domain import lifecycle as lc
from invoicekit.domain.due_steps import (
    AddLateFee,
    GenerateOccurrence,
    MarkOverdueStep,
    RetryCollection,
    SendReminder,
    Skip,
)
from invoicekit.domain.dunning import (
    DunningPolicy,
    LateFee,
    LateFeeMode,
    PolicyOverride,
    QuietHours,
    Step,
)
from invoicekit.domain.overdue import SkipReason, is_overdue
from invoicekit.domain.planning import (
    DueInvoice,
    DueSnapshot,
    DueTemplate,
    plan_due,
    still_applies,
    why_not,
)
from invoicekit.domain.status import Status
from invoicekit.errors import ValidationError

BERLIN = ZoneInfo("Europe/Berlin")
DUE = date(2026, 3, 10)  # a Tuesday
POLICY = DunningPolicy(
    steps=[
        Step(-3),
        Step(0),
        Step(3),
        Step(7, late_fee=LateFee(fixed={"EUR": "40.00"})),
        Step(14, kind="final_notice"),
    ],
    channels=["email", "sms"],
    skip_weekends=False,
)


def due(**overrides: Any) -> DueInvoice:
    fields: dict[str, Any] = {
        "id": "inv1",
        "status": Status.PENDING,
        "currency": "EUR",
        "due_date": DUE,
        "amount_due": Decimal("119.00"),
        "seller_zone": "Europe/Berlin",
        "policy": POLICY,
    }
    fields.update(overrides)
    return DueInvoice(**fields)


def on(day: date, hour: int = 12) -> datetime:
    """``hour`` o'clock on ``day`` in Berlin."""
    return datetime.combine(day, time(hour), tzinfo=BERLIN)


def plan(*invoices: DueInvoice, now: datetime) -> list[object]:
    return list(plan_due(DueSnapshot(invoices=invoices), now).steps)


def sent(steps: Iterable[object]) -> list[str]:
    return [s.step for s in steps if isinstance(s, SendReminder)]


def test_nothing_is_due_before_the_first_step() -> None:
    assert plan(due(), now=on(DUE - timedelta(days=4))) == []


@pytest.mark.parametrize(
    ("days", "step"),
    [(-3, "d-3"), (-1, "d-3"), (0, "d0"), (3, "d+3"), (14, "d+14"), (40, "d+14")],
)
def test_the_latest_step_whose_time_has_come_is_sent(days: int, step: str) -> None:
    assert sent(plan(due(), now=on(DUE + timedelta(days=days)))) == [step]


def test_a_step_already_sent_is_not_proposed_again() -> None:
    assert plan(due(sent={"d0"}), now=on(DUE)) == []


def test_catch_up_sends_only_the_latest_missed_step_once() -> None:
    """After an outage over d-3 .. d+7, one reminder (d+7), not four on the same morning."""
    now = on(DUE + timedelta(days=8))
    steps = plan(due(status=Status.OVERDUE), now=now)
    assert sent(steps) == ["d+7"]
    assert [type(s) for s in steps] == [AddLateFee, SendReminder]
    again = plan(due(status=Status.OVERDUE, sent={"d+7"}, fees={"d+7"}), now=now)
    assert again == []


def test_the_final_notice_never_goes_before_its_day() -> None:
    just_before = datetime.combine(DUE + timedelta(days=14), time(0), tzinfo=BERLIN)
    steps = plan(due(status=Status.OVERDUE), now=just_before - timedelta(seconds=1))
    assert sent(steps) == ["d+7"]
    at_nine = datetime.combine(DUE + timedelta(days=14), time(9), tzinfo=BERLIN)
    assert sent(plan(due(status=Status.OVERDUE), now=at_nine)) == ["d+14"]


def test_a_reminder_names_its_kind_channels_and_key() -> None:
    (reminder,) = plan(due(status=Status.OVERDUE, fees={"d+7"}), now=on(DUE + timedelta(days=15)))
    assert reminder == SendReminder(
        "inv1", "d+14", "final_notice", ("email", "sms"), on(DUE + timedelta(days=15))
    )
    assert isinstance(reminder, SendReminder)
    assert reminder.key == "inv1:final_notice:d+14"


def test_overdue_exactly_after_the_due_dates_end_in_the_sellers_zone() -> None:
    end = datetime.combine(DUE + timedelta(days=1), time(0), tzinfo=BERLIN)
    before = plan(due(sent={"d0"}), now=end - timedelta(microseconds=1))
    assert before == []
    after = plan(due(sent={"d0"}), now=end)
    assert after == [MarkOverdueStep("inv1", end)]
    # Same instant, seen from New York: still the 10th there, but the seller's books decide.
    assert plan(due(sent={"d0"}, customer_zone="America/New_York"), now=end)[0] == MarkOverdueStep(
        "inv1", end
    )


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"status": Status.PAID, "amount_due": Decimal(0)}, SkipReason.PAID),
        (
            {"status": Status.PAID, "amount_due": Decimal(0), "fully_credited": True},
            SkipReason.CREDITED,
        ),
        ({"status": Status.VOID}, SkipReason.VOID),
        ({"status": Status.UNCOLLECTIBLE}, SkipReason.UNCOLLECTIBLE),
        ({"status": Status.DRAFT}, SkipReason.NOT_ISSUED),
        ({"status": Status.OVERDUE, "amount_due": Decimal(0)}, SkipReason.PAID),
    ],
)
def test_nothing_for_a_closed_invoice(overrides: dict[str, Any], reason: SkipReason) -> None:
    steps = plan(due(**overrides), now=on(DUE + timedelta(days=20)))
    assert steps == [Skip("inv1", reason)]


def test_nothing_is_chased_while_a_payment_is_in_flight() -> None:
    steps = plan(due(in_flight=Decimal("119.00")), now=on(DUE + timedelta(days=8)))
    assert all(isinstance(s, Skip) and s.reason is SkipReason.IN_FLIGHT for s in steps)
    assert [s.step for s in steps if isinstance(s, Skip)] == [None, "d+7"]


def test_nothing_is_chased_below_the_sellers_minimum() -> None:
    minimum = {"EUR": Decimal("5.00")}
    steps = plan(due(amount_due=Decimal("4.99"), minimum=minimum), now=on(DUE + timedelta(days=8)))
    assert steps == [
        MarkOverdueStep("inv1", on(DUE + timedelta(days=8))),
        Skip("inv1", SkipReason.BELOW_MINIMUM, step="d+7"),
    ]
    at_minimum = plan(due(amount_due=Decimal("5.00"), minimum=minimum), now=on(DUE))
    assert sent(at_minimum) == ["d0"]


def test_quiet_hours_hold_a_catch_up_until_they_end() -> None:
    policy = attrs.evolve(POLICY, quiet_hours=QuietHours(time(21), time(8)))
    now = datetime.combine(DUE, time(23), tzinfo=BERLIN)
    steps = plan(due(policy=policy, status=Status.PENDING), now=now)
    assert steps == [
        Skip(
            "inv1",
            SkipReason.QUIET_HOURS,
            step="d0",
            later=datetime.combine(DUE + timedelta(days=1), time(8), tzinfo=BERLIN),
        )
    ]


def test_quiet_hours_are_the_customers_not_the_sellers() -> None:
    policy = attrs.evolve(POLICY, quiet_hours=QuietHours(time(21), time(8)))
    now = datetime.combine(DUE, time(23), tzinfo=BERLIN)  # 17:00 in New York
    steps = plan(due(policy=policy, customer_zone="America/New_York"), now=now)
    assert sent(steps) == ["d0"]


def test_a_fixed_fee_in_another_currency_is_skipped_and_the_reminder_still_goes() -> None:
    now = on(DUE + timedelta(days=8))
    steps = plan(due(currency="USD", status=Status.OVERDUE), now=now)
    assert [type(s) for s in steps] == [Skip, SendReminder]
    skip = steps[0]
    assert isinstance(skip, Skip)
    assert skip.reason is SkipReason.CURRENCY_MISMATCH
    assert skip.step == "d+7"
    assert skip.detail == "the late fee has no USD amount (it has EUR)"


def test_a_late_fee_is_applied_once_with_its_mode_and_tax() -> None:
    policy = DunningPolicy(
        steps=[Step(7, late_fee=LateFee(annual_rate="8", mode=LateFeeMode.INTEREST))],
        skip_weekends=False,
    )
    now = on(DUE + timedelta(days=30))
    fee, reminder = plan(
        due(policy=policy, status=Status.OVERDUE, amount_due=Decimal("1000.00")), now=now
    )
    assert isinstance(fee, AddLateFee)
    assert isinstance(reminder, SendReminder)
    assert (fee.amount, fee.days_overdue, fee.mode) == (Decimal("1.53"), 7, LateFeeMode.INTEREST)
    assert fee.tax.category.value == "O"
    done = due(policy=policy, status=Status.OVERDUE, sent={"d+7"}, fees={"d+7"})
    assert plan(done, now=now) == []


def test_a_customer_override_is_used() -> None:
    steps = plan(due(customer_policy=PolicyOverride(channels=["sms"])), now=on(DUE))
    assert [s.channels for s in steps if isinstance(s, SendReminder)] == [("sms",)]


def test_overdue_wins_over_failed_and_the_failure_stays_listed() -> None:
    failed_at = on(DUE - timedelta(days=1))
    invoice = due(status=Status.FAILED, failures=(failed_at,), can_charge=True, retried={1, 2})
    now = on(DUE + timedelta(days=4))
    steps = plan(invoice, now=now)
    assert steps[0] == MarkOverdueStep("inv1", now)
    assert sent(steps) == ["d+3"]
    assert invoice.failures == (failed_at,)


@pytest.mark.parametrize(
    ("failures", "retried", "days_after", "expected"),
    [
        (1, set(), 0, None),
        (1, set(), 1, 1),
        (1, {1}, 2, None),
        (2, {1}, 2, None),
        (2, {1}, 3, 2),
        (3, {1, 2}, 7, 3),
        (4, {1, 2, 3}, 30, None),  # retries exhausted: handed to dunning
    ],
)
def test_collection_retries_follow_the_schedule_then_stop(
    failures: int, retried: set[int], days_after: int, expected: int | None
) -> None:
    first = on(DUE - timedelta(days=20))
    invoice = due(
        status=Status.FAILED,
        failures=tuple(first + timedelta(hours=h) for h in range(failures)),
        can_charge=True,
        retried=retried,
        due_date=DUE + timedelta(days=60),
    )
    now = first + timedelta(days=days_after, minutes=1)
    retries = [s.attempt for s in plan(invoice, now=now) if isinstance(s, RetryCollection)]
    assert retries == ([] if expected is None else [expected])


def test_no_retry_without_a_chargeable_method() -> None:
    invoice = due(status=Status.FAILED, failures=(on(DUE - timedelta(days=20)),))
    assert plan(invoice, now=on(DUE - timedelta(days=10))) == []


def test_occurrences_come_from_the_schedule_hook_once() -> None:
    def occurrences(template: DueTemplate, now: datetime) -> Iterable[int]:
        return range(now.month)  # a period a month, from January

    now = on(date(2026, 4, 2))
    snapshot = DueSnapshot(templates=[DueTemplate("t2", next_period=3), DueTemplate("t1", 2)])
    steps = list(plan_due(snapshot, now, occurrences=occurrences).steps)
    assert steps == [
        GenerateOccurrence("t1", 2, now),
        GenerateOccurrence("t1", 3, now),
        GenerateOccurrence("t2", 3, now),
    ]
    without = plan_due(snapshot, now).steps
    assert [s.reason for s in without if isinstance(s, Skip)] == [SkipReason.NO_SCHEDULE] * 2


def test_invoices_are_planned_by_due_date_then_id() -> None:
    now = on(DUE + timedelta(days=1))
    steps = plan(due(id="b"), due(id="a"), due(id="c", due_date=DUE - timedelta(days=1)), now=now)
    assert [s.invoice_id for s in steps if isinstance(s, MarkOverdueStep)] == ["c", "a", "b"]


def test_a_naive_now_is_refused_with_its_name() -> None:
    with pytest.raises(ValidationError, match="now: must be a timezone-aware datetime"):
        plan_due(DueSnapshot(), datetime(2026, 3, 10))  # noqa: DTZ001 - the bad input


# The executor's guard, judged against real invoices (T15, T26).

AT = datetime(2026, 3, 1, 9, tzinfo=UTC)


def issued() -> tuple[Any, DueInvoice]:
    seller = f.seller(timezone="Europe/Berlin")
    invoice = f.issued(of=seller, at=AT)
    return invoice, DueInvoice.of(invoice, policy=POLICY)


def test_a_snapshot_is_read_from_an_issued_invoice() -> None:
    invoice, view = issued()
    assert view.due_date == invoice.due_date == date(2026, 3, 31)
    assert (view.amount_due, view.status, view.seller_zone) == (
        Decimal("119.00"),
        Status.PENDING,
        "Europe/Berlin",
    )
    with pytest.raises(ValidationError, match="must be issued"):
        DueInvoice.of(f.draft(), policy=POLICY)


def test_a_payment_that_races_the_sweep_wins() -> None:
    invoice, view = issued()
    late = datetime(2026, 4, 2, 9, tzinfo=UTC)
    (mark, reminder) = plan_due(DueSnapshot(invoices=[view]), late).steps
    assert isinstance(mark, MarkOverdueStep)
    assert isinstance(reminder, SendReminder)
    assert still_applies(mark, invoice)
    assert still_applies(reminder, invoice)
    paid, _ = lc.apply(invoice, lc.RecordPayment(payment_id="p1", amount="119.00"), at=late)
    assert not still_applies(mark, paid)
    assert why_not(reminder, paid) == "paid"


def test_the_guard_refuses_in_flight_void_credited_and_changed_attempts() -> None:
    invoice, _ = issued()
    late = datetime(2026, 4, 2, 9, tzinfo=UTC)
    reminder = SendReminder(invoice.id, "d+3", "reminder", ("email",), late)
    pending, _ = lc.apply(
        invoice, lc.RecordPayment(payment_id="p1", amount="119.00", pending=True), at=late
    )
    assert why_not(reminder, pending) == "in_flight"
    assert why_not(MarkOverdueStep(invoice.id, late), pending) == "in_flight"
    void, _ = lc.apply(invoice, lc.Void(reason="wrong customer"), at=late)
    assert why_not(reminder, void) == "void"
    credited, _ = lc.apply(
        invoice,
        lc.Credit(credit_note_id="cn1", number="CN-1", lines=(f.line(),)),
        at=late,
    )
    assert why_not(reminder, credited) == "credited"
    assert why_not(reminder, invoice, minimum={"EUR": Decimal("200.00")}) == "below_minimum"
    retry = RetryCollection(invoice.id, 1, late)
    assert why_not(retry, invoice) == "attempts changed"
    failed, _ = lc.apply(invoice, lc.FailCollection(reason="card declined"), at=late)
    assert still_applies(retry, failed)
    fee = AddLateFee(
        invoice.id,
        "d+7",
        Decimal("40.00"),
        "USD",
        LateFeeMode.NEW_INVOICE,
        LateFee(fixed={"USD": "1.00"}).tax,
        "Late fee",
        7,
        late,
    )
    assert why_not(fee, invoice) == "currency_mismatch"


def test_mark_overdue_is_refused_before_the_due_date_ends() -> None:
    invoice, _ = issued()
    on_due_date = datetime(2026, 3, 31, 21, 59, tzinfo=UTC)  # 23:59 in Berlin
    assert not is_overdue(invoice, on_due_date, "Europe/Berlin")
    assert why_not(MarkOverdueStep(invoice.id, on_due_date), invoice) == "not past due"
    assert is_overdue(invoice, on_due_date + timedelta(minutes=1), "Europe/Berlin")


def test_the_fees_of_steps_passed_over_still_apply_once_each() -> None:
    fee = LateFee(fixed={"EUR": "10.00"})
    policy = DunningPolicy(
        steps=[Step(3, late_fee=fee), Step(7, late_fee=fee), Step(14, kind="final_notice")],
        skip_weekends=False,
    )
    now = on(DUE + timedelta(days=15))
    steps = plan(due(policy=policy, status=Status.OVERDUE), now=now)
    assert [(type(s).__name__, getattr(s, "step", None)) for s in steps] == [
        ("AddLateFee", "d+3"),
        ("AddLateFee", "d+7"),
        ("SendReminder", "d+14"),
    ]
    assert plan(
        due(policy=policy, status=Status.OVERDUE, fees={"d+3"}, sent={"d+14"}), now=now
    ) == [
        AddLateFee(
            "inv1",
            "d+7",
            Decimal("10.00"),
            "EUR",
            LateFeeMode.NEW_INVOICE,
            fee.tax,
            fee.description,
            7,
            now,
        )
    ]
