"""T11 ``gapless_numbers_concurrent_sqlite``: gapless numbering on one SQLite file under contention.

8 ``spawn`` processes open the same file and, released together by a Barrier, each
issue their own drafts one ``issue()`` call at a time. Every issue sleeps 0-5 ms
right after taking its number (holding the write lock) and 10 % of them are forced
to roll back at ``before_commit``. The numbers committed must be exactly
INV-2026-00001..N: no duplicate, no gap, and the rolled-back issues took none (the
counter stands at N + 1 and those drafts are still drafts without a number). No raw
``sqlite3`` exception may escape; ConcurrencyErrors are counted and reported. The
whole store must then pass ``check_all``.

``INVOICEKIT_T11_PER_WORKER`` sets the issues per worker (500 in CI; the longer run
in docs/explanation/reliability.md takes 10,000).

The first test shows that the checker the big test relies on does see a gap, a
duplicate and a number taken by a lost transaction.
"""

from __future__ import annotations

import multiprocessing
import os
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import attrs
import pytest

import invoicekit as ik
from integration.workers import (
    CUSTOMER,
    NOW,
    SELLER,
    draft_ids,
    issue_drafts,
    make_store,
    open_billing,
)
from invoicekit.domain.invoice import Invoice
from invoicekit.testing import FixedClock
from invoicekit.testing.invariants import assert_all, check_all

pytestmark = pytest.mark.slow

WORKERS = 8
PER_WORKER = int(os.environ.get("INVOICEKIT_T11_PER_WORKER", "500"))
ROLLBACK_SHARE = 0.10
SEED = 11
#: How long the whole run may take on the 2-core CI machine (docs/explanation/reliability.md: ≤ 120 s).
BUDGET_SECONDS = 120.0


def number(seq: int) -> str:
    return f"INV-2026-{seq:05d}"


def test_the_checker_sees_gaps_duplicates_and_lost_numbers() -> None:
    billing = ik.Billing.in_memory(clock=FixedClock(NOW))
    billing.sellers.create(
        id=SELLER, name="Northwind", country="DE", currency="EUR", timezone="Europe/Berlin"
    )
    books = billing.seller(SELLER)
    books.customers.create("Globex", email="ap@globex.example", id=CUSTOMER)
    line = ik.Line("Web", quantity="1", unit_price="80.00", tax=ik.Vat("19"))
    drafts = [books.invoices.draft(CUSTOMER, lines=[line], id=f"i{k}") for k in range(4)]
    for d in drafts[:3]:
        books.invoices.issue(d.id)
    assert check_all(billing, SELLER) == []
    assert_all(billing, SELLER)

    # A number taken by a transaction that committed without an invoice: a hidden gap.
    with billing.storage.transaction() as tx:
        tx.sequences.next_value(SELLER, "invoice", "2026")
    found = check_all(billing, SELLER)
    assert len(found) == 1
    assert found[0].startswith("I3: ")
    assert "counter would hand out 5 next" in found[0]
    with pytest.raises(ik.InvariantViolationError, match="I3"):
        assert_all(billing, SELLER)

    # The next issue makes the gap visible in the numbers (4 is missing).
    books.invoices.issue(drafts[3].id)
    assert books.invoices.get(drafts[3].id).number == number(5)
    assert any("missing [4]" in v for v in check_all(billing, SELLER))

    # An invoice whose number is not in the series format (written behind the services' back).
    with billing.storage.transaction() as tx:
        first = tx.invoices.get(SELLER, "i0")
        tx.invoices.add(
            Invoice.draft(
                id="forged",
                seller=tx.sellers.get(SELLER),
                customer=tx.customers.get(SELLER, CUSTOMER),
                lines=[line],
                at=NOW,
            )
        )
        tx.invoices.save(attrs.evolve(first, id="forged", number="INV-2026-6"), expected_version=1)
    found = check_all(billing, SELLER)
    assert any("'INV-2026-6' is not in the format 'INV-{year}-{seq:05d}'" in v for v in found)
    # ...and the outbox has no InvoiceIssued record for it.
    assert any(v.startswith("I6: invoice INV-2026-6") for v in found)


def test_a_credit_note_number_agrees_with_its_issue_date_after_a_zone_change() -> None:
    # Found by check_all: credit() takes the counter period and the {year} of the number
    # from the seller's zone now, while the credit note's issue date comes from the zone
    # in the invoice's seller snapshot. After the seller moves zone they can disagree.
    clock = FixedClock(datetime(2026, 12, 31, 9, tzinfo=UTC))
    billing = ik.Billing.in_memory(clock=clock)
    billing.sellers.create(
        id=SELLER, name="Northwind", country="DE", currency="EUR", timezone="Europe/Berlin"
    )
    books = billing.seller(SELLER)
    books.customers.create("Globex", email="ap@globex.example", id=CUSTOMER)
    line = ik.Line("Web", quantity="1", unit_price="80.00", tax=ik.Vat("19"))
    books.invoices.issue(books.invoices.draft(CUSTOMER, lines=[line], id="i1").id)
    billing.sellers.update(SELLER, timezone="Pacific/Auckland")
    clock.set(datetime(2026, 12, 31, 12, tzinfo=UTC))  # 2027-01-01 01:00 in Auckland
    refund = ik.Line("Web", quantity="1", unit_price="10.00", tax=ik.Vat("19"))
    note = books.invoices.credit("i1", lines=[refund])
    # Either zone may win (T13 in docs/explanation/reliability.md: the seller's zone, i.e.
    # 2027 here), but the number's year and the issue date must agree, and the counter must
    # be that year's.
    assert note.number == f"CN-{note.issue_date.year}-00001"
    assert check_all(billing, SELLER) == []


def test_numbers_are_gapless_under_concurrent_issue(tmp_path: Path) -> None:
    path = tmp_path / "t11.sqlite"
    ids = {w: draft_ids(f"w{w}", PER_WORKER) for w in range(WORKERS)}
    make_store(path, [i for w in range(WORKERS) for i in ids[w]])

    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(WORKERS + 1)
    results = ctx.Queue()
    procs = [
        ctx.Process(
            target=issue_drafts,
            args=(str(path), ids[w]),
            kwargs={
                "seed": SEED * 100 + w,
                "rollback_share": ROLLBACK_SHARE,
                "barrier": barrier,
                "results": results,
            },
            name=f"t11-worker-{w}",
        )
        for w in range(WORKERS)
    ]
    for p in procs:
        p.start()
    barrier.wait(timeout=120)  # every worker has opened the file; go
    start = time.perf_counter()
    reports = [results.get(timeout=BUDGET_SECONDS * 3) for _ in procs]
    seconds = time.perf_counter() - start
    for p in procs:
        p.join(timeout=30)
    assert [p.exitcode for p in procs] == [0] * WORKERS

    committed = [pair for r in reports for pair in r["committed"]]
    rolled_back = [i for r in reports for i in r["rolled_back"]]
    concurrency = [e for r in reports for e in r["concurrency"]]
    raw = [e for r in reports for e in r["raw_sqlite"]]
    other = [e for r in reports for e in r["other"]]
    n = len(committed)
    print(  # noqa: T201 - the summary the issue asks for
        f"\nT11: {WORKERS} workers x {PER_WORKER} issues: N={n} committed, "
        f"{len(rolled_back)} rolled back, {len(concurrency)} ConcurrencyErrors, "
        f"{len(raw)} raw sqlite3 errors, {len(other)} other errors, {seconds:.1f} s"
    )
    assert raw == [], f"raw sqlite3 exceptions escaped: {raw[:5]}"
    assert other == [], f"unexpected errors: {other[:5]}"
    assert n + len(rolled_back) + len(concurrency) == WORKERS * PER_WORKER
    # The fault really fired (about 10 %), so "rolled back consumes no number" was tested.
    assert 0.05 * WORKERS * PER_WORKER <= len(rolled_back) <= 0.15 * WORKERS * PER_WORKER

    numbers = [num for _, num in committed]
    duplicates = sorted(k for k, c in Counter(numbers).items() if c > 1)
    assert duplicates == [], f"{len(duplicates)} duplicate numbers: {duplicates[:10]}"
    expected = {number(k) for k in range(1, n + 1)}
    assert set(numbers) == expected, (
        f"gaps {sorted(expected - set(numbers))[:10]}, extra {sorted(set(numbers) - expected)[:10]}"
    )

    billing = open_billing(path)
    try:
        books = billing.seller(SELLER)
        stored = _all_invoices(billing)
        issued = {inv.id: inv.number for inv in stored if inv.status is not ik.Status.DRAFT}
        assert issued == dict(committed)
        drafts = {inv.id for inv in stored if inv.status is ik.Status.DRAFT}
        assert drafts == set(rolled_back) | {e.split(":", 1)[0] for e in concurrency}
        assert all(inv.number is None for inv in stored if inv.status is ik.Status.DRAFT)
        with billing.storage.transaction(write=False) as tx:
            assert tx.sequences.peek(SELLER, "invoice", "2026") == n + 1
        assert (
            len([r for r in books.events.records(limit=10 * n) if r.kind == "InvoiceIssued"]) == n
        )
        assert check_all(billing, SELLER) == []
    finally:
        billing.close()


def _all_invoices(billing: ik.Billing) -> list[Invoice]:
    books = billing.seller(SELLER)
    found: list[Invoice] = []
    after: str | None = None
    while page := books.invoices.list(limit=1000, after=after):
        found += page
        after = page[-1].id
    return found
