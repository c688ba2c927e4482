"""The one sentence a document leads with, and its tone: paid, due soon, overdue, last call, failed, refunded.

Friendly before the due date, firmer on and after it; once nothing is due, it
says so, and where money beyond the balance went (customer credit).
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Final

from invoicekit.adapters.render.reasons import plain_reason
from invoicekit.adapters.render.subjects import Subject, failure_in
from invoicekit.domain.invoice import CreditNote, Invoice, Payment, Refund

if TYPE_CHECKING:
    from invoicekit.adapters.render.formatting import Formatter
    from invoicekit.adapters.render.view import Gettext
    from invoicekit.ports import DocumentContext

__all__ = ["nothing_to_pay", "notice"]

_ZERO: Final = Decimal(0)


def _paid_in_full(invoice: Invoice, t: Gettext) -> tuple[str, str]:
    return t.gettext("Thank you: invoice %(number)s is paid in full.") % {
        "number": invoice.number
    }, "ok"


def _receipt_notice(invoice: Invoice, fmt: Formatter, t: Gettext) -> tuple[str, str]:
    if invoice.amount_due <= _ZERO:
        return _paid_in_full(invoice, t)
    cur, due = invoice.currency, invoice.due_date
    return t.gettext("%(paid)s of %(total)s received, %(due)s still due by %(date)s.") % {
        "paid": fmt.money(invoice.paid, cur),
        "total": fmt.money(invoice.totals.payable, cur),
        "due": fmt.money(invoice.amount_due, cur),
        "date": fmt.day_month(due) if due else "",
    }, "info"


def _failed_notice(
    invoice: Invoice, ctx: DocumentContext, subject: Subject, t: Gettext
) -> tuple[str, str]:
    reason = subject.failure_reason if isinstance(subject, Payment) else None
    why = plain_reason(failure_in(invoice, ctx), reason, t)
    failed = t.gettext("Your payment did not go through.")
    return f"{failed} {why}", "alert"


def _refund_notice(
    invoice: Invoice, subject: Subject, fmt: Formatter, t: Gettext
) -> tuple[str, str]:
    cur = invoice.currency
    amount = subject.amount if isinstance(subject, Refund) else _ZERO
    done = t.gettext("%(amount)s of your payment has been refunded to you.") % {
        "amount": fmt.money(amount, cur)
    }
    if invoice.amount_due <= _ZERO:
        return done, "ok"
    still = t.gettext("%(due)s of invoice %(number)s is due.") % {
        "due": fmt.money(invoice.amount_due, cur),
        "number": invoice.number,
    }
    return f"{done} {still}", "info"


def _final_notice(days: int | None, t: Gettext) -> tuple[str, str]:
    if days is not None and days > 0:
        return t.ngettext(
            "Final notice: this invoice is overdue by %(num)d day. "
            "Please pay the amount due now; this is our last reminder.",
            "Final notice: this invoice is overdue by %(num)d days. "
            "Please pay the amount due now; this is our last reminder.",
            days,
        ) % {"num": days}, "alert"
    return t.gettext(
        "Final notice: please pay the amount due by the due date; this is our last reminder."
    ), "alert"


def _reminder(days: int | None, t: Gettext) -> tuple[str, str]:
    """Friendly before the due date, firmer on and after it."""
    if days is None:
        return t.gettext("A reminder: this invoice is still open."), "info"
    if days < 0:
        return t.ngettext(
            "A friendly reminder: this invoice is due in %(num)d day.",
            "A friendly reminder: this invoice is due in %(num)d days.",
            -days,
        ) % {"num": -days}, "info"
    if days == 0:
        return t.gettext("This invoice is due today. Please pay the amount due today."), "warn"
    return t.ngettext(
        "This invoice is overdue by %(num)d day. Please pay the amount due now.",
        "This invoice is overdue by %(num)d days. Please pay the amount due now.",
        days,
    ) % {"num": days}, "warn"


def notice(
    kind: str,
    invoice: Invoice,
    *,
    ctx: DocumentContext,
    subject: Subject,
    fmt: Formatter,
    t: Gettext,
) -> tuple[str | None, str]:
    """The kind's one-sentence message and its tone ('info', 'warn', 'alert', 'ok')."""
    about_money = {
        "receipt": lambda: _receipt_notice(invoice, fmt, t),
        "payment_failed": lambda: _failed_notice(invoice, ctx, subject, t),
        "refund": lambda: _refund_notice(invoice, subject, fmt, t),
    }.get(kind)
    if about_money is not None:
        return about_money()
    if isinstance(subject, CreditNote):
        return t.gettext("This credit note reduces invoice %(number)s by %(amount)s.") % {
            "number": invoice.number,
            "amount": fmt.money(subject.totals.payable, invoice.currency),
        }, "info"
    if invoice.amount_due <= _ZERO:
        return _paid_in_full(invoice, t)
    if kind not in ("reminder", "final_notice"):
        return None, "info"
    due = invoice.due_date
    days = (ctx.as_of - due).days if ctx.as_of is not None and due is not None else None
    message, tone = _final_notice(days, t) if kind == "final_notice" else _reminder(days, t)
    interest = ctx.interest
    if interest is not None:
        stated = t.gettext(
            "Late payment interest: %(balance)s x %(rate)s %% x %(days)s days / 365 = %(amount)s."
        ) % {
            "balance": fmt.money(interest.balance, interest.currency),
            "rate": interest.annual_rate,
            "days": interest.days,
            "amount": fmt.money(interest.amount, interest.currency),
        }
        message = f"{message} {stated}"
    return message, tone


def nothing_to_pay(invoice: Invoice, fmt: Formatter, t: Gettext) -> str:
    """Nothing to pay, and how money beyond the balance comes back (customer credit)."""
    if invoice.customer_credit <= _ZERO:
        return t.gettext("Nothing to pay.")
    seller = invoice.seller
    if seller is None:
        return t.gettext("Nothing to pay.")
    args = {"amount": fmt.money(invoice.customer_credit, invoice.currency), "seller": seller.name}
    if seller.apply_credit_at_issue:
        return (
            t.gettext(
                "Nothing to pay. The remaining %(amount)s is kept as credit and pays your next "
                "invoice from %(seller)s."
            )
            % args
        )
    return (
        t.gettext(
            "Nothing to pay. The remaining %(amount)s is kept as credit: %(seller)s refunds it to "
            "your original payment method, or uses it for your next invoice."
        )
        % args
    )
