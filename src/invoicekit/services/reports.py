"""``books.reports``: one seller's receivables as of any date, computed in the store.

Each figure is one query of ``tx.reports`` (the report port), read in one read-only
transaction; amounts stay per currency. "As of" a date means up to the end of that
day in the seller's zone; a datetime (timezone-aware) is an instant; None is now.
Definitions: docs/explanation/report-definitions.md.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any, Final, cast
from zoneinfo import ZoneInfo

import attrs

from invoicekit.domain import checks
from invoicekit.domain.parties import Seller
from invoicekit.errors import Problem, problem
from invoicekit.money import minor_unit
from invoicekit.report_repositories import BalanceSort
from invoicekit.reports import export as _export
from invoicekit.reports.mrr import MrrSource, total_mrr
from invoicekit.reports.values import (
    AgingBuckets,
    AttentionItem,
    CashInWeek,
    ClientBalance,
    MonthFigures,
    Page,
    ReceivablesReport,
    ReportWindow,
)
from invoicekit.repositories import Transaction
from invoicekit.services.report_attention import attention_items, balance_problems
from invoicekit.services.unit import Runner

__all__ = ["Reports"]

_ZERO: Final = Decimal(0)
_DSO_PLACES: Final = Decimal("0.01")
_RATE_PLACES: Final = Decimal("0.0001")
_MAX_WINDOW: Final = 3660
_MAX_LIMIT: Final = 1000


@attrs.frozen
class _Cut:
    """An as-of point: ``today`` in the seller's zone, entries before ``cut`` count."""

    today: date
    cut: datetime
    zone: ZoneInfo

    def midnight(self, day: date) -> datetime:
        """The instant ``day`` starts in the seller's zone, in UTC."""
        return datetime.combine(day, time(0), self.zone).astimezone(UTC)


def _as_of_problems(as_of: object) -> list[Problem]:
    if as_of is None or (isinstance(as_of, date) and not isinstance(as_of, datetime)):
        return []
    if isinstance(as_of, datetime):
        if as_of.tzinfo is None or as_of.utcoffset() is None:
            return [problem("as_of", "a datetime must be timezone-aware (tzinfo=UTC)", as_of)]
        return []
    return [problem("as_of", "must be a date (YYYY-MM-DD), an aware datetime or None", as_of)]


def _window_problems(path: str, value: object, most: int) -> list[Problem]:
    found = checks.at_least(path, value)
    if not found and cast("int", value) > most:
        found.append(problem(path, f"must be at most {most}", value))
    return found


class Reports:
    """One seller's receivables reports: balances, aging, months, DSO, cash-in, MRR, attention."""

    def __init__(
        self,
        runner: Runner,
        seller_id: str,
        mrr_sources: Callable[[], Sequence[MrrSource]],
    ) -> None:
        self._run = runner
        self._seller_id = seller_id
        self._mrr_sources = mrr_sources

    # ------------------------------------------------------------------ helpers

    def _cut(self, seller: Seller, as_of: date | datetime | None) -> _Cut:
        zone = ZoneInfo(seller.timezone)
        if as_of is None:
            as_of = self._run.clock.now()
        if isinstance(as_of, datetime):
            return _Cut(as_of.astimezone(zone).date(), as_of + timedelta(microseconds=1), zone)
        end = datetime.combine(as_of + timedelta(days=1), time(0), zone).astimezone(UTC)
        return _Cut(as_of, end, zone)

    def _read(
        self, as_of: date | datetime | None, found: builtins.list[Problem]
    ) -> Any:  # a context manager yielding (tx, seller, cut)
        checks.refuse(_as_of_problems(as_of) + found, "report")
        return _Reading(self, as_of)

    # ------------------------------------------------------------------ figures

    def aging(self, *, as_of: date | datetime | None = None) -> dict[str, AgingBuckets]:
        """Open receivables per currency by days past due: current, 1-30, 31-60, 61-90, over 90."""
        with self._read(as_of, []) as (tx, _, cut):
            return self._aging(tx, cut)

    def _aging(self, tx: Transaction, cut: _Cut) -> dict[str, AgingBuckets]:
        t = cut.today
        bounds = [t - timedelta(days=90), t - timedelta(days=60), t - timedelta(days=30), t]
        rows = tx.reports.open_by_due(self._seller_id, cut=cut.cut, bounds=bounds)
        return {
            cur: AgingBuckets(cur, *(_money(cur, v) for v in reversed(b)))
            for cur, b in sorted(rows.items())
            if any(b)
        }

    def client_balances(
        self,
        *,
        as_of: date | datetime | None = None,
        currency: str | None = None,
        search: str | None = None,
        sort: str = "balance",
        descending: bool = True,
        limit: int = 50,
        after: str | None = None,
    ) -> Page[ClientBalance]:
        """Each client's open balance, overdue part and credit held, per currency, a page at a time.

        ``sort``: balance, overdue, credit, net, name, customer_id or currency; ``after`` is the
        ``next`` of the previous page. Only clients with a balance or credit appear.
        """
        found = balance_problems(currency, search, sort, descending, limit, after)
        with self._read(as_of, found) as (tx, _, cut):
            offset = int(after) if after else 0
            rows = tx.reports.client_balances(
                self._seller_id,
                cut=cut.cut,
                today=cut.today,
                currency=currency,
                search=search or None,
                sort=cast("BalanceSort", sort),
                descending=descending,
                limit=limit + 1,
                offset=offset,
            )
        items = tuple(
            ClientBalance(
                r.customer_id,
                r.name,
                r.currency,
                _money(r.currency, r.open),
                _money(r.currency, r.overdue),
                _money(r.currency, r.credit),
                r.invoices,
            )
            for r in rows[:limit]
        )
        return Page(items, str(offset + limit) if len(rows) > limit else None)

    def all_client_balances(
        self, *, as_of: date | datetime | None = None
    ) -> builtins.list[ClientBalance]:
        """Every client balance (all pages), by customer id then currency."""
        found: builtins.list[ClientBalance] = []
        after: str | None = None
        while True:
            page = self.client_balances(
                as_of=as_of, sort="customer_id", descending=False, limit=_MAX_LIMIT, after=after
            )
            found += page.items
            if page.next is None:
                return found
            after = page.next

    def monthly(
        self, *, months: int = 12, as_of: date | datetime | None = None
    ) -> dict[str, builtins.list[MonthFigures]]:
        """Invoiced, collected and credited per calendar month (seller's zone), the last ``months``."""
        with self._read(as_of, _window_problems("months", months, 120)) as (tx, _, cut):
            return self._monthly(tx, cut, months)

    def _monthly(
        self, tx: Transaction, cut: _Cut, months: int
    ) -> dict[str, builtins.list[MonthFigures]]:
        firsts = [cut.today.replace(day=1)]
        for _ in range(months - 1):
            firsts.insert(0, (firsts[0] - timedelta(days=1)).replace(day=1))
        rows = tx.reports.flows(
            self._seller_id, start=cut.midnight(firsts[0]), cut=cut.cut, monthly=True
        )
        by_key = {(r.currency, r.month): r for r in rows}
        result: dict[str, builtins.list[MonthFigures]] = {}
        for cur in sorted({r.currency for r in rows}):
            figures = []
            for first in firsts:
                r = by_key.get((cur, first.isoformat()[:7]))
                amounts = (_ZERO,) * 3 if r is None else (r.invoiced, r.collected, r.credited)
                figures.append(MonthFigures(cur, first, *(_money(cur, a) for a in amounts)))
            result[cur] = figures
        return result

    def dso(
        self, *, as_of: date | datetime | None = None, window_days: int = 90
    ) -> dict[str, Decimal | None]:
        """Days sales outstanding: open at the end ÷ invoiced in the window × its days (None: nothing invoiced)."""
        found = _window_problems("window_days", window_days, _MAX_WINDOW)
        with self._read(as_of, found) as (tx, _, cut):
            return self._dso(tx, cut, window_days, None, None)

    def _window_flows(self, tx: Transaction, cut: _Cut, days: int) -> dict[str, Any]:
        start = cut.midnight(cut.today - timedelta(days=days - 1))
        rows = tx.reports.flows(self._seller_id, start=start, cut=cut.cut, monthly=False)
        return {r.currency: r for r in rows}

    def _dso(
        self,
        tx: Transaction,
        cut: _Cut,
        days: int,
        aging: dict[str, AgingBuckets] | None,
        flows: dict[str, Any] | None,
    ) -> dict[str, Decimal | None]:
        aging = self._aging(tx, cut) if aging is None else aging
        open_ = {cur: b.total for cur, b in aging.items()}
        flows = self._window_flows(tx, cut, days) if flows is None else flows
        result: dict[str, Decimal | None] = {}
        for cur in sorted(set(open_) | set(flows)):
            invoiced = flows[cur].invoiced if cur in flows else _ZERO
            if not invoiced:
                result[cur] = None
            else:
                value = open_.get(cur, _ZERO) / invoiced * days
                result[cur] = value.quantize(_DSO_PLACES, rounding=ROUND_HALF_EVEN)
        return result

    def collection_rate(
        self, *, as_of: date | datetime | None = None, window_days: int = 90
    ) -> dict[str, Decimal | None]:
        """Collected in the window ÷ amounts that fell due in it (a fraction; None: nothing fell due)."""
        found = _window_problems("window_days", window_days, _MAX_WINDOW)
        with self._read(as_of, found) as (tx, _, cut):
            return self._collection_rate(tx, cut, window_days, None)

    def _collection_rate(
        self, tx: Transaction, cut: _Cut, days: int, flows: dict[str, Any] | None
    ) -> dict[str, Decimal | None]:
        flows = self._window_flows(tx, cut, days) if flows is None else flows
        due = tx.reports.fell_due(
            self._seller_id, cut=cut.cut, after=cut.today - timedelta(days=days), until=cut.today
        )
        result: dict[str, Decimal | None] = {}
        for cur in sorted(set(flows) | set(due)):
            fell = due.get(cur, _ZERO)
            collected = flows[cur].collected if cur in flows else _ZERO
            result[cur] = (
                None if not fell else (collected / fell).quantize(_RATE_PLACES, ROUND_HALF_EVEN)
            )
        return result

    def cash_in(
        self, *, as_of: date | datetime | None = None, weeks: int = 8
    ) -> dict[str, builtins.list[CashInWeek]]:
        """Open receivables by the week they fall due, from the as-of day; week 1 holds the overdue too."""
        with self._read(as_of, _window_problems("weeks", weeks, 260)) as (tx, _, cut):
            return self._cash_in(tx, cut, weeks)

    def _cash_in(
        self, tx: Transaction, cut: _Cut, weeks: int
    ) -> dict[str, builtins.list[CashInWeek]]:
        t = cut.today
        bounds = [t + timedelta(days=7 * (i + 1)) for i in range(weeks)]
        rows = tx.reports.open_by_due(self._seller_id, cut=cut.cut, bounds=bounds)
        return {
            cur: [
                CashInWeek(
                    cur,
                    t + timedelta(days=7 * i),
                    t + timedelta(days=7 * i + 6),
                    _money(cur, b[i]),
                )
                for i in range(weeks)
            ]
            for cur, b in sorted(rows.items())
            if any(b[:weeks])
        }

    def mrr(self, *, as_of: date | datetime | None = None) -> dict[str, Decimal]:
        """Monthly recurring revenue per currency from every MRR source (recurring templates)."""
        with self._read(as_of, []) as (tx, _, cut):
            return total_mrr(self._mrr_sources(), tx, self._seller_id, cut.today)

    def attention(
        self, *, as_of: date | datetime | None = None, limit: int = 100
    ) -> builtins.list[AttentionItem]:
        """Overdue invoices (with the last reminder and next step), failed payments, failed messages."""
        with self._read(as_of, _window_problems("limit", limit, _MAX_LIMIT)) as (tx, seller, cut):
            return attention_items(tx, seller, cut.cut, cut.today, limit)

    def receivables(
        self, *, as_of: date | datetime | None = None, window_days: int = 90
    ) -> ReceivablesReport:
        """Every figure at once, read in one transaction (so they agree with each other)."""
        found = _window_problems("window_days", window_days, _MAX_WINDOW)
        with self._read(as_of, found) as (tx, seller, cut):
            aging = self._aging(tx, cut)
            flows = self._window_flows(tx, cut, window_days)
            overdue = {cur: b.total - b.current for cur, b in aging.items()}
            held = self._credit_totals(tx, cut)
            return ReceivablesReport(
                seller_id=self._seller_id,
                as_of=cut.today,
                window=ReportWindow(
                    cut.today - timedelta(days=window_days), cut.today, window_days
                ),
                open={cur: b.total for cur, b in aging.items()},
                overdue=overdue,
                customer_credit=held,
                aging=aging,
                monthly=self._monthly(tx, cut, 12),
                dso=self._dso(tx, cut, window_days, aging, flows),
                collection_rate=self._collection_rate(tx, cut, window_days, flows),
                cash_in=self._cash_in(tx, cut, 8),
                mrr=total_mrr(self._mrr_sources(), tx, self._seller_id, cut.today),
                attention=attention_items(tx, seller, cut.cut, cut.today, 100),
            )

    def _credit_totals(self, tx: Transaction, cut: _Cut) -> dict[str, Decimal]:
        held = tx.reports.credit_held(self._seller_id, cut=cut.cut)
        return {cur: _money(cur, amount) for cur, amount in sorted(held.items()) if amount}

    def export(self, report_name: str, format: str = "csv", **args: Any) -> str:
        """One report as CSV or JSON text (columns: docs/how-to/export-to-a-spreadsheet.md)."""
        return _export.export_report(self, report_name, format, args)


def _money(currency: str, amount: Decimal) -> Decimal:
    """``amount`` with the currency's minor digits (sums are exact: this only pads zeros)."""
    return amount.quantize(minor_unit(currency))


class _Reading:
    """``with`` block of one report: a read transaction, the seller, the as-of cut."""

    def __init__(self, reports: Reports, as_of: date | datetime | None) -> None:
        self._reports = reports
        self._as_of = as_of
        self._cm: Any = None

    def __enter__(self) -> tuple[Transaction, Seller, _Cut]:
        r = self._reports
        self._cm = r._run.read()  # noqa: SLF001 - the service's own helper
        tx = self._cm.__enter__()
        try:
            seller = tx.sellers.get(r._seller_id)  # noqa: SLF001
            return tx, seller, r._cut(seller, self._as_of)  # noqa: SLF001
        except BaseException as exc:
            self._cm.__exit__(type(exc), exc, exc.__traceback__)
            raise

    def __exit__(self, *exc: object) -> None:
        self._cm.__exit__(*exc)
