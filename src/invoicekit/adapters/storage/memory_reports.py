"""``tx.reports`` of MemoryStorage: the report queries as plain Python over the entries.

The entries are built from the stored invoices when a report asks (``ledger_entries``);
the SQL stores keep them as rows instead. The same answers, in the same order.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Final, Protocol, TypeVar

from invoicekit.domain.parties import Customer
from invoicekit.report_repositories import (
    BalanceRow,
    BalanceSort,
    FailedPaymentRow,
    FlowRow,
    OverdueRow,
)
from invoicekit.reports.ledger import LedgerEntry, ledger_entries

__all__ = ["EntryReports", "ascii_lower", "memory_reports"]

V_co = TypeVar("V_co", covariant=True)


class _Values(Protocol[V_co]):
    def values(self) -> Iterator[V_co]: ...


_ZERO: Final = Decimal(0)
_ASCII_LOWER: Final = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def ascii_lower(text: str) -> str:
    """``text`` with A-Z lowered and nothing else changed: SQLite's ``lower()``."""
    return text.translate(_ASCII_LOWER)


class EntryReports:
    """The report queries over an iterable of entries (``entries(seller_id)``) and customer names."""

    def __init__(
        self,
        entries: Callable[[str], Iterable[LedgerEntry]],
        names: Callable[[str], dict[str, str]],
    ) -> None:
        self._entries = entries
        self._names = names

    def _before(self, seller_id: str, cut: datetime) -> list[LedgerEntry]:
        return [e for e in self._entries(seller_id) if e.at < cut]

    def open_by_due(
        self, seller_id: str, *, cut: datetime, bounds: Sequence[date]
    ) -> dict[str, list[Decimal]]:
        """Open receivables per currency in buckets by due date."""
        found: dict[str, list[Decimal]] = {}
        for e in self._before(seller_id, cut):
            if not e.open or e.due_date is None:
                continue
            buckets = found.setdefault(e.currency, [_ZERO] * (len(bounds) + 1))
            index = next((i for i, b in enumerate(bounds) if e.due_date < b), len(bounds))
            buckets[index] += e.open
        return found

    def credit_held(self, seller_id: str, *, cut: datetime) -> dict[str, Decimal]:
        """Customer credit held per currency."""
        found: dict[str, Decimal] = {}
        for e in self._before(seller_id, cut):
            if e.credit:
                found[e.currency] = found.get(e.currency, _ZERO) + e.credit
        return found

    def client_balances(
        self,
        seller_id: str,
        *,
        cut: datetime,
        today: date,
        currency: str | None,
        search: str | None,
        sort: BalanceSort,
        descending: bool,
        limit: int,
        offset: int,
    ) -> list[BalanceRow]:
        """Clients' figures, filtered, sorted and cut to one page."""
        names = self._names(seller_id)
        sums: dict[tuple[str, str], list[Decimal]] = defaultdict(lambda: [_ZERO, _ZERO, _ZERO])
        per_invoice: dict[tuple[str, str, str], Decimal] = defaultdict(Decimal)
        for e in self._before(seller_id, cut):
            if currency is not None and e.currency != currency:
                continue
            s = sums[e.customer_id, e.currency]
            s[0] += e.open
            if e.due_date is not None and e.due_date < today:
                s[1] += e.open
            s[2] += e.credit
            per_invoice[e.customer_id, e.currency, e.invoice_id] += e.open
        counts: dict[tuple[str, str], int] = defaultdict(int)
        for (customer_id, cur, _), value in per_invoice.items():
            if value > 0:
                counts[customer_id, cur] += 1
        rows = [
            BalanceRow(cid, names.get(cid), cur, s[0], s[1], s[2], counts[cid, cur])
            for (cid, cur), s in sums.items()
            if s[0] or s[2]
        ]
        if search:
            needle = ascii_lower(search)
            rows = [
                r
                for r in rows
                if needle in ascii_lower(r.customer_id) or needle in ascii_lower(r.name or "")
            ]
        rows.sort(key=lambda r: (r.customer_id, r.currency))
        rows.sort(key=_sort_key(sort), reverse=descending)
        return rows[offset : offset + limit]

    def flows(
        self, seller_id: str, *, start: datetime, cut: datetime, monthly: bool
    ) -> list[FlowRow]:
        """Invoiced, collected and credited per currency (and month)."""
        sums: dict[tuple[str, str], list[Decimal]] = defaultdict(lambda: [_ZERO, _ZERO, _ZERO])
        for e in self._before(seller_id, cut):
            if e.at < start:
                continue
            s = sums[e.currency, e.day.isoformat()[:7] if monthly else ""]
            if e.kind == "issued":
                s[0] += e.amount
            elif e.kind == "credited":
                s[2] += e.amount
            s[1] += e.cash
        return [FlowRow(cur, month, *s) for (cur, month), s in sorted(sums.items())]

    def fell_due(
        self, seller_id: str, *, cut: datetime, after: date, until: date
    ) -> dict[str, Decimal]:
        """Totals of the invoices falling due in the window."""
        found: dict[str, Decimal] = {}
        for e in self._before(seller_id, cut):
            if e.kind == "issued" and e.due_date is not None and after < e.due_date <= until:
                found[e.currency] = found.get(e.currency, _ZERO) + e.amount
        return found

    def overdue(
        self, seller_id: str, *, cut: datetime, today: date, limit: int
    ) -> list[OverdueRow]:
        """Invoices open and past due, oldest due date first."""
        open_: dict[str, Decimal] = defaultdict(Decimal)
        first: dict[str, LedgerEntry] = {}
        for e in self._before(seller_id, cut):
            if e.due_date is not None and e.due_date < today:
                open_[e.invoice_id] += e.open
                first.setdefault(e.invoice_id, e)
        rows = [
            OverdueRow(e.invoice_id, e.number, e.customer_id, e.currency, e.due_date, open_[i])
            for i, e in first.items()
            if open_[i] > 0 and e.due_date is not None
        ]
        rows.sort(key=lambda r: (r.due_date, r.invoice_id))
        return rows[:limit]

    def failed_payments(
        self, seller_id: str, *, cut: datetime, limit: int
    ) -> list[FailedPaymentRow]:
        """Failed payments of invoices still open, newest first."""
        entries = self._before(seller_id, cut)
        open_: dict[str, Decimal] = defaultdict(Decimal)
        for e in entries:
            open_[e.invoice_id] += e.open
        rows = [
            FailedPaymentRow(
                e.invoice_id, e.number, e.customer_id, e.currency, e.amount, e.at, e.detail
            )
            for e in entries
            if e.kind == "payment_failed" and open_[e.invoice_id] > 0
        ]
        rows.sort(key=lambda r: (r.at, r.invoice_id), reverse=True)
        return rows[:limit]


def _sort_key(sort: BalanceSort) -> Callable[[BalanceRow], Any]:
    if sort == "name":
        return lambda r: r.name or ""
    if sort in {"customer_id", "currency"}:
        return lambda r: getattr(r, sort)
    if sort == "overdue":
        return lambda r: r.overdue
    if sort == "credit":
        return lambda r: r.credit
    if sort == "net":
        return lambda r: r.open - r.credit
    return lambda r: r.open


def memory_reports(invoices: _Values[Any], customers: _Values[Customer]) -> EntryReports:
    """The report queries of MemoryStorage over its invoice and customer tables."""

    def entries(seller_id: str) -> Iterator[LedgerEntry]:
        for stored in invoices.values():
            if stored.invoice.seller_id == seller_id:
                yield from ledger_entries(stored.invoice)

    def names(seller_id: str) -> dict[str, str]:
        return {c.id: c.name for c in customers.values() if c.seller_id == seller_id}

    return EntryReports(entries, names)
