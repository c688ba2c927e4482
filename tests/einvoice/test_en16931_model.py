"""What EN 16931 allows, issued and exported: negative lines, a document-level allowance in
its own VAT group, split payment (B), a rare unit code; each passes the official rules."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from einvoice.export_cases import customer_of, rule_failures, seller_of, xsd_errors
from golden.library import AT
from invoicekit.domain.invoice import Invoice
from invoicekit.domain.lifecycle import Issue, apply
from invoicekit.domain.line import Charge, Discount, Line
from invoicekit.domain.policy import RoundingPolicy, TaxRounding
from invoicekit.domain.tax import Tax, TaxCategory, Vat
from invoicekit.einvoice import check_profile, to_cii, to_ubl
from invoicekit.errors import ValidationError


def issued(
    currency: str = "EUR", *, seller: Any = None, customer: Any = None, **draft: Any
) -> Invoice:
    seller = seller or seller_of(currency)
    customer = customer or customer_of()
    invoice = Invoice.draft(
        id="invoice-model",
        seller=seller,
        customer=customer,
        at=AT,
        buyer_reference="04011000-12345-34",
        **draft,
    )
    done, _ = apply(invoice, Issue(number="INV-MODEL-1", seller=seller, customer=customer), at=AT)
    return done


def valid_everywhere(invoice: Invoice) -> None:
    check_profile(invoice, "peppol")
    for xml in (to_ubl(invoice, "peppol"), to_cii(invoice)):
        assert xsd_errors(xml) == []
        assert rule_failures(xml) == []


def test_jpy_per_line_tax_with_an_allowance_to_a_zero_base_keeps_br_co_17() -> None:
    # Found by a hypothesis run of test_export_property: each line's tax rounds down, the
    # allowance's tax rounds away from zero, and the category came out at tax -1 on base 0.
    seller = seller_of("JPY", rounding=RoundingPolicy(tax_rounding=TaxRounding.PER_LINE))
    invoice = issued(
        "JPY",
        seller=seller,
        lines=[
            Line("Pen", quantity=1, unit_price="3", tax=Vat("10")),
            Line("Clip", quantity=1, unit_price="2", tax=Vat("10")),
        ],
        discounts=[Discount(amount="5", tax=Vat("10"))],
    )
    (row,) = invoice.totals.breakdown
    assert row.base == 0
    assert row.amount == 0
    valid_everywhere(invoice)


def italian_parties() -> tuple[Any, Any]:
    from invoicekit.domain.parties import Address

    seller = seller_of(
        "EUR",
        country="IT",
        tax_id="IT12345670017",
        address=Address(country="IT", line1="Via Roma 1", city="Roma", postal_code="00100"),
    )
    customer = customer_of(
        tax_id="IT01234567897",
        address=Address(country="IT", line1="Via Po 2", city="Torino", postal_code="10100"),
    )
    return seller, customer


def test_a_split_payment_invoice_passes_the_official_rules() -> None:
    seller, customer = italian_parties()
    invoice = issued(
        seller=seller,
        customer=customer,
        lines=[Line("Consulenza", quantity=2, unit_price="100.00", tax=Tax("B", "22"))],
    )
    (row,) = invoice.totals.breakdown
    assert (row.tax.category, row.base, row.amount) == (TaxCategory.SPLIT_PAYMENT, 200, 44)
    check_profile(invoice, "peppol")
    ubl = to_ubl(invoice, "peppol")
    assert xsd_errors(ubl) == []
    assert rule_failures(ubl) == []
    # Factur-X's CII code list has no B: refused before any XML, pointing at UBL.
    with pytest.raises(ValidationError, match="to_ubl"):
        to_cii(invoice)


def test_split_payment_beside_standard_rate_or_abroad_is_refused_before_export() -> None:
    seller, customer = italian_parties()
    mixed = issued(
        seller=seller,
        customer=customer,
        lines=[
            Line("A", quantity=1, unit_price="10.00", tax=Tax("B", "22")),
            Line("B", quantity=1, unit_price="10.00", tax=Vat("22")),
        ],
    )
    with pytest.raises(ValidationError, match="BR-B-02"):
        check_profile(mixed, "peppol")
    abroad = issued(lines=[Line("A", quantity=1, unit_price="10.00", tax=Tax("B", "22"))])
    with pytest.raises(ValidationError, match="BR-B-01"):
        check_profile(abroad, "peppol")


def test_a_rare_rec_20_and_a_rec_21_unit_code_pass_the_official_rules() -> None:
    invoice = issued(
        lines=[
            Line("Hydraulic oil", quantity="3.5", unit_price="12.00", tax=Vat("19"), unit="GLI"),
            Line("Crates", quantity=4, unit_price="2.50", tax=Vat("19"), unit="XCR"),
        ],
    )
    valid_everywhere(invoice)


def test_a_unit_code_outside_rec_20_and_21_is_refused_naming_the_lists() -> None:
    invoice = issued(
        lines=[Line("Widget", quantity=1, unit_price="1.00", tax=Vat("19"), unit="QQQ")]
    )
    with pytest.raises(ValidationError, match="Rec 20 or Rec 21"):
        check_profile(invoice, "peppol")


def test_tax_category_is_the_en_16931_subset_of_the_generated_uncl5305() -> None:
    from invoicekit.einvoice.code_tables import EN16931_VAT_CATEGORIES, UNCL5305

    assert {c.value for c in TaxCategory} == EN16931_VAT_CATEGORIES
    assert EN16931_VAT_CATEGORIES < UNCL5305


def test_negative_lines_export_and_pass_the_official_rules() -> None:
    invoice = issued(
        lines=[
            Line("Chair", quantity=4, unit_price="50.00", tax=Vat("19")),
            Line("Chair returned", quantity=-1, unit_price="50.00", tax=Vat("19")),
            Line("Crate deposit returned", quantity=-3, unit_price="1.50", tax=Tax.zero_rated()),
        ],
    )
    assert invoice.totals.payable == Decimal("174.00")
    valid_everywhere(invoice)
    assert b'<cbc:InvoicedQuantity unitCode="C62">-1</cbc:InvoicedQuantity>' in to_ubl(
        invoice, "peppol"
    )


def test_an_allowance_in_a_vat_group_of_its_own_exports_and_passes_the_official_rules() -> None:
    invoice = issued(
        lines=[Line("Service", quantity=1, unit_price="100.00", tax=Vat("19"))],
        discounts=[Discount(amount="10.00", tax=Vat("7"), reason="Voucher")],
        charges=[Charge(amount="5.00", tax=Tax.zero_rated(), reason="Packing")],
    )
    assert len(invoice.totals.breakdown) == 3
    valid_everywhere(invoice)


def standalone(**changes: Any) -> Any:
    from datetime import date

    from invoicekit.domain.standalone_credit import standalone_credit_note

    fields: dict[str, Any] = {
        "id": "cn-standalone",
        "number": "CN-2026-0001",
        "seller": seller_of("EUR"),
        "customer": customer_of(),
        "lines": [Line("Goods returned", quantity=2, unit_price="40.00", tax=Vat("19"))],
        "issue_date": date(2026, 3, 2),
        "issued_at": AT,
        "reason": "Returned goods",
        "buyer_reference": "04011000-12345-34",
    }
    return standalone_credit_note(**{**fields, **changes})


@pytest.mark.parametrize(
    ("preceding", "when"), [(None, None), ("OLD-2019-77", None), ("OLD-2019-77", "2019-05-03")]
)
def test_a_standalone_credit_note_exports_with_or_without_a_preceding_invoice(
    preceding: str | None, when: str | None
) -> None:
    from datetime import date

    from lxml import etree

    note = standalone(
        preceding=preceding, preceding_date=date.fromisoformat(when) if when else None
    )
    assert note.invoice_id is None
    assert note.totals.payable == Decimal("95.20")
    check_profile(note, "peppol")
    for xml in (to_ubl(note, "peppol"), to_cii(note)):
        assert xsd_errors(xml) == []
        assert rule_failures(xml) == []
        root = etree.fromstring(xml)
        named = root.xpath(
            "//*[local-name()='InvoiceDocumentReference' or "
            "local-name()='InvoiceReferencedDocument']"
        )
        assert bool(named) == (preceding is not None)
        if when is not None:
            assert when in xml.decode() or when.replace("-", "") in xml.decode()


def test_a_standalone_credit_note_round_trips_through_the_stored_format() -> None:
    from invoicekit.domain.invoice import CreditNote
    from invoicekit.serialization import load_value, make_converter, value_text

    note = standalone()
    back = load_value(value_text(note), CreditNote, make_converter())
    assert back == note
    assert back.invoice_number is None


def test_a_standalone_credit_note_names_what_is_wrong() -> None:
    from datetime import date

    with pytest.raises(ValidationError) as caught:
        standalone(number="", preceding_date=date(2019, 5, 3))
    assert caught.value.paths == ("number", "preceding_date")
    with pytest.raises(ValidationError, match="above 0"):
        standalone(lines=[Line("Nothing", quantity=0, unit_price="1.00", tax=Vat("19"))])
