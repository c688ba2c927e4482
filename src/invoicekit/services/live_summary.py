"""The dashboard's live figures, read from the summaries the stores keep with every invoice save.

Nothing here loads invoices: headline figures, aging, months and the clients table come
from ``tx.summaries`` (a few hundred rows at most, whatever the size of the books), so
the live page stays fast at a million invoices. Definitions are those of the reports
(docs/explanation/report-definitions.md): DSO = open receivables now ÷ invoiced in the
last ``window_days`` days × ``window_days``; collection rate = collected ÷ fell due in
that window. Every amount is per currency, never summed across currencies.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager
from datetime import date, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any, Final, Protocol

import attrs

from invoicekit.domain.calendar import books_date
from invoicekit.domain.summary import Day
from invoicekit.money import minor_unit
from invoicekit.ports import Clock
from invoicekit.reports.values import AttentionItem
from invoicekit.services.live_attention import live_attention
from invoicekit.summary_repositories import ClientQuery, ClientSummary, DayAmount, SummaryRepository

__all__ = ["AGING_BUCKETS", "Headline", "LiveFigures", "LiveSummaries", "MonthRow", "aging_bucket"]

#: The aging buckets, by days past due in the seller's zone.
AGING_BUCKETS: Final = ("current", "1-30", "31-60", "61-90", "90+")
_ZERO: Final = Decimal(0)
#: Places of DSO and the collection rate (as ``books.reports`` rounds them).
_DSO: Final = Decimal("0.01")
_RATE: Final = Decimal("0.0001")


def aging_bucket(days_past_due: int) -> str:
    """The bucket of an amount ``days_past_due`` days past its due date (0 or less: current)."""
    if days_past_due <= 0:
        return "current"
    for bound, name in ((30, "1-30"), (60, "31-60"), (90, "61-90")):
        if days_past_due <= bound:
            return name
    return "90+"


@attrs.frozen
class Headline:
    """The seller's headline figures in one currency."""

    currency: str
    #: Open receivables: what is due on open invoices.
    open: Decimal
    #: The part of ``open`` past its due date.
    overdue: Decimal
    #: Customer credit the clients hold.
    credit: Decimal
    #: Days sales outstanding over the window; None when nothing was invoiced in it.
    dso: Decimal | None
    #: Collected ÷ fell due in the window; None when nothing fell due.
    collection_rate: Decimal | None


@attrs.frozen
class MonthRow:
    """Invoiced, collected and credited in one month (``YYYY-MM``) and currency."""

    month: str
    invoiced: Decimal
    collected: Decimal
    credited: Decimal


@attrs.frozen
class LiveFigures:
    """Everything the dashboard's first screen shows, per currency."""

    #: Today in the seller's zone: what "overdue" and the windows are counted from.
    today: date
    headlines: dict[str, Headline]
    #: currency -> bucket (``AGING_BUCKETS``) -> open amount.
    aging: dict[str, dict[str, Decimal]]
    #: currency -> the last ``months`` months, oldest first.
    months: dict[str, builtins.list[MonthRow]]


class _Tx(Protocol):
    @property
    def summaries(self) -> SummaryRepository: ...

    @property
    def sellers(self) -> Any: ...


class _Storage(Protocol):
    def transaction(self, *, write: bool = True) -> AbstractContextManager[Any]: ...


def _month_start(day: date, back: int) -> date:
    """The first day of the month ``back`` months before ``day``'s."""
    index = day.year * 12 + day.month - 1 - back
    return date(index // 12, index % 12 + 1, 1)


class LiveSummaries:
    """Reads one seller's live figures; every read is one read-only transaction."""

    def __init__(self, storage: _Storage, clock: Clock, seller_id: str) -> None:
        self._storage = storage
        self._clock = clock
        self.seller_id = seller_id

    def _read(self, body: Callable[[SummaryRepository, _Tx], Any]) -> Any:
        with self._storage.transaction(write=False) as tx:
            return body(tx.summaries, tx)

    def today(self) -> date:
        """Today in the seller's zone (raises NotFoundError for an unknown seller)."""

        def body(_s: SummaryRepository, tx: _Tx) -> date:
            return books_date(self._clock.now(), tx.sellers.get(self.seller_id))

        result: date = self._read(body)
        return result

    def figures(self, *, months: int = 12, window_days: int = 90) -> LiveFigures:
        """Headline figures, aging and the last ``months`` months, from the summaries."""

        def body(s: SummaryRepository, tx: _Tx) -> LiveFigures:
            today = books_date(self._clock.now(), tx.sellers.get(self.seller_id))
            start = min(_month_start(today, months - 1), today - timedelta(days=window_days))
            kinds = [k.value for k in Day if k is not Day.DUE]
            dated = s.days(self.seller_id, kinds, since=start)
            due = s.days(self.seller_id, [Day.DUE.value])
            return _figures(today, due, dated, s.credit(self.seller_id), months, window_days)

        result: LiveFigures = self._read(body)
        return result

    def attention(
        self, *, limit: int = 20, versions: dict[str, int] | None = None
    ) -> builtins.list[AttentionItem]:
        """What needs attention now: overdue invoices, failed payments, failed messages.

        ``versions``, when given, receives the version of each invoice listed.
        """
        found = {} if versions is None else versions

        def body(_s: SummaryRepository, tx: Any) -> builtins.list[AttentionItem]:
            seller = tx.sellers.get(self.seller_id)
            today = books_date(self._clock.now(), seller)
            return live_attention(tx, seller, today, limit, found)

        result: builtins.list[AttentionItem] = self._read(body)
        return result

    def clients(
        self, query: ClientQuery
    ) -> tuple[builtins.list[ClientSummary], int, dict[tuple[str, str], Decimal]]:
        """One page of clients, how many match, and what each shown client has overdue."""

        def body(s: SummaryRepository, tx: _Tx) -> Any:
            today = books_date(self._clock.now(), tx.sellers.get(self.seller_id))
            rows, total = s.clients(self.seller_id, query)
            overdue = s.overdue(self.seller_id, [r.customer_id for r in rows], today=today)
            return rows, total, overdue

        result: tuple[builtins.list[ClientSummary], int, dict[tuple[str, str], Decimal]]
        result = self._read(body)
        return result

    def client(
        self, customer_id: str
    ) -> tuple[builtins.list[ClientSummary], dict[tuple[str, str], Decimal]]:
        """One client's rows (per currency) and what is overdue in each."""

        def body(s: SummaryRepository, tx: _Tx) -> Any:
            today = books_date(self._clock.now(), tx.sellers.get(self.seller_id))
            return s.client(self.seller_id, customer_id), s.overdue(
                self.seller_id, [customer_id], today=today
            )

        result: tuple[builtins.list[ClientSummary], dict[tuple[str, str], Decimal]]
        result = self._read(body)
        return result


def _totals(
    rows: Iterable[DayAmount], today: date, window_start: date
) -> tuple[dict[tuple[str, str, str], Decimal], dict[tuple[str, str], Decimal]]:
    """One pass: (currency, kind, YYYY-MM) -> sum, and (currency, kind) -> sum in the window."""
    months: dict[tuple[str, str, str], Decimal] = {}
    window: dict[tuple[str, str], Decimal] = {}
    for r in rows:
        if r.day > today:
            continue
        key = (r.currency, r.kind, r.day.isoformat()[:7])
        months[key] = months.get(key, _ZERO) + r.amount
        if r.day >= window_start:
            window[r.currency, r.kind] = window.get((r.currency, r.kind), _ZERO) + r.amount
    return months, window


def _figures(  # noqa: PLR0917 - the parts of one figure set, read together
    today: date,
    due: builtins.list[DayAmount],
    dated: builtins.list[DayAmount],
    credit: dict[str, Decimal],
    months: int,
    window_days: int,
) -> LiveFigures:
    currencies = sorted({r.currency for r in due} | {r.currency for r in dated} | set(credit))
    window_start = today - timedelta(days=window_days - 1)
    headlines: dict[str, Headline] = {}
    aging: dict[str, dict[str, Decimal]] = {}
    by_month: dict[str, builtins.list[MonthRow]] = {}
    month_sums, window = _totals(dated, today, window_start)
    for cur in currencies:
        zero = _ZERO.quantize(minor_unit(cur))
        buckets = dict.fromkeys(AGING_BUCKETS, zero)
        for r in due:
            if r.currency == cur:
                name = aging_bucket((today - r.day).days)
                buckets[name] += r.amount
        aging[cur] = buckets
        open_ = sum(buckets.values(), _ZERO)
        invoiced = window.get((cur, Day.INVOICED), zero)
        collected = window.get((cur, Day.COLLECTED), zero)
        fell_due = window.get((cur, Day.FELL_DUE), zero)
        headlines[cur] = Headline(
            currency=cur,
            open=open_,
            overdue=open_ - buckets["current"],
            credit=credit.get(cur, zero),
            dso=(open_ / invoiced * window_days).quantize(_DSO, ROUND_HALF_EVEN)
            if invoiced
            else None,
            collection_rate=(collected / fell_due).quantize(_RATE, ROUND_HALF_EVEN)
            if fell_due
            else None,
        )
        labels = [_month_start(today, back).isoformat()[:7] for back in range(months - 1, -1, -1)]
        by_month[cur] = [
            MonthRow(
                month=label,
                invoiced=month_sums.get((cur, Day.INVOICED, label), zero),
                collected=month_sums.get((cur, Day.COLLECTED, label), zero),
                credited=month_sums.get((cur, Day.CREDITED, label), zero),
            )
            for label in labels
        ]
    return LiveFigures(today=today, headlines=headlines, aging=aging, months=by_month)
