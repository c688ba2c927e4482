"""What the dashboard's pages show, as plain template values: figures, chart geometry, pagers.

The live page's figures come from the summaries (``LiveSummaries``); "as of" a past date
from ``books.reports``. Both become the same ``CurrencyView`` so one template shows
either. Charts are inline SVG drawn here as rectangles and labels: numbers only, no
markup from data, so nothing a client's name holds can reach the SVG.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import Any, Final

import attrs

from invoicekit.reports.values import ReceivablesReport
from invoicekit.services.live_summary import AGING_BUCKETS, LiveFigures

__all__ = [
    "BarChart",
    "CurrencyView",
    "aging_chart",
    "from_live",
    "from_report",
    "money",
    "months_chart",
    "percent",
]

_ZERO: Final = Decimal(0)
#: Chart geometry (SVG user units; the CSS scales the drawing to the column's width).
_WIDTH: Final = 640
_LABEL: Final = 70
_BAR_GAP: Final = 8
_AGING_LABELS: Final = {
    "current": "Not yet due",
    "1-30": "1–30 days",
    "31-60": "31–60 days",
    "61-90": "61–90 days",
    "90+": "Over 90 days",
}


def money(amount: Decimal | None, currency: str = "") -> str:
    """``1,234.50 EUR``: grouped thousands, the currency's digits as stored; "—" for None."""
    if amount is None:
        return "—"
    text = format(amount, ",f")
    return f"{text} {currency}".strip()


def percent(rate: Decimal | None) -> str:
    """A fraction as a percentage with one decimal (``0.9412`` → ``94.1 %``); "—" for None."""
    if rate is None:
        return "—"
    return f"{(rate * 100).quantize(Decimal('0.1'))} %"


@attrs.frozen
class Bar:
    """One bar of a chart: where it is drawn, its label and the amount it shows."""

    x: float
    y: float
    width: float
    height: float
    series: int
    label: str
    value: str


@attrs.frozen
class BarChart:
    """An SVG chart: size, bars, axis labels and a caption (also shown as a table)."""

    width: int
    height: int
    bars: tuple[Bar, ...]
    #: (x, y, text, anchor): anchor is start or middle.
    labels: tuple[tuple[float, float, str, str], ...]
    caption: str
    #: The data as rows (label, value, ...), for the table beside the drawing.
    rows: tuple[tuple[str, ...], ...]
    columns: tuple[str, ...]


def _scale(values: Sequence[Decimal]) -> Decimal:
    top = max((v for v in values), default=_ZERO)
    return top if top > 0 else Decimal(1)


def aging_chart(currency: str, buckets: Mapping[str, Decimal]) -> BarChart:
    """Horizontal bars: open receivables per aging bucket."""
    values = [buckets.get(name, _ZERO) for name in AGING_BUCKETS]
    top = _scale(values)
    row, room = 34, _WIDTH - _LABEL - 200
    bars, labels = [], []
    for i, (name, value) in enumerate(zip(AGING_BUCKETS, values, strict=True)):
        y = i * row + 6
        length = float(max(value, _ZERO) / top) * room
        text = money(value, currency)
        series = 1 if name == "current" else 0
        bars.append(Bar(_LABEL + 40, y, _px(length), row - 12, series, _AGING_LABELS[name], text))
        labels.append((4.0, y + row / 2 - 2, _AGING_LABELS[name], "start"))
        labels.append((_LABEL + 46 + _px(length), y + row / 2 - 2, text, "start"))
    return BarChart(
        width=_WIDTH,
        height=row * len(AGING_BUCKETS) + 6,
        bars=tuple(bars),
        labels=tuple(labels),
        caption=f"Open receivables in {currency} by days past due",
        rows=tuple(
            (_AGING_LABELS[n], money(v, currency))
            for n, v in zip(AGING_BUCKETS, values, strict=True)
        ),
        columns=("Days past due", "Open"),
    )


def months_chart(
    currency: str, months: Sequence[tuple[date, Decimal, Decimal, Decimal]]
) -> BarChart:
    """Paired columns per month: invoiced (dark) and collected (light)."""
    top = _scale([v for _, inv, col, _ in months for v in (inv, col)])
    height, base = 220, 190
    step = (_WIDTH - 20) / max(len(months), 1)
    bar = max((step - _BAR_GAP) / 2, 2)
    bars, labels = [], []
    for i, (month, invoiced, collected, _credited) in enumerate(months):
        x = 10 + i * step
        for series, value in enumerate((invoiced, collected)):
            h = float(max(value, _ZERO) / top) * (base - 10)
            name = ("Invoiced", "Collected")[series]
            bars.append(
                Bar(
                    _px(x + series * bar),
                    _px(base - h),
                    _px(bar),
                    _px(h),
                    series,
                    f"{name} {month:%b %Y}",
                    money(value, currency),
                )
            )
        labels.append((_px(x + bar), base + 18, f"{month:%b}", "middle"))
    return BarChart(
        width=_WIDTH,
        height=height,
        bars=tuple(bars),
        labels=tuple(labels),
        caption=f"Invoiced and collected in {currency} per month",
        rows=tuple(
            (f"{m:%b %Y}", money(i, currency), money(c, currency), money(cr, currency))
            for m, i, c, cr in months
        ),
        columns=("Month", "Invoiced", "Collected", "Credited"),
    )


@attrs.frozen
class CurrencyView:
    """The headline figures and charts of one currency."""

    currency: str
    open: str
    overdue: str
    credit: str
    dso: str
    collection_rate: str
    mrr: str
    aging: BarChart
    months: BarChart


def from_live(figures: LiveFigures, mrr: Mapping[str, Decimal]) -> list[CurrencyView]:
    """The views of the live figures (summaries), one per currency."""
    views = []
    for cur in sorted(set(figures.headlines) | set(mrr)):
        h = figures.headlines.get(cur)
        months = [
            (date.fromisoformat(f"{m.month}-01"), m.invoiced, m.collected, m.credited)
            for m in figures.months.get(cur, [])
        ]
        views.append(
            CurrencyView(
                currency=cur,
                open=money(h.open if h else None, cur),
                overdue=money(h.overdue if h else None, cur),
                credit=money(h.credit if h else None, cur),
                dso=_days(h.dso if h else None),
                collection_rate=percent(h.collection_rate if h else None),
                mrr=money(mrr.get(cur), cur),
                aging=aging_chart(cur, figures.aging.get(cur, {})),
                months=months_chart(cur, months),
            )
        )
    return views


def from_report(report: ReceivablesReport) -> list[CurrencyView]:
    """The views of an "as of" report (``books.reports.receivables``), one per currency."""
    currencies = sorted(
        set(report.open) | set(report.monthly) | set(report.mrr) | set(report.customer_credit)
    )
    views = []
    for cur in currencies:
        a = report.aging.get(cur)
        buckets: dict[str, Any] = (
            {}
            if a is None
            else dict(
                zip(
                    AGING_BUCKETS,
                    (a.current, a.days_1_30, a.days_31_60, a.days_61_90, a.over_90),
                    strict=True,
                )
            )
        )
        months = [
            (m.month, m.invoiced, m.collected, m.credited) for m in report.monthly.get(cur, [])
        ]
        views.append(
            CurrencyView(
                currency=cur,
                open=money(report.open.get(cur, _ZERO), cur),
                overdue=money(report.overdue.get(cur, _ZERO), cur),
                credit=money(report.customer_credit.get(cur, _ZERO), cur),
                dso=_days(report.dso.get(cur)),
                collection_rate=percent(report.collection_rate.get(cur)),
                mrr=money(report.mrr.get(cur), cur),
                aging=aging_chart(cur, buckets),
                months=months_chart(cur, months),
            )
        )
    return views


def _days(value: Decimal | None) -> str:
    return "—" if value is None else f"{value.quantize(Decimal('0.1'))} days"


def _px(value: float) -> float:
    """A drawing coordinate to a tenth of a unit (SVG text stays short)."""
    return float(f"{value:.1f}")
