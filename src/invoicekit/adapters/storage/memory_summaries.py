"""The live summaries of ``MemoryStorage``: client and per-day rows in its transactional tables.

The reference implementation of ``SummaryRepository``: SQLite and SQLAlchemy must
answer the same queries with the same figures (the contract and property tests).
"""

from __future__ import annotations

import builtins
from collections.abc import Callable, Iterable, Sequence
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from invoicekit.adapters.storage.summary_rows import client_order, search_key
from invoicekit.domain.invoice import Invoice
from invoicekit.domain.summary import Day, Parts, change, from_micros, parts
from invoicekit.money import currency_digits
from invoicekit.summary_repositories import ClientQuery, ClientSummary, DayAmount

if TYPE_CHECKING:
    from invoicekit.adapters.storage.memory import _Table

__all__ = ["MemorySummaries"]

#: A client row: name, open, credit, invoiced, invoices, open invoices (amounts in micros).
_Client = tuple[str, int, int, int, int, int]


class MemorySummaries:
    """Client rows keyed (seller, customer, currency); day rows keyed (seller, customer, currency, kind, day)."""

    def __init__(
        self,
        clients: _Table[tuple[str, str, str], _Client],
        days: _Table[tuple[str, str, str, str, str], int],
        invoices: Callable[[], Iterable[Invoice]],
    ) -> None:
        self._clients = clients
        self._days = days
        self._invoices = invoices

    # ------------------------------------------------------------ writing (the invoices call it)

    def changed(self, seller_id: str, pairs: Iterable[tuple[Parts | None, Parts | None]]) -> None:
        """Apply what replacing each old invoice by its new version moves."""
        moved = change(pairs)
        for (customer_id, currency), delta in moved.clients.items():
            key = (seller_id, customer_id, currency)
            row = self._clients.get(key) or ("", 0, 0, 0, 0, 0)
            self._clients.put(
                key,
                (
                    delta.name or row[0],
                    row[1] + delta.open,
                    row[2] + delta.credit,
                    row[3] + delta.invoiced,
                    row[4] + delta.invoices,
                    row[5] + delta.open_invoices,
                ),
            )
        for (customer_id, currency, kind, day), amount in moved.days.items():
            day_key = (seller_id, customer_id, currency, kind, day)
            total = (self._days.get(day_key) or 0) + amount
            if total:
                self._days.put(day_key, total)
            else:
                self._days.delete(day_key)

    def rebuild(self, seller_id: str | None = None) -> None:
        """Recompute the summaries (of one seller, or all) from the stored invoices."""
        for table in (self._clients, self._days):
            for key in [k for k in _keys(table) if seller_id is None or k[0] == seller_id]:
                table.delete(key)
        by_seller: dict[str, list[tuple[None, Parts | None]]] = {}
        for invoice in self._invoices():
            if seller_id is None or invoice.seller_id == seller_id:
                by_seller.setdefault(invoice.seller_id, []).append((None, parts(invoice)))
        for seller, pairs in by_seller.items():
            self.changed(seller, pairs)

    # ------------------------------------------------------------ reading: SummaryRepository

    def _rows(self, seller_id: str) -> list[ClientSummary]:
        return [
            _summary(key[1], key[2], row)
            for key, row in _items(self._clients)
            if key[0] == seller_id
        ]

    def _matching(self, seller_id: str, query: ClientQuery) -> builtins.list[ClientSummary]:
        """The seller's client rows the query's currency and search keep, unsorted."""
        needle = query.search.lower() if query.search else None
        return [
            c
            for c in self._rows(seller_id)
            if (query.currency is None or c.currency == query.currency)
            and (needle is None or needle in search_key(c.name, c.customer_id))
        ]

    def clients(
        self, seller_id: str, query: ClientQuery
    ) -> tuple[builtins.list[ClientSummary], int]:
        """One page of the seller's clients, and how many match in all."""
        rows = self._matching(seller_id, query)
        rows.sort(key=client_order(query.sort), reverse=query.descending)
        return rows[query.offset : query.offset + query.limit], len(rows)

    def clients_by_overdue(
        self, seller_id: str, query: ClientQuery, *, today: date
    ) -> tuple[builtins.list[ClientSummary], int]:
        """One page of the seller's clients by what is past due ``today``, and how many match."""
        rows = self._matching(seller_id, query)
        late = self.overdue(seller_id, [c.customer_id for c in rows], today=today)

        def key(c: ClientSummary) -> tuple[Decimal, str, str]:
            return late.get((c.customer_id, c.currency), Decimal(0)), c.customer_id, c.currency

        rows.sort(key=key, reverse=query.descending)
        return rows[query.offset : query.offset + query.limit], len(rows)

    def client(self, seller_id: str, customer_id: str) -> builtins.list[ClientSummary]:
        """The client's rows, one per currency."""
        found = [c for c in self._rows(seller_id) if c.customer_id == customer_id]
        return sorted(found, key=lambda c: c.currency)

    def days(
        self,
        seller_id: str,
        kinds: Sequence[str],
        *,
        since: date | None = None,
        customer_id: str | None = None,
    ) -> builtins.list[DayAmount]:
        """Per-day amounts of ``kinds`` from ``since``, ordered by currency, kind and day."""
        who = customer_id or ""
        found = [
            DayAmount(key[2], key[3], date.fromisoformat(key[4]), _amount(amount, key[2]))
            for key, amount in _items(self._days)
            if key[0] == seller_id
            and key[1] == who
            and key[3] in kinds
            and (since is None or key[4] >= since.isoformat())
        ]
        return sorted(found, key=lambda d: (d.currency, d.kind, d.day))

    def overdue(
        self, seller_id: str, customer_ids: Sequence[str], *, today: date
    ) -> dict[tuple[str, str], Decimal]:
        """What is past due on ``today`` per (customer, currency), for the clients named."""
        wanted, cut = set(customer_ids), today.isoformat()
        totals: dict[tuple[str, str], int] = {}
        for key, amount in _items(self._days):
            if key[0] == seller_id and key[1] in wanted and key[3] == Day.DUE and key[4] < cut:
                totals[key[1], key[2]] = totals.get((key[1], key[2]), 0) + amount
        return {k: _amount(v, k[1]) for k, v in totals.items()}

    def buckets(
        self,
        seller_id: str,
        kinds: Sequence[str],
        bounds: Sequence[date],
        *,
        since: date | None = None,
    ) -> dict[tuple[str, str], builtins.list[Decimal]]:
        """The seller's day amounts per (currency, kind) in the ranges ``bounds`` cut."""
        cuts = [b.isoformat() for b in bounds]
        start = "" if since is None else since.isoformat()
        sums: dict[tuple[str, str], list[int]] = {}
        for key, amount in _items(self._days):
            if key[0] != seller_id or key[1] != "" or key[3] not in kinds or key[4] < start:
                continue
            row = sums.setdefault((key[2], key[3]), [0] * (len(cuts) + 1))
            row[sum(1 for c in cuts if key[4] >= c)] += amount
        return {k: [_amount(v, k[0]) for v in row] for k, row in sorted(sums.items())}

    def months(
        self, seller_id: str, kinds: Sequence[str], *, since: date
    ) -> builtins.list[DayAmount]:
        """The seller's day amounts of ``kinds`` summed per month from ``since``."""
        start = since.isoformat()
        sums: dict[tuple[str, str, str], int] = {}
        for key, amount in _items(self._days):
            if key[0] == seller_id and key[1] == "" and key[3] in kinds and key[4] >= start:
                month = (key[2], key[3], key[4][:7])
                sums[month] = sums.get(month, 0) + amount
        return [
            DayAmount(cur, kind, date.fromisoformat(f"{month}-01"), _amount(v, cur))
            for (cur, kind, month), v in sorted(sums.items())
            if v
        ]

    def credit(self, seller_id: str) -> dict[str, Decimal]:
        """The customer credit the seller's clients hold, per currency."""
        totals: dict[str, int] = {}
        for key, row in _items(self._clients):
            if key[0] == seller_id and row[2]:
                totals[key[2]] = totals.get(key[2], 0) + row[2]
        return {currency: _amount(v, currency) for currency, v in sorted(totals.items())}


def _keys(table: _Table[Any, Any]) -> list[Any]:
    return [k for k, _ in _items(table)]


def _items(table: _Table[Any, Any]) -> Iterable[tuple[Any, Any]]:
    for key in {*table.rows, *table.changes}:
        value = table.get(key)
        if value is not None:
            yield key, value


def _amount(micros: int, currency: str) -> Decimal:
    return from_micros(micros, currency_digits(currency))


def _summary(customer_id: str, currency: str, row: _Client) -> ClientSummary:
    name, open_, credit, invoiced, invoices, open_invoices = row
    return ClientSummary(
        customer_id=customer_id,
        currency=currency,
        name=name,
        open=_amount(open_, currency),
        credit=_amount(credit, currency),
        invoiced=_amount(invoiced, currency),
        invoices=invoices,
        open_invoices=open_invoices,
    )
