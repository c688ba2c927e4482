"""EN 16931 e-invoices: an issued invoice or credit note as UBL 2.1 or UN/CEFACT CII D16B.

``to_ubl(invoice, profile="peppol")``, ``to_cii(invoice)`` (Factur-X / ZUGFeRD EN16931)
and ``to_xrechnung(invoice, syntax="ubl")`` return the XML as bytes, the same bytes for
the same invoice. Each first runs ``check_profile``, which raises one ValidationError
naming every business term the profile needs and the invoice lacks, so nothing
invalid is written. Needs the ``einvoice`` extra (lxml).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from invoicekit._extras import require
from invoicekit.domain.invoice import CreditNote, Invoice
from invoicekit.einvoice import cii, ubl
from invoicekit.einvoice.facturx import read_facturx, to_facturx
from invoicekit.einvoice.profiles import PROFILES, Profile, check, profile_named
from invoicekit.einvoice.terms import TERMS
from invoicekit.einvoice.view import view
from invoicekit.errors import ValidationError, problem

if TYPE_CHECKING:  # imported lazily at run time, see __getattr__
    from invoicekit.einvoice.reader import (
        Difference,
        ReadResult,
        ReadWarning,
        UnknownElement,
        read,
    )
    from invoicekit.einvoice.validation import (
        Finding,
        ValidationReport,
        bundled_rules,
        prepare,
        validate,
    )

__all__ = [
    "PROFILES",
    "TERMS",
    "Difference",
    "Finding",
    "Profile",
    "ReadResult",
    "ReadWarning",
    "UnknownElement",
    "ValidationReport",
    "bundled_rules",
    "check_profile",
    "prepare",
    "read",
    "read_facturx",
    "to_cii",
    "to_facturx",
    "to_ubl",
    "to_xrechnung",
    "validate",
]

#: Names imported on first use, so ``import invoicekit.einvoice`` needs no extra installed.
_LAZY = {
    "read": "invoicekit.einvoice.reader",
    "ReadResult": "invoicekit.einvoice.reader",
    "ReadWarning": "invoicekit.einvoice.reader",
    "UnknownElement": "invoicekit.einvoice.reader",
    "Difference": "invoicekit.einvoice.reader",
    "validate": "invoicekit.einvoice.validation",
    "ValidationReport": "invoicekit.einvoice.validation",
    "Finding": "invoicekit.einvoice.validation",
    "bundled_rules": "invoicekit.einvoice.validation",
    "prepare": "invoicekit.einvoice.validation",
}


def __getattr__(name: str) -> Any:
    """Import the reader and the validator when first used (they need lxml and saxonche)."""
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'invoicekit.einvoice' has no attribute {name!r}")


def _etree() -> Any:
    return require("lxml.etree", extra="einvoice", feature="e-invoice export")


def check_profile(doc: Invoice | CreditNote, profile: str) -> None:
    """Raise ValidationError listing every business term ``profile`` requires that ``doc`` lacks.

    Profiles: ``"en16931"`` (core; Factur-X EN16931), ``"peppol"`` (Peppol BIS Billing 3.0),
    ``"xrechnung"`` (XRechnung 3.0). Each problem's path reads ``"BT-10 buyer_reference"``.
    """
    check(doc, profile)


def to_ubl(doc: Invoice | CreditNote, profile: str = "peppol") -> bytes:
    """An issued invoice or credit note as a UBL 2.1 Invoice / CreditNote under ``profile``."""
    chosen = profile_named(profile, "ubl")
    etree = _etree()
    check(doc, chosen.name)
    return ubl.write(etree, view(doc), chosen)


def to_cii(doc: Invoice | CreditNote, profile: str = "en16931") -> bytes:
    """An issued invoice or credit note as a CII D16B CrossIndustryInvoice under ``profile``.

    The default profile is the XML of a Factur-X / ZUGFeRD EN16931 PDF.
    """
    chosen = profile_named(profile, "cii")
    etree = _etree()
    check(doc, chosen.name, syntax="cii")
    return cii.write(etree, view(doc), chosen)


def to_xrechnung(doc: Invoice | CreditNote, syntax: str = "ubl") -> bytes:
    """An issued invoice or credit note as XRechnung 3.0 in ``syntax`` ("ubl" or "cii")."""
    if syntax == "ubl":
        return to_ubl(doc, "xrechnung")
    if syntax == "cii":
        return to_cii(doc, "xrechnung")
    raise ValidationError(
        [problem("syntax", "must be 'ubl' or 'cii'", syntax)], subject="e-invoice"
    )
