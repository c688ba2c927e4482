"""Receivables reports: the figures' values, their definitions and their export (CSV, JSON).

``billing.seller(id).reports`` computes them in the store; see
docs/explanation/report-definitions.md for what each figure means.
"""

from __future__ import annotations

from invoicekit.reports.mrr import MrrSource, RecurringTemplates
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

__all__ = [
    "AgingBuckets",
    "AttentionItem",
    "CashInWeek",
    "ClientBalance",
    "MonthFigures",
    "MrrSource",
    "Page",
    "ReceivablesReport",
    "RecurringTemplates",
    "ReportWindow",
]
