"""The initial schema: sellers, customers, invoices, credit notes, counters, outbox, idempotency.

Revision ID: 0001
Revises:
Create Date: 2026-03-01

A frozen copy of the tables as they were at this revision (never import the
live metadata in a migration). Invoice numbers come from ``sequences``, a plain
table: no database sequence, serial or identity column may number anything.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None


def _key() -> sa.types.TypeEngine[str]:
    """Key text compared by code point: ``COLLATE "C"`` on PostgreSQL."""
    return sa.Text().with_variant(sa.Text(collation="C"), "postgresql")


def upgrade() -> None:
    """Create every table and index."""
    op.create_table(
        "sellers",
        sa.Column("id", _key(), primary_key=True),
        sa.Column("doc", sa.Text(), nullable=False),
    )
    op.create_table(
        "customers",
        sa.Column("seller_id", _key(), primary_key=True),
        sa.Column("id", _key(), primary_key=True),
        sa.Column("archived", sa.Boolean(), nullable=False),
        sa.Column("doc", sa.Text(), nullable=False),
    )
    op.create_table(
        "invoices",
        sa.Column("seller_id", _key(), primary_key=True),
        sa.Column("id", _key(), primary_key=True),
        sa.Column("customer_id", _key(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("series", sa.Text(), nullable=False),
        sa.Column("number", _key(), nullable=True),
        sa.Column("issue_date", sa.Date(), nullable=True),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("content_hash", sa.Text(), nullable=True),
        sa.Column("doc", sa.Text(), nullable=False),
        sa.UniqueConstraint("seller_id", "number", name="invoices_number_key"),
    )
    op.create_index("invoices_status_due", "invoices", ["seller_id", "status", "due_date"])
    op.create_index("invoices_customer", "invoices", ["seller_id", "customer_id"])
    op.create_table(
        "credit_notes",
        sa.Column("seller_id", _key(), primary_key=True),
        sa.Column("id", _key(), primary_key=True),
        sa.Column("invoice_id", _key(), nullable=False),
        sa.Column("number", _key(), nullable=False),
        sa.Column("issued_at", sa.Text(), nullable=False),
        sa.Column("doc", sa.Text(), nullable=False),
        sa.UniqueConstraint("seller_id", "number", name="credit_notes_number_key"),
    )
    op.create_index("credit_notes_invoice", "credit_notes", ["seller_id", "invoice_id"])
    op.create_table(
        "sequences",
        sa.Column("seller_id", _key(), primary_key=True, autoincrement=False),
        sa.Column("series", _key(), primary_key=True, autoincrement=False),
        sa.Column("period", _key(), primary_key=True, autoincrement=False),
        sa.Column("next_value", sa.BigInteger(), nullable=False, autoincrement=False),
    )
    op.create_table(
        "outbox",
        sa.Column(
            "position",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            primary_key=True,
            autoincrement=True,
        ),
        sa.Column("key", _key(), nullable=False),
        sa.Column("seller_id", _key(), nullable=False),
        sa.Column("invoice_id", _key(), nullable=True),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("created_at", sa.Text(), nullable=False),
        sa.Column("delivered_at", sa.Text(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.UniqueConstraint("key", name="outbox_key_key"),
        sqlite_autoincrement=True,
    )
    op.create_index("outbox_seller", "outbox", ["seller_id", "invoice_id"])
    op.create_index("outbox_pending", "outbox", ["delivered_at", "position"])
    op.create_table(
        "idempotency",
        sa.Column("seller_id", _key(), primary_key=True),
        sa.Column("key", _key(), primary_key=True),
        sa.Column("fingerprint", sa.Text(), nullable=False),
        sa.Column("operation", sa.Text(), nullable=False),
        sa.Column("result", sa.Text(), nullable=False),
        sa.Column("created_at", sa.Text(), nullable=False),
    )


def downgrade() -> None:
    """Drop every table (and with them their indexes)."""
    for table in (
        "idempotency",
        "outbox",
        "sequences",
        "credit_notes",
        "invoices",
        "customers",
        "sellers",
    ):
        op.drop_table(table)
