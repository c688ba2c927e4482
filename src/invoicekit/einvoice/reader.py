"""Read a received e-invoice (UBL 2.1 or CII D16B) into invoicekit's model and check its sums.

``read(xml)`` parses only through :func:`invoicekit.einvoice.safexml.parse` (hostile XML
is refused), maps every EN 16931 term invoicekit models into an issued ``Invoice`` or a
``CreditNote`` built through the public constructors, reports every element it did not
map with its XPath, warns of what a receiver cannot change but should know (a bad
IBAN, an unknown code) instead of refusing it, and recomputes the totals with
invoicekit's engine to tell whether the sender's BT-106 ... BT-115 are right. For XML
our writers produced, exporting the read document again gives the same bytes.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Final

import attrs

from invoicekit._extras import require
from invoicekit.domain.invoice import CreditNote, Invoice
from invoicekit.einvoice import read_model, read_reports
from invoicekit.einvoice.profiles import PROFILES
from invoicekit.einvoice.read_cii import read_cii
from invoicekit.einvoice.read_source import (
    ReadWarning,
    Source,
    UnknownElement,
    build_or_fail,
    fail,
    prefixed,
)
from invoicekit.einvoice.read_totals import Difference, best_totals
from invoicekit.einvoice.read_ubl import read_ubl
from invoicekit.money import check_currency

__all__ = ["Difference", "ReadResult", "ReadWarning", "UnknownElement", "read"]

#: The largest document ``read`` parses unless told otherwise: safexml.DEFAULT_MAX_BYTES, 20 MiB.
_MAX_BYTES: Final = 20 * 1024 * 1024


@attrs.frozen
class ReadResult:
    """What ``read`` found: the document, its syntax and profile, what was not mapped, the sums."""

    #: An issued Invoice, or a CreditNote (which names the invoice it credits).
    document: Invoice | CreditNote
    #: "ubl" or "cii".
    syntax: str
    #: The profile name ("en16931", "peppol", "xrechnung") whose BT-24 the XML states, else None.
    profile: str | None
    #: BT-24 as stated.
    specification: str | None
    #: Every element not held by ``document`` (never silently dropped).
    unknown: tuple[UnknownElement, ...]
    #: True when the engine, from the read lines, computes every stated amount exactly.
    totals_match: bool
    #: The stated amounts the engine computes differently, by business term.
    differences: tuple[Difference, ...]
    #: What the receiver cannot change but should know (an IBAN with bad check digits, an
    #: unknown code, a name stated over two lines), each kept as stated, with its XPath.
    warnings: tuple[ReadWarning, ...] = ()

    @property
    def credits(self) -> tuple[str, date] | None:
        """For a credit note, the number and issue date of the invoice it credits (BT-25/26)."""
        doc = self.document
        if isinstance(doc, CreditNote) and doc.invoice_number and doc.invoice_issue_date:
            return doc.invoice_number, doc.invoice_issue_date
        return None


def read(xml: bytes, *, max_bytes: int = _MAX_BYTES) -> ReadResult:
    """Read a UBL 2.1 Invoice / CreditNote or a CII CrossIndustryInvoice into invoicekit's model.

    Raises:
        MissingExtraError: lxml is not installed (``pip install 'invoicekit[einvoice]'``).
        ValidationError: more than ``max_bytes`` bytes (refused before parsing), hostile or
            malformed XML, a root that is no invoice or credit note, or what EN 16931 does
            not allow; each problem's path is the XPath of the offending element. What is
            allowed but odd (a bad IBAN check digit, an unknown code) is a warning instead.
    """
    if isinstance(max_bytes, bool) or not isinstance(max_bytes, int) or max_bytes < 1:
        raise fail("max_bytes", "must be a whole number of bytes above 0", max_bytes)
    safexml = require("invoicekit.einvoice.safexml", extra="einvoice", feature="e-invoice reading")
    root = safexml.parse(xml, max_bytes=max_bytes)
    src = Source(root)
    tag = root.tag if isinstance(root.tag, str) else ""
    if tag == src.tag("ubl:Invoice"):
        syntax, d = "ubl", read_ubl(src, root, credit=False)
    elif tag == src.tag("cn:CreditNote"):
        syntax, d = "ubl", read_ubl(src, root, credit=True)
    elif tag == src.tag("rsm:CrossIndustryInvoice"):
        syntax, d = "cii", read_cii(src, root)
    else:
        raise fail(
            f"/{prefixed(tag)}",
            f"not an e-invoice: the root element is {prefixed(tag)}; the root must be a UBL 2.1 "
            "Invoice or CreditNote, or a CII D16B CrossIndustryInvoice",
        )
    build_or_fail(f"{d.root}/currency", lambda: check_currency(d.currency))
    if not d.lines:
        raise fail(d.root, "an invoice needs at least one line (BG-25)")
    read_reports.drop_zero_adjustments(src, d)
    lines = read_model.build_lines(d)
    discounts, charges = read_model.build_adjustments(d)
    prepaid = d.stated.get("BT-113")
    paid = prepaid.value if prepaid is not None and not d.credit else Decimal(0)
    policy, totals, differences = best_totals(d, lines, discounts, charges, paid)
    read_reports.report_rounding(src, d, totals)
    read_reports.report_negative_total(src, d, totals)
    terms, terms_text = read_model.build_terms(d, src)
    seller = read_model.build_seller(d, policy, terms)
    customer = read_model.build_customer(d, seller)
    read_reports.report_derived(src, d, lines)
    document: Invoice | CreditNote
    if d.credit:
        document = read_model.build_credit_note(
            d, src=src, lines=lines, seller=seller, customer=customer, totals=totals
        )
    else:
        document = read_model.build_invoice(
            d,
            lines=lines,
            discounts=discounts,
            charges=charges,
            seller=seller,
            customer=customer,
            terms_text=terms_text,
            paid=paid,
        )
    profile = next((p.name for p in PROFILES.values() if p.specification == d.specification), None)
    return ReadResult(
        document=document,
        syntax=syntax,
        profile=profile,
        specification=d.specification,
        unknown=src.unknown(),
        totals_match=not differences,
        differences=tuple(differences),
        warnings=tuple(src.warnings),
    )
