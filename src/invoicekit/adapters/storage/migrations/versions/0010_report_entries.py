"""Receivables reports: each issued invoice's dated entries, kept with the invoice.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07

``report_entries`` holds ``invoicekit.reports.ledger`` rows (amounts in integer minor
units, times as UTC text), so every "as of" report is a ``SUM`` in the database. The
upgrade computes the entries of the invoices already stored from their documents
(a document that cannot be read is skipped, with a warning). A
frozen copy of the table as it is at this revision.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | None = None
depends_on: str | None = None


def _key() -> sa.types.TypeEngine[str]:
    """Key text compared by code point: ``COLLATE "C"`` on PostgreSQL."""
    return sa.Text().with_variant(sa.Text(collation="C"), "postgresql")


def upgrade() -> None:
    """Create report_entries and its two covering indexes, then backfill it."""
    op.create_table(
        "report_entries",
        sa.Column("seller_id", _key(), primary_key=True),
        sa.Column("invoice_id", _key(), primary_key=True),
        sa.Column("seq", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("customer_id", _key(), nullable=False),
        sa.Column("currency", _key(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("at", _key(), nullable=False),
        sa.Column("day", _key(), nullable=False),
        sa.Column("due_date", _key(), nullable=True),
        sa.Column("number", sa.Text(), nullable=True),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("open_amount", sa.BigInteger(), nullable=False),
        sa.Column("credit_amount", sa.BigInteger(), nullable=False),
        sa.Column("cash_amount", sa.BigInteger(), nullable=False),
        sa.Column("detail", sa.Text(), nullable=True),
    )
    op.create_index(
        "report_entries_at",
        "report_entries",
        [
            "seller_id",
            "at",
            "currency",
            "due_date",
            "open_amount",
            "credit_amount",
            "cash_amount",
            "kind",
            "amount",
            "day",
        ],
    )
    op.create_index(
        "report_entries_customer",
        "report_entries",
        [
            "seller_id",
            "customer_id",
            "currency",
            "invoice_id",
            "at",
            "due_date",
            "open_amount",
            "credit_amount",
        ],
    )
    _backfill()


def _backfill() -> None:
    """The entries of every stored issued invoice, a thousand invoices at a time.

    A document that cannot be read is skipped with a warning (``backfill_rows``).
    """
    from invoicekit.adapters.storage.report_sql import BACKFILL_SELECT, INSERT_ENTRY, backfill_rows
    from invoicekit.serialization import make_converter

    converter = make_converter()
    conn = op.get_bind()
    insert = sa.text(INSERT_ENTRY)
    result = conn.execute(sa.text(BACKFILL_SELECT))
    while batch := result.fetchmany(1000):
        rows = backfill_rows(batch, converter)
        if rows:
            conn.execute(insert, rows)


def downgrade() -> None:
    """Drop the table (the invoices keep everything it was computed from)."""
    op.drop_table("report_entries")
