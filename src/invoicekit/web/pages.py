"""The pages the app serves, as HTML: Jinja2 with autoescape over the package's templates.

The hosted invoice page reuses the renderer's view (``build_view``): the same four
answers, lines and bank details as the invoice e-mail, in the customer's language.
"""

from __future__ import annotations

import base64
import functools
import importlib.util
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any, Final

import jinja2

from invoicekit.adapters.epc import epc_payload, qr_svg
from invoicekit.adapters.render.branding import Branding
from invoicekit.adapters.render.formatting import formatter
from invoicekit.adapters.render.i18n import translations
from invoicekit.adapters.render.view import Gettext, build_view, document_locale
from invoicekit.domain.invoice import Invoice
from invoicekit.web.host import PayPageView

__all__ = ["NOT_FOUND", "Templates", "invoice_context", "stylesheet"]

_HERE: Final = Path(__file__).parent
_DOCUMENT_CSS: Final = _HERE.parent / "adapters" / "render" / "templates" / "document.css"
#: The one page every unknown, wrong or expired token gets (T36): nothing in it depends on the token.
NOT_FOUND: Final = {
    "title": "Page not found",
    "heading": "This page does not exist",
    "text": "The link may be mistyped or expired. Ask the sender for a new one.",
}
#: What a settled or stopped invoice's page says instead of a Pay button.
_STATUS_TEXT: Final = {
    "paid": ("ok", "Paid in full. Thank you."),
    "void": ("info", "This invoice was cancelled: there is nothing to pay."),
    "uncollectible": ("info", "This invoice is closed: please contact the sender."),
}
_PROCESSING: Final = (
    "info",
    "Thank you: your payment is being processed. This page shows it once it arrives.",
)
_ON_ITS_WAY: Final = ("info", "Your payment is on its way. This page shows it once it arrives.")
_FAILED: Final = ("alert", "Your last payment did not go through. You can try again.")
_CREDITED: Final = ("info", "This invoice was credited: there is nothing to pay.")


class Templates:
    """The app's Jinja2 environment: package templates, autoescape, strict undefined."""

    def __init__(self) -> None:
        self._env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(_HERE / "templates"),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            auto_reload=False,
        )

    def render(self, name: str, context: Mapping[str, Any]) -> str:
        """``name`` rendered with ``context`` (``_`` defaults to English)."""
        return self._env.get_template(name).render({"_": _english, **context})


def _english(message: str) -> str:
    return message


@functools.cache
def stylesheet() -> bytes:
    """The documents' stylesheet (default branding) followed by the app's additions."""
    brand = Branding()
    css = _DOCUMENT_CSS.read_text(encoding="utf-8")
    values = {
        "{{ brand.primary }}": brand.primary_color,
        "{{ brand.on_primary }}": brand.on_primary,
        "{{ brand.accent }}": brand.accent_color,
    }
    for placeholder, value in values.items():
        css = css.replace(placeholder, value)
    return (css + (_HERE / "templates" / "web.css").read_text(encoding="utf-8")).encode()


@functools.cache
def _has_qr() -> bool:
    return importlib.util.find_spec("segno") is not None


@functools.lru_cache(maxsize=256)
def _qr_uri(payload: str) -> str:
    svg = qr_svg(payload).encode("utf-8")
    return "data:image/svg+xml;base64," + base64.b64encode(svg).decode("ascii")


def _qr(invoice: Invoice) -> str | None:
    """The EPC QR code as a data: URI (with the ``qr`` extra), drawn once per payload."""
    if not _has_qr():
        return None
    payload = epc_payload(invoice)
    return None if payload is None else _qr_uri(payload)


def _in_flight(page: PayPageView) -> bool:
    """Pending payments (a bank debit in flight) cover what is due: paying again would pay twice."""
    return Decimal(0) < page.amount_due <= page.invoice.in_flight


def _banner(page: PayPageView, checkout: str | None, t: Gettext) -> dict[str, str] | None:
    invoice = page.invoice
    if not page.can_pay and invoice.credited and not invoice.paid:
        tone, text = _CREDITED  # settled by credit notes alone: "paid" would say money came
    elif page.status in _STATUS_TEXT and not page.can_pay:
        tone, text = _STATUS_TEXT[page.status]
    elif _in_flight(page):
        tone, text = _ON_ITS_WAY
    elif checkout == "success":
        tone, text = _PROCESSING
    elif checkout == "failed" or page.status == "failed":
        tone, text = _FAILED
    else:
        return None
    return {"tone": tone, "text": t.gettext(text), "status": page.status}


def invoice_context(
    page: PayPageView,
    *,
    checkout: str | None,
    pay_action: str | None,
    csrf_token: str,
    pdf_link: str | None,
    error: str | None = None,
) -> dict[str, Any]:
    """The hosted page of ``page``: the renderer's view plus the Pay form and a status banner.

    ``checkout`` is the ``?checkout=`` the provider sent the payer back with: it changes
    the words on the page only, never the invoice (T44).
    """
    fmt = formatter(document_locale(page.invoice))
    t = translations(fmt.locale)
    view = build_view("invoice", page.invoice, None, fmt=fmt, t=t, branding=Branding(), qr=_qr)
    payable = page.can_pay and not _in_flight(page)
    can_pay = payable and pay_action is not None
    amount = fmt.money(page.amount_due, page.currency)
    bank = view["pay"]["bank"] if payable else None
    instruction = None if page.can_pay else view["pay"]["instruction"]
    return {
        "lang": view["lang"],
        "title": view["title"],
        "v": view,
        "_": t.gettext,
        "banner": _banner(page, checkout, t),
        "error": error,
        "pay_action": pay_action if can_pay else None,
        "pay_label": t.gettext("Pay %(amount)s now") % {"amount": amount},
        "csrf_token": csrf_token,
        "bank": bank,
        "instruction": instruction,
        "pdf_link": pdf_link,
    }
