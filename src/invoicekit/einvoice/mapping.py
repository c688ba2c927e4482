"""The EN 16931 mapping, kept as one import: the BT table and the view the writers write.

The code lives in small modules: ``terms`` (``TERMS``, the table the reference page
docs/reference/bt-mapping.md is generated from), ``view`` (``view()``, ``DocumentView``),
``view_lines`` (lines and adjustments, the tax-inclusive net price) and ``formats``
(amounts and rates as text). This module re-exports their names for existing imports.
"""

from __future__ import annotations

from invoicekit.einvoice.formats import amount, exemption, has_rate, number, rate
from invoicekit.einvoice.terms import TERMS, Term, TermGroup, credit_note_path
from invoicekit.einvoice.view import DocumentView, view
from invoicekit.einvoice.view_lines import AdjustmentView, LineView

__all__ = [
    "TERMS",
    "AdjustmentView",
    "DocumentView",
    "LineView",
    "Term",
    "TermGroup",
    "amount",
    "credit_note_path",
    "exemption",
    "has_rate",
    "number",
    "rate",
    "view",
]
