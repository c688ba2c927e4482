"""The read port of the live receivables summaries (``tx.summaries``), and the rows it returns.

Every store (memory, SQLite, SQLAlchemy) keeps the summaries in the same transaction
as each invoice save (``invoicekit.domain.summary``) and answers these queries from
them, never by loading invoices: the dashboard's live page stays fast at 50,000 clients.
"""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Final, Literal, Protocol

import attrs

from invoicekit.domain import checks
from invoicekit.errors import Problem, problem

__all__ = [
    "CLIENT_SORTS",
    "MAX_OFFSET",
    "ClientQuery",
    "ClientSummary",
    "DayAmount",
    "SummaryRepository",
]

#: The sort keys of the clients table: name, currency, open, overdue (past due today),
#: customer credit, net (open − credit), invoiced.
CLIENT_SORTS: Final = ("name", "currency", "open", "overdue", "credit", "net", "invoiced")
#: The deepest row a page may start at (beyond any real book; keeps SQL integers small).
MAX_OFFSET: Final = 10_000_000
ClientSort = Literal["name", "currency", "open", "overdue", "credit", "net", "invoiced"]


@attrs.frozen
class ClientSummary:
    """One client's live figures in one currency."""

    customer_id: str
    currency: str
    #: The customer's name as on their latest invoice.
    name: str
    #: Open receivables: what is due on open invoices.
    open: Decimal
    #: Customer credit held (overpayments, credit notes above the balance).
    credit: Decimal
    #: Everything invoiced (void invoices included, as in books.reports).
    invoiced: Decimal
    #: Issued invoices, and how many of them are open.
    invoices: int
    open_invoices: int

    @property
    def net(self) -> Decimal:
        """Open receivables less the credit the client holds."""
        return self.open - self.credit


@attrs.frozen
class DayAmount:
    """An amount of one kind (``domain.summary.Day``) filed under one day, in one currency."""

    currency: str
    kind: str
    day: date
    amount: Decimal


@attrs.frozen
class ClientQuery:
    """A page of the clients table: filtered by currency and name, sorted, from ``offset``."""

    currency: str | None = None
    #: Part of the client's name or id, matched without regard to case (plain text, no wildcards).
    search: str | None = None
    sort: ClientSort = "open"
    descending: bool = True
    limit: int = 50
    offset: int = 0

    def __attrs_post_init__(self) -> None:
        found: list[Problem] = []
        if self.sort not in CLIENT_SORTS:
            found.append(problem("sort", f"allowed: {', '.join(CLIENT_SORTS)}", self.sort))
        if not isinstance(self.limit, int) or not 1 <= self.limit <= 500:  # noqa: PLR2004 - the documented bound
            found.append(problem("limit", "a whole number from 1 to 500", self.limit))
        if not isinstance(self.offset, int) or not 0 <= self.offset <= MAX_OFFSET:
            found.append(problem("offset", f"a whole number from 0 to {MAX_OFFSET}", self.offset))
        if self.search is not None:
            found += checks.text("search", self.search, limit=200, required=False)
        if self.currency is not None and (
            not isinstance(self.currency, str) or len(self.currency) != 3  # noqa: PLR2004 - ISO 4217
        ):
            found.append(problem("currency", "a three-letter ISO 4217 code", self.currency))
        checks.refuse(found, "client query")

    @property
    def pattern(self) -> str | None:
        r"""The search as a LIKE pattern (``%``, ``_`` and ``\\`` escaped), lower case."""
        if not self.search:
            return None
        escaped = self.search.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        return f"%{escaped}%"


class SummaryRepository(Protocol):
    """One seller's live summaries; another seller's rows are never returned."""

    def clients(
        self, seller_id: str, query: ClientQuery
    ) -> tuple[builtins.list[ClientSummary], int]:
        """One page of the seller's clients, and how many match in all."""

    def clients_by_overdue(
        self, seller_id: str, query: ClientQuery, *, today: date
    ) -> tuple[builtins.list[ClientSummary], int]:
        """``clients`` sorted by what each client has past due on ``today`` (``query.sort`` aside).

        Overdue depends on the day, so it is not a stored column: the store sums the
        clients' DUE rows before ``today`` in the query (ties by customer id, currency).
        """

    def client(self, seller_id: str, customer_id: str) -> builtins.list[ClientSummary]:
        """The client's rows, one per currency (empty when they have no issued invoice)."""

    def days(
        self,
        seller_id: str,
        kinds: Sequence[str],
        *,
        since: date | None = None,
        customer_id: str | None = None,
    ) -> builtins.list[DayAmount]:
        """The seller's (or one client's: DUE only) per-day amounts of ``kinds`` from ``since``."""

    def overdue(
        self, seller_id: str, customer_ids: Sequence[str], *, today: date
    ) -> dict[tuple[str, str], Decimal]:
        """What is past due on ``today`` per (customer, currency), for the clients named."""

    def buckets(
        self,
        seller_id: str,
        kinds: Sequence[str],
        bounds: Sequence[date],
        *,
        since: date | None = None,
    ) -> dict[tuple[str, str], builtins.list[Decimal]]:
        """The seller's day amounts per (currency, kind) in ``len(bounds) + 1`` ranges of days.

        Range 0 is before ``bounds[0]``, range i is from ``bounds[i - 1]`` up to (not
        including) ``bounds[i]``, the last is from ``bounds[-1]`` on; ``since`` leaves out
        the days before it. Summed in the store.
        """

    def months(
        self, seller_id: str, kinds: Sequence[str], *, since: date
    ) -> builtins.list[DayAmount]:
        """The seller's day amounts of ``kinds`` summed per month from ``since`` (day = the 1st)."""

    def credit(self, seller_id: str) -> dict[str, Decimal]:
        """The customer credit the seller's clients hold, per currency."""

    def rebuild(self, seller_id: str | None = None) -> None:
        """Recompute the summaries (of one seller, or all) from the stored invoices."""
