"""Factur-X: golden invoices drawn as PDF/A-3 by WeasyPrint with their CII XML embedded by factur-x.

The PDFs are read back with pypdf: the embedded ``factur-x.xml`` is the CII export byte
for byte and passes the official rules offline; the XMP declares Factur-X EN 16931 and
PDF/A-3. veraPDF is not available here (Java, not PyPI), so PDF/A is checked
structurally: XMP pdfaid, an output intent with an ICC profile, every font embedded,
no encryption.
"""

from __future__ import annotations

import functools
import io
import sys
from typing import Any, Final

import facturx
import pypdf
import pytest
from lxml import etree

from einvoice.export_cases import credit_note_of, invoice_of
from golden import load_cases
from invoicekit.adapters.render.formatting import formatter
from invoicekit.adapters.render.renderer import TemplateRenderer
from invoicekit.adapters.render.view import document_locale
from invoicekit.domain.invoice import CreditNote, Invoice
from invoicekit.einvoice import read_facturx, to_cii, to_facturx
from invoicekit.einvoice.validation import validate
from invoicekit.errors import ConfigurationError, MissingExtraError, ValidationError

pytestmark = [
    pytest.mark.slow,
    # WeasyPrint 70 opens its sRGB ICC profile for PDF/A and never closes it (upstream leak):
    # the ResourceWarning at garbage collection is WeasyPrint's, not ours.
    pytest.mark.filterwarnings(
        "ignore:Exception ignored in.*sRGB2014\\.icc:pytest.PytestUnraisableExceptionWarning"
    ),
]

CASES: Final = dict(load_cases())
#: A few golden cases: one rate, document allowances and charges, several VAT categories.
CHOSEN: Final = ("eur_19_basic", "gbp_document_allowances_charges", "eur_mixed_categories")
FX_NS: Final = "urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#"
NS: Final = {
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "pdfaid": "http://www.aiim.org/pdfa/ns/id/",
    "pdfaExtension": "http://www.aiim.org/pdfa/ns/extension/",
    "pdfaSchema": "http://www.aiim.org/pdfa/ns/schema#",
    "fx": FX_NS,
}


@functools.cache
def _invoice(name: str) -> Invoice:
    return invoice_of(CASES[name])


@functools.cache
def _facturx(name: str) -> bytes:
    return to_facturx(_invoice(name))


@functools.cache
def _credit_note() -> tuple[Invoice, CreditNote, bytes]:
    invoice = _invoice("eur_mixed_categories")
    note = credit_note_of(invoice)
    return invoice, note, to_facturx(note, invoice=invoice)


def _reader(pdf: bytes) -> Any:
    return pypdf.PdfReader(io.BytesIO(pdf))


def _xmp(reader: Any) -> etree._Element:
    data = reader.trailer["/Root"]["/Metadata"].get_object().get_data()
    return etree.fromstring(data, etree.XMLParser(resolve_entities=False, no_network=True))


def _text(reader: Any) -> str:
    return "".join("".join(page.extract_text() for page in reader.pages).split())


def _fonts(resources: Any, seen: set[int] | None = None) -> list[Any]:
    """Every font dictionary in ``resources`` and the form XObjects they draw, recursively."""
    seen = set() if seen is None else seen
    if resources is None or id(resources) in seen:
        return []
    seen.add(id(resources))
    resources = resources.get_object()
    found = [f.get_object() for f in resources.get("/Font", {}).values()]
    for xobject in resources.get("/XObject", {}).values():
        stream = xobject.get_object()
        if stream.get("/Subtype") == "/Form":
            found.extend(_fonts(stream.get("/Resources"), seen))
    return found


def _embedded(font: Any) -> bool:
    """A font carries its program (FontFile, FontFile2 or FontFile3); Type3 glyphs are drawn inline."""
    if font.get("/Subtype") == "/Type3":
        return True
    if "/DescendantFonts" in font:
        return all(_embedded(d.get_object()) for d in font["/DescendantFonts"])
    descriptor = font.get("/FontDescriptor")
    if descriptor is None:
        return False
    keys = set(descriptor.get_object().keys())
    return bool(keys & {"/FontFile", "/FontFile2", "/FontFile3"})


@pytest.mark.parametrize("name", CHOSEN)
def test_embedded_xml_is_the_cii_export_and_passes_the_official_rules(name: str) -> None:
    reader = _reader(_facturx(name))
    attachments = reader.attachments
    assert list(attachments) == ["factur-x.xml"]
    xml = attachments["factur-x.xml"][0]
    assert xml == to_cii(_invoice(name))
    report = validate(xml, rules="auto")
    assert report.valid, [str(e) for e in report.errors]


@pytest.mark.parametrize("name", CHOSEN)
def test_xml_is_attached_with_afrelationship_data(name: str) -> None:
    root = _reader(_facturx(name)).trailer["/Root"]
    associated = [spec.get_object() for spec in root["/AF"].get_object()]
    assert [spec["/F"] for spec in associated] == ["factur-x.xml"]
    spec = associated[0]
    assert spec["/AFRelationship"] == "/Data"
    assert spec["/UF"] == "factur-x.xml"
    assert spec["/EF"]["/F"].get_object()["/Subtype"] == "/text/xml"
    names = root["/Names"]["/EmbeddedFiles"]["/Names"]
    assert names[0] == "factur-x.xml"
    assert names[1].get_object() == spec


@pytest.mark.parametrize("name", CHOSEN)
def test_xmp_declares_factur_x_en16931_and_pdfa_3(name: str) -> None:
    xmp = _xmp(_reader(_facturx(name)))
    assert xmp.findtext(".//pdfaid:part", namespaces=NS) == "3"
    assert xmp.findtext(".//pdfaid:conformance", namespaces=NS) == "B"
    assert xmp.findtext(".//fx:ConformanceLevel", namespaces=NS) == "EN 16931"
    assert xmp.findtext(".//fx:DocumentType", namespaces=NS) == "INVOICE"
    assert xmp.findtext(".//fx:DocumentFileName", namespaces=NS) == "factur-x.xml"
    assert xmp.findtext(".//fx:Version", namespaces=NS) == "1.0"
    # PDF/A allows custom XMP properties only with their extension schema declared.
    declared = xmp.findall(".//pdfaExtension:schemas//pdfaSchema:namespaceURI", namespaces=NS)
    assert [d.text for d in declared] == [FX_NS]


@pytest.mark.parametrize("name", CHOSEN)
def test_pdf_is_pdfa_3_structurally(name: str) -> None:
    pdf = _facturx(name)
    reader = _reader(pdf)
    assert not reader.is_encrypted
    assert "/Encrypt" not in reader.trailer
    intents = [i.get_object() for i in reader.trailer["/Root"]["/OutputIntents"]]
    assert [i["/S"] for i in intents] == ["/GTS_PDFA1"]
    icc = intents[0]["/DestOutputProfile"].get_object()
    assert icc.get_data()[36:40] == b"acsp"  # the ICC profile signature
    assert icc["/N"] == 3  # RGB
    fonts = [font for page in reader.pages for font in _fonts(page.get("/Resources"))]
    assert fonts
    missing = [str(f.get("/BaseFont")) for f in fonts if not _embedded(f)]
    assert missing == []


@pytest.mark.parametrize("name", CHOSEN)
def test_visible_text_shows_number_and_amount_due(name: str) -> None:
    invoice = _invoice(name)
    text = _text(_reader(_facturx(name)))
    due = formatter(document_locale(invoice)).money(invoice.amount_due, invoice.currency)
    assert invoice.number is not None
    assert invoice.number in text
    assert "".join(due.split()) in text


@pytest.mark.parametrize("name", CHOSEN)
def test_read_facturx_returns_the_embedded_xml(name: str) -> None:
    assert read_facturx(_facturx(name)) == to_cii(_invoice(name))


def test_factur_x_library_reads_and_checks_our_pdf() -> None:
    filename, xml = facturx.get_facturx_xml_from_pdf(_facturx("eur_19_basic"), check_xsd=True)
    assert filename == "factur-x.xml"
    assert xml == to_cii(_invoice("eur_19_basic"))


def test_credit_note_is_a_factur_x_of_its_own() -> None:
    _, note, pdf = _credit_note()
    xml = read_facturx(pdf)
    assert xml == to_cii(note)
    assert validate(xml, rules="auto").valid
    ram = "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
    assert etree.fromstring(xml).findtext(f".//{{{ram}}}TypeCode") == "381"
    assert note.number in _text(_reader(pdf))
    assert _xmp(_reader(pdf)).findtext(".//fx:DocumentType", namespaces=NS) == "INVOICE"


def test_credit_note_needs_the_invoice_it_corrects() -> None:
    invoice, note, _ = _credit_note()
    with pytest.raises(ValidationError) as caught:
        to_facturx(note)
    assert caught.value.paths == ("invoice",)
    assert invoice.number in str(caught.value)


def test_plain_pdf_is_not_a_factur_x() -> None:
    plain = TemplateRenderer(qr=False).render(
        "invoice", _invoice("eur_19_basic"), media_type="application/pdf"
    )
    with pytest.raises(ValidationError, match=r"embeds no factur-x\.xml.*embedded files: none"):
        read_facturx(plain.content)


def test_bytes_that_are_no_pdf_are_refused() -> None:
    with pytest.raises(ValidationError, match="is not a readable PDF"):
        read_facturx(b"<CrossIndustryInvoice/>")


def test_renderer_without_pdfa_is_refused_with_the_option_to_set() -> None:
    with pytest.raises(ConfigurationError, match=r"not PDF/A-3.*pdf_variant.*pdf/a-3b"):
        to_facturx(_invoice("eur_19_basic"), renderer=TemplateRenderer(qr=False))


def test_given_pdfa_renderer_is_used() -> None:
    renderer = TemplateRenderer(qr=False, pdf_options={"pdf_variant": "pdf/a-3u"})
    pdf = to_facturx(_invoice("eur_19_basic"), renderer=renderer)
    assert read_facturx(pdf) == to_cii(_invoice("eur_19_basic"))


def test_only_the_en16931_profile_is_written() -> None:
    with pytest.raises(ValidationError) as caught:
        to_facturx(_invoice("eur_19_basic"), profile="xrechnung")
    assert caught.value.paths == ("profile",)


def test_profile_check_runs_before_anything_is_drawn() -> None:
    with pytest.raises(ValidationError, match="BT-5 currency"):
        to_facturx(invoice_of(CASES["kwd_5_three_decimals"]), renderer=TemplateRenderer(qr=False))


@pytest.mark.parametrize(("module", "extra"), [("facturx", "einvoice"), ("weasyprint", "pdf")])
def test_missing_extra_names_it(monkeypatch: pytest.MonkeyPatch, module: str, extra: str) -> None:
    monkeypatch.setitem(sys.modules, module, None)
    with pytest.raises(MissingExtraError, match=rf"invoicekit\[{extra}\]"):
        to_facturx(_invoice("eur_19_basic"))


def test_default_renderer_is_made_per_call_not_cached_for_the_process() -> None:
    # to_facturx(invoice) without a renderer builds its own; no renderer is kept
    # process-wide (issue 12: einvoice takes a Renderer, the default is a convenience).
    from invoicekit.einvoice import facturx as facturx_module

    first = facturx_module._default_renderer()
    assert first is not facturx_module._default_renderer()
    assert isinstance(first, TemplateRenderer)
