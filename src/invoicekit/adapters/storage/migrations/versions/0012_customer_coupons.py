"""Customers' coupons: the coupon each customer holds, as a document.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07

A new table only; nothing to backfill.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | None = None
depends_on: str | None = None


def _key() -> sa.types.TypeEngine[str]:
    return sa.Text().with_variant(sa.Text(collation="C"), "postgresql")


def upgrade() -> None:
    """Create customer_coupons."""
    op.create_table(
        "customer_coupons",
        sa.Column("seller_id", _key(), primary_key=True),
        sa.Column("customer_id", _key(), primary_key=True),
        sa.Column("doc", sa.Text(), nullable=False),
    )


def downgrade() -> None:
    """Drop customer_coupons."""
    op.drop_table("customer_coupons")
