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
from collections.abc import Callable
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
        """Headline figures, aging and the last ``months`` months, summed in the store."""

        def body(s: SummaryRepository, tx: _Tx) -> LiveFigures:
            today = books_date(self._clock.now(), tx.sellers.get(self.seller_id))
            window_start = today - timedelta(days=window_days - 1)
            aging_bounds = [today - timedelta(days=d) for d in (90, 60, 30, 0)]
            aging = s.buckets(self.seller_id, [Day.DUE.value], aging_bounds)
            flows = [Day.INVOICED.value, Day.COLLECTED.value, Day.FELL_DUE.value]
            window = s.buckets(
                self.seller_id,
                flows,
                [window_start, today + timedelta(days=1)],
                since=window_start,
            )
            kinds = [Day.INVOICED.value, Day.COLLECTED.value, Day.CREDITED.value]
            monthly = s.months(self.seller_id, kinds, since=_month_start(today, months - 1))
            return _figures(
                today, aging, window, monthly, s.credit(self.seller_id), (months, window_days)
            )

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
            if query.sort == "overdue":
                rows, total = s.clients_by_overdue(self.seller_id, query, today=today)
            else:
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


def _figures(  # noqa: PLR0917 - the parts of one figure set, read together
    today: date,
    aging: dict[tuple[str, str], builtins.list[Decimal]],
    window: dict[tuple[str, str], builtins.list[Decimal]],
    monthly: builtins.list[DayAmount],
    credit: dict[str, Decimal],
    sizes: tuple[int, int],
) -> LiveFigures:
    months, window_days = sizes
    currencies = sorted(
        {c for c, _ in aging} | {c for c, _ in window} | {m.currency for m in monthly} | set(credit)
    )
    by_month = {(m.currency, m.kind, m.day.isoformat()[:7]): m.amount for m in monthly}
    labels = [_month_start(today, back).isoformat()[:7] for back in range(months - 1, -1, -1)]
    headlines: dict[str, Headline] = {}
    buckets_of: dict[str, dict[str, Decimal]] = {}
    rows_of: dict[str, builtins.list[MonthRow]] = {}
    for cur in currencies:
        zero = _ZERO.quantize(minor_unit(cur))
        # Ranges: before today-90 (over 90), -90..-60, -60..-30, -30..today, today on (current).
        found = aging.get((cur, Day.DUE.value), [zero] * 5)
        buckets = dict(zip(AGING_BUCKETS, reversed(found), strict=True))
        buckets_of[cur] = buckets
        open_ = sum(found, zero)

        def flow(kind: Day, cur: str = cur, zero: Decimal = zero) -> Decimal:
            return window.get((cur, kind.value), [zero, zero, zero])[1]

        invoiced, collected, fell_due = flow(Day.INVOICED), flow(Day.COLLECTED), flow(Day.FELL_DUE)
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
        rows_of[cur] = [
            MonthRow(
                month=label,
                invoiced=by_month.get((cur, Day.INVOICED.value, label), zero),
                collected=by_month.get((cur, Day.COLLECTED.value, label), zero),
                credited=by_month.get((cur, Day.CREDITED.value, label), zero),
            )
            for label in labels
        ]
    return LiveFigures(today=today, headlines=headlines, aging=buckets_of, months=rows_of)
