"""``view()``: an issued Invoice or CreditNote as the values the UBL and CII writers write.

Amounts are taken from the frozen totals, never computed a second time; the places
the values go are listed in ``invoicekit.einvoice.terms.TERMS``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal

import attrs

from invoicekit.domain.invoice import CreditNote, Invoice
from invoicekit.domain.line import Line, ServicePeriod
from invoicekit.domain.parties import Customer, Seller
from invoicekit.domain.totals import Totals
from invoicekit.einvoice.codes import payment_means_code
from invoicekit.einvoice.view_lines import (
    AdjustmentView,
    LineView,
    document_adjustments,
    line_view,
)
from invoicekit.errors import ValidationError, problem
from invoicekit.money import minor_unit

__all__ = ["DocumentView", "view"]


@attrs.frozen
class DocumentView:
    """Everything the writers write, read once from an issued Invoice or CreditNote."""

    credit_note: bool
    number: str
    issue_date: date
    due_date: date | None
    currency: str
    seller: Seller
    customer: Customer
    buyer_reference: str | None
    order_reference: str | None
    contract_reference: str | None
    project_reference: str | None
    #: BT-25 and BT-26 of a credit note; the date is optional, and so is the whole.
    preceding: tuple[str, date | None] | None
    note: str | None
    terms: str | None
    totals: Totals
    lines: tuple[LineView, ...]
    adjustments: tuple[AdjustmentView, ...]
    paid: Decimal
    due: Decimal
    payment_means: str | None
    period: ServicePeriod | None

    @property
    def delivery_date(self) -> date | None:
        """BT-72 actual delivery date: the day of a one-day invoicing period, else None.

        The model holds no delivery date; only when every line was supplied on the
        same single day is that day the date the supply was made (BT-72 semantics).
        """
        if self.period is not None and self.period.start == self.period.end:
            return self.period.start
        return None

    @property
    def type_code(self) -> str:
        """BT-3: 380 commercial invoice, 381 credit note."""
        return "381" if self.credit_note else "380"


def _period(lines: Sequence[Line]) -> ServicePeriod | None:
    """The invoicing period (BG-14): from the earliest to the latest line period, when all have one."""
    periods = [line.period for line in lines]
    if not periods or any(p is None for p in periods):
        return None
    known = [p for p in periods if p is not None]
    return ServicePeriod(min(p.start for p in known), max(p.end for p in known))


def _preceding(note: CreditNote) -> tuple[str, tuple[str, date | None] | None]:
    """The payment terms text of a credit note and its preceding invoice (BG-3), if named."""
    number, issued = note.invoice_number, note.invoice_issue_date
    if number is None:
        return "Credit note", None
    if issued is None:
        return f"Credit for invoice {number}", (number, None)
    return f"Credit for invoice {number} of {issued.isoformat()}", (number, issued)


def view(doc: Invoice | CreditNote) -> DocumentView:
    """The values of an issued invoice or credit note, ready to write in either syntax."""
    if isinstance(doc, CreditNote):
        totals = doc.totals
        paid = Decimal(0).quantize(minor_unit(doc.currency))
        seller, customer = doc.seller, doc.customer
        number_, issue = doc.number, doc.issue_date
        due_date = None
        terms, preceding = _preceding(doc)
        note = doc.reason
        # BT-10 / BT-13 of the credited invoice, once the credit note carries them.
        refs: tuple[str | None, ...] = (
            doc.buyer_reference,
            doc.order_reference,
            None,
            None,
        )
    else:
        if (
            doc.number is None
            or doc.issue_date is None
            or doc.seller is None
            or doc.customer is None
        ):
            raise ValidationError(
                [problem("status", "only an issued invoice is exported; issue it first", doc.ref)],
                subject="e-invoice",
            )
        totals = doc.totals
        paid = doc.paid
        seller, customer = doc.seller, doc.customer
        number_, issue = doc.number, doc.issue_date
        due_date = doc.due_date or doc.terms.due_date(doc.issue_date)
        terms = doc.terms.describe()
        preceding = None
        note = doc.memo
        refs = (
            doc.buyer_reference,
            doc.order_reference,
            doc.contract_reference,
            doc.project_reference,
        )
    lines = tuple(line_view(line, i, totals) for i, line in enumerate(doc.lines))
    means = payment_means_code(doc.currency) if seller.bank_account is not None else None
    return DocumentView(
        credit_note=isinstance(doc, CreditNote),
        number=number_,
        issue_date=issue,
        due_date=due_date,
        currency=doc.currency,
        seller=seller,
        customer=customer,
        buyer_reference=refs[0],
        order_reference=refs[1],
        contract_reference=refs[2],
        project_reference=refs[3],
        preceding=preceding,
        note=note,
        terms=terms,
        totals=totals,
        lines=lines,
        adjustments=document_adjustments(totals),
        paid=paid,
        due=totals.payable - paid,
        payment_means=means,
        period=_period(doc.lines),
    )
