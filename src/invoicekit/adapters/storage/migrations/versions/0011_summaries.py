"""Live receivables summaries: per client, per day, and each invoice's share.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07

Kept by every invoice save from now on (``sqlalchemy_summaries.py``); the invoices
already stored are summed once here, with the code that keeps them (the shares must
be computed as the running code computes them, or a later save would undo a wrong one).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | None = None
depends_on: str | None = None


def _key() -> sa.types.TypeEngine[str]:
    return sa.Text().with_variant(sa.Text(collation="C"), "postgresql")


def upgrade() -> None:
    """Create summary_clients, summary_days and summary_parts, and fill them."""
    op.create_table(
        "summary_clients",
        sa.Column("seller_id", _key(), primary_key=True),
        sa.Column("customer_id", _key(), primary_key=True),
        sa.Column("currency", _key(), primary_key=True),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("search", _key(), nullable=False),
        sa.Column("open", sa.BigInteger(), nullable=False),
        sa.Column("credit", sa.BigInteger(), nullable=False),
        sa.Column("invoiced", sa.BigInteger(), nullable=False),
        sa.Column("invoices", sa.BigInteger(), nullable=False),
        sa.Column("open_invoices", sa.BigInteger(), nullable=False),
    )
    op.create_index("summary_clients_open", "summary_clients", ["seller_id", "open"])
    op.create_index("summary_clients_search", "summary_clients", ["seller_id", "search"])
    op.create_table(
        "summary_days",
        sa.Column("seller_id", _key(), primary_key=True),
        sa.Column("customer_id", _key(), primary_key=True),
        sa.Column("currency", _key(), primary_key=True),
        sa.Column("kind", _key(), primary_key=True),
        sa.Column("day", _key(), primary_key=True),
        sa.Column("amount", sa.BigInteger(), nullable=False),
    )
    op.create_table(
        "summary_parts",
        sa.Column("seller_id", _key(), primary_key=True),
        sa.Column("invoice_id", _key(), primary_key=True),
        sa.Column("parts", sa.Text(), nullable=False),
    )
    _backfill()


def _backfill() -> None:
    """The summaries of every stored issued invoice, a thousand invoices at a time.

    A document that cannot be read is skipped with a warning (``readable_invoices``).
    """
    from invoicekit.adapters.storage.sqlalchemy_repos import SqlTransaction
    from invoicekit.adapters.storage.summary_rows import readable_invoices
    from invoicekit.serialization import make_converter

    bind = op.get_bind()
    converter = make_converter()
    tx = SqlTransaction.on(
        bind,
        converter=converter,
        url=str(bind.engine.url),
        postgres=bind.dialect.name == "postgresql",
        write=True,
        errors=(sa.exc.SQLAlchemyError,),
    )
    result = bind.execute(
        sa.text(
            "SELECT seller_id, id, doc FROM invoices WHERE status != 'draft' ORDER BY seller_id, id"
        )
    )
    while batch := result.fetchmany(1000):
        tx.summaries.changed(list(readable_invoices(batch, converter)), new=True)


def downgrade() -> None:
    """Drop the summary tables."""
    op.drop_table("summary_parts")
    op.drop_table("summary_days")
    op.drop_index("summary_clients_search", table_name="summary_clients")
    op.drop_index("summary_clients_open", table_name="summary_clients")
    op.drop_table("summary_clients")
