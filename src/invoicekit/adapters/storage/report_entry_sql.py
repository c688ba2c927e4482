"""Writing the report entries as SQL text, shared by SQLite and SQLAlchemy: rows, insert, backfill.

Each ``reports.ledger`` entry becomes one ``report_entries`` row of integer minor
units and UTC text (``entry_row``); a migration computes the rows of the invoices
already stored (``backfill_rows``). Split from
:mod:`invoicekit.adapters.storage.report_sql` (the queries), which re-exports these names.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from typing import Any, Final

import cattrs

from invoicekit.adapters.storage.times import utc_text
from invoicekit.reports.ledger import LedgerEntry, ledger_entries, to_minor
from invoicekit.serialization import read_invoice

__all__ = [
    "BACKFILL_SELECT",
    "DELETE_ENTRIES",
    "ENTRY_COLUMNS",
    "INSERT_ENTRY",
    "backfill_rows",
    "entry_row",
]

log = logging.getLogger("invoicekit.storage")
#: What reading a stored document back may raise (as the stores' DECODE_ERRORS), and an
#: amount with more digits than its currency (``to_minor``).
_UNREADABLE: Final = (
    ValueError,
    TypeError,
    LookupError,
    AttributeError,
    ArithmeticError,
    cattrs.BaseValidationError,
)
#: The stored invoices whose entries a migration computes.
BACKFILL_SELECT: Final = "SELECT seller_id, id, doc FROM invoices WHERE status <> 'draft'"

#: The columns of ``report_entries``, in the order ``entry_row`` gives them.
ENTRY_COLUMNS: Final = (
    "seller_id",
    "invoice_id",
    "seq",
    "customer_id",
    "currency",
    "kind",
    "at",
    "day",
    "due_date",
    "number",
    "amount",
    "open_amount",
    "credit_amount",
    "cash_amount",
    "detail",
)
INSERT_ENTRY: Final = (
    f"INSERT INTO report_entries ({', '.join(ENTRY_COLUMNS)}) "  # noqa: S608 - constants only
    f"VALUES ({', '.join(':' + c for c in ENTRY_COLUMNS)})"
)
DELETE_ENTRIES: Final = (
    "DELETE FROM report_entries WHERE seller_id = :seller_id AND invoice_id = :invoice_id"
)


def entry_row(e: LedgerEntry) -> dict[str, Any]:
    """The INSERT parameters of one entry."""
    cur = e.currency
    return {
        "seller_id": e.seller_id,
        "invoice_id": e.invoice_id,
        "seq": e.seq,
        "customer_id": e.customer_id,
        "currency": cur,
        "kind": e.kind,
        "at": utc_text(e.at),
        "day": e.day.isoformat(),
        "due_date": None if e.due_date is None else e.due_date.isoformat(),
        "number": e.number,
        "amount": to_minor(e.amount, cur),
        "open_amount": to_minor(e.open, cur),
        "credit_amount": to_minor(e.credit, cur),
        "cash_amount": to_minor(e.cash, cur),
        "detail": e.detail,
    }


def backfill_rows(
    rows: Iterable[Sequence[Any]], converter: cattrs.Converter
) -> list[dict[str, Any]]:
    """The entry rows of stored invoices ``(seller_id, id, doc)``, for a migration.

    A document that cannot be read back (changed outside invoicekit, or not an invoice) is
    skipped with a warning: the invoice itself then fails to load with its own error, and
    the migration of every other invoice goes on.
    """
    found: list[dict[str, Any]] = []
    for seller_id, invoice_id, doc in rows:
        try:
            invoice = read_invoice(doc, None, converter)
            found += [entry_row(e) for e in ledger_entries(invoice)]
        except _UNREADABLE as exc:
            log.warning(
                "invoice %r of seller %r: its document cannot be read (%s); it has no report "
                "entries until it is saved again",
                invoice_id,
                seller_id,
                exc,
            )
    return found
