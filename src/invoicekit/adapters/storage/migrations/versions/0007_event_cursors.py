"""Event handlers: a cursor per handler, and on PostgreSQL the transaction of each outbox row.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07

``outbox.xact`` is the id of the transaction that wrote the row
(``pg_current_xact_id()``): handlers read rows whose transaction is older than every
running one, ordered by (xact, position), an order a late commit cannot get ahead of
(a cursor over ``position`` alone skips a row whose transaction commits after a later
position's). Rows already stored get the migration's own id. On SQLite the column
stays empty (one writer: position order is commit order). A frozen copy of the
tables as they are at this revision.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Add outbox.xact and its index, and create event_cursors."""
    postgres = op.get_bind().dialect.name == "postgresql"
    default = sa.text("(pg_current_xact_id()::text::bigint)") if postgres else None
    op.add_column(
        "outbox", sa.Column("xact", sa.BigInteger(), nullable=True, server_default=default)
    )
    op.create_index("outbox_feed", "outbox", ["xact", "position"])
    op.create_table(
        "event_cursors",
        sa.Column(
            "name", sa.Text().with_variant(sa.Text(collation="C"), "postgresql"), primary_key=True
        ),
        sa.Column("epoch", sa.BigInteger(), nullable=False),
        sa.Column("position", sa.BigInteger(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.Text(), nullable=True),
        sa.Column("parked_at", sa.Text(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
    )


def downgrade() -> None:
    """Drop event_cursors and outbox.xact."""
    op.drop_table("event_cursors")
    op.drop_index("outbox_feed", table_name="outbox")
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("xact")
