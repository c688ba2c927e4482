"""PDF rendering through WeasyPrint, and its URL fetcher that fetches nothing from outside."""

from __future__ import annotations

import base64
import io
from collections.abc import Callable, Iterator
from pathlib import Path

import pypdf
import pytest

from invoicekit.adapters.render import Branding, TemplateRenderer
from invoicekit.adapters.render.pdf import refuse_reason
from invoicekit.domain.invoice import Invoice
from invoicekit.ports import DocumentContext
from loopback import serving


def pdf_text(content: bytes) -> str:
    assert content.startswith(b"%PDF-")
    return "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(content)).pages)


@pytest.fixture
def loopback() -> Iterator[tuple[str, list[str]]]:
    """A real HTTP server on loopback; yields its base URL and the paths it was asked for."""
    with serving(b"footer::after { content: 'FETCHED-OVER-HTTP'; }", "text/css") as running:
        yield running


def test_the_pdf_shows_the_number_amount_and_due_date(
    renderer: TemplateRenderer, invoice: Invoice
) -> None:
    doc = renderer.render("invoice", invoice, media_type="application/pdf")
    assert doc.media_type == "application/pdf"
    assert doc.filename == "invoice-INV-2026-00001.pdf"
    text = pdf_text(doc.content)
    for expected in (
        "INV-2026-00001",
        "€928.20",
        "March 31, 2026",
        "Northwind Studio",
        "Globex",
        "Brand design",
    ):
        assert expected in text, expected


def test_a_german_reminder_pdf_is_in_german(
    make_invoice: Callable[..., Invoice], renderer: TemplateRenderer
) -> None:
    from datetime import date

    doc = renderer.render(
        "reminder",
        make_invoice(locale="de"),
        media_type="application/pdf",
        context=DocumentContext(as_of=date(2026, 4, 2)),
    )
    text = pdf_text(doc.content)
    assert "928,20 €" in text
    assert "31. März 2026" in text
    assert "seit 2 Tagen überfällig" in text


def test_pdf_options_reach_weasyprint(invoice: Invoice) -> None:
    plain = TemplateRenderer(qr=False, pdf_options={"uncompressed_pdf": True})
    content = plain.render("invoice", invoice, media_type="application/pdf").content
    assert b"/FlateDecode" not in content


def test_templates_and_logos_cannot_fetch_files_or_the_network(
    tmp_path: Path, invoice: Invoice, loopback: tuple[str, list[str]]
) -> None:
    base, seen = loopback
    secret = tmp_path / "secret.css"
    secret.write_text("body::after { content: 'SECRET-FROM-DISK'; }", encoding="utf-8")
    (tmp_path / "invoice.html").write_text(
        '{% extends "base.html" %}{% block intro %}'
        f'<link rel="stylesheet" href="{secret.as_uri()}">'
        f'<link rel="stylesheet" href="{base}/style.css">'
        f'<style>@import url("{base}/import.css"); @import url("{secret.as_uri()}");</style>'
        f'<img src="file:///etc/passwd" alt="x"><img src="{base}/pixel.png" alt="y">'
        f'<img src="http://127.0.0.1:1/x" alt="z">'
        "{% endblock %}",
        encoding="utf-8",
    )
    svg = (
        '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="10" height="10">'
        f'<image href="{base}/logo.png" width="10" height="10"/><image xlink:href="file:///etc/passwd"/></svg>'
    ).encode()
    renderer = TemplateRenderer(templates=tmp_path, branding=Branding(logo=svg))
    text = pdf_text(renderer.render("invoice", invoice, media_type="application/pdf").content)
    assert seen == []  # the loopback server received no request at all
    assert "SECRET-FROM-DISK" not in text
    assert "FETCHED-OVER-HTTP" not in text
    assert "root:" not in text
    assert "INV-2026-00001" in text  # the document itself rendered
    # The same HTML through WeasyPrint's default fetcher does read both: the check can fail.
    import weasyprint

    html = renderer.render("invoice", invoice).content.decode()
    raw = pdf_text(weasyprint.HTML(string=html).write_pdf())
    assert "SECRET-FROM-DISK" in raw
    assert "FETCHED-OVER-HTTP" in raw
    assert seen


def test_the_loopback_server_does_answer_so_the_check_above_can_fail(
    loopback: tuple[str, list[str]],
) -> None:
    import urllib.request

    base, seen = loopback
    with urllib.request.urlopen(f"{base}/probe") as response:  # noqa: S310 - our loopback server
        assert b"FETCHED-OVER-HTTP" in response.read()
    assert seen == ["/probe"]


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("data:image/png;base64," + base64.b64encode(b"x").decode(), True),
        ("DATA:text/css,body{}", True),
        ("invoicekit-resource:templates/document.css", True),
        ("invoicekit-resource:../../../etc/passwd", False),
        ("file:///etc/passwd", False),
        ("http://127.0.0.1:1/x", False),
        ("https://example.com/logo.png", False),
        ("ftp://example.com/x", False),
        ("/etc/passwd", False),
    ],
)
def test_only_data_urls_and_package_resources_are_allowed(url: str, allowed: bool) -> None:
    assert (refuse_reason(url) is None) is allowed
