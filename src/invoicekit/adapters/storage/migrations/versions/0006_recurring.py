"""Recurring invoices: templates as documents, with how far each has billed.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06

A new table only, so the upgrade is in place. The invoices each period generates
carry ids derived from (seller, template, period index): the invoices' primary key
makes generation exactly once. A frozen copy of the table as it is at this revision.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | None = None
depends_on: str | None = None


def _key() -> sa.types.TypeEngine[str]:
    """Key text compared by code point: ``COLLATE "C"`` on PostgreSQL."""
    return sa.Text().with_variant(sa.Text(collation="C"), "postgresql")


def upgrade() -> None:
    """Create recurring_templates and its per-customer index."""
    op.create_table(
        "recurring_templates",
        sa.Column("seller_id", _key(), primary_key=True),
        sa.Column("id", _key(), primary_key=True),
        sa.Column("customer_id", _key(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("last_index", sa.Integer(), nullable=True),
        sa.Column("to_issue", sa.Text(), nullable=False),
        sa.Column("created_at", _key(), nullable=False),
        sa.Column("doc", sa.Text(), nullable=False),
    )
    op.create_index(
        "recurring_templates_customer", "recurring_templates", ["seller_id", "customer_id"]
    )


def downgrade() -> None:
    """Drop the table (and with it its index)."""
    op.drop_table("recurring_templates")
