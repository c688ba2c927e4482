"""Refunds of a provider's payments through the facade, on memory and SQLite (issue 11).

``payments.refund`` of a payment whose method is the provider's name asks
``PaymentProvider.refund`` first, outside the write transaction, with a key derived
from the idempotency key: once per request, nothing recorded when the provider fails,
recorded once when retried after a crash. Also: invoices stored before
``Seller.apply_credit_at_issue`` existed keep their content hash.
"""

from __future__ import annotations

import json
import sqlite3
from decimal import Decimal
from pathlib import Path

import attrs
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
from invoicekit.serialization import content_hash, make_converter, to_document
from invoicekit.testing import FixedClock, MemoryPayments

D = Decimal


@pytest.fixture
def books(billing: ik.Billing) -> ik.SellerBooks:
    seller = billing.sellers.create(name="Northwind", country="DE", currency="EUR")
    return billing.seller(seller.id)


def issued(books: ik.SellerBooks) -> ik.Invoice:
    """An issued invoice of 119.00 (100.00 + 19 % VAT) for a new customer."""
    customer = books.customers.create("Globex")
    return books.invoices.issue(books.invoices.draft(customer.id, lines=[line()]).id)


@attrs.frozen
class Paid:
    """A 119.00 invoice paid in full through the provider, and the books that see it."""

    provider: MemoryPayments
    books: ik.SellerBooks
    invoice: ik.Invoice

    @property
    def payment_id(self) -> str:
        return self.invoice.payments[0].id

    def refund(self, amount: str, key: str | None = "r-1") -> ik.Invoice:
        return self.books.payments.refund(
            self.invoice.id, self.payment_id, amount, idempotency_key=key
        )


def paid_by_provider(make_billing: MakeBilling, seller_id: str, **adapters: object) -> Paid:
    """Books with a MemoryPayments provider and an invoice it took the payment of."""
    provider = MemoryPayments()
    books = make_billing(payments=provider, **adapters).seller(seller_id)
    invoice = books.payments.record(issued(books).id, "119.00", method=provider.name)
    return Paid(provider, books, invoice)


def test_a_provider_payment_is_refunded_through_the_provider_once(
    books: ik.SellerBooks, make_billing: MakeBilling
) -> None:
    paid = paid_by_provider(make_billing, books.seller_id)
    refunded = paid.refund("19.00")
    [(key, asked)] = paid.provider.refunds.items()
    assert asked == (paid.payment_id, D("19.00"))
    assert key == f"refund:{books.seller_id}:{paid.invoice.id}:r-1"
    [refund] = refunded.payments[0].refunds
    assert refund.provider_id is not None
    assert refund.provider_id.startswith("refund_")
    assert repr(paid.refund("19.00")) == repr(refunded)  # a replay asks nobody
    assert len(paid.provider.refunds) == 1
    # A manual payment is refunded in the books only.
    manual = paid.books.payments.record(issued(paid.books).id, "119.00")
    done = paid.books.payments.refund(manual.id, manual.payments[0].id, "19.00")
    assert done.payments[0].refunds[0].provider_id is None
    assert len(paid.provider.refunds) == 1


def test_a_provider_failure_records_nothing_and_a_refused_refund_never_asks(
    books: ik.SellerBooks, make_billing: MakeBilling
) -> None:
    paid = paid_by_provider(make_billing, books.seller_id)
    paid.provider.fail_next = ik.PaymentError("gateway down", provider="memory", retryable=True)
    with pytest.raises(ik.PaymentError, match="gateway down"):
        paid.refund("19.00")
    assert paid.books.invoices.get(paid.invoice.id) == paid.invoice
    with pytest.raises(ik.ValidationError, match=r"at most 119\.00"):
        paid.refund("119.01", key="r-2")
    assert paid.provider.refunds == {}
    assert paid.refund("19.00").amount_due == D("19.00")
    assert len(paid.provider.refunds) == 1


def test_a_crash_after_the_provider_refunded_is_recorded_once_on_retry(
    books: ik.SellerBooks, make_billing: MakeBilling
) -> None:
    crash: dict[str, bool] = {}

    def before_commit() -> None:
        if crash.pop("armed", False):
            raise ik.StorageError("the process died before commit")

    faults = FaultPoints({"before_commit": before_commit})
    paid = paid_by_provider(make_billing, books.seller_id, faults=faults)
    crash["armed"] = True
    with pytest.raises(ik.StorageError) as caught:
        paid.refund("19.00")
    assert "call again with the same idempotency_key" in "".join(caught.value.__notes__)
    assert paid.books.invoices.get(paid.invoice.id).payments[0].refunds == ()
    refunded = paid.refund("19.00")
    assert len(paid.provider.refunds) == 1  # the provider was asked again with the same key
    assert len(refunded.payments[0].refunds) == 1


# --------------------------------------------------------------------------- stored data


def test_invoices_issued_before_the_seller_setting_existed_can_still_be_paid(
    tmp_path: Path, clock: FixedClock
) -> None:
    """A seller snapshot stored without ``apply_credit_at_issue`` keeps its content hash."""
    path = tmp_path / "old.sqlite"
    with ik.Billing.sqlite(path, clock=clock) as billing:
        seller = billing.sellers.create(name="Northwind", country="DE", currency="EUR")
        books = billing.seller(seller.id)
        invoice = issued(books)
    raw = sqlite3.connect(path)
    with raw:
        # The row as the release before the setting wrote it: format 1, the field absent.
        doc = to_document(make_converter(), invoice)
        del doc["seller"]["apply_credit_at_issue"]
        raw.execute(
            "UPDATE invoices SET doc = ?, content_hash = ?", (json.dumps(doc), content_hash(doc))
        )
    raw.close()
    with ik.Billing.sqlite(path, clock=clock) as billing:
        paid = billing.seller(seller.id).payments.record(invoice.id, "119.00")
    assert paid.status is ik.Status.PAID
    on = attrs.evolve(invoice.seller, apply_credit_at_issue=True)
    assert content_hash(to_document(make_converter(), attrs.evolve(invoice, seller=on))) != (
        content_hash(to_document(make_converter(), invoice))
    )  # a seller that turned it on froze that into the snapshot's hash
