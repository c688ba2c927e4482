"""Messages to deliver and in-app inboxes.

Revision ID: 0002
Revises: 0001
Create Date: 2026-03-15

A frozen copy of the tables as they were at this revision (never import the
live metadata in a migration). The times ``claim`` compares are UTC text of one
fixed width in the ``C`` collation, so text order is time order.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | None = None
depends_on: str | None = None


def _key() -> sa.types.TypeEngine[str]:
    """Key text compared by code point: ``COLLATE "C"`` on PostgreSQL."""
    return sa.Text().with_variant(sa.Text(collation="C"), "postgresql")


def upgrade() -> None:
    """Create the messages and inbox tables with the indexes claim and list read."""
    op.create_table(
        "messages",
        sa.Column(
            "position",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            primary_key=True,
            autoincrement=True,
        ),
        sa.Column("key", _key(), nullable=False),
        sa.Column("seller_id", _key(), nullable=False),
        sa.Column("customer_id", _key(), nullable=False),
        sa.Column("invoice_id", _key(), nullable=True),
        sa.Column("subject_id", _key(), nullable=True),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("step", sa.Text(), nullable=False),
        sa.Column("channel", sa.Text(), nullable=False),
        sa.Column("recipient", sa.Text(), nullable=False),
        sa.Column("status", _key(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", _key(), nullable=False),
        sa.Column("next_attempt_at", _key(), nullable=False),
        sa.Column("lease_owner", sa.Text(), nullable=True),
        sa.Column("lease_expires_at", _key(), nullable=True),
        sa.Column("sent_at", _key(), nullable=True),
        sa.Column("provider_id", sa.Text(), nullable=True),
        sa.UniqueConstraint("key", name="messages_key_key"),
        sqlite_autoincrement=True,
    )
    op.create_index("messages_due", "messages", ["status", "next_attempt_at"])
    op.create_index("messages_lease", "messages", ["status", "lease_expires_at"])
    op.create_index("messages_seller", "messages", ["seller_id", "position"])
    op.create_index("messages_invoice", "messages", ["seller_id", "invoice_id", "position"])
    op.create_table(
        "inbox",
        sa.Column("seller_id", _key(), primary_key=True),
        sa.Column("key", _key(), primary_key=True),
        sa.Column("customer_id", _key(), nullable=False),
        sa.Column("position", sa.BigInteger(), nullable=False, autoincrement=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("html", sa.Text(), nullable=True),
        sa.Column("url", sa.Text(), nullable=True),
        sa.Column("invoice_id", _key(), nullable=True),
        sa.Column("created_at", _key(), nullable=False),
        sa.Column("read_at", _key(), nullable=True),
    )
    op.create_index(
        "inbox_customer", "inbox", ["seller_id", "customer_id", "created_at", "position"]
    )
    op.create_index("inbox_unread", "inbox", ["seller_id", "customer_id", "read_at"])


def downgrade() -> None:
    """Drop both tables (and with them their indexes)."""
    for table in ("inbox", "messages"):
        op.drop_table(table)
