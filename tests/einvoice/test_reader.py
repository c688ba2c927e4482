"""The e-invoice reader: export, read, export gives the same bytes; sums are checked; T39.

Every golden invoice and its credit note is exported in every profile and syntax, read
back into the model and exported again; the XML must be byte for byte the same, the
sums must match, and nothing may be left unmapped. Foreign documents, added elements,
wrong sums and hostile XML show what a host receiving e-invoices gets.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings

from einvoice.export_cases import RICH_NOTE, credit_note_of, invoice_of, rich_lines
from golden import load_cases
from invoicekit.domain.invoice import CreditNote, Invoice
from invoicekit.einvoice import check_profile, to_cii, to_ubl, to_xrechnung
from invoicekit.einvoice.reader import ReadResult, read
from invoicekit.errors import ValidationError
from invoicekit.money import minor_unit
from invoicekit.testing.strategies import cases
from loopback import serving
from sizes import examples

SAMPLES = Path(__file__).parent / "samples"
CASES = load_cases()
#: Golden cases EN 16931 cannot express (the export refuses them; see test_export_golden).
REFUSED = {
    "bhd_10_tie_half_even",
    "bhd_10_tie_half_up",
    "kwd_5_three_decimals",
    "usd_stacked_state_county_city",
}
EXPORTED = [(name, case) for name, case in CASES if name not in REFUSED]
#: Golden cases the Factur-X CII rules cannot take (split payment B): UBL only.
UBL_ONLY = {"eur_split_payment_b"}
Export = Callable[[Invoice | CreditNote], bytes]
EXPORTS: dict[str, tuple[Export, str, str]] = {
    "ubl-peppol": (lambda d: to_ubl(d, "peppol"), "ubl", "peppol"),
    "ubl-en16931": (lambda d: to_ubl(d, "en16931"), "ubl", "en16931"),
    "cii-en16931": (to_cii, "cii", "en16931"),
    "xrechnung-ubl": (lambda d: to_xrechnung(d, "ubl"), "ubl", "xrechnung"),
    "xrechnung-cii": (lambda d: to_xrechnung(d, "cii"), "cii", "xrechnung"),
}
#: The terms a tax-inclusive invoice may state a cent off base x rate (BR-CO-17 allows it).
TAX_TERMS = {"BT-110", "BT-112", "BT-115", "BT-117"}


def _inexact(doc: Invoice | CreditNote) -> bool:
    """Whether a tax-inclusive group had no net whose tax adds up to the gross exactly.

    Such an invoice states a tax a cent away from base x rate; the XML carries net
    figures only, so no reader can rebuild the gross prices that produced it.
    """
    return any("no exact net exists" in step.where for step in doc.totals.steps)


def _round_trip(doc: Invoice | CreditNote, label: str) -> tuple[bytes, ReadResult]:
    export, syntax, profile = EXPORTS[label]
    xml = export(doc)
    result = read(xml)
    assert result.syntax == syntax
    assert result.profile == profile
    assert result.unknown == (), result.unknown
    assert type(result.document) is type(doc)
    if result.totals_match:
        assert export(result.document) == xml
    else:
        # Only a tax-inclusive invoice whose stated tax is a cent off base x rate.
        assert _inexact(doc), result.differences
        unit = minor_unit(doc.currency)
        assert {d.term for d in result.differences} <= TAX_TERMS
        assert all(
            d.stated is not None and d.computed is not None and abs(d.stated - d.computed) <= unit
            for d in result.differences
        )
    return xml, result


@pytest.mark.parametrize("label", sorted(EXPORTS))
@pytest.mark.parametrize(("name", "case"), EXPORTED, ids=[n for n, _ in EXPORTED])
def test_golden_invoice_and_credit_note_read_back_to_the_same_xml(
    name: str, case: dict[str, Any], label: str
) -> None:
    if name in UBL_ONLY and EXPORTS[label][1] == "cii":
        pytest.skip("split payment (B) is exported as UBL only (see test_export_golden)")
    invoice = invoice_of(case)
    for doc in (invoice, credit_note_of(invoice)):
        _round_trip(doc, label)


def test_only_one_golden_invoice_states_a_tax_the_engine_cannot_reproduce() -> None:
    # Guards the exemption in _round_trip: it must stay the exception it is.
    differing = [name for name, case in EXPORTED if not read(to_ubl(invoice_of(case))).totals_match]
    assert differing == ["eur_inclusive_per_line"]


@pytest.mark.parametrize("label", sorted(EXPORTS))
def test_a_rich_invoice_and_its_credit_note_round_trip_in_every_profile(label: str) -> None:
    invoice = invoice_of(
        dict(CASES)["eur_19_basic"],
        lines=rich_lines(),
        paid="100.00",
        contract_reference="C-1",
        project_reference="P-9",
    )
    _, result = _round_trip(invoice, label)
    read_back = result.document
    assert isinstance(read_back, Invoice)
    assert read_back.number == "INV-GOLDEN-1"
    assert read_back.paid == Decimal("100.00")
    assert read_back.amount_due == invoice.amount_due
    assert (read_back.contract_reference, read_back.project_reference) == ("C-1", "P-9")
    assert (read_back.buyer_reference, read_back.order_reference) == ("04011000-12345-34", "PO-77")
    assert [line.unit for line in read_back.lines] == ["HUR", "MON", "H87"]
    assert [line.note for line in read_back.lines] == [RICH_NOTE, None, None]
    assert f"[{RICH_NOTE.replace(chr(10), ' / ')}]" in read_back.totals.explain()
    assert read_back.lines[2].base_quantity == Decimal(100)
    assert read_back.lines[0].discounts[0].percent == Decimal(10)
    assert read_back.lines[0].charges[0].amount == Decimal("15.00")
    assert read_back.seller is not None
    assert invoice.seller is not None
    assert read_back.seller.legal_name == "Golden Seller GmbH"
    assert read_back.seller.contact == invoice.seller.contact
    assert read_back.seller.bank_account == invoice.seller.bank_account
    assert read_back.seller.electronic_address == invoice.seller.electronic_address

    note = credit_note_of(invoice)
    _, note_result = _round_trip(note, label)
    assert note_result.credits == ("INV-GOLDEN-1", invoice.issue_date)
    assert isinstance(note_result.document, CreditNote)
    assert note_result.document.reason == "Returned goods"
    assert [line.note for line in note_result.document.lines] == [RICH_NOTE]


@settings(
    max_examples=examples(ci=60, dev=12),
    suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow],
)
@given(case=cases(max_lines=6))
def test_every_generated_invoice_reads_back_to_the_same_xml(case: dict[str, Any]) -> None:
    # Tax-exclusive prices: the XML then holds every figure the engine started from.
    invoice = invoice_of({**case, "prices": "exclusive"})
    try:
        check_profile(invoice, "peppol")
    except ValidationError:
        assume(False)
    for label in ("ubl-peppol", "cii-en16931"):
        _, result = _round_trip(invoice, label)
        read_totals = result.document.totals
        assert read_totals.bt() == invoice.totals.bt()
        assert read_totals.breakdown == invoice.totals.breakdown
        assert [la.net for la in read_totals.lines] == [la.net for la in invoice.totals.lines]


def test_parties_get_stable_ids_from_their_tax_ids() -> None:
    invoice = invoice_of(dict(CASES)["eur_19_basic"])
    first, second = read(to_ubl(invoice)).document, read(to_cii(invoice)).document

    assert isinstance(first, Invoice)
    assert isinstance(second, Invoice)
    assert first.seller_id == second.seller_id == "seller:tax:DE123456789"
    assert first.customer_id == second.customer_id == "customer:tax:FR40303265045"
    assert first.id == second.id


@pytest.mark.parametrize("name", ["ubl-invoice.xml", "cii-invoice.xml"])
def test_a_foreign_sample_reads_with_its_sums_confirmed(name: str) -> None:
    result = read((SAMPLES / name).read_bytes())
    doc = result.document

    assert isinstance(doc, Invoice)
    assert result.totals_match
    assert result.differences == ()
    assert result.profile == "en16931"
    assert (doc.number, doc.issue_date, doc.due_date) == (
        "INV-2026-00017",
        date(2026, 3, 2),
        date(2026, 4, 1),
    )
    assert doc.seller is not None
    assert doc.customer is not None
    assert doc.seller.name == "Acme Software GmbH"
    assert doc.customer.name == "Customer BV"
    assert doc.buyer_reference == "PO-4711"
    assert [(line.quantity, line.unit_price, line.unit) for line in doc.lines] == [
        (Decimal(2), Decimal("75.00"), "HUR"),
        (Decimal(1), Decimal("50.00"), "C62"),
    ]
    assert doc.totals.payable == Decimal("238.00")
    # "Net 30 days" gives the stated due date; the wording is kept as the sender wrote it.
    assert doc.metadata["payment_terms"] == "Net 30 days"


def test_unknown_elements_are_reported_with_their_paths() -> None:
    xml = to_ubl(invoice_of(dict(CASES)["eur_19_basic"]))
    changed = xml.replace(
        b"<cac:PaymentMeans>",
        b"<cac:Delivery><cbc:ActualDeliveryDate>2026-02-27</cbc:ActualDeliveryDate>"
        b"</cac:Delivery><cac:PaymentMeans>",
    ).replace(
        b"<cac:PartyLegalEntity>",
        b'<ext:Rating xmlns:ext="urn:example:ext">AAA</ext:Rating><cac:PartyLegalEntity>',
        1,
    )
    assert changed.count(b"Delivery>") == 2
    assert b"ext:Rating" in changed

    result = read(changed)

    paths = {u.path: u.text for u in result.unknown}
    assert paths == {
        # A delivery date (BT-72) the lines do not give: read, reported, not kept.
        "/ubl:Invoice/cac:Delivery/cbc:ActualDeliveryDate": "2026-02-27",
        "/ubl:Invoice/cac:AccountingSupplierParty/cac:Party/{urn:example:ext}Rating": "AAA",
    }
    assert result.totals_match


def test_unknown_cii_element_and_values_the_model_cannot_hold_are_reported() -> None:
    xml = to_cii(invoice_of(dict(CASES)["eur_19_basic"]))
    changed = xml.replace(
        b"<ram:ApplicableHeaderTradeDelivery/>",
        b"<ram:ApplicableHeaderTradeDelivery><ram:ActualDeliverySupplyChainEvent>"
        b'<ram:OccurrenceDateTime><udt:DateTimeString format="102">20260227'
        b"</udt:DateTimeString></ram:OccurrenceDateTime></ram:ActualDeliverySupplyChainEvent>"
        b"</ram:ApplicableHeaderTradeDelivery>",
    ).replace(
        b"<ram:PaymentReference>INV-GOLDEN-1</ram:PaymentReference>",
        b"<ram:PaymentReference>RF18539007547034</ram:PaymentReference>",
    )
    assert changed.count(b"ActualDeliverySupplyChainEvent") == 2
    assert b"RF18539007547034" in changed

    result = read(changed)

    settlement = "/rsm:CrossIndustryInvoice/rsm:SupplyChainTradeTransaction/"
    by_path = {u.path: u for u in result.unknown}
    assert set(by_path) == {
        settlement + "ram:ApplicableHeaderTradeDelivery/ram:ActualDeliverySupplyChainEvent",
        settlement + "ram:ApplicableHeaderTradeSettlement/ram:PaymentReference",
    }
    reference = by_path[settlement + "ram:ApplicableHeaderTradeSettlement/ram:PaymentReference"]
    assert reference.text == "RF18539007547034"
    assert "BT-1" in reference.reason


@pytest.mark.parametrize("syntax", ["ubl", "cii"])
def test_stated_totals_that_disagree_with_the_lines_are_named_by_term(syntax: str) -> None:
    invoice = invoice_of(dict(CASES)["eur_19_basic"])
    bt = invoice.totals.bt()
    xml = to_ubl(invoice) if syntax == "ubl" else to_cii(invoice)
    tag = b'cbc:TaxInclusiveAmount currencyID="EUR"' if syntax == "ubl" else b"ram:GrandTotalAmount"
    total = b"<" + tag + f">{bt['BT-112']:f}<".encode()
    wrong = b"<" + tag + f">{bt['BT-112'] + 1:f}<".encode()
    assert xml.count(total) == 1
    tampered = xml.replace(total, wrong)

    result = read(tampered)

    assert not result.totals_match
    assert [(d.term, d.stated, d.computed) for d in result.differences] == [
        ("BT-112", bt["BT-112"] + 1, bt["BT-112"])
    ]
    assert result.differences[0].path.endswith(
        "cbc:TaxInclusiveAmount" if syntax == "ubl" else "ram:GrandTotalAmount"
    )
    # The document holds what invoicekit computes, not the sender's sum.
    assert result.document.totals.tax_inclusive == bt["BT-112"]


def test_a_wrong_line_net_is_reported_as_bt_131_and_bt_106() -> None:
    invoice = invoice_of(dict(CASES)["eur_19_basic"])
    xml = to_ubl(invoice)
    net = invoice.totals.lines[0].net
    line = xml.index(b"<cac:InvoiceLine>")
    old = f">{net:f}</cbc:LineExtensionAmount>".encode()
    new = f">{net + Decimal('0.01'):f}</cbc:LineExtensionAmount>".encode()
    tampered = xml[:line] + xml[line:].replace(old, new, 1)
    assert tampered != xml

    result = read(tampered)

    assert not result.totals_match
    assert [(d.term, d.path, d.stated, d.computed) for d in result.differences] == [
        (
            "BT-131",
            "/ubl:Invoice/cac:InvoiceLine[1]/cbc:LineExtensionAmount",
            net + Decimal("0.01"),
            net,
        )
    ]


def test_unknown_unit_code_is_refused_with_its_xpath() -> None:
    xml = to_ubl(invoice_of(dict(CASES)["eur_19_basic"]))
    changed = xml.replace(b'unitCode="C62"', b'unitCode="QQQ"', 1)
    assert changed != xml

    with pytest.raises(ValidationError) as caught:
        read(changed)

    assert caught.value.paths == ("/ubl:Invoice/cac:InvoiceLine[1]/cbc:InvoicedQuantity/@unitCode",)
    # The message names the list and its version, not its 2,162 codes.
    message = str(caught.value)
    assert "BR-CL-23" in message
    assert "eInvoicing-EN16931" in message
    assert "H87" not in message
    assert len(message) < 400


def test_unknown_tax_category_is_refused_with_its_xpath() -> None:
    xml = to_cii(invoice_of(dict(CASES)["eur_19_basic"]))
    changed = xml.replace(
        b"<ram:CategoryCode>S</ram:CategoryCode>", b"<ram:CategoryCode>Q</ram:CategoryCode>", 1
    )
    assert changed != xml

    with pytest.raises(ValidationError) as caught:
        read(changed)

    (path,) = caught.value.paths
    assert path.startswith("/rsm:CrossIndustryInvoice/rsm:SupplyChainTradeTransaction/")
    assert "ram:ApplicableTradeTax" in path
    assert "'Q'" in str(caught.value)


def test_a_non_numeric_amount_is_refused_with_its_xpath() -> None:
    invoice = invoice_of(dict(CASES)["eur_19_basic"])
    xml = to_ubl(invoice)
    line = xml.index(b"<cac:InvoiceLine>")
    old = f">{invoice.totals.lines[0].net:f}</cbc:LineExtensionAmount>".encode()
    changed = xml[:line] + xml[line:].replace(old, b">1e3</cbc:LineExtensionAmount>", 1)
    assert changed != xml

    with pytest.raises(ValidationError) as caught:
        read(changed)

    assert caught.value.paths == ("/ubl:Invoice/cac:InvoiceLine[1]/cbc:LineExtensionAmount",)


def test_a_document_that_is_not_an_e_invoice_is_refused() -> None:
    with pytest.raises(ValidationError, match=r"root must be a UBL 2\.1 Invoice"):
        read(b"<?xml version='1.0'?><Order xmlns='urn:example'><ID>1</ID></Order>")


def test_a_credit_note_without_the_invoice_it_credits_is_read_as_standalone() -> None:
    invoice = invoice_of(dict(CASES)["eur_19_basic"])
    xml = to_ubl(credit_note_of(invoice))
    start = xml.index(b"<cac:BillingReference>")
    end = xml.index(b"</cac:BillingReference>") + len(b"</cac:BillingReference>")

    result = read(xml[:start] + xml[end:])  # EN 16931 makes BT-25 optional

    note = result.document
    assert isinstance(note, CreditNote)
    assert (note.invoice_id, note.invoice_number, note.invoice_issue_date) == (None, None, None)
    assert result.credits is None
    assert result.totals_match


# -- T39: hostile XML through read ----------------------------------------------------------

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE Invoice [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2">&lol4;</Invoice>"""


def test_billion_laughs_is_refused() -> None:
    with pytest.raises(ValidationError, match="DOCTYPE"):
        read(BILLION_LAUGHS)


def test_an_external_file_entity_is_refused_and_not_read(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("s3cr3t-reader-7d2e", encoding="utf-8")
    xml = (
        f'<?xml version="1.0"?><!DOCTYPE Invoice [<!ENTITY x SYSTEM "{secret.as_uri()}">]>'
        '<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2">'
        "<cbc:ID xmlns:cbc='urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2'>"
        "&x;</cbc:ID></Invoice>"
    ).encode()

    with pytest.raises(ValidationError) as caught:
        read(xml)

    assert "s3cr3t-reader-7d2e" not in str(caught.value)


@pytest.fixture
def dtd_server() -> Iterator[tuple[str, list[str]]]:
    """A real HTTP server on loopback; yields its base URL and the paths it was asked for."""
    with serving(b'<!ENTITY leak "fetched">') as running:
        yield running


def test_an_external_dtd_is_refused_without_a_request(dtd_server: tuple[str, list[str]]) -> None:
    url, requests = dtd_server
    xml = (
        f'<?xml version="1.0"?><!DOCTYPE Invoice SYSTEM "{url}/evil.dtd">'
        '<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2">&leak;</Invoice>'
    ).encode()

    with pytest.raises(ValidationError):
        read(xml)

    assert requests == []
