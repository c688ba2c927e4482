"""Sellers and customers: create, update, look up, list and archive them."""

from __future__ import annotations

import builtins
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any, Unpack

import attrs

from invoicekit.domain import checks
from invoicekit.domain.collection import SavedPaymentMethod
from invoicekit.domain.customer_coupons import CustomerCoupon
from invoicekit.domain.numbering import changed_series
from invoicekit.domain.parties import Address, Customer, Seller
from invoicekit.errors import NotFoundError, ValidationError, problem
from invoicekit.ports import Transaction
from invoicekit.services import calls
from invoicekit.services import customer_coupons as cc
from invoicekit.services.fields import (
    CustomerChanges,
    CustomerSettings,
    SellerChanges,
    SellerFields,
)
from invoicekit.services.unit import Runner

__all__ = ["Customers", "Sellers"]

_SELLER_FIELDS = frozenset(f.name for f in attrs.fields(Seller)) - {"id"}
_CUSTOMER_FIELDS = frozenset(f.name for f in attrs.fields(Customer)) - {"id", "seller_id"}


def _unknown(
    changes: Mapping[str, Any],
    allowed: frozenset[str],
    subject: str,
    required: frozenset[str] = frozenset(),
) -> None:
    """Refuse a keyword that is not a field of ``subject``, and a ``required`` one left out."""
    listed = ", ".join(sorted(allowed))
    found = [
        problem(name, f"not a {subject} field; allowed: {listed}")
        for name in sorted(set(changes) - allowed)
    ]
    found += [
        problem(name, f"required: a {subject} needs {', '.join(sorted(required))}")
        for name in sorted(required - set(changes))
    ]
    if found:
        raise ValidationError(found, subject=subject)


class Sellers:
    """The sellers (tenants) of this billing instance."""

    def __init__(
        self,
        runner: Runner,
        new_id: Callable[[str], str],
        check_provider: Callable[[object], None] | None = None,
    ) -> None:
        self._run = runner
        self._new_id = new_id
        self._check_provider = check_provider

    def create(
        self,
        *,
        id: str | None = None,
        idempotency_key: str | None = None,
        **fields: Unpack[SellerFields],
    ) -> Seller:
        """Create a seller from Seller's fields (name, country, currency, timezone, ...)."""
        _unknown(fields, _SELLER_FIELDS, "seller", SellerFields.__required_keys__)
        seller_id = id or self._new_id("sel")
        seller = Seller(id=seller_id, **fields)
        checks.refuse(checks.stored_terms("terms", seller.terms), "seller")
        if self._check_provider is not None:
            self._check_provider(seller.payment_provider)

        def body(tx: Transaction, _: datetime) -> Seller:
            tx.sellers.add(seller)
            return seller

        scope = seller_id if idempotency_key is None else "*"
        call = calls.CreateSeller(id=id, fields=fields)
        return self._run.write(scope, call, body, Seller, key=idempotency_key)

    def get(self, seller_id: str) -> Seller:
        """The seller. Raises NotFoundError."""
        checks.refuse(checks.lookup("seller_id", seller_id), "seller")
        with self._run.read() as tx:
            return tx.sellers.get(seller_id)

    def update(
        self,
        seller_id: str,
        *,
        idempotency_key: str | None = None,
        **changes: Unpack[SellerChanges],
    ) -> Seller:
        """Change a seller's settings; issued invoices keep the snapshot they were issued with.

        A series that has issued a number keeps its format and reset (add a new series instead).
        """
        _unknown(changes, _SELLER_FIELDS, "seller")
        _check_changes(self.get, seller_id, changes)
        checks.refuse(checks.stored_terms("terms", changes.get("terms")), "seller")
        if self._check_provider is not None:
            self._check_provider(changes.get("payment_provider"))

        def body(tx: Transaction, _: datetime) -> Seller:
            before = tx.sellers.get(seller_id)
            seller = attrs.evolve(before, **changes)
            _keep_used_series(tx, before, seller)
            tx.sellers.update(seller)
            return seller

        call = calls.UpdateSeller(seller_id=seller_id, changes=changes)
        return self._run.write(seller_id, call, body, Seller, key=idempotency_key)

    def list(self) -> builtins.list[Seller]:
        """Every seller, by id."""
        with self._run.read() as tx:
            return tx.sellers.list()


class Customers:
    """One seller's customers; another seller's customer is never visible here."""

    def __init__(self, runner: Runner, seller_id: str, new_id: Callable[[str], str]) -> None:
        self._run = runner
        self._seller_id = seller_id
        self._new_id = new_id

    def create(
        self,
        name: str,
        *,
        id: str | None = None,
        email: str | None = None,
        phone: str | None = None,
        address: Address | None = None,
        channels: Sequence[str] | None = None,
        idempotency_key: str | None = None,
        **fields: Unpack[CustomerSettings],
    ) -> Customer:
        """Create a customer of this seller; channels default to e-mail when an address is given."""
        _unknown(fields, _CUSTOMER_FIELDS, "customer")
        chosen = checks.plural(channels) if channels is not None else (("email",) if email else ())
        customer = Customer(
            id=id or self._new_id("cus"),
            seller_id=self._seller_id,
            name=name,
            email=email,
            phone=phone,
            address=address,
            channels=chosen,
            **fields,
        )

        def body(tx: Transaction, _: datetime) -> Customer:
            tx.sellers.get(self._seller_id)
            tx.customers.add(customer)
            return customer

        call = calls.CreateCustomer(
            id=id,
            name=name,
            email=email,
            phone=phone,
            channels=chosen,
            address=address,
            fields=fields,
        )
        return self._run.write(self._seller_id, call, body, Customer, key=idempotency_key)

    def get(self, customer_id: str) -> Customer:
        """The customer. Raises NotFoundError (also for another seller's customer)."""
        checks.refuse(checks.lookup("customer_id", customer_id), "customer")
        with self._run.read() as tx:
            return tx.customers.get(self._seller_id, customer_id)

    def update(
        self,
        customer_id: str,
        *,
        idempotency_key: str | None = None,
        **changes: Unpack[CustomerChanges],
    ) -> Customer:
        """Change a customer's details; invoices already issued keep their snapshot."""
        _unknown(changes, _CUSTOMER_FIELDS, "customer")
        _check_changes(self.get, customer_id, changes)

        def body(tx: Transaction, _: datetime) -> Customer:
            customer = attrs.evolve(tx.customers.get(self._seller_id, customer_id), **changes)
            tx.customers.update(customer)
            return customer

        call = calls.UpdateCustomer(customer_id=customer_id, changes=changes)
        return self._run.write(self._seller_id, call, body, Customer, key=idempotency_key)

    def save_payment_method(
        self,
        customer_id: str,
        method: SavedPaymentMethod,
        *,
        idempotency_key: str | None = None,
    ) -> Customer:
        """Keep ``method`` (the provider's reference and the consent given) for automatic collection.

        Replaces a method saved before. Card data never reaches invoicekit: only the
        provider's reference, brand, last four digits and expiry.
        """
        if not isinstance(method, SavedPaymentMethod):
            checks.refuse(
                [problem("method", "must be a SavedPaymentMethod (from the provider)", method)],
                "customer",
            )
        return self.update(customer_id, payment_method=method, idempotency_key=idempotency_key)

    def remove_payment_method(self, customer_id: str) -> Customer:
        """Forget the customer's saved method: nothing is charged automatically any more."""
        return self.update(customer_id, payment_method=None)

    def archive(self, customer_id: str) -> Customer:
        """Hide a customer from listings; their invoices stay as they are (a repeat changes nothing)."""
        return self.update(customer_id, archived=True)

    def apply_coupon(
        self,
        customer_id: str,
        coupon_id: str,
        *,
        at: datetime | None = None,
        idempotency_key: str | None = None,
    ) -> CustomerCoupon:
        """Take coupon ``coupon_id`` off every subscription invoice of the customer's, from ``at``.

        It replaces the coupon the customer held; a subscription's own coupon takes
        precedence over it. Each subscription counts "once" and "for N periods" from its
        first bill after ``at`` (see docs/how-to/coupons.md).
        """
        return cc.apply_coupon(
            self._run,
            self._seller_id,
            customer_id,
            coupon_id,
            at=at,
            idempotency_key=idempotency_key,
        )

    def remove_coupon(self, customer_id: str) -> CustomerCoupon | None:
        """Stop the customer's coupon (bills from now on are without it); the one removed."""
        return cc.remove_coupon(self._run, self._seller_id, customer_id)

    def coupon(self, customer_id: str) -> CustomerCoupon | None:
        """The coupon the customer holds, or None."""
        return cc.customer_coupon(self._run, self._seller_id, customer_id)

    def list(
        self, *, include_archived: bool = False, limit: int = 100, after: str | None = None
    ) -> builtins.list[Customer]:
        """This seller's customers by id, ``limit`` at a time after id ``after``."""
        found = checks.flag("include_archived", include_archived) + checks.at_least("limit", limit)
        checks.refuse(found + checks.lookup("after", after, required=False), "query")
        with self._run.read() as tx:
            return tx.customers.list(
                self._seller_id, include_archived=include_archived, limit=limit, after=after
            )


def _check_changes(get: Callable[[str], Any], id: str, changes: Mapping[str, Any]) -> None:
    """Refuse bad values before the idempotency fingerprint is computed (it needs plain values).

    An unknown id is left to the write, which says so after the key is looked up: a key
    reused for another id is a ConflictError there, not a NotFoundError here.
    """
    try:
        current = get(id)
    except NotFoundError:
        return
    attrs.evolve(current, **changes)


def _keep_used_series(tx: Transaction, before: Seller, after: Seller) -> None:
    """Refuse changing or removing a series that has issued a number (its numbers would repeat)."""
    used = [
        name
        for name in changed_series(before.series, after.series)
        if tx.sequences.started(before.id, name)
    ]
    checks.refuse(
        [
            problem(
                "series",
                f"series {name!r} has issued numbers, so its format and reset are frozen: "
                "add a new series (Series.of(name, pattern, reset)) and draft with series=<name>",
                name,
            )
            for name in used
        ],
        "seller",
    )
