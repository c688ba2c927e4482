"""Where a business term sits: the ``Term`` and ``TermGroup`` records and the XPath roots.

The roots are shared by the two halves of the table (``terms_document``,
``terms_amounts``); ``credit_note_path`` turns a table's Invoice path into the CreditNote one.
"""

from __future__ import annotations

from typing import Final

import attrs

__all__ = [
    "CII_AGREEMENT",
    "CII_LINE",
    "CII_ROOT",
    "CII_SETTLEMENT",
    "UBL_INVOICE",
    "UBL_LINE",
    "Term",
    "TermGroup",
    "credit_note_path",
]


@attrs.frozen
class Term:
    """One business term: its id, name, UBL and CII XPaths, and the model field it comes from."""

    bt: str
    name: str
    ubl: str
    cii: str
    model: str


@attrs.frozen
class TermGroup:
    """A heading of the table: a business group (BG-4 Seller ...) and the terms in it."""

    bg: str
    name: str
    terms: tuple[Term, ...]


#: The UBL Invoice root; a CreditNote's paths follow from it through ``credit_note_path``.
UBL_INVOICE: Final = "/ubl:Invoice"
#: A UBL invoice line (BG-25).
UBL_LINE: Final = f"{UBL_INVOICE}/cac:InvoiceLine"
#: The CII root.
CII_ROOT: Final = "/rsm:CrossIndustryInvoice"
_CII_TRANSACTION: Final = f"{CII_ROOT}/rsm:SupplyChainTradeTransaction"
#: The CII header agreement: references and both parties.
CII_AGREEMENT: Final = f"{_CII_TRANSACTION}/ram:ApplicableHeaderTradeAgreement"
#: The CII header settlement: currency, payment, adjustments, VAT and totals.
CII_SETTLEMENT: Final = f"{_CII_TRANSACTION}/ram:ApplicableHeaderTradeSettlement"
#: A CII line item (BG-25).
CII_LINE: Final = f"{_CII_TRANSACTION}/ram:IncludedSupplyChainTradeLineItem"

_CREDIT_NOTE_NAMES: Final = (
    ("ubl:Invoice", "cn:CreditNote"),
    ("cac:InvoiceLine", "cac:CreditNoteLine"),
    ("cbc:InvoicedQuantity", "cbc:CreditedQuantity"),
    ("cbc:InvoiceTypeCode", "cbc:CreditNoteTypeCode"),
)


def credit_note_path(ubl: str) -> str:
    """The UBL path of a term in a CreditNote (the table gives the Invoice path)."""
    for old, new in _CREDIT_NOTE_NAMES:
        ubl = ubl.replace(old, new)
    return ubl
