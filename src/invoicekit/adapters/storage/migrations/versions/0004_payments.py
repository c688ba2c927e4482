"""Getting paid: providers' notifications, checkout sessions and pay-link tokens.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06

New tables only, so the upgrade is in place. A frozen copy of the tables as they
are at this revision (never import the live metadata in a migration).
(provider, event_id) unique is the webhook dedupe; tokens are stored hashed.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | None = None
depends_on: str | None = None


def _key() -> sa.types.TypeEngine[str]:
    """Key text compared by code point: ``COLLATE "C"`` on PostgreSQL."""
    return sa.Text().with_variant(sa.Text(collation="C"), "postgresql")


def _position() -> sa.Column[int]:
    return sa.Column(
        "position",
        sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
        primary_key=True,
        autoincrement=True,
    )


def upgrade() -> None:
    """Create the three tables with the indexes intake, pay pages and cancelling read."""
    op.create_table(
        "provider_events",
        _position(),
        sa.Column("provider", _key(), nullable=False),
        sa.Column("event_id", _key(), nullable=False),
        sa.Column("seller_id", _key(), nullable=False),
        sa.Column("invoice_id", _key(), nullable=True),
        sa.Column("payment_ref", _key(), nullable=True),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("type", sa.Text(), nullable=False),
        sa.Column("amount", sa.Text(), nullable=True),
        sa.Column("currency", sa.Text(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("code", sa.Text(), nullable=True),
        sa.Column("refund_ref", sa.Text(), nullable=True),
        sa.Column("occurred_at", _key(), nullable=True),
        sa.Column("received_at", _key(), nullable=False),
        sa.Column("outcome", sa.Text(), nullable=False),
        sa.Column("raw", sa.LargeBinary(), nullable=False),
        sa.UniqueConstraint("provider", "event_id", name="provider_events_event_key"),
        sqlite_autoincrement=True,
    )
    op.create_index(
        "provider_events_payment",
        "provider_events",
        ["seller_id", "provider", "payment_ref", "position"],
    )
    op.create_index(
        "provider_events_invoice", "provider_events", ["seller_id", "invoice_id", "position"]
    )
    op.create_table(
        "checkout_sessions",
        _position(),
        sa.Column("provider", _key(), nullable=False),
        sa.Column("ref", _key(), nullable=False),
        sa.Column("seller_id", _key(), nullable=False),
        sa.Column("invoice_id", _key(), nullable=False),
        sa.Column("key", _key(), nullable=False),
        sa.Column("amount", sa.Text(), nullable=False),
        sa.Column("currency", sa.Text(), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("created_at", _key(), nullable=False),
        sa.Column("expires_at", _key(), nullable=True),
        sa.Column("state", sa.Text(), nullable=False),
        sa.UniqueConstraint("provider", "ref", name="checkout_sessions_ref_key"),
        sqlite_autoincrement=True,
    )
    op.create_index(
        "checkout_sessions_invoice", "checkout_sessions", ["seller_id", "invoice_id", "state"]
    )
    op.create_index("checkout_sessions_key", "checkout_sessions", ["seller_id", "key", "position"])
    op.create_table(
        "pay_tokens",
        sa.Column("token_hash", _key(), primary_key=True),
        sa.Column("seller_id", _key(), nullable=False),
        sa.Column("invoice_id", _key(), nullable=False),
        sa.Column("customer_id", _key(), nullable=False),
        sa.Column("message_key", sa.Text(), nullable=True),
        sa.Column("created_at", _key(), nullable=False),
        sa.Column("expires_at", _key(), nullable=False),
    )


def downgrade() -> None:
    """Drop the three tables (and with them their indexes)."""
    for table in ("pay_tokens", "checkout_sessions", "provider_events"):
        op.drop_table(table)
