"""A line's note (BT-127) in UBL and CII: where the writers put it and what the readers keep.

EN 16931 allows one note per line; UBL and CII allow several, so a reader keeps the
first and reports any other as not kept.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

import attrs
import pytest
from lxml import etree

from einvoice.export_cases import invoice_of
from golden import load_cases
from invoicekit.domain.invoice import Invoice
from invoicekit.einvoice import to_cii, to_ubl
from invoicekit.einvoice.reader import read

SAMPLES: Final = Path(__file__).parent / "samples"
NOTE: Final = "Pro plan: 12 of 30 days\n× 30.00 <&>"
NS: Final = {
    "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
    "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
}


def _noted() -> Invoice:
    invoice = invoice_of(dict(load_cases())["eur_19_basic"])
    return attrs.evolve(
        invoice, lines=(attrs.evolve(invoice.lines[0], note=NOTE), *invoice.lines[1:])
    )


def _local(node: etree._Element) -> str:
    return etree.QName(node).localname


def test_ubl_writes_the_note_right_after_the_line_id_and_only_where_there_is_one() -> None:
    root = etree.fromstring(to_ubl(_noted()))

    lines = root.findall("cac:InvoiceLine", NS)
    assert [_local(n) for n in lines[0]][:3] == ["ID", "Note", "InvoicedQuantity"]
    assert lines[0].findtext("cbc:Note", namespaces=NS) == NOTE
    assert all(line.find("cbc:Note", NS) is None for line in lines[1:])


def test_cii_writes_the_note_in_the_line_document_after_the_line_id() -> None:
    root = etree.fromstring(to_cii(_noted()))

    items = root.iter(f"{{{NS['ram']}}}IncludedSupplyChainTradeLineItem")
    first, *rest = [item.find("ram:AssociatedDocumentLineDocument", NS) for item in items]
    assert [_local(n) for n in first] == ["LineID", "IncludedNote"]
    assert first.findtext("ram:IncludedNote/ram:Content", namespaces=NS) == NOTE
    assert all(doc.find("ram:IncludedNote", NS) is None for doc in rest)


@pytest.mark.parametrize(
    ("sample", "at", "notes"),
    [
        (
            "ubl-invoice.xml",
            b"<cbc:ID>1</cbc:ID>",
            b"<cbc:ID>1</cbc:ID><cbc:Note>first</cbc:Note><cbc:Note>second</cbc:Note>",
        ),
        (
            "cii-invoice.xml",
            b"<ram:LineID>1</ram:LineID>",
            (
                b"<ram:LineID>1</ram:LineID>"
                b"<ram:IncludedNote><ram:Content>first</ram:Content></ram:IncludedNote>"
                b"<ram:IncludedNote><ram:Content>second</ram:Content></ram:IncludedNote>"
            ),
        ),
    ],
)
def test_a_reader_keeps_the_first_line_note_and_reports_the_others(
    sample: str, at: bytes, notes: bytes
) -> None:
    xml = (SAMPLES / sample).read_bytes()
    assert at in xml

    result = read(xml.replace(at, notes, 1))

    assert [line.note for line in result.document.lines][:2] == ["first", None]
    [extra] = [u for u in result.unknown if u.text == "second"]
    assert "one note per line (BT-127)" in extra.reason
    assert not [u for u in result.unknown if u.text == "first"]
