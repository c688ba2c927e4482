"""The contract of ``Transaction.messages`` and ``inbox`` when two sellers use one key (issue 11).

A message key is ``invoice_id:kind:step:channel`` and invoice ids are chosen per
seller, so two sellers' messages can share a key. Each is a message of its own:
both are queued, claimed, completed, failed and retried apart, and nothing done
under one seller touches the other's. Every check reads back through ``reopen``.
"""

# ruff: noqa: S101
# (a contract suite checks with assert and literal expected values, as tests do;
# pytest rewrites these modules for readable failures)

from __future__ import annotations

from datetime import timedelta
from typing import Final

import attrs
import pytest

from invoicekit.errors import NotFoundError, ValidationError
from invoicekit.ports import MessageRecord, MessageStatus, Storage
from invoicekit.testing.contracts.storage_base import StorageFixtures
from invoicekit.testing.contracts.storage_builders import AT, Reopen, fresh
from invoicekit.testing.contracts.storage_inbox import inbox_item
from invoicekit.testing.contracts.storage_message_claims import LEASE
from invoicekit.testing.contracts.storage_messages import message

__all__ = ["SellerMessagesContract"]

#: The key both sellers use: each has an invoice "order-1042" (a caller-chosen id).
KEY: Final = "order-1042:invoice:1:email"


def _both(storage: Storage) -> tuple[MessageRecord, MessageRecord]:
    """Enqueue KEY for s-1 and for s-2 (other recipients); both must be added."""
    mine = attrs.evolve(message("s-1", KEY, invoice_id="order-1042"), recipient="a@one.example")
    theirs = attrs.evolve(message("s-2", KEY, invoice_id="order-1042"), recipient="b@two.example")
    with storage.transaction() as tx:
        added = tx.messages.enqueue([mine, theirs])
    assert [(m.seller_id, m.key) for m in added] == [("s-1", KEY), ("s-2", KEY)], (
        "a key another seller uses must not stop a seller's message from being queued"
    )
    return added[0], added[1]


class SellerMessagesContract(StorageFixtures):
    """One key under two sellers: two messages, two inbox items, never mixed."""

    def test_messages_one_key_under_two_sellers_is_two_messages(
        self, storage: Storage, reopen: Reopen
    ) -> None:
        """Both are stored with their own positions; each seller reads back its own."""
        mine, theirs = _both(storage)
        assert mine.position != theirs.position
        with storage.transaction() as tx:
            assert tx.messages.enqueue([message("s-2", KEY), message("s-1", KEY)]) == []
        with fresh(reopen, storage) as tx:
            assert tx.messages.get("s-1", KEY) == mine
            assert tx.messages.get("s-2", KEY) == theirs
            assert tx.messages.list("s-1") == [mine]
            assert tx.messages.list("s-2", invoice_id="order-1042") == [theirs]
            with pytest.raises(NotFoundError):
                tx.messages.get("s-3", KEY)

    def test_messages_claims_of_one_key_take_each_sellers_message(
        self, storage: Storage, reopen: Reopen
    ) -> None:
        """A claim takes both (or one seller's only); each keeps its own lease and attempts."""
        _both(storage)
        with storage.transaction() as tx:
            only = tx.messages.claim(now=AT, owner="d-2", lease_until=AT + LEASE, seller_id="s-2")
        assert [(m.seller_id, m.recipient) for m in only] == [("s-2", "b@two.example")]
        later = AT + timedelta(minutes=1)
        with storage.transaction() as tx:
            rest = tx.messages.claim(now=later, owner="d-1", lease_until=later + LEASE)
        assert [(m.seller_id, m.lease_owner) for m in rest] == [("s-1", "d-1")]
        with fresh(reopen, storage) as tx:
            assert tx.messages.get("s-2", KEY).lease_owner == "d-2"
            assert tx.messages.get("s-1", KEY).lease_expires_at == later + LEASE

    def test_messages_outcomes_under_one_seller_leave_the_others_message_alone(
        self, storage: Storage, reopen: Reopen
    ) -> None:
        """``complete``, ``fail`` and ``retry`` change the named seller's message only."""
        _both(storage)
        with storage.transaction() as tx:
            tx.messages.claim(now=AT, owner="d-1", lease_until=AT + LEASE)
            sent = tx.messages.complete("s-1", KEY, at=AT, provider_id="smtp-1")
        with storage.transaction() as tx:
            failed = tx.messages.fail("s-2", KEY, error="550 no such user", retry_at=None)
        assert (sent.seller_id, sent.status) == ("s-1", MessageStatus.SENT)
        assert (failed.seller_id, failed.status) == ("s-2", MessageStatus.FAILED)
        with pytest.raises(ValidationError), storage.transaction() as tx:
            tx.messages.retry("s-1", KEY, at=AT)  # s-1's is sent, whatever s-2's is
        again = AT + timedelta(hours=1)
        with storage.transaction() as tx:
            retried = tx.messages.retry("s-2", KEY, at=again)
        assert (retried.seller_id, retried.status) == ("s-2", MessageStatus.QUEUED)
        with fresh(reopen, storage) as tx:
            assert tx.messages.get("s-1", KEY) == sent
            assert tx.messages.get("s-2", KEY) == retried
            assert retried.last_error == "550 no such user"

    def test_messages_outcomes_for_a_key_only_another_seller_has_are_not_found(
        self, storage: Storage, reopen: Reopen
    ) -> None:
        """``complete`` and ``fail`` under a seller without the key raise and change nothing."""
        with storage.transaction() as tx:
            [mine] = tx.messages.enqueue([message("s-1", KEY)])
            tx.messages.claim(now=AT, owner="d-1", lease_until=AT + LEASE)
        with pytest.raises(NotFoundError), storage.transaction() as tx:
            tx.messages.complete("s-2", KEY, at=AT)
        with pytest.raises(NotFoundError), storage.transaction() as tx:
            tx.messages.fail("s-2", KEY, error="x", retry_at=None)
        with fresh(reopen, storage) as tx:
            stored = tx.messages.get("s-1", KEY)
        assert (stored.status, stored.attempts) == (MessageStatus.SENDING, 1)
        assert stored.position == mine.position

    def test_inbox_one_key_under_two_sellers_is_read_apart(
        self, storage: Storage, reopen: Reopen
    ) -> None:
        """Both sellers' items are put; marking one read leaves the other seller's unread."""
        with storage.transaction() as tx:
            assert tx.inbox.put(inbox_item("s-1", KEY)) is True
            assert tx.inbox.put(inbox_item("s-2", KEY)) is True
            assert tx.inbox.mark_read("s-1", "c-1", [KEY], at=AT) == 1
        with fresh(reopen, storage) as tx:
            assert tx.inbox.list("s-1", "c-1")[0].read_at == AT
            assert tx.inbox.list("s-2", "c-1") == [inbox_item("s-2", KEY)]
            assert tx.inbox.unread_count("s-2", "c-1") == 1
