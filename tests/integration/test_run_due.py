"""``billing.run_due`` on the memory store and SQLite: overdue, reminders by policy, late fees, once.

A dry run writes nothing; a second run at the same ``now`` does nothing; a payment that
lands between the plan and the step wins (T15, with a deterministic interleaving).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

import invoicekit as ik
from invoicekit.domain.dunning import DunningPolicy, LateFee, PolicyOverride, Step
from invoicekit.domain.late_fee import LateFeeMode
from invoicekit.services import due_snapshot
from invoicekit.services import run_due as run_due_module
from invoicekit.testing import FixedClock, MemoryNotifier, MemoryRenderer

#: Issued on Monday 2 March 2026 with net 14: due on Monday 16 March.
ISSUED = datetime(2026, 3, 2, 9, tzinfo=UTC)
LINE = ik.Line("Retainer", quantity=Decimal(1), unit_price=Decimal("1000.00"), tax=ik.Vat("19"))
POLICY = DunningPolicy(
    steps=[
        Step(days=-3),
        Step(days=3),
        Step(days=7, late_fee=LateFee(fixed={"EUR": "40.00"})),
        Step(days=14, kind="final_notice"),
    ],
    skip_weekends=False,
)


def at(day: int, hour: int = 10) -> datetime:
    return datetime(2026, 3, day, hour, tzinfo=UTC)


def open_billing(kind: str, tmp_path: Path, mail: MemoryNotifier, clock: FixedClock) -> ik.Billing:
    options = {"clock": clock, "notifiers": [mail], "renderer": MemoryRenderer()}
    if kind == "memory":
        return ik.Billing.in_memory(**options)  # type: ignore[arg-type]
    return ik.Billing.sqlite(tmp_path / "books.db", **options)  # type: ignore[arg-type]


@pytest.fixture(params=["memory", "sqlite"])
def setup(
    request: pytest.FixtureRequest, tmp_path: Path
) -> tuple[ik.Billing, MemoryNotifier, FixedClock, str, str]:
    mail = MemoryNotifier(channel="email")
    clock = FixedClock(ISSUED)
    billing = open_billing(request.param, tmp_path, mail, clock)
    seller = billing.sellers.create(name="Northwind", country="DE", currency="EUR", dunning=POLICY)
    books = billing.seller(seller.id)
    globex = books.customers.create("Globex", email="ap@globex.example", channels=["email"])
    draft = books.invoices.draft(globex.id, lines=[LINE], terms=ik.NetDays(14))
    invoice = books.invoices.issue(draft.id)
    return billing, mail, clock, seller.id, invoice.id


def reminder_steps(mail: MemoryNotifier) -> list[str]:
    return [m.key.split(":")[2] for m in mail.sent if m.kind in {"reminder", "final_notice"}]


def test_reminders_overdue_and_fee_each_once(setup: tuple) -> None:  # type: ignore[type-arg]
    billing, mail, clock, seller_id, invoice_id = setup
    books = billing.seller(seller_id)
    for day in range(2, 32):
        clock.set(at(day))
        billing.run_due()
        billing.run_due()  # twice: nothing more
    assert reminder_steps(mail) == ["d-3", "d+3", "d+7", "d+14"]
    assert books.invoices.get(invoice_id).status is ik.Status.OVERDUE
    fees = [i for i in books.invoices.list() if i.id != invoice_id]
    assert [f.amount_due for f in fees] == [Decimal("40.00")]
    assert fees[0].lines[0].taxes[0].category == "O"


def test_dry_run_writes_nothing_and_second_run_does_nothing(setup: tuple) -> None:  # type: ignore[type-arg]
    billing, mail, _, seller_id, invoice_id = setup
    books = billing.seller(seller_id)
    now = at(24)
    plan = billing.run_due(now, dry_run=True)
    assert [(e.action, e.step) for e in plan.planned] == [
        ("mark_overdue", None),
        ("late_fee", "d+7"),
        ("reminder", "d+7"),
    ]
    assert books.invoices.get(invoice_id).status is ik.Status.PENDING
    assert reminder_steps(mail) == []
    first = billing.run_due(now)
    assert [(e.action, e.step) for e in first.done] == [(e.action, e.step) for e in plan.planned]
    second = billing.run_due(now)
    assert second.done == ()
    assert reminder_steps(mail) == ["d+7"]


def test_without_a_policy_only_overdue_is_marked(setup: tuple) -> None:  # type: ignore[type-arg]
    billing, mail, _, seller_id, invoice_id = setup
    billing.sellers.update(seller_id, dunning=None)
    report = billing.run_due(at(20))
    assert [e.action for e in report.done] == ["mark_overdue"]
    assert billing.seller(seller_id).invoices.get(invoice_id).status is ik.Status.OVERDUE
    assert reminder_steps(mail) == []


def test_a_payment_racing_the_sweep_wins(setup: tuple) -> None:  # type: ignore[type-arg]
    """T15: the plan is made, then the invoice is paid, then the steps run: nothing happens."""
    billing, mail, _, seller_id, invoice_id = setup
    books = billing.seller(seller_id)
    now = at(24)
    planned = billing._due.plan_pages(now)
    books.payments.record(invoice_id, "1190.00", payment_id="bank-1")
    report = billing._due.perform(planned)
    assert report.done == ()
    assert {e.reason for e in report.skipped} == {"paid"}
    assert books.invoices.get(invoice_id).status is ik.Status.PAID
    assert reminder_steps(mail) == []
    assert len(books.invoices.list()) == 1


def test_naive_now_is_a_validation_error(setup: tuple) -> None:  # type: ignore[type-arg]
    billing = setup[0]
    with pytest.raises(ik.ValidationError, match="now"):
        billing.run_due(datetime(2026, 3, 20).replace(tzinfo=None))  # noqa: DTZ001


def test_a_customer_override_changes_the_sellers_steps(setup: tuple) -> None:  # type: ignore[type-arg]
    billing, mail, _, seller_id, invoice_id = setup
    books = billing.seller(seller_id)
    customer_id = books.invoices.get(invoice_id).customer_id
    books.customers.update(customer_id, dunning=PolicyOverride(steps=[Step(days=1, name="nudge")]))
    billing.run_due(at(17))
    billing.run_due(at(24))
    assert reminder_steps(mail) == ["nudge"]


def test_policies_are_stored_on_the_seller_and_customer(tmp_path: Path) -> None:
    clock = FixedClock(ISSUED)
    with ik.Billing.sqlite(tmp_path / "books.db", clock=clock) as billing:
        seller = billing.sellers.create(
            name="Northwind", country="DE", currency="EUR", dunning=POLICY
        )
        override = PolicyOverride(channels=["sms", "email"], skip_weekends=True)
        customer = billing.seller(seller.id).customers.create(
            "Globex", email="ap@globex.example", dunning=override
        )
    with ik.Billing.sqlite(tmp_path / "books.db", clock=clock) as billing:
        assert billing.sellers.get(seller.id).dunning == POLICY
        assert billing.seller(seller.id).customers.get(customer.id).dunning == override


def test_a_bad_policy_setting_names_the_field(setup: tuple) -> None:  # type: ignore[type-arg]
    billing, _, _, seller_id, _ = setup
    with pytest.raises(ik.ValidationError, match="dunning"):
        billing.sellers.update(seller_id, dunning="weekly")


def test_run_due_generates_recurring_invoices_first_then_chases_them(tmp_path: Path) -> None:
    clock = FixedClock(datetime(2026, 1, 1, 8, tzinfo=UTC))
    mail = MemoryNotifier(channel="email")
    billing = open_billing("sqlite", tmp_path, mail, clock)
    seller = billing.sellers.create(name="Northwind", country="DE", currency="EUR", dunning=POLICY)
    books = billing.seller(seller.id)
    globex = books.customers.create("Globex", email="ap@globex.example")
    books.recurring.create(
        globex.id,
        schedule=ik.Schedule.monthly(date(2026, 1, 1), "UTC"),
        lines=[LINE],
        terms=ik.NetDays(14),
    )
    dry = billing.run_due(dry_run=True)
    assert [(e.action, e.outcome, e.step) for e in dry.entries] == [
        ("generate", "planned", "period 0")
    ]
    assert books.invoices.list() == []
    first = billing.run_due()
    assert [(e.action, e.step) for e in first.done] == [("generate", "period 0")]
    assert billing.run_due().done == ()
    clock.set(datetime(2026, 1, 18, 10, tzinfo=UTC))  # d+3 of January's invoice
    report = billing.run_due()
    assert [(e.action, e.step) for e in report.done] == [
        ("mark_overdue", None),
        ("reminder", "d+3"),
    ]


def test_open_invoices_are_read_a_page_at_a_time(
    setup: tuple,  # type: ignore[type-arg]
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    billing, mail, _, seller_id, first_id = setup
    books = billing.seller(seller_id)
    customer_id = books.invoices.get(first_id).customer_id
    for _ in range(6):
        draft = books.invoices.draft(customer_id, lines=[LINE], terms=ik.NetDays(14))
        books.invoices.issue(draft.id)
    monkeypatch.setattr(due_snapshot, "PAGE", 3)
    report = billing.run_due(at(20))
    assert len([e for e in report.done if e.action == "mark_overdue"]) == 7
    assert len(reminder_steps(mail)) == 7


def test_interest_is_computed_day_exact_and_stated_on_the_reminder(tmp_path: Path) -> None:
    """Mode interest: no invoice; the d+7 reminder states balance x rate x days / 365, once."""
    mail = MemoryNotifier(channel="email")
    clock = FixedClock(ISSUED)
    billing = ik.Billing.sqlite(tmp_path / "books.db", clock=clock, notifiers=[mail])
    fee = LateFee(annual_rate="8", mode=LateFeeMode.INTEREST)
    policy = DunningPolicy(steps=[Step(days=7, late_fee=fee)], skip_weekends=False)
    seller = billing.sellers.create(name="Northwind", country="DE", currency="EUR", dunning=policy)
    books = billing.seller(seller.id)
    globex = books.customers.create("Globex", email="ap@globex.example", channels=["email"])
    invoice = books.invoices.issue(books.invoices.draft(globex.id, lines=[LINE]).id)
    due = books.invoices.get(invoice.id).due_date
    assert due is not None
    clock.set(datetime(due.year, due.month, due.day, 10, tzinfo=UTC) + timedelta(days=10))  # d+10
    report = billing.run_due()
    assert [(e.action, e.outcome) for e in report.entries if e.action != "mark_overdue"] == [
        ("late_fee", "done"),
        ("reminder", "done"),
    ]
    assert billing.run_due().done == ()
    [reminder] = [m for m in mail.sent if m.kind == "reminder"]
    # 1,190.00 x 8 % x 10 / 365 = 2.6082... -> 2.61 (half up, once)
    stated = "Late payment interest: \u20ac1,190.00 x 8 % x 10 days / 365 = \u20ac2.61."
    assert stated in " ".join(reminder.text.split())  # the text wraps its lines
    assert "x 10 days / 365 = \u20ac2.61" in (reminder.html or "")
    assert [i.id for i in books.invoices.list()] == [invoice.id]  # no fee invoice
    billing.close()


def test_a_late_fee_invoice_is_reminded_of_but_never_charged_a_fee_itself(setup: tuple) -> None:  # type: ignore[type-arg]
    billing, _, clock, seller_id, invoice_id = setup
    books = billing.seller(seller_id)
    start = at(2)
    for day in range(75):  # past the fee invoice's own d+7 and d+14
        clock.set(start + timedelta(days=day))
        billing.run_due()
    fees = [i for i in books.invoices.list() if i.id != invoice_id]
    assert [f.amount_due for f in fees] == [Decimal("40.00")]
    assert fees[0].status is ik.Status.OVERDUE  # chased like any invoice, with no fee of its own


def test_an_invoice_found_claimed_is_left_whole_to_its_holder(
    setup: tuple,  # type: ignore[type-arg]
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """T26: a worker that finds the invoice held at the fee skips its later steps too.

    Skipping only the fee would let this worker remind while the holder (between its steps)
    skips the fee in turn: every worker could pass the fee over. The holder does them all.
    """
    billing, mail, _clock, _seller_id, _invoice_id = setup
    real = run_due_module._claim
    calls: list[str] = []

    def held_at_the_fee(tx: object, seller: str, invoice: str) -> object:
        calls.append(invoice)
        return None if len(calls) == 2 else real(tx, seller, invoice)  # type: ignore[arg-type]

    monkeypatch.setattr(run_due_module, "_claim", held_at_the_fee)
    report = billing.run_due(at(24))
    assert [(e.action, e.outcome, e.reason) for e in report.entries] == [
        ("mark_overdue", "done", None),
        ("late_fee", "skipped", "claimed by another worker"),
        ("reminder", "skipped", "claimed by another worker"),
    ]
    assert len(calls) == 2  # the reminder was not tried behind the holder's back
    assert mail.sent == []
    monkeypatch.setattr(run_due_module, "_claim", real)
    done = billing.run_due(at(24)).done
    assert [(e.action, e.step) for e in done] == [("late_fee", "d+7"), ("reminder", "d+7")]
