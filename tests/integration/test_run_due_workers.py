"""T26 (run_due part): 8 run_due at once on one store send each (invoice, step) once, and nothing
after payment; each (invoice, late-fee step) is one invoice, decided with the invoice claimed.
SQLite (one writer at a time) and PostgreSQL."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import attrs
import pytest

import invoicekit as ik
from invoicekit.domain.dunning import DunningPolicy, LateFee, Step
from invoicekit.ports import Delivery, OutgoingMessage
from invoicekit.testing import FixedClock, MemoryRenderer
from pg import admin_connect, pg_url, schema_url  # noqa: F401

WORKERS = 8
INVOICES = 12
ISSUED = datetime(2026, 3, 2, 9, tzinfo=UTC)
LINE = ik.Line("Retainer", quantity=Decimal(1), unit_price=Decimal("500.00"), tax=ik.Vat("19"))
POLICY = DunningPolicy(
    steps=[
        Step(days=3),
        Step(days=7, late_fee=LateFee(fixed={"EUR": "40.00"})),
        Step(days=14, kind="final_notice"),
    ],
    skip_weekends=False,
)


@attrs.define
class CountingNotifier:
    """Counts every send, duplicates included (the store's key is what must stop them)."""

    channel: str = "email"
    sent: Counter[str] = attrs.Factory(Counter)
    lock: threading.Lock = attrs.Factory(threading.Lock)

    def send(self, message: OutgoingMessage) -> Delivery:
        with self.lock:
            self.sent[f"{message.seller_id}/{message.key}"] += 1
        return Delivery(message.key, message.channel, ISSUED, provider_id=message.key)


def open_billing(url: str, mail: CountingNotifier, clock: FixedClock) -> ik.Billing:
    return ik.Billing.from_url(url, clock=clock, notifiers=[mail], renderer=MemoryRenderer())


def race(url: str, mail: CountingNotifier, now: datetime) -> list[BaseException]:
    """Run run_due(now) from WORKERS Billing objects (own connections) at once."""
    errors: list[BaseException] = []
    start = threading.Barrier(WORKERS)

    def work() -> None:
        billing = open_billing(url, mail, FixedClock(now))
        try:
            start.wait()
            billing.run_due(now)
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            errors.append(exc)
        finally:
            billing.close()

    threads = [threading.Thread(target=work) for _ in range(WORKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


def reminders(mail: CountingNotifier) -> Counter[str]:
    return Counter(
        {k: n for k, n in mail.sent.items() if ":reminder:" in k or ":final_notice:" in k}
    )


def check_workers(url: str) -> None:
    mail = CountingNotifier()
    with open_billing(url, mail, FixedClock(ISSUED)) as billing:
        seller = billing.sellers.create(
            name="Northwind", country="DE", currency="EUR", dunning=POLICY
        )
        books = billing.seller(seller.id)
        globex = books.customers.create("Globex", email="ap@globex.example")
        ids = [
            books.invoices.issue(
                books.invoices.draft(globex.id, lines=[LINE], terms=ik.NetDays(14)).id
            ).id
            for _ in range(INVOICES)
        ]
    assert race(url, mail, datetime(2026, 3, 24, 10, tzinfo=UTC)) == []
    sent = reminders(mail)
    assert len(sent) == INVOICES  # d+7 for each
    assert max(sent.values()) == 1  # 0 duplicates
    with open_billing(url, mail, FixedClock(ISSUED)) as billing:
        books = billing.seller(seller.id)
        fees = [i for i in books.invoices.list(limit=1000) if i.id not in ids]
        assert Counter(f.metadata["late_fee_for"] for f in fees) == dict.fromkeys(ids, 1)
        assert {books.invoices.get(i).status for i in ids} == {ik.Status.OVERDUE}
        for n, invoice_id in enumerate(ids):
            books.payments.record(invoice_id, "595.00", payment_id=f"bank-{n}")
    before = reminders(mail)
    assert race(url, mail, datetime(2026, 3, 31, 10, tzinfo=UTC)) == []
    after = reminders(mail) - before
    assert {k.split(":")[0].split("/")[1] for k in after} <= {f.id for f in fees}  # 0 after payment
    assert max(reminders(mail).values()) == 1


def test_eight_workers_on_sqlite(tmp_path: Path) -> None:
    check_workers(f"sqlite:///{tmp_path / 'books.db'}")


@pytest.fixture
def due_schema(pg_url: str) -> Iterator[str]:  # noqa: F811
    with admin_connect(pg_url) as admin:
        admin.execute("CREATE SCHEMA run_due_workers")
    yield schema_url(pg_url, "run_due_workers")
    with admin_connect(pg_url) as admin:
        admin.execute("DROP SCHEMA run_due_workers CASCADE")


def test_eight_workers_on_postgresql(due_schema: str) -> None:
    check_workers(due_schema)


def test_a_step_passes_over_an_invoice_another_worker_holds_on_postgresql(due_schema: str) -> None:
    """FOR UPDATE SKIP LOCKED: while one transaction holds the invoice, run_due leaves it alone."""
    mail = CountingNotifier()
    holder = open_billing(due_schema, mail, FixedClock(ISSUED))
    seller = holder.sellers.create(name="Northwind", country="DE", currency="EUR", dunning=POLICY)
    books = holder.seller(seller.id)
    globex = books.customers.create("Globex", email="ap@globex.example")
    draft = books.invoices.draft(globex.id, lines=[LINE], terms=ik.NetDays(14))
    invoice = books.invoices.issue(draft.id)
    worker = open_billing(due_schema, mail, FixedClock(ISSUED))
    now = datetime(2026, 3, 19, 10, tzinfo=UTC)
    try:
        with holder.storage.transaction() as tx:
            tx.invoices.get(seller.id, invoice.id, for_update=True)  # held, as by a slow worker
            report = worker.run_due(now)
            assert {e.reason for e in report.skipped} == {"claimed by another worker"}
            assert report.done == ()
        report = worker.run_due(now)
        assert [(e.action, e.step) for e in report.done] == [
            ("mark_overdue", None),
            ("reminder", "d+3"),
        ]
    finally:
        holder.close()
        worker.close()


def test_a_late_fee_waits_for_the_invoice_another_worker_holds_on_postgresql(
    due_schema: str,
) -> None:
    """The fee is decided under the invoice's claim: held elsewhere, no fee is added meanwhile."""
    mail = CountingNotifier()
    holder = open_billing(due_schema, mail, FixedClock(ISSUED))
    seller = holder.sellers.create(name="Northwind", country="DE", currency="EUR", dunning=POLICY)
    books = holder.seller(seller.id)
    globex = books.customers.create("Globex", email="ap@globex.example")
    draft = books.invoices.draft(globex.id, lines=[LINE], terms=ik.NetDays(14))
    invoice = books.invoices.issue(draft.id)
    worker = open_billing(due_schema, mail, FixedClock(ISSUED))
    now = datetime(2026, 3, 24, 10, tzinfo=UTC)  # d+7: the step with the fee
    try:
        with holder.storage.transaction() as tx:
            tx.invoices.get(seller.id, invoice.id, for_update=True)  # held, as by a slow worker
            report = worker.run_due(now)
            fee = [e for e in report.entries if e.action == "late_fee"]
            assert [(e.outcome, e.reason) for e in fee] == [
                ("skipped", "claimed by another worker")
            ]
        assert len(books.invoices.list(limit=10)) == 1  # no fee while held
        report = worker.run_due(now)
        [fee_entry] = [e for e in report.done if e.action == "late_fee"]
        assert worker.run_due(now).done == ()
        fees = [i for i in books.invoices.list(limit=10) if i.id != invoice.id]
        assert [f.id for f in fees] == list(fee_entry.made)
    finally:
        holder.close()
        worker.close()
