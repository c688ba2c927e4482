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
from invoicekit.domain.line import Discount, Line
from invoicekit.domain.policy import RoundingPolicy, TaxRounding
from invoicekit.domain.tax import Tax, TaxCategory, Vat
from invoicekit.einvoice import check_profile, to_cii, to_ubl
from invoicekit.errors import ValidationError


def issued(currency: str = "EUR", *, seller: Any = None, customer: Any = None, **draft: Any) -> Invoice:
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
