"""The BT table in invoicekit.einvoice.mapping is true: every path finds its term in real exports.

Also the model fields the export added (electronic address, contact, registration id,
the invoice references) are validated and survive storage.
"""

from __future__ import annotations

from typing import Any

import pytest
from lxml import etree

from einvoice.export_cases import credit_note_of, customer_of, invoice_of, rich_lines, seller_of
from golden import load_cases
from golden.library import AT
from invoicekit.domain.invoice import Invoice
from invoicekit.domain.line import Charge, Discount, Line
from invoicekit.domain.parties import Address, BankAccount, Contact, ElectronicAddress
from invoicekit.domain.tax import Tax, Vat
from invoicekit.einvoice import TERMS, to_cii, to_ubl
from invoicekit.einvoice.mapping import credit_note_path
from invoicekit.errors import ValidationError
from invoicekit.serialization import from_document, make_converter, to_document

CASES = dict(load_cases())
NS = {
    "ubl": "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2",
    "cn": "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2",
    "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
    "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
    "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
    "udt": "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100",
    "qdt": "urn:un:unece:uncefact:data:standard:QualifiedDataType:100",
}
TERM_LIST = [term for group in TERMS for term in group.terms]


def _documents() -> list[Any]:
    """Invoices and a credit note that between them hold every term of the table."""
    seller = seller_of(
        "EUR",
        address=Address(
            country="DE",
            line1="Hauptstr. 1",
            line2="Hof 2",
            city="Berlin",
            postal_code="10115",
            region="Berlin",
        ),
        bank_account=BankAccount(iban="DE89370400440532013000", bic="COBADEFFXXX", holder="Golden"),
    )
    customer = customer_of(
        registration_id="RCS 303 265 045",
        contact=Contact(name="Bob Buyer", phone="+33123456789", email="bob@customer.example"),
        address=Address(
            country="FR",
            line1="1 rue de la Paix",
            line2="Bât. B",
            city="Paris",
            postal_code="75002",
            region="IDF",
        ),
    )
    rich = Invoice.draft(
        id="rich",
        seller=seller,
        customer=customer,
        lines=rich_lines(),
        at=AT,
        discounts=[Discount(percent="5", tax=Vat("19"), reason="Volume")],
        charges=[
            Charge(amount="9.90", tax=Vat("19"), reason="Shipping"),
            Charge(percent="2", tax=Vat("7"), reason="Handling"),
        ],
        memo="Note",
        buyer_reference="B-1",
        order_reference="PO-1",
        contract_reference="C-1",
        project_reference="P-1",
    )
    from invoicekit.domain.lifecycle import Issue, RecordPayment, apply

    issued, _ = apply(rich, Issue(number="INV-RICH", seller=seller, customer=customer), at=AT)
    issued, _ = apply(issued, RecordPayment(payment_id="p", amount="10.00"), at=AT)
    exempt = [
        Line(
            description="Therapy",
            quantity="1",
            unit_price="80.00",
            tax=Tax.exempt("Medical care", code="VATEX-EU-132-1C"),
        )
    ]
    tax_number = seller_of("EUR", tax_id="12/345/67890")
    return [
        issued,
        credit_note_of(issued, [issued.lines[1]]),
        invoice_of(CASES["chf_cash_rounding_up"]),
        invoice_of(CASES["eur_19_basic"], lines=exempt, seller=tax_number),
    ]


@pytest.fixture(scope="module")
def exports() -> dict[str, list[tuple[Any, bool]]]:
    docs = _documents()
    ubl = [(etree.fromstring(to_ubl(d, "peppol")), not isinstance(d, Invoice)) for d in docs]
    cii = [(etree.fromstring(to_cii(d, "xrechnung")), False) for d in docs]
    return {"ubl": ubl, "cii": cii}


@pytest.mark.parametrize("term", TERM_LIST, ids=[t.bt for t in TERM_LIST])
def test_every_ubl_path_of_the_table_finds_its_term(
    term: Any, exports: dict[str, list[tuple[Any, bool]]]
) -> None:
    hits = [
        root.xpath(credit_note_path(term.ubl) if credit else term.ubl, namespaces=NS)
        for root, credit in exports["ubl"]
    ]
    assert any(hits), f"{term.bt} {term.ubl}"


@pytest.mark.parametrize("term", TERM_LIST, ids=[t.bt for t in TERM_LIST])
def test_every_cii_path_of_the_table_finds_its_term(
    term: Any, exports: dict[str, list[tuple[Any, bool]]]
) -> None:
    assert any(root.xpath(term.cii, namespaces=NS) for root, _ in exports["cii"]), term.bt


def test_the_table_has_each_term_once_and_covers_the_totals() -> None:
    ids = [t.bt for t in TERM_LIST]

    assert len(ids) == len(set(ids))
    assert {
        "BT-106",
        "BT-107",
        "BT-108",
        "BT-109",
        "BT-110",
        "BT-112",
        "BT-113",
        "BT-114",
        "BT-115",
    } <= set(ids)


def test_values_at_the_paths_are_the_model_values(
    exports: dict[str, list[tuple[Any, bool]]],
) -> None:
    root, _ = exports["ubl"][0]
    cii, _ = exports["cii"][0]
    by_id = {t.bt: t for t in TERM_LIST}

    def ubl_text(bt: str) -> list[str]:
        return [
            e.text if hasattr(e, "text") else str(e)
            for e in root.xpath(by_id[bt].ubl, namespaces=NS)
        ]

    def cii_text(bt: str) -> list[str]:
        return [
            e.text if hasattr(e, "text") else str(e)
            for e in cii.xpath(by_id[bt].cii, namespaces=NS)
        ]

    for bt, expected in {
        "BT-10": ["B-1"],
        "BT-11": ["P-1"],
        "BT-12": ["C-1"],
        "BT-13": ["PO-1"],
        "BT-30": ["HRB 12345"],
        "BT-47": ["RCS 303 265 045"],
        "BT-84": ["DE89370400440532013000"],
        "BT-83": ["INV-RICH"],
        "BT-113": ["10.00"],
        "BT-97": ["Volume"],
        "BT-104": ["Shipping", "Handling"],
        "BT-130": ["HUR", "MON", "H87"],
        "BT-153": ["Consulting", "Hosting", "Screws"],
        "BT-139": ["Loyalty"],
        "BT-144": ["Travel"],
        "BT-149": ["100"],
    }.items():
        assert ubl_text(bt) == expected, bt
        assert cii_text(bt) == expected, bt


# -- the model fields -------------------------------------------------------------------------


def test_electronic_address_and_contact_are_validated() -> None:
    with pytest.raises(ValidationError) as caught:
        ElectronicAddress("88", "")
    assert set(caught.value.paths) == {"scheme", "id"}
    with pytest.raises(ValidationError, match="e-mail"):
        ElectronicAddress("EM", "not-an-address")
    with pytest.raises(ValidationError) as caught:
        Contact(phone="123", email="x")
    assert set(caught.value.paths) == {"phone", "email"}
    with pytest.raises(ValidationError, match="at least one"):
        Contact()
    with pytest.raises(ValidationError, match="ElectronicAddress"):
        seller_of("EUR", electronic_address=("0088", "4035811991021"))


def test_invoice_references_are_validated() -> None:
    with pytest.raises(ValidationError) as caught:
        invoice_of(
            CASES["eur_19_basic"],
            buyer_reference="",
            order_reference="x" * 201,
            project_reference="two\nlines",
        )
    assert {"buyer_reference", "order_reference", "project_reference"} <= set(caught.value.paths)


def test_new_fields_survive_storage() -> None:
    converter = make_converter()
    invoice = invoice_of(CASES["eur_19_basic"], contract_reference="C-1", project_reference="P-1")

    again = from_document(converter, to_document(converter, invoice), Invoice)

    assert again == invoice
    assert again.seller is not None
    assert invoice.seller is not None
    assert again.seller.contact == invoice.seller.contact
    assert again.customer is not None
    assert again.customer.electronic_address == ElectronicAddress("9957", "FR40303265045")
    assert again.contract_reference == "C-1"


def test_the_reference_page_lists_every_term() -> None:
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "docs" / "_ext"))
    try:
        from bt_mapping_docs import markdown
    finally:
        sys.path.pop(0)

    text = "\n".join(markdown())
    for term in TERM_LIST:
        assert f"| {term.bt} |" in text
