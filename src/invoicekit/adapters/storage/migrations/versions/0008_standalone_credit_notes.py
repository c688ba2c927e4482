"""Standalone credit notes: a credit note may credit no stored invoice.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07

EN 16931 makes the preceding invoice (BT-25) optional, and a credit note may correct an
invoice of another system: ``credit_notes.invoice_id`` becomes nullable.
"""

from __future__ import annotations

from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Let credit_notes.invoice_id be NULL."""
    with op.batch_alter_table("credit_notes") as batch:
        batch.alter_column("invoice_id", nullable=True)


def downgrade() -> None:
    """Refuse NULL again (fails while standalone credit notes are stored: delete them first)."""
    with op.batch_alter_table("credit_notes") as batch:
        batch.alter_column("invoice_id", nullable=False)
