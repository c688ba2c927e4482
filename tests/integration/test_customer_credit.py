"""Issue 11 item 3 through the facade, on memory and SQLite (T22: applied exactly once).

Overpayments and over-credits become customer credit; a refund gives it back before it
re-opens the balance; ``payments.apply_credit`` pays another invoice of the customer with
it exactly once (replays, and racing keys); ``Seller.apply_credit_at_issue`` does it at
issue. Refunds of a provider's payments go through ``PaymentProvider.refund`` first.
After every scenario money is conserved across the customer's invoices.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Final

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
from invoicekit.domain import lifecycle
from invoicekit.domain.status import PaymentStatus
from invoicekit.testing import FixedClock
from invoicekit.testing.invariants import check_all
from pg import pg_url  # noqa: F401 - the fixture

D = Decimal
RACERS: Final = 8


@pytest.fixture
def books(billing: ik.Billing) -> ik.SellerBooks:
    seller = billing.sellers.create(
        name="Northwind", country="DE", currency="EUR", timezone="Europe/Berlin"
    )
    return billing.seller(seller.id)


@pytest.fixture
def customer(books: ik.SellerBooks) -> ik.Customer:
    return books.customers.create("Globex", email="ap@globex.example")


def issued(books: ik.SellerBooks, customer_id: str, **draft: object) -> ik.Invoice:
    """An issued invoice of 119.00 (100.00 + 19 % VAT)."""
    return books.invoices.issue(books.invoices.draft(customer_id, lines=[line()], **draft).id)  # type: ignore[arg-type]


def overpaid(books: ik.SellerBooks, customer_id: str, amount: str = "200.00") -> ik.Invoice:
    """An issued 119.00 invoice paid with ``amount``: the rest is customer credit."""
    return books.payments.record(issued(books, customer_id).id, amount)


def assert_conserved(books: ik.SellerBooks, customer_id: str) -> None:
    """T22: what came in = what pays invoices + credit held + credit applied + refunds."""
    invoices = books.invoices.list(customer_id=customer_id, limit=1000)
    ok = [p for i in invoices for p in i.payments if p.status is PaymentStatus.SUCCEEDED]
    received = sum((p.amount for p in ok), D(0))
    over_credited = sum((c.customer_credit for i in invoices for c in i.credits), D(0))
    paying = sum((p.net_allocated for p in ok), D(0))
    held = sum((i.customer_credit for i in invoices), D(0))
    applied = sum((t.amount for i in invoices for t in i.credit_transfers), D(0))
    refunded = sum((p.refunded for p in ok), D(0))
    assert received + over_credited == paying + held + applied + refunded
    # Every credit payment is backed by exactly the credit its sources gave up.
    for i in invoices:
        for p in i.payments:
            if p.method == "credit":
                given = [t for j in invoices for t in j.credit_transfers if t.payment_id == p.id]
                assert sum((t.amount for t in given), D(0)) == p.amount
                assert {t.invoice_id for t in given} == {i.id} or not given
    assert all(i.customer_credit >= 0 for i in invoices)


# --------------------------------------------------------------------------- refunds of credit


def test_refunding_an_overpayment_keeps_the_invoice_paid(
    books: ik.SellerBooks, customer: ik.Customer, make_billing: MakeBilling
) -> None:
    invoice = overpaid(books, customer.id)
    refunded = books.payments.refund(invoice.id, invoice.payments[0].id, "81.00")
    again = make_billing().seller(books.seller_id).invoices.get(invoice.id)  # a fresh reader
    for seen in (refunded, again):
        assert (seen.status, seen.amount_due, seen.customer_credit) == (
            ik.Status.PAID,
            D("0.00"),
            D("0.00"),
        )
    kinds = [e.name for e in books.events.list(invoice_id=invoice.id)]
    assert "InvoiceReopened" not in kinds
    assert books.payments.credit_balance(customer.id) == {}
    assert_conserved(books, customer.id)


def test_a_full_credit_note_then_a_refund_keeps_the_invoice_paid(
    books: ik.SellerBooks, customer: ik.Customer
) -> None:
    invoice = books.payments.record(issued(books, customer.id).id, "119.00")
    books.invoices.credit(invoice.id, lines=[line()])
    assert books.payments.credit_balance(customer.id) == {"EUR": D("119.00")}
    refunded = books.payments.refund(invoice.id, invoice.payments[0].id, "119.00")
    assert (refunded.status, refunded.amount_due, refunded.customer_credit) == (
        ik.Status.PAID,
        D("0.00"),
        D("0.00"),
    )
    assert_conserved(books, customer.id)


# --------------------------------------------------------------------------- apply_credit


def test_apply_credit_pays_another_invoice_exactly_once(
    books: ik.SellerBooks, customer: ik.Customer
) -> None:
    source = overpaid(books, customer.id)  # 81.00 held
    target = issued(books, customer.id)
    paid = books.payments.apply_credit(target.id, idempotency_key="credit-1")
    [payment] = paid.payments
    assert (payment.method, payment.amount, payment.reference) == (
        "credit",
        D("81.00"),
        f"customer credit from {source.number}",
    )
    assert (paid.status, paid.amount_due) == (ik.Status.PARTIALLY_PAID, D("38.00"))
    given = books.invoices.get(source.id)
    assert (given.customer_credit, given.status, given.amount_due) == (
        D("0.00"),
        ik.Status.PAID,
        D("0.00"),
    )
    assert [(t.payment_id, t.invoice_id, t.amount) for t in given.credit_transfers] == [
        (payment.id, target.id, D("81.00"))
    ]
    # A replay returns the first answer and applies nothing again.
    for _ in range(3):
        assert repr(books.payments.apply_credit(target.id, idempotency_key="credit-1")) == repr(
            paid
        )
    with pytest.raises(ik.ConflictError):
        books.payments.apply_credit(target.id, "1.00", idempotency_key="credit-1")
    # Another key finds the credit spent.
    with pytest.raises(ik.ValidationError, match="holds no customer credit in EUR"):
        books.payments.apply_credit(target.id, idempotency_key="credit-2")
    kinds = [e.name for e in books.events.list()]
    assert kinds.count("CustomerCreditApplied") == 1
    assert books.invoices.get(target.id).payments == paid.payments
    assert_conserved(books, customer.id)


def test_apply_credit_takes_a_part_and_the_oldest_credit_first(
    books: ik.SellerBooks, customer: ik.Customer
) -> None:
    first = overpaid(books, customer.id, "150.00")  # 31.00
    second = overpaid(books, customer.id)  # 81.00
    target = issued(books, customer.id)
    paid = books.payments.apply_credit(target.id, "50.00")
    assert paid.amount_due == D("69.00")
    assert books.invoices.get(first.id).customer_credit == D("0.00")
    assert books.invoices.get(second.id).customer_credit == D("62.00")
    assert books.payments.credit_balance(customer.id) == {"EUR": D("62.00")}
    rest = books.payments.apply_credit(target.id)  # all that fits: 62.00 of the 69.00 due
    assert (rest.amount_due, rest.status) == (D("7.00"), ik.Status.PARTIALLY_PAID)
    assert books.payments.credit_balance(customer.id) == {}
    assert_conserved(books, customer.id)


def test_apply_credit_refuses_clearly_and_stores_nothing(
    books: ik.SellerBooks, customer: ik.Customer
) -> None:
    overpaid(books, customer.id)  # 81.00 EUR held
    target = issued(books, customer.id)
    usd = issued(books, customer.id, currency="USD")
    draft = books.invoices.draft(customer.id, lines=[line()])
    paid = books.payments.record(issued(books, customer.id).id, "119.00")
    other = books.customers.create("Initech")
    stranger = issued(books, other.id)
    before = books.invoices.list(limit=1000)
    refusals: list[tuple[Callable[[], object], type[Exception], str]] = [
        (lambda: books.payments.apply_credit(target.id, "81.01"), ik.ValidationError, "at most 81"),
        (lambda: books.payments.apply_credit(target.id, "0"), ik.ValidationError, "greater than 0"),
        (lambda: books.payments.apply_credit(usd.id), ik.ValidationError, "81.00 EUR"),
        (
            lambda: books.payments.apply_credit(stranger.id),
            ik.ValidationError,
            "no customer credit",
        ),
        (lambda: books.payments.apply_credit(draft.id), ik.InvalidTransitionError, "draft"),
        (lambda: books.payments.apply_credit(paid.id), ik.InvalidTransitionError, "due"),
        (lambda: books.payments.apply_credit("nope"), ik.NotFoundError, "nope"),
    ]
    for call, error, text in refusals:
        with pytest.raises(error, match=text):
            call()
    assert books.invoices.list(limit=1000) == before
    over = overpaid(books, customer.id, "500.00")  # 381.00 more: now more credit than due
    with pytest.raises(ik.ValidationError, match=r"at most 119\.00 is due"):
        books.payments.apply_credit(target.id, "119.01")
    assert books.invoices.get(over.id).customer_credit == D("381.00")


def test_applied_credit_is_refunded_where_it_went_not_where_it_came_from(
    books: ik.SellerBooks, customer: ik.Customer
) -> None:
    source = overpaid(books, customer.id)
    target = books.payments.apply_credit(issued(books, customer.id).id)
    with pytest.raises(ik.ValidationError, match="refund the 'credit' payment on that") as caught:
        books.payments.refund(source.id, source.payments[0].id, "200.00")
    assert target.number is not None
    assert target.number in str(caught.value)
    back = books.payments.refund(target.id, target.payments[0].id, "81.00")
    assert (back.status, back.amount_due) == (ik.Status.PENDING, D("119.00"))
    assert_conserved(books, customer.id)


def test_the_invariant_check_finds_a_credit_payment_nothing_backs(
    billing: ik.Billing, books: ik.SellerBooks, customer: ik.Customer, clock: FixedClock
) -> None:
    overpaid(books, customer.id)
    target = books.payments.apply_credit(issued(books, customer.id).id, "10.00")
    assert check_all(billing, books.seller_id) == []
    forged, _ = lifecycle.apply(
        target, lifecycle.PayWithCredit("forged", "5.00", ("nowhere",)), at=clock.now()
    )
    with billing.storage.transaction() as tx:
        tx.invoices.save(forged, expected_version=target.version)
    assert check_all(billing, books.seller_id) == [
        f"I1: credit payment 'forged' on {target.number} is not backed once"
    ]


def test_credit_never_crosses_sellers(billing: ik.Billing) -> None:
    """Two sellers with a customer of the same id: B's credit never pays A's invoice."""
    both = []
    for name in ("A", "B"):
        seller = billing.sellers.create(name=name, country="DE", currency="EUR")
        books = billing.seller(seller.id)
        both.append((books, books.customers.create("Globex", id="cust-1")))
    (a, customer), (b, _) = both
    overpaid(b, "cust-1")
    target = issued(a, customer.id)
    assert a.payments.credit_balance("cust-1") == {}
    with pytest.raises(ik.ValidationError, match="holds no customer credit"):
        a.payments.apply_credit(target.id)
    assert b.payments.credit_balance("cust-1") == {"EUR": D("81.00")}


def test_credit_is_applied_at_issue_only_when_the_seller_asks(
    billing: ik.Billing, books: ik.SellerBooks, customer: ik.Customer
) -> None:
    overpaid(books, customer.id, "150.00")  # 31.00 held
    plain = issued(books, customer.id)
    assert (plain.amount_due, plain.payments) == (D("119.00"), ())
    billing.sellers.update(books.seller_id, apply_credit_at_issue=True)
    drafts = [books.invoices.draft(customer.id, lines=[line()]) for _ in range(2)]
    first = books.invoices.issue(drafts[0].id)
    assert (first.amount_due, first.status) == (D("88.00"), ik.Status.PARTIALLY_PAID)
    assert [p.method for p in first.payments] == ["credit"]
    assert books.invoices.get(first.id) == first
    [(second_id, _)] = books.invoices.issue_many([drafts[1].id])  # nothing left: issued as usual
    second = books.invoices.get(second_id)
    assert (second.amount_due, second.payments) == (D("119.00"), ())
    assert_conserved(books, customer.id)


def test_the_seller_setting_is_off_by_default_and_checked(billing: ik.Billing) -> None:
    seller = billing.sellers.create(name="N", country="DE", currency="EUR")
    assert seller.apply_credit_at_issue is False
    with pytest.raises(ik.ValidationError, match="apply_credit_at_issue"):
        billing.sellers.update(seller.id, apply_credit_at_issue="yes")


def test_racing_keys_and_replays_spend_the_credit_once(
    books: ik.SellerBooks, customer: ik.Customer, make_billing: MakeBilling
) -> None:
    race_for_credit(make_billing, books, customer.id)


def race_for_credit(make_billing: MakeBilling, books: ik.SellerBooks, customer_id: str) -> None:
    """T22: 8 threads, each with its own Billing and key, take 20.00 of the same 81.00; then
    8 threads with one key apply the rest to one invoice once and get one answer."""
    source = overpaid(books, customer_id)
    targets = [issued(books, customer_id) for _ in range(RACERS)]
    outcomes = race(make_billing, books.seller_id, [t.id for t in targets], "20.00")
    assert outcomes.count("refused") == 4
    assert len(set(outcomes)) == 5  # four different invoices paid
    assert books.invoices.get(source.id).customer_credit == D("1.00")
    more = overpaid(books, customer_id, "219.00")  # 100.00 more
    target = issued(books, customer_id)
    answers = race(make_billing, books.seller_id, [target.id] * RACERS, None, key="same")
    assert len(set(answers)) == 1
    assert len(books.invoices.get(target.id).payments) == 1
    assert books.payments.credit_balance(customer_id) == {}
    assert books.invoices.get(more.id).credit_transfers[0].amount == D("100.00")
    assert_conserved(books, customer_id)
    assert check_all(make_billing(), books.seller_id) == []


def race(
    make_billing: MakeBilling,
    seller_id: str,
    targets: list[str],
    amount: str | None,
    *,
    key: str | None = None,
) -> list[str]:
    """Apply credit to each target at once, one thread, Billing and key (or ``key``) each.

    Returns "refused" for each ValidationError, else the repr of the invoice returned.
    """
    barrier = threading.Barrier(len(targets))
    outcomes: list[str] = []

    def apply(i: int, target: str) -> None:
        books = make_billing().seller(seller_id)
        barrier.wait()
        try:
            paid = books.payments.apply_credit(target, amount, idempotency_key=key or f"race-{i}")
            outcomes.append(repr(paid))
        except ik.ValidationError:
            outcomes.append("refused")

    threads = [threading.Thread(target=apply, args=(i, t)) for i, t in enumerate(targets)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return outcomes


@pytest.fixture(params=["READ COMMITTED", "REPEATABLE READ"])
def pg_billing(
    pg_url: str,  # noqa: F811 - the fixture imported above
    clock: FixedClock,
    request: pytest.FixtureRequest,
) -> Iterator[MakeBilling]:
    """Billing objects on one PostgreSQL database at the parametrized isolation level."""
    from invoicekit.adapters.storage.sqlalchemy import SqlAlchemyStorage

    opened: list[SqlAlchemyStorage] = []

    def build() -> ik.Billing:
        opened.append(SqlAlchemyStorage(pg_url, isolation_level=request.param))
        return ik.Billing(storage=opened[-1], clock=clock)

    yield build
    for storage in opened:
        storage.close()


@pytest.mark.slow
def test_racing_keys_and_replays_spend_the_credit_once_on_postgresql(
    pg_billing: MakeBilling,
) -> None:
    """T22 on PostgreSQL: row locks (READ COMMITTED) or retried serialization failures."""
    billing = pg_billing()
    seller = billing.sellers.create(name="Northwind", country="DE", currency="EUR")
    books = billing.seller(seller.id)
    race_for_credit(pg_billing, books, books.customers.create("Globex").id)
