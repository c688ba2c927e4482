"""T37: template syntax and markup in customer data render as literal text, in every format."""

from __future__ import annotations

import io
from html import unescape

import attrs
import pytest

from factories import customer, issued, line, seller
from invoicekit.adapters.render import TemplateRenderer
from invoicekit.domain.invoice import Invoice
from invoicekit.testing.contracts.renderer import INJECTIONS

PAYLOADS = [*INJECTIONS, "{{ 31337*3 }}", "{% raw %}x{% endraw %}{{ config }}"]


def _invoice(payload: str) -> Invoice:
    s = seller()
    c = customer(s, name=payload, tax_id=None)
    noted = attrs.evolve(line(description="Noted"), note=payload)  # BT-127, under the description
    return issued(
        of=s, to=c, lines=[line(description=payload), noted], memo=payload, footer=payload
    )


def _assert_inert(body: str, payload: str) -> None:
    assert payload in body
    assert "49" not in body
    assert "94011" not in body
    assert "&lt;class" not in body
    assert "<class" not in body
    assert "012" not in body


@pytest.mark.parametrize("payload", PAYLOADS)
def test_html_escapes_customer_data(payload: str) -> None:
    html = TemplateRenderer(qr=False).render("invoice", _invoice(payload)).content.decode()
    assert "<script>" not in html
    _assert_inert(unescape(html), payload)


@pytest.mark.parametrize("payload", PAYLOADS)
@pytest.mark.parametrize("media_type", ["text/plain", "text/x-short"])
def test_text_prints_customer_data_literally(payload: str, media_type: str) -> None:
    invoice = _invoice(payload)
    doc = TemplateRenderer(qr=False).render("invoice", invoice, media_type=media_type)
    body = doc.content.decode()
    if media_type == "text/plain":
        _assert_inert(body, payload)
    assert "49" not in body
    assert "94011" not in body


def test_pdf_text_shows_customer_data_literally() -> None:
    import pypdf  # the dev extra has pypdf and weasyprint: missing ones fail, never skip

    payload = "{{ 7*7 }} <script>alert(1)</script>"
    doc = TemplateRenderer(qr=False).render(
        "invoice", _invoice(payload), media_type="application/pdf"
    )
    text = "".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(doc.content)).pages)
    assert "{{ 7*7 }}" in text
    assert "<script>alert(1)</script>" in text
    assert "49" not in text
