"""The status index covers find()'s order: (seller_id, status, due_date, issue_date, id).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06

``invoices.list(overdue_on=...)`` sorted every matching row with its document
(a sequential scan among 1,000,000 invoices); with issue_date and id in the
index, the page of 100 is sorted from the index alone and only its documents
are read. Rows are unchanged; the index is rebuilt once.
"""

from __future__ import annotations

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | None = None
depends_on: str | None = None

_WIDE = ["seller_id", "status", "due_date", "issue_date", "id"]
_NARROW = ["seller_id", "status", "due_date"]


def upgrade() -> None:
    """Rebuild invoices_status_due with find()'s order columns."""
    op.drop_index("invoices_status_due", table_name="invoices")
    op.create_index("invoices_status_due", "invoices", _WIDE)


def downgrade() -> None:
    """Back to the (seller_id, status, due_date) index."""
    op.drop_index("invoices_status_due", table_name="invoices")
    op.create_index("invoices_status_due", "invoices", _NARROW)
