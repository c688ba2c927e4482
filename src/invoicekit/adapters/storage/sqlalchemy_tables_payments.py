"""The SQLAlchemy tables of getting paid: providers' notifications, checkout sessions, pay-link tokens.

One module per aggregate's tables, all on the one ``METADATA`` and re-exported by
:mod:`invoicekit.adapters.storage.sqlalchemy_tables`.
"""

from __future__ import annotations

from typing import Final

import sqlalchemy as sa

from invoicekit.adapters.storage.sqlalchemy_metadata import METADATA, key_type

__all__ = [
    "CHECKOUT_SESSIONS",
    "PAY_TOKENS",
    "PROVIDER_EVENTS",
]

PROVIDER_EVENTS: Final = sa.Table(
    "provider_events",
    METADATA,
    sa.Column(
        "position",
        sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
        primary_key=True,
        autoincrement=True,
    ),
    sa.Column("provider", key_type(), nullable=False),
    sa.Column("event_id", key_type(), nullable=False),
    sa.Column("seller_id", key_type(), nullable=False),
    sa.Column("invoice_id", key_type(), nullable=True),
    sa.Column("payment_ref", key_type(), nullable=True),
    sa.Column("kind", sa.Text(), nullable=False),
    sa.Column("type", sa.Text(), nullable=False),
    sa.Column("amount", sa.Text(), nullable=True),
    sa.Column("currency", sa.Text(), nullable=True),
    sa.Column("reason", sa.Text(), nullable=True),
    sa.Column("code", sa.Text(), nullable=True),
    sa.Column("refund_ref", sa.Text(), nullable=True),
    sa.Column("occurred_at", key_type(), nullable=True),
    sa.Column("received_at", key_type(), nullable=False),
    sa.Column("outcome", sa.Text(), nullable=False),
    sa.Column("raw", sa.LargeBinary(), nullable=False),
    sa.UniqueConstraint("provider", "event_id", name="provider_events_event_key"),
    sa.Index("provider_events_payment", "seller_id", "provider", "payment_ref", "position"),
    sa.Index("provider_events_invoice", "seller_id", "invoice_id", "position"),
    sqlite_autoincrement=True,
)

#: Checkout sessions started for invoices, cancelled when the invoice is settled.
CHECKOUT_SESSIONS: Final = sa.Table(
    "checkout_sessions",
    METADATA,
    sa.Column(
        "position",
        sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
        primary_key=True,
        autoincrement=True,
    ),
    sa.Column("provider", key_type(), nullable=False),
    sa.Column("ref", key_type(), nullable=False),
    sa.Column("seller_id", key_type(), nullable=False),
    sa.Column("invoice_id", key_type(), nullable=False),
    sa.Column("key", key_type(), nullable=False),
    sa.Column("amount", sa.Text(), nullable=False),
    sa.Column("currency", sa.Text(), nullable=False),
    sa.Column("url", sa.Text(), nullable=False),
    sa.Column("created_at", key_type(), nullable=False),
    sa.Column("expires_at", key_type(), nullable=True),
    sa.Column("state", sa.Text(), nullable=False),
    sa.UniqueConstraint("provider", "ref", name="checkout_sessions_ref_key"),
    sa.Index("checkout_sessions_invoice", "seller_id", "invoice_id", "state"),
    sa.Index("checkout_sessions_key", "seller_id", "key", "position"),
    sqlite_autoincrement=True,
)

#: Pay-link tokens, by their SHA-256 hex only (T36).
PAY_TOKENS: Final = sa.Table(
    "pay_tokens",
    METADATA,
    sa.Column("token_hash", key_type(), primary_key=True),
    sa.Column("seller_id", key_type(), nullable=False),
    sa.Column("invoice_id", key_type(), nullable=False),
    sa.Column("customer_id", key_type(), nullable=False),
    sa.Column("message_key", sa.Text(), nullable=True),
    sa.Column("created_at", key_type(), nullable=False),
    sa.Column("expires_at", key_type(), nullable=False),
)

#: Recurring invoice templates (Alembic 0006): the template as a document, and progress.
