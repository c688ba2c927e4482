"""The repositories of ``SqlAlchemyStorage``: SQLAlchemy Core statements on one connection.

Each repository behaves as ``MemoryStorage``'s does (the reference), error for
error. Inserts use ``ON CONFLICT DO NOTHING`` and look at the row count, so a
DuplicateError leaves the transaction usable on PostgreSQL too (a failed
statement would abort it). Every statement runs through ``Context.run``, where
driver exceptions are translated (``sqlalchemy_tables.translate``).

The repositories live in one module per aggregate: sqlalchemy_parties (sellers,
customers), sqlalchemy_invoices (invoices) and sqlalchemy_records (credit notes,
number counters, outbox, idempotency), on the shared base of
sqlalchemy_repository; this module wires them into ``SqlTransaction``.
"""

from __future__ import annotations

import attrs
import cattrs
import sqlalchemy as sa

from invoicekit.adapters.storage.sqlalchemy_events import SqlEventFeed
from invoicekit.adapters.storage.sqlalchemy_invoices import _Invoices
from invoicekit.adapters.storage.sqlalchemy_messages import SqlInbox, SqlMessages
from invoicekit.adapters.storage.sqlalchemy_parties import _Customers, _Sellers
from invoicekit.adapters.storage.sqlalchemy_payments import (
    SqlCheckouts,
    SqlPayTokens,
    SqlProviderEvents,
)
from invoicekit.adapters.storage.sqlalchemy_records import (
    _CreditNotes,
    _Idempotency,
    _Outbox,
    _record,
    _Sequences,
)
from invoicekit.adapters.storage.sqlalchemy_recurring import SqlRecurring
from invoicekit.adapters.storage.sqlalchemy_reports import SqlReports
from invoicekit.adapters.storage.sqlalchemy_subscriptions import SqlCatalog, SqlSubscriptions
from invoicekit.adapters.storage.sqlalchemy_summaries import SqlSummaries
from invoicekit.adapters.storage.sqlalchemy_tables import Context
from invoicekit.adapters.storage.sqlalchemy_usage import SqlUsage

__all__ = ["SqlTransaction"]


@attrs.frozen
class SqlTransaction:
    """The repositories of one SqlAlchemyStorage transaction, all on one connection."""

    sellers: _Sellers
    customers: _Customers
    invoices: _Invoices
    credit_notes: _CreditNotes
    sequences: _Sequences
    outbox: _Outbox
    idempotency: _Idempotency
    messages: SqlMessages
    event_feed: SqlEventFeed
    inbox: SqlInbox
    provider_events: SqlProviderEvents
    checkouts: SqlCheckouts
    pay_tokens: SqlPayTokens
    recurring: SqlRecurring
    catalog: SqlCatalog
    subscriptions: SqlSubscriptions
    usage: SqlUsage
    summaries: SqlSummaries
    reports: SqlReports

    @classmethod
    def on(
        cls,
        conn: sa.Connection,
        *,
        converter: cattrs.Converter,
        url: str,
        postgres: bool,
        write: bool,
        errors: tuple[type[BaseException], ...],
    ) -> SqlTransaction:
        """The repositories working on ``conn`` (in a transaction the caller opened)."""
        ctx = Context(conn, converter, url, postgres, write, errors)
        invoices = _Invoices(ctx)
        return cls(
            sellers=_Sellers(ctx),
            customers=_Customers(ctx),
            invoices=invoices,
            credit_notes=_CreditNotes(ctx),
            sequences=_Sequences(ctx),
            outbox=_Outbox(ctx),
            idempotency=_Idempotency(ctx),
            messages=SqlMessages(ctx),
            event_feed=SqlEventFeed(ctx, _record),
            inbox=SqlInbox(ctx),
            provider_events=SqlProviderEvents(ctx),
            checkouts=SqlCheckouts(ctx),
            pay_tokens=SqlPayTokens(ctx),
            recurring=SqlRecurring(ctx),
            catalog=SqlCatalog(ctx),
            subscriptions=SqlSubscriptions(ctx),
            usage=SqlUsage(ctx),
            summaries=invoices.summaries,
            reports=SqlReports(ctx),
        )
