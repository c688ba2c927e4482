"""The statements that keep the SQLAlchemy stores' live summaries: additive upserts.

Every database takes the three ``INSERT ... ON CONFLICT DO UPDATE`` statements (one per
table, executemany). On PostgreSQL ``WRITE_ALL`` makes them one statement, the rows
passed as JSON arrays, so that a save's summaries cost one round trip.
"""

from __future__ import annotations

from typing import Final

import sqlalchemy as sa

__all__ = ["CLIENT_UPSERT", "DAY_UPSERT", "PARTS_UPSERT", "WRITE_ALL"]

CLIENT_UPSERT: Final = sa.text(
    """INSERT INTO summary_clients (seller_id, customer_id, currency, name, search, open,
        credit, invoiced, invoices, open_invoices)
    VALUES (:seller_id, :customer_id, :currency, :name, :search, :open, :credit, :invoiced,
        :invoices, :open_invoices)
    ON CONFLICT (seller_id, customer_id, currency) DO UPDATE SET
        name = excluded.name, search = excluded.search,
        open = summary_clients.open + excluded.open,
        credit = summary_clients.credit + excluded.credit,
        invoiced = summary_clients.invoiced + excluded.invoiced,
        invoices = summary_clients.invoices + excluded.invoices,
        open_invoices = summary_clients.open_invoices + excluded.open_invoices"""
)
DAY_UPSERT: Final = sa.text(
    """INSERT INTO summary_days (seller_id, customer_id, currency, kind, day, amount)
    VALUES (:seller_id, :customer_id, :currency, :kind, :day, :amount)
    ON CONFLICT (seller_id, customer_id, currency, kind, day) DO UPDATE SET
        amount = summary_days.amount + excluded.amount"""
)
PARTS_UPSERT: Final = sa.text(
    """INSERT INTO summary_parts (seller_id, invoice_id, parts)
    VALUES (:seller_id, :invoice_id, :parts)
    ON CONFLICT (seller_id, invoice_id) DO UPDATE SET parts = excluded.parts"""
)


#: PostgreSQL: a save's three upserts in one statement (one round trip), the rows as JSON
#: arrays. Each table's rows are sorted, so concurrent saves lock shared rows in one order.
WRITE_ALL: Final = sa.text(
    """WITH clients AS (
        INSERT INTO summary_clients (seller_id, customer_id, currency, name, search, open,
            credit, invoiced, invoices, open_invoices)
        SELECT :seller_id, r.customer_id, r.currency, r.name, r.search, r.open, r.credit,
            r.invoiced, r.invoices, r.open_invoices
        FROM jsonb_to_recordset(CAST(:clients AS jsonb)) AS r(customer_id text,
            currency text, name text, search text, open bigint, credit bigint,
            invoiced bigint, invoices bigint, open_invoices bigint)
        ON CONFLICT (seller_id, customer_id, currency) DO UPDATE SET
            name = excluded.name, search = excluded.search,
            open = summary_clients.open + excluded.open,
            credit = summary_clients.credit + excluded.credit,
            invoiced = summary_clients.invoiced + excluded.invoiced,
            invoices = summary_clients.invoices + excluded.invoices,
            open_invoices = summary_clients.open_invoices + excluded.open_invoices
    ), days AS (
        INSERT INTO summary_days (seller_id, customer_id, currency, kind, day, amount)
        SELECT :seller_id, r.customer_id, r.currency, r.kind, r.day, r.amount
        FROM jsonb_to_recordset(CAST(:days AS jsonb)) AS r(customer_id text, currency text,
            kind text, day text, amount bigint)
        ON CONFLICT (seller_id, customer_id, currency, kind, day) DO UPDATE SET
            amount = summary_days.amount + excluded.amount
    )
    INSERT INTO summary_parts (seller_id, invoice_id, parts)
    SELECT :seller_id, r.invoice_id, r.parts
    FROM jsonb_to_recordset(CAST(:parts AS jsonb)) AS r(invoice_id text, parts text)
    ON CONFLICT (seller_id, invoice_id) DO UPDATE SET parts = excluded.parts"""
)
