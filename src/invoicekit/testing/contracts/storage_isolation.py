"""The contract of tenant isolation (I9, T35): another seller's rows are as if they did not exist.

Every repository method that takes a seller is called in seller A's scope with
seller B's ids, numbers and keys, and again with ids that never existed: the
answers must be the same (the same error type and message, or the same empty
result), so no call becomes an oracle for B's data, and B's rows are unchanged.
"""

# ruff: noqa: S101, PLR2004
# (a contract suite checks with assert and literal expected values, as tests do;
# pytest rewrites these modules for readable failures)

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

import attrs

from invoicekit.domain.customer_coupons import CustomerCoupon
from invoicekit.errors import NotFoundError
from invoicekit.ports import InvoiceQuery, Storage, Transaction
from invoicekit.testing.contracts import storage_builders as b
from invoicekit.testing.contracts.storage_base import StorageFixtures
from invoicekit.testing.contracts.storage_builders import AT, Reopen, fresh
from invoicekit.testing.subscription_values import rich_coupon

__all__ = ["IsolationContract"]

_A: Final = "s-a"
_B: Final = "s-b"

#: Calls in A's scope that must raise NotFoundError for an id A cannot see: (kind of key, call).
_NOT_FOUND: Final[dict[str, tuple[str, Callable[[Transaction, str], object]]]] = {
    "customers.get": ("customer", lambda tx, key: tx.customers.get(_A, key)),
    "customers.update": (
        "customer",
        lambda tx, key: tx.customers.update(b.customer(_A, key)),
    ),
    "invoices.get": ("invoice", lambda tx, key: tx.invoices.get(_A, key)),
    "invoices.get for_update": (
        "invoice",
        lambda tx, key: tx.invoices.get(_A, key, for_update=True),
    ),
    "invoices.save": (
        "invoice",
        lambda tx, key: tx.invoices.save(
            b.draft(b.seller(_A), b.customer(_A, "c-a"), key), expected_version=1
        ),
    ),
    "invoices.delete": (
        "invoice",
        lambda tx, key: tx.invoices.delete(_A, key, expected_version=1),
    ),
    "invoices.get_by_number": ("number", lambda tx, key: tx.invoices.get_by_number(_A, key)),
    "credit_notes.get": ("credit note", lambda tx, key: tx.credit_notes.get(_A, key)),
}

#: Calls in A's scope whose answer for B's key must equal the answer for an unknown key.
_SAME_ANSWER: Final[dict[str, tuple[str, Callable[[Transaction, str], object]]]] = {
    "catalog.get_customer_coupon": (
        "customer",
        lambda tx, key: tx.catalog.get_customer_coupon(_A, key),
    ),
    "catalog.remove_customer_coupon": (
        "customer",
        lambda tx, key: tx.catalog.remove_customer_coupon(_A, key),
    ),
    "credit_notes.for_invoice": (
        "invoice",
        lambda tx, key: tx.credit_notes.for_invoice(_A, key),
    ),
    "idempotency.get": ("idempotency", lambda tx, key: tx.idempotency.get(_A, key)),
    "invoices.find customer_id": (
        "customer",
        lambda tx, key: tx.invoices.find(_A, InvoiceQuery(customer_id=key)),
    ),
    "invoices.find after": (
        "invoice",
        lambda tx, key: [i.id for i in tx.invoices.find(_A, InvoiceQuery(after=key))],
    ),
}

#: B's keys by kind, and keys of the same shape that nobody ever stored.
_THEIRS: Final = {
    "customer": "c-b",
    "invoice": "i-b",
    "number": "INV-2026-00002",
    "credit note": "cn-b",
    "idempotency": "key-b",
}
_NOBODYS: Final = {
    "customer": "c-x",
    "invoice": "i-x",
    "number": "INV-2026-00009",
    "credit note": "cn-x",
    "idempotency": "key-x",
}


def _populate(storage: Storage) -> None:
    """A and B, each with a customer, an issued invoice, a credit note, an outbox record, a key.

    Each customer holds a coupon (``catalog.put_customer_coupon``).

    A's rows use ids ``c-a``, ``i-a``...; B's use ``c-b``, ``i-b``... B has two issued
    invoices so its number ``INV-2026-00002`` has no counterpart at A.
    """
    for seller_id, suffix, count in ((_A, "a", 1), (_B, "b", 2)):
        seller, customer = b.seller(seller_id), b.customer(seller_id, f"c-{suffix}")
        with storage.transaction() as tx:
            tx.sellers.add(seller)
            tx.customers.add(customer)
            for n in range(count):
                invoice_id = f"i-{suffix}" if n == count - 1 else f"i-{suffix}{n}"
                draft = b.draft(seller, customer, invoice_id)
                tx.invoices.add(draft)
                issued = b.issue_in(tx, draft, seller, customer)
            _, note = b.credit(issued, f"cn-{suffix}", "CN-2026-00001")
            tx.credit_notes.add(note)
            tx.outbox.append([b.outbox_record(seller_id, f"out-{suffix}", invoice_id=issued.id)])
            tx.idempotency.put(b.idempotency_record(seller_id, f"key-{suffix}"))
            held = CustomerCoupon(customer_id=f"c-{suffix}", coupon=rich_coupon(), start=AT)
            tx.catalog.put_customer_coupon(seller_id, held)


def _outcome(call: Callable[[Transaction, str], object], storage: Storage, key: str) -> Any:
    """What ``call`` does with ``key``: ("ok", result) or (error type, message, kind, key)."""
    try:
        with storage.transaction() as tx:
            result = call(tx, key)
    except NotFoundError as exc:
        message = str(exc).replace(repr(key), "<key>").replace(key, "<key>")
        same_key = exc.key == key
        return type(exc), message, exc.kind, same_key
    return "ok", result


class IsolationContract(StorageFixtures):
    """Tenant isolation: B's rows are invisible and untouchable from A's scope (I9)."""

    def test_another_sellers_ids_are_not_found_like_unknown_ids(
        self, storage: Storage, reopen: Reopen
    ) -> None:
        """Each method of A's scope given B's id raises NotFoundError exactly as for an unknown id.

        Same type, same message (the key aside), same ``kind``, and ``key`` is the id
        given; B's data reads back unchanged from a fresh instance afterwards.
        """
        _populate(storage)
        with fresh(reopen, storage) as tx:
            before = b.observe(tx, idempotency_keys=["key-a", "key-b"])
        for name, (kind, call) in _NOT_FOUND.items():
            theirs = _outcome(call, storage, _THEIRS[kind])
            nobodys = _outcome(call, storage, _NOBODYS[kind])
            assert theirs[0] != "ok", (name, theirs)
            assert issubclass(theirs[0], NotFoundError), name
            assert theirs == nobodys, name
            assert theirs[3] is True, name
        with fresh(reopen, storage) as tx:
            assert b.observe(tx, idempotency_keys=["key-a", "key-b"]) == before

    def test_another_sellers_keys_give_the_answer_of_unknown_keys(self, storage: Storage) -> None:
        """Lists, finds and lookups of A's scope answer for B's key as for a key nobody used."""
        _populate(storage)
        for name, (kind, call) in _SAME_ANSWER.items():
            theirs = _outcome(call, storage, _THEIRS[kind])
            assert theirs == _outcome(call, storage, _NOBODYS[kind]), name
            assert theirs[0] == "ok", name
        with storage.transaction() as tx:  # A's remove_customer_coupon left B's
            assert tx.catalog.get_customer_coupon(_B, "c-b") is not None

    def test_lists_and_finds_never_return_another_sellers_rows(
        self, storage: Storage, reopen: Reopen
    ) -> None:
        """Every list, find, pending and counter of A shows only A's rows, and B's only B's."""
        _populate(storage)
        with fresh(reopen, storage) as tx:
            for mine, theirs in ((_A, _B), (_B, _A)):
                rows: list[Any] = [
                    *tx.customers.list(mine, include_archived=True),
                    *tx.invoices.find(mine, InvoiceQuery(limit=1000)),
                    *tx.outbox.list(seller_id=mine),
                    *tx.outbox.pending(seller_id=mine),
                    *tx.credit_notes.for_invoice(mine, f"i-{theirs[-1]}"),
                ]
                assert rows, mine
                assert {row.seller_id for row in rows} == {mine}
            assert tx.sequences.peek(_A, "invoice", "2026") == 2
            assert tx.sequences.peek(_B, "invoice", "2026") == 3

    def test_ids_and_numbers_are_per_seller(self, storage: Storage, reopen: Reopen) -> None:
        """A may use B's customer, invoice, credit-note ids, numbers and keys for rows of its own.

        A DuplicateError here would tell A that B has such a row (an existence oracle);
        each seller then reads back its own row under the shared id.
        """
        _populate(storage)
        seller, customer = b.seller(_A), b.customer(_A, "c-b", name="A's own")
        with storage.transaction() as tx:
            tx.customers.add(customer)
            draft = b.draft(seller, customer, "i-b")
            tx.invoices.add(draft)
            issued = b.issue_in(tx, draft, seller, customer)
            _, note = b.credit(issued, "cn-b", "CN-2026-00002")
            tx.credit_notes.add(note)
            tx.idempotency.put(b.idempotency_record(_A, "key-b", fingerprint="fp-a"))
        with fresh(reopen, storage) as tx:
            assert tx.customers.get(_A, "c-b") == customer
            assert tx.customers.get(_B, "c-b").name != customer.name
            assert tx.invoices.get(_A, "i-b") == issued
            assert issued.number == "INV-2026-00002"
            assert tx.invoices.get_by_number(_A, "INV-2026-00002") == issued
            assert tx.invoices.get_by_number(_B, "INV-2026-00002").seller_id == _B
            assert tx.credit_notes.get(_A, "cn-b") == note
            assert tx.credit_notes.get(_B, "cn-b").seller_id == _B
            stored = tx.idempotency.get(_A, "key-b")
            assert stored is not None
            assert stored.fingerprint == "fp-a"
            theirs = tx.idempotency.get(_B, "key-b")
            assert theirs is not None
            assert theirs.fingerprint == "fp-1"
            assert attrs.evolve(theirs, seller_id=_A, fingerprint="fp-a") == stored
