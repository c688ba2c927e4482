"""The SQLAlchemy tables of messaging: the outbox, idempotency records, messages, inboxes, handler cursors.

The ``position`` of the outbox and of the messages, ordering keys, is the only
database-generated value; messages and inboxes keep times as UTC text, compared in SQL.
"""

from __future__ import annotations

from typing import Final

import sqlalchemy as sa

from invoicekit.adapters.storage.sqlalchemy_metadata import METADATA, key_type

__all__ = [
    "EVENT_CURSORS",
    "IDEMPOTENCY",
    "INBOX",
    "MESSAGES",
    "OUTBOX",
]

OUTBOX: Final = sa.Table(
    "outbox",
    METADATA,
    sa.Column(
        "position",
        sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
        primary_key=True,
        autoincrement=True,
    ),
    sa.Column("key", key_type(), nullable=False),
    sa.Column("seller_id", key_type(), nullable=False),
    sa.Column("invoice_id", key_type(), nullable=True),
    sa.Column("kind", sa.Text(), nullable=False),
    sa.Column("payload", sa.Text(), nullable=False),
    sa.Column("created_at", sa.Text(), nullable=False),
    sa.Column("delivered_at", sa.Text(), nullable=True),
    sa.Column("attempts", sa.Integer(), nullable=False),
    sa.Column("last_error", sa.Text(), nullable=True),
    #: The writing transaction's id on PostgreSQL (a server default, 0007); empty on SQLite.
    sa.Column("xact", sa.BigInteger(), nullable=True),
    sa.UniqueConstraint("key", name="outbox_key_key"),
    sa.Index("outbox_seller", "seller_id", "invoice_id"),
    sa.Index("outbox_pending", "delivered_at", "position"),
    sa.Index("outbox_feed", "xact", "position"),
    sqlite_autoincrement=True,
)

IDEMPOTENCY: Final = sa.Table(
    "idempotency",
    METADATA,
    sa.Column("seller_id", key_type(), primary_key=True),
    sa.Column("key", key_type(), primary_key=True),
    sa.Column("fingerprint", sa.Text(), nullable=False),
    sa.Column("operation", sa.Text(), nullable=False),
    sa.Column("result", sa.Text(), nullable=False),
    sa.Column("created_at", sa.Text(), nullable=False),
)

#: Messages waiting for, or done with, delivery. ``next_attempt_at`` and
#: ``lease_expires_at`` (compared by ``claim``) are UTC text of one fixed width, in
#: the ``C`` collation, so text order is time order; ``position`` orders the queue.
#: A key is unique per seller: two sellers may have an invoice with the same id.
MESSAGES: Final = sa.Table(
    "messages",
    METADATA,
    sa.Column(
        "position",
        sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
        primary_key=True,
        autoincrement=True,
    ),
    sa.Column("key", key_type(), nullable=False),
    sa.Column("seller_id", key_type(), nullable=False),
    sa.Column("customer_id", key_type(), nullable=False),
    sa.Column("invoice_id", key_type(), nullable=True),
    sa.Column("subject_id", key_type(), nullable=True),
    sa.Column("kind", sa.Text(), nullable=False),
    sa.Column("step", sa.Text(), nullable=False),
    sa.Column("channel", sa.Text(), nullable=False),
    sa.Column("recipient", sa.Text(), nullable=False),
    sa.Column("status", key_type(), nullable=False),
    sa.Column("attempts", sa.Integer(), nullable=False),
    sa.Column("last_error", sa.Text(), nullable=True),
    sa.Column("created_at", key_type(), nullable=False),
    sa.Column("next_attempt_at", key_type(), nullable=False),
    sa.Column("lease_owner", sa.Text(), nullable=True),
    sa.Column("lease_expires_at", key_type(), nullable=True),
    sa.Column("sent_at", key_type(), nullable=True),
    sa.Column("provider_id", sa.Text(), nullable=True),
    sa.UniqueConstraint("seller_id", "key", name="messages_seller_key_key"),
    sa.Index("messages_due", "status", "next_attempt_at"),
    sa.Index("messages_lease", "status", "lease_expires_at"),
    sa.Index("messages_seller", "seller_id", "position"),
    sa.Index("messages_invoice", "seller_id", "invoice_id", "position"),
    sqlite_autoincrement=True,
)

#: In-app inboxes. ``position`` (the customer's last plus one) breaks ties between
#: items of one ``created_at`` (UTC text of one fixed width): the later put first.
INBOX: Final = sa.Table(
    "inbox",
    METADATA,
    sa.Column("seller_id", key_type(), primary_key=True),
    sa.Column("key", key_type(), primary_key=True),
    sa.Column("customer_id", key_type(), nullable=False),
    sa.Column("position", sa.BigInteger(), nullable=False, autoincrement=False),
    sa.Column("kind", sa.Text(), nullable=False),
    sa.Column("title", sa.Text(), nullable=False),
    sa.Column("text", sa.Text(), nullable=False),
    sa.Column("html", sa.Text(), nullable=True),
    sa.Column("url", sa.Text(), nullable=True),
    sa.Column("invoice_id", key_type(), nullable=True),
    sa.Column("created_at", key_type(), nullable=False),
    sa.Column("read_at", key_type(), nullable=True),
    sa.Index("inbox_customer", "seller_id", "customer_id", "created_at", "position"),
    sa.Index("inbox_unread", "seller_id", "customer_id", "read_at"),
)


#: Payment providers' notifications; (provider, event_id) unique is the webhook dedupe
#: (T17). Amounts are decimal text, times UTC text of one fixed width.
EVENT_CURSORS: Final = sa.Table(
    "event_cursors",
    METADATA,
    sa.Column("name", key_type(), primary_key=True),
    sa.Column("epoch", sa.BigInteger(), nullable=False),
    sa.Column("position", sa.BigInteger(), nullable=False),
    sa.Column("attempts", sa.Integer(), nullable=False),
    sa.Column("next_attempt_at", sa.Text(), nullable=True),
    sa.Column("parked_at", sa.Text(), nullable=True),
    sa.Column("last_error", sa.Text(), nullable=True),
    sa.Column("version", sa.Integer(), nullable=False),
)
