"""Message keys unique per seller, not per database.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-06

Two sellers may have an invoice with the same id, so the same message key
(``invoice_id:kind:step:channel``); with one key per database the second
seller's messages were silently never queued. Rows, positions and keys stay as
they are. On SQLite the table is copied (batch mode), keeping AUTOINCREMENT.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import TYPE_CHECKING

from alembic import op

if TYPE_CHECKING:
    from alembic.operations import BatchOperations

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | None = None
depends_on: str | None = None


def _messages() -> AbstractContextManager[BatchOperations]:
    """Changes to the messages table: ALTER on PostgreSQL, a copy keeping AUTOINCREMENT on SQLite."""
    return op.batch_alter_table(
        "messages", recreate="auto", table_kwargs={"sqlite_autoincrement": True}
    )


def upgrade() -> None:
    """Replace the unique key with a unique (seller_id, key)."""
    with _messages() as batch:
        batch.drop_constraint("messages_key_key", type_="unique")
        batch.create_unique_constraint("messages_seller_key_key", ["seller_id", "key"])


def downgrade() -> None:
    """Back to one key per database; fails while two sellers share a key (remove one first)."""
    with _messages() as batch:
        batch.drop_constraint("messages_seller_key_key", type_="unique")
        batch.create_unique_constraint("messages_key_key", ["key"])
