"""The profile check: every term a profile needs and the invoice lacks, named by BT number."""

from __future__ import annotations

from datetime import date
from typing import Any

import attrs
import pytest

from einvoice.export_cases import credit_note_of, customer_of, invoice_of, seller_of
from golden import load_cases
from invoicekit.domain.line import Line, ServicePeriod
from invoicekit.domain.parties import Address, Contact, ElectronicAddress
from invoicekit.domain.tax import Tax, Vat
from invoicekit.einvoice import PROFILES, check_profile, to_cii, to_ubl, to_xrechnung
from invoicekit.errors import ValidationError

CASE = dict(load_cases())["eur_19_basic"]


def _paths(doc: Any, profile: str) -> tuple[str, ...]:
    with pytest.raises(ValidationError) as caught:
        check_profile(doc, profile)
    return caught.value.paths


def test_a_complete_invoice_passes_every_profile() -> None:
    invoice = invoice_of(CASE)
    for profile in PROFILES:
        check_profile(invoice, profile)
        check_profile(credit_note_of(invoice), profile)


@pytest.mark.parametrize(
    ("profile", "changes", "term"),
    [
        ("xrechnung", {"buyer_reference": None}, "BT-10 buyer_reference"),
        ("peppol", {"buyer_reference": None, "order_reference": None}, "BT-10 buyer_reference"),
        ("peppol", {"seller": {"electronic_address": None}}, "BT-34 seller.electronic_address"),
        ("xrechnung", {"seller": {"electronic_address": None}}, "BT-34 seller.electronic_address"),
        (
            "peppol",
            {"customer": {"electronic_address": None}},
            "BT-49 customer.electronic_address",
        ),
        (
            "xrechnung",
            {"customer": {"electronic_address": None}},
            "BT-49 customer.electronic_address",
        ),
        ("xrechnung", {"seller": {"contact": None}}, "BT-41 seller.contact.name"),
        ("xrechnung", {"seller": {"contact": Contact(name="Ada")}}, "BT-42 seller.contact.phone"),
        ("xrechnung", {"seller": {"contact": Contact(name="Ada")}}, "BT-43 seller.contact.email"),
        ("xrechnung", {"seller": {"bank_account": None}}, "BG-16 seller.bank_account"),
        (
            "xrechnung",
            {"seller": {"address": Address(country="DE", postal_code="10115")}},
            "BT-37 seller.address.city",
        ),
        (
            "xrechnung",
            {"customer": {"address": Address(country="FR", city="Paris")}},
            "BT-53 customer.address.postal_code",
        ),
        ("en16931", {"customer": {"address": None}}, "BT-55 customer.address.country"),
        ("peppol", {"customer": {"address": None}}, "BT-55 customer.address.country"),
        ("en16931", {"seller": {"tax_id": None}}, "BT-31 seller.tax_id"),
        ("en16931", {"customer": {"tax_id": "12-3456789"}}, "BT-48 customer.tax_id"),
        (
            "peppol",
            {"seller": {"electronic_address": ElectronicAddress("0088", "4035811991022")}},
            "BT-34 seller.electronic_address",
        ),
        (
            "peppol",
            {"customer": {"electronic_address": ElectronicAddress("1234", "x")}},
            "BT-49 customer.electronic_address",
        ),
    ],
)
def test_each_missing_term_is_named_by_its_bt_number(
    profile: str, changes: dict[str, Any], term: str
) -> None:
    invoice = _invoice(**changes)

    assert term in _paths(invoice, profile)


def _invoice(
    seller: dict[str, Any] | None = None, customer: dict[str, Any] | None = None, **refs: Any
) -> Any:
    s = seller_of("EUR", **(seller or {}))
    c = customer_of(**(customer or {}))
    return invoice_of(CASE, seller=s, customer=c, **refs)


def test_xrechnung_lists_every_missing_term_at_once() -> None:
    invoice = _invoice(
        seller={"electronic_address": None, "contact": None, "bank_account": None},
        customer={"electronic_address": None},
        buyer_reference=None,
    )

    paths = _paths(invoice, "xrechnung")

    assert set(paths) == {
        "BT-10 buyer_reference",
        "BT-34 seller.electronic_address",
        "BT-49 customer.electronic_address",
        "BT-41 seller.contact.name",
        "BT-42 seller.contact.phone",
        "BT-43 seller.contact.email",
        "BG-16 seller.bank_account",
    }


def test_peppol_lists_every_missing_term_at_once_and_the_message_says_what_to_do() -> None:
    invoice = _invoice(
        seller={"electronic_address": None},
        customer={"electronic_address": None, "address": None},
        buyer_reference=None,
        order_reference=None,
    )

    with pytest.raises(ValidationError) as caught:
        to_ubl(invoice, "peppol")

    assert set(caught.value.paths) == {
        "BT-10 buyer_reference",
        "BT-34 seller.electronic_address",
        "BT-49 customer.electronic_address",
        "BT-55 customer.address.country",
    }
    assert "Peppol BIS Billing 3.0" in str(caught.value)
    assert "PEPPOL-EN16931-R003" in str(caught.value)


def test_peppol_takes_an_order_reference_instead_of_a_buyer_reference() -> None:
    check_profile(_invoice(buyer_reference=None, order_reference="PO-1"), "peppol")
    check_profile(_invoice(buyer_reference="B-1", order_reference=None), "peppol")


def test_the_core_profile_does_not_ask_for_peppol_or_xrechnung_terms() -> None:
    invoice = _invoice(
        seller={"electronic_address": None, "contact": None, "bank_account": None},
        customer={"electronic_address": None},
        buyer_reference=None,
        order_reference=None,
    )

    check_profile(invoice, "en16931")
    to_cii(invoice)


def test_nothing_is_written_when_the_check_fails() -> None:
    invoice = _invoice(buyer_reference=None)

    for export in (lambda: to_xrechnung(invoice, "ubl"), lambda: to_xrechnung(invoice, "cii")):
        with pytest.raises(ValidationError, match="Leitweg-ID"):
            export()


def test_reverse_charge_needs_the_buyer_vat_id() -> None:
    lines = [
        Line(description="Service", quantity="1", unit_price="100.00", tax=Tax.reverse_charge())
    ]
    invoice = invoice_of(CASE, customer=customer_of(tax_id=None), lines=lines, buyer_reference="B")

    assert "BT-48 customer.tax_id" in _paths(invoice, "en16931")


def test_intra_community_supply_needs_line_periods() -> None:
    k = Tax("K", "0", exemption_reason="Intra-community supply", exemption_code="VATEX-EU-IC")
    without = [Line(description="Goods", quantity="1", unit_price="100.00", tax=k)]
    period = ServicePeriod(date(2026, 2, 1), date(2026, 2, 1))
    with_period = [attrs.evolve(without[0], period=period)]

    assert "BG-14 lines[].period" in _paths(invoice_of(CASE, lines=without), "en16931")
    check_profile(invoice_of(CASE, lines=with_period), "en16931")


def test_not_subject_to_vat_is_not_mixed_with_other_categories() -> None:
    lines = [
        Line(description="A", quantity="1", unit_price="10.00", tax=Tax.outside_scope()),
        Line(description="B", quantity="1", unit_price="10.00", tax=Vat("19")),
    ]

    assert "BT-151 lines[].tax" in _paths(invoice_of(CASE, lines=lines), "en16931")


def test_an_unknown_unit_is_refused_and_known_names_are_mapped() -> None:
    lines = [
        Line(description="A", quantity="1", unit_price="10.00", tax=Vat("19"), unit="hour"),
        Line(description="B", quantity="1", unit_price="10.00", tax=Vat("19"), unit="furlong"),
    ]
    invoice = invoice_of(CASE, lines=lines)

    assert _paths(invoice, "en16931") == ("BT-130 lines[1].unit",)
    ok = invoice_of(CASE, lines=lines[:1])
    assert b'unitCode="HUR"' in to_ubl(ok)


def test_an_unknown_vatex_code_is_refused() -> None:
    tax = Tax.exempt("Medical", code="VATEX-XX-NOPE")
    lines = [Line(description="A", quantity="1", unit_price="10.00", tax=tax)]

    assert "BT-121 tax.exemption_code" in _paths(invoice_of(CASE, lines=lines), "en16931")


def test_a_draft_is_not_exported() -> None:
    from golden.library import AT
    from invoicekit.domain.invoice import Invoice

    seller, customer = seller_of("EUR"), customer_of()
    draft = Invoice.draft(
        id="d1", seller=seller, customer=customer, lines=[invoice_of(CASE).lines[0]], at=AT
    )

    with pytest.raises(ValidationError, match="issue it first"):
        to_ubl(draft)


def test_unknown_profiles_and_syntaxes_are_refused_with_the_known_ones() -> None:
    invoice = invoice_of(CASE)

    with pytest.raises(ValidationError, match="known: en16931, peppol, xrechnung"):
        to_ubl(invoice, "zugferd-basic")
    with pytest.raises(ValidationError, match="UBL only"):
        to_cii(invoice, "peppol")
    with pytest.raises(ValidationError, match="'ubl' or 'cii'"):
        to_xrechnung(invoice, "pdf")
    with pytest.raises(ValidationError, match="known"):
        check_profile(invoice, "nope")


def test_profile_identifiers_are_written() -> None:
    invoice = invoice_of(CASE)

    assert b"urn:fdc:peppol.eu:2017:poacc:billing:3.0</cbc:CustomizationID>" in to_ubl(invoice)
    assert b"urn:fdc:peppol.eu:2017:poacc:billing:01:1.0</cbc:ProfileID>" in to_ubl(invoice)
    assert b"urn:xeinkauf.de:kosit:xrechnung_3.0<" in to_xrechnung(invoice, "cii")
    assert b"<ram:ID>urn:cen.eu:en16931:2017</ram:ID>" in to_cii(invoice)


def test_a_per_line_sum_that_strays_from_base_times_rate_is_kept_within_br_co_17() -> None:
    # Rounding up per line on tiny JPY items would give 3 yen of VAT on a base of 3 yen at
    # 2.1 %; the category's tax is taken as Q(3 x 0.021) = 1 instead (totals-rules.md).
    case = {
        "currency": "JPY",
        "tax_rounding": "per_line",
        "rounding_mode": "up",
        "lines": [{"quantity": "1", "unit_price": "1", "taxes": [{"category": "S", "rate": "2.1"}]}]
        * 3,
    }
    invoice = invoice_of(case)

    assert invoice.totals.tax_total == 1
    assert any("BR-CO-17" in step.where for step in invoice.totals.steps)
    check_profile(invoice, "en16931")
