"""The contract of ``Transaction.messages``: the queue several dispatchers share (issue 6).

Enqueue dedupes by (seller, key); ``claim`` takes due messages oldest first and never
gives one message to two claimers; ``complete``, ``fail`` and ``retry`` move a
message through its states (a sent message stays sent); ``list`` filters and
pages. Every check reads back through ``reopen`` (a fresh instance). One key under
two sellers is checked in ``storage_messages_sellers``.
"""

# ruff: noqa: S101, PLR2004
# (a contract suite checks with assert and literal expected values, as tests do;
# pytest rewrites these modules for readable failures)

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone
from typing import Final

import attrs
import pytest

from invoicekit.errors import ConcurrencyError, NotFoundError, ValidationError
from invoicekit.ports import MessageRecord, MessageStatus, Storage
from invoicekit.testing.contracts.storage_base import StorageFixtures
from invoicekit.testing.contracts.storage_builders import AT, Reopen, fresh

__all__ = ["MessagesContract", "message"]

LEASE: Final = timedelta(minutes=5)
_THREAD_TIMEOUT: Final = 120.0
#: Messages the concurrency check puts in the queue, and the claimers that share them.
_CONCURRENT_MESSAGES: Final = 200
_CLAIMERS: Final = 4


def message(
    seller_id: str,
    key: str,
    *,
    customer_id: str = "c-1",
    invoice_id: str | None = "i-1",
    due: datetime = AT,
    at: datetime = AT,
    channel: str = "email",
) -> MessageRecord:
    """A queued invoice message for ``customer_id``, due at ``due``."""
    return MessageRecord(
        key=key,
        seller_id=seller_id,
        customer_id=customer_id,
        kind="invoice",
        step="1",
        channel=channel,
        recipient="ap@globex.example",
        created_at=at,
        next_attempt_at=due,
        invoice_id=invoice_id,
    )


def _keys(records: list[MessageRecord]) -> list[str]:
    return [r.key for r in records]


def _enqueue(storage: Storage, *records: MessageRecord) -> list[MessageRecord]:
    with storage.transaction() as tx:
        return tx.messages.enqueue(list(records))


def _claim(
    storage: Storage,
    *,
    now: datetime = AT,
    owner: str = "d-1",
    limit: int = 20,
    seller_id: str | None = None,
) -> list[MessageRecord]:
    with storage.transaction() as tx:
        return tx.messages.claim(
            now=now, owner=owner, lease_until=now + LEASE, limit=limit, seller_id=seller_id
        )


class MessagesContract(StorageFixtures):
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

    def test_claim_takes_due_messages_oldest_first_up_to_the_limit(
        self, storage: Storage, reopen: Reopen
    ) -> None:
        """Queued messages due at ``now`` are claimed by position, ``limit`` at a time.

        A claimed message is ``sending`` with the owner, the lease and one more
        attempt; a message due later is left alone until its time comes.
        """
        later = AT + LEASE / 2  # before the claimed messages' leases end
        _enqueue(
            storage,
            message("s-1", "m-1"),
            message("s-1", "m-late", due=later),
            message("s-1", "m-2", due=AT - timedelta(days=1)),
            message("s-1", "m-3"),
        )
        got = _claim(storage, limit=2, owner="d-1")
        assert _keys(got) == ["m-1", "m-2"]
        for claimed in got:
            assert claimed.status is MessageStatus.SENDING
            assert claimed.lease_owner == "d-1"
            assert claimed.lease_expires_at == AT + LEASE
            assert claimed.attempts == 1
        assert _keys(_claim(storage, owner="d-2")) == ["m-3"]
        assert _claim(storage, owner="d-3") == []
        assert _keys(_claim(storage, now=later, owner="d-4")) == ["m-late"]
        with fresh(reopen, storage) as tx:
            stored = {r.key: r for r in tx.messages.list("s-1")}
        assert {k: (r.status, r.lease_owner) for k, r in stored.items()} == {
            "m-1": (MessageStatus.SENDING, "d-1"),
            "m-late": (MessageStatus.SENDING, "d-4"),
            "m-2": (MessageStatus.SENDING, "d-1"),
            "m-3": (MessageStatus.SENDING, "d-2"),
        }
        assert stored["m-1"] == got[0]

    def test_messages_claim_can_be_limited_to_one_seller(
        self, storage: Storage, reopen: Reopen
    ) -> None:
        """``seller_id`` claims that seller's due messages only; a limit of 0 claims nothing."""
        _enqueue(storage, message("s-1", "m-1"), message("s-2", "m-2"), message("s-1", "m-3"))
        assert _claim(storage, limit=0) == []
        assert _keys(_claim(storage, seller_id="s-2")) == ["m-2"]
        assert _keys(_claim(storage, seller_id="s-1", limit=1)) == ["m-1"]
        with fresh(reopen, storage) as tx:
            assert tx.messages.get("s-1", "m-3").status is MessageStatus.QUEUED

    def test_messages_claim_compares_instants_whatever_their_offsets(
        self, storage: Storage, reopen: Reopen
    ) -> None:
        """Due-ness is a comparison of instants: 10:00+02:00 is due at 09:00 UTC, 10:30 UTC is not.

        Times read back equal (as instants) to what was written.
        """
        plus_two = timezone(timedelta(hours=2))
        minus_five = timezone(timedelta(hours=-5))
        early = datetime(2026, 3, 1, 10, 0, tzinfo=plus_two)  # 08:00 UTC
        late = datetime(2026, 3, 1, 10, 30, tzinfo=AT.tzinfo)  # 10:30 UTC
        written = [
            message("s-1", "m-early", due=early, at=early),
            message("s-1", "m-late", due=late, at=late),
        ]
        _enqueue(storage, *written)
        now = AT.astimezone(minus_five)  # 04:00-05:00, 09:00 UTC
        got = _claim(storage, now=now)
        assert _keys(got) == ["m-early"]
        assert got[0].lease_expires_at == AT + LEASE
        with fresh(reopen, storage) as tx:
            early_back, late_back = tx.messages.list("s-1")
        assert early_back.next_attempt_at == early
        assert early_back.created_at == early
        assert late_back == attrs.evolve(written[1], position=late_back.position)

    def test_messages_an_expired_lease_is_claimed_again_and_counted(
        self, storage: Storage, reopen: Reopen
    ) -> None:
        """A ``sending`` message whose lease ran out (its dispatcher died) is claimed again.

        Before the lease ends nobody else gets it; at its end the new claimer gets
        it with ``attempts`` 2 and its own lease.
        """
        _enqueue(storage, message("s-1", "m-1"))
        assert _claim(storage, owner="d-1")[0].attempts == 1
        assert _claim(storage, now=AT + LEASE - timedelta(seconds=1), owner="d-2") == []
        again = _claim(storage, now=AT + LEASE, owner="d-2")
        assert _keys(again) == ["m-1"]
        assert again[0].attempts == 2
        assert again[0].lease_owner == "d-2"
        assert again[0].lease_expires_at == AT + 2 * LEASE
        with fresh(reopen, storage) as tx:
            assert tx.messages.get("s-1", "m-1") == again[0]

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

    def test_a_rolled_back_claim_leaves_the_messages_queued(
        self, storage: Storage, reopen: Reopen
    ) -> None:
        """Claims, completions and enqueues in a block that raises are all undone."""
        _enqueue(storage, message("s-1", "m-1"))
        with pytest.raises(KeyError), storage.transaction() as tx:  # noqa: PT012 - the body is what rolls back
            tx.messages.claim(now=AT, owner="d-1", lease_until=AT + LEASE)
            tx.messages.complete("s-1", "m-1", at=AT)
            tx.messages.enqueue([message("s-1", "m-2")])
            raise KeyError("on purpose")
        with fresh(reopen, storage) as tx:
            stored = tx.messages.list("s-1")
        assert stored == [attrs.evolve(message("s-1", "m-1"), position=stored[0].position)]
        assert _keys(_claim(storage)) == ["m-1"]

    def test_messages_concurrent_claimers_take_every_message_exactly_once(
        self, storage: Storage, reopen: Reopen
    ) -> None:
        """Four dispatchers, each on its own instance, claim 200 messages until none is left.

        Every message is claimed by exactly one of them, once (attempts 1, its owner
        the one that got it). A ConcurrencyError (a lock held past the busy timeout)
        is retried, as the dispatcher does.
        """
        if not self.supports_threads:
            pytest.skip("the adapter does not support instances in several threads")
        keys = [f"m-{n:03}" for n in range(_CONCURRENT_MESSAGES)]
        _enqueue(storage, *(message(f"s-{n % 3}", key) for n, key in enumerate(keys)))
        got: dict[str, list[str]] = {f"d-{n}": [] for n in range(_CLAIMERS)}
        errors: list[BaseException] = []
        start = threading.Barrier(_CLAIMERS, timeout=_THREAD_TIMEOUT)

        def work(owner: str) -> None:
            mine = reopen(storage)
            try:
                start.wait()
                conflicts = 0
                while True:
                    try:
                        claimed = _claim(mine, owner=owner, limit=7)
                    except ConcurrencyError:
                        conflicts += 1
                        assert conflicts < 50, "claims kept failing with ConcurrencyError"
                        continue
                    if not claimed:
                        return
                    assert all(c.lease_owner == owner for c in claimed)
                    got[owner].extend(_keys(claimed))
            except BaseException as exc:  # noqa: BLE001 - handed to the test thread below
                errors.append(exc)
            finally:
                if mine is not storage:
                    mine.close()

        threads = [threading.Thread(target=work, args=(o,), daemon=True) for o in got]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(_THREAD_TIMEOUT)
        assert not any(t.is_alive() for t in threads), "a claimer hung (a lock never released?)"
        if errors:
            raise errors[0]
        every = [key for owned in got.values() for key in owned]
        assert sorted(every) == keys, "a message was claimed twice or never"
        with fresh(reopen, storage) as tx:
            stored = [m for s in ("s-0", "s-1", "s-2") for m in tx.messages.list(s, limit=1000)]
        owner_of = {key: owner for owner, owned in got.items() for key in owned}
        assert len(stored) == len(keys)
        for m in stored:
            assert (m.status, m.attempts, m.lease_owner) == (
                MessageStatus.SENDING,
                1,
                owner_of[m.key],
            )
