"""Automatic collection by ``run_due`` (issue 15 item 5): the sandbox charges a saved card.

Charged at issue or on the due date per seller setting; a failed charge is retried by
the policy's ``retry_days`` and then left to dunning (the failures stay listed); a card
that needs the customer is not retried; nothing is charged for a paid, void or credited
invoice or while a payment is pending; each attempt charges at most once, also when the
provider times out after charging (T29, the in-process half; the kill -9 half is in
test_collection_crash.py).
"""

from __future__ import annotations

import threading
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

import invoicekit as ik
from invoicekit.adapters.payments import SandboxPayments
from invoicekit.domain.collection import SavedPaymentMethod
from invoicekit.domain.dunning import DunningPolicy, Step
from invoicekit.testing import FixedClock, MemoryNotifier, MemoryRenderer
from pg import admin_connect, pg_url, schema_url  # noqa: F401 - pg_url: found by name

ISSUED = datetime(2026, 3, 2, 9, tzinfo=UTC)
LINE = ik.Line("Retainer", quantity=Decimal(1), unit_price=Decimal("100.00"), tax=ik.Vat("19"))
SECRETS = ["whsec_" + "bmV3LXNlY3JldC1uZXctc2VjcmV0LTAx"]
POLICY = DunningPolicy(steps=[Step(days=3)], retry_days=(1, 3), skip_weekends=False)
CONSENT = "Charge this card for my future invoices from Northwind."
DECLINED = "4000000000000002"
NEEDS_ACTION = "4000002760003184"


def at(day: int, hour: int = 10) -> datetime:
    return datetime(2026, 3, day, hour, tzinfo=UTC)


class Books:
    """A seller charging automatically, one customer with a saved sandbox card."""

    def __init__(self, kind: str, tmp: Path, *, card: str, collect_on: str = "on_issue") -> None:
        store, _, url = kind.partition("=")
        self.clock = FixedClock(ISSUED)
        self.sandbox = SandboxPayments(
            base_url="https://shop.example/pay",
            webhook_url="https://shop.example/hooks",
            secrets=SECRETS,
            clock=self.clock,
        )
        options = {
            "clock": self.clock,
            "notifiers": [MemoryNotifier(channel="email")],
            "renderer": MemoryRenderer(),
            "payments": [self.sandbox],
        }
        self.store = store
        if store == "memory":
            self.billing = ik.Billing.in_memory(**options)  # type: ignore[arg-type]
            self.worker = lambda: self.billing
        elif store == "postgresql":
            self.billing = ik.Billing.from_url(url, **options)  # type: ignore[arg-type]
            self.worker = lambda: ik.Billing.from_url(url, **options)  # type: ignore[arg-type]
        else:
            self.billing = ik.Billing.sqlite(tmp / "books.db", **options)  # type: ignore[arg-type]
            self.worker = lambda: ik.Billing.sqlite(tmp / "books.db", **options)  # type: ignore[arg-type]
        seller = self.billing.sellers.create(
            name="Northwind",
            country="DE",
            currency="EUR",
            dunning=POLICY,
            collection="charge_automatically",
            collect_on=collect_on,
        )
        self.books = self.billing.seller(seller.id)
        customer = self.books.customers.create("Globex", email="ap@globex.example")
        method = self.sandbox.save_method(customer.id, consent=CONSENT, card=card)
        self.customer = self.books.customers.save_payment_method(customer.id, method)

    def issue(self) -> ik.Invoice:
        draft = self.books.invoices.draft(self.customer.id, lines=[LINE], terms=ik.NetDays(14))
        return self.books.invoices.issue(draft.id)

    def run(self, now: datetime) -> ik.DueReport:
        self.clock.set(now)
        return self.billing.run_due(now)

    def charges_per_key(self) -> Counter[str]:
        return Counter(c["key"] for c in self.sandbox.charges())


@pytest.fixture(params=["memory", "sqlite", "postgresql"])
def kind(request: pytest.FixtureRequest) -> Iterator[str]:
    """The store: on PostgreSQL a schema of its own (run_due works on every seller it holds)."""
    if request.param != "postgresql":
        yield str(request.param)
        return
    url = request.getfixturevalue("pg_url")
    schema = f"collect_{uuid.uuid4().hex[:12]}"
    with admin_connect(url) as admin:
        admin.execute(f"CREATE SCHEMA {schema}")
    yield f"postgresql={schema_url(url, schema)}"
    with admin_connect(url) as admin:
        admin.execute(f"DROP SCHEMA {schema} CASCADE")


Make = Callable[..., Books]


@pytest.fixture
def make(kind: str, tmp_path: Path) -> Iterator[Make]:
    """Build Books on the store of ``kind``; each is closed after the test."""
    made: list[Books] = []

    def build(**options: str) -> Books:
        made.append(Books(kind, tmp_path, **options))
        return made[-1]

    yield build
    for books in made:
        books.billing.close()


def charge_lines(report: ik.DueReport) -> list[str]:
    return [str(e) for e in report.entries if e.action in {"charge", "retry_collection"}]


def test_charged_at_issue_once_and_paid(make: Make) -> None:
    setup = make(card="4242424242424242")
    invoice = setup.issue()
    report = setup.run(ISSUED)
    assert charge_lines(report) == ["done charge: charged 119.00 EUR to visa ending 4242"]
    assert setup.run(ISSUED).entries == ()  # paid: nothing left, nothing charged again
    paid = setup.books.invoices.get(invoice.id)
    assert paid.status is ik.Status.PAID
    assert [p.method for p in paid.payments] == ["sandbox"]
    assert setup.charges_per_key() == {f"collect:{invoice.id}:0": 1}


def test_on_due_date_waits_for_the_due_date(make: Make) -> None:
    setup = make(card="4242424242424242", collect_on="on_due_date")
    invoice = setup.issue()
    assert charge_lines(setup.run(at(15, 22))) == []
    assert charge_lines(setup.run(at(16, 1))) == [
        "done charge: charged 119.00 EUR to visa ending 4242"
    ]
    assert setup.books.invoices.get(invoice.id).status is ik.Status.PAID


def test_declined_is_retried_by_policy_then_left_to_dunning(make: Make) -> None:
    setup = make(card=DECLINED)
    invoice = setup.issue()
    first = charge_lines(setup.run(ISSUED))
    declined = (
        "done charge: charge of 119.00 EUR to visa ending 0002 failed "
        "(card_declined: The card was declined.); retried by the policy"
    )
    assert first == [declined]
    actions = []
    for day in range(2, 25):
        actions += [(day, e.action) for e in setup.run(at(day)).done]
    # retries 1 and 3 days after the first failure, then only dunning: overdue and d+3
    assert actions == [
        (3, "retry_collection"),
        (5, "retry_collection"),
        (17, "mark_overdue"),
        (19, "reminder"),
    ]
    after = setup.books.invoices.get(invoice.id)
    assert after.status is ik.Status.OVERDUE  # overdue wins for dunning
    assert [f.code for f in after.failures] == ["card_declined"] * 3  # the attempts stay listed
    assert set(setup.charges_per_key().values()) == {1}


def test_card_needing_the_customer_is_not_retried(make: Make) -> None:
    setup = make(card=NEEDS_ACTION)
    invoice = setup.issue()
    (line,) = charge_lines(setup.run(ISSUED))
    assert "authentication_required" in line
    assert "the customer must act" in line
    for day in range(3, 10):
        assert charge_lines(setup.run(at(day))) == []
    assert len(setup.books.invoices.get(invoice.id).failures) == 1


def test_nothing_charged_for_void_paid_or_pending(make: Make) -> None:
    setup = make(card="4242424242424242")
    void = setup.issue()
    setup.books.invoices.void(void.id, reason="sent by mistake")
    paid = setup.issue()
    setup.books.payments.record(paid.id, paid.amount_due)
    pending = setup.issue()
    setup.books.payments.record(pending.id, pending.amount_due, pending=True)
    report = setup.run(ISSUED)
    assert charge_lines(report) == []
    assert [str(s) for s in report.skipped if s.subject_id == pending.id] == [
        "skipped skip: in_flight: charge"
    ]
    assert setup.sandbox.charges() == []


def test_timeout_after_charging_charges_once(make: Make) -> None:
    """T29: the provider charged and then timed out; the next run gets the same charge back."""
    setup = make(card="4242424242424242")
    invoice = setup.issue()
    setup.sandbox.timeouts_after_charge = 1
    (line,) = charge_lines(setup.run(ISSUED))
    assert "the next run asks again, same key" in line
    assert setup.books.invoices.get(invoice.id).status is ik.Status.PENDING
    assert charge_lines(setup.run(ISSUED)) == [
        "done charge: charged 119.00 EUR to visa ending 4242"
    ]
    assert setup.books.invoices.get(invoice.id).status is ik.Status.PAID
    assert setup.charges_per_key() == {f"collect:{invoice.id}:0": 1}


def test_dry_run_plans_the_charge_and_charges_nothing(make: Make) -> None:
    setup = make(card="4242424242424242")
    setup.issue()
    report = setup.billing.run_due(ISSUED, dry_run=True)
    assert [str(e) for e in report.entries] == ["planned charge"]
    assert setup.sandbox.charges() == []


def test_send_invoice_sellers_and_removed_methods_are_not_charged(make: Make) -> None:
    setup = make(card="4242424242424242")
    setup.books.customers.remove_payment_method(setup.customer.id)
    setup.issue()
    assert charge_lines(setup.run(ISSUED)) == []
    assert setup.sandbox.charges() == []


def test_saved_method_is_stored_and_checked(make: Make) -> None:
    setup = make(card="4242424242424242")
    stored = setup.books.customers.get(setup.customer.id).payment_method
    assert stored is not None
    assert (stored.provider, stored.last4, stored.consent) == ("sandbox", "4242", CONSENT)
    with pytest.raises(ik.ValidationError, match=r"last4.*four digits"):
        SavedPaymentMethod(
            provider="sandbox",
            reference="sbx_pm_1",
            consent=CONSENT,
            consented_at=ISSUED,
            last4="4242424242424242",
        )
    with pytest.raises(ik.ValidationError, match=r"collection.*charge_automatically"):
        setup.billing.sellers.update(setup.books.seller_id, collection="always")
    with pytest.raises(ik.ValidationError, match=r"collect_on.*on_due_date"):
        setup.billing.sellers.create(
            name="Acme", country="DE", currency="EUR", collect_on="tomorrow"
        )
    with pytest.raises(ik.ValidationError, match="method"):
        setup.books.customers.save_payment_method(setup.customer.id, "pm_123")  # type: ignore[arg-type]


def test_the_invoice_keeps_no_saved_method_in_its_customer_snapshot(make: Make) -> None:
    setup = make(card="4242424242424242")
    invoice = setup.issue()
    assert invoice.customer is not None
    assert invoice.customer.payment_method is None
    assert setup.books.customers.get(setup.customer.id).payment_method is not None


def test_workers_at_once_charge_each_attempt_once(make: Make) -> None:
    """Four workers (own connections; the same Billing on the memory store) run at once."""
    setup = make(card="4242424242424242")
    invoices = [setup.issue().id for _ in range(6)]
    workers = [setup.worker() for _ in range(4)]
    start = threading.Barrier(len(workers))
    errors: list[BaseException] = []

    def work(billing: ik.Billing) -> None:
        try:
            start.wait()
            billing.run_due(ISSUED)
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(w,)) for w in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    for worker in workers:
        if worker is not setup.billing:
            worker.close()

    assert errors == []
    assert setup.charges_per_key() == {f"collect:{i}:0": 1 for i in invoices}
    for invoice_id in invoices:
        invoice = setup.books.invoices.get(invoice_id)
        assert (invoice.status, len(invoice.payments)) == (ik.Status.PAID, 1)
