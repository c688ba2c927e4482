"""Factur-X / ZUGFeRD: the invoice's PDF/A-3 with its CII XML embedded, one file for people and software.

The PDF is the delivery PDF drawn by a Renderer as PDF/A-3b (WeasyPrint's
``pdf_variant``); the ``factur-x`` library embeds ``to_cii(...)`` as ``factur-x.xml``
with AFRelationship /Data and writes the Factur-X XMP metadata. No PDF code here.
"""

from __future__ import annotations

import importlib.util
import io
from typing import Any, Final

from invoicekit._extras import require
from invoicekit.domain.invoice import CreditNote, Invoice
from invoicekit.errors import (
    ConfigurationError,
    InvariantViolationError,
    ValidationError,
    problem,
)
from invoicekit.ports import DocumentContext, RenderedDocument, Renderer

__all__ = ["FACTURX_FILENAME", "PDF_VARIANT", "read_facturx", "to_facturx"]

#: The name of the embedded CII XML in a Factur-X (ZUGFeRD 2.x) PDF.
FACTURX_FILENAME: Final = "factur-x.xml"
#: The WeasyPrint ``pdf_variant`` the default renderer draws; the XMP declares PDF/A-3B.
PDF_VARIANT: Final = "pdf/a-3b"
#: Embedded file names read_facturx accepts, in order of preference (ZUGFeRD 2.x names too).
_XML_NAMES: Final = (FACTURX_FILENAME, "zugferd-invoice.xml", "xrechnung.xml")
_PDFAID: Final = "http://www.aiim.org/pdfa/ns/id/"
_PDFA_PART: Final = "3"
_SUBJECT: Final = "Factur-X PDF"


def to_facturx(
    doc: Invoice | CreditNote,
    *,
    renderer: Renderer | None = None,
    profile: str = "en16931",
    invoice: Invoice | None = None,
) -> bytes:
    """An issued invoice or credit note as a Factur-X EN 16931 PDF/A-3 with its CII XML inside.

    ``renderer`` draws the PDF and must produce PDF/A-3 (the default is a
    ``TemplateRenderer(pdf_options={"pdf_variant": "pdf/a-3b"})``). A credit note is
    drawn with the ``invoice`` it corrects. Raises ValidationError for terms the
    profile lacks (before anything is drawn), ConfigurationError when the renderer's
    PDF is not PDF/A-3, MissingExtraError without the ``pdf`` and ``einvoice`` extras.
    """
    if profile != "en16931":
        raise ValidationError(
            [
                problem(
                    "profile",
                    "Factur-X is written for the 'en16931' profile only; send XRechnung and "
                    "Peppol as plain XML (to_xrechnung, to_ubl)",
                    profile,
                )
            ],
            subject="e-invoice",
        )
    if isinstance(doc, CreditNote) and invoice is None:
        raise ValidationError(
            [
                problem(
                    "invoice",
                    f"credit note {doc.number} is drawn with the invoice it corrects: "
                    f"pass to_facturx(note, invoice=<invoice {doc.invoice_number}>)",
                )
            ],
            subject="e-invoice",
        )
    from invoicekit.einvoice import to_cii

    xml = to_cii(doc, profile)
    facturx = require("facturx", extra="einvoice", feature="Factur-X")
    require("weasyprint", extra="pdf", feature="Factur-X (the PDF/A-3 it embeds the XML in)")
    rendered = _render(doc, renderer or _default_renderer(), invoice)
    _require_pdfa3(rendered.content)
    try:
        data: bytes = facturx.generate_from_binary(
            rendered.content,
            xml,
            flavor="factur-x",
            level="en16931",
            check_xsd=True,
            pdf_metadata=_metadata(doc, rendered),
            afrelationship="data",
        )
    except Exception as exc:  # factur-x raises bare Exception for XSD failures
        raise InvariantViolationError(
            "factur-x", f"the factur-x library refused document {doc.number}'s XML or PDF: {exc}"
        ) from exc
    return data


def read_facturx(pdf: bytes) -> bytes:
    """The CII XML embedded in a Factur-X / ZUGFeRD 2.x PDF, as its bytes, for the e-invoice reader.

    Raises ValidationError when ``pdf`` is not a readable PDF or embeds no
    ``factur-x.xml`` (nor ``zugferd-invoice.xml`` / ``xrechnung.xml``).
    """
    pypdf = require("pypdf", extra="einvoice", feature="reading Factur-X PDFs")
    try:
        reader = pypdf.PdfReader(io.BytesIO(pdf))
        encrypted = bool(reader.is_encrypted)
        attachments: dict[str, list[bytes]] = {} if encrypted else dict(reader.attachments)
    except Exception as exc:  # pypdf raises many types on malformed input
        raise ValidationError(
            [problem("pdf", f"is not a readable PDF ({type(exc).__name__}: {exc})", pdf[:16])],
            subject=_SUBJECT,
        ) from exc
    if encrypted:
        raise ValidationError(
            [problem("pdf", "is encrypted; a Factur-X PDF/A-3 never is: ask for it unencrypted")],
            subject=_SUBJECT,
        )
    by_name = {name.lower(): contents for name, contents in attachments.items()}
    for wanted in _XML_NAMES:
        contents = by_name.get(wanted)
        if contents:
            return contents[0]
    found = ", ".join(sorted(attachments)) or "none"
    raise ValidationError(
        [
            problem(
                "pdf",
                f"embeds no {' or '.join(_XML_NAMES)} (embedded files: {found}); "
                "it is a plain PDF, not a Factur-X / ZUGFeRD invoice",
            )
        ],
        subject=_SUBJECT,
    )


def _default_renderer() -> Renderer:
    """A new TemplateRenderer drawing PDF/A-3b (QR code with the ``qr`` extra), for callers passing none.

    Built per call, never cached: no renderer outlives the call that asked for it.
    The one import of a concrete adapter in ``einvoice``, kept lazy (the public
    ``to_facturx(invoice)`` needs a default); the architecture test allows only it.
    """
    from invoicekit.adapters.render.renderer import TemplateRenderer

    return TemplateRenderer(
        pdf_options={"pdf_variant": PDF_VARIANT},
        qr=importlib.util.find_spec("segno") is not None,
    )


def _render(
    doc: Invoice | CreditNote, renderer: Renderer, invoice: Invoice | None
) -> RenderedDocument:
    if isinstance(doc, CreditNote):
        assert invoice is not None  # noqa: S101 - to_facturx refuses a credit note without it
        return renderer.render(
            "credit_note",
            invoice,
            media_type="application/pdf",
            context=DocumentContext(credit_note=doc),
        )
    return renderer.render("invoice", doc, media_type="application/pdf")


def _require_pdfa3(pdf: bytes) -> None:
    """Refuse a base PDF that does not declare PDF/A-3 with an output intent (factur-x would not fix it)."""
    pypdf = require("pypdf", extra="einvoice", feature="Factur-X")
    root = pypdf.PdfReader(io.BytesIO(pdf)).trailer["/Root"]
    missing = []
    if "/OutputIntents" not in root:
        missing.append("an output intent")
    if _pdfa_part(root.get("/Metadata")) != _PDFA_PART:
        missing.append("XMP metadata declaring pdfaid:part 3")
    if missing:
        raise ConfigurationError(
            f"the renderer's PDF is not PDF/A-3 (it lacks {' and '.join(missing)}); Factur-X "
            "needs one: pass a renderer that draws PDF/A-3, e.g. "
            f"TemplateRenderer(pdf_options={{'pdf_variant': '{PDF_VARIANT}'}})"
        )


def _pdfa_part(metadata: Any) -> str | None:
    """The ``pdfaid:part`` an XMP metadata stream declares (as attribute or element), or None."""
    if metadata is None:
        return None
    from invoicekit.einvoice import safexml

    root = safexml.parse(metadata.get_object().get_data())
    for node in root.iter():
        value = node.get(f"{{{_PDFAID}}}part")
        if value is not None:
            return value.strip()
        if node.tag == f"{{{_PDFAID}}}part" and node.text:
            return node.text.strip()
    return None


def _metadata(doc: Invoice | CreditNote, rendered: RenderedDocument) -> dict[str, str]:
    """The PDF's title, author and subject (Info dictionary and XMP alike) from the rendered document."""
    seller = doc.seller
    author = (seller.legal_name or seller.name) if seller is not None else ""
    kind = "Credit note" if isinstance(doc, CreditNote) else "Invoice"
    return {
        "author": author,
        "keywords": f"{kind}, Factur-X, EN 16931",
        "title": rendered.title or f"{kind} {doc.number}",
        "subject": f"{kind} {doc.number} from {author}, with its EN 16931 CII XML (Factur-X)",
    }
