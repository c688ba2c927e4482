"""The dashboard's live attention list: overdue invoices, failed payments, failed messages, by index.

``books.reports.attention`` answers "as of" any date from the dated entries; the live
page needs only "now", which the stores' indexed queries answer at any size: open
invoices due before today (the overdue index), invoices whose last collection failed,
and failed messages, ``limit`` of each.
"""

from __future__ import annotations

import builtins
from datetime import date, timedelta

from invoicekit.domain.parties import Seller
from invoicekit.domain.status import PaymentStatus, Status
from invoicekit.domain.summary import OPEN
from invoicekit.records import InvoiceQuery, MessageStatus
from invoicekit.reports.values import AttentionItem
from invoicekit.repositories import Transaction

__all__ = ["live_attention"]


def live_attention(
    tx: Transaction, seller: Seller, today: date, limit: int, versions: dict[str, int]
) -> builtins.list[AttentionItem]:
    """Overdue invoices (last reminder, next step), failed payments and failed messages now.

    ``versions`` receives each listed invoice's version (for the page's mark-as-paid form).
    """
    items: builtins.list[AttentionItem] = []
    steps = sorted(seller.dunning.steps, key=lambda s: s.days) if seller.dunning else []
    overdue = tx.invoices.find(seller.id, InvoiceQuery(overdue_on=today, limit=limit))
    for invoice in overdue:
        if invoice.due_date is None or invoice.status not in OPEN:
            continue
        versions[invoice.id] = invoice.version
        sent = [
            m
            for m in tx.messages.list(
                seller.id, invoice_id=invoice.id, statuses=[MessageStatus.SENT], limit=100
            )
            if m.sent_at is not None and m.kind != "invoice"
        ]
        last = max(sent, key=lambda m: m.sent_at or m.created_at, default=None)
        done = {m.step for m in sent}
        following = next((s for s in steps if s.name not in done), None)
        items.append(
            AttentionItem(
                kind="overdue",
                invoice_id=invoice.id,
                number=invoice.number,
                customer_id=invoice.customer_id,
                currency=invoice.currency,
                amount=invoice.amount_due,
                due_date=invoice.due_date,
                days_overdue=(today - invoice.due_date).days,
                last_reminder=None if last is None else last.step,
                last_reminder_at=None if last is None else last.sent_at,
                next_step=None if following is None else following.name,
                next_step_on=None
                if following is None
                else invoice.due_date + timedelta(days=following.days),
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
    items.extend(
        AttentionItem(
            kind="failed_message",
            invoice_id=m.invoice_id,
            number=None,
            customer_id=m.customer_id,
            at=m.created_at,
            detail=m.last_error,
        )
        for m in tx.messages.list(seller.id, statuses=[MessageStatus.FAILED], limit=limit)
    )
    return items
