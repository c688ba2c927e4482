"""What a receiver cannot change is read with a warning, never refused; the limits of read().

An IBAN with bad check digits, a BIC of another length, an ``EM`` address that is not
a bare e-mail, a name stated over two lines, an unknown code: each is kept as stated
and warned of with its XPath. Issuing keeps its strict checks. BT-113/BT-114 are taken
as stated and checked by BR-CO-16; a document above ``max_bytes`` is refused unparsed.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from invoicekit.domain.parties import BankAccount, ElectronicAddress
from invoicekit.domain.received import received_account, received_address
from invoicekit.einvoice.reader import ReadWarning, read
from invoicekit.errors import ValidationError

SAMPLE = (Path(__file__).parent / "samples" / "ubl-invoice.xml").read_bytes()
ACCOUNT = "/ubl:Invoice/cac:PaymentMeans/cac:PayeeFinancialAccount"


def _with(*pairs: tuple[bytes, bytes]) -> bytes:
    xml = SAMPLE
    for old, new in pairs:
        assert old in xml
        xml = xml.replace(old, new, 1)
    return xml


def test_an_iban_with_bad_check_digits_and_a_short_bic_are_kept_with_warnings() -> None:
    xml = _with(
        (
            b"<cbc:ID>DE89370400440532013000</cbc:ID>",
            (
                b"<cbc:ID>DK1212341234123412</cbc:ID><cac:FinancialInstitutionBranch>"
                b"<cbc:ID>BIC</cbc:ID></cac:FinancialInstitutionBranch>"
            ),
        ),
    )
    result = read(xml)

    account = result.document.seller.bank_account if result.document.seller else None
    assert account is not None
    assert (account.iban, account.bic) == ("DK1212341234123412", "BIC")
    assert [(w.path, w.value) for w in result.warnings] == [
        (f"{ACCOUNT}/cbc:ID", "DK1212341234123412"),
        (f"{ACCOUNT}/cac:FinancialInstitutionBranch/cbc:ID", "BIC"),
    ]
    assert "check digits" in result.warnings[0].message
    assert "8 or 11 characters" in result.warnings[1].message
    assert result.totals_match


def test_issuing_keeps_refusing_what_reading_keeps() -> None:
    with pytest.raises(ValidationError, match="check digits"):
        BankAccount(iban="DK1212341234123412")
    with pytest.raises(ValidationError, match="8 or 11"):
        BankAccount(iban="DE89370400440532013000", bic="BIC")
    with pytest.raises(ValidationError, match="plain e-mail"):
        ElectronicAddress("EM", "XX")
    assert received_account("1234567891234", "BIC").iban == "1234567891234"
    assert received_address("EM", "XX").id == "XX"


def test_received_values_still_refuse_what_no_document_may_hold() -> None:
    with pytest.raises(ValidationError, match="printable line"):
        received_account("DE89\n3704")
    with pytest.raises(ValidationError, match="EAS code"):
        received_address("bad scheme", "x")


def test_an_em_address_that_is_not_a_bare_e_mail_is_kept_with_a_warning() -> None:
    xml = _with(
        (
            b'<cbc:EndpointID schemeID="0088">4012345000009</cbc:EndpointID>',
            b'<cbc:EndpointID schemeID="EM">Accounts &lt;ap@example.com&gt;</cbc:EndpointID>',
        )
    )
    result = read(xml)

    seller = result.document.seller
    assert seller is not None
    assert seller.electronic_address is not None
    assert seller.electronic_address.id == "Accounts <ap@example.com>"
    (warning,) = result.warnings
    assert warning.path == "/ubl:Invoice/cac:AccountingSupplierParty/cac:Party/cbc:EndpointID"
    assert "e-mail" in warning.message


def test_a_name_over_two_lines_is_read_as_one_with_a_warning() -> None:
    stated = "Customer BV\n        Accounts Payable"
    xml = _with(
        (
            b"<cbc:RegistrationName>Customer BV</cbc:RegistrationName>",
            f"<cbc:RegistrationName>{stated}</cbc:RegistrationName>".encode(),
        )
    )
    result = read(xml)

    assert result.document.customer is not None
    assert result.document.customer.name == "Customer BV Accounts Payable"
    assert result.warnings == (
        ReadWarning(
            "/ubl:Invoice/cac:AccountingCustomerParty/cac:Party/cac:PartyLegalEntity"
            "/cbc:RegistrationName",
            "stated over several lines; read as one line",
            stated,
        ),
    )


def test_unknown_codes_are_warned_of_not_refused() -> None:
    xml = _with(
        (
            b'<cbc:EndpointID schemeID="0088">5790000435975',
            b'<cbc:EndpointID schemeID="ZZZZ">5790000435975',
        ),
    )
    result = read(xml)

    assert [(w.path.rpartition("/")[2], w.value) for w in result.warnings] == [
        ("@schemeID", "ZZZZ"),
    ]


def test_a_stated_rounding_amount_is_taken_as_stated_and_checked_by_br_co_16() -> None:
    xml = _with(
        (
            b'<cbc:PayableAmount currencyID="EUR">238.00</cbc:PayableAmount>',
            (
                b'<cbc:PrepaidAmount currencyID="EUR">38.00</cbc:PrepaidAmount>'
                b'<cbc:PayableRoundingAmount currencyID="EUR">0.03</cbc:PayableRoundingAmount>'
                b'<cbc:PayableAmount currencyID="EUR">200.03</cbc:PayableAmount>'
            ),
        )
    )
    result = read(xml)

    assert result.totals_match, result.differences
    assert result.document.paid == Decimal("38.00")
    assert [u.path for u in result.unknown] == [
        "/ubl:Invoice/cac:LegalMonetaryTotal/cbc:PayableRoundingAmount"
    ]


def test_a_payable_amount_that_breaks_br_co_16_is_a_difference() -> None:
    xml = _with(
        (
            b'<cbc:PayableAmount currencyID="EUR">238.00</cbc:PayableAmount>',
            (
                b'<cbc:PayableRoundingAmount currencyID="EUR">0.03</cbc:PayableRoundingAmount>'
                b'<cbc:PayableAmount currencyID="EUR">238.00</cbc:PayableAmount>'
            ),
        )
    )
    result = read(xml)

    assert not result.totals_match
    assert [(d.term, d.stated, d.computed) for d in result.differences] == [
        ("BT-115", Decimal("238.00"), Decimal("238.03"))
    ]


def test_a_document_above_the_limit_is_refused_before_parsing() -> None:
    not_even_xml = b"<" * 101
    with pytest.raises(ValidationError, match="more than the limit of 100"):
        read(not_even_xml, max_bytes=100)
    assert read(SAMPLE, max_bytes=len(SAMPLE)).totals_match
    with pytest.raises(ValidationError, match="max_bytes"):
        read(SAMPLE, max_bytes=0)


def test_a_document_in_neither_syntax_names_its_root_element() -> None:
    with pytest.raises(ValidationError, match=r"the root element is \{urn:example\}Order"):
        read(b"<Order xmlns='urn:example'/>")
    ubl_order = b"<Order xmlns='urn:oasis:names:specification:ubl:schema:xsd:Order-2'/>"
    with pytest.raises(ValidationError, match="Order-2}Order"):
        read(ubl_order)
