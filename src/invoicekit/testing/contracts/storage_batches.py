"""The contract of the batch methods: ``get_many``, ``add_many``, ``save_many``, ``next_values``.

Each behaves as the single-row method it batches, in order, and a failure of any
row leaves nothing of the batch once the transaction rolls back (I3: no number used).
"""

# ruff: noqa: S101
# (a contract suite checks with assert, as tests do; pytest rewrites these modules)

from __future__ import annotations

import pytest

from invoicekit.domain import lifecycle
from invoicekit.domain.invoice import Invoice
from invoicekit.errors import ConcurrencyError, DuplicateError, NotFoundError
from invoicekit.ports import InvoiceSave, Storage
from invoicekit.testing.contracts import storage_builders as b
from invoicekit.testing.contracts.storage_base import StorageFixtures
from invoicekit.testing.contracts.storage_builders import AT, Reopen, fresh

__all__ = ["BatchesContract"]


def _drafts(storage: Storage, count: int, seller_id: str = "s-1") -> list[Invoice]:
    """A seller with customer ``c-1`` and ``count`` stored drafts ``i-0`` ..."""
    seller, customer = b.seller(seller_id), b.customer(seller_id, "c-1")
    drafts = [b.draft(seller, customer, f"i-{k}", amount=f"{10 + k}.00") for k in range(count)]
    with storage.transaction() as tx:
        tx.sellers.add(seller)
        tx.customers.add(customer)
        tx.invoices.add_many(drafts)
    return drafts


def _issued(drafts: list[Invoice], first: int) -> list[InvoiceSave]:
    """The saves that issue ``drafts`` with numbers from ``first`` on (freezing them)."""
    seller, customer = b.seller("s-1"), b.customer("s-1", "c-1")
    saves = []
    for k, draft in enumerate(drafts):
        command = lifecycle.Issue(
            number=f"INV-2026-{first + k:05d}", seller=seller, customer=customer
        )
        issued, _ = lifecycle.apply(draft, command, at=AT)
        saves.append(InvoiceSave(issued, draft.version, freeze=True))
    return saves


def _take_and_fail(storage: Storage) -> None:
    """Take a block of 500 numbers, then fail: the transaction rolls back."""
    with storage.transaction() as tx:
        tx.sequences.next_values("s-1", "invoice", "2026", 500)
        raise RuntimeError("roll back")


class BatchesContract(StorageFixtures):
    """Batch reads and writes: the single-row behaviour, in order, all or nothing."""

    def test_add_many_then_get_many_round_trips_in_the_order_asked(
        self, storage: Storage, reopen: Reopen
    ) -> None:
        """Drafts added in one call read back equal, in the order of the ids (repeats too)."""
        drafts = _drafts(storage, 5)
        ids = ["i-3", "i-0", "i-4", "i-0"]
        with fresh(reopen, storage) as tx:
            assert tx.invoices.get_many("s-1", ids) == [drafts[3], drafts[0], drafts[4], drafts[0]]
            assert tx.invoices.get_many("s-1", []) == []
        with storage.transaction() as tx:
            assert tx.invoices.get_many("s-1", ids, for_update=True)[0] == drafts[3]

    def test_get_many_refuses_a_missing_or_foreign_id(self, storage: Storage) -> None:
        """NotFoundError names the id that is not the seller's."""
        _drafts(storage, 2)
        _drafts(storage, 1, seller_id="s-2")
        with storage.transaction(write=False) as tx:
            with pytest.raises(NotFoundError, match="i-9"):
                tx.invoices.get_many("s-1", ["i-0", "i-9"])
            assert [i.id for i in tx.invoices.get_many("s-2", ["i-0"])] == ["i-0"]
            assert tx.invoices.get_many("s-2", ["i-0"])[0].seller_id == "s-2"
            with pytest.raises(NotFoundError, match="i-1"):
                tx.invoices.get_many("s-2", ["i-0", "i-1"])

    def test_add_many_is_all_or_nothing(self, storage: Storage, reopen: Reopen) -> None:
        """One id already stored (or given twice) refuses the batch; none of it is stored."""
        drafts = _drafts(storage, 2)
        seller, customer = b.seller("s-1"), b.customer("s-1", "c-1")
        new = [b.draft(seller, customer, f"n-{k}") for k in range(3)]
        for batch in ([*new, drafts[1]], [*new, new[0]]):
            with pytest.raises(DuplicateError), storage.transaction() as tx:
                tx.invoices.add_many(batch)
            with fresh(reopen, storage) as tx, pytest.raises(NotFoundError):
                tx.invoices.get_many("s-1", ["n-0"])

    def test_save_many_issues_a_batch_with_hashes(self, storage: Storage, reopen: Reopen) -> None:
        """Saved invoices read back equal, hash checked, numbers findable."""
        drafts = _drafts(storage, 4)
        saves = _issued(drafts, 1)
        with storage.transaction() as tx:
            tx.invoices.save_many(saves)
            tx.invoices.save_many([])
        with fresh(reopen, storage) as tx:
            assert tx.invoices.get_many("s-1", [d.id for d in drafts]) == [s.invoice for s in saves]
            assert tx.invoices.get_by_number("s-1", "INV-2026-00003") == saves[2].invoice

    def test_save_many_is_all_or_nothing(self, storage: Storage, reopen: Reopen) -> None:
        """A stale version or a taken number in row 3 of 4 leaves all four drafts as they were."""
        drafts = _drafts(storage, 5)
        with storage.transaction() as tx:
            tx.invoices.save_many(_issued(drafts[4:], 3))  # i-4 holds INV-2026-00003
        stale = _issued(drafts[:4], 1)
        stale[2] = stale[2]._replace(expected_version=drafts[2].version + 7)
        taken = _issued(drafts[:4], 1)
        taken[2] = _issued(drafts[2:3], 3)[0]
        for saves, error in ((stale, ConcurrencyError), (taken, DuplicateError)):
            with pytest.raises(error), storage.transaction() as tx:
                tx.invoices.save_many(saves)
            with fresh(reopen, storage) as tx:
                assert tx.invoices.get_many("s-1", [d.id for d in drafts[:4]]) == drafts[:4]

    def test_save_many_refuses_a_missing_invoice(self, storage: Storage) -> None:
        """NotFoundError for an invoice that was never stored, as ``save`` raises it."""
        drafts = _drafts(storage, 1)
        seller, customer = b.seller("s-1"), b.customer("s-1", "c-1")
        ghost = b.draft(seller, customer, "ghost")
        with pytest.raises(NotFoundError), storage.transaction() as tx:
            tx.invoices.save_many([*_issued(drafts, 1), InvoiceSave(ghost, ghost.version)])

    def test_next_values_takes_a_gapless_block(self, storage: Storage, reopen: Reopen) -> None:
        """A block continues the counter, ``next_value`` continues after it; a rollback returns it."""
        _drafts(storage, 0)
        with storage.transaction() as tx:
            taken = [
                tx.sequences.next_values("s-1", "invoice", "2026", 3),
                tx.sequences.next_value("s-1", "invoice", "2026"),
                tx.sequences.next_values("s-1", "invoice", "2026", 1),
                tx.sequences.next_values("s-1", "invoice", "2027", 2),
            ]
        assert taken == [1, 4, 5, 1]
        with pytest.raises(RuntimeError, match="roll back"):
            _take_and_fail(storage)
        with fresh(reopen, storage) as tx:
            counters = [tx.sequences.peek("s-1", "invoice", p) for p in ("2026", "2027")]
            counters.append(tx.sequences.peek("s-2", "invoice", "2026"))
        assert counters == [6, 3, 1]
