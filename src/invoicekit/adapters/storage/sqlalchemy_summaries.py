"""The live summaries of ``SqlAlchemyStorage`` (revision 0011): the same rows as SQLite's.

``summary_parts`` keeps what each issued invoice added (JSON), so a save reads one
short row, not the old invoice, and applies the difference to ``summary_clients`` and
``summary_days`` with additive ``INSERT ... ON CONFLICT DO UPDATE`` statements in the
save's own transaction. Amounts are BIGINT millionths: exact in every database.
"""

from __future__ import annotations

import builtins
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import Any, Final

import sqlalchemy as sa

from invoicekit.adapters.storage.sqlalchemy_summary_sql import (
    CLIENT_UPSERT,
    DAY_UPSERT,
    PARTS_UPSERT,
    WRITE_ALL,
)
from invoicekit.adapters.storage.sqlalchemy_tables import METADATA, Context, key_type
from invoicekit.adapters.storage.summary_rows import CLIENT_COLUMNS as _CLIENT_COLUMNS
from invoicekit.adapters.storage.summary_rows import (
    ORDER,
    bucket_columns,
    client_filter,
    client_summary,
    overdue_page_sql,
    search_key,
)
from invoicekit.adapters.storage.summary_rows import amount as _amount
from invoicekit.domain.invoice import Invoice
from invoicekit.domain.status import Status
from invoicekit.domain.summary import Day, Parts, change
from invoicekit.domain.summary import parts as invoice_parts
from invoicekit.summary_repositories import ClientQuery, ClientSummary, DayAmount

__all__ = ["SUMMARY_CLIENTS", "SUMMARY_DAYS", "SUMMARY_PARTS", "SqlSummaries"]

SUMMARY_CLIENTS: Final = sa.Table(
    "summary_clients",
    METADATA,
    sa.Column("seller_id", key_type(), primary_key=True),
    sa.Column("customer_id", key_type(), primary_key=True),
    sa.Column("currency", key_type(), primary_key=True),
    sa.Column("name", sa.Text(), nullable=False),
    sa.Column("search", key_type(), nullable=False),
    sa.Column("open", sa.BigInteger(), nullable=False),
    sa.Column("credit", sa.BigInteger(), nullable=False),
    sa.Column("invoiced", sa.BigInteger(), nullable=False),
    sa.Column("invoices", sa.BigInteger(), nullable=False),
    sa.Column("open_invoices", sa.BigInteger(), nullable=False),
    sa.Index("summary_clients_open", "seller_id", "open"),
    sa.Index("summary_clients_search", "seller_id", "search"),
)
SUMMARY_DAYS: Final = sa.Table(
    "summary_days",
    METADATA,
    sa.Column("seller_id", key_type(), primary_key=True),
    sa.Column("customer_id", key_type(), primary_key=True),
    sa.Column("currency", key_type(), primary_key=True),
    sa.Column("kind", key_type(), primary_key=True),
    sa.Column("day", key_type(), primary_key=True),
    sa.Column("amount", sa.BigInteger(), nullable=False),
)
SUMMARY_PARTS: Final = sa.Table(
    "summary_parts",
    METADATA,
    sa.Column("seller_id", key_type(), primary_key=True),
    sa.Column("invoice_id", key_type(), primary_key=True),
    sa.Column("parts", sa.Text(), nullable=False),
)

#: Invoices kept per transaction for their next save (a bound for a long transaction).
_LOADED: Final = 64


def _named(name: str) -> str:
    """A named placeholder (``:name``)."""
    return f":{name}"


def _in(name: str, values: Sequence[str]) -> tuple[str, dict[str, str]]:
    """``:name_0, :name_1, ...`` and their parameters (an IN list both databases take)."""
    params = {f"{name}_{i}": v for i, v in enumerate(values)}
    return ", ".join(f":{k}" for k in params) or "NULL", params


class SqlSummaries:
    """``SummaryRepository`` on one transaction's ``Context``, and the writer the invoices call."""

    def __init__(self, ctx: Context, issued: Callable[[str | None], Iterable[Invoice]]) -> None:
        self._c = ctx
        self._issued = issued
        #: (seller id, invoice id) -> the invoice as read or saved in this transaction.
        self._loaded: dict[tuple[str, str], Invoice] = {}

    # ------------------------------------------------------------ writing

    def loaded(self, invoice: Invoice) -> None:
        """Keep ``invoice`` as read (or saved) in this write transaction.

        Its next save then takes the share it replaces from it instead of reading
        ``summary_parts`` back (one round trip less for a payment): the guarded UPDATE
        found the row at the version read, and one version has one content.
        """
        key = (invoice.seller_id, invoice.id)
        if key in self._loaded or len(self._loaded) < _LOADED:
            self._loaded[key] = invoice

    def changed(
        self,
        invoices: Sequence[Invoice],
        *,
        new: bool = False,
        versions: Mapping[str, int] | None = None,
    ) -> None:
        """Apply what saving ``invoices`` moves (drafts move nothing and are skipped).

        ``new``: the invoices were added or issued just now, so they had no share yet.
        ``versions``: the version each saved invoice replaced, by invoice id; a saved
        invoice read at that version in this transaction needs no read of its share.
        """
        issued = [inv for inv in invoices if inv.status is not Status.DRAFT]
        for seller_id in sorted({inv.seller_id for inv in issued}):
            mine = [inv for inv in issued if inv.seller_id == seller_id]
            for start in range(0, len(mine), 500):
                self._changed(seller_id, mine[start : start + 500], new, versions or {})
        for invoice in invoices:  # as stored now, for a next save in this transaction
            self.loaded(invoice)

    def _before(
        self, seller_id: str, mine: Sequence[Invoice], versions: Mapping[str, int]
    ) -> dict[str, Parts]:
        """The share each invoice had before this save, by invoice id (absent: none)."""
        found: dict[str, Parts] = {}
        unread: list[str] = []
        for invoice in mine:
            read = self._loaded.get((seller_id, invoice.id))
            if read is not None and read.version == versions.get(invoice.id, -1):
                share = invoice_parts(read)
                if share is not None:
                    found[invoice.id] = share
            else:
                unread.append(invoice.id)
        if unread:
            ids, params = _in("id", unread)
            sql = sa.text(
                f"SELECT invoice_id, parts FROM summary_parts WHERE seller_id = :seller_id "  # noqa: S608 - placeholders only
                f"AND invoice_id IN ({ids})"
            )
            rows = self._c.rows("update the summaries", sql, {"seller_id": seller_id, **params})
            for invoice_id, text in (tuple(row) for row in rows):
                found[str(invoice_id)] = Parts.from_json(str(text))
        return found

    def _changed(
        self, seller_id: str, mine: Sequence[Invoice], new: bool, versions: Mapping[str, int]
    ) -> None:
        old = {} if new else self._before(seller_id, mine, versions)
        pairs: list[tuple[Parts | None, Parts | None]] = []
        written: list[dict[str, Any]] = []
        for invoice in mine:
            before = old.get(invoice.id)
            share = invoice_parts(invoice)
            if share == before:
                continue
            pairs.append((before, share))
            if share is not None:
                text = share.to_json()
                written.append({"seller_id": seller_id, "invoice_id": invoice.id, "parts": text})
        if not pairs:
            return
        moved = change(pairs)
        clients = [
            {
                "seller_id": seller_id,
                "customer_id": customer_id,
                "currency": currency,
                "name": d.name,
                "search": search_key(d.name, customer_id),
                "open": d.open,
                "credit": d.credit,
                "invoiced": d.invoiced,
                "invoices": d.invoices,
                "open_invoices": d.open_invoices,
            }
            for (customer_id, currency), d in sorted(moved.clients.items())
        ]
        days = [
            {
                "seller_id": seller_id,
                "customer_id": customer_id,
                "currency": currency,
                "kind": kind,
                "day": day,
                "amount": amount,
            }
            for (customer_id, currency, kind, day), amount in sorted(moved.days.items())
        ]
        # Sorted keys: concurrent saves lock the shared rows in one order (no deadlock).
        if self._c.postgres:
            self._c.run(
                "update the summaries",
                WRITE_ALL,
                {
                    "seller_id": seller_id,
                    "clients": json.dumps(clients),
                    "days": json.dumps(days),
                    "parts": json.dumps(written),
                },
            )
            return
        if clients:
            self._c.run("update the summaries", CLIENT_UPSERT, clients)
        if days:
            self._c.run("update the summaries", DAY_UPSERT, days)
        if written:
            self._c.run("update the summaries", PARTS_UPSERT, written)

    def rebuild(self, seller_id: str | None = None) -> None:
        """Recompute the summaries (of one seller, or all) from the stored invoices."""
        where = "WHERE seller_id = :seller_id" if seller_id else ""
        for table in ("summary_clients", "summary_days", "summary_parts"):
            sql = sa.text(f"DELETE FROM {table} {where}")  # noqa: S608 - constants only
            self._c.run("rebuild the summaries", sql, {"seller_id": seller_id})
        batch: list[Invoice] = []
        for invoice in self._issued(seller_id):
            batch.append(invoice)
            if len(batch) >= 500:  # noqa: PLR2004 - a batch size
                self.changed(batch)
                batch = []
        self.changed(batch)

    # ------------------------------------------------------------ reading

    def clients(
        self, seller_id: str, query: ClientQuery
    ) -> tuple[builtins.list[ClientSummary], int]:
        """One page of the seller's clients, and how many match in all."""
        where, pairs = client_filter(seller_id, query, _named)
        params: dict[str, Any] = dict(pairs)
        way = "DESC" if query.descending else "ASC"
        order = f"{ORDER[query.sort]} {way}, customer_id {way}, currency {way}"
        sql = sa.text(
            f"SELECT {_CLIENT_COLUMNS} FROM summary_clients WHERE {where} "  # noqa: S608 - constants only
            f"ORDER BY {order} LIMIT :limit OFFSET :offset"
        )
        page = {**params, "limit": query.limit, "offset": query.offset}
        rows = self._c.rows("read the clients", sql, page)
        count = sa.text(f"SELECT count(*) FROM summary_clients WHERE {where}")  # noqa: S608 - constants only
        total = self._c.scalar("count the clients", count, params)
        return [client_summary(tuple(row)) for row in rows], int(total)

    def clients_by_overdue(
        self, seller_id: str, query: ClientQuery, *, today: date
    ) -> tuple[builtins.list[ClientSummary], int]:
        """One page of the seller's clients by what is past due ``today``, and how many match."""
        where, pairs = client_filter(seller_id, query, _named, "c.")
        params: dict[str, Any] = dict(pairs)
        sql = overdue_page_sql(where, "DESC" if query.descending else "ASC", _named)
        page = {
            **params,
            "kind": Day.DUE.value,
            "today": today.isoformat(),
            "limit": query.limit,
            "offset": query.offset,
        }
        rows = self._c.rows("read the clients", sa.text(sql), page)
        count = sa.text(f"SELECT count(*) FROM summary_clients AS c WHERE {where}")  # noqa: S608 - constants only
        total = self._c.scalar("count the clients", count, params)
        return [client_summary(tuple(row)) for row in rows], int(total)

    def client(self, seller_id: str, customer_id: str) -> builtins.list[ClientSummary]:
        """The client's rows, one per currency."""
        sql = sa.text(
            f"SELECT {_CLIENT_COLUMNS} FROM summary_clients "  # noqa: S608 - constants only
            "WHERE seller_id = :seller_id AND customer_id = :customer_id ORDER BY currency"
        )
        rows = self._c.rows(
            "read a client", sql, {"seller_id": seller_id, "customer_id": customer_id}
        )
        return [client_summary(tuple(row)) for row in rows]

    def days(
        self,
        seller_id: str,
        kinds: Sequence[str],
        *,
        since: date | None = None,
        customer_id: str | None = None,
    ) -> builtins.list[DayAmount]:
        """Per-day amounts of ``kinds`` from ``since``, ordered by currency, kind and day."""
        names, params = _in("kind", list(kinds))
        sql = sa.text(
            "SELECT currency, kind, day, amount FROM summary_days "  # noqa: S608 - placeholders only
            f"WHERE seller_id = :seller_id AND customer_id = :customer_id AND kind IN ({names}) "
            "AND day >= :since AND amount != 0 ORDER BY currency, kind, day"
        )
        params.update(
            seller_id=seller_id,
            customer_id=customer_id or "",
            since=since.isoformat() if since is not None else "",
        )
        return [
            DayAmount(cur, kind, date.fromisoformat(day), _amount(amount, cur))
            for cur, kind, day, amount in map(
                tuple, self._c.rows("read the summaries", sql, params)
            )
        ]

    def overdue(
        self, seller_id: str, customer_ids: Sequence[str], *, today: date
    ) -> dict[tuple[str, str], Decimal]:
        """What is past due on ``today`` per (customer, currency), for the clients named."""
        if not customer_ids:
            return {}
        names, params = _in("c", list(customer_ids))
        sql = sa.text(
            "SELECT customer_id, currency, sum(amount) FROM summary_days "  # noqa: S608 - placeholders only
            f"WHERE seller_id = :seller_id AND customer_id IN ({names}) AND kind = :kind "
            "AND day < :today GROUP BY customer_id, currency HAVING sum(amount) != 0"
        )
        params.update(seller_id=seller_id, kind=Day.DUE.value, today=today.isoformat())
        return {
            (customer_id, cur): _amount(total, cur)
            for customer_id, cur, total in map(
                tuple, self._c.rows("read what is overdue", sql, params)
            )
        }

    def buckets(
        self,
        seller_id: str,
        kinds: Sequence[str],
        bounds: Sequence[date],
        *,
        since: date | None = None,
    ) -> dict[tuple[str, str], builtins.list[Decimal]]:
        """The seller's day amounts per (currency, kind) in the ranges ``bounds`` cut."""
        names, params = _in("kind", list(kinds))
        columns = bucket_columns(len(bounds), ":b{}")
        sql = sa.text(
            f"SELECT currency, kind, {columns} FROM summary_days "  # noqa: S608 - placeholders only
            f"WHERE seller_id = :seller_id AND customer_id = '' AND kind IN ({names}) "
            "AND day >= :since GROUP BY currency, kind"
        )
        params.update({f"b{i}": b.isoformat() for i, b in enumerate(bounds)}, seller_id=seller_id)
        params["since"] = "" if since is None else since.isoformat()
        return {
            (cur, kind): [_amount(v, cur) for v in sums]
            for cur, kind, *sums in map(tuple, self._c.rows("read the summaries", sql, params))
        }

    def months(
        self, seller_id: str, kinds: Sequence[str], *, since: date
    ) -> builtins.list[DayAmount]:
        """The seller's day amounts of ``kinds`` summed per month from ``since``."""
        names, params = _in("kind", list(kinds))
        sql = sa.text(
            "SELECT currency, kind, substr(day, 1, 7) AS month, sum(amount) FROM summary_days "  # noqa: S608 - placeholders only
            f"WHERE seller_id = :seller_id AND customer_id = '' AND kind IN ({names}) "
            "AND day >= :since GROUP BY currency, kind, substr(day, 1, 7) "
            "HAVING sum(amount) != 0 ORDER BY currency, kind, month"
        )
        params.update(seller_id=seller_id, since=since.isoformat())
        return [
            DayAmount(cur, kind, date.fromisoformat(f"{month}-01"), _amount(v, cur))
            for cur, kind, month, v in map(tuple, self._c.rows("read the summaries", sql, params))
        ]

    def credit(self, seller_id: str) -> dict[str, Decimal]:
        """The customer credit the seller's clients hold, per currency."""
        sql = sa.text(
            "SELECT currency, sum(amount) FROM summary_days WHERE seller_id = :seller_id "
            "AND customer_id = '' AND kind = :kind GROUP BY currency HAVING sum(amount) != 0 "
            "ORDER BY currency"
        )
        rows = self._c.rows("read credit", sql, {"seller_id": seller_id, "kind": Day.CREDIT.value})
        return {cur: _amount(total, cur) for cur, total in map(tuple, rows)}
