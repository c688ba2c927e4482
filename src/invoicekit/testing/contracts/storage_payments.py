"""The contract of ``Transaction.provider_events``, ``.checkouts`` and ``.pay_tokens`` (issue 14).

``provider_events.add`` stores a (provider, event_id) once and says False after that
(the webhook dedupe, T17), also when two transactions race; ``for_payment`` and
``list`` read a seller's notices in the order stored. Checkout sessions are unique
by (provider, ref), found by key and closed once. Pay-link tokens are stored by
hash. Another seller's rows are never visible. Every check reads back through ``reopen``.
"""

# ruff: noqa: S101
# (a contract suite checks with assert and literal expected values, as tests do;
# pytest rewrites these modules for readable failures)

from __future__ import annotations

import threading
from datetime import timedelta, timezone
from decimal import Decimal

import attrs
import pytest

from invoicekit.errors import ConcurrencyError, DuplicateError
from invoicekit.payment_records import (
    CheckoutRecord,
    CheckoutState,
    NoticeKind,
    PayTokenRecord,
    ProviderEventRecord,
)
from invoicekit.ports import Storage
from invoicekit.testing.contracts.storage_base import StorageFixtures
from invoicekit.testing.contracts.storage_builders import AT, Reopen, fresh

__all__ = ["PaymentsStorageContract", "checkout_record", "event_record", "token_record"]


def event_record(
    event_id: str,
    *,
    seller_id: str = "s-1",
    provider: str = "sandbox",
    payment_ref: str | None = "pay-1",
    kind: NoticeKind = NoticeKind.SUCCEEDED,
    amount: str | None = "119.00",
) -> ProviderEventRecord:
    """A recorded notice of ``provider`` about invoice i-1's payment ``payment_ref``."""
    return ProviderEventRecord(
        provider=provider,
        event_id=event_id,
        seller_id=seller_id,
        kind=kind,
        type="payment.succeeded",
        received_at=AT,
        outcome="recorded",
        invoice_id="i-1",
        payment_ref=payment_ref,
        amount=None if amount is None else Decimal(amount),
        currency="EUR",
        raw=b'{"id": "' + event_id.encode() + b'", "\\u00e9": "\\xff"}',
    )


def checkout_record(
    ref: str, *, seller_id: str = "s-1", invoice_id: str = "i-1", key: str = "k-1"
) -> CheckoutRecord:
    """An open sandbox session for 119.00 EUR of ``invoice_id``."""
    return CheckoutRecord(
        provider="sandbox",
        ref=ref,
        seller_id=seller_id,
        invoice_id=invoice_id,
        key=key,
        amount=Decimal("119.00"),
        currency="EUR",
        url=f"https://pay.example/sandbox/{ref}",
        created_at=AT,
        expires_at=AT + timedelta(hours=23),
    )


def token_record(token_hash: str, *, message_key: str | None = "m-1") -> PayTokenRecord:
    """A token of seller s-1's invoice i-1, valid for 60 days."""
    return PayTokenRecord(
        token_hash=token_hash,
        seller_id="s-1",
        invoice_id="i-1",
        customer_id="c-1",
        message_key=message_key,
        created_at=AT,
        expires_at=AT + timedelta(days=60),
    )


class PaymentsStorageContract(StorageFixtures):
    """Provider notices, checkout sessions and pay-link tokens."""

    def test_a_provider_event_is_stored_once(self, storage: Storage, reopen: Reopen) -> None:
        """A second add of (provider, event_id) is False and changes nothing, whatever it says."""
        first = event_record("evt-1")
        with storage.transaction() as tx:
            assert tx.provider_events.add(first) is True
        with storage.transaction() as tx:
            changed = attrs.evolve(first, kind=NoticeKind.FAILED, seller_id="s-2")
            assert tx.provider_events.add(changed) is False
            assert tx.provider_events.add(event_record("evt-1", provider="stripe")) is True
        with fresh(reopen, storage) as tx:
            assert tx.provider_events.list("s-1") == [
                first,
                event_record("evt-1", provider="stripe"),
            ]
            assert tx.provider_events.list("s-2") == []

    def test_provider_events_read_back_as_written(self, storage: Storage, reopen: Reopen) -> None:
        """Every field reads back equal (times as instants, amounts exactly, raw bytes as bytes)."""
        full = attrs.evolve(
            event_record("evt-full", kind=NoticeKind.REFUNDED, amount="10.005"),
            reason="requested_by_customer",
            code="refund",
            refund_ref="re_1",
            occurred_at=AT.astimezone(timezone(timedelta(hours=-5))),
            received_at=AT + timedelta(seconds=1),
            outcome="refused",
            raw=bytes(range(256)),
        )
        bare = ProviderEventRecord(
            provider="sandbox",
            event_id="evt-bare",
            seller_id="s-1",
            kind=NoticeKind.IGNORED,
            type="customer.created",
            received_at=AT,
            outcome="ignored",
        )
        with storage.transaction() as tx:
            tx.provider_events.add(full)
            tx.provider_events.add(bare)
        with fresh(reopen, storage) as tx:
            found = tx.provider_events.list("s-1")
        assert found == [full, bare]
        assert str(found[0].amount) == "10.005"
        assert isinstance(found[0].raw, bytes)

    def test_for_payment_and_list_filter_and_keep_order(
        self, storage: Storage, reopen: Reopen
    ) -> None:
        """``for_payment`` is one seller's provider payment; ``list`` filters by invoice and limits."""
        rows = [
            event_record("e-3", kind=NoticeKind.PENDING),
            event_record("e-1"),
            event_record("e-2", payment_ref="pay-2"),
            event_record("e-4", provider="stripe"),
            event_record("e-5", seller_id="s-2"),
            attrs.evolve(event_record("e-6", payment_ref=None), invoice_id="i-2"),
        ]
        with storage.transaction() as tx:
            for row in rows:
                tx.provider_events.add(row)
        with fresh(reopen, storage) as tx:
            assert tx.provider_events.for_payment("s-1", "sandbox", "pay-1") == rows[:2]
            assert tx.provider_events.for_payment("s-2", "sandbox", "pay-1") == [rows[4]]
            assert tx.provider_events.for_payment("s-1", "stripe", "pay-1") == [rows[3]]
            assert tx.provider_events.list("s-1", invoice_id="i-2") == [rows[5]]
            assert [r.event_id for r in tx.provider_events.list("s-1", limit=2)] == ["e-3", "e-1"]
            assert tx.provider_events.list("s-1", limit=0) == []

    def test_a_rolled_back_event_is_not_stored(self, storage: Storage, reopen: Reopen) -> None:
        """The dedupe row goes with its transaction: a failed intake can be delivered again."""

        def fail_after_adding() -> None:
            with storage.transaction() as tx:
                tx.provider_events.add(event_record("evt-1"))
                raise RuntimeError

        with pytest.raises(RuntimeError):
            fail_after_adding()
        with storage.transaction() as tx:
            assert tx.provider_events.add(event_record("evt-1")) is True
        with fresh(reopen, storage) as tx:
            assert len(tx.provider_events.list("s-1")) == 1

    def test_racing_adds_of_one_event_store_it_once(self, storage: Storage, reopen: Reopen) -> None:
        """Of transactions in several threads adding one event id, exactly one gets True."""
        if not self.supports_threads:
            pytest.skip("this adapter's instances cannot run in several threads")
        results: list[bool] = []
        errors: list[BaseException] = []
        barrier = threading.Barrier(4)

        def deliver() -> None:
            store = reopen(storage)
            try:
                barrier.wait()
                for _ in range(3):
                    try:
                        with store.transaction() as tx:
                            results.append(tx.provider_events.add(event_record("evt-race")))
                        return
                    except ConcurrencyError as exc:  # a busy store: retry
                        errors.append(exc)
                    except Exception as exc:  # noqa: BLE001 - reported by the assert below
                        errors.append(exc)
                        return
            finally:
                if store is not storage:
                    store.close()

        threads = [threading.Thread(target=deliver) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert results.count(True) == 1, (results, errors)
        with fresh(reopen, storage) as tx:
            assert len(tx.provider_events.list("s-1")) == 1

    def test_checkout_sessions_are_unique_found_by_key_and_closed_once(
        self, storage: Storage, reopen: Reopen
    ) -> None:
        """``add`` is False for a stored (provider, ref); ``get_by_key`` is the last one added."""
        first, second = checkout_record("cs-1"), checkout_record("cs-2")
        other_invoice = checkout_record("cs-3", invoice_id="i-2", key="k-2")
        bare = attrs.evolve(checkout_record("cs-4", seller_id="s-2"), expires_at=None)
        with storage.transaction() as tx:
            assert [tx.checkouts.add(r) for r in (first, second, other_invoice, bare)] == [True] * 4
            assert tx.checkouts.add(attrs.evolve(first, url="https://elsewhere")) is False
        with fresh(reopen, storage) as tx:
            assert tx.checkouts.open_for_invoice("s-1", "i-1") == [first, second]
            assert tx.checkouts.get_by_key("s-1", "k-1") == second
            assert tx.checkouts.get_by_key("s-1", "k-9") is None
            assert tx.checkouts.get_by_key("s-2", "k-1") == bare
        with storage.transaction() as tx:
            assert tx.checkouts.close("s-1", "sandbox", "cs-1") is True
            assert tx.checkouts.close("s-1", "sandbox", "cs-1") is False
            assert tx.checkouts.close("s-2", "sandbox", "cs-2") is False  # another seller's
            assert tx.checkouts.close("s-1", "sandbox", "cs-nope") is False
        with fresh(reopen, storage) as tx:
            assert tx.checkouts.open_for_invoice("s-1", "i-1") == [second]
            closed = attrs.evolve(first, state=CheckoutState.CLOSED)
            assert tx.checkouts.get_by_key("s-1", "k-1") == second
            assert tx.checkouts.open_for_invoice("s-1", "i-2") == [other_invoice]
            assert closed.state is CheckoutState.CLOSED

    def test_pay_tokens_are_stored_by_hash_once(self, storage: Storage, reopen: Reopen) -> None:
        """``get`` finds the record by its hash; a second add of the hash is a DuplicateError."""
        token = token_record("a" * 64)
        bare = token_record("b" * 64, message_key=None)
        with storage.transaction() as tx:
            tx.pay_tokens.add(token)
            tx.pay_tokens.add(bare)
        with pytest.raises(DuplicateError), storage.transaction() as tx:
            tx.pay_tokens.add(attrs.evolve(token, invoice_id="i-2"))
        with fresh(reopen, storage) as tx:
            assert tx.pay_tokens.get("a" * 64) == token
            assert tx.pay_tokens.get("b" * 64) == bare
            assert tx.pay_tokens.get("c" * 64) is None
