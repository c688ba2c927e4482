"""The tables of ``SqlAlchemyStorage`` and its driver boundary (needs the ``sqlalchemy`` extra).

The same schema, in meaning, as ``SqliteStorage``'s: each domain value is kept
whole as canonical JSON text in ``doc``, beside the few columns that queries,
keys and locks need. Times are ISO 8601 text, so a stored value reads back with
the offset it was written with (messages and inboxes: UTC text, compared in SQL).
Alembic revisions ``0001``, ``0002`` (messages, inbox), ``0003`` (message keys
unique per seller), ``0004`` (provider notices, checkout sessions, pay-link
tokens), ``0005`` (the status index covers find()'s order), ``0006`` (recurring
templates) and ``0007`` (event handler cursors, the outbox's transaction ids) create these tables; ``tests/integration/test_sqlalchemy_storage.py``
checks the two agree.

Invoice numbers come from ``sequences``, a plain table whose counter is
incremented under a row lock in the issuing transaction (gapless, T12 in
docs/explanation/reliability.md): never a database sequence, which skips values on rollback. Only the
``position`` of the outbox and of the messages, ordering keys, is database-generated.

Key columns use the ``C`` collation on PostgreSQL so that ``ORDER BY id``
orders by code point, as Python's ``sorted`` does in ``MemoryStorage``.

``translate`` is the one place a SQLAlchemy, psycopg or ``sqlite3`` exception
becomes an invoicekit error; every statement of a transaction runs through
``Context.run``, which calls it. ``find_statement`` is memory.py's ``matches()``
and ``_invoice_order`` paging, as SQL.

This module keeps ``find_statement`` and re-exports the rest, which lives in one
module per job: sqlalchemy_metadata (``METADATA``, the key type),
sqlalchemy_tables_documents, _messaging, _payments and _billing (the tables per
aggregate) and sqlalchemy_context (``translate``, ``Context``).
"""

from __future__ import annotations

import functools
from typing import Any, Final

import sqlalchemy as sa

from invoicekit.adapters.storage.sqlalchemy_context import DECODE_ERRORS, Context, translate
from invoicekit.adapters.storage.sqlalchemy_metadata import METADATA, VERSION_TABLE, key_type
from invoicekit.adapters.storage.sqlalchemy_tables_billing import (
    COUPONS,
    PLANS,
    RECURRING_TEMPLATES,
    SUBSCRIPTIONS,
    USAGE_RECORDS,
)
from invoicekit.adapters.storage.sqlalchemy_tables_documents import (
    CREDIT_NOTES,
    CUSTOMERS,
    INVOICES,
    SELLERS,
    SEQUENCES,
)
from invoicekit.adapters.storage.sqlalchemy_tables_messaging import (
    EVENT_CURSORS,
    IDEMPOTENCY,
    INBOX,
    MESSAGES,
    OUTBOX,
)
from invoicekit.adapters.storage.sqlalchemy_tables_payments import (
    CHECKOUT_SESSIONS,
    PAY_TOKENS,
    PROVIDER_EVENTS,
)
from invoicekit.domain.status import Status
from invoicekit.ports import InvoiceQuery

__all__ = [
    "CHECKOUT_SESSIONS",
    "COUPONS",
    "CREDIT_NOTES",
    "CUSTOMERS",
    "DECODE_ERRORS",
    "DRAFTS_LAST",
    "EVENT_CURSORS",
    "FIND_ANCHOR",
    "IDEMPOTENCY",
    "INBOX",
    "INVOICES",
    "MESSAGES",
    "METADATA",
    "OUTBOX",
    "PAY_TOKENS",
    "PLANS",
    "PROVIDER_EVENTS",
    "RECURRING_TEMPLATES",
    "SELLERS",
    "SEQUENCES",
    "SUBSCRIPTIONS",
    "USAGE_RECORDS",
    "VERSION_TABLE",
    "Context",
    "find_statement",
    "key_type",
    "translate",
]

_OPEN: Final = sorted(
    str(s) for s in (Status.PENDING, Status.PARTIALLY_PAID, Status.OVERDUE, Status.FAILED)
)

# --------------------------------------------------------------------------- find

#: memory.py's ``_invoice_order``: issued invoices by (issue date, id), then drafts by id
#: (a draft last even when it carries a preset issue date).
DRAFTS_LAST: Final = sa.case(
    (sa.or_(INVOICES.c.status == str(Status.DRAFT), INVOICES.c.issue_date.is_(None)), 1), else_=0
)
#: The sort position of a paging anchor: what ``InvoiceQuery.after`` names.
FIND_ANCHOR: Final = sa.select(INVOICES.c.status, INVOICES.c.issue_date).where(
    INVOICES.c.seller_id == sa.bindparam("seller_id"), INVOICES.c.id == sa.bindparam("after_id")
)


@functools.cache
def _find_statement(
    *, statuses: bool, customer: bool, due_from: bool, due_to: bool, overdue: bool, after: str
) -> sa.Select[Any]:
    """``find``'s SELECT for one combination of filters; built once, the values are bound."""
    t, b = INVOICES, sa.bindparam
    where = [t.c.seller_id == b("seller_id")]
    if statuses:
        where.append(t.c.status.in_(b("statuses", expanding=True)))
    if customer:
        where.append(t.c.customer_id == b("customer_id"))
    if due_from:  # a NULL due date fails every date filter, as in matches()
        where.append(t.c.due_date >= b("due_from"))
    if due_to:
        where.append(t.c.due_date <= b("due_to"))
    if overdue:
        where.extend((t.c.status.in_(_OPEN), t.c.due_date < b("overdue_on")))
    if after == "draft":  # after a draft: the drafts with a greater id
        where.append(sa.and_(DRAFTS_LAST == 1, t.c.id > b("after_id")))
    elif after == "issued":  # a draft with a preset date matches too: it is in DRAFTS_LAST
        where.append(
            sa.or_(
                DRAFTS_LAST == 1,
                t.c.issue_date > b("after_date"),
                sa.and_(t.c.issue_date == b("after_date"), t.c.id > b("after_id")),
            )
        )
    by_date = sa.case((DRAFTS_LAST == 1, None), else_=t.c.issue_date)
    order = (DRAFTS_LAST, by_date, t.c.id)
    # Cut the page on index columns first, then read only that page's documents: sorting
    # whole rows read every matching document (a sequential scan among 1,000,000).
    page = sa.select(t.c.seller_id, t.c.id).where(*where).order_by(*order).limit(b("limit"))
    cut = page.subquery("page")
    on = sa.and_(t.c.seller_id == cut.c.seller_id, t.c.id == cut.c.id)
    return sa.select(t).join(cut, on).order_by(*order)


def find_statement(
    seller_id: str, query: InvoiceQuery, anchor: sa.Row[Any] | None
) -> tuple[sa.Select[Any], dict[str, Any]]:
    """``matches()`` and ``after`` paging of memory.py as SQL, with its bound values.

    ``anchor`` is the ``FIND_ANCHOR`` row of ``query.after`` (None: start at the top).
    """
    after = ""
    params: dict[str, Any] = {"seller_id": seller_id, "limit": max(query.limit, 0)}
    if anchor is not None:
        draft = anchor.status == str(Status.DRAFT) or anchor.issue_date is None
        after = "draft" if draft else "issued"
        params.update(after_id=query.after, after_date=None if draft else anchor.issue_date)
    if query.statuses is not None:
        params["statuses"] = sorted(str(s) for s in query.statuses)
    params.update(
        customer_id=query.customer_id,
        due_from=query.due_from,
        due_to=query.due_to,
        overdue_on=query.overdue_on,
    )
    statement = _find_statement(
        statuses=query.statuses is not None,
        customer=query.customer_id is not None,
        due_from=query.due_from is not None,
        due_to=query.due_to is not None,
        overdue=query.overdue_on is not None,
        after=after,
    )
    return statement, {k: v for k, v in params.items() if v is not None}
