"""The contract of ``Transaction.inbox``: per-customer in-app inboxes with read marks (issue 6).

``put`` dedupes by (seller, key); ``list`` is newest first (the later put first
among items of one time) with ``unread_only``, ``limit`` and ``offset``;
``mark_read`` marks unread items only and counts them; another seller's or
customer's items are never visible. Every check reads back through ``reopen``.
"""

# ruff: noqa: S101, PLR2004
# (a contract suite checks with assert and literal expected values, as tests do;
# pytest rewrites these modules for readable failures)

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import attrs

from invoicekit.ports import InboxItem, Storage
from invoicekit.testing.contracts.storage_base import StorageFixtures
from invoicekit.testing.contracts.storage_builders import AT, Reopen, fresh

__all__ = ["InboxContract", "inbox_item"]


def inbox_item(
    seller_id: str,
    key: str,
    *,
    customer_id: str = "c-1",
    at: datetime = AT,
    title: str = "Invoice INV-2026-00001",
) -> InboxItem:
    """An unread invoice item in ``customer_id``'s inbox, created at ``at``."""
    return InboxItem(
        key=key,
        seller_id=seller_id,
        customer_id=customer_id,
        kind="invoice",
        title=title,
        text="119.00 EUR due by 31 March 2026.",
        created_at=at,
        invoice_id="i-1",
        html="<p>119.00 EUR due by <b>31 March 2026</b>.</p>",
        url="https://pay.example/i-1",
    )


def _put(storage: Storage, *items: InboxItem) -> list[bool]:
    with storage.transaction() as tx:
        return [tx.inbox.put(item) for item in items]


def _keys(items: list[InboxItem]) -> list[str]:
    return [i.key for i in items]


class InboxContract(StorageFixtures):
    """In-app inboxes: put, list, unread_count and mark_read."""

    def test_inbox_put_stores_an_item_once_per_seller_and_key(
        self, storage: Storage, reopen: Reopen
    ) -> None:
        """A second put of a key returns False and changes nothing; another seller's key is its own."""
        first = inbox_item("s-1", "k-1")
        assert _put(storage, first) == [True]
        changed = attrs.evolve(first, title="Changed", text="changed")
        assert _put(storage, changed, inbox_item("s-2", "k-1")) == [False, True]
        with fresh(reopen, storage) as tx:
            assert tx.inbox.list("s-1", "c-1") == [first]
            assert tx.inbox.list("s-2", "c-1") == [inbox_item("s-2", "k-1")]

    def test_inbox_items_read_back_as_written(self, storage: Storage, reopen: Reopen) -> None:
        """Every field reads back equal, optional ones empty or set, read or unread."""
        bare = InboxItem(
            key="k-bare",
            seller_id="s-1",
            customer_id="c-1",
            kind="receipt",
            title="Receipt",
            text="Thank you.",
            created_at=AT - timedelta(days=1),
        )
        read = attrs.evolve(inbox_item("s-1", "k-read"), read_at=AT + timedelta(minutes=1))
        full = inbox_item("s-1", "k-full", at=AT + timedelta(hours=1))
        _put(storage, bare, read, full)
        with fresh(reopen, storage) as tx:
            assert tx.inbox.list("s-1", "c-1") == [full, read, bare]

    def test_inbox_list_is_newest_first_and_pages(self, storage: Storage, reopen: Reopen) -> None:
        """Newest first by instant (whatever the offset), the later put first on a tie.

        ``limit`` and ``offset`` cut the same order; ``unread_only`` leaves read items out.
        """
        plus_two = timezone(timedelta(hours=2))
        _put(
            storage,
            inbox_item("s-1", "k-a", at=AT),  # 09:00 UTC
            inbox_item("s-1", "k-b", at=datetime(2026, 3, 1, 10, 30, tzinfo=plus_two)),  # 08:30
            inbox_item("s-1", "k-c", at=AT + timedelta(hours=1)),  # 10:00
            inbox_item("s-1", "k-d", at=AT),  # 09:00, put after k-a
        )
        with storage.transaction() as tx:
            tx.inbox.mark_read("s-1", "c-1", ["k-d"], at=AT)
        with fresh(reopen, storage) as tx:
            assert _keys(tx.inbox.list("s-1", "c-1")) == ["k-c", "k-d", "k-a", "k-b"]
            assert _keys(tx.inbox.list("s-1", "c-1", limit=2)) == ["k-c", "k-d"]
            assert _keys(tx.inbox.list("s-1", "c-1", limit=2, offset=2)) == ["k-a", "k-b"]
            assert _keys(tx.inbox.list("s-1", "c-1", offset=4)) == []
            assert _keys(tx.inbox.list("s-1", "c-1", unread_only=True)) == ["k-c", "k-a", "k-b"]
            assert _keys(tx.inbox.list("s-1", "c-1", unread_only=True, limit=1, offset=1)) == [
                "k-a"
            ]
            back = tx.inbox.list("s-1", "c-1", limit=4, offset=3)[0]
        assert back.created_at == datetime(2026, 3, 1, 10, 30, tzinfo=plus_two)

    def test_inbox_mark_read_marks_unread_items_once(
        self, storage: Storage, reopen: Reopen
    ) -> None:
        """``mark_read`` counts what it changed: read items keep their first read time.

        Unknown keys, repeated keys and another customer's keys change nothing and
        are not counted; ``unread_count`` follows.
        """
        _put(
            storage,
            inbox_item("s-1", "k-1"),
            inbox_item("s-1", "k-2"),
            inbox_item("s-1", "k-3"),
            inbox_item("s-1", "k-other", customer_id="c-2"),
        )
        first, later = AT + timedelta(minutes=5), AT + timedelta(hours=5)
        with storage.transaction() as tx:
            assert tx.inbox.unread_count("s-1", "c-1") == 3
            assert (
                tx.inbox.mark_read("s-1", "c-1", ["k-1", "k-1", "k-none", "k-other"], at=first) == 1
            )
        with storage.transaction() as tx:
            assert tx.inbox.mark_read("s-1", "c-1", ["k-1", "k-2"], at=later) == 1
            assert tx.inbox.mark_read("s-1", "c-1", ["k-1", "k-2"], at=later) == 0
            assert tx.inbox.mark_read("s-1", "c-1", [], at=later) == 0
        with fresh(reopen, storage) as tx:
            read = {i.key: i.read_at for i in tx.inbox.list("s-1", "c-1")}
            assert read == {"k-1": first, "k-2": later, "k-3": None}
            assert tx.inbox.unread_count("s-1", "c-1") == 1
            assert tx.inbox.unread_count("s-1", "c-2") == 1
            assert tx.inbox.list("s-1", "c-2")[0].read_at is None

    def test_inboxes_are_isolated_by_seller_and_customer(
        self, storage: Storage, reopen: Reopen
    ) -> None:
        """A customer sees only their own items: not another customer's, not another seller's."""
        _put(
            storage,
            inbox_item("s-1", "k-1"),
            inbox_item("s-1", "k-2", customer_id="c-2"),
            inbox_item("s-2", "k-3"),
        )
        with storage.transaction() as tx:
            assert tx.inbox.mark_read("s-2", "c-1", ["k-1"], at=AT) == 0
            assert tx.inbox.mark_read("s-1", "c-1", ["k-3", "k-2"], at=AT) == 0
        with fresh(reopen, storage) as tx:
            assert _keys(tx.inbox.list("s-1", "c-1")) == ["k-1"]
            assert _keys(tx.inbox.list("s-1", "c-2")) == ["k-2"]
            assert _keys(tx.inbox.list("s-2", "c-1")) == ["k-3"]
            assert tx.inbox.list("s-3", "c-1") == []
            assert [tx.inbox.unread_count(*k) for k in (("s-1", "c-1"), ("s-2", "c-1"))] == [1, 1]
            assert tx.inbox.unread_count("s-2", "c-2") == 0

    def test_inbox_a_rolled_back_put_leaves_no_item(self, storage: Storage, reopen: Reopen) -> None:
        """Puts and read marks in a block that raises are undone."""
        _put(storage, inbox_item("s-1", "k-1"))
        try:
            with storage.transaction() as tx:
                tx.inbox.put(inbox_item("s-1", "k-2"))
                tx.inbox.mark_read("s-1", "c-1", ["k-1"], at=AT)
                raise LookupError("on purpose")
        except LookupError:
            pass
        with fresh(reopen, storage) as tx:
            assert tx.inbox.list("s-1", "c-1") == [inbox_item("s-1", "k-1")]
            assert tx.inbox.unread_count("s-1", "c-1") == 1
