"""The contract of ``Transaction.messages``: the queue several dispatchers share (issue 6).

Enqueue dedupes by (seller, key); ``claim`` takes due messages oldest first and never
gives one message to two claimers; ``complete``, ``fail`` and ``retry`` move a
message through its states (a sent message stays sent); ``list`` filters and
pages. Every check reads back through ``reopen`` (a fresh instance). One key under
two sellers is checked in ``storage_messages_sellers``; the claim checks are in
``storage_message_claims`` (inherited here).
"""

# ruff: noqa: S101, PLR2004
# (a contract suite checks with assert and literal expected values, as tests do;
# pytest rewrites these modules for readable failures)

from __future__ import annotations

from datetime import timedelta

import attrs
import pytest

from invoicekit.errors import NotFoundError, ValidationError
from invoicekit.ports import MessageStatus, Storage
from invoicekit.testing.contracts.storage_builders import AT, Reopen, fresh
from invoicekit.testing.contracts.storage_message_claims import (
    LEASE,
    MessageClaimsContract,
    _claim,
    _enqueue,
    _keys,
    message,
)

__all__ = ["MessagesContract", "message"]


class MessagesContract(MessageClaimsContract):
    """Messages: enqueue, claim, complete, fail, retry, get and list."""

    def test_messages_enqueue_skips_stored_keys_and_returns_the_added(
        self, storage: Storage, reopen: Reopen
    ) -> None:
        """Only new keys are added (also once within one batch), in order, with rising positions."""
        first = _enqueue(storage, message("s-1", "m-a"), message("s-1", "m-b"))
        again = _enqueue(
            storage,
            attrs.evolve(message("s-1", "m-b"), recipient="other@example.org"),
            message("s-1", "m-c"),
            message("s-1", "m-c"),
        )
        assert _keys(first) == ["m-a", "m-b"]
        assert _keys(again) == ["m-c"]
        positions = [r.position or 0 for r in (*first, *again)]
        assert all(p > 0 for p in positions)
        assert positions == sorted(positions)
        assert len(set(positions)) == 3
        assert first[0] == attrs.evolve(message("s-1", "m-a"), position=first[0].position)
        with fresh(reopen, storage) as tx:
            stored = tx.messages.list("s-1")
            assert stored == [*first, *again]
            assert tx.messages.get("s-1", "m-b").recipient == "ap@globex.example"
            assert tx.messages.get("s-1", "m-a") == first[0]

    def test_messages_enqueue_of_nothing_adds_nothing(
        self, storage: Storage, reopen: Reopen
    ) -> None:
        """An empty batch returns an empty list and stores nothing."""
        assert _enqueue(storage) == []
        with fresh(reopen, storage) as tx:
            assert tx.messages.list("s-1") == []

    def test_messages_complete_records_the_sending_and_ends_the_lease(
        self, storage: Storage, reopen: Reopen
    ) -> None:
        """``complete`` makes a message sent with its time and provider id, also after a lost lease.

        A sent message is never claimed again, and completing it twice keeps the first record.
        """
        _enqueue(storage, message("s-1", "m-1"), message("s-1", "m-2"))
        _claim(storage, owner="d-1")
        sent_at = AT + timedelta(seconds=3)
        with storage.transaction() as tx:
            done = tx.messages.complete("s-1", "m-1", at=sent_at, provider_id="smtp-1")
        assert done.status is MessageStatus.SENT
        assert (done.sent_at, done.provider_id) == (sent_at, "smtp-1")
        assert (done.lease_owner, done.lease_expires_at) == (None, None)
        assert done.attempts == 1
        # d-1's lease on m-2 ran out and d-2 took it; d-1's late report still counts.
        assert _keys(_claim(storage, now=AT + LEASE, owner="d-2")) == ["m-2"]
        with storage.transaction() as tx:
            late = tx.messages.complete("s-1", "m-2", at=AT + LEASE, provider_id="smtp-2")
            twice = tx.messages.complete("s-1", "m-1", at=AT + LEASE, provider_id="smtp-3")
        assert late.status is MessageStatus.SENT
        assert late.lease_owner is None
        assert twice == done
        assert _claim(storage, now=AT + 10 * LEASE) == []
        with fresh(reopen, storage) as tx:
            assert tx.messages.list("s-1") == [done, late]

    def test_messages_fail_requeues_or_fails_for_good_and_sent_stays_sent(
        self, storage: Storage, reopen: Reopen
    ) -> None:
        """``fail`` with ``retry_at`` re-queues for then; with None marks failed; sent is untouched."""
        _enqueue(storage, message("s-1", "m-1"), message("s-1", "m-2"), message("s-1", "m-3"))
        _claim(storage)
        retry_at = AT + timedelta(minutes=10)
        with storage.transaction() as tx:
            requeued = tx.messages.fail("s-1", "m-1", error="421 try later", retry_at=retry_at)
            failed = tx.messages.fail("s-1", "m-2", error="550 no such user", retry_at=None)
            sent = tx.messages.complete("s-1", "m-3", at=AT, provider_id="p-3")
            still_sent = tx.messages.fail("s-1", "m-3", error="late timeout", retry_at=retry_at)
        assert (requeued.status, requeued.next_attempt_at) == (MessageStatus.QUEUED, retry_at)
        assert (requeued.last_error, requeued.lease_owner, requeued.lease_expires_at) == (
            "421 try later",
            None,
            None,
        )
        assert failed.status is MessageStatus.FAILED
        assert failed.last_error == "550 no such user"
        assert failed.next_attempt_at == AT
        assert still_sent == sent
        assert _claim(storage, now=retry_at - timedelta(seconds=1)) == []
        assert _keys(_claim(storage, now=retry_at, owner="d-2")) == ["m-1"]
        with fresh(reopen, storage) as tx:
            assert tx.messages.get("s-1", "m-2") == failed
            assert tx.messages.get("s-1", "m-3") == sent
            assert tx.messages.get("s-1", "m-1").attempts == 2

    def test_messages_retry_queues_a_failed_message_only(
        self, storage: Storage, reopen: Reopen
    ) -> None:
        """``retry`` moves failed → queued at ``at``; any other status is a ValidationError.

        Unknown keys and another seller's keys are NotFoundError, and nothing changes.
        """
        _enqueue(storage, message("s-1", "m-1"), message("s-1", "m-2"), message("s-2", "m-9"))
        _claim(storage, seller_id="s-1")
        with storage.transaction() as tx:
            tx.messages.fail("s-1", "m-1", error="550", retry_at=None)
            tx.messages.fail("s-2", "m-9", error="550", retry_at=None)
        again = AT + timedelta(hours=2)
        with storage.transaction() as tx:
            retried = tx.messages.retry("s-1", "m-1", at=again)
        assert (retried.status, retried.next_attempt_at) == (MessageStatus.QUEUED, again)
        for key in ("m-1", "m-2"):  # queued now, and sending
            with pytest.raises(ValidationError), storage.transaction() as tx:
                tx.messages.retry("s-1", key, at=again)
        for seller_id, key in (("s-1", "m-9"), ("s-1", "m-none"), ("s-2", "m-1")):
            with pytest.raises(NotFoundError), storage.transaction() as tx:
                tx.messages.retry(seller_id, key, at=again)
        # m-2's lease has run out by then: it is due again too.
        assert _keys(_claim(storage, now=again)) == ["m-1", "m-2"]
        with fresh(reopen, storage) as tx:
            assert tx.messages.get("s-2", "m-9").status is MessageStatus.FAILED
            assert tx.messages.get("s-1", "m-1").attempts == 2

    def test_messages_unknown_keys_are_not_found(self, storage: Storage) -> None:
        """``get``, ``complete`` and ``fail`` raise NotFoundError for a key never enqueued."""
        _enqueue(storage, message("s-1", "m-1"))
        with storage.transaction() as tx:
            with pytest.raises(NotFoundError) as caught:
                tx.messages.get("s-1", "m-none")
            assert (caught.value.kind, caught.value.key) == ("message", "m-none")
            with pytest.raises(NotFoundError):
                tx.messages.complete("s-1", "m-none", at=AT)
            with pytest.raises(NotFoundError):
                tx.messages.fail("s-1", "m-none", error="x", retry_at=None)

    def test_messages_list_filters_and_pages_in_enqueue_order(
        self, storage: Storage, reopen: Reopen
    ) -> None:
        """``list`` filters by status and invoice, pages by position with ``after`` and ``limit``."""
        _enqueue(
            storage,
            *(message("s-1", f"m-{n}", invoice_id=f"i-{n % 2}") for n in range(6)),
            message("s-2", "m-other", invoice_id="i-0"),
        )
        _claim(storage, limit=2, seller_id="s-1")  # m-0 and m-1 are sending
        with storage.transaction() as tx:
            tx.messages.fail("s-1", "m-0", error="550", retry_at=None)
        with fresh(reopen, storage) as tx:
            every = tx.messages.list("s-1")
            assert _keys(every) == [f"m-{n}" for n in range(6)]
            sending = tx.messages.list("s-1", statuses=[MessageStatus.SENDING])
            assert _keys(sending) == ["m-1"]
            open_ = [MessageStatus.QUEUED, MessageStatus.FAILED]
            assert _keys(tx.messages.list("s-1", statuses=open_)) == [
                "m-0",
                "m-2",
                "m-3",
                "m-4",
                "m-5",
            ]
            assert tx.messages.list("s-1", statuses=[]) == []
            assert _keys(tx.messages.list("s-1", invoice_id="i-0")) == ["m-0", "m-2", "m-4"]
            assert _keys(
                tx.messages.list("s-1", invoice_id="i-0", statuses=[MessageStatus.QUEUED])
            ) == ["m-2", "m-4"]
            assert _keys(tx.messages.list("s-1", limit=2)) == ["m-0", "m-1"]
            pages, after = [], None
            while True:
                page = tx.messages.list("s-1", limit=4, after=after)
                if not page:
                    break
                pages.append(_keys(page))
                after = page[-1].position
            assert pages == [["m-0", "m-1", "m-2", "m-3"], ["m-4", "m-5"]]
            assert _keys(tx.messages.list("s-2")) == ["m-other"]

    def test_messages_are_isolated_by_seller(self, storage: Storage, reopen: Reopen) -> None:
        """Another seller's message is NotFound through ``get`` and absent from ``list``."""
        _enqueue(storage, message("s-1", "m-1"), message("s-2", "m-2"))
        with fresh(reopen, storage) as tx:
            with pytest.raises(NotFoundError):
                tx.messages.get("s-2", "m-1")
            with pytest.raises(NotFoundError):
                tx.messages.get("s-1", "m-2")
            assert _keys(tx.messages.list("s-1")) == ["m-1"]
            assert _keys(tx.messages.list("s-3")) == []
