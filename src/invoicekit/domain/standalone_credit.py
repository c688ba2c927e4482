"""Credit notes that correct no stored invoice: an older system's invoice, or none named.

EN 16931 makes the preceding invoice (BT-25, BT-26) optional. Such a note is a numbered
document only: with no invoice here it moves no balance; pay any refund yourself.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any

from invoicekit.domain.invoice import CreditNote, reference_problems
from invoicekit.domain.line import Charge, Discount, Line, build_lines
from invoicekit.domain.parties import Customer, Seller
from invoicekit.domain.totals import compute_totals
from invoicekit.errors import ValidationError, problem

__all__ = ["standalone_credit_note"]


def standalone_credit_note(
    *,
    id: str,
    number: str,
    seller: Seller,
    customer: Customer,
    lines: Iterable[Line | Mapping[str, Any]],
    issue_date: date,
    issued_at: datetime,
    discounts: Iterable[Discount] = (),
    charges: Iterable[Charge] = (),
    reason: str | None = None,
    preceding: str | None = None,
    preceding_date: date | None = None,
    buyer_reference: str | None = None,
    order_reference: str | None = None,
) -> CreditNote:
    """A credit note of ``seller`` to ``customer``, computed like an invoice.

    ``preceding`` names an invoice of another system (with ``preceding_date`` if known);
    None names none. ``buyer_reference`` / ``order_reference`` are BT-10 / BT-13, which
    Peppol asks one of.
    """
    built, found = build_lines(lines)
    if not number or not isinstance(number, str):
        found.append(problem("number", "must be a non-empty string", number))
    found += reference_problems(
        {
            "preceding": preceding,
            "buyer_reference": buyer_reference,
            "order_reference": order_reference,
        }
    )
    if preceding is None and preceding_date is not None:
        found.append(problem("preceding_date", "give the invoice number (preceding) with its date"))
    if preceding_date is not None and not isinstance(preceding_date, date):
        found.append(problem("preceding_date", "must be a datetime.date", preceding_date))
    if customer.seller_id != seller.id:
        found.append(problem("customer", "belongs to another seller", customer.id))
    if found:
        raise ValidationError(found, subject="credit note")
    totals = compute_totals(
        seller.currency,
        built,
        discounts=tuple(discounts),
        charges=tuple(charges),
        prices=seller.prices,
        policy=seller.rounding,
    )
    if totals.payable <= 0:
        raise ValidationError(
            [problem("lines", "the credit note's amount must be above 0", totals.payable)],
            subject="credit note",
        )
    return CreditNote(
        id=id,
        number=number,
        seller_id=seller.id,
        customer_id=customer.id,
        invoice_id=None,
        invoice_number=preceding,
        invoice_issue_date=preceding_date,
        currency=seller.currency,
        lines=built,
        totals=totals,
        issue_date=issue_date,
        issued_at=issued_at,
        seller=seller,
        customer=customer,
        reason=reason,
        buyer_reference=buyer_reference,
        order_reference=order_reference,
    )
