"""The data a document shows, built from an invoice, a kind and a context: no I/O, no arithmetic in templates.

Every amount comes from the frozen ``invoice.totals`` and the invoice's own
properties (``amount_due``, ``paid``, ...), formatted for the reader's locale;
templates only place these strings. Customer data is passed as values, never
as template source.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any, Final, Protocol

from invoicekit.adapters.render.branding import Branding
from invoicekit.adapters.render.formatting import Formatter
from invoicekit.adapters.render.notices import notice
from invoicekit.adapters.render.paying import how_to_pay
from invoicekit.adapters.render.reasons import plain_reason
from invoicekit.adapters.render.subjects import Subject, check_subject, failure_in, refuse
from invoicekit.adapters.render.summary import TITLE_SUMMARY, lines_summary
from invoicekit.adapters.render.titles import purpose_and_title
from invoicekit.domain.calendar import books_date
from invoicekit.domain.invoice import CreditNote, Invoice, Payment, Refund
from invoicekit.domain.line import Line
from invoicekit.domain.parties import Address, Customer, Seller
from invoicekit.domain.tax import REASON_REQUIRED, Tax
from invoicekit.domain.terms import EndOfMonth, FixedDate, NetDays, PaymentTerms
from invoicekit.domain.totals import LineAmounts, TaxSubtotal, Totals
from invoicekit.ports import DocumentContext

__all__ = ["Gettext", "build_view", "document_locale"]

_ZERO: Final = Decimal(0)
#: Seller names in short texts are cut to this length so the facts fit one SMS.
_SHORT_NAME: Final = 30
#: Characters of the summary of the lines on the first screen (two lines of a phone).
_SCREEN_SUMMARY: Final = 90


class Gettext(Protocol):
    """The two calls of a gettext translations object that views use."""

    def gettext(self, message: str) -> str:
        """The translation of ``message``."""

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        """The translation of ``singular``/``plural`` for ``n``."""


def document_locale(invoice: Invoice) -> str | None:
    """The reader's locale: the customer's, else the seller's (both as snapshotted at issue)."""
    customer, seller = invoice.customer, invoice.seller
    if customer is not None and customer.locale:
        return customer.locale
    return seller.locale if seller is not None else None


def _address(address: Address | None, fmt: Formatter) -> list[str]:
    if address is None:
        return []
    city = " ".join(p for p in (address.postal_code, address.city) if p)
    country = fmt.locale.territories.get(address.country, address.country)
    return [p for p in (address.line1, address.line2, city, address.region, country) if p]


def _party(party: Seller | Customer, fmt: Formatter) -> dict[str, Any]:
    legal = party.legal_name if isinstance(party, Seller) else None
    return {
        "name": party.name,
        "legal_name": legal if legal and legal != party.name else None,
        "address": _address(party.address, fmt),
        "tax_id": party.tax_id,
        "email": party.email,
        "phone": party.phone,
    }


def _tax_label(tax: Tax, fmt: Formatter, t: Gettext) -> str:
    name = t.gettext("VAT") if tax.name == "VAT" else tax.name
    if tax.category in REASON_REQUIRED:
        return f"{name}: {tax.exemption_reason or tax.exemption_code}"
    return f"{name} {fmt.percent(tax.rate)}"


def _lines(
    lines: tuple[Line, ...], amounts: tuple[LineAmounts, ...], cur: str, fmt: Formatter, t: Gettext
) -> list[dict[str, Any]]:
    return [
        {
            "description": line.description,
            "note": line.note,
            "quantity": fmt.quantity(line.quantity),
            "unit_price": fmt.money(line.unit_price, cur),
            "net": fmt.money(a.net, cur),
            "tax": ", ".join(_tax_label(tax, fmt, t) for tax in line.taxes),
            "period": (
                f"{fmt.date(line.period.start)} – {fmt.date(line.period.end)}"
                if line.period is not None
                else None
            ),
        }
        for line, a in zip(lines, amounts, strict=True)
    ]


def _breakdown(
    rows: tuple[TaxSubtotal, ...], cur: str, fmt: Formatter, t: Gettext
) -> list[dict[str, str]]:
    return [
        {
            "label": _tax_label(row.tax, fmt, t),
            "base": fmt.money(row.base, cur),
            "amount": fmt.money(row.amount, cur),
        }
        for row in rows
    ]


def _row(label: str, value: str, *, strong: bool = False) -> dict[str, Any]:
    return {"label": label, "value": value, "strong": strong}


def _totals(totals: Totals, fmt: Formatter, t: Gettext) -> list[dict[str, Any]]:
    cur = totals.currency
    rows = [_row(t.gettext("Net total"), fmt.money(totals.line_net_total, cur))]
    if totals.discount_total:
        rows.append(_row(t.gettext("Discounts"), fmt.money(-totals.discount_total, cur)))
    if totals.charge_total:
        rows.append(_row(t.gettext("Charges"), fmt.money(totals.charge_total, cur)))
    if totals.discount_total or totals.charge_total:
        rows.append(_row(t.gettext("Total without tax"), fmt.money(totals.tax_exclusive, cur)))
    rows.append(_row(t.gettext("Total tax"), fmt.money(totals.tax_total, cur)))
    rows.append(_row(t.gettext("Total"), fmt.money(totals.tax_inclusive, cur)))
    if totals.rounding:
        rows.append(_row(t.gettext("Rounding"), fmt.money(totals.rounding, cur)))
    return rows


def _terms(terms: PaymentTerms, fmt: Formatter, t: Gettext) -> str:
    if isinstance(terms, NetDays):
        if terms.days == 0:
            return t.gettext("Due on receipt")
        return t.ngettext("Net %(num)d day", "Net %(num)d days", terms.days) % {"num": terms.days}
    if isinstance(terms, FixedDate):
        return t.gettext("Due on %(date)s") % {"date": fmt.date(terms.on)}
    if isinstance(terms, EndOfMonth):
        if terms.days == 0:
            return t.gettext("End of month")
        return t.ngettext(
            "End of month + %(num)d day", "End of month + %(num)d days", terms.days
        ) % {"num": terms.days}
    return terms.describe()


def _no_issue_date(invoice: Invoice) -> date:
    """Refuse an issued invoice without an issue date (it cannot happen through lifecycle.py)."""
    raise refuse("invoice", f"invoice {invoice.ref} has no issue date: issue it first")


def _parties(invoice: Invoice) -> tuple[Seller, Customer]:
    """The snapshots taken at issue (``_check`` has refused drafts already)."""
    if invoice.seller is None or invoice.customer is None:
        raise refuse("invoice", f"invoice {invoice.ref} has no party snapshots: issue it first")
    return invoice.seller, invoice.customer


def _answers(
    subject: Subject,
    invoice: Invoice,
    settled: bool,
    fmt: Formatter,
    t: Gettext,
) -> dict[str, str]:
    """The first screen's two figures: amount and due date, or, once settled, total and status."""
    cur, due = invoice.currency, invoice.due_date
    if not settled:
        return {
            "amount_label": t.gettext("Amount due"),
            "amount": fmt.money(invoice.amount_due, cur),
            "due_label": t.gettext("Due date"),
            "due": fmt.date(due) if due is not None else t.gettext("Due on receipt"),
        }
    if isinstance(subject, CreditNote):
        total_label, total = t.gettext("Total credited"), subject.totals.payable
    else:
        total_label, total = t.gettext("Total"), invoice.totals.payable
    return {
        "amount_label": total_label,
        "amount": fmt.money(total, cur),
        "due_label": t.gettext("Status"),
        "due": t.gettext("Paid in full"),
    }


def _reason(
    kind: str, invoice: Invoice, ctx: DocumentContext, subject: Subject, t: Gettext
) -> str | None:
    """Why a payment failed, in plain words (``payment_failed`` only)."""
    if kind != "payment_failed":
        return None
    given = subject.failure_reason if isinstance(subject, Payment) else None
    return plain_reason(failure_in(invoice, ctx), given, t)


def build_view(
    kind: str,
    invoice: Invoice,
    context: DocumentContext | None,
    *,
    fmt: Formatter,
    t: Gettext,
    branding: Branding,
    qr: Callable[[Invoice], str | None] | None = None,
) -> dict[str, Any]:
    """The template context for ``kind`` of ``invoice``: formatted strings and lists only.

    Raises ValidationError for an unknown kind, a draft, or a context that lacks
    what the kind needs (a receipt's payment, a credit note).
    """
    ctx = context or DocumentContext()
    subject = check_subject(kind, invoice, ctx)
    seller, customer = _parties(invoice)
    issue_date = invoice.issue_date or _no_issue_date(invoice)
    cur, invoice_number = invoice.currency, invoice.number or ""
    settled = invoice.amount_due <= _ZERO
    for_title = lines_summary(invoice.lines, fmt, t, limit=TITLE_SUMMARY)
    heading, purpose, title = purpose_and_title(
        kind, invoice, subject, what=for_title, fmt=fmt, t=t
    )
    message, tone = notice(kind, invoice, ctx=ctx, subject=subject, fmt=fmt, t=t)
    qr_uri = qr(invoice) if qr is not None and not settled else None
    if isinstance(subject, CreditNote):
        doc_lines, doc_totals = subject.lines, subject.totals
        number_label, number = t.gettext("Credit note number"), subject.number
        doc_date = subject.issue_date
    else:
        doc_lines, doc_totals = invoice.lines, invoice.totals
        number_label, number = t.gettext("Invoice number"), invoice_number
        doc_date = ctx.as_of if kind in ("reminder", "final_notice") and ctx.as_of else issue_date
    what = lines_summary(doc_lines, fmt, t, limit=_SCREEN_SUMMARY)
    totals = _totals(doc_totals, fmt, t)
    if isinstance(subject, CreditNote):
        totals.append(
            _row(t.gettext("Total credited"), fmt.money(doc_totals.payable, cur), strong=True)
        )
    else:
        if invoice.paid:
            totals.append(_row(t.gettext("Paid"), fmt.money(-invoice.paid, cur)))
        if invoice.credited:
            totals.append(_row(t.gettext("Credited"), fmt.money(-invoice.credited, cur)))
        totals.append(
            _row(t.gettext("Amount due"), fmt.money(invoice.amount_due, cur), strong=True)
        )
    facts = [
        {"label": number_label, "value": number},
        {"label": t.gettext("Issue date"), "value": fmt.date(issue_date)},
    ]
    if isinstance(subject, CreditNote):
        facts[1] = {"label": t.gettext("Issue date"), "value": fmt.date(subject.issue_date)}
        facts.append({"label": t.gettext("Corrects invoice"), "value": invoice_number})
        if subject.reason:
            facts.append({"label": t.gettext("Reason"), "value": subject.reason})
    elif doc_date != issue_date:
        facts.append({"label": t.gettext("Date"), "value": fmt.date(doc_date)})
    if isinstance(subject, Payment | Refund):
        label = {
            "receipt": t.gettext("Payment received"),
            "refund": t.gettext("Refunded"),
        }.get(kind, t.gettext("Payment attempt"))
        when = fmt.date(books_date(subject.at, seller))
        facts.append({"label": label, "value": f"{fmt.money(subject.amount, cur)} · {when}"})
    if isinstance(subject, Payment) and subject.reference:
        facts.append({"label": t.gettext("Payment reference"), "value": subject.reference})
    facts.append({"label": t.gettext("Payment terms"), "value": _terms(invoice.terms, fmt, t)})
    due = invoice.due_date
    pay = how_to_pay(kind, invoice, ctx, settled=settled, qr_uri=qr_uri, fmt=fmt, t=t)
    short_seller = (
        seller.name if len(seller.name) <= _SHORT_NAME else seller.name[: _SHORT_NAME - 1] + "…"
    )
    return {
        "kind": kind,
        "lang": fmt.lang,
        "title": title,
        "heading": heading,
        "purpose": purpose,
        "what": what,
        "answers": _answers(subject, invoice, settled, fmt, t),
        "notice": message,
        "tone": tone,
        "number": invoice_number,
        "document_number": number,
        "settled": settled,
        "amount_due": fmt.money(invoice.amount_due, cur),
        "due_date": t.gettext("Paid in full") if settled or due is None else fmt.date(due),
        "due_date_short": fmt.short_date(due) if due else "",
        "pay": pay,
        "facts": facts,
        "seller": _party(seller, fmt),
        "customer": _party(customer, fmt),
        "lines": _lines(doc_lines, doc_totals.lines, cur, fmt, t),
        "breakdown": _breakdown(doc_totals.breakdown, cur, fmt, t),
        "totals": totals,
        "memo": invoice.memo,
        "footer": invoice.footer,
        "short": {
            "seller": short_seller,
            "paid": fmt.money(invoice.paid, cur),
            "credit": subject.number if isinstance(subject, CreditNote) else None,
            "credited": fmt.money(subject.totals.payable, cur)
            if isinstance(subject, CreditNote)
            else None,
            "overdue": bool(ctx.as_of and due and ctx.as_of > due),
            "refunded": fmt.money(subject.amount, cur) if isinstance(subject, Refund) else None,
            "reason": _reason(kind, invoice, ctx, subject, t),
            #: The summary of the lines, cut by the renderer to what the SMS has room for.
            "what": "",
        },
        "brand": {
            "logo": branding.logo_uri,
            "logo_alt": t.gettext("%(seller)s logo") % {"seller": seller.name},
            "primary": branding.primary_color,
            "on_primary": branding.on_primary,
            "accent": branding.accent_color,
            "footer": branding.footer,
            "legal_lines": list(branding.legal_lines),
        },
    }
