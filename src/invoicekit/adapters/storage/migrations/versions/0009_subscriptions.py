"""Subscriptions and usage: plans, coupons, subscriptions, and usage records built for volume.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07

New tables only, so the upgrade is in place. Usage records are append-only, keyed by
(seller, idempotency key), indexed by (seller, subscription, meter, time) for the
period aggregates and by (seller, subscription, received time) for late usage.
PostgreSQL stores quantities as NUMERIC(24,6), times as timestamptz and properties as
JSONB; SQLite a quantity scaled by 10**6, microseconds UTC and JSON text. A frozen copy
of the tables as they are at this revision.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | None = None
depends_on: str | None = None


def _key() -> sa.types.TypeEngine[str]:
    """Key text compared by code point: ``COLLATE "C"`` on PostgreSQL."""
    return sa.Text().with_variant(sa.Text(collation="C"), "postgresql")


def _time() -> sa.types.TypeEngine[int]:
    return sa.BigInteger().with_variant(sa.DateTime(timezone=True), "postgresql")


def upgrade() -> None:
    """Create plans, coupons, subscriptions and usage_records with their indexes."""
    for name in ("plans", "coupons"):
        op.create_table(
            name,
            sa.Column("seller_id", _key(), primary_key=True),
            sa.Column("id", _key(), primary_key=True),
            sa.Column("doc", sa.Text(), nullable=False),
        )
    op.create_table(
        "subscriptions",
        sa.Column("seller_id", _key(), primary_key=True),
        sa.Column("id", _key(), primary_key=True),
        sa.Column("customer_id", _key(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("last_index", sa.Integer(), nullable=True),
        sa.Column("to_issue", sa.Text(), nullable=False),
        sa.Column("billed", sa.Text(), nullable=False),
        sa.Column("usage_billed_until", _key(), nullable=True),
        sa.Column("finished", sa.Boolean(), nullable=False),
        sa.Column("created_at", _key(), nullable=False),
        sa.Column("doc", sa.Text(), nullable=False),
    )
    op.create_index("subscriptions_customer", "subscriptions", ["seller_id", "customer_id"])
    op.create_index("subscriptions_billing", "subscriptions", ["finished", "seller_id", "id"])
    op.create_table(
        "usage_records",
        sa.Column("seller_id", _key(), primary_key=True),
        sa.Column("key", _key(), primary_key=True),
        sa.Column("subscription_id", _key(), nullable=False),
        sa.Column("meter", _key(), nullable=False),
        sa.Column(
            "quantity",
            sa.BigInteger().with_variant(sa.Numeric(24, 6), "postgresql"),
            nullable=False,
        ),
        sa.Column("at", _time(), nullable=False),
        sa.Column("received_at", _time(), nullable=False),
        sa.Column("properties", sa.Text().with_variant(postgresql.JSONB(), "postgresql")),
    )
    op.create_index(
        "usage_records_period",
        "usage_records",
        ["seller_id", "subscription_id", "meter", "at", "key", "quantity"],
    )
    op.create_index(
        "usage_records_received", "usage_records", ["seller_id", "subscription_id", "received_at"]
    )


def downgrade() -> None:
    """Drop the tables (and with them their indexes)."""
    for name in ("usage_records", "subscriptions", "coupons", "plans"):
        op.drop_table(name)
