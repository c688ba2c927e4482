"""``billing.on``: handlers called at least once per event, in order per invoice, from a cursor.

On the memory store and SQLite: names and facts of the notices, patterns, a handler
registered late starting after what is stored, retries with backoff, parking that
does not block the others, resuming, run_due's reminders and overdue marking
reaching handlers, and outbox records of earlier versions still loading.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

import invoicekit as ik
from invoicekit.domain import events as ev
from invoicekit.domain.dunning import DunningPolicy, Step
from invoicekit.ports import OutboxRecord
from invoicekit.services.event_notices import EVENT_TYPES
from invoicekit.testing import FixedClock, MemoryNotifier, MemoryRenderer

ISSUED = datetime(2026, 3, 2, 9, tzinfo=UTC)
LINE = ik.Line("Retainer", quantity=Decimal(1), unit_price=Decimal("1000.00"), tax=ik.Vat("19"))


@pytest.fixture(params=["memory", "sqlite"])
def kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def open_billing(kind: str, tmp_path: Path, clock: FixedClock, **more: Any) -> ik.Billing:
    mail = MemoryNotifier(channel="email")
    options: dict[str, Any] = {
        "clock": clock,
        "notifiers": [mail],
        "renderer": MemoryRenderer(),
        **more,
    }
    if kind == "memory":
        return ik.Billing.in_memory(**options)
    return ik.Billing.sqlite(tmp_path / "books.db", **options)


def setup_books(billing: ik.Billing, **seller: Any) -> tuple[ik.SellerBooks, str]:
    created = billing.sellers.create(name="Northwind", country="DE", currency="EUR", **seller)
    books = billing.seller(created.id)
    customer = books.customers.create("Globex", email="ap@globex.example", channels=["email"])
    return books, customer.id


def issue(books: ik.SellerBooks, customer_id: str) -> str:
    draft = books.invoices.draft(customer_id, lines=[LINE], terms=ik.NetDays(14))
    return books.invoices.issue(draft.id).id


def test_every_event_class_has_a_unique_dotted_name() -> None:
    classes = [c for c in vars(ev).values() if isinstance(c, type) and issubclass(c, ev.Event)]
    names = [c.event_type for c in classes if c is not ev.Event]
    assert len(names) == len(set(names))
    assert all(n.count(".") == 1 and n == n.lower() for n in names)
    wanted = {
        "invoice.issued",
        "invoice.sent",
        "invoice.paid",
        "invoice.partially_paid",
        "payment.failed",
        "invoice.overdue",
        "invoice.reminder_sent",
        "payment.receipt_sent",
        "credit_note.issued",
    }
    assert wanted <= EVENT_TYPES
    assert ev.SCHEMA_VERSION == 1
    assert ev.InvoicePaid(invoice_id="i", at=ISSUED).name == "InvoicePaid"  # the outbox kind


def test_handlers_get_each_event_in_order_with_the_invoice_facts(kind: str, tmp_path: Path) -> None:
    clock = FixedClock(ISSUED)
    billing = open_billing(kind, tmp_path, clock)
    books, customer_id = setup_books(billing)
    everything: list[ik.EventNotice] = []
    paid: list[ik.EventNotice] = []
    billing.on("*", everything.append, name="all")
    billing.on("invoice.*", paid.append, name="invoices")
    first = issue(books, customer_id)
    second = issue(books, customer_id)
    books.invoices.send(first)
    books.payments.record(first, Decimal("500.00"), idempotency_key="p-1")
    books.payments.record(second, Decimal("1190.00"), idempotency_key="p-2")
    books.payments.record(first, Decimal("690.00"), idempotency_key="p-3")
    report = billing.dispatch_events()
    assert report.failed == []
    of_first = [n.type for n in everything if n.invoice_id == first]
    assert of_first[:2] == ["invoice.issued", "invoice.sent"]
    assert of_first.index("invoice.partially_paid") < of_first.index("invoice.paid")
    assert "payment.receipt_sent" in of_first
    partly = next(n for n in everything if n.type == "invoice.partially_paid")
    assert (partly.customer_id, partly.status_after, partly.amount_due) == (
        customer_id,
        "partially_paid",
        Decimal("690.00"),
    )
    assert (partly.currency, partly.schema_version, partly.seller_id) == ("EUR", 1, books.seller_id)
    assert isinstance(partly.event, ev.PaymentSucceeded)
    issued = next(n for n in everything if n.type == "invoice.issued")
    assert (issued.status_before, issued.status_after) == ("draft", "pending")
    done = next(n for n in everything if n.type == "invoice.paid" and n.invoice_id == first)
    assert (done.status_before, done.status_after, done.amount_due) == (
        "partially_paid",
        "paid",
        Decimal("0.00"),
    )
    positions = [n.position or 0 for n in everything]
    assert positions == sorted(positions)
    assert {n.type.split(".")[0] for n in paid} == {"invoice"}
    assert billing.dispatch_events().called == 0  # nothing new: nothing called again
    assert [s.name for s in billing.event_handlers()] == ["all", "invoices"]


def test_a_handler_registered_later_starts_after_the_stored_events(
    kind: str, tmp_path: Path
) -> None:
    clock = FixedClock(ISSUED)
    billing = open_billing(kind, tmp_path, clock)
    books, customer_id = setup_books(billing)
    issue(books, customer_id)
    seen: list[str] = []
    billing.on("invoice.issued", lambda n: seen.append(n.invoice_id or ""), name="late")
    later = issue(books, customer_id)
    billing.dispatch_events()
    assert seen == [later]


def test_a_failing_handler_is_retried_then_parked_without_blocking_the_others(
    kind: str, tmp_path: Path
) -> None:
    clock = FixedClock(ISSUED)
    billing = open_billing(kind, tmp_path, clock)
    books, customer_id = setup_books(billing)
    calls: list[str] = []
    healthy: list[str] = []

    def crm(notice: ik.EventNotice) -> None:
        calls.append(notice.id)
        raise RuntimeError("CRM is down")

    billing.on("invoice.issued", crm, name="crm")
    billing.on("invoice.issued", lambda n: healthy.append(n.id), name="audit")
    issue(books, customer_id)
    issue(books, customer_id)
    first = billing.dispatch_events()
    assert first.failed == [("crm", "RuntimeError: CRM is down")]
    assert len(healthy) == 2  # the other handler went on
    waiting = {s.name: s for s in billing.event_handlers()}["crm"]
    assert (waiting.attempts, waiting.parked, waiting.last_error) == (
        1,
        False,
        "RuntimeError: CRM is down",
    )
    assert waiting.next_attempt_at is not None
    assert waiting.next_attempt_at > ISSUED
    billing.dispatch_events()
    assert len(calls) == 1  # backing off: not called again before next_attempt_at
    for _ in range(10):
        clock.advance(hours=7)
        billing.dispatch_events()
    parked = {s.name: s for s in billing.event_handlers()}["crm"]
    assert (parked.parked, parked.attempts) == (True, 8)
    assert (len(calls), len(set(calls))) == (8, 1)  # always the first event, never skipped
    clock.advance(days=1)
    billing.dispatch_events()
    assert len(calls) == 8  # parked: left alone until resumed
    resumed = billing.resume_event_handler("crm")
    assert (resumed.parked, resumed.attempts) == (False, 0)
    billing.dispatch_events()
    assert calls[8] == calls[0]  # the event it failed on, first
    with pytest.raises(ik.NotFoundError):
        billing.resume_event_handler("nobody")


def test_bad_patterns_and_names_are_refused(tmp_path: Path) -> None:
    billing = open_billing("memory", tmp_path, FixedClock(ISSUED))
    for pattern in ("invoice.payed", "nothing.*", "", 3):
        with pytest.raises(ik.ValidationError, match=r"invoice\.paid"):
            billing.on(pattern, print, name="x")  # type: ignore[arg-type]
    with pytest.raises(ik.ValidationError, match="callable"):
        billing.on("*", "not a function", name="x")  # type: ignore[arg-type]
    billing.on("*", print, name="twice")
    with pytest.raises(ik.ConfigurationError, match="twice"):
        billing.on("*", print, name="twice")


def test_run_due_reminders_and_overdue_reach_handlers(kind: str, tmp_path: Path) -> None:
    clock = FixedClock(ISSUED)
    billing = open_billing(kind, tmp_path, clock)
    policy = DunningPolicy(steps=[Step(days=3)], skip_weekends=False)
    books, customer_id = setup_books(billing, dunning=policy)
    invoice_id = issue(books, customer_id)
    seen: list[ik.EventNotice] = []
    billing.on("invoice.*", seen.append, name="dunning")
    clock.set(datetime(2026, 3, 20, 10, tzinfo=UTC))
    billing.run_due()  # dispatches the handlers at its end
    types = [n.type for n in seen]
    assert types == ["invoice.overdue", "invoice.reminder_sent"]
    reminded = seen[1]
    assert isinstance(reminded.event, ev.ReminderSent)
    assert (reminded.event.step, reminded.event.channels) == ("d+3", ("email",))
    assert (reminded.invoice_id, reminded.status_after) == (invoice_id, "overdue")
    billing.run_due()
    assert len(seen) == 2  # once per step


def test_outbox_records_of_earlier_versions_still_load(kind: str, tmp_path: Path) -> None:
    clock = FixedClock(ISSUED)
    billing = open_billing(kind, tmp_path, clock)
    books, _ = setup_books(billing)
    seen: list[ik.EventNotice] = []
    billing.on("invoice.paid", seen.append, name="old")
    old = OutboxRecord(
        key="evt_old",
        seller_id=books.seller_id,
        kind="InvoicePaid",
        payload={"type": "InvoicePaid", "invoice_id": "inv_old", "at": ISSUED.isoformat()},
        created_at=ISSUED,
        invoice_id="inv_old",
    )
    with billing.storage.transaction() as tx:
        tx.outbox.append([old])
    billing.dispatch_events()
    assert [(n.type, n.invoice_id, n.customer_id, n.status_after) for n in seen] == [
        ("invoice.paid", "inv_old", None, None)
    ]
    assert books.events.list(invoice_id="inv_old") == [
        ev.InvoicePaid(invoice_id="inv_old", at=ISSUED)
    ]
    assert clock.now() - ISSUED == timedelta(0)
