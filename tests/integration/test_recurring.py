"""Recurring invoices through the facade, on memory and SQLite (issue 15, T25 generation)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

import invoicekit as ik
from billing_fixtures import (  # noqa: F401 - fixtures are found by their registered names
    billing_fixture,
    line,
    make_billing_fixture,
    storage_kind_fixture,
)
from invoicekit.testing import FixedClock

JAN_1: datetime = datetime(2026, 1, 1, 8, tzinfo=UTC)


def _agency(billing: ik.Billing) -> tuple[ik.SellerBooks, str]:
    seller = billing.sellers.create(
        name="Northwind",
        country="DE",
        currency="EUR",
        timezone="Europe/Berlin",
        send_on_issue=True,
    )
    books = billing.seller(seller.id)
    globex = books.customers.create("Globex", email="ap@globex.example")
    return books, globex.id


def _monthly(books: ik.SellerBooks, customer_id: str, **fields: object) -> ik.RecurringTemplate:
    return books.recurring.create(
        customer_id,
        schedule=ik.Schedule.monthly(date(2026, 1, 1), "Europe/Berlin"),
        lines=[line("1500.00", description="Retainer {month_name} {year}")],
        terms=ik.NetDays(14),
        **fields,  # type: ignore[arg-type]
    )


@pytest.fixture(name="clock")
def _clock() -> FixedClock:
    return FixedClock(JAN_1)


def test_fourteen_months_give_fourteen_invoices(billing: ik.Billing, clock: FixedClock) -> None:
    books, globex = _agency(billing)
    template = _monthly(books, globex)
    for month in range(14):
        clock.set(datetime(2026 + month // 12, month % 12 + 1, 1, 8, tzinfo=UTC))
        report = books.recurring.generate_due()
        assert len(report.generated) == 1
        assert report.issued == (report.generated[0].invoice_id,)
    invoices = books.invoices.list(customer_id=globex, limit=100)
    assert len(invoices) == 14
    assert {inv.status for inv in invoices} == {ik.Status.PENDING}
    by_start = sorted(invoices, key=lambda inv: inv.lines[0].period.start)  # type: ignore[union-attr]
    first, last = by_start[0], by_start[-1]
    assert first.lines[0].description == "Retainer January 2026"
    assert first.lines[0].period == ik.ServicePeriod(date(2026, 1, 1), date(2026, 1, 31))
    assert last.lines[0].description == "Retainer February 2027"
    assert first.due_date == date(2026, 1, 15)
    assert first.amount_due == Decimal("1785.00")
    assert len({inv.number for inv in invoices}) == 14
    assert books.recurring.generate_due().generated == ()
    assert books.recurring.progress(template.id).last_index == 13


def test_template_ending_after_three_occurrences_stops(
    billing: ik.Billing, clock: FixedClock
) -> None:
    books, globex = _agency(billing)
    _monthly(books, globex, count=3)
    clock.set(datetime(2026, 12, 1, 8, tzinfo=UTC))
    report = books.recurring.generate_due()
    assert [g.period_index for g in report.generated] == [0, 1, 2]
    assert len(books.invoices.list(customer_id=globex)) == 3


def test_catch_up_after_an_outage_bills_each_missed_period_once(
    billing: ik.Billing, clock: FixedClock
) -> None:
    books, globex = _agency(billing)
    _monthly(books, globex)
    books.recurring.generate_due()
    clock.set(datetime(2026, 5, 2, tzinfo=UTC))  # four months without a run
    dry = billing.recurring_due(dry_run=True)
    assert dry.dry_run
    assert [g.period_index for g in dry.generated] == [1, 2, 3, 4]
    assert len(books.invoices.list(customer_id=globex)) == 1
    report = billing.recurring_due()
    assert [g.period_index for g in report.generated] == [1, 2, 3, 4]
    assert billing.recurring_due().generated == ()
    assert len(books.invoices.list(customer_id=globex)) == 5


def test_draft_mode_pause_resume_and_end(billing: ik.Billing, clock: FixedClock) -> None:
    books, globex = _agency(billing)
    template = _monthly(books, globex, issue_mode="draft")
    books.recurring.generate_due()
    books.recurring.pause(template.id, at=datetime(2026, 1, 15, tzinfo=UTC))
    clock.set(datetime(2026, 3, 10, tzinfo=UTC))
    assert books.recurring.generate_due().generated == ()
    books.recurring.resume(template.id)
    report = books.recurring.generate_due()
    assert [(s.period_index, s.reason) for s in report.skipped] == [(1, "paused"), (2, "paused")]
    clock.set(datetime(2026, 4, 1, 12, tzinfo=UTC))
    ended = books.recurring.end(template.id, at=datetime(2026, 4, 2, tzinfo=UTC))
    assert ended.status is ik.TemplateStatus.ENDED
    clock.set(datetime(2026, 9, 1, tzinfo=UTC))
    report = books.recurring.generate_due()
    assert [g.period_index for g in report.generated] == [3]
    invoices = books.invoices.list(customer_id=globex)
    assert len(invoices) == 2
    assert {i.status for i in invoices} == {ik.Status.DRAFT}
    assert [t.id for t in books.recurring.list(status="ended")] == [template.id]


def test_bad_input_names_the_field(billing: ik.Billing) -> None:
    books, globex = _agency(billing)
    with pytest.raises(ik.ValidationError) as caught:
        books.recurring.create(
            globex,
            schedule="monthly",  # type: ignore[arg-type]
            lines=[line()],
            count=0,
        )
    assert {p.path for p in caught.value.problems} == {"schedule"}
    with pytest.raises(ik.ValidationError) as caught:
        _monthly(books, globex, count=0)
    assert [p.path for p in caught.value.problems] == ["count"]
    with pytest.raises(ik.ValidationError) as caught:
        books.recurring.create(
            globex,
            schedule=ik.Schedule.monthly(date(2026, 1, 1), "Europe/Berlin"),
            lines=[line(description="Retainer {monht}")],
        )
    assert [p.path for p in caught.value.problems] == ["lines[0].description"]
    with pytest.raises(ik.NotFoundError):
        _monthly(books, "cus_nobody")
    assert books.recurring.list() == []


def test_every_bad_argument_is_a_validation_error_naming_it(billing: ik.Billing) -> None:
    books, globex = _agency(billing)
    monthly = ik.Schedule.monthly(date(2026, 1, 1), "Europe/Berlin")
    cases: list[tuple[dict[str, object], str]] = [
        ({"issue_mode": "later"}, "issue_mode"),
        ({"currency": "EURO"}, "currency"),
        ({"start": datetime(2026, 1, 1, tzinfo=UTC)}, "start"),
        ({"end": "2027-01-01"}, "end"),
        ({"end": date(2025, 1, 1)}, "schedule.end"),
        ({"lines": []}, "lines"),
        ({"lines": [{"description": "x", "quantity": 1, "unit_price": 1.5}]}, "lines[0]"),
        ({"memo": "x" * 1001}, "memo"),
        ({"service_periods": "yes"}, "service_periods"),
        ({"id": ""}, "id"),
    ]
    for changes, path in cases:
        kwargs: dict[str, object] = {"schedule": monthly, "lines": [line()], **changes}
        with pytest.raises(ik.ValidationError) as caught:
            books.recurring.create(globex, **kwargs)  # type: ignore[arg-type]
        paths = [p.path for p in caught.value.problems]
        assert any(p.startswith(path) for p in paths), (changes, paths)
    template = _monthly(books, globex)
    naive = datetime(2026, 1, 1)  # noqa: DTZ001 - the bad input under test
    for call, path in [
        (lambda: books.recurring.pause(template.id, at=naive), "at"),
        (lambda: books.recurring.resume(template.id, catch_up=1), "catch_up"),  # type: ignore[arg-type]
        (lambda: books.recurring.generate_due(naive), "now"),
        (lambda: books.recurring.generate_due(dry_run="no"), "dry_run"),  # type: ignore[arg-type]
        (lambda: books.recurring.list(status="stopped"), "status"),
        (lambda: books.recurring.list(limit=0), "limit"),
    ]:
        with pytest.raises(ik.ValidationError) as caught:
            call()
        assert [p.path for p in caught.value.problems] == [path]
    with pytest.raises(ik.NotFoundError):
        books.recurring.get("rec_missing")
    assert books.recurring.list() == [template]


def test_another_sellers_templates_are_never_reached(billing: ik.Billing) -> None:
    books, globex = _agency(billing)
    template = _monthly(books, globex)
    other = billing.seller(billing.sellers.create(name="Initech", country="DE", currency="EUR").id)
    with pytest.raises(ik.NotFoundError):
        other.recurring.get(template.id)
    with pytest.raises(ik.NotFoundError):
        other.recurring.pause(template.id)
    with pytest.raises(ik.NotFoundError):  # the customer is not the other seller's
        _monthly(other, globex)
    assert other.recurring.list() == []
    assert other.recurring.generate_due().generated == ()


def test_a_draft_deleted_by_hand_does_not_block_its_template(
    billing: ik.Billing, clock: FixedClock
) -> None:
    """A draft left to issue (by a run that died) and then deleted counts as handled."""
    import attrs

    books, globex = _agency(billing)
    template = _monthly(books, globex, issue_mode="draft")
    [made] = books.recurring.generate_due().generated
    books.invoices.delete(made.invoice_id)
    with billing.storage.transaction() as tx:  # as a run that died before issuing leaves it
        record = tx.recurring.get(books.seller_id, template.id)
        tx.recurring.save(
            attrs.evolve(record, to_issue=(made.invoice_id,)), expected_version=record.version
        )
    clock.set(datetime(2026, 2, 1, 8, tzinfo=UTC))
    report = billing.run_due()
    [skipped] = [e for e in report.entries if e.outcome == "skipped"]
    assert skipped.subject_id == template.id
    assert "deleted by hand" in (skipped.reason or "")
    [generated] = [e for e in report.entries if e.action == "generate" and e.outcome == "done"]
    assert generated.step == "period 1"
    progress = books.recurring.progress(template.id)
    assert (progress.last_index, progress.to_issue) == (1, ())
    assert billing.run_due().entries == ()  # handled: nothing again


def test_a_deleted_draft_period_is_not_generated_again(
    billing: ik.Billing, clock: FixedClock
) -> None:
    books, globex = _agency(billing)
    template = _monthly(books, globex, issue_mode="draft")
    [made] = books.recurring.generate_due().generated
    books.invoices.delete(made.invoice_id)
    clock.set(datetime(2026, 2, 1, 8, tzinfo=UTC))
    [second] = books.recurring.generate_due().generated
    assert (second.template_id, second.period_index) == (template.id, 1)
