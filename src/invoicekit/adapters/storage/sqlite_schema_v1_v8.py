"""The SQLite schema's first eight versions (issues 1 to 16): the tables and their rebuilds.

Part of the schema (:mod:`invoicekit.adapters.storage.sqlite_schema`, whose
``MIGRATIONS`` lists them in order): each ``_Vn`` is the statements that take a
file from version n - 1 to n. Kept apart so the schema module stays short; a new
version is added in sqlite_schema.py, never here (a released version never changes).
"""

from __future__ import annotations

from typing import Final

__all__: list[str] = []

_V1: Final = (
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    "CREATE TABLE sellers (id TEXT PRIMARY KEY, doc TEXT NOT NULL)",
    """CREATE TABLE customers (
        seller_id TEXT NOT NULL, id TEXT NOT NULL, archived INTEGER NOT NULL, doc TEXT NOT NULL,
        PRIMARY KEY (seller_id, id))""",
    """CREATE TABLE invoices (
        seller_id TEXT NOT NULL, id TEXT NOT NULL, customer_id TEXT NOT NULL,
        status TEXT NOT NULL, series TEXT NOT NULL, number TEXT, issue_date TEXT,
        due_date TEXT, version INTEGER NOT NULL, content_hash TEXT, doc TEXT NOT NULL,
        PRIMARY KEY (seller_id, id), UNIQUE (seller_id, number))""",
    # Both end with the order of find() (issue date, id), so a page is sorted from the
    # index alone and only its rows' documents are read (15x faster on 100k invoices).
    "CREATE INDEX invoices_status_due ON invoices (seller_id, status, due_date, issue_date, id)",
    """CREATE INDEX invoices_customer
        ON invoices (seller_id, customer_id, status, due_date, issue_date, id)""",
    """CREATE TABLE credit_notes (
        seller_id TEXT NOT NULL, id TEXT NOT NULL, invoice_id TEXT NOT NULL,
        number TEXT NOT NULL, issued_at TEXT NOT NULL, doc TEXT NOT NULL,
        PRIMARY KEY (seller_id, id), UNIQUE (seller_id, number))""",
    "CREATE INDEX credit_notes_invoice ON credit_notes (seller_id, invoice_id)",
    """CREATE TABLE sequences (
        seller_id TEXT NOT NULL, series TEXT NOT NULL, period TEXT NOT NULL,
        next_value INTEGER NOT NULL, PRIMARY KEY (seller_id, series, period))""",
    """CREATE TABLE outbox (
        position INTEGER PRIMARY KEY AUTOINCREMENT, key TEXT NOT NULL UNIQUE,
        seller_id TEXT NOT NULL, invoice_id TEXT, kind TEXT NOT NULL, payload TEXT NOT NULL,
        created_at TEXT NOT NULL, delivered_at TEXT, attempts INTEGER NOT NULL,
        last_error TEXT)""",
    "CREATE INDEX outbox_seller ON outbox (seller_id, invoice_id)",
    "CREATE INDEX outbox_pending ON outbox (delivered_at, position)",
    """CREATE TABLE idempotency (
        seller_id TEXT NOT NULL, key TEXT NOT NULL, fingerprint TEXT NOT NULL,
        operation TEXT NOT NULL, result TEXT NOT NULL, created_at TEXT NOT NULL,
        PRIMARY KEY (seller_id, key))""",
)

# Messages and in-app inboxes. The times claim compares (next_attempt_at,
# lease_expires_at) are UTC text of one fixed width, so text order is time order.
_V2: Final = (
    """CREATE TABLE messages (
        position INTEGER PRIMARY KEY AUTOINCREMENT, key TEXT NOT NULL UNIQUE,
        seller_id TEXT NOT NULL, customer_id TEXT NOT NULL, invoice_id TEXT, subject_id TEXT,
        kind TEXT NOT NULL, step TEXT NOT NULL, channel TEXT NOT NULL, recipient TEXT NOT NULL,
        status TEXT NOT NULL, attempts INTEGER NOT NULL, last_error TEXT,
        created_at TEXT NOT NULL, next_attempt_at TEXT NOT NULL, lease_owner TEXT,
        lease_expires_at TEXT, sent_at TEXT, provider_id TEXT)""",
    # claim: queued and due, or sending with an expired lease; each read in time order.
    "CREATE INDEX messages_due ON messages (status, next_attempt_at)",
    "CREATE INDEX messages_lease ON messages (status, lease_expires_at)",
    "CREATE INDEX messages_seller ON messages (seller_id, position)",
    "CREATE INDEX messages_invoice ON messages (seller_id, invoice_id, position)",
    # ``position`` breaks ties between items of one time: the later put comes first.
    """CREATE TABLE inbox (
        position INTEGER PRIMARY KEY AUTOINCREMENT, seller_id TEXT NOT NULL,
        key TEXT NOT NULL, customer_id TEXT NOT NULL, kind TEXT NOT NULL, title TEXT NOT NULL,
        text TEXT NOT NULL, html TEXT, url TEXT, invoice_id TEXT, created_at TEXT NOT NULL,
        read_at TEXT, UNIQUE (seller_id, key))""",
    # Newest first per customer, and the unread count, from the index alone.
    "CREATE INDEX inbox_customer ON inbox (seller_id, customer_id, created_at, position)",
    "CREATE INDEX inbox_unread ON inbox (seller_id, customer_id, read_at)",
)

_MESSAGE_COLUMNS: Final = (
    "position, key, seller_id, customer_id, invoice_id, subject_id, kind, step, channel, "
    "recipient, status, attempts, last_error, created_at, next_attempt_at, lease_owner, "
    "lease_expires_at, sent_at, provider_id"
)

# Message keys are unique per seller, not per file: two sellers may have an invoice with
# the same id. SQLite cannot drop a constraint, so the table is copied into a new one
# (rows, positions and keys unchanged); messages are never deleted, so AUTOINCREMENT
# carries on after the largest position copied.
_V3: Final = (
    """CREATE TABLE messages_v3 (
        position INTEGER PRIMARY KEY AUTOINCREMENT, key TEXT NOT NULL,
        seller_id TEXT NOT NULL, customer_id TEXT NOT NULL, invoice_id TEXT, subject_id TEXT,
        kind TEXT NOT NULL, step TEXT NOT NULL, channel TEXT NOT NULL, recipient TEXT NOT NULL,
        status TEXT NOT NULL, attempts INTEGER NOT NULL, last_error TEXT,
        created_at TEXT NOT NULL, next_attempt_at TEXT NOT NULL, lease_owner TEXT,
        lease_expires_at TEXT, sent_at TEXT, provider_id TEXT, UNIQUE (seller_id, key))""",
    f"INSERT INTO messages_v3 ({_MESSAGE_COLUMNS}) SELECT {_MESSAGE_COLUMNS} FROM messages",  # noqa: S608 - constants only
    "DROP TABLE messages",
    "ALTER TABLE messages_v3 RENAME TO messages",
    *(s for s in _V2 if s.startswith("CREATE INDEX messages_")),
)

# Getting paid (issue 14): providers' notifications (the webhook dedupe, T17), checkout
# sessions and pay-link tokens (stored hashed, T36). Amounts are decimal text; times
# are UTC text of one fixed width, as in messages. New tables only: an in-place upgrade.
_V4: Final = (
    """CREATE TABLE provider_events (
        position INTEGER PRIMARY KEY AUTOINCREMENT, provider TEXT NOT NULL,
        event_id TEXT NOT NULL, seller_id TEXT NOT NULL, invoice_id TEXT, payment_ref TEXT,
        kind TEXT NOT NULL, type TEXT NOT NULL, amount TEXT, currency TEXT, reason TEXT,
        code TEXT, refund_ref TEXT, occurred_at TEXT, received_at TEXT NOT NULL,
        outcome TEXT NOT NULL, raw BLOB NOT NULL, UNIQUE (provider, event_id))""",
    """CREATE INDEX provider_events_payment
        ON provider_events (seller_id, provider, payment_ref, position)""",
    "CREATE INDEX provider_events_invoice ON provider_events (seller_id, invoice_id, position)",
    """CREATE TABLE checkout_sessions (
        position INTEGER PRIMARY KEY AUTOINCREMENT, provider TEXT NOT NULL, ref TEXT NOT NULL,
        seller_id TEXT NOT NULL, invoice_id TEXT NOT NULL, key TEXT NOT NULL,
        amount TEXT NOT NULL, currency TEXT NOT NULL, url TEXT NOT NULL,
        created_at TEXT NOT NULL, expires_at TEXT, state TEXT NOT NULL,
        UNIQUE (provider, ref))""",
    "CREATE INDEX checkout_sessions_invoice ON checkout_sessions (seller_id, invoice_id, state)",
    "CREATE INDEX checkout_sessions_key ON checkout_sessions (seller_id, key, position)",
    """CREATE TABLE pay_tokens (
        token_hash TEXT PRIMARY KEY, seller_id TEXT NOT NULL, invoice_id TEXT NOT NULL,
        customer_id TEXT NOT NULL, message_key TEXT, created_at TEXT NOT NULL,
        expires_at TEXT NOT NULL)""",
)

# Recurring invoices (issue 15): templates as documents, with how far each has billed.
# The invoices each period generates carry ids derived from (seller, template, period
# index), so the invoices' primary key makes generation exactly once. A new table only.
_V5: Final = (
    """CREATE TABLE recurring_templates (
        seller_id TEXT NOT NULL, id TEXT NOT NULL, customer_id TEXT NOT NULL,
        status TEXT NOT NULL, version INTEGER NOT NULL, last_index INTEGER,
        to_issue TEXT NOT NULL, created_at TEXT NOT NULL, doc TEXT NOT NULL,
        PRIMARY KEY (seller_id, id))""",
    "CREATE INDEX recurring_templates_customer ON recurring_templates (seller_id, customer_id)",
)

# Event handlers (issue 15): how far each in-process handler got through the outbox.
# The outbox's position is commit order here (one writer), so the epoch stays 0.
_V6: Final = (
    """CREATE TABLE event_cursors (
        name TEXT PRIMARY KEY, epoch INTEGER NOT NULL, position INTEGER NOT NULL,
        attempts INTEGER NOT NULL, next_attempt_at TEXT, parked_at TEXT, last_error TEXT,
        version INTEGER NOT NULL)""",
)

# Standalone credit notes (issue 18): a credit note may credit no stored invoice, so
# credit_notes.invoice_id may be NULL. SQLite cannot drop NOT NULL: the table is rebuilt.
_V7: Final = (
    """CREATE TABLE credit_notes_v7 (
        seller_id TEXT NOT NULL, id TEXT NOT NULL, invoice_id TEXT,
        number TEXT NOT NULL, issued_at TEXT NOT NULL, doc TEXT NOT NULL,
        PRIMARY KEY (seller_id, id), UNIQUE (seller_id, number))""",
    """INSERT INTO credit_notes_v7
        SELECT seller_id, id, invoice_id, number, issued_at, doc FROM credit_notes""",
    "DROP TABLE credit_notes",
    "ALTER TABLE credit_notes_v7 RENAME TO credit_notes",
    "CREATE INDEX credit_notes_invoice ON credit_notes (seller_id, invoice_id)",
)

# Subscriptions and usage (issue 16): plans and coupons as documents; subscriptions as
# documents with their billing progress in columns; usage records append-only, built for
# volume: quantity INTEGER scaled by 10**6 (exact sums), times INTEGER microseconds UTC,
# properties JSON text (NULL without any). New tables only: an in-place upgrade.
_V8: Final = (
    """CREATE TABLE plans (
        seller_id TEXT NOT NULL, id TEXT NOT NULL, doc TEXT NOT NULL, PRIMARY KEY (seller_id, id))""",
    """CREATE TABLE coupons (
        seller_id TEXT NOT NULL, id TEXT NOT NULL, doc TEXT NOT NULL, PRIMARY KEY (seller_id, id))""",
    """CREATE TABLE subscriptions (
        seller_id TEXT NOT NULL, id TEXT NOT NULL, customer_id TEXT NOT NULL,
        status TEXT NOT NULL, version INTEGER NOT NULL, last_index INTEGER,
        to_issue TEXT NOT NULL, billed TEXT NOT NULL, usage_billed_until TEXT,
        finished INTEGER NOT NULL, created_at TEXT NOT NULL, doc TEXT NOT NULL,
        PRIMARY KEY (seller_id, id))""",
    "CREATE INDEX subscriptions_customer ON subscriptions (seller_id, customer_id)",
    "CREATE INDEX subscriptions_billing ON subscriptions (finished, seller_id, id)",
    """CREATE TABLE usage_records (
        seller_id TEXT NOT NULL, key TEXT NOT NULL, subscription_id TEXT NOT NULL,
        meter TEXT NOT NULL, quantity INTEGER NOT NULL, at INTEGER NOT NULL,
        received_at INTEGER NOT NULL, properties TEXT, UNIQUE (seller_id, key))""",
    """CREATE INDEX usage_records_period
        ON usage_records (seller_id, subscription_id, meter, at, key, quantity)""",
    """CREATE INDEX usage_records_received
        ON usage_records (seller_id, subscription_id, received_at)""",
)
