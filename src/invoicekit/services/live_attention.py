"""The dashboard's live attention list: overdue invoices, failed payments, failed messages, by index.

``books.reports.attention`` answers "as of" any date from the dated entries; the live
page needs only "now", which the stores' indexed queries answer at any size: open
invoices due before today (the overdue index), invoices whose last collection failed,
and failed messages, ``limit`` of each. Each overdue item (last reminder, next step)
and the failed messages are built as the reports build them (``report_attention``).
"""

from __future__ import annotations

import builtins
from datetime import date

from invoicekit.domain.parties import Seller
from invoicekit.domain.status import PaymentStatus, Status
from invoicekit.domain.summary import OPEN
from invoicekit.records import InvoiceQuery
from invoicekit.reports.values import AttentionItem
from invoicekit.repositories import Transaction
from invoicekit.services.report_attention import dunning_of, failed_messages, overdue_item

__all__ = ["live_attention"]


def live_attention(
    tx: Transaction, seller: Seller, today: date, limit: int, versions: dict[str, int]
) -> builtins.list[AttentionItem]:
    """Overdue invoices (last reminder, next step), failed payments and failed messages now.

    ``versions`` receives each listed invoice's version (for the page's mark-as-paid form).
    """
    items: builtins.list[AttentionItem] = []
    dunning = dunning_of(seller)
    overdue = tx.invoices.find(seller.id, InvoiceQuery(overdue_on=today, limit=limit))
    for invoice in overdue:
        if invoice.due_date is None or invoice.status not in OPEN:
            continue
        versions[invoice.id] = invoice.version
        items.append(
            overdue_item(
                tx,
                seller.id,
                dunning,
                today=today,
                cut=None,
                invoice_id=invoice.id,
                number=invoice.number,
                customer_id=invoice.customer_id,
                currency=invoice.currency,
                amount=invoice.amount_due,
                due_date=invoice.due_date,
            )
        )
    failed = tx.invoices.find(
        seller.id, InvoiceQuery(statuses=frozenset({Status.FAILED}), limit=limit)
    )
    for invoice in failed:
        versions[invoice.id] = invoice.version
        last_failure = invoice.failures[-1] if invoice.failures else None
        payment = next(
            (p for p in reversed(invoice.payments) if p.status is PaymentStatus.FAILED), None
        )
        items.append(
            AttentionItem(
                kind="failed_payment",
                invoice_id=invoice.id,
                number=invoice.number,
                customer_id=invoice.customer_id,
                currency=invoice.currency,
                amount=payment.amount if payment is not None else invoice.amount_due,
                at=last_failure.at if last_failure is not None else None,
                detail=last_failure.reason if last_failure is not None else None,
            )
        )
    return items + failed_messages(tx, seller.id, limit, None)
