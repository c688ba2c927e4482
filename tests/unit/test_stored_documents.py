"""Format 2 of stored documents (invoicekit.serialization): compact, one encoding, trusted load.

The values round-tripped here are the ones of tests/fixtures/stored_v1.json (every status,
every optional party and invoice field, credit notes), read with the format-1 converter
and written again in format 2.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Final

import attrs
import pytest

from invoicekit.domain.invoice import CreditNote, Invoice
from invoicekit.domain.parties import Customer, Seller
from invoicekit.errors import ValidationError
from invoicekit.serialization import (
    ContentHashMismatch,
    canonical_json,
    content_hash,
    encode_invoice,
    from_document,
    frozen_hash,
    load_value,
    make_converter,
    read_invoice,
    to_document,
    value_text,
)
from invoicekit.serialization.jsontext import canonical_bytes
from stored_fixture import at_fixture_time

RECORD: Final = json.loads(
    (Path(__file__).resolve().parents[1] / "fixtures" / "stored_v1.json").read_text("utf-8")
)
CONVERTER: Final = make_converter()
INVOICES: Final = [from_document(CONVERTER, r["document"], Invoice) for r in RECORD["invoices"]]
VALUES: Final[list[tuple[type[Any], dict[str, Any]]]] = [
    *((CreditNote, d) for d in RECORD["credit_notes"]),
    *((Seller, d) for d in RECORD["sellers"]),
    *((Customer, d) for d in RECORD["customers"]),
]


def _complete(value: Any) -> None:
    """Every attrs field of ``value``, and of every value inside it, is set."""
    if attrs.has(type(value)):
        for field in attrs.fields(type(value)):
            _complete(getattr(value, field.name))
    elif isinstance(value, tuple):
        for item in value:
            _complete(item)


@pytest.mark.parametrize("invoice", INVOICES, ids=[i.id for i in INVOICES])
def test_every_stored_invoice_round_trips_through_format_2(invoice: Invoice) -> None:
    encoded = encode_invoice(invoice)
    back = read_invoice(encoded.text, encoded.content_hash, CONVERTER)

    assert back == invoice
    assert to_document(CONVERTER, back) == to_document(CONVERTER, invoice)
    _complete(back)
    assert encode_invoice(back) == encoded
    assert content_hash(json.loads(encoded.text)) == encoded.content_hash == frozen_hash(back)


@pytest.mark.parametrize(("cls", "document"), VALUES, ids=[d["id"] for _, d in VALUES])
def test_every_stored_party_and_credit_note_round_trips(
    cls: type[Any], document: dict[str, Any]
) -> None:
    value = from_document(CONVERTER, document, cls)
    text = value_text(value)
    back = load_value(text, cls, CONVERTER)

    assert back == value
    assert at_fixture_time(to_document(CONVERTER, back)) == document
    _complete(back)
    assert value_text(back) == text
    assert json.loads(text)["v"] == 2


def test_documents_leave_defaults_out_and_write_each_tax_once() -> None:
    seller = next(s for s in INVOICES if s.id == "inv_jp").seller
    assert seller is not None
    assert json.loads(value_text(seller)) == {
        "v": 2,
        "id": "sel_jp",
        "name": "東京商事",
        "country": "JP",
        "currency": "JPY",
    }
    invoice = next(i for i in INVOICES if i.id == "inv_pending")
    frozen = json.loads(encode_invoice(invoice).text)["f"]
    assert len(frozen["taxes"]) == len({t for line in invoice.lines for t in line.taxes})
    assert frozen["lines"][2] == {
        "description": "Hosting",
        "quantity": "1",
        "unit_price": "29.99",
        "tax": 0,
        "unit": "MON",
    }


def test_format_2_is_about_half_the_size_of_format_1() -> None:
    # 1.5x smaller with the richest seller snapshot, 3x with default settings.
    old = [len(canonical_json(to_document(CONVERTER, i)).encode()) for i in INVOICES]
    new = [len(encode_invoice(i).text.encode()) for i in INVOICES]
    assert all(n < o / 1.5 for n, o in zip(new, old, strict=True))
    assert sum(new) < 0.55 * sum(old)


def test_the_content_hash_is_the_sha256_of_the_frozen_bytes_written() -> None:
    import hashlib

    invoice = next(i for i in INVOICES if i.id == "inv_paid")
    encoded = encode_invoice(invoice)
    document = json.loads(encoded.text)
    assert encoded.frozen == canonical_bytes(document["f"])
    assert encoded.text.startswith(f'{{"v":2,"n":{len(encoded.frozen.decode())},"f":')
    assert encoded.content_hash == hashlib.sha256(encoded.frozen).hexdigest()


def test_the_hash_is_checked_on_read_also_after_another_tool_rewrote_the_text() -> None:
    invoice = next(i for i in INVOICES if i.id == "inv_credited")
    encoded = encode_invoice(invoice)
    document = json.loads(encoded.text)
    rewritten = json.dumps(document, indent=2)  # same content, other text
    assert read_invoice(rewritten, encoded.content_hash, CONVERTER) == invoice
    document["f"]["totals"]["tax_inclusive"] = "0.01"
    with pytest.raises(ContentHashMismatch):
        read_invoice(json.dumps(document), encoded.content_hash, CONVERTER)
    # The rest (payments, status) is not frozen: changing it is no integrity error.
    document = json.loads(encoded.text)
    document["status"] = "paid"
    assert read_invoice(json.dumps(document), encoded.content_hash, CONVERTER).status == "paid"
    # A lie about the frozen part's length is caught as well.
    lying = encoded.text.replace('"n":', '"n":1', 1)
    assert read_invoice(lying, encoded.content_hash, CONVERTER) == invoice  # hash checked again
    with pytest.raises(ContentHashMismatch):
        read_invoice(lying.replace("Beratung", "Beratunq"), encoded.content_hash, CONVERTER)


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ('{"v":3,"f":{}}', "format 3"),
        ("[]", "JSON object"),
        ('{"v":2}', "frozen part"),
        ("not json", "Expecting value|unexpected character"),
    ],
)
def test_documents_it_cannot_read_are_errors_not_values(text: str, error: str) -> None:
    with pytest.raises(ValueError, match=error):
        read_invoice(text, None, CONVERTER)


def test_a_lone_surrogate_cannot_be_stored() -> None:
    invoice = attrs.evolve(INVOICES[0], payment_link="https://pay.example/\udfff")
    with pytest.raises(ValidationError, match="lone surrogate"):
        encode_invoice(invoice)


def test_negative_lines_split_payment_and_an_own_group_allowance_round_trip() -> None:
    # Plain parties: this runs on every Python with only the testing extra (no lxml).
    from datetime import UTC, datetime

    from invoicekit.domain.lifecycle import Issue, apply
    from invoicekit.domain.line import Discount, Line
    from invoicekit.domain.tax import Tax, Vat

    at = datetime(2026, 3, 2, 9, tzinfo=UTC)
    seller = Seller(id="s1", name="Northwind", country="IT", currency="EUR")
    customer = Customer(id="c1", seller_id="s1", name="Comune di Roma", email="ap@roma.example")
    draft = Invoice.draft(
        id="inv-negative",
        seller=seller,
        customer=customer,
        at=at,
        lines=[
            Line("Chair", quantity=4, unit_price="50.00", tax=Vat("19")),
            Line("Chair returned", quantity="-1.5", unit_price="50.00", tax=Vat("19")),
            Line("Split", quantity=1, unit_price="10.00", tax=Tax("B", "22"), unit="XCR"),
        ],
        discounts=[Discount(amount="5.00", tax=Vat("7"), reason="Voucher")],
    )
    invoice, _ = apply(draft, Issue(number="INV-1", seller=seller, customer=customer), at=at)
    encoded = encode_invoice(invoice)
    back = read_invoice(encoded.text, encoded.content_hash, CONVERTER)

    assert back == invoice
    assert back.totals == invoice.totals
    assert encode_invoice(back) == encoded
