"""Parse e-invoice XML from strangers without expanding entities or reaching any network (T39).

An e-invoice needs no DTD, so any DOCTYPE, entity declaration or XInclude is refused
before the parser could act on it: billion laughs, quadratic blowup, external entities
(``file:///etc/passwd``), external DTDs and parameter entities all end in a
``ValidationError`` without a byte being read from elsewhere.
"""

from __future__ import annotations

import codecs
import threading
from typing import Final

from lxml import etree

from invoicekit.errors import ValidationError, problem

__all__ = ["DEFAULT_MAX_BYTES", "parse", "parser"]

#: Largest document :func:`parse` accepts unless told otherwise (20 MB; e-invoices are KBs).
DEFAULT_MAX_BYTES: Final = 20 * 1024 * 1024

_SUBJECT: Final = "e-invoice XML"
_PROLOG_WINDOW: Final = 65536
_NO_DOCTYPE: Final = "DOCTYPE declarations are not allowed in e-invoices"
_LONG_PROLOG: Final = "a prolog (comments and processing instructions before the root) over 64 KB"
_XINCLUDE: Final = (
    "{http://www.w3.org/2001/XInclude}*",
    "{http://www.w3.org/2003/XInclude}*",
)
_WIDE_ENCODINGS: Final = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
    (b"\x00\x00\x00<", "utf-32-be"),
    (b"<\x00\x00\x00", "utf-32-le"),
    (b"\x00<", "utf-16-be"),
    (b"<\x00", "utf-16-le"),
)
_local = threading.local()


def parser() -> etree.XMLParser:
    """This thread's hardened lxml parser: no entity expansion, DTD, network or huge trees.

    Prefer :func:`parse`, which also refuses DOCTYPEs and XInclude outright.
    """
    parser: etree.XMLParser | None = getattr(_local, "parser", None)
    if parser is None:
        parser = etree.XMLParser(
            resolve_entities=False,
            no_network=True,
            load_dtd=False,
            dtd_validation=False,
            attribute_defaults=False,
            huge_tree=False,
            # Not collect_ids=False: with lxml 6.1 / libxml2 2.14 it makes the parser
            # open a DOCTYPE's external DTD file despite load_dtd=False.
        )
        _local.parser = parser
    return parser


def parse(xml: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES) -> etree._Element:
    """Parse one e-invoice document and return its root element, refusing hostile XML.

    Raises:
        TypeError: ``xml`` is not bytes (pass the raw bytes, so the XML declaration
            decides the encoding).
        ValidationError: the document is larger than ``max_bytes``, has a DOCTYPE,
            an entity declaration or reference, an XInclude element, or is not
            well-formed XML.
    """
    if not isinstance(xml, bytes | bytearray | memoryview):
        raise TypeError(f"parse() takes the document as bytes, got {type(xml).__name__}")
    data = bytes(xml)
    if len(data) > max_bytes:
        raise ValidationError(
            [
                problem(
                    "",
                    f"document is {len(data)} bytes, more than the limit of {max_bytes}; "
                    "pass max_bytes= to accept larger documents",
                )
            ],
            subject=_SUBJECT,
        )
    _refuse_doctype_in_prolog(data)
    try:
        root = etree.fromstring(data, parser=parser())
    except etree.XMLSyntaxError as exc:
        raise ValidationError(
            [problem(f"line {exc.lineno}", f"not well-formed XML: {exc.msg}")],
            subject=_SUBJECT,
        ) from None
    _refuse_dtd_and_includes(root)
    return root


def _refuse_doctype_in_prolog(data: bytes) -> None:
    """Refuse a DOCTYPE before the parser sees it; only the prolog can hold one."""
    head = data[:_PROLOG_WINDOW]
    encoding = next((enc for mark, enc in _WIDE_ENCODINGS if head.startswith(mark)), "latin-1")
    text = head.decode(encoding, "replace").lstrip("\ufeff")
    i, end = 0, len(text)
    while i < end:
        if text[i].isspace():
            i += 1
        elif text.startswith("<?", i):
            close = text.find("?>", i + 2)
            if close < 0:
                break
            i = close + 2
        elif text.startswith("<!--", i):
            close = text.find("-->", i + 4)
            if close < 0:
                break
            i = close + 3
        elif text.startswith("<!", i):
            raise ValidationError([problem("prolog", _NO_DOCTYPE)], subject=_SUBJECT)
        else:
            return
    if len(data) > _PROLOG_WINDOW:
        # The scan could not reach the root element: refuse rather than guess.
        raise ValidationError([problem("prolog", f"{_LONG_PROLOG} is refused")], subject=_SUBJECT)


def _refuse_dtd_and_includes(root: etree._Element) -> None:
    """After parsing: no DTD of any kind, no entity reference, no XInclude element."""
    docinfo = root.getroottree().docinfo
    if (
        docinfo.internalDTD is not None
        or docinfo.externalDTD is not None
        or docinfo.public_id is not None
    ):
        raise ValidationError([problem("prolog", _NO_DOCTYPE)], subject=_SUBJECT)
    for node in root.iter(etree.Entity):
        raise ValidationError(
            [problem(f"line {node.sourceline}", "entity references are not allowed in e-invoices")],
            subject=_SUBJECT,
        )
    for node in root.iter(*_XINCLUDE):
        raise ValidationError(
            [problem(f"line {node.sourceline}", "XInclude elements are not allowed in e-invoices")],
            subject=_SUBJECT,
        )
