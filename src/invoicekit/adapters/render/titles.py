"""A document's heading, purpose sentence and one-line title (the e-mail subject).

The title of a paid invoice says it is paid, never "0,00 € due"; invoices,
reminders and final notices say what they are for (a summary of the lines).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from invoicekit.domain.invoice import CreditNote, Invoice, Payment, Refund

if TYPE_CHECKING:
    from invoicekit.adapters.render.formatting import Formatter
    from invoicekit.adapters.render.view import Gettext

__all__ = ["purpose_and_title"]


def _about_payment(
    subject: CreditNote | Payment, args: dict[str, str], fmt: Formatter, t: Gettext
) -> tuple[str, str, str]:
    """A credit note's or a receipt's heading, purpose and title."""
    if isinstance(subject, CreditNote):
        args["credit"] = subject.number
        args["amount"] = fmt.money(subject.totals.payable, subject.totals.currency)
        return (
            t.gettext("Credit note"),
            t.gettext(
                "Credit note %(credit)s from %(seller)s for %(customer)s, correcting invoice %(number)s"
            )
            % args,
            t.gettext("Credit note %(credit)s from %(seller)s for invoice %(number)s: %(amount)s")
            % args,
        )
    args["amount"] = fmt.money(subject.amount, args["currency"])
    return (
        t.gettext("Receipt"),
        t.gettext(
            "Receipt from %(seller)s for %(customer)s: payment of %(amount)s on invoice %(number)s"
        )
        % args,
        t.gettext("Receipt for invoice %(number)s from %(seller)s: %(amount)s received") % args,
    )


def _refund_or_failure(kind: str, args: dict[str, str], t: Gettext) -> tuple[str, str, str]:
    """A refund confirmation's or a failed-payment notice's heading, purpose and title."""
    if kind == "refund":
        return (
            t.gettext("Refund"),
            t.gettext(
                "Refund from %(seller)s for %(customer)s: %(refunded)s of a payment on invoice %(number)s"
            )
            % args,
            t.gettext("Refund for invoice %(number)s from %(seller)s: %(refunded)s refunded")
            % args,
        )
    return (
        t.gettext("Payment failed"),
        t.gettext(
            "The payment of %(customer)s for invoice %(number)s from %(seller)s did not go through"
        )
        % args,
        t.gettext(
            "Your payment for invoice %(number)s from %(seller)s did not go through: %(amount)s still due"
        )
        % args,
    )


def _due_title(kind: str, settled: bool, args: dict[str, str], t: Gettext) -> str:
    """The title of an invoice, reminder or final notice: what for, and what is due by when."""
    if settled:
        return t.gettext("Invoice %(number)s from %(seller)s for %(what)s: paid in full") % args
    if kind == "reminder":
        return (
            t.gettext(
                "Reminder: invoice %(number)s from %(seller)s for %(what)s, %(amount)s due %(date)s"
            )
            % args
        )
    if kind == "final_notice":
        return (
            t.gettext(
                "Final notice: invoice %(number)s from %(seller)s for %(what)s, %(amount)s due since %(date)s"
            )
            % args
        )
    return (
        t.gettext("Invoice %(number)s from %(seller)s for %(what)s: %(amount)s due %(date)s") % args
    )


def purpose_and_title(
    kind: str,
    invoice: Invoice,
    subject: Payment | CreditNote | Refund | None,
    *,
    what: str,
    fmt: Formatter,
    t: Gettext,
) -> tuple[str, str, str]:
    """The heading, the purpose sentence and the one-line title of ``kind`` of ``invoice``.

    ``what`` is the summary of the lines the title names; the invoice's party
    snapshots must be there (drafts are refused before this).
    """
    seller = invoice.seller.name if invoice.seller is not None else ""
    customer = invoice.customer.name if invoice.customer is not None else ""
    args = {
        "number": invoice.number or "",
        "seller": seller,
        "customer": customer,
        "currency": invoice.currency,
        "what": what,
        "amount": fmt.money(invoice.amount_due, invoice.currency),
        "date": fmt.date(invoice.due_date) if invoice.due_date else "",
    }
    if kind in {"refund", "payment_failed"}:
        if isinstance(subject, Refund):
            args["refunded"] = fmt.money(subject.amount, invoice.currency)
        return _refund_or_failure(kind, args, t)
    if isinstance(subject, CreditNote | Payment):
        return _about_payment(subject, args, fmt, t)
    title = _due_title(kind, invoice.amount_due <= 0, args, t)
    if kind == "reminder":
        return (
            t.gettext("Payment reminder"),
            t.gettext("Payment reminder for invoice %(number)s from %(seller)s to %(customer)s")
            % args,
            title,
        )
    if kind == "final_notice":
        return (
            t.gettext("Final notice"),
            t.gettext("Final notice for invoice %(number)s from %(seller)s to %(customer)s") % args,
            title,
        )
    return (
        t.gettext("Invoice"),
        t.gettext("Invoice %(number)s from %(seller)s for %(customer)s") % args,
        title,
    )
