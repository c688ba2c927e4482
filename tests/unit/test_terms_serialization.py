"""Payment terms survive storage with their kind on every Python (3.14 lost the tag on read)."""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Final

import pytest

import invoicekit as ik
from invoicekit.domain.parties import Seller
from invoicekit.domain.terms import DueOnReceipt, EndOfMonth, FixedDate, NetDays, PaymentTerms
from invoicekit.serialization import from_document, make_converter, to_document

#: Every kind of terms invoicekit stores, with the tag its documents carry.
TERMS: Final[list[tuple[PaymentTerms, str]]] = [
    (NetDays(14), "net_days"),
    (DueOnReceipt(), "net_days"),
    (FixedDate(date(2030, 1, 31)), "fixed_date"),
    (EndOfMonth(), "end_of_month"),
    (EndOfMonth(10), "end_of_month"),
]
CONVERTER: Final = make_converter()
SELLER: Final = {"name": "Northwind", "country": "DE", "currency": "EUR", "timezone": "UTC"}


@pytest.mark.parametrize(("terms", "tag"), TERMS)
def test_terms_round_trip_through_the_converter_with_their_tag(
    terms: PaymentTerms, tag: str
) -> None:
    document = CONVERTER.unstructure(terms, PaymentTerms)

    assert document["type"] == tag
    assert CONVERTER.structure(document, PaymentTerms) == terms
    # A value unstructured by its own class carries the tag too (idempotency fingerprints
    # tell NetDays(14) from EndOfMonth(14) by it).
    assert CONVERTER.unstructure(terms) == document


@pytest.mark.parametrize(("terms", "tag"), TERMS)
def test_a_seller_document_keeps_the_terms_tag(terms: PaymentTerms, tag: str) -> None:
    seller = Seller(id="sel_1", terms=terms, **SELLER)

    document = to_document(CONVERTER, seller)

    assert document["terms"]["type"] == tag
    assert from_document(CONVERTER, json.loads(json.dumps(document)), Seller) == seller


@pytest.mark.parametrize(("terms", "tag"), TERMS)
def test_terms_round_trip_through_sqlite(tmp_path: Path, terms: PaymentTerms, tag: str) -> None:
    path = tmp_path / "billing.db"
    with ik.Billing.sqlite(path) as billing:
        seller = billing.sellers.create(terms=terms, **SELLER)
        books = billing.seller(seller.id)
        customer = books.customers.create("Globex", email="ap@globex.example")
        line = ik.Line("Work", quantity=Decimal(1), unit_price=Decimal("10.00"), tax=ik.Vat("19"))
        draft = books.invoices.draft(customer.id, terms=terms, lines=[line])

    with ik.Billing.sqlite(path) as reopened:
        assert reopened.sellers.get(seller.id).terms == terms
        assert reopened.seller(seller.id).invoices.get(draft.id).terms == terms
    with closing(sqlite3.connect(path)) as db:
        (stored,) = db.execute("SELECT doc FROM sellers WHERE id = ?", (seller.id,)).fetchone()
    # Stored documents (format 2) name the kind of terms as the one key of their object.
    assert list(json.loads(stored)["terms"]) == [tag]
