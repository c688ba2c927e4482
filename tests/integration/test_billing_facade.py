"""The ``Billing`` facade end to end, on every storage: numbering, outbox, queries, adapters.

Numbering (I3): gapless per (seller, series) in issue order, drafts never take a
number, a void invoice keeps its number, ``issue_many`` follows the given order and
completes an interrupted run without duplicates or gaps. The outbox (I6, I10): one
record per domain event, in order, written in the change's transaction, so a fault
before commit leaves no trace. Then lookups, list filters, optimistic versions,
payment links, and ``Billing.from_url``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, Final

import pytest

import invoicekit as ik
from billing_fixtures import (  # noqa: F401 - fixtures are found by their registered names
    MakeBilling,
    billing_fixture,
    clock_fixture,
    line,
    make_billing_fixture,
    storage_kind_fixture,
)
from invoicekit.faults import FaultPoints
from invoicekit.ports import Storage, Transaction
from invoicekit.testing import FixedClock, MemoryPayments, MemoryStorage

YEAR: Final = "2026"


class InjectedFaultError(Exception):
    """Raised by an armed fault point."""


class Arm:
    """A fault-point action that raises while armed."""

    def __init__(self) -> None:
        self.armed = False

    def __call__(self) -> None:
        if self.armed:
            raise InjectedFaultError("injected before commit")


def seller_books(billing: ik.Billing, **settings: Any) -> ik.SellerBooks:
    seller = billing.sellers.create(
        name="Northwind", country="DE", currency="EUR", timezone="Europe/Berlin", **settings
    )
    return billing.seller(seller.id)


@pytest.fixture
def books(billing: ik.Billing) -> ik.SellerBooks:
    return seller_books(billing)


@pytest.fixture
def customer(books: ik.SellerBooks) -> ik.Customer:
    return books.customers.create("Globex", email="ap@globex.example")


def drafts(books: ik.SellerBooks, customer_id: str, n: int, series: str = "invoice") -> list[str]:
    return [books.invoices.draft(customer_id, lines=[line()], series=series).id for _ in range(n)]


def peek(billing: ik.Billing, books: ik.SellerBooks, series: str = "invoice") -> int:
    """The next value of a series' counter this year."""
    with billing.storage.transaction(write=False) as tx:
        return tx.sequences.peek(books.seller_id, series, YEAR)


def inv(n: int) -> str:
    return f"INV-{YEAR}-{n:05d}"


# --------------------------------------------------------------------------- numbering


def test_numbers_are_gapless_per_series_in_issue_order(billing: ik.Billing) -> None:
    books = seller_books(
        billing,
        series=(
            ik.Series.of("invoice", "INV-{year}-{seq:05d}"),
            ik.Series.of("credit_note", "CN-{year}-{seq:05d}"),
            ik.Series.of("export", "EXP-{seq:04d}", ik.Reset.NEVER),
        ),
    )
    customer = books.customers.create("Globex")
    plain = drafts(books, customer.id, 3)
    export = drafts(books, customer.id, 2, series="export")
    order = [plain[2], export[1], plain[0], export[0], plain[1]]
    numbers = [books.invoices.issue(i).number for i in order]
    assert numbers == [inv(1), "EXP-0001", inv(2), "EXP-0002", inv(3)]
    note = books.invoices.credit(plain[0], lines=[line("10.00")])
    assert note.number == f"CN-{YEAR}-00001"
    assert books.invoices.issue(drafts(books, customer.id, 1)[0]).number == inv(4)
    assert peek(billing, books) == 5
    assert peek(billing, books, "credit_note") == 2


def test_drafts_never_consume_a_number(
    billing: ik.Billing, books: ik.SellerBooks, customer: ik.Customer
) -> None:
    first, second, third = drafts(books, customer.id, 3)
    books.invoices.edit(second, memo="edited drafts take no number either")
    books.invoices.delete(second)
    assert peek(billing, books) == 1
    assert books.invoices.issue(third).number == inv(1)
    assert books.invoices.issue(first).number == inv(2)
    assert peek(billing, books) == 3
    with pytest.raises(ik.NotFoundError):
        books.invoices.get(second)


def test_a_void_invoice_keeps_its_number(books: ik.SellerBooks, customer: ik.Customer) -> None:
    first, second = (books.invoices.issue(i) for i in drafts(books, customer.id, 2))
    voided = books.invoices.void(first.id, reason="wrong customer")
    assert (voided.status, voided.number) == (ik.Status.VOID, inv(1))
    found = books.invoices.get_by_number(inv(1))
    assert (found.id, found.status) == (first.id, ik.Status.VOID)
    assert second.number == inv(2)
    assert books.invoices.issue(drafts(books, customer.id, 1)[0]).number == inv(3)


def test_issue_many_numbers_in_the_order_given(
    books: ik.SellerBooks, customer: ik.Customer
) -> None:
    ids = drafts(books, customer.id, 5)
    order = [ids[3], ids[0], ids[4], ids[2], ids[1]]
    issued = books.invoices.issue_many(order, batch_size=2)
    assert issued == [ik.Issued(i, inv(n)) for n, i in enumerate(order, start=1)]
    assert all(books.invoices.get(i).status is ik.Status.PENDING for i in order)


def test_issue_many_completes_a_partial_run_without_duplicates_or_gaps(
    make_billing: MakeBilling, customer: ik.Customer, books: ik.SellerBooks
) -> None:
    ids = drafts(books, customer.id, 5)
    allocations = {"n": 0}

    def fail_on_the_fourth_number() -> None:
        allocations["n"] += 1
        if allocations["n"] == 4:
            raise InjectedFaultError("crash during the second batch")

    faulty = make_billing(faults=FaultPoints({"before_number_alloc": fail_on_the_fourth_number}))
    with pytest.raises(InjectedFaultError):
        faulty.seller(books.seller_id).invoices.issue_many(ids, batch_size=2)
    done = [books.invoices.get(i) for i in ids[:2]]
    assert [i.number for i in done] == [inv(1), inv(2)]  # the first batch committed
    assert [books.invoices.get(i).status for i in ids[2:]] == [ik.Status.DRAFT] * 3

    again = books.invoices.issue_many(ids, batch_size=2)
    assert [repr(books.invoices.get(i)) for i in ids[:2]] == [repr(i) for i in done]  # unchanged
    assert [i.number for i in again] == [inv(n) for n in range(1, 6)]
    issued_events = [r for r in books.events.records() if r.kind == "InvoiceIssued"]
    assert sorted(r.invoice_id or "" for r in issued_events) == sorted(ids)
    assert books.invoices.issue_many(ids) == again


# --------------------------------------------------------------------------- outbox


def test_the_outbox_holds_one_record_per_event_in_order(
    books: ik.SellerBooks, customer: ik.Customer, clock: FixedClock
) -> None:
    invoice = books.invoices.issue(drafts(books, customer.id, 1)[0])  # 119.00 due
    books.payments.record(invoice.id, "19.00")
    paid = books.payments.record(invoice.id, "100.00")
    books.payments.refund(invoice.id, paid.payments[1].id, "10.00")
    books.invoices.credit(invoice.id, lines=[line("5.00")])
    clock.advance(days=45)
    books.invoices.mark_overdue(invoice.id)
    throwaway = drafts(books, customer.id, 1)[0]
    books.invoices.delete(throwaway)

    records = books.events.records()
    assert [r.kind for r in records] == [
        "InvoiceIssued",
        "PaymentSucceeded",
        "PaymentSucceeded",
        "InvoicePaid",
        "PaymentRefunded",
        "InvoiceReopened",
        "CreditNoteIssued",
        "InvoiceOverdue",
        "InvoiceDeleted",
    ]
    positions = [r.position or 0 for r in records]
    assert positions == sorted(positions)
    assert len(set(positions)) == len(positions)
    assert len({r.key for r in records}) == len(records)
    assert {r.seller_id for r in records} == {books.seller_id}
    assert [r.invoice_id for r in records] == [invoice.id] * 8 + [throwaway]
    assert all(r.payload["type"] == r.kind for r in records)
    assert all(r.delivered_at is None for r in records)
    assert [e.name for e in books.events.list()] == [r.kind for r in records]
    assert [r.kind for r in books.events.records(invoice_id=throwaway)] == ["InvoiceDeleted"]
    assert books.events.records(limit=2) == records[:2]


def test_the_outbox_keeps_every_event_of_a_reused_draft_id(
    books: ik.SellerBooks, customer: ik.Customer
) -> None:
    """A caller-chosen id is free again once its draft is deleted; its new events still count."""
    for _ in range(2):
        books.invoices.draft(customer.id, lines=[line()], id="inv_reused")
        books.invoices.delete("inv_reused")
    reissued = books.invoices.issue(
        books.invoices.draft(customer.id, lines=[line()], id="inv_reused").id
    )
    kinds = [r.kind for r in books.events.records(invoice_id=reissued.id)]
    expected = ["InvoiceDeleted", "InvoiceDeleted", "InvoiceIssued"]
    assert kinds == expected, f"outbox of the reused id: {kinds}, expected {expected}"


Action = Callable[[ik.SellerBooks, ik.Invoice], object]
ACTIONS: Final[dict[str, Action]] = {
    "issue": lambda b, i: b.invoices.issue(i.id),
    "record_payment": lambda b, i: b.payments.record(i.id, "10.00"),
    "void": lambda b, i: b.invoices.void(i.id),
    "credit": lambda b, i: b.invoices.credit(i.id, lines=[line("10.00")]),
    "write_off": lambda b, i: b.invoices.write_off(i.id),
    "mark_overdue": lambda b, i: b.invoices.mark_overdue(i.id),
}


@pytest.mark.parametrize("action", sorted(ACTIONS))
def test_a_fault_before_commit_leaves_no_change_no_number_no_outbox_record(
    make_billing: MakeBilling,
    books: ik.SellerBooks,
    customer: ik.Customer,
    clock: FixedClock,
    action: str,
) -> None:
    billing = make_billing()  # another handle on the same store, for reading
    target = books.invoices.draft(customer.id, lines=[line()])
    if action != "issue":
        target = books.invoices.issue(target.id)
        clock.advance(days=60)  # mark_overdue needs a passed due date
    arm = Arm()
    faulty = make_billing(faults=FaultPoints({"before_commit": arm}))
    scope = faulty.seller(books.seller_id)
    before = (
        repr(books.invoices.get(target.id)),
        books.events.records(),
        books.invoices.credit_notes(target.id) if target.number else [],
        peek(billing, books),
        peek(billing, books, "credit_note"),
    )
    arm.armed = True
    with pytest.raises(InjectedFaultError):
        ACTIONS[action](scope, target)
    after = (
        repr(books.invoices.get(target.id)),
        books.events.records(),
        books.invoices.credit_notes(target.id) if target.number else [],
        peek(billing, books),
        peek(billing, books, "credit_note"),
    )
    assert after == before

    arm.armed = False
    ACTIONS[action](scope, target)  # the same call succeeds once the fault is gone
    assert books.invoices.get(target.id).version == target.version + 1
    assert len(books.events.records()) > len(before[1])
    if action == "issue":
        assert books.invoices.get(target.id).number == inv(1)


# --------------------------------------------------------------------------- lookups


def test_get_by_number(books: ik.SellerBooks, customer: ik.Customer) -> None:
    first, second = (books.invoices.issue(i) for i in drafts(books, customer.id, 2))
    draft = books.invoices.draft(customer.id, lines=[line()])
    assert books.invoices.get_by_number(inv(2)) == books.invoices.get(second.id) == second
    assert books.invoices.get_by_number(inv(1)).id == first.id
    note = books.invoices.credit(first.id, lines=[line("1.00")])
    for unknown in (inv(3), "", note.number, draft.id, first.id, inv(1).lower()):
        with pytest.raises(ik.NotFoundError) as caught:
            books.invoices.get_by_number(unknown)
        assert str(caught.value) == f"invoice {unknown!r} not found"


@pytest.fixture
def ledger(books: ik.SellerBooks) -> dict[str, ik.Invoice]:
    """Invoices of two customers due 2026-03-12, -22 and 04-01; one paid, one void, one draft."""
    globex = books.customers.create("Globex")
    initech = books.customers.create("Initech")

    def issue(customer: ik.Customer, days: int) -> ik.Invoice:
        draft = books.invoices.draft(customer.id, lines=[line()], terms=ik.NetDays(days))
        return books.invoices.issue(draft.id)

    out = {
        "g10": issue(globex, 10),
        "g20": issue(globex, 20),
        "i30": issue(initech, 30),
        "i10": issue(initech, 10),
        "g30": issue(globex, 30),
    }
    out["i10"] = books.payments.record(out["i10"].id, "119.00")  # paid
    out["g30"] = books.invoices.void(out["g30"].id)
    out["g20"] = books.payments.record(out["g20"].id, "19.00")  # partially paid
    out["draft"] = books.invoices.draft(initech.id, lines=[line()])
    return out


def names(found: list[ik.Invoice], ledger: dict[str, ik.Invoice]) -> list[str]:
    by_id = {v.id: k for k, v in ledger.items()}
    return [by_id[i.id] for i in found]


def test_list_filters(books: ik.SellerBooks, ledger: dict[str, ik.Invoice]) -> None:
    lst = books.invoices.list
    everything = names(lst(), ledger)
    assert everything[-1] == "draft"  # drafts last
    assert sorted(everything) == sorted(ledger)
    issued = [k for k in everything if k != "draft"]
    assert issued == sorted(issued, key=lambda k: ledger[k].id)  # same issue date: by id

    assert names(lst(status="draft"), ledger) == ["draft"]
    assert names(lst(status=ik.Status.VOID), ledger) == ["g30"]
    assert set(names(lst(status=["pending", ik.Status.PARTIALLY_PAID]), ledger)) == {
        "g10",
        "g20",
        "i30",
    }
    assert set(names(lst(customer_id=ledger["g10"].customer_id), ledger)) == {"g10", "g20", "g30"}
    assert set(names(lst(customer_id=ledger["i30"].customer_id, status="paid"), ledger)) == {"i10"}

    due = {k: v.due_date for k, v in ledger.items()}
    assert due["g10"] == date(2026, 3, 12)
    assert due["g20"] == date(2026, 3, 22)
    assert set(names(lst(due_from=date(2026, 3, 12), due_to=date(2026, 3, 22)), ledger)) == {
        "g10",
        "i10",
        "g20",
    }  # inclusive on both ends, any status; drafts have no due date
    assert set(names(lst(due_from=date(2026, 3, 13)), ledger)) == {"g20", "i30", "g30"}
    assert set(names(lst(due_to=date(2026, 3, 11)), ledger)) == set()

    # Overdue on a day: open (pending, partially paid, overdue, failed) and due before it.
    assert names(lst(overdue_on=date(2026, 3, 12)), ledger) == []
    assert names(lst(overdue_on=date(2026, 3, 13)), ledger) == ["g10"]
    assert set(names(lst(overdue_on=date(2026, 4, 2)), ledger)) == {"g10", "g20", "i30"}
    assert names(
        lst(overdue_on=date(2026, 4, 2), customer_id=ledger["i30"].customer_id), ledger
    ) == ["i30"]

    with pytest.raises(ik.ValidationError, match="status"):
        lst(status="overdue-ish")


def test_list_pages_with_limit_and_after(
    books: ik.SellerBooks, ledger: dict[str, ik.Invoice]
) -> None:
    full = books.invoices.list()
    pages: list[ik.Invoice] = []
    after = None
    while True:
        page = books.invoices.list(limit=2, after=after)
        if not page:
            break
        assert len(page) <= 2
        pages.extend(page)
        after = page[-1].id
    assert [i.id for i in pages] == [i.id for i in full]
    assert len(full) == len(ledger)


# --------------------------------------------------------------------------- versions


class CountingStorage:
    """A Storage that counts the write transactions it opens (to see the Runner's retries)."""

    def __init__(self, inner: Storage) -> None:
        self.inner = inner
        self.writes = 0

    def transaction(self, *, write: bool = True) -> AbstractContextManager[Transaction]:
        if write:
            self.writes += 1
        return self.inner.transaction(write=write)

    def close(self) -> None:
        self.inner.close()


def test_a_stale_expected_version_is_a_non_retryable_concurrency_error(
    billing: ik.Billing, books: ik.SellerBooks, customer: ik.Customer, clock: FixedClock
) -> None:
    draft = books.invoices.draft(customer.id, lines=[line()])
    edited = books.invoices.edit(draft.id, memo="first", expected_version=draft.version)
    assert edited.version == draft.version + 1

    counting = CountingStorage(billing.storage)
    books2 = ik.Billing(storage=counting, clock=clock).seller(books.seller_id)
    with pytest.raises(ik.ConcurrencyError) as caught:
        books2.invoices.edit(draft.id, memo="second", expected_version=draft.version)
    assert caught.value.retryable is False
    assert f"version {edited.version}, not {draft.version}" in str(caught.value)
    assert counting.writes == 1  # raised at once, not retried
    assert isinstance(caught.value, ik.ConflictError)
    stored = books.invoices.get(draft.id)
    assert (stored.memo, stored.version) == ("first", edited.version)
    assert books.invoices.edit(draft.id, memo="second", expected_version=edited.version).memo == (
        "second"
    )


# --------------------------------------------------------------------------- adapters


def test_issue_sets_the_payment_link_from_the_provider(
    make_billing: MakeBilling, customer: ik.Customer, books: ik.SellerBooks
) -> None:
    provider = MemoryPayments()
    paying = make_billing(payments=provider).seller(books.seller_id)
    draft = paying.invoices.draft(customer.id, lines=[line()])
    assert draft.payment_link is None
    assert provider.links == []
    issued = paying.invoices.issue(draft.id)
    assert issued.payment_link is not None
    assert issued.payment_link == provider.links[-1]
    assert issued.payment_link.startswith(provider.base_url)
    assert paying.invoices.get(draft.id).payment_link == issued.payment_link

    plain = books.invoices.issue(books.invoices.draft(customer.id, lines=[line()]).id)
    assert plain.payment_link is None  # no provider, no link


def test_from_url_memory() -> None:
    with ik.Billing.from_url("memory://") as billing:
        assert isinstance(billing.storage, MemoryStorage)
        seller = billing.sellers.create(name="Northwind", country="DE", currency="EUR")
        assert billing.sellers.get(seller.id) == seller
    with ik.Billing.from_url("memory://") as other:
        assert other.sellers.list() == []  # every memory:// is a new, empty store


@contextmanager
def _opened(url: str) -> Iterator[ik.Billing]:
    billing = ik.Billing.from_url(url)
    try:
        yield billing
    finally:
        billing.close()


def test_from_url_sqlite(tmp_path: Path) -> None:
    path = tmp_path / "from-url.sqlite"
    url = f"sqlite:///{path}"  # an absolute path gives sqlite:////…, as in SQLAlchemy
    with _opened(url) as billing:
        assert type(billing.storage).__name__ == "SqliteStorage"
        seller = billing.sellers.create(name="Northwind", country="DE", currency="EUR")
        books = billing.seller(seller.id)
        issued = books.invoices.issue(
            books.invoices.draft(books.customers.create("Globex").id, lines=[line()]).id
        )
    assert path.exists()
    with _opened(url) as again:
        assert again.seller(seller.id).invoices.get_by_number(inv(1)) == issued


@pytest.mark.parametrize(
    "url",
    ["", "memory", "memory:/", "memory:", "billing.sqlite", "sqlite:///", "nosuchdriver://host/db"],
)
def test_from_url_refuses_a_bad_url(url: str) -> None:
    with pytest.raises(ik.ConfigurationError) as caught:
        ik.Billing.from_url(url).close()
    assert "memory://" in str(caught.value) or "nosuchdriver" in str(caught.value)


def test_amounts_and_dates_round_trip_exactly(books: ik.SellerBooks, customer: ik.Customer) -> None:
    invoice = books.invoices.issue(drafts(books, customer.id, 1)[0])
    paid = books.payments.record(invoice.id, Decimal("0.10"))
    assert books.invoices.get(invoice.id).payments[0].amount == Decimal("0.10")
    assert paid.amount_due == Decimal("118.90")
    assert books.payments.list(invoice.id) == list(paid.payments)
    assert invoice.due_date == date(2026, 3, 2) + timedelta(days=30)
