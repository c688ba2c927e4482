"""Static conformance: each store's live summaries satisfy ``SummaryRepository`` (mypy only)."""

from __future__ import annotations

from invoicekit.adapters.storage.memory_summaries import MemorySummaries
from invoicekit.adapters.storage.sqlalchemy_summaries import SqlSummaries
from invoicekit.adapters.storage.sqlite_summaries import SqliteSummaries
from invoicekit.summary_repositories import SummaryRepository


def _memory(s: MemorySummaries) -> SummaryRepository:
    return s


def _sqlite(s: SqliteSummaries) -> SummaryRepository:
    return s


def _sqlalchemy(s: SqlSummaries) -> SummaryRepository:
    return s
