"""The contract of claiming from ``Transaction.messages``: leases, order, limits, concurrency.

``claim`` takes due messages oldest first, never gives one message to two claimers,
and a rolled-back claim leaves them queued. Split from ``storage_messages``, whose
``MessagesContract`` inherits these checks (and re-exports ``message``).
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

from invoicekit.errors import ConcurrencyError
from invoicekit.ports import MessageRecord, MessageStatus, Storage
from invoicekit.testing.contracts.storage_base import StorageFixtures
from invoicekit.testing.contracts.storage_builders import AT, Reopen, fresh

__all__ = ["MessageClaimsContract", "message"]

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


class MessageClaimsContract(StorageFixtures):
    """Messages: claim, its leases, its order and limits, claimers at once."""

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
