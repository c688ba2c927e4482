"""The contract of ``Transaction.event_feed``: the outbox in handler order, and handler cursors.

``read`` returns committed records after a mark in increasing (epoch, position)
order, never a rolled-back one; ``end`` is the mark of the last one, so a cursor
made there sees only later records. A cursor reads back as saved; ``save_cursor``
inserts at version 0 and then updates by version, and a stale save is a
ConcurrencyError that changes nothing.
"""

# ruff: noqa: S101
# (a contract suite checks with assert and literal expected values, as tests do)

from __future__ import annotations

import time
from datetime import timedelta
from typing import Final

import attrs
import pytest

from invoicekit.errors import ConcurrencyError
from invoicekit.ports import HandlerCursor, OutboxRecord, Storage
from invoicekit.testing.contracts import storage_builders as b
from invoicekit.testing.contracts.storage_base import StorageFixtures
from invoicekit.testing.contracts.storage_builders import AT, Reopen, fresh

__all__ = ["EventFeedContract"]

#: Seconds to wait for a committed record to settle (PostgreSQL: older transactions to end).
_PATIENCE: Final = 30.0


class _RolledBackError(Exception):
    """Raised to roll a transaction back."""


def _settled(storage: Storage, epoch: int, position: int, count: int) -> list[OutboxRecord]:
    """Read after the mark until ``count`` records show (or 30 s pass, then what is there).

    On PostgreSQL a record shows once every transaction older than it has ended, on the
    whole server: another client's open transaction delays it (never skips it).
    """
    deadline = time.monotonic() + _PATIENCE
    while True:
        with storage.transaction(write=False) as tx:
            found = [r for _, r in tx.event_feed.read(epoch=epoch, position=position, limit=10)]
        if len(found) >= count or time.monotonic() > deadline:
            return found
        time.sleep(0.05)


def _append(storage: Storage, *keys: str, invoice_id: str = "i-1") -> None:
    with storage.transaction() as tx:
        tx.outbox.append([b.outbox_record("s-1", k, invoice_id=invoice_id) for k in keys])


class EventFeedContract(StorageFixtures):
    """``Transaction.event_feed`` behaves as ``MemoryStorage``'s does."""

    def test_read_returns_committed_records_after_a_mark_in_order(
        self, storage: Storage, reopen: Reopen
    ) -> None:
        """Records in append order, paged by mark; a rolled-back append never shows."""
        with storage.transaction(write=False) as tx:
            assert tx.event_feed.read(epoch=0, position=0, limit=10) == []
        _append(storage, "k-1", "k-2")
        with pytest.raises(_RolledBackError), storage.transaction() as tx:  # noqa: PT012 - the body is what rolls back
            tx.outbox.append([b.outbox_record("s-1", "k-lost")])
            raise _RolledBackError
        _append(storage, "k-3", invoice_id="i-2")
        assert [r.key for r in _settled(storage, 0, 0, 3)] == ["k-1", "k-2", "k-3"]
        with fresh(reopen, storage) as tx:
            every = tx.event_feed.read(epoch=0, position=0, limit=10)
            assert [r.key for _, r in every] == ["k-1", "k-2", "k-3"]
            marks = [(epoch, r.position or 0) for epoch, r in every]
            assert marks == sorted(marks)
            assert tx.event_feed.end() == marks[-1]
            epoch, first = every[0]
            rest = tx.event_feed.read(epoch=epoch, position=first.position or 0, limit=1)
            assert [r.key for _, r in rest] == ["k-2"]
            assert tx.event_feed.read(epoch=marks[-1][0], position=marks[-1][1], limit=10) == []
            assert every[2][1].invoice_id == "i-2"

    def test_a_cursor_made_at_the_end_sees_only_later_records(self, storage: Storage) -> None:
        """``end`` then ``read`` from it: exactly what was appended afterwards."""
        _append(storage, "k-1")
        assert len(_settled(storage, 0, 0, 1)) == 1
        with storage.transaction(write=False) as tx:
            epoch, position = tx.event_feed.end()
        _append(storage, "k-2")
        assert [r.key for r in _settled(storage, epoch, position, 1)] == ["k-2"]

    def test_cursors_read_back_and_save_by_version(self, storage: Storage, reopen: Reopen) -> None:
        """Insert at 0, update at the stored version; a stale save changes nothing."""
        cursor = HandlerCursor(name="crm.paid", epoch=0, position=3)
        with storage.transaction() as tx:
            saved = tx.event_feed.save_cursor(cursor, expected_version=0)
            tx.event_feed.save_cursor(HandlerCursor(name="audit"), expected_version=0)
        assert saved == attrs.evolve(cursor, version=1)
        failing = attrs.evolve(
            saved,
            position=4,
            attempts=2,
            next_attempt_at=AT + timedelta(minutes=1),
            parked_at=AT,
            last_error="RuntimeError: CRM down ✓",
        )
        with storage.transaction() as tx:
            saved_again = tx.event_feed.save_cursor(failing, expected_version=1)
        assert saved_again == attrs.evolve(failing, version=saved.version + 1)
        for stale in (0, 1):
            with storage.transaction() as tx, pytest.raises(ConcurrencyError):
                tx.event_feed.save_cursor(attrs.evolve(cursor, position=9), expected_version=stale)
        with fresh(reopen, storage) as tx:
            assert tx.event_feed.cursor("crm.paid") == saved_again
            assert tx.event_feed.cursor("nobody") is None
            assert [c.name for c in tx.event_feed.cursors()] == ["audit", "crm.paid"]
