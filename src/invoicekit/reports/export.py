"""The reports as CSV and JSON: stable column names, plain decimal amounts, no formula injection.

Amounts are written as plain decimals ("1234.50": a dot, no thousands separator,
the currency in its own column); dates as ISO 8601. In CSV a text cell starting with
``=``, ``+``, ``-``, ``@``, a tab, a carriage return or NUL (or their full-width forms), after
any leading spaces, gets a
leading ``'``, so a spreadsheet shows a client named ``=HYPERLINK(...)`` as text (T38);
numbers are never changed. The columns of each report: ``COLUMNS``.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Final

from invoicekit.errors import ValidationError, problem
from invoicekit.reports.values import (
    AgingBuckets,
    AttentionItem,
    CashInWeek,
    ClientBalance,
    MonthFigures,
    ReceivablesReport,
)

__all__ = ["COLUMNS", "FORMATS", "cell_text", "export_report", "rows_of", "to_csv", "to_json"]

Row = Mapping[str, object]

#: A text cell starting with one of these is a formula to a spreadsheet.
_FORMULA_STARTS: Final = frozenset("=+-@\t\r\0\uff1d\uff0b\uff0d\uff20")
#: Leading characters a spreadsheet skips before it looks for a formula.
_SKIPPED: Final = " \u00a0\u3000"
#: The formats ``export`` writes.
FORMATS: Final = ("csv", "json")

#: The columns of each report, in order; names never change once published.
COLUMNS: Final[dict[str, tuple[str, ...]]] = {
    "receivables": (
        "currency",
        "open",
        "overdue",
        "customer_credit",
        "dso",
        "collection_rate",
        "mrr",
    ),
    "clients": ("customer_id", "name", "currency", "open", "overdue", "credit", "net", "invoices"),
    "aging": ("currency", "current", "days_1_30", "days_31_60", "days_61_90", "over_90", "total"),
    "monthly": ("currency", "month", "invoiced", "collected", "credited"),
    "dso": ("currency", "dso"),
    "collection_rate": ("currency", "collection_rate"),
    "cash_in": ("currency", "week_start", "week_end", "expected"),
    "mrr": ("currency", "mrr"),
    "attention": (
        "kind",
        "invoice_id",
        "number",
        "customer_id",
        "currency",
        "amount",
        "due_date",
        "days_overdue",
        "last_reminder",
        "last_reminder_at",
        "next_step",
        "next_step_on",
        "at",
        "detail",
    ),
}


def _plain(value: object) -> object:
    """A JSON value: Decimal and dates as text, None, int, bool and str as they are."""
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def cell_text(value: object) -> str:
    """The CSV text of one cell; text that a spreadsheet would run as a formula gets a leading '."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal | int):
        return format(value, "f") if isinstance(value, Decimal) else str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    text = str(value)
    start = text.lstrip(_SKIPPED)
    if start and start[0] in _FORMULA_STARTS:
        return "'" + text
    return text


def to_csv(rows: Iterable[Row], columns: Sequence[str]) -> str:
    """CSV text (RFC 4180, CRLF line ends) with a header row of ``columns``."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([cell_text(row.get(c)) for c in columns])
    return out.getvalue()


def to_json(rows: Iterable[Row], columns: Sequence[str]) -> str:
    """A JSON array of objects with the keys ``columns``; amounts as decimal strings."""
    items = [{c: _plain(row.get(c)) for c in columns} for row in rows]
    return json.dumps(items, ensure_ascii=False, indent=1)


def _client(b: ClientBalance) -> Row:
    return {
        "customer_id": b.customer_id,
        "name": b.name,
        "currency": b.currency,
        "open": b.open,
        "overdue": b.overdue,
        "credit": b.credit,
        "net": b.net,
        "invoices": b.invoices,
    }


def _aging(a: AgingBuckets) -> Row:
    return {
        "currency": a.currency,
        "current": a.current,
        "days_1_30": a.days_1_30,
        "days_31_60": a.days_31_60,
        "days_61_90": a.days_61_90,
        "over_90": a.over_90,
        "total": a.total,
    }


def _month(m: MonthFigures) -> Row:
    return {
        "currency": m.currency,
        "month": m.month.isoformat()[:7],
        "invoiced": m.invoiced,
        "collected": m.collected,
        "credited": m.credited,
    }


def _week(w: CashInWeek) -> Row:
    return {
        "currency": w.currency,
        "week_start": w.start,
        "week_end": w.end,
        "expected": w.expected,
    }


def _attention(a: AttentionItem) -> Row:
    return {name: getattr(a, name) for name in COLUMNS["attention"]}


def _summary(r: ReceivablesReport) -> list[Row]:
    return [
        {
            "currency": cur,
            "open": r.open.get(cur),
            "overdue": r.overdue.get(cur),
            "customer_credit": r.customer_credit.get(cur),
            "dso": r.dso.get(cur),
            "collection_rate": r.collection_rate.get(cur),
            "mrr": r.mrr.get(cur),
        }
        for cur in r.currencies
    ]


def rows_of(name: str, value: Any) -> list[Row]:  # noqa: PLR0911 - one branch per report
    """The rows of a report's value (what the ``books.reports`` method of ``name`` returned)."""
    if name == "receivables":
        return _summary(value)
    if name == "clients":
        return [_client(b) for b in value]
    if name == "aging":
        return [_aging(a) for a in value.values()]
    if name == "monthly":
        return [_month(m) for months in value.values() for m in months]
    if name in {"dso", "collection_rate", "mrr"}:
        return [{"currency": cur, name: amount} for cur, amount in value.items()]
    if name == "cash_in":
        return [_week(w) for weeks in value.values() for w in weeks]
    return [_attention(a) for a in value]


def _clients(reports: Any, args: dict[str, Any]) -> list[ClientBalance]:
    if "limit" in args:
        return list(reports.client_balances(**args).items)
    found: list[ClientBalance] = []
    after = args.pop("after", None)
    while True:
        page = reports.client_balances(**args, limit=1000, after=after)
        found += page.items
        if page.next is None:
            return found
        after = page.next


def export_report(reports: Any, name: str, format: str, args: dict[str, Any]) -> str:
    """``books.reports.export``: run report ``name`` of ``reports`` (``books.reports``) with ``args``, as ``format``."""
    bad = []
    if name not in COLUMNS:
        bad.append(problem("report_name", f"allowed: {', '.join(COLUMNS)}", name))
    if format not in FORMATS:
        bad.append(problem("format", "allowed: csv, json", format))
    if bad:
        raise ValidationError(bad, subject="export")
    methods: dict[str, Callable[..., Any]] = {
        "receivables": reports.receivables,
        "aging": reports.aging,
        "monthly": reports.monthly,
        "dso": reports.dso,
        "collection_rate": reports.collection_rate,
        "cash_in": reports.cash_in,
        "mrr": reports.mrr,
        "attention": reports.attention,
    }
    value = _clients(reports, dict(args)) if name == "clients" else methods[name](**args)
    rows = rows_of(name, value)
    write = to_csv if format == "csv" else to_json
    return write(rows, COLUMNS[name])
