"""XRechnung 3.0's BR-DE rules: checked before writing, and visible in every export.

KoSIT's XRechnung schematron is not packaged for offline use, so the BR-DE rules
are covered twice here: the profile check refuses an invoice that lacks what a
rule needs (named by BT number and rule id), and every golden export in both
syntaxes is checked with XPath for the rules the writer itself must honour
(BR-DE-1, 2, 14, 15, 17, 21, 23-a), besides passing the EN 16931 rules.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import attrs
import pytest
from lxml import etree

from einvoice.export_cases import credit_note_of, customer_of, invoice_of, seller_of
from golden import load_cases
from invoicekit.domain.line import Line, ServicePeriod
from invoicekit.domain.parties import Address, Contact
from invoicekit.domain.tax import Vat
from invoicekit.einvoice import check_profile, to_cii, to_xrechnung, validation
from invoicekit.errors import ValidationError

CASES = load_cases()
REFUSED = {
    "bhd_10_tie_half_even",
    "bhd_10_tie_half_up",
    "kwd_5_three_decimals",
    "usd_stacked_state_county_city",
}
EXPORTED = [(name, case) for name, case in CASES if name not in REFUSED]
CASE = dict(CASES)["eur_19_basic"]
SPECIFICATION = "urn:cen.eu:en16931:2017#compliant#urn:xeinkauf.de:kosit:xrechnung_3.0"
NS = {
    "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
    "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
    "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
}
#: XPath per syntax for each BR-DE rule the writer must honour: a test that must be true.
_UBL_RULES = {
    "BR-DE-1": "boolean(cac:PaymentMeans)",
    "BR-DE-2": "boolean(cac:AccountingSupplierParty/cac:Party/cac:Contact)",
    "BR-DE-14": "not(cac:TaxTotal/cac:TaxSubtotal/cac:TaxCategory[cbc:ID != 'O'][not(cbc:Percent)])",
    "BR-DE-15": "normalize-space(cbc:BuyerReference) != ''",
    "BR-DE-17": "(cbc:InvoiceTypeCode | cbc:CreditNoteTypeCode) = "
    "('326', '380', '384', '389', '381', '875', '876', '877')",
    "BR-DE-21": f"cbc:CustomizationID = '{SPECIFICATION}'",
    "BR-DE-23-a": "every $m in cac:PaymentMeans[cbc:PaymentMeansCode = ('30', '58')] satisfies "
    "($m/cac:PayeeFinancialAccount/cbc:ID and not($m/cac:CardAccount) "
    "and not($m/cac:PaymentMandate))",
}
_SETTLEMENT = "rsm:SupplyChainTradeTransaction/ram:ApplicableHeaderTradeSettlement"
_CII_RULES = {
    "BR-DE-1": f"boolean({_SETTLEMENT}/ram:SpecifiedTradeSettlementPaymentMeans)",
    "BR-DE-2": "boolean(rsm:SupplyChainTradeTransaction/ram:ApplicableHeaderTradeAgreement/"
    "ram:SellerTradeParty/ram:DefinedTradeContact)",
    "BR-DE-14": f"not({_SETTLEMENT}/ram:ApplicableTradeTax[ram:CategoryCode != 'O']"
    "[not(ram:RateApplicablePercent)])",
    "BR-DE-15": "normalize-space(rsm:SupplyChainTradeTransaction/"
    "ram:ApplicableHeaderTradeAgreement/ram:BuyerReference) != ''",
    "BR-DE-17": "rsm:ExchangedDocument/ram:TypeCode = "
    "('326', '380', '384', '389', '381', '875', '876', '877')",
    "BR-DE-21": "rsm:ExchangedDocumentContext/ram:GuidelineSpecifiedDocumentContextParameter/"
    f"ram:ID = '{SPECIFICATION}'",
    "BR-DE-23-a": f"every $m in {_SETTLEMENT}/ram:SpecifiedTradeSettlementPaymentMeans"
    "[ram:TypeCode = ('30', '58')] satisfies ($m/ram:PayeePartyCreditorFinancialAccount/"
    "ram:IBANID and not($m/ram:ApplicableTradeSettlementFinancialCard) "
    "and not($m/ram:PayerPartyDebtorFinancialAccount))",
}


@pytest.fixture(scope="module")
def saxon() -> Any:
    """One Saxon processor and XPath 3.1 evaluator for the BR-DE checks (XPath 1 lacks '=' on sequences)."""
    saxonche = pytest.importorskip("saxonche")
    processor = saxonche.PySaxonProcessor(license=False)
    xpath = processor.new_xpath_processor()
    for prefix, uri in NS.items():
        xpath.declare_namespace(prefix, uri)
    return processor, xpath


def broken_br_de(xml: bytes, saxon: Any) -> list[str]:
    """The BR-DE rules (of those the writer must honour) that ``xml`` breaks."""
    processor, xpath = saxon
    root = etree.fromstring(xml)
    rules = _CII_RULES if etree.QName(root).localname == "CrossIndustryInvoice" else _UBL_RULES
    document = processor.parse_xml(xml_text=xml.decode("utf-8"))
    xpath.set_context(xdm_item=document.children[0])
    return [rule for rule, test in rules.items() if not xpath.effective_boolean_value(test)]


def _rules_for(xml: bytes) -> list[str]:
    if b"CrossIndustryInvoice" in xml[:200]:
        return ["cii-xsd", "en16931-cii"]
    return ["ubl-xsd", "en16931-ubl"]


@pytest.mark.parametrize(("name", "case"), EXPORTED, ids=[n for n, _ in EXPORTED])
@pytest.mark.parametrize("syntax", ["ubl", "cii"])
def test_golden_xrechnung_honours_br_de_and_passes_en16931(
    name: str, case: dict[str, Any], syntax: str, saxon: Any
) -> None:
    if name == "eur_split_payment_b" and syntax == "cii":
        pytest.skip("split payment (B) is exported as UBL only (see test_export_golden)")
    xml = to_xrechnung(invoice_of(case), syntax)
    report = validation.validate(xml, rules=_rules_for(xml))

    assert broken_br_de(xml, saxon) == [], name
    assert report.errors == (), name


@pytest.mark.parametrize("syntax", ["ubl", "cii"])
def test_the_br_de_checks_catch_a_document_that_breaks_them(syntax: str, saxon: Any) -> None:
    xml = to_xrechnung(invoice_of(CASE), syntax)
    tampered = xml.replace(b"04011000-12345-34", b" ").replace(SPECIFICATION.encode(), b"x", 1)

    assert broken_br_de(tampered, saxon) == ["BR-DE-15", "BR-DE-21"]


def _refused(doc: Any) -> dict[str, str]:
    with pytest.raises(ValidationError) as caught:
        check_profile(doc, "xrechnung")
    return {p.path: p.message for p in caught.value.problems}


@pytest.mark.parametrize(
    ("rule", "seller", "customer", "term"),
    [
        ("BR-DE-1", {"bank_account": None}, {}, "BG-16 seller.bank_account"),
        ("BR-DE-2", {"contact": None}, {}, "BT-41 seller.contact.name"),
        ("BR-DE-3", {"address": Address(country="DE", postal_code="1")}, {}, "BT-37"),
        ("BR-DE-4", {"address": Address(country="DE", city="Berlin")}, {}, "BT-38"),
        ("BR-DE-5", {"contact": Contact(email="a@b.de")}, {}, "BT-41 seller.contact.name"),
        ("BR-DE-6", {"contact": Contact(name="Ada")}, {}, "BT-42 seller.contact.phone"),
        ("BR-DE-7", {"contact": Contact(name="Ada")}, {}, "BT-43 seller.contact.email"),
        ("BR-DE-8", {}, {"address": Address(country="FR", postal_code="75002")}, "BT-52"),
        ("BR-DE-9", {}, {"address": Address(country="FR", city="Paris")}, "BT-53"),
        ("BR-DE-16", {"tax_id": None}, {}, "BT-31 seller.tax_id"),
    ],
)
def test_each_br_de_rule_names_the_missing_term(
    rule: str, seller: dict[str, Any], customer: dict[str, Any], term: str
) -> None:
    invoice = invoice_of(CASE, seller=seller_of("EUR", **seller), customer=customer_of(**customer))

    paths = _refused(invoice)

    assert any(path.startswith(term) for path in paths), (rule, paths)


@attrs.frozen
class Skonto:
    """Net 30 days with a cash discount, its text in whatever form a host chose."""

    text: str

    def due_date(self, issue_date: date) -> date:
        return issue_date + timedelta(days=30)

    def describe(self) -> str:
        return self.text


@pytest.mark.parametrize(
    "text",
    [
        "#SKONTO#TAGE=14#PROZENT=2#\n",  # two decimals required
        "Net 30 days\n#SKONTO# 2% within 14 days\n",
        "#SKONTO#TAGE=14#PROZENT=2.00#",  # no closing line break
    ],
)
def test_a_cash_discount_not_in_kosit_format_is_refused_as_br_de_18(text: str) -> None:
    invoice = invoice_of(CASE, terms=Skonto(text))

    problems = _refused(invoice)

    assert "BT-20 terms" in problems
    assert "BR-DE-18" in problems["BT-20 terms"]


def test_a_cash_discount_in_kosit_format_is_written_as_bt_20() -> None:
    text = "#SKONTO#TAGE=14#PROZENT=2.00#\n#SKONTO#TAGE=30#PROZENT=1.00#BASISBETRAG=100.00#\n"
    invoice = invoice_of(CASE, terms=Skonto(text))
    ubl = etree.fromstring(to_xrechnung(invoice, "ubl"))
    cii = etree.fromstring(to_xrechnung(invoice, "cii"))

    assert ubl.findtext("cac:PaymentTerms/cbc:Note", namespaces=NS) == text
    description = ".//ram:SpecifiedTradePaymentTerms/ram:Description"
    assert cii.findtext(description, namespaces=NS) == text
    check_profile(invoice_of(CASE, terms=Skonto("Net 30 days, #2 of 3")), "xrechnung")


def test_contact_phone_and_email_formats_are_held_by_the_model() -> None:
    # BR-DE-27 (at least three digits) and BR-DE-28 (one plain e-mail address) need no
    # check of their own: a Contact refuses anything else when it is made.
    with pytest.raises(ValidationError):
        Contact(name="Ada", phone="12")
    with pytest.raises(ValidationError):
        Contact(name="Ada", email="ada@@example.com")


def test_a_credit_note_needs_a_buyer_reference_too() -> None:
    note = credit_note_of(invoice_of(CASE))
    without = attrs.evolve(note, buyer_reference=None)

    assert "BT-10 buyer_reference" in _refused(without)
    assert to_xrechnung(note, "ubl").count(b"<cbc:BuyerReference>04011000-12345-34<") == 1


def test_a_one_day_supply_fills_the_cii_delivery_with_bt_72() -> None:
    day = date(2026, 2, 27)
    lines = [
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
    invoice = invoice_of(CASE, lines=lines)
    for xml in (to_cii(invoice), to_xrechnung(invoice, "cii")):
        cii = etree.fromstring(xml)
        event = ".//ram:ApplicableHeaderTradeDelivery/ram:ActualDeliverySupplyChainEvent/"
        report = validation.validate(xml, rules=["cii-xsd", "en16931-cii"])

        assert cii.findtext(event + "ram:OccurrenceDateTime/*", namespaces=NS) == "20260227"
        assert report.errors == ()
        assert "PEPPOL-EN16931-R008" not in {f.rule_id for f in report.warnings}


def test_without_a_known_delivery_date_the_cii_delivery_stays_empty() -> None:
    # The schema requires the element; BT-72 is not invented from the issue date.
    cii = etree.fromstring(to_cii(invoice_of(CASE)))
    delivery = cii.find(".//ram:ApplicableHeaderTradeDelivery", NS)

    assert delivery is not None
    assert len(delivery) == 0
