"""The live summaries of ``SqliteStorage`` (schema 10): kept by each invoice save, read by the dashboard.

``summary_parts`` keeps what each issued invoice added (``domain.summary.Parts`` as
JSON), so a save reads one short row instead of the old invoice, and applies only the
difference to ``summary_clients`` and ``summary_days`` with additive upserts, in the
save's own transaction. Amounts are integer millionths: SQLite adds them exactly.
"""

from __future__ import annotations

import builtins
import functools
import json
import sqlite3
from collections.abc import Callable, Iterable, Sequence
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Final

from invoicekit.adapters.storage.summary_rows import CLIENT_COLUMNS as _CLIENT_COLUMNS
from invoicekit.adapters.storage.summary_rows import (
    ORDER,
    bucket_columns,
    bucket_params,
    client_filter,
    client_summary,
    overdue_page_sql,
    readable_invoices,
    search_key,
)
from invoicekit.adapters.storage.summary_rows import amount as _amount
from invoicekit.domain.invoice import Invoice
from invoicekit.domain.status import Status
from invoicekit.domain.summary import Day, Parts, change, parts
from invoicekit.summary_repositories import ClientQuery, ClientSummary, DayAmount

if TYPE_CHECKING:
    from invoicekit.adapters.storage.sqlite_schema import Session

__all__ = ["SqliteSummaries", "backfill_summaries"]


def _mark(_name: str) -> str:
    """A placeholder (SQLite's ``?``: parameters bind in order)."""
    return "?"


_CLIENT_UPSERT: Final = """
    INSERT INTO summary_clients (seller_id, customer_id, currency, name, search, open, credit,
        invoiced, invoices, open_invoices) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT (seller_id, customer_id, currency) DO UPDATE SET
        name = excluded.name, search = excluded.search, open = open + excluded.open,
        credit = credit + excluded.credit, invoiced = invoiced + excluded.invoiced,
        invoices = invoices + excluded.invoices,
        open_invoices = open_invoices + excluded.open_invoices"""
#: Day rows per statement (6 parameters each: under SQLite's oldest limit of 999).
_DAYS_PER_UPSERT: Final = 150


@functools.cache
def _day_upsert(rows: int) -> str:
    """The additive upsert of ``rows`` day rows in one statement."""
    values = ", ".join(["(?, ?, ?, ?, ?, ?)"] * rows)
    return (
        "INSERT INTO summary_days (seller_id, customer_id, currency, kind, day, amount) "  # noqa: S608 - placeholders only
        f"VALUES {values} ON CONFLICT (seller_id, customer_id, currency, kind, day) "
        "DO UPDATE SET amount = amount + excluded.amount"
    )


_PARTS_UPSERT: Final = """
    INSERT INTO summary_parts (seller_id, invoice_id, parts) VALUES (?, ?, ?)
    ON CONFLICT (seller_id, invoice_id) DO UPDATE SET parts = excluded.parts"""


class SqliteSummaries:
    """``SummaryRepository`` on one session, and the writer the invoices call."""

    def __init__(self, session: Session, issued: Callable[[str | None], Iterable[Invoice]]) -> None:
        self._s = session
        #: Every issued invoice (of one seller, or all), for ``rebuild``.
        self._issued = issued

    # ------------------------------------------------------------ writing

    def changed(self, invoices: Sequence[Invoice], *, new: bool = False) -> None:
        """Apply what saving ``invoices`` moves (drafts move nothing and are skipped).

        ``new``: the invoices were added or issued just now, so they had no share yet
        (nothing to read back).
        """
        issued = [inv for inv in invoices if inv.status is not Status.DRAFT]
        for seller_id in {inv.seller_id for inv in issued}:
            mine = [inv for inv in issued if inv.seller_id == seller_id]
            old = {} if new else self._shares(seller_id, mine)
            pairs: list[tuple[Parts | None, Parts | None]] = []
            written: list[tuple[str, str, str]] = []
            for invoice in mine:
                before = old.get(invoice.id)
                share = parts(invoice)
                text = None if share is None else share.to_json()
                if text == before:
                    continue
                pairs.append((None if before is None else Parts.from_json(before), share))
                if text is not None:
                    written.append((seller_id, invoice.id, text))
            self._apply(seller_id, pairs)
            if len(written) == 1:
                self._s.run("update the summaries", _PARTS_UPSERT, written[0])
            elif written:
                self._s.run_many("update the summaries", _PARTS_UPSERT, written)

    def _shares(self, seller_id: str, mine: Sequence[Invoice]) -> dict[str, str]:
        """The share each invoice added when it was last saved (JSON), by invoice id."""
        if len(mine) == 1:  # a payment, a reminder: one row by its key
            sql = (
                "SELECT invoice_id, parts FROM summary_parts WHERE seller_id = ? AND invoice_id = ?"
            )
            params: tuple[str, str] = (seller_id, mine[0].id)
        else:
            sql = (
                "SELECT invoice_id, parts FROM summary_parts "
                "WHERE seller_id = ? AND invoice_id IN (SELECT value FROM json_each(?))"
            )
            params = (seller_id, json.dumps([inv.id for inv in mine]))
        return dict(self._s.rows("update the summaries", sql, params))

    def _apply(self, seller_id: str, pairs: list[tuple[Parts | None, Parts | None]]) -> None:
        if not pairs:
            return
        moved = change(pairs)
        clients = [
            (
                seller_id,
                customer_id,
                currency,
                d.name,
                search_key(d.name, customer_id),
                d.open,
                d.credit,
                d.invoiced,
                d.invoices,
                d.open_invoices,
            )
            for (customer_id, currency), d in moved.clients.items()
        ]
        if len(clients) == 1:
            self._s.run("update the summaries", _CLIENT_UPSERT, clients[0])
        elif clients:
            self._s.run_many("update the summaries", _CLIENT_UPSERT, clients)
        # The day rows in multi-row upserts (one statement for a save's few rows).
        days = [(seller_id, *key, amount) for key, amount in moved.days.items()]
        for start in range(0, len(days), _DAYS_PER_UPSERT):
            chunk = days[start : start + _DAYS_PER_UPSERT]
            self._s.run(
                "update the summaries",
                _day_upsert(len(chunk)),
                [value for row in chunk for value in row],
            )

    def rebuild(self, seller_id: str | None = None) -> None:
        """Recompute the summaries (of one seller, or all) from the stored invoices."""
        where, params = ("WHERE seller_id = ?", (seller_id,)) if seller_id else ("", ())
        for table in ("summary_clients", "summary_days", "summary_parts"):
            self._s.run("rebuild the summaries", f"DELETE FROM {table} {where}", params)  # noqa: S608 - constants only
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
        where, pairs = client_filter(seller_id, query, _mark)
        params = [value for _, value in pairs]
        way = "DESC" if query.descending else "ASC"
        order = f"{ORDER[query.sort]} {way}, customer_id {way}, currency {way}"
        sql = (
            f"SELECT {_CLIENT_COLUMNS} FROM summary_clients WHERE {where} "  # noqa: S608 - constants only
            f"ORDER BY {order} LIMIT ? OFFSET ?"
        )
        rows = self._s.rows("read the clients", sql, [*params, query.limit, query.offset])
        count_sql = f"SELECT count(*) FROM summary_clients WHERE {where}"  # noqa: S608 - constants only
        total = self._s.one("count the clients", count_sql, params)
        return [client_summary(row) for row in rows], int(total[0]) if total else 0

    def clients_by_overdue(
        self, seller_id: str, query: ClientQuery, *, today: date
    ) -> tuple[builtins.list[ClientSummary], int]:
        """One page of the seller's clients by what is past due ``today``, and how many match."""
        where, pairs = client_filter(seller_id, query, _mark, "c.")
        params = [value for _, value in pairs]
        sql = overdue_page_sql(where, "DESC" if query.descending else "ASC", _mark)
        # The placeholders in order: the subquery's three, the filters', the page's two.
        bound = [seller_id, Day.DUE.value, today.isoformat(), *params, query.limit, query.offset]
        rows = self._s.rows("read the clients", sql, bound)
        count_sql = f"SELECT count(*) FROM summary_clients AS c WHERE {where}"  # noqa: S608 - constants only
        total = self._s.one("count the clients", count_sql, params)
        return [client_summary(row) for row in rows], int(total[0]) if total else 0

    def client(self, seller_id: str, customer_id: str) -> builtins.list[ClientSummary]:
        """The client's rows, one per currency."""
        sql = (
            f"SELECT {_CLIENT_COLUMNS} FROM summary_clients "  # noqa: S608 - constants only
            "WHERE seller_id = ? AND customer_id = ? ORDER BY currency"
        )
        return [
            client_summary(r) for r in self._s.rows("read a client", sql, (seller_id, customer_id))
        ]

    def days(
        self,
        seller_id: str,
        kinds: Sequence[str],
        *,
        since: date | None = None,
        customer_id: str | None = None,
    ) -> builtins.list[DayAmount]:
        """Per-day amounts of ``kinds`` from ``since``, ordered by currency, kind and day."""
        sql = (
            "SELECT currency, kind, day, amount FROM summary_days WHERE seller_id = ? "
            "AND customer_id = ? AND kind IN (SELECT value FROM json_each(?)) AND day >= ? "
            "AND amount != 0 ORDER BY currency, kind, day"
        )
        start = since.isoformat() if since is not None else ""
        params = (seller_id, customer_id or "", json.dumps(list(kinds)), start)
        return [
            DayAmount(cur, kind, date.fromisoformat(day), _amount(amount, cur))
            for cur, kind, day, amount in self._s.rows("read the summaries", sql, params)
        ]

    def overdue(
        self, seller_id: str, customer_ids: Sequence[str], *, today: date
    ) -> dict[tuple[str, str], Decimal]:
        """What is past due on ``today`` per (customer, currency), for the clients named."""
        sql = (
            "SELECT customer_id, currency, sum(amount) FROM summary_days WHERE seller_id = ? "
            "AND customer_id IN (SELECT value FROM json_each(?)) AND kind = ? AND day < ? "
            "GROUP BY customer_id, currency HAVING sum(amount) != 0"
        )
        params = (seller_id, json.dumps(list(customer_ids)), Day.DUE.value, today.isoformat())
        return {
            (customer_id, cur): _amount(total, cur)
            for customer_id, cur, total in self._s.rows("read what is overdue", sql, params)
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
        sql = (
            f"SELECT currency, kind, {bucket_columns(len(bounds), '?')} FROM summary_days "  # noqa: S608 - constants only
            "WHERE seller_id = ? AND customer_id = '' "
            "AND kind IN (SELECT value FROM json_each(?)) AND day >= ? GROUP BY currency, kind"
        )
        cuts = [b.isoformat() for b in bounds]
        start = "" if since is None else since.isoformat()
        params = [*bucket_params(cuts), seller_id, json.dumps(list(kinds)), start]
        return {
            (cur, kind): [_amount(v, cur) for v in sums]
            for cur, kind, *sums in self._s.rows("read the summaries", sql, params)
        }

    def months(
        self, seller_id: str, kinds: Sequence[str], *, since: date
    ) -> builtins.list[DayAmount]:
        """The seller's day amounts of ``kinds`` summed per month from ``since``."""
        sql = (
            "SELECT currency, kind, substr(day, 1, 7) AS month, sum(amount) FROM summary_days "
            "WHERE seller_id = ? AND customer_id = '' AND kind IN (SELECT value FROM json_each(?)) "
            "AND day >= ? GROUP BY currency, kind, month HAVING sum(amount) != 0 "
            "ORDER BY currency, kind, month"
        )
        params = (seller_id, json.dumps(list(kinds)), since.isoformat())
        return [
            DayAmount(cur, kind, date.fromisoformat(f"{month}-01"), _amount(v, cur))
            for cur, kind, month, v in self._s.rows("read the summaries", sql, params)
        ]

    def credit(self, seller_id: str) -> dict[str, Decimal]:
        """The customer credit the seller's clients hold, per currency."""
        sql = (
            "SELECT currency, sum(amount) FROM summary_days WHERE seller_id = ? "
            "AND customer_id = '' AND kind = ? GROUP BY currency HAVING sum(amount) != 0 "
            "ORDER BY currency"
        )
        rows = self._s.rows("read credit", sql, (seller_id, Day.CREDIT.value))
        return {cur: _amount(total, cur) for cur, total in rows}


class _Connection:
    """The few ``Session`` methods the summaries use, on a bare connection (migrations)."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def rows(self, _operation: str, sql: str, params: Sequence[object] = ()) -> list[Any]:
        return self.conn.execute(sql, params).fetchall()

    def run(self, _operation: str, sql: str, params: Sequence[object] = ()) -> int:
        return self.conn.execute(sql, params).rowcount

    def run_many(self, _operation: str, sql: str, params: Sequence[Sequence[object]]) -> int:
        return self.conn.executemany(sql, params).rowcount


def backfill_summaries(conn: sqlite3.Connection) -> None:
    """Migration 9: sum the invoices already stored (inside the migration's transaction)."""
    from invoicekit.serialization import make_converter

    converter = make_converter()

    def issued(_seller_id: str | None) -> Iterable[Invoice]:
        cursor = conn.execute(
            "SELECT seller_id, id, doc FROM invoices WHERE status != 'draft' ORDER BY seller_id, id"
        )
        while batch := cursor.fetchmany(1000):
            yield from readable_invoices(batch, converter)

    SqliteSummaries(_Connection(conn), issued).rebuild()  # type: ignore[arg-type]  # the Session methods it uses
