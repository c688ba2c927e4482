"""The contract of ``Storage.transaction``: all or nothing, read-only, no nesting, durable, serial.

Every check reads back through ``reopen`` (a fresh instance), and the threaded
checks give each worker its own instance, as separate processes would have.
"""

# ruff: noqa: S101, PLR2004
# (a contract suite checks with assert and literal expected values, as tests do;
# pytest rewrites these modules for readable failures)

from __future__ import annotations

import threading
from collections.abc import Callable
from functools import partial
from typing import Any, Final

import attrs
import pytest

from invoicekit.domain.invoice import Invoice
from invoicekit.domain.status import Status
from invoicekit.errors import ConcurrencyError, NotFoundError, StorageError
from invoicekit.ports import Storage, Transaction
from invoicekit.testing.contracts import storage_builders as b
from invoicekit.testing.contracts.storage_base import StorageFixtures
from invoicekit.testing.contracts.storage_builders import AT, Reopen, fresh

__all__ = ["TransactionsContract"]

_KEYS: Final = ("key-1", "key-2")
_THREAD_TIMEOUT: Final = 120.0


class _Rollback(Exception):  # noqa: N818 - a signal, not an error
    """Raised on purpose to roll a transaction back."""


def _baseline(storage: Storage) -> tuple[Invoice, Invoice]:
    """Commit a seller with a customer, a draft, an issued invoice and a pending outbox record."""
    seller, customer = b.seller("s-1"), b.customer("s-1", "c-1")
    with storage.transaction() as tx:
        tx.sellers.add(seller)
        tx.customers.add(customer)
        draft, other = b.draft(seller, customer, "i-1"), b.draft(seller, customer, "i-2")
        tx.invoices.add(draft)
        tx.invoices.add(other)
        issued = b.issue_in(tx, other, seller, customer)
        tx.outbox.append([b.outbox_record("s-1", "k-1", invoice_id="i-2")])
    return draft, issued


def _write_everything(tx: Transaction, draft: Invoice, issued: Invoice) -> None:
    """One write to every repository (and two to some), on top of ``_baseline``."""
    seller, customer = b.seller("s-1"), b.customer("s-1", "c-1")
    tx.sellers.add(b.seller("s-2"))
    tx.sellers.update(attrs.evolve(seller, name="Renamed"))
    tx.customers.add(b.customer("s-1", "c-2"))
    tx.customers.update(attrs.evolve(customer, archived=True))
    tx.invoices.add(b.draft(seller, customer, "i-3"))
    b.issue_in(tx, draft, seller, customer)
    credited, note = b.credit(b.pay(issued, "20.00", "p-1"), "cn-1", "CN-2026-00001")
    tx.invoices.save(credited, expected_version=issued.version)
    tx.credit_notes.add(note)
    tx.sequences.next_value("s-1", "credit_note", "2026")
    tx.outbox.append([b.outbox_record("s-1", "k-2")])
    tx.outbox.mark_delivered(["k-1"], at=AT)
    tx.outbox.mark_failed("k-2", error="451")
    tx.idempotency.put(b.idempotency_record("s-1", "key-1"))


def _state(reopen: Reopen, storage: Storage) -> dict[str, Any]:
    with fresh(reopen, storage) as tx:
        return b.observe(tx, idempotency_keys=_KEYS)


def _in_threads(count: int, work: Callable[[int], None]) -> None:
    """Run ``work(i)`` in ``count`` threads; re-raise the first failure; fail on a hang."""
    errors: list[BaseException] = []

    def run(i: int) -> None:
        try:
            work(i)
        except BaseException as exc:  # noqa: BLE001 - handed to the test thread below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(_THREAD_TIMEOUT)
    assert not any(t.is_alive() for t in threads), "a worker hung (a lock never released?)"
    if errors:
        raise errors[0]


class TransactionsContract(StorageFixtures):
    """Units of work: commit and rollback as a whole, read-only, not nested, durable, serial."""

    def test_an_exception_rolls_back_every_repository(
        self, storage: Storage, reopen: Reopen
    ) -> None:
        """A block that raises leaves no trace in any repository, and its exception propagates.

        Sellers, customers, invoices, credit notes, counters, the outbox (appends and
        marks) and idempotency records all read back as before, from a fresh instance.
        """
        draft, issued = _baseline(storage)
        before = _state(reopen, storage)
        boom = _Rollback("on purpose")
        with pytest.raises(_Rollback) as caught, storage.transaction() as tx:  # noqa: PT012 - the body is what rolls back
            _write_everything(tx, draft, issued)
            raise boom
        assert caught.value is boom
        assert _state(reopen, storage) == before
        with fresh(reopen, storage) as tx, pytest.raises(NotFoundError):
            tx.sellers.get("s-2")

    def test_a_commit_is_visible_from_a_fresh_instance(
        self, storage: Storage, reopen: Reopen
    ) -> None:
        """Everything a committed block wrote is read back from a fresh instance, as written."""
        draft, issued = _baseline(storage)
        with storage.transaction() as tx:
            _write_everything(tx, draft, issued)
            inside = b.observe(tx, idempotency_keys=_KEYS)
        after = _state(reopen, storage)
        assert after == inside
        assert after["s-1"]["credit_notes"]["i-2"][0].number == "CN-2026-00001"
        assert [s.id for s in after["sellers"]] == ["s-1", "s-2"]
        assert after["s-1"]["counters"][("credit_note", "2026")] == 2
        assert after["s-1"]["idempotency"]["key-1"] is not None
        assert [view[0].key for view in after["pending"]] == ["k-2"]

    def test_storage_works_after_a_rollback(self, storage: Storage, reopen: Reopen) -> None:
        """After a rolled-back block, the next block writes and commits normally."""
        with pytest.raises(_Rollback), storage.transaction() as tx:  # noqa: PT012 - the body is what rolls back
            tx.sellers.add(b.seller("s-1"))
            raise _Rollback
        with storage.transaction() as tx:
            tx.sellers.add(b.seller("s-1"))
        with fresh(reopen, storage) as tx:
            assert tx.sellers.list() == [b.seller("s-1")]

    def test_a_read_only_transaction_refuses_writes(self, storage: Storage, reopen: Reopen) -> None:
        """A write in ``transaction(write=False)`` raises StorageError and stores nothing.

        Checked for a row, a counter, an outbox record and an idempotency record; reads
        in a read-only transaction see committed data.
        """
        _baseline(storage)
        before = _state(reopen, storage)
        writes: dict[str, Callable[[Transaction], object]] = {
            "sellers.add": lambda tx: tx.sellers.add(b.seller("s-2")),
            "sequences.next_value": lambda tx: tx.sequences.next_value("s-1", "invoice", "2026"),
            "outbox.append": lambda tx: tx.outbox.append([b.outbox_record("s-1", "k-9")]),
            "idempotency.put": lambda tx: tx.idempotency.put(b.idempotency_record("s-1", "k")),
        }
        for name, write in writes.items():
            with pytest.raises(StorageError), storage.transaction(write=False) as tx:  # noqa: PT012 - the refusal may come at the write or at the end of the block
                assert tx.sellers.get("s-1") == b.seller("s-1")
                write(tx)
            assert _state(reopen, storage) == before, name

    def test_transactions_do_not_nest(self, storage: Storage, reopen: Reopen) -> None:
        """Opening a transaction inside an open one raises StorageError; the outer rolls back."""
        with pytest.raises(StorageError), storage.transaction() as tx:  # noqa: PT012 - the nested block is the act
            tx.sellers.add(b.seller("s-1"))
            with storage.transaction() as inner:
                inner.sellers.add(b.seller("s-2"))
        with storage.transaction() as tx:
            assert tx.sellers.list() == []
            tx.sellers.add(b.seller("s-3"))
        with fresh(reopen, storage) as tx:
            assert [s.id for s in tx.sellers.list()] == ["s-3"]

    def test_concurrent_numbering_is_gapless(self, storage: Storage, reopen: Reopen) -> None:
        """Four workers on their own instances take numbers, some rolling back: no duplicate, no gap.

        I3 under contention: the committed values are exactly 1..n. A ConcurrencyError
        (a lock held past the busy timeout) is retried, as services do.
        """
        if not self.supports_threads:
            pytest.skip("the adapter does not support instances in several threads")
        committed: list[int] = []
        guard = threading.Lock()

        def work(worker: int) -> None:
            mine = reopen(storage)
            try:
                for n in range(25):
                    rollback = (n + worker) % 4 == 0
                    value = _retrying(partial(_take, mine, rollback=rollback))
                    if value is not None:
                        with guard:
                            committed.append(value)
            finally:
                if mine is not storage:
                    mine.close()

        _in_threads(4, work)
        assert sorted(committed) == list(range(1, len(committed) + 1))
        with fresh(reopen, storage) as tx:
            assert tx.sequences.peek("s-1", "invoice", "2026") == len(committed) + 1

    def test_one_of_two_saves_from_the_same_version_wins(
        self, storage: Storage, reopen: Reopen
    ) -> None:
        """Two workers read version v and both save: exactly one commits, the other gets ConcurrencyError.

        The stored invoice is the winner's, read through a fresh instance.
        """
        if not self.supports_threads:
            pytest.skip("the adapter does not support instances in several threads")
        _, issued = _baseline(storage)
        barrier = threading.Barrier(2, timeout=_THREAD_TIMEOUT)
        outcomes: dict[int, object] = {}

        def work(worker: int) -> None:
            mine = reopen(storage)
            try:
                with mine.transaction(write=False) as tx:
                    seen = tx.invoices.get("s-1", "i-2")
                barrier.wait()
                paid = b.pay(seen, f"{worker + 1}.00", f"p-{worker}")
                try:
                    with mine.transaction() as tx:
                        tx.invoices.save(paid, expected_version=seen.version)
                except ConcurrencyError as exc:
                    outcomes[worker] = exc
                else:
                    outcomes[worker] = paid
            finally:
                if mine is not storage:
                    mine.close()

        _in_threads(2, work)
        winners = [o for o in outcomes.values() if isinstance(o, Invoice)]
        assert len(winners) == 1, outcomes
        assert sum(isinstance(o, ConcurrencyError) for o in outcomes.values()) == 1
        with fresh(reopen, storage) as tx:
            stored = tx.invoices.get("s-1", "i-2")
        assert stored == winners[0]
        assert stored.version == issued.version + 1
        assert stored.status is Status.PARTIALLY_PAID


def _take(storage: Storage, *, rollback: bool) -> int | None:
    """Take one number; return it if committed, None if rolled back on purpose."""
    try:
        with storage.transaction() as tx:
            value = tx.sequences.next_value("s-1", "invoice", "2026")
            if rollback:
                raise _Rollback
    except _Rollback:
        return None
    return value


def _retrying(take: Callable[[], int | None]) -> int | None:
    """Call ``take`` again while it raises a retryable ConcurrencyError (at most 50 times)."""
    for _ in range(49):
        try:
            return take()
        except ConcurrencyError as exc:
            if getattr(exc, "retryable", True) is False:
                raise
    return take()
