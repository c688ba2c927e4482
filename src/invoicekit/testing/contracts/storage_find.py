"""The contract of ``InvoiceRepository.find``: every filter, the order and keyset paging.

Each result is checked against a brute-force filter written here from the
``InvoiceQuery`` docstring, not against any adapter's code.
"""

# ruff: noqa: S101
# (a contract suite checks with assert, as tests do; pytest rewrites these modules)

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from datetime import date, timedelta

from invoicekit.domain.invoice import Invoice
from invoicekit.domain.status import Status
from invoicekit.ports import InvoiceQuery, Storage
from invoicekit.testing.contracts import storage_builders as b
from invoicekit.testing.contracts.storage_base import StorageFixtures
from invoicekit.testing.contracts.storage_builders import AT, OPEN, Reopen, fresh

__all__ = ["FindContract", "brute_force_find"]

#: The status each stored invoice gets, by its index modulo the length (drafts twice).
_STATUS_CYCLE = (
    Status.DRAFT,
    Status.PENDING,
    Status.PARTIALLY_PAID,
    Status.PAID,
    Status.OVERDUE,
    Status.FAILED,
    Status.VOID,
    Status.UNCOLLECTIBLE,
    Status.DRAFT,
    Status.PENDING,
)
_TERMS_DAYS = (7, 14, 30, 45)


def brute_force_find(invoices: Iterable[Invoice], query: InvoiceQuery) -> list[Invoice]:
    """What ``find`` must return for ``query`` over one seller's ``invoices``, by the docstring.

    Filters combine with AND; due bounds are inclusive and leave out invoices without a
    due date; ``overdue_on`` keeps open invoices due strictly before it. Order: (issue
    date, id), drafts last; ``after`` starts after that id in this order.
    """

    def keep(inv: Invoice) -> bool:
        due = inv.due_date
        return (
            (query.statuses is None or inv.status in query.statuses)
            and (query.customer_id is None or inv.customer_id == query.customer_id)
            and (query.due_from is None or (due is not None and due >= query.due_from))
            and (query.due_to is None or (due is not None and due <= query.due_to))
            and (
                query.overdue_on is None
                or (inv.status in OPEN and due is not None and due < query.overdue_on)
            )
        )

    ordered = sorted(
        filter(keep, invoices),
        key=lambda inv: (inv.status is Status.DRAFT, inv.issue_date or date.min, inv.id),
    )
    if query.after is not None:
        ids = [inv.id for inv in ordered]
        ordered = ordered[ids.index(query.after) + 1 :]
    return ordered[: query.limit]


def _populate(storage: Storage, seller_id: str, count: int) -> list[Invoice]:
    """Store a seller with 3 customers and ``count`` invoices in every status; return them."""
    seller = b.seller(seller_id)
    customers = [b.customer(seller_id, f"c-{n}") for n in (1, 2, 3)]
    with storage.transaction() as tx:
        tx.sellers.add(seller)
        for customer in customers:
            tx.customers.add(customer)
    written: list[Invoice] = []
    for n in range(count):
        customer = customers[n % len(customers)]
        at = AT - timedelta(days=(n // 2) * 9 % 80)  # pairs share an issue date
        invoice_id = f"i-{(n * 7) % count:02d}"  # ids out of issue order
        status = _STATUS_CYCLE[n % len(_STATUS_CYCLE)]
        terms = _TERMS_DAYS[(n // 3) % len(_TERMS_DAYS)]
        with storage.transaction() as tx:
            final = b.draft(seller, customer, invoice_id, terms_days=terms, at=at)
            tx.invoices.add(final)
            if status is not Status.DRAFT:
                issued = b.issue_in(tx, final, seller, customer, at=at)
                final = b.move_to(issued, status, at=at)
                if final is not issued:
                    tx.invoices.save(final, expected_version=issued.version)
        written.append(final)
    return written


def _queries(invoices: Sequence[Invoice]) -> list[InvoiceQuery]:
    """Every combination of the filters, with bounds on real due dates (inclusive edges)."""
    dues = sorted({i.due_date for i in invoices if i.due_date is not None})
    low, mid, high = dues[len(dues) // 4], dues[len(dues) // 2], dues[3 * len(dues) // 4]
    statuses: list[frozenset[Status] | None] = [None, *(frozenset({s}) for s in Status)]
    statuses += [OPEN, frozenset({Status.PENDING, Status.OVERDUE}), frozenset({Status.DRAFT})]
    windows = [(None, None), (mid, None), (None, mid), (low, high), (high, low)]
    overdue = [None, mid, high + timedelta(days=1)]
    return [
        InvoiceQuery(
            statuses=s, customer_id=c, due_from=w[0], due_to=w[1], overdue_on=o, limit=limit
        )
        for s, c, w, o, limit in itertools.product(
            statuses, [None, "c-1", "c-3", "c-none"], windows, overdue, [1000, 3]
        )
    ]


class FindContract(StorageFixtures):
    """Finding invoices: filters, order, paging, and never another seller's rows."""

    def test_find_matches_a_brute_force_filter(self, storage: Storage, reopen: Reopen) -> None:
        """For every combination of filters, ``find`` returns exactly the brute-force result.

        Same invoices (equal to what was written), same order: (issue date, id) with
        drafts last; ``limit`` respected; another seller with the same ids, customers
        and numbers never shows up.
        """
        mine = _populate(storage, "s-a", 26)
        theirs = _populate(storage, "s-b", 10)
        with fresh(reopen, storage) as tx:
            every = tx.invoices.find("s-a", InvoiceQuery(limit=1000))
            assert every == brute_force_find(mine, InvoiceQuery(limit=1000))
            assert tx.invoices.find("s-b", InvoiceQuery(limit=1000)) == brute_force_find(
                theirs, InvoiceQuery(limit=1000)
            )
            for query in _queries(mine):
                got = [i.id for i in tx.invoices.find("s-a", query)]
                assert got == [i.id for i in brute_force_find(mine, query)], query

    def test_find_pages_cover_the_result_once(self, storage: Storage, reopen: Reopen) -> None:
        """Pages of ``limit`` with ``after`` = the last id seen concatenate to the whole result."""
        mine = _populate(storage, "s-a", 26)
        _populate(storage, "s-b", 10)
        queries = [
            InvoiceQuery(),
            InvoiceQuery(statuses=OPEN),
            InvoiceQuery(customer_id="c-2"),
            InvoiceQuery(statuses={Status.DRAFT, Status.PAID}),
        ]
        with fresh(reopen, storage) as tx:
            for query in queries:
                whole = [i.id for i in brute_force_find(mine, query)]
                for size in (1, 2, 5, 100):
                    seen: list[str] = []
                    after: str | None = None
                    for _ in range(len(whole) + 2):
                        paged = InvoiceQuery(
                            statuses=query.statuses,
                            customer_id=query.customer_id,
                            limit=size,
                            after=after,
                        )
                        page = [i.id for i in tx.invoices.find("s-a", paged)]
                        assert page == [i.id for i in brute_force_find(mine, paged)], paged
                        if not page:
                            break
                        seen += page
                        after = page[-1]
                    assert seen == whole, (query, size)

    def test_find_with_no_statuses_matches_nothing(self, storage: Storage) -> None:
        """``statuses=frozenset()`` keeps no invoice (it is a filter, not "no filter")."""
        _populate(storage, "s-a", 10)
        with storage.transaction(write=False) as tx:
            assert tx.invoices.find("s-a", InvoiceQuery(statuses=frozenset())) == []

    def test_find_puts_drafts_last_even_with_a_preset_issue_date(
        self, storage: Storage, reopen: Reopen
    ) -> None:
        """A draft comes after every issued invoice, also when it already carries an issue date."""
        seller, customer = b.seller("s-a"), b.customer("s-a", "c-1")
        early = b.draft(seller, customer, "i-early", issue_date=date(2026, 1, 2))
        with storage.transaction() as tx:
            tx.sellers.add(seller)
            tx.customers.add(customer)
            draft = b.draft(seller, customer, "i-issued")
            tx.invoices.add(draft)
            issued = b.issue_in(tx, draft, seller, customer)
            tx.invoices.add(early)
        with fresh(reopen, storage) as tx:
            assert tx.invoices.find("s-a", InvoiceQuery()) == [issued, early]

    def test_paging_continues_after_an_invoice_that_stopped_matching(
        self, storage: Storage, reopen: Reopen
    ) -> None:
        """``after`` names a position, not a match: a page resumes after the last id seen.

        A dunning job pages through open invoices and pays or marks them as it goes; the
        last invoice it saw no longer matches the query, yet the next page must start
        after it, never again at the first page.
        """
        seller, customer = b.seller("s-a"), b.customer("s-a", "c-1")
        with storage.transaction() as tx:
            tx.sellers.add(seller)
            tx.customers.add(customer)
            issued = []
            for n in range(5):
                draft = b.draft(seller, customer, f"i-{n}", at=AT + timedelta(days=n))
                tx.invoices.add(draft)
                issued.append(b.issue_in(tx, draft, seller, customer, at=AT + timedelta(days=n)))
        query = InvoiceQuery(statuses={Status.PENDING}, limit=2)
        with fresh(reopen, storage) as tx:
            first = tx.invoices.find("s-a", query)
        assert [i.id for i in first] == ["i-0", "i-1"]
        last = first[-1]
        with storage.transaction() as tx:
            tx.invoices.save(b.pay(last, last.amount_due, "p-1"), expected_version=last.version)
        with fresh(reopen, storage) as tx:
            second = tx.invoices.find(
                "s-a", InvoiceQuery(statuses={Status.PENDING}, limit=2, after=last.id)
            )
        assert [i.id for i in second] == ["i-2", "i-3"]
