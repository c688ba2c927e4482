"""The SQLAlchemy tables of the documents and parties: sellers, customers, invoices, credit notes.

With ``sequences``, the plain table of number counters, incremented under a row
lock in the issuing transaction (gapless, T12 in docs/explanation/reliability.md):
never a database sequence, which skips values on rollback.
"""

from __future__ import annotations

from typing import Final

import sqlalchemy as sa

from invoicekit.adapters.storage.sqlalchemy_metadata import METADATA, key_type

__all__ = [
    "CREDIT_NOTES",
    "CUSTOMERS",
    "INVOICES",
    "SELLERS",
    "SEQUENCES",
]

SELLERS: Final = sa.Table(
    "sellers",
    METADATA,
    sa.Column("id", key_type(), primary_key=True),
    sa.Column("doc", sa.Text(), nullable=False),
)

CUSTOMERS: Final = sa.Table(
    "customers",
    METADATA,
    sa.Column("seller_id", key_type(), primary_key=True),
    sa.Column("id", key_type(), primary_key=True),
    sa.Column("archived", sa.Boolean(), nullable=False),
    sa.Column("doc", sa.Text(), nullable=False),
)

INVOICES: Final = sa.Table(
    "invoices",
    METADATA,
    sa.Column("seller_id", key_type(), primary_key=True),
    sa.Column("id", key_type(), primary_key=True),
    sa.Column("customer_id", key_type(), nullable=False),
    sa.Column("status", sa.Text(), nullable=False),
    sa.Column("series", sa.Text(), nullable=False),
    sa.Column("number", key_type(), nullable=True),
    sa.Column("issue_date", sa.Date(), nullable=True),
    sa.Column("due_date", sa.Date(), nullable=True),
    sa.Column("version", sa.Integer(), nullable=False),
    sa.Column("content_hash", sa.Text(), nullable=True),
    sa.Column("doc", sa.Text(), nullable=False),
    sa.UniqueConstraint("seller_id", "number", name="invoices_number_key"),
    # Ends with find()'s order, so a page is cut on the index alone (revision 0005).
    sa.Index("invoices_status_due", "seller_id", "status", "due_date", "issue_date", "id"),
    sa.Index("invoices_customer", "seller_id", "customer_id"),
)

CREDIT_NOTES: Final = sa.Table(
    "credit_notes",
    METADATA,
    sa.Column("seller_id", key_type(), primary_key=True),
    sa.Column("id", key_type(), primary_key=True),
    sa.Column("invoice_id", key_type(), nullable=True),
    sa.Column("number", key_type(), nullable=False),
    sa.Column("issued_at", sa.Text(), nullable=False),
    sa.Column("doc", sa.Text(), nullable=False),
    sa.UniqueConstraint("seller_id", "number", name="credit_notes_number_key"),
    sa.Index("credit_notes_invoice", "seller_id", "invoice_id"),
)

SEQUENCES: Final = sa.Table(
    "sequences",
    METADATA,
    sa.Column("seller_id", key_type(), primary_key=True, autoincrement=False),
    sa.Column("series", key_type(), primary_key=True, autoincrement=False),
    sa.Column("period", key_type(), primary_key=True, autoincrement=False),
    sa.Column("next_value", sa.BigInteger(), nullable=False, autoincrement=False),
)
