"""Issue 18: a credit note whose invoice is outside invoicekit, or not named, through Billing.

``invoices.credit_standalone`` numbers it from the credit-note series, stores it (memory
and SQLite here; PostgreSQL in the storage contract suite) and it exports under the
official rules; it moves no invoice's balance.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

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
from invoicekit.einvoice import read, to_cii, to_ubl
from invoicekit.einvoice.validation import validate


@pytest.fixture
def books(billing: ik.Billing) -> ik.SellerBooks:
    seller = billing.sellers.create(
        name="Northwind GmbH",
        country="DE",
        currency="EUR",
        timezone="Europe/Berlin",
        tax_id="DE123456789",
        address=ik.Address("DE", line1="Hauptstr. 1", city="Berlin", postal_code="10115"),
    )
    return billing.seller(seller.id)


@pytest.fixture
def customer(books: ik.SellerBooks) -> ik.Customer:
    return books.customers.create(
        "Globex SARL",
        email="ap@globex.example",
        tax_id="FR40303265045",
        address=ik.Address("FR", line1="1 rue de la Paix", city="Paris", postal_code="75002"),
    )


def test_a_credit_note_of_an_outside_invoice_is_numbered_stored_and_exported(
    make_billing: MakeBilling, books: ik.SellerBooks, customer: ik.Customer
) -> None:
    note = books.invoices.credit_standalone(
        customer.id,
        lines=[line("40.00", "2", "Chairs returned")],
        preceding="OLD-2019-77",
        preceding_date=date(2019, 5, 6),
        reason="Returned goods",
    )
    again = make_billing().seller(books.seller_id).invoices.credit_note(note.id)
    xml = to_cii(again)

    assert again == note
    assert note.number == "CN-2026-00001"
    assert (note.invoice_id, note.invoice_number) == (None, "OLD-2019-77")
    assert note.totals.payable == Decimal("95.20")
    assert validate(xml).valid, validate(xml).errors
    assert read(xml).credits == ("OLD-2019-77", date(2019, 5, 6))


def test_a_credit_note_naming_no_invoice_takes_the_next_credit_note_number(
    books: ik.SellerBooks, customer: ik.Customer
) -> None:
    invoice = books.invoices.issue(books.invoices.draft(customer.id, lines=[line()]).id)
    against = books.invoices.credit(invoice.id, lines=[line("10.00")])

    note = books.invoices.credit_standalone(customer.id, lines=[line("5.00")])
    xml = to_ubl(note, "en16931")

    assert (against.number, note.number) == ("CN-2026-00001", "CN-2026-00002")
    assert note.invoice_number is None
    assert b"BillingReference" not in xml
    assert validate(xml).valid, validate(xml).errors
    assert books.invoices.get(invoice.id).credited == Decimal("11.90")  # unchanged by it
    assert books.invoices.credit_notes(invoice.id) == [against]


def test_a_retried_key_returns_the_same_note_and_takes_one_number(
    books: ik.SellerBooks, customer: ik.Customer
) -> None:
    first = books.invoices.credit_standalone(
        customer.id, lines=[line("5.00")], idempotency_key="cn-1"
    )
    second = books.invoices.credit_standalone(
        customer.id, lines=[line("5.00")], idempotency_key="cn-1"
    )
    with pytest.raises(ik.ConflictError, match="preceding"):
        books.invoices.credit_standalone(
            customer.id, lines=[line("5.00")], preceding="X-1", idempotency_key="cn-1"
        )

    assert second == first
    assert books.invoices.credit_standalone(customer.id, lines=[line()]).number == ("CN-2026-00002")


@pytest.mark.parametrize(
    ("kwargs", "path"),
    [
        ({"lines": []}, "lines"),
        ({"lines": [line()], "preceding_date": date(2019, 5, 6)}, "preceding_date"),
        ({"lines": [line()], "preceding": ""}, "preceding"),
        ({"lines": [line("5.00", "-1")]}, "lines"),  # a credit note credits above 0
    ],
)
def test_bad_input_is_refused_and_takes_no_number(
    books: ik.SellerBooks, customer: ik.Customer, kwargs: dict[str, object], path: str
) -> None:
    with pytest.raises(ik.ValidationError) as caught:
        books.invoices.credit_standalone(customer.id, **kwargs)  # type: ignore[arg-type]

    assert path in caught.value.paths
    assert books.invoices.credit_standalone(customer.id, lines=[line()]).number == ("CN-2026-00001")


def test_an_unknown_customer_is_not_found(books: ik.SellerBooks) -> None:
    with pytest.raises(ik.NotFoundError):
        books.invoices.credit_standalone("cus_nobody", lines=[line()])
    with pytest.raises(ik.NotFoundError):
        books.invoices.credit_note("cn_nobody")
