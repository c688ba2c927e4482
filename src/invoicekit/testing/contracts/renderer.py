"""The behaviour every Renderer must show. Subclass ``RendererContract`` as ``TestXRenderer``.

Override the ``renderer`` fixture; set ``supports_pdf = False`` for a renderer
without ``application/pdf``. The suite builds its own issued invoices (EUR,
English, a payment link) so third-party renderers need nothing else.
"""

# ruff: noqa: S101 - a contract suite checks with assert, rewritten by pytest
from __future__ import annotations

from datetime import UTC, date, datetime
from html import unescape
from typing import ClassVar

import pytest

from invoicekit.domain import lifecycle as lc
from invoicekit.domain.invoice import Invoice
from invoicekit.domain.line import Line
from invoicekit.domain.parties import Customer, Seller
from invoicekit.domain.tax import Vat
from invoicekit.errors import ValidationError
from invoicekit.ports import DOCUMENT_KINDS, MEDIA_TYPES, DocumentContext, Renderer

__all__ = ["INJECTIONS", "RendererContract", "contract_invoice"]

_AT = datetime(2026, 3, 1, 9, tzinfo=UTC)
_PAY_LINK = "https://pay.example/i/contract-7f3a"
#: Template-injection attempts (T37): each must come out as the literal text.
INJECTIONS = (
    "{{ 7*7 }}",
    "{% for x in range(3) %}{{ x }}{% endfor %}",
    "<script>alert(1)</script>",
    "{{ ''.__class__.__mro__ }}",
)


def contract_invoice(
    *,
    customer_name: str = "Globex",
    description: str = "Consulting",
    number: str = "INV-2026-00017",
) -> Invoice:
    """An issued EUR invoice (119.00 due 2026-03-31) with a payment link and one received payment."""
    seller = Seller(id="s1", name="Northwind Studio", country="DE", currency="EUR")
    customer = Customer(id="c1", seller_id="s1", name=customer_name, email="ap@globex.example")
    draft = Invoice.draft(
        id="i1",
        seller=seller,
        customer=customer,
        lines=[Line(description, quantity="1", unit_price="100.00", tax=Vat("19"))],
        at=_AT,
    )
    issued, _ = lc.apply(
        draft,
        lc.Issue(number=number, seller=seller, customer=customer, payment_link=_PAY_LINK),
        at=_AT,
    )
    return issued


def _context(kind: str, invoice: Invoice) -> tuple[Invoice, DocumentContext]:
    """The invoice state and context ``kind`` needs (a payment for receipts, a note for credits)."""
    if kind == "receipt":
        paid, _ = lc.apply(invoice, lc.RecordPayment(payment_id="p1", amount="19.00"), at=_AT)
        return paid, DocumentContext(payment_id="p1")
    if kind == "refund":
        paid, _ = lc.apply(invoice, lc.RecordPayment(payment_id="p1", amount="19.00"), at=_AT)
        back, _ = lc.apply(paid, lc.RefundPayment("p1", "r1", "9.00"), at=_AT)
        return back, DocumentContext(refund_id="r1")
    if kind == "payment_failed":
        failed, _ = lc.apply(invoice, lc.FailCollection("declined", "card_declined"), at=_AT)
        return failed, DocumentContext(failure=failed.failures[-1])
    if kind == "credit_note":
        line = Line("Refund", quantity="1", unit_price="10.00", tax=Vat("19"))
        credited, events = lc.apply(
            invoice, lc.Credit(credit_note_id="cn1", number="CN-2026-00001", lines=(line,)), at=_AT
        )
        note = events[0].credit_note  # type: ignore[attr-defined]  # CreditNoteIssued
        return credited, DocumentContext(credit_note=note)
    return invoice, DocumentContext(as_of=date(2026, 3, 28))


def _text(content: bytes) -> str:
    return content.decode("utf-8")


class RendererContract:
    """Behaviour every Renderer adapter must show (kinds, media types, the four answers, T37)."""

    #: Whether the renderer produces ``application/pdf``.
    supports_pdf: ClassVar[bool] = True

    @pytest.fixture
    def renderer(self) -> Renderer:
        """The renderer under test; override it."""
        raise NotImplementedError("override the 'renderer' fixture")

    def _media_types(self) -> tuple[str, ...]:
        return tuple(m for m in MEDIA_TYPES if self.supports_pdf or m != "application/pdf")

    @pytest.mark.parametrize("kind", DOCUMENT_KINDS)
    def test_every_kind_and_media_type_renders_with_a_title(
        self, renderer: Renderer, kind: str
    ) -> None:
        """Every kind renders in every media type, with content, a title and a filename."""
        invoice, ctx = _context(kind, contract_invoice())
        for media_type in self._media_types():
            doc = renderer.render(kind, invoice, media_type=media_type, context=ctx)
            assert doc.media_type == media_type
            assert doc.content, (kind, media_type)
            assert doc.title.strip(), (kind, media_type)
            assert doc.filename, (kind, media_type)

    @pytest.mark.parametrize("media_type", ["text/html", "text/plain"])
    def test_the_four_answers_appear(self, renderer: Renderer, media_type: str) -> None:
        """The number, the amount due, the due date and the pay link are in HTML and text."""
        invoice = contract_invoice()
        body = _text(renderer.render("invoice", invoice, media_type=media_type).content)
        assert "INV-2026-00017" in body  # what it is for
        assert "119.00" in body  # how much is due
        assert any(
            d in body for d in ("2026-03-31", "March 31, 2026", "31 March 2026", "Mar 31, 2026")
        )
        assert _PAY_LINK in body  # how to pay

    def test_an_unknown_kind_or_media_type_is_refused(self, renderer: Renderer) -> None:
        """Unknown kinds and media types raise ValidationError."""
        invoice = contract_invoice()
        with pytest.raises(ValidationError):
            renderer.render("love_letter", invoice)
        with pytest.raises(ValidationError):
            renderer.render("invoice", invoice, media_type="image/gif")

    @pytest.mark.parametrize("payload", INJECTIONS)
    def test_template_injection_in_customer_data_is_inert(
        self, renderer: Renderer, payload: str
    ) -> None:
        """T37: template syntax and markup in customer data come out as literal text."""
        invoice = contract_invoice(customer_name=payload, description=payload)
        text = _text(renderer.render("invoice", invoice, media_type="text/plain").content)
        html = _text(renderer.render("invoice", invoice, media_type="text/html").content)
        assert payload in text
        assert payload in unescape(html)
        assert "<script>alert(1)</script>" not in html
        for body in (text, html):
            assert "49" not in body
            assert "012" not in body  # the loop did not run
            assert "<class 'object'>" not in body
            assert "&lt;class" not in body

    @pytest.mark.parametrize("media_type", ["text/html", "text/plain", "text/x-short"])
    def test_rendering_is_deterministic(self, renderer: Renderer, media_type: str) -> None:
        """The same invoice renders to the same bytes twice."""
        invoice = contract_invoice()
        first = renderer.render("invoice", invoice, media_type=media_type)
        second = renderer.render("invoice", invoice, media_type=media_type)
        assert first == second
