"""An edited draft still exports as XRechnung: the edit keeps its references (issue 11, item 6)."""

from __future__ import annotations

from einvoice.export_cases import customer_of, seller_of
from golden.library import AT
from invoicekit.domain.invoice import Invoice
from invoicekit.domain.lifecycle import Edit, Issue, apply
from invoicekit.domain.line import Line
from invoicekit.domain.tax import Vat
from invoicekit.einvoice import check_profile, to_xrechnung


def test_an_edited_draft_exports_as_xrechnung() -> None:
    seller, customer = seller_of("EUR"), customer_of()
    draft = Invoice.draft(
        id="edited",
        seller=seller,
        customer=customer,
        lines=[Line("Consulting", quantity="2", unit_price="100.00", tax=Vat("19"))],
        at=AT,
        buyer_reference="04011000-12345-34",
        order_reference="PO-77",
    )
    edited, _ = apply(draft, Edit(seller=seller, memo="Thank you for your business."), at=AT)
    issued, _ = apply(edited, Issue(number="INV-EDIT-1", seller=seller, customer=customer), at=AT)

    check_profile(issued, "xrechnung")
    assert b"04011000-12345-34" in to_xrechnung(issued)
