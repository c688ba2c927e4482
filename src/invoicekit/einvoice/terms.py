"""The EN 16931 business terms invoicekit writes, as one table: ``TERMS``.

``TERMS`` maps each business term (BT-1 ...) to its place in UBL 2.1 and in CII D16B
and to the model field it comes from; the reference page docs/reference/bt-mapping.md
is generated from it and a test checks every path against real exports.
"""

from __future__ import annotations

from typing import Final

from invoicekit.einvoice.term_paths import Term, TermGroup, credit_note_path
from invoicekit.einvoice.terms_amounts import AMOUNT_GROUPS
from invoicekit.einvoice.terms_document import DOCUMENT_GROUPS

__all__ = ["TERMS", "Term", "TermGroup", "credit_note_path"]

#: Every business term invoicekit writes, grouped as EN 16931 groups them.
TERMS: Final[tuple[TermGroup, ...]] = DOCUMENT_GROUPS + AMOUNT_GROUPS
