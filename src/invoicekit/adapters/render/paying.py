"""How to pay, as a document shows it: our pay page or the provider's link, the bank details, or whom to ask.

The link is our hosted pay page when the message carries one (``DocumentContext.pay_url``),
else the invoice's ``payment_link``; only web links become buttons.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from invoicekit.adapters.render.notices import nothing_to_pay
from invoicekit.adapters.render.subjects import refuse
from invoicekit.domain.invoice import Invoice

if TYPE_CHECKING:
    from invoicekit.adapters.render.formatting import Formatter
    from invoicekit.adapters.render.view import Gettext
    from invoicekit.ports import DocumentContext

__all__ = ["how_to_pay"]


def _bank(invoice: Invoice, qr_uri: str | None, amount: str, t: Gettext) -> dict[str, Any] | None:
    seller = invoice.seller
    if seller is None:
        raise refuse("invoice", f"invoice {invoice.ref} has no party snapshots: issue it first")
    account = seller.bank_account
    if account is None:
        return None
    holder = account.holder or seller.legal_name or seller.name
    return {
        "holder": holder,
        "iban": account.display_iban,
        "bic": account.bic,
        "reference": invoice.number,
        "qr": qr_uri,
        "qr_alt": t.gettext(
            "QR code for your banking app: pays %(amount)s to %(holder)s, reference %(number)s"
        )
        % {"amount": amount, "holder": holder, "number": invoice.number},
    }


def how_to_pay(
    kind: str,
    invoice: Invoice,
    ctx: DocumentContext,
    *,
    settled: bool,
    qr_uri: str | None,
    fmt: Formatter,
    t: Gettext,
) -> dict[str, Any]:
    """The pay block: link and its text, bank details, an instruction when neither applies."""
    amount = fmt.money(invoice.amount_due, invoice.currency)
    bank = None if settled else _bank(invoice, qr_uri, amount, t)
    link = ctx.pay_url or invoice.payment_link
    if settled or link is None or not link.startswith(("https://", "http://")):
        link = None  # only web links become buttons: never a javascript: or data: URL
    seller = invoice.seller
    name = seller.name if seller is not None else ""
    if settled:
        instruction = nothing_to_pay(invoice, fmt, t)
    elif link is None and bank is None:
        instruction = t.gettext("Please contact %(seller)s to pay, quoting %(number)s.") % {
            "seller": name,
            "number": invoice.number,
        }
    else:
        instruction = None
    if kind == "payment_failed":
        link_text = t.gettext("Try again and pay %(amount)s") % {"amount": amount}
    else:
        link_text = t.gettext("Pay %(amount)s now") % {"amount": amount}
    return {
        "link": link,
        "link_text": link_text,
        "bank": bank,
        "instruction": instruction,
        "contact": seller.email if seller is not None else None,
    }
