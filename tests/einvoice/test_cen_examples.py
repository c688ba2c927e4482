"""Every official EN 16931 example of CEN/TC 434 is read, with the warnings it deserves.

The files under ``cen/`` (EUPL 1.2, see its README) all pass the official rules. Each
is read; what a receiver cannot change is asserted as warnings (last XPath step, value).
Each but those of ``NOT_EXPORTED`` is exported again, passes the official rules and
reads back to the same XML: the model holds them all (negative lines and totals,
allowances in a VAT group of their own, every code, credit notes naming no invoice).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from invoicekit.domain.invoice import CreditNote, Invoice
from invoicekit.einvoice import to_cii, to_ubl
from invoicekit.einvoice.reader import ReadResult, read
from invoicekit.einvoice.validation import validate
from invoicekit.errors import ValidationError

CEN = Path(__file__).parent / "cen"
#: The sdist leaves the EUPL-licensed examples out (pyproject.toml); the tests need the repo.
pytestmark = pytest.mark.skipif(not CEN.is_dir(), reason="the CEN examples are not in the sdist")
FILES = sorted(f"{p.parent.name}/{p.name}" for p in CEN.glob("*/*") if p.suffix.lower() == ".xml")

_IBAN_DK = ("ram:IBANID", "DK1212341234123412")
#: The warnings each file deserves, as (last step of the XPath, value as stated).
WARNINGS: dict[str, list[tuple[str, str | None]]] = {
    "cii/CII-BR-CO-10-RoundingIssue.xml": [("ram:IBANID", "IBAN"), ("ram:BICID", "BIC")],
    "ubl/BIS3_Invoice_negativ.XML": [
        ("cbc:ID", "1234567891234"),
        ("ubl:Invoice", "-782179.43"),  # a total below zero, read as stated
    ],
    "cii/CII_business_example_02.xml": [_IBAN_DK, ("rsm:CrossIndustryInvoice", "2013-05-10")],
    "cii/CII_example3.xml": [_IBAN_DK],
    "cii/CII_example4.xml": [_IBAN_DK],
    "cii/CII_example5.xml": [_IBAN_DK],
    "cii/CII_example7.xml": [("ram:IBANID", "SE1212341234123412")],
    "cii/XRechnung-O.xml": [
        ("ram:URIID", "XX"),  # an EM address that is no e-mail
        ("ram:URIID", "EM"),  # an EM address with no id
        ("ram:IBANID", "XX"),
        ("ram:ExemptionReasonCode", "vatex-eu-132-1a"),
        ("rsm:CrossIndustryInvoice", "2021-01-01"),  # due before issue
    ],
    "ubl/BIS3_Invoice_positive.XML": [("cbc:ID", "1234567891234")],
    "ubl/guide-example3.xml": [("cbc:ID", "DK1212341234123412")],
    "ubl/sample-discount-price.xml": [
        (
            "cbc:RegistrationName",
            "HEP-OPERATOR DISTRIBUCIJSKOG SUSTAVA D.O.O. ZA DISTRIBUCIJU I\n"
            + " " * 20
            + "OPSKRBU ELEKTRICNE ENERGIJE",
        )
    ],
    "ubl/ubl-tc434-example3.xml": [("cbc:ID", "DK1212341234123412")],
    "ubl/ubl-tc434-example4.xml": [("cbc:ID", "DK1212341234123412")],
    "ubl/ubl-tc434-example7.xml": [("cbc:ID", "SE1212341234123412")],
}
#: Examples whose stated line nets are not quantity x price / base quantity (EN 16931
#: has no rule for BT-131 itself): the reader names each such line as a BT-131 difference.
LINE_NETS_AS_STATED_DIFFER: dict[str, int] = {
    "cii/CII_business_example_01.xml": 5,  # base quantity stated equal to the price
    "cii/CII_business_example_Z.xml": 1,  # line 3: quantity 1, price 1.50, net 177.41
    "cii/CII_example1.xml": 1,  # line 20: quantity 6, price 18.33, net -109.98
    "cii/CII_example2.xml": 5,  # base quantity stated equal to the price
    "cii/CII_example8.xml": 10,  # base quantity stated equal to the price
    "cii/CII_example9.xml": 1,  # base quantity stated equal to the price
    "cii/XRechnung-O.xml": 2,
    "cii/huf_example_cii.xml": 3,  # line nets rounded to whole forint
    "ubl/guide-example1.xml": 1,
    "ubl/guide-example2.xml": 1,  # line 1: net half of quantity x price
    "ubl/guide-example3.xml": 2,  # net half of quantity x price
    "ubl/ubl-tc434-example1.xml": 1,
    "ubl/ubl-tc434-example10.xml": 1,
    "ubl/ubl-tc434-example2.xml": 1,  # line 1: net half of quantity x price
    "ubl/ubl-tc434-example3.xml": 2,
}
#: Read, but the export refuses what the model holds (it is the sender's to fix).
NOT_EXPORTED: dict[str, str] = {
    "cii/CII_example7.xml": "BT-29 seller identifier only, which the model does not hold",
    "ubl/ubl-tc434-example7.xml": "BT-29 seller identifier only, which the model does not hold",
    "cii/XRechnung-O.xml": "exemption code written in lower case",
}


def _read(name: str) -> ReadResult:
    return read((CEN / name).read_bytes())


def test_every_official_example_is_here() -> None:
    assert len(FILES) == 34
    assert set(WARNINGS) | set(LINE_NETS_AS_STATED_DIFFER) | set(NOT_EXPORTED) <= set(FILES)


@pytest.mark.parametrize("name", FILES)
def test_every_official_example_is_read_with_the_warnings_it_deserves(name: str) -> None:
    result = _read(name)

    assert isinstance(result.document, CreditNote if "creditnote" in name else Invoice)
    assert [(w.path.rpartition("/")[2], w.value) for w in result.warnings] == WARNINGS.get(name, [])
    net_differences = [d for d in result.differences if d.term == "BT-131"]
    assert len(net_differences) == LINE_NETS_AS_STATED_DIFFER.get(name, 0)
    assert result.totals_match is (name not in LINE_NETS_AS_STATED_DIFFER)


@pytest.mark.parametrize("name", [n for n in FILES if n not in NOT_EXPORTED])
def test_exported_again_it_passes_the_official_rules_and_reads_back(name: str) -> None:
    result = _read(name)
    export = (lambda d: to_ubl(d, "en16931")) if result.syntax == "ubl" else to_cii
    xml = export(result.document)

    report = validate(xml)
    again = read(xml)

    assert report.valid, report.errors
    assert export(again.document) == xml
    # What was warned of is exported as held, so it is warned of again; nothing new is.
    assert {w.value for w in again.warnings} <= {w.value for w in result.warnings}
    assert again.totals_match


@pytest.mark.parametrize("name", sorted(NOT_EXPORTED))
def test_the_export_refuses_what_the_sender_must_fix(name: str) -> None:
    document = _read(name).document
    export = (lambda d: to_ubl(d, "en16931")) if name.startswith("ubl/") else to_cii
    with pytest.raises(ValidationError, match=r"BR-CO-26|VATEX"):
        export(document)
