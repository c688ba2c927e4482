"""The contract of the invoice repository: round trips, versions, numbers (I3) and immutability (I4)."""

# ruff: noqa: S101
# (a contract suite checks with assert, as tests do; pytest rewrites these modules)

from __future__ import annotations

from collections.abc import Callable

import attrs
import pytest

from invoicekit.domain import lifecycle
from invoicekit.domain.line import Line
from invoicekit.domain.standalone_credit import standalone_credit_note
from invoicekit.domain.status import Status
from invoicekit.domain.tax import Vat
from invoicekit.errors import (
    ConcurrencyError,
    DuplicateError,
    NotFoundError,
    StorageError,
)
from invoicekit.ports import InvoiceQuery, Storage
from invoicekit.testing.contracts import storage_builders as b
from invoicekit.testing.contracts.storage_base import StorageFixtures
from invoicekit.testing.contracts.storage_builders import AT, Reopen, fresh

__all__ = ["InvoicesContract"]


def _setup(storage: Storage, *seller_ids: str) -> None:
    """Store sellers with one customer ``c-1`` each."""
    with storage.transaction() as tx:
        for seller_id in seller_ids:
            tx.sellers.add(b.seller(seller_id))
            tx.customers.add(b.customer(seller_id, "c-1"))


class InvoicesContract(StorageFixtures):
    """Invoices: what is written reads back equal; versions, numbers and drafts are enforced."""

    def test_draft_round_trips(self, storage: Storage, reopen: Reopen) -> None:
        """A stored draft reads back equal (policy and metadata included) from a fresh instance."""
        _setup(storage, "s-1")
        draft = b.draft(b.seller("s-1"), b.customer("s-1", "c-1"), "i-1", memo="Thanks!")
        with storage.transaction() as tx:
            tx.invoices.add(draft)
        with fresh(reopen, storage) as tx:
            stored = tx.invoices.get("s-1", "i-1")
        assert stored == draft
        assert stored.policy == draft.policy
        assert dict(stored.metadata) == dict(draft.metadata)

    def test_invoice_round_trips_through_its_lifecycle(
        self, storage: Storage, reopen: Reopen
    ) -> None:
        """Issued, part-paid and credited invoices read back equal; the issue-time hash stays valid.

        The content hash is given once, at issue; later saves of payments and credits
        pass none, and reads must neither fail nor drop it (I4's integrity check).
        """
        _setup(storage, "s-1")
        seller, customer = b.seller("s-1"), b.customer("s-1", "c-1")
        draft = b.draft(seller, customer, "i-1", amount="250.00")
        with storage.transaction() as tx:
            tx.invoices.add(draft)
            issued = b.issue_in(tx, draft, seller, customer)
        paid = b.pay(issued, "100.00", "pay-1")
        credited, note = b.credit(paid, "cn-1", "CN-2026-00001")
        for before, after in ((issued, paid), (paid, credited)):
            with storage.transaction() as tx:
                tx.invoices.save(after, expected_version=before.version)
            with fresh(reopen, storage) as tx:
                assert tx.invoices.get("s-1", "i-1") == after
                assert tx.invoices.get("s-1", "i-1", for_update=False).policy == after.policy
                assert tx.invoices.get_by_number("s-1", issued.number or "") == after
        assert credited.status is Status.PARTIALLY_PAID
        assert note.invoice_id == "i-1"

    def test_a_standalone_credit_note_round_trips(self, storage: Storage, reopen: Reopen) -> None:
        """A credit note of no stored invoice (EN 16931 BT-25 optional) is stored and read back.

        It is listed under no invoice, and its number is still unique among the seller's.
        """
        _setup(storage, "s-1")
        seller, customer = b.seller("s-1"), b.customer("s-1", "c-1")
        line = Line("Goodwill credit", quantity="1", unit_price="10.00", tax=Vat("19"))
        note, named = (
            standalone_credit_note(
                id=f"cn-{n}",
                number=f"CN-2026-0000{n}",
                seller=seller,
                customer=customer,
                lines=[line],
                issue_date=AT.date(),
                issued_at=AT,
                preceding=preceding,
            )
            for n, preceding in ((1, None), (2, "OLD-77"))
        )
        with storage.transaction() as tx:
            tx.credit_notes.add(note)
            tx.credit_notes.add(named)
        with fresh(reopen, storage) as tx:
            assert tx.credit_notes.get("s-1", "cn-1") == note
            assert tx.credit_notes.get("s-1", "cn-2") == named
            assert tx.credit_notes.for_invoice("s-1", "OLD-77") == []
        same_number = attrs.evolve(note, id="cn-3")
        with pytest.raises(DuplicateError), storage.transaction() as tx:
            tx.credit_notes.add(same_number)
        assert note.invoice_id is None
        assert named.invoice_number == "OLD-77"

    def test_invoice_id_is_unique_per_seller(self, storage: Storage, reopen: Reopen) -> None:
        """Adding an invoice id twice raises DuplicateError and keeps the first invoice."""
        _setup(storage, "s-1")
        first = b.draft(b.seller("s-1"), b.customer("s-1", "c-1"), "i-1")
        with storage.transaction() as tx:
            tx.invoices.add(first)
        other = b.draft(b.seller("s-1"), b.customer("s-1", "c-1"), "i-1", amount="5.00")
        with pytest.raises(DuplicateError), storage.transaction() as tx:
            tx.invoices.add(other)
        with fresh(reopen, storage) as tx:
            assert tx.invoices.get("s-1", "i-1") == first

    def test_unknown_invoice_is_not_found(self, storage: Storage) -> None:
        """Every invoice method given an unknown id raises NotFoundError(kind 'invoice', key)."""
        _setup(storage, "s-1")
        ghost = b.draft(b.seller("s-1"), b.customer("s-1", "c-1"), "i-x")
        with storage.transaction() as tx:
            calls: dict[str, Callable[[], object]] = {
                "get": lambda: tx.invoices.get("s-1", "i-x"),
                "get for update": lambda: tx.invoices.get("s-1", "i-x", for_update=True),
                "save": lambda: tx.invoices.save(ghost, expected_version=1),
                "delete": lambda: tx.invoices.delete("s-1", "i-x", expected_version=1),
            }
            for name, call in calls.items():
                with pytest.raises(NotFoundError) as caught:
                    call()
                assert (caught.value.kind, caught.value.key) == ("invoice", "i-x"), name
            with pytest.raises(NotFoundError) as by_number:
                tx.invoices.get_by_number("s-1", "INV-2026-99999")
            assert (by_number.value.kind, by_number.value.key) == ("invoice", "INV-2026-99999")
            assert tx.invoices.find("s-1", InvoiceQuery()) == []

    def test_stale_version_raises_concurrency_error_and_changes_nothing(
        self, storage: Storage, reopen: Reopen
    ) -> None:
        """``save`` and ``delete`` with any version but the stored one raise ConcurrencyError.

        The stored invoice is unchanged, read back through a fresh instance.
        """
        _setup(storage, "s-1")
        seller, customer = b.seller("s-1"), b.customer("s-1", "c-1")
        draft = b.draft(seller, customer, "i-1")
        with storage.transaction() as tx:
            tx.invoices.add(draft)
            issued = b.issue_in(tx, draft, seller, customer)
        paid = b.pay(issued, "50.00", "pay-1")
        for stale in (draft.version, issued.version + 1, 0):
            with pytest.raises(ConcurrencyError), storage.transaction() as tx:
                tx.invoices.save(paid, expected_version=stale)
        with storage.transaction() as tx:
            tx.invoices.add(b.draft(seller, customer, "i-2"))
        with pytest.raises(ConcurrencyError), storage.transaction() as tx:
            tx.invoices.delete("s-1", "i-2", expected_version=2)
        with fresh(reopen, storage) as tx:
            assert tx.invoices.get("s-1", "i-1") == issued
            assert tx.invoices.get("s-1", "i-2").version == 1

    def test_stale_version_conflict_is_not_retryable(self, storage: Storage) -> None:
        """The ConcurrencyError of a stale ``expected_version`` says ``retryable=False``.

        A retry with the same stale version cannot succeed; only lock and serialization
        conflicts are retryable (errors.ConcurrencyError).
        """
        _setup(storage, "s-1")
        draft = b.draft(b.seller("s-1"), b.customer("s-1", "c-1"), "i-1")
        with storage.transaction() as tx:
            tx.invoices.add(draft)
        with pytest.raises(ConcurrencyError) as caught, storage.transaction() as tx:
            tx.invoices.save(draft, expected_version=draft.version + 1)
        assert getattr(caught.value, "retryable", False) is False

    def test_a_number_belongs_to_one_invoice_of_a_seller(
        self, storage: Storage, reopen: Reopen
    ) -> None:
        """Saving a second invoice with a number the seller already used raises DuplicateError (I3).

        Nothing changes; the same number stays free for another seller, and re-saving
        the owner (a payment) keeps its number.
        """
        _setup(storage, "s-1", "s-2")
        seller, customer = b.seller("s-1"), b.customer("s-1", "c-1")
        first, second = b.draft(seller, customer, "i-1"), b.draft(seller, customer, "i-2")
        with storage.transaction() as tx:
            tx.invoices.add(first)
            tx.invoices.add(second)
            issued = b.issue_in(tx, first, seller, customer)
        number = issued.number or ""
        clash, _ = lifecycle.apply(
            second, lifecycle.Issue(number=number, seller=seller, customer=customer), at=AT
        )
        with pytest.raises(DuplicateError), storage.transaction() as tx:
            tx.invoices.save(clash, expected_version=second.version)
        other_seller, other_customer = b.seller("s-2"), b.customer("s-2", "c-1")
        elsewhere = b.draft(other_seller, other_customer, "i-1")
        same_number, _ = lifecycle.apply(
            elsewhere,
            lifecycle.Issue(number=number, seller=other_seller, customer=other_customer),
            at=AT,
        )
        with storage.transaction() as tx:
            tx.invoices.add(elsewhere)
            tx.invoices.save(same_number, expected_version=elsewhere.version)
            tx.invoices.save(b.pay(issued, "1.00", "p-1"), expected_version=issued.version)
        with fresh(reopen, storage) as tx:
            assert tx.invoices.get("s-1", "i-2") == second
            assert tx.invoices.get_by_number("s-1", number).id == "i-1"
            assert tx.invoices.get_by_number("s-2", number) == same_number

    def test_voided_invoice_keeps_its_number(self, storage: Storage, reopen: Reopen) -> None:
        """A void invoice is still found by its number, and no other invoice can take it (I3)."""
        _setup(storage, "s-1")
        seller, customer = b.seller("s-1"), b.customer("s-1", "c-1")
        first, second = b.draft(seller, customer, "i-1"), b.draft(seller, customer, "i-2")
        with storage.transaction() as tx:
            tx.invoices.add(first)
            tx.invoices.add(second)
            issued = b.issue_in(tx, first, seller, customer)
            void = b.move_to(issued, Status.VOID)
            tx.invoices.save(void, expected_version=issued.version)
        number = issued.number or ""
        clash, _ = lifecycle.apply(
            second, lifecycle.Issue(number=number, seller=seller, customer=customer), at=AT
        )
        with pytest.raises(DuplicateError), storage.transaction() as tx:
            tx.invoices.save(clash, expected_version=second.version)
        with fresh(reopen, storage) as tx:
            assert tx.invoices.get_by_number("s-1", number) == void
            assert tx.invoices.get("s-1", "i-2") == second

    def test_drafts_are_deleted_issued_invoices_never(
        self, storage: Storage, reopen: Reopen
    ) -> None:
        """``delete`` removes a draft; on an issued invoice it raises StorageError and keeps it."""
        _setup(storage, "s-1")
        seller, customer = b.seller("s-1"), b.customer("s-1", "c-1")
        first, second = b.draft(seller, customer, "i-1"), b.draft(seller, customer, "i-2")
        with storage.transaction() as tx:
            tx.invoices.add(first)
            tx.invoices.add(second)
            issued = b.issue_in(tx, second, seller, customer)
        with storage.transaction() as tx:
            tx.invoices.delete("s-1", "i-1", expected_version=first.version)
        with pytest.raises(StorageError), storage.transaction() as tx:
            tx.invoices.delete("s-1", "i-2", expected_version=issued.version)
        with fresh(reopen, storage) as tx:
            with pytest.raises(NotFoundError):
                tx.invoices.get("s-1", "i-1")
            assert tx.invoices.get("s-1", "i-2") == issued
            assert tx.invoices.find("s-1", InvoiceQuery()) == [issued]
        with storage.transaction() as tx:
            tx.invoices.add(first)  # a deleted draft's id can be used again
        with fresh(reopen, storage) as tx:
            assert tx.invoices.get("s-1", "i-1") == first

    def test_a_transaction_reads_its_own_writes(self, storage: Storage) -> None:
        """Inside one transaction, ``get``, ``get_by_number`` and ``find`` see what it wrote."""
        _setup(storage, "s-1")
        seller, customer = b.seller("s-1"), b.customer("s-1", "c-1")
        draft = b.draft(seller, customer, "i-1")
        with storage.transaction() as tx:
            tx.invoices.add(draft)
            assert tx.invoices.get("s-1", "i-1") == draft
            issued = b.issue_in(tx, draft, seller, customer)
            assert tx.invoices.get("s-1", "i-1", for_update=True) == issued
            assert tx.invoices.get_by_number("s-1", issued.number or "") == issued
            assert tx.invoices.find("s-1", InvoiceQuery()) == [issued]

    def test_changed_issued_content_is_caught(self, storage: Storage, reopen: Reopen) -> None:
        """An issued invoice saved with other frozen content is refused or caught on read (I4).

        The issue-time content hash no longer matches, so either ``save`` raises
        StorageError or the next ``get`` raises StorageError (an IntegrityError); it is never returned
        as if it were the issued document.
        """
        _setup(storage, "s-1")
        seller, customer = b.seller("s-1"), b.customer("s-1", "c-1")
        draft = b.draft(seller, customer, "i-1")
        with storage.transaction() as tx:
            tx.invoices.add(draft)
            issued = b.issue_in(tx, draft, seller, customer)
        forged_line = Line("Consulting", quantity="1", unit_price="1.00", tax=Vat("19"))
        forged = attrs.evolve(issued, lines=(forged_line,), version=issued.version + 1)
        try:
            with storage.transaction() as tx:
                tx.invoices.save(forged, expected_version=issued.version)
        except StorageError:
            with fresh(reopen, storage) as tx:
                assert tx.invoices.get("s-1", "i-1") == issued
            return
        with pytest.raises(StorageError), fresh(reopen, storage) as tx:
            tx.invoices.get("s-1", "i-1")
