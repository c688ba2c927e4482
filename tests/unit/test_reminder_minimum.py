"""Seller.reminder_minimum: no reminder or final notice for a few cents; the setting is checked."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import attrs
import pytest

import invoicekit as ik
from factories import issued, seller
from invoicekit.errors import ValidationError
from invoicekit.serialization import content_hash, make_converter, to_document
from invoicekit.testing import FixedClock

AT = datetime(2026, 3, 2, 9, tzinfo=UTC)


def books_with_a_cent_due(
    billing: ik.Billing | None = None, **settings: object
) -> tuple[ik.SellerBooks, ik.Invoice]:
    """A seller's books and an invoice of 119.00 with 0.01 still due."""
    billing = billing or ik.Billing.in_memory(clock=FixedClock(AT))
    s = billing.sellers.create(name="Northwind", country="DE", currency="EUR", **settings)
    books = billing.seller(s.id)
    globex = books.customers.create("Globex", email="ap@globex.example", channels=["in_app"])
    line = ik.Line("Consulting", quantity=1, unit_price="100.00", tax=ik.Vat("19"))
    invoice = books.invoices.issue(books.invoices.draft(globex.id, lines=[line]).id)
    return books, books.payments.record(invoice.id, "118.99")


@pytest.mark.parametrize("kind", ["reminder", "final_notice"])
def test_no_reminder_goes_out_below_the_minimum(kind: str) -> None:
    books, invoice = books_with_a_cent_due(reminder_minimum={"EUR": Decimal("1.00")})
    assert invoice.amount_due == Decimal("0.01")
    assert books.invoices.send(invoice.id, kind=kind) == []
    queued = books.messages.list(invoice_id=invoice.id)
    assert [m.kind for m in queued] == ["receipt"]  # the payment's own, sent when it was recorded
    assert books.invoices.send(invoice.id, kind="receipt", about=invoice.payments[0].id) == queued


def test_at_or_above_the_minimum_and_in_other_currencies_reminders_go_out() -> None:
    books, invoice = books_with_a_cent_due(reminder_minimum={"EUR": "0.01", "USD": "5.00"})
    [sent] = books.invoices.send(invoice.id, kind="final_notice")
    assert sent.status == "sent"
    unset, cent = books_with_a_cent_due()  # no minimum: as before
    assert unset.invoices.send(cent.id, kind="reminder")


def test_the_minimum_set_after_issue_applies() -> None:
    billing = ik.Billing.in_memory(clock=FixedClock(AT))
    books, invoice = books_with_a_cent_due(billing)
    billing.sellers.update(books.seller_id, reminder_minimum={"EUR": "0.50"})
    assert books.invoices.send(invoice.id, kind="reminder") == []


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ({"eur": "1.00"}, "reminder_minimum['eur']: currency codes are upper case"),
        ({"EUR": 1.0}, "reminder_minimum['EUR']: must be exact"),
        ({"EUR": "-1.00"}, "reminder_minimum['EUR']: must be zero or more"),
        ({"EUR": "0.001"}, "reminder_minimum['EUR']: EUR amounts have 2 decimal places"),
        ({"EUR": None}, "reminder_minimum['EUR']: must be a Decimal"),
        (["EUR"], "reminder_minimum: must be a mapping of currency code to amount"),
    ],
)
def test_a_bad_minimum_is_refused_naming_the_field(value: object, message: str) -> None:
    with pytest.raises(ValidationError, match=message.replace("[", r"\[").replace("]", r"\]")):
        seller(reminder_minimum=value)


def test_the_setting_round_trips_and_old_invoices_keep_their_hash() -> None:
    converter = make_converter()
    s = seller(reminder_minimum={"EUR": "1.00", "JPY": 100})
    assert s.reminder_minimum == {"EUR": Decimal("1.00"), "JPY": Decimal(100)}
    document = converter.unstructure(s)
    assert document["reminder_minimum"] == {"EUR": "1.00", "JPY": "100"}
    assert converter.structure(document, type(s)) == s
    stored_before = {
        k: v for k, v in converter.unstructure(seller()).items() if k != "reminder_minimum"
    }
    assert converter.structure(stored_before, type(s)).reminder_minimum == {}
    invoice = to_document(converter, issued())
    before = {
        **invoice,
        "seller": {k: v for k, v in invoice["seller"].items() if k != "reminder_minimum"},
    }
    assert content_hash(before) == content_hash(invoice)
    later = attrs.evolve(issued(), seller=s)
    assert content_hash(to_document(converter, later)) != content_hash(invoice)
