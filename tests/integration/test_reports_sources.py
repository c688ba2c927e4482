"""MRR from recurring templates, the attention list with reminders, and the migrations' backfill.

MRR normalises each active template's net amount to a month (weekly × 52 ÷ 12,
quarterly ÷ 3, yearly ÷ 12) and takes further sources (subscriptions) from
``billing.mrr_sources``. Stores that had invoices before the reports existed
(SQLite schema 8, Alembic 0009) get their entries computed from the stored
documents when they are upgraded.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Final

import sqlalchemy as sa

import invoicekit as ik
from invoicekit.repositories import Transaction
from invoicekit.testing import FixedClock
from pg import pg_url  # noqa: F401 - the fixture

D = Decimal
START = datetime(2026, 1, 5, 9, tzinfo=UTC)

#: The tables added after SQLite schema 8 and Alembic 0009: a store taken back to either has none.
_NEWER_TABLES: Final = (
    "report_entries",
    "summary_clients",
    "summary_days",
    "summary_parts",
    "customer_coupons",
)


def _line(price: str) -> ik.Line:
    return ik.Line("Retainer", quantity="1", unit_price=price, tax=ik.Vat("19"))


class _Subscriptions:
    """A second MRR source, as the subscriptions team will add one."""

    def mrr(self, tx: Transaction, seller_id: str, today: date) -> dict[str, Decimal]:
        assert tx.sellers.get(seller_id).id == seller_id
        return {"EUR": D("10.00"), "USD": D("3.333")}


def test_mrr_normalises_each_template_and_adds_every_source() -> None:
    billing = ik.Billing.in_memory(clock=FixedClock(START))
    books = billing.seller(billing.sellers.create(name="N", country="DE", currency="EUR").id)
    client = books.customers.create("Client", email="c@c.example")
    day = START.date()
    zone = "Europe/Berlin"
    books.recurring.create(
        client.id, schedule=ik.Schedule.monthly(day, zone), lines=[_line("100.00")]
    )
    books.recurring.create(
        client.id, schedule=ik.Schedule.yearly(day, zone), lines=[_line("1200.00")]
    )
    books.recurring.create(
        client.id, schedule=ik.Schedule.quarterly(day, zone), lines=[_line("300.00")]
    )
    books.recurring.create(
        client.id, schedule=ik.Schedule.weekly(day, zone), lines=[_line("12.00")]
    )
    later = ik.Schedule.monthly(day + timedelta(days=400), zone)
    books.recurring.create(client.id, schedule=later, lines=[_line("999.00")])  # not started
    # 100 + 1200/12 + 300/3 + 12 × 52 / 12 = 352.00 (without VAT)
    assert books.reports.mrr() == {"EUR": D("352.00")}
    billing.mrr_sources.append(_Subscriptions())
    assert books.reports.mrr() == {"EUR": D("362.00"), "USD": D("3.33")}


def test_attention_names_the_last_reminder_and_the_next_step() -> None:
    clock = FixedClock(START)
    billing = ik.Billing.in_memory(clock=clock)
    policy = ik.DunningPolicy(steps=[ik.Step(days=3), ik.Step(days=10)], skip_weekends=False)
    seller = billing.sellers.create(
        name="N", country="DE", currency="EUR", terms=ik.NetDays(14), dunning=policy
    )
    books = billing.seller(seller.id)
    client = books.customers.create("Client", email="c@c.example")
    invoice = books.invoices.issue(books.invoices.draft(client.id, lines=[_line("100.00")]).id)
    books.payments.record_failure(invoice.id, reason="card declined")
    clock.advance(timedelta(days=19))
    billing.run_due()
    items = books.reports.attention()
    [overdue] = [i for i in items if i.kind == "overdue"]
    assert overdue.days_overdue == 5
    assert overdue.next_step is not None
    assert invoice.due_date is not None
    [failed] = [i for i in items if i.kind == "failed_payment"]
    assert (failed.invoice_id, failed.detail) == (invoice.id, "card declined")
    steps = [s.name for s in policy.steps]
    assert overdue.next_step in steps
    assert overdue.next_step_on in {invoice.due_date + timedelta(days=s.days) for s in policy.steps}


def _books(billing: ik.Billing, clock: FixedClock) -> ik.SellerBooks:
    books = billing.seller(billing.sellers.create(name="N", country="DE", currency="EUR").id)
    client = books.customers.create("Client", email="c@c.example")
    first = books.invoices.issue(books.invoices.draft(client.id, lines=[_line("100.00")]).id)
    books.invoices.issue(books.invoices.draft(client.id, lines=[_line("50.00")]).id)
    books.payments.record(first.id, "200.00")
    clock.advance(timedelta(days=40))
    return books


def test_an_sqlite_file_of_schema_8_gets_the_entries_of_its_invoices(tmp_path: Path) -> None:
    path = tmp_path / "books.sqlite"
    clock = FixedClock(START)
    with ik.Billing.sqlite(path, clock=clock) as billing:
        books = _books(billing, clock)
        before = books.reports.receivables()
    with sqlite3.connect(path) as conn:  # as a file written before the reports existed
        for table in _NEWER_TABLES:
            conn.execute(f"DROP TABLE {table}")
        conn.execute("UPDATE meta SET value = '8' WHERE key = 'schema_version'")
    conn.close()
    with ik.Billing.sqlite(path, clock=clock) as billing:
        after = billing.seller(books.seller_id).reports.receivables()
    assert after == before
    assert after.open == {"EUR": D("59.50")}
    assert after.customer_credit == {"EUR": D("81.00")}


def test_a_database_at_alembic_0009_gets_the_entries_of_its_invoices(
    pg_url: str,  # noqa: F811 - the fixture imported above
) -> None:
    clock = FixedClock(START)
    with ik.Billing.from_url(pg_url, clock=clock) as billing:
        books = _books(billing, clock)
        before = books.reports.receivables()
    engine = sa.create_engine(pg_url)
    try:
        with engine.begin() as conn:
            for table in _NEWER_TABLES:
                conn.execute(sa.text(f"DROP TABLE {table}"))
            conn.execute(sa.text("UPDATE invoicekit_alembic_version SET version_num = '0009'"))
    finally:
        engine.dispose()
    with ik.Billing.from_url(pg_url, clock=clock) as billing:
        after = billing.seller(books.seller_id).reports.receivables()
    assert after == before
    assert after.open.get("EUR") is not None


def test_mrr_counts_the_fixed_and_seat_prices_of_billing_subscriptions() -> None:
    clock = FixedClock(START)
    billing = ik.Billing.in_memory(clock=clock)
    books = billing.seller(billing.sellers.create(name="N", country="DE", currency="EUR").id)
    vat = ik.Vat("19")

    def price(price_id: str, kind: str, amount: str, **more: object) -> dict[str, object]:
        return {"id": price_id, "description": price_id, "currency": "EUR", "kind": kind,
                "unit_amount": amount, "tax": vat, **more}  # fmt: skip

    books.plans.create("Yearly", frequency="yearly", id="yearly",
                       prices=[price("base", "fixed", "1200.00")])  # fmt: skip
    books.plans.create("Team", frequency="monthly", id="team", prices=[
        price("team", "fixed", "30.00"), price("seats", "seats", "10.00"),
        price("calls", "metered", "0.01", meter="api_calls"),
    ])  # fmt: skip
    ids = [books.customers.create(f"Client {n}", email=f"c{n}@c.example").id for n in range(4)]
    books.subscriptions.create(ids[0], plan_id="yearly")
    books.subscriptions.create(ids[1], plan_id="team", quantities={"seats": 3})
    books.subscriptions.create(ids[2], plan_id="team", trial_days=14)  # in its trial: none
    gone = books.subscriptions.create(ids[3], plan_id="team")
    books.subscriptions.cancel(gone.id)
    # 1200 / 12 + 30 + 3 × 10 = 160.00; metered prices, trials and cancelled ones add nothing
    assert books.reports.mrr() == {"EUR": D("160.00")}


def test_the_live_list_names_the_same_last_reminder_as_the_reports() -> None:
    """A payment-failed notice or a receipt is no reminder, on the live page as in the reports."""
    from invoicekit.services.live_summary import LiveSummaries
    from invoicekit.testing.fakes import MemoryNotifier

    clock = FixedClock(START)
    billing = ik.Billing.in_memory(clock=clock, notifiers=[MemoryNotifier()])
    policy = ik.DunningPolicy(steps=[ik.Step(days=3), ik.Step(days=10)], skip_weekends=False)
    seller = billing.sellers.create(
        name="N", country="DE", currency="EUR", terms=ik.NetDays(14), dunning=policy
    )
    books = billing.seller(seller.id)
    client = books.customers.create("Client", email="c@c.example")
    invoice = books.invoices.issue(books.invoices.draft(client.id, lines=[_line("100.00")]).id)
    books.payments.record(invoice.id, "19.00")
    books.payments.record_failure(invoice.id, reason="card declined")
    clock.advance(timedelta(days=16))  # overdue, before the first reminder
    billing.run_due()
    billing.dispatch()
    sent = {m.kind for m in books.messages.list(limit=100) if m.sent_at is not None}
    assert {"receipt", "payment_failed"} & sent, sent

    def overdue(items: list[ik.AttentionItem]) -> tuple[object, ...]:
        [item] = [i for i in items if i.kind == "overdue"]
        return item.last_reminder, item.last_reminder_at, item.next_step

    live = LiveSummaries(billing.storage, clock, seller.id).attention()
    assert overdue(live) == overdue(books.reports.attention()) == (None, None, "d+3")
