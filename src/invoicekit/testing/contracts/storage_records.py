"""The contract of the credit-note, sequence, outbox and idempotency repositories (I3, I5, I6)."""

# ruff: noqa: S101, PLR2004
# (a contract suite checks with assert and literal expected values, as tests do;
# pytest rewrites these modules for readable failures)

from __future__ import annotations

from datetime import timedelta

import attrs
import pytest

from invoicekit.errors import DuplicateError, NotFoundError
from invoicekit.ports import OutboxRecord, Storage
from invoicekit.testing.contracts import storage_builders as b
from invoicekit.testing.contracts.storage_base import StorageFixtures
from invoicekit.testing.contracts.storage_builders import AT, Reopen, fresh

__all__ = ["RecordsContract"]


def _same_record(got: OutboxRecord, written: OutboxRecord) -> bool:
    """Equal apart from the storage-assigned position, payload included."""
    return attrs.evolve(got, position=None) == written and got.payload == written.payload


class RecordsContract(StorageFixtures):
    """Credit notes, number counters, the outbox and idempotency records."""

    # ------------------------------------------------------------------ credit notes

    def test_credit_notes_round_trip_in_issue_order(self, storage: Storage, reopen: Reopen) -> None:
        """Stored credit notes read back equal; ``for_invoice`` lists one invoice's in issue order."""
        seller, customer = b.seller("s-1"), b.customer("s-1", "c-1")
        with storage.transaction() as tx:
            tx.sellers.add(seller)
            tx.customers.add(customer)
            draft, other = b.draft(seller, customer, "i-1"), b.draft(seller, customer, "i-2")
            tx.invoices.add(draft)
            tx.invoices.add(other)
            issued = b.issue_in(tx, draft, seller, customer)
            issued_other = b.issue_in(tx, other, seller, customer)
        once, first = b.credit(issued, "cn-b", "CN-2026-00001", "10.00", at=AT)
        _, second = b.credit(once, "cn-a", "CN-2026-00002", "5.00", at=AT + timedelta(hours=1))
        _, elsewhere = b.credit(issued_other, "cn-c", "CN-2026-00003", "1.00")
        with storage.transaction() as tx:
            for note in (second, elsewhere, first):
                tx.credit_notes.add(note)
        with fresh(reopen, storage) as tx:
            assert tx.credit_notes.get("s-1", "cn-b") == first
            assert tx.credit_notes.get("s-1", "cn-a") == second
            assert tx.credit_notes.for_invoice("s-1", "i-1") == [first, second]
            assert tx.credit_notes.for_invoice("s-1", "i-2") == [elsewhere]
            assert tx.credit_notes.for_invoice("s-1", "i-none") == []

    def test_credit_note_id_and_number_are_unique(self, storage: Storage, reopen: Reopen) -> None:
        """A second note with a stored id, or with a stored number, raises DuplicateError."""
        seller, customer = b.seller("s-1"), b.customer("s-1", "c-1")
        with storage.transaction() as tx:
            tx.sellers.add(seller)
            tx.customers.add(customer)
            draft = b.draft(seller, customer, "i-1")
            tx.invoices.add(draft)
            issued = b.issue_in(tx, draft, seller, customer)
        _, note = b.credit(issued, "cn-1", "CN-2026-00001")
        _, same_id = b.credit(issued, "cn-1", "CN-2026-00002")
        _, same_number = b.credit(issued, "cn-2", "CN-2026-00001")
        with storage.transaction() as tx:
            tx.credit_notes.add(note)
        for clash in (same_id, same_number):
            with pytest.raises(DuplicateError), storage.transaction() as tx:
                tx.credit_notes.add(clash)
        with fresh(reopen, storage) as tx:
            assert tx.credit_notes.for_invoice("s-1", "i-1") == [note]
            with pytest.raises(NotFoundError) as caught:
                tx.credit_notes.get("s-1", "cn-2")
            assert (caught.value.kind, caught.value.key) == ("credit note", "cn-2")

    # ------------------------------------------------------------------ sequences

    def test_counters_count_from_one_each(self, storage: Storage, reopen: Reopen) -> None:
        """``next_value`` gives 1, 2, 3 ... per (seller, series, period), each counter on its own."""
        keys = [
            ("s-1", "invoice", "2026"),
            ("s-1", "invoice", "2027"),
            ("s-1", "credit_note", "2026"),
            ("s-2", "invoice", "2026"),
        ]
        taken: dict[tuple[str, str, str], list[int]] = {key: [] for key in keys}
        for round_ in range(3):
            with storage.transaction() as tx:
                for i, key in enumerate(keys):
                    for _ in range(i + round_ % 2):
                        taken[key].append(tx.sequences.next_value(*key))
        for key, values in taken.items():
            assert values == list(range(1, len(values) + 1)), key
        with fresh(reopen, storage) as tx:
            for key, values in taken.items():
                assert tx.sequences.peek(*key) == len(values) + 1, key

    def test_peek_shows_the_next_value_without_taking_it(
        self, storage: Storage, reopen: Reopen
    ) -> None:
        """``peek`` is 1 for a new counter, follows ``next_value`` in the same transaction, takes nothing."""
        with storage.transaction() as tx:
            assert tx.sequences.peek("s-1", "invoice", "2026") == 1
            assert tx.sequences.peek("s-1", "invoice", "2026") == 1
            assert tx.sequences.next_value("s-1", "invoice", "2026") == 1
            assert tx.sequences.peek("s-1", "invoice", "2026") == 2
        with fresh(reopen, storage) as tx:
            assert tx.sequences.peek("s-1", "invoice", "2026") == 2
            assert tx.sequences.peek("s-1", "invoice", "2026") == 2
        with storage.transaction() as tx:
            assert tx.sequences.next_value("s-1", "invoice", "2026") == 2

    def test_rolled_back_numbers_are_not_consumed(self, storage: Storage, reopen: Reopen) -> None:
        """Values taken in a transaction that rolls back are handed out again (no gap, I3)."""
        with storage.transaction() as tx:
            assert tx.sequences.next_value("s-1", "invoice", "2026") == 1
        with pytest.raises(_Rollback), storage.transaction() as tx:  # noqa: PT012 - the body is what rolls back
            assert tx.sequences.next_value("s-1", "invoice", "2026") == 2
            assert tx.sequences.next_value("s-1", "invoice", "2026") == 3
            raise _Rollback
        with fresh(reopen, storage) as tx:
            assert tx.sequences.peek("s-1", "invoice", "2026") == 2
        with storage.transaction() as tx:
            assert tx.sequences.next_value("s-1", "invoice", "2026") == 2

    def test_a_series_is_started_by_its_first_committed_number(
        self, storage: Storage, reopen: Reopen
    ) -> None:
        """``started`` is per (seller, series) over every period; a rolled-back number counts not."""
        with pytest.raises(_Rollback), storage.transaction() as tx:  # noqa: PT012 - the body is what rolls back
            tx.sequences.next_value("s-1", "invoice", "2026")
            assert tx.sequences.started("s-1", "invoice")
            raise _Rollback
        with fresh(reopen, storage) as tx:
            assert not tx.sequences.started("s-1", "invoice")
        with storage.transaction() as tx:
            assert not tx.sequences.started("s-1", "invoice")
            tx.sequences.peek("s-1", "invoice", "2027")
            assert not tx.sequences.started("s-1", "invoice")
            tx.sequences.next_value("s-1", "invoice", "2027-03")
        with fresh(reopen, storage) as tx:
            assert tx.sequences.started("s-1", "invoice")
            assert not tx.sequences.started("s-1", "credit_note")
            assert not tx.sequences.started("s-2", "invoice")

    # ------------------------------------------------------------------ outbox

    def test_outbox_round_trips_in_append_order(self, storage: Storage, reopen: Reopen) -> None:
        """Appended records read back equal (payload too) in append order, positions increasing."""
        written = [b.outbox_record("s-1", f"k-{n}", invoice_id=f"i-{n % 2}") for n in (3, 1, 2)]
        with storage.transaction() as tx:
            tx.outbox.append(written[:2])
        with storage.transaction() as tx:
            tx.outbox.append(written[2:])
        with fresh(reopen, storage) as tx:
            stored = tx.outbox.list(seller_id="s-1")
            pending = tx.outbox.pending()
        assert [r.key for r in stored] == ["k-3", "k-1", "k-2"]
        assert all(_same_record(g, w) for g, w in zip(stored, written, strict=True))
        positions = [r.position for r in stored if isinstance(r.position, int)]
        assert len(positions) == len(stored), "storage assigns every record a position"
        assert positions == sorted(positions)
        assert len(set(positions)) == len(positions)
        assert [r.key for r in pending] == ["k-3", "k-1", "k-2"]

    def test_outbox_append_skips_stored_keys(self, storage: Storage, reopen: Reopen) -> None:
        """A record whose key is stored, or repeated in the same call, is skipped: the first wins."""
        first = b.outbox_record("s-1", "k-1", payload={"n": 1})
        with storage.transaction() as tx:
            tx.outbox.append([first])
        with storage.transaction() as tx:
            tx.outbox.append([b.outbox_record("s-1", "k-1", payload={"n": 2})])
            tx.outbox.append(
                [
                    b.outbox_record("s-1", "k-2", payload={"n": 3}),
                    b.outbox_record("s-1", "k-2", payload={"n": 4}),
                ]
            )
        with fresh(reopen, storage) as tx:
            stored = tx.outbox.list(seller_id="s-1")
        assert [(r.key, r.payload) for r in stored] == [("k-1", {"n": 1}), ("k-2", {"n": 3})]

    def test_pending_excludes_delivered_records(self, storage: Storage, reopen: Reopen) -> None:
        """``pending`` is undelivered records in append order, by seller and ``limit``."""
        with storage.transaction() as tx:
            for n in range(6):
                tx.outbox.append([b.outbox_record(f"s-{n % 2}", f"k-{n}")])
        with storage.transaction() as tx:
            tx.outbox.mark_delivered(["k-1", "k-4", "k-unknown"], at=AT)
        with fresh(reopen, storage) as tx:
            assert [r.key for r in tx.outbox.pending()] == ["k-0", "k-2", "k-3", "k-5"]
            assert [r.key for r in tx.outbox.pending(limit=2)] == ["k-0", "k-2"]
            assert [r.key for r in tx.outbox.pending(seller_id="s-1")] == ["k-3", "k-5"]
            delivered = {r.key: r.delivered_at for r in tx.outbox.list(seller_id="s-1")}
        assert delivered == {"k-1": AT, "k-3": None, "k-5": None}

    def test_mark_failed_counts_attempts_and_keeps_the_error(
        self, storage: Storage, reopen: Reopen
    ) -> None:
        """Each ``mark_failed`` adds one attempt and keeps the latest error; the record stays pending."""
        with storage.transaction() as tx:
            tx.outbox.append([b.outbox_record("s-1", "k-1"), b.outbox_record("s-1", "k-2")])
        with storage.transaction() as tx:
            tx.outbox.mark_failed("k-1", error="451 try again later")
        with storage.transaction() as tx:
            tx.outbox.mark_failed("k-1", error="421 service closing")
        with fresh(reopen, storage) as tx:
            failed, untouched = tx.outbox.list(seller_id="s-1")
            assert [r.key for r in tx.outbox.pending()] == ["k-1", "k-2"]
        assert (failed.attempts, failed.last_error) == (2, "421 service closing")
        assert failed.delivered_at is None
        assert (untouched.attempts, untouched.last_error) == (0, None)

    def test_outbox_lists_by_seller_and_invoice(self, storage: Storage, reopen: Reopen) -> None:
        """``list`` returns one seller's records (optionally one invoice's), in append order."""
        with storage.transaction() as tx:
            for n in range(8):
                invoice_id = None if n % 4 == 3 else f"i-{n % 2}"
                tx.outbox.append([b.outbox_record(f"s-{n % 3}", f"k-{n}", invoice_id=invoice_id)])
        with fresh(reopen, storage) as tx:
            assert [r.key for r in tx.outbox.list(seller_id="s-0")] == ["k-0", "k-3", "k-6"]
            assert [r.key for r in tx.outbox.list(seller_id="s-0", invoice_id="i-0")] == [
                "k-0",
                "k-6",
            ]
            assert [r.key for r in tx.outbox.list(seller_id="s-1", limit=2)] == ["k-1", "k-4"]
            assert tx.outbox.list(seller_id="s-9") == []

    # ------------------------------------------------------------------ idempotency

    def test_idempotency_records_round_trip(self, storage: Storage, reopen: Reopen) -> None:
        """A stored record reads back equal (result too); an unknown key gives None."""
        record = b.idempotency_record("s-1", "key-1")
        with storage.transaction() as tx:
            assert tx.idempotency.get("s-1", "key-1") is None
            tx.idempotency.put(record)
        with fresh(reopen, storage) as tx:
            stored = tx.idempotency.get("s-1", "key-1")
            assert tx.idempotency.get("s-1", "key-2") is None
        assert stored == record
        assert stored is not None
        assert stored.result == record.result

    def test_idempotency_key_is_used_once_per_seller(
        self, storage: Storage, reopen: Reopen
    ) -> None:
        """A second ``put`` of a (seller, key) raises DuplicateError, whatever its fingerprint (I5).

        The first record stays; the same key of another seller is a separate record.
        """
        first = b.idempotency_record("s-1", "key-1")
        with storage.transaction() as tx:
            tx.idempotency.put(first)
        for fingerprint in ("fp-1", "fp-other"):
            again = b.idempotency_record("s-1", "key-1", fingerprint=fingerprint)
            with pytest.raises(DuplicateError), storage.transaction() as tx:
                tx.idempotency.put(again)
        theirs = b.idempotency_record("s-2", "key-1", fingerprint="fp-2")
        with storage.transaction() as tx:
            tx.idempotency.put(theirs)
        with fresh(reopen, storage) as tx:
            assert tx.idempotency.get("s-1", "key-1") == first
            assert tx.idempotency.get("s-2", "key-1") == theirs

    def test_stored_documents_are_copies(self, storage: Storage, reopen: Reopen) -> None:
        """Changing a payload or result dict after it was stored, or after reading it, changes nothing.

        Records hold plain dicts; a store that keeps the caller's dict lets a later
        mutation rewrite committed history (a real store serializes at commit).
        """
        record = b.outbox_record("s-1", "k-1", payload={"lines": [1, 2]})
        result = b.idempotency_record("s-1", "key-1")
        with storage.transaction() as tx:
            tx.outbox.append([record])
            tx.idempotency.put(result)
        record.payload["lines"].append(3)
        result.result["number"] = "forged"
        with storage.transaction(write=False) as tx:
            tx.outbox.list(seller_id="s-1")[0].payload["extra"] = True
        with fresh(reopen, storage) as tx:
            assert tx.outbox.list(seller_id="s-1")[0].payload == {"lines": [1, 2]}
            stored = tx.idempotency.get("s-1", "key-1")
        assert stored is not None
        assert stored.result["number"] == "INV-2026-00001"


class _Rollback(Exception):  # noqa: N818 - a signal, not an error
    """Raised on purpose to roll a transaction back."""
