"""A line's note (BT-127) is shown under its description: HTML, plain text, PDF, credit notes."""

from __future__ import annotations

import io
import re
from html import unescape
from importlib import resources
from typing import Final

import attrs

from factories import customer, issued, line, seller, utc
from invoicekit.adapters.render import TemplateRenderer
from invoicekit.domain import lifecycle as lc
from invoicekit.domain.events import CreditNoteIssued
from invoicekit.domain.invoice import Invoice
from invoicekit.ports import DocumentContext

NOTE: Final = "Pro plan: 12 of 30 days\n× 30.00"


def _invoice() -> Invoice:
    s = seller()
    noted = attrs.evolve(line("12.00", description="Pro plan"), note=NOTE)
    return issued(of=s, to=customer(s), lines=[noted, line("5.00", description="Setup")])


def _render(invoice: Invoice, media_type: str = "text/html", **kw: object) -> str:
    doc = TemplateRenderer(qr=False).render("invoice", invoice, media_type=media_type, **kw)  # type: ignore[arg-type]
    return doc.content.decode()


def test_html_shows_the_note_under_its_description_and_only_there() -> None:
    html = _render(_invoice())

    cells = re.findall(r'<td class="desc">(.*?)</td>', html, flags=re.DOTALL)
    assert cells[0].startswith(f'Pro plan<span class="line-note">{NOTE}</span>')
    assert "line-note" not in cells[1]
    assert html.count('class="line-note"') == 1


def test_the_note_is_small_muted_and_keeps_its_line_breaks() -> None:
    css = (resources.files("invoicekit.adapters.render") / "templates" / "document.css").read_text()

    [rule] = re.findall(r"^\.line-note \{([^}]*)\}", css, flags=re.MULTILINE)
    assert "font-size: 12px" in rule
    assert "color: #555555" in rule
    assert "white-space: pre-line" in rule


def test_plain_text_shows_each_line_of_the_note_indented_under_the_description() -> None:
    text = _render(_invoice(), "text/plain")

    assert "- Pro plan\n  Pro plan: 12 of 30 days\n  × 30.00\n  Quantity: 1 ×" in text
    assert "- Setup\n  Quantity: 1 ×" in text


def test_a_credit_note_shows_the_notes_of_its_own_lines() -> None:
    invoice = _invoice()
    credited, events = lc.apply(
        invoice,
        lc.Credit(
            credit_note_id="cn1",
            number="CN-2026-00001",
            lines=(attrs.evolve(line("4.00", description="Pro plan"), note="12 unused days"),),
        ),
        at=utc(2026, 3, 6),
    )
    (note,) = (e.credit_note for e in events if isinstance(e, CreditNoteIssued))
    context = DocumentContext(credit_note=note)
    renderer = TemplateRenderer(qr=False)

    for media_type in ("text/html", "text/plain"):
        doc = renderer.render("credit_note", credited, media_type=media_type, context=context)
        body = unescape(doc.content.decode())
        assert "12 unused days" in body, media_type
        assert "Pro plan: 12 of 30 days" not in body, media_type  # the invoice's, not its own


def test_the_pdf_shows_the_note() -> None:
    import pypdf  # the dev extra has pypdf and weasyprint: missing ones fail, never skip

    doc = TemplateRenderer(qr=False).render("invoice", _invoice(), media_type="application/pdf")

    pages = pypdf.PdfReader(io.BytesIO(doc.content)).pages
    text = "".join(page.extract_text() for page in pages)
    assert "Pro plan: 12 of 30 days" in text
    assert "× 30.00" in text
