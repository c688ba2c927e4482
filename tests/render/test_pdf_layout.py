"""How PDFs are laid out: fixed columns and table widths (fast), the same information in the same order."""

from __future__ import annotations

import re
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

# The pdf extra is part of .[dev]: a missing WeasyPrint fails here rather than skipping.
import weasyprint
from weasyprint.formatting_structure import boxes

from invoicekit.adapters.render import Branding, TemplateRenderer
from invoicekit.domain.invoice import Invoice
from invoicekit.ports import DocumentContext
from loopback import serving
from render.conftest import credit
from render.test_pdf import pdf_text


@pytest.fixture
def drawn(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """The WeasyPrint documents (laid-out pages) that render_pdf draws, in order."""
    documents: list[Any] = []
    plain = weasyprint.HTML.render

    def spy(self: Any, *args: Any, **kwargs: Any) -> Any:
        document = plain(self, *args, **kwargs)
        documents.append(document)
        return document

    monkeypatch.setattr(weasyprint.HTML, "render", spy)
    return documents


def all_boxes(document: Any) -> Iterator[Any]:
    for page in document.pages:
        yield from page._page_box.descendants()


@pytest.mark.parametrize("kind", ["invoice", "reminder", "receipt", "credit_note"])
def test_a_pdf_is_laid_out_without_flex_auto_grid_tracks_or_auto_width_tables(
    renderer: TemplateRenderer, invoice: Invoice, drawn: list[Any], kind: str
) -> None:
    context = DocumentContext(as_of=invoice.due_date)
    subject = invoice
    if kind == "credit_note":
        subject, note = credit(invoice, "100.00")
        context = DocumentContext(credit_note=note)
    if kind == "receipt":
        from render.test_renderer import paid

        subject, context = paid(invoice, "500.00"), DocumentContext(payment_id="p1")
    renderer.render(kind, subject, media_type="application/pdf", context=context)
    (document,) = drawn
    laid_out = list(all_boxes(document))
    assert not [b for b in laid_out if isinstance(b, boxes.FlexContainerBox)]
    grids = [b for b in laid_out if isinstance(b, boxes.GridContainerBox)]
    assert grids  # the labelled lists: a fixed label column, no track sized by measuring text
    assert all("auto" not in repr(g.style["grid_template_columns"]) for g in grids)
    tables = [b for b in laid_out if isinstance(b, boxes.TableBox)]
    assert len(tables) >= 4  # the brand bar, the parties, lines, breakdown, totals
    assert {
        t.style["table_layout"] for t in tables if "brandbar" not in t.element.get("class", "")
    } == {"fixed"}


@pytest.mark.parametrize("locale", ["en", "de", "fr", "es"])
def test_the_pdf_has_the_same_text_in_the_same_order_as_weasyprints_plain_drawing(
    renderer: TemplateRenderer, make_invoice: Any, locale: str
) -> None:
    invoice = make_invoice(locale=locale)
    fast = pdf_text(renderer.render("invoice", invoice, media_type="application/pdf").content)
    html = renderer.render("invoice", invoice).content.decode()
    plain = pdf_text(weasyprint.HTML(string=html).write_pdf())  # document.css alone, flex and grid
    assert " ".join(fast.split()) == " ".join(plain.split())
    assert "Northwind Studio" in fast


def test_the_document_style_sheet_is_parsed_once_per_process(
    invoice: Invoice, make_invoice: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    parsed: list[str] = []
    plain = weasyprint.CSS

    def counting(*args: Any, **kwargs: Any) -> Any:
        parsed.append(kwargs.get("string", ""))
        return plain(*args, **kwargs)

    monkeypatch.setattr(weasyprint, "CSS", counting)
    # A colour no other test draws with: its document sheet is new to this process.
    renderer = TemplateRenderer(branding=Branding(primary_color="#123457"))
    renderer.render("invoice", invoice, media_type="application/pdf")
    assert any("#123457" in css for css in parsed)
    parsed.clear()
    renderer.render("reminder", make_invoice(locale="de"), media_type="application/pdf")
    assert parsed == []


def test_a_custom_document_css_is_drawn_its_own_way_and_still_fetches_nothing(
    tmp_path: Path, invoice: Invoice, drawn: list[Any]
) -> None:
    secret = tmp_path / "secret.css"
    secret.write_text("footer::after { content: 'SECRET-FROM-DISK'; }", encoding="utf-8")
    package_css = (
        resources.files("invoicekit.adapters.render") / "templates" / "document.css"
    ).read_text()
    with serving(b"footer::after { content: 'FETCHED-OVER-HTTP'; }", "text/css") as (base, seen):
        # Imports ahead of the package's own sheet: the fast path parses it, through the same fetcher.
        (tmp_path / "document.css").write_text(
            f'@import url("{secret.as_uri()}"); @import url("{base}/x.css");\n{package_css}',
            encoding="utf-8",
        )
        renderer = TemplateRenderer(templates=tmp_path)
        text = pdf_text(renderer.render("invoice", invoice, media_type="application/pdf").content)
        assert seen == []
    assert "SECRET-FROM-DISK" not in text
    assert "FETCHED-OVER-HTTP" not in text
    assert "INV-2026-00001" in text
    assert not [b for b in all_boxes(drawn[0]) if isinstance(b, boxes.FlexContainerBox)]
    # A sheet of the seller's own (not the package's) keeps its flex layout: pdf.css is not for it.
    (tmp_path / "document.css").write_text(
        "@page { size: A4; } .brandbar { display: flex; } .answers { display: flex; }",
        encoding="utf-8",
    )
    renderer = TemplateRenderer(templates=tmp_path)
    assert "INV-2026-00001" in pdf_text(
        renderer.render("invoice", invoice, media_type="application/pdf").content
    )
    assert [b for b in all_boxes(drawn[-1]) if isinstance(b, boxes.FlexContainerBox)]


def test_the_pdf_sheet_styles_only_classes_of_the_package_templates() -> None:
    templates = resources.files("invoicekit.adapters.render") / "templates"
    sheet = (templates / "pdf.css").read_text()
    html = "".join((templates / name).read_text() for name in ("base.html", "party.html"))
    classes = set(re.findall(r"\.([a-z][a-z-]*)", re.sub(r"/\*.*?\*/", "", sheet, flags=re.DOTALL)))
    assert classes
    for name in classes:
        assert re.search(rf'class="[^"]*\b{name}\b', html), name
