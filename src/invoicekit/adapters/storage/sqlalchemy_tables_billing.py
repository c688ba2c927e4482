"""The SQLAlchemy tables of repeated billing: recurring templates, plans, coupons, subscriptions, usage.

One module per aggregate's tables, all on the one ``METADATA`` and re-exported by
:mod:`invoicekit.adapters.storage.sqlalchemy_tables`; usage records are append-only.
"""

from __future__ import annotations

from typing import Final

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from invoicekit.adapters.storage.sqlalchemy_metadata import METADATA, key_type

__all__ = [
    "COUPONS",
    "PLANS",
    "RECURRING_TEMPLATES",
    "SUBSCRIPTIONS",
    "USAGE_RECORDS",
]

RECURRING_TEMPLATES: Final = sa.Table(
    "recurring_templates",
    METADATA,
    sa.Column("seller_id", key_type(), primary_key=True),
    sa.Column("id", key_type(), primary_key=True),
    sa.Column("customer_id", key_type(), nullable=False),
    sa.Column("status", sa.Text(), nullable=False),
    sa.Column("version", sa.Integer(), nullable=False),
    sa.Column("last_index", sa.Integer(), nullable=True),
    sa.Column("to_issue", sa.Text(), nullable=False),
    sa.Column("created_at", key_type(), nullable=False),
    sa.Column("doc", sa.Text(), nullable=False),
    sa.Index("recurring_templates_customer", "seller_id", "customer_id"),
)

#: Plans and coupons as documents (Alembic 0009).
PLANS: Final = sa.Table(
    "plans",
    METADATA,
    sa.Column("seller_id", key_type(), primary_key=True),
    sa.Column("id", key_type(), primary_key=True),
    sa.Column("doc", sa.Text(), nullable=False),
)
COUPONS: Final = sa.Table(
    "coupons",
    METADATA,
    sa.Column("seller_id", key_type(), primary_key=True),
    sa.Column("id", key_type(), primary_key=True),
    sa.Column("doc", sa.Text(), nullable=False),
)
#: Subscriptions (Alembic 0009): the subscription as a document, its progress in columns.
SUBSCRIPTIONS: Final = sa.Table(
    "subscriptions",
    METADATA,
    sa.Column("seller_id", key_type(), primary_key=True),
    sa.Column("id", key_type(), primary_key=True),
    sa.Column("customer_id", key_type(), nullable=False),
    sa.Column("status", sa.Text(), nullable=False),
    sa.Column("version", sa.Integer(), nullable=False),
    sa.Column("last_index", sa.Integer(), nullable=True),
    sa.Column("to_issue", sa.Text(), nullable=False),
    sa.Column("billed", sa.Text(), nullable=False),
    sa.Column("usage_billed_until", key_type(), nullable=True),
    sa.Column("finished", sa.Boolean(), nullable=False),
    sa.Column("created_at", key_type(), nullable=False),
    sa.Column("doc", sa.Text(), nullable=False),
    sa.Index("subscriptions_customer", "seller_id", "customer_id"),
    sa.Index("subscriptions_billing", "finished", "seller_id", "id"),
)
#: Usage records (Alembic 0009), append-only: PostgreSQL keeps NUMERIC(24,6), timestamptz
#: and JSONB; SQLite a quantity scaled by 10**6, microseconds UTC and JSON text (usage_sql).
USAGE_RECORDS: Final = sa.Table(
    "usage_records",
    METADATA,
    sa.Column("seller_id", key_type(), primary_key=True),
    sa.Column("key", key_type(), primary_key=True),
    sa.Column("subscription_id", key_type(), nullable=False),
    sa.Column("meter", key_type(), nullable=False),
    sa.Column(
        "quantity", sa.BigInteger().with_variant(sa.Numeric(24, 6), "postgresql"), nullable=False
    ),
    sa.Column(
        "at", sa.BigInteger().with_variant(sa.DateTime(timezone=True), "postgresql"), nullable=False
    ),
    sa.Column(
        "received_at",
        sa.BigInteger().with_variant(sa.DateTime(timezone=True), "postgresql"),
        nullable=False,
    ),
    sa.Column("properties", sa.Text().with_variant(postgresql.JSONB(), "postgresql")),
    sa.Index(
        "usage_records_period", "seller_id", "subscription_id", "meter", "at", "key", "quantity"
    ),
    sa.Index("usage_records_received", "seller_id", "subscription_id", "received_at"),
)

#: How far each event handler got through the outbox (Alembic 0007).
