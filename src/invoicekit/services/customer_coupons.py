"""A coupon for a customer: ``books.customers.apply_coupon`` / ``remove_coupon`` / ``coupon``.

The customer's coupon is taken off the invoices of every subscription of theirs, by
``run_due`` and by ``subscriptions.preview`` alike (``subscription_lines.compose`` gathers
it); a subscription's own coupon takes precedence (``domain.customer_coupons``). Another
seller's customer or coupon is NotFoundError (T35).
"""

from __future__ import annotations

from datetime import datetime

from invoicekit.domain import checks
from invoicekit.domain.customer_coupons import CustomerCoupon
from invoicekit.domain.subscription import SubscriptionStatus
from invoicekit.errors import Problem, problem
from invoicekit.ports import Transaction
from invoicekit.services import subscription_calls as calls
from invoicekit.services import subscription_checks as sc
from invoicekit.services.unit import Runner

__all__ = ["apply_coupon", "customer_coupon", "remove_coupon"]

#: The most subscriptions of one customer checked for the coupon's currency at once.
_PAGE = 500


def apply_coupon(
    run: Runner,
    seller_id: str,
    customer_id: str,
    coupon_id: str,
    *,
    at: datetime | None,
    idempotency_key: str | None,
) -> CustomerCoupon:
    """Give the customer coupon ``coupon_id`` from ``at`` (default now); it replaces theirs.

    A fixed-amount coupon (or a percent one naming a currency) in another currency than
    one of the customer's subscriptions that is not canceled is refused (path
    ``coupon_id``). The same coupon applied again keeps the start it had.
    """
    found = checks.lookup("customer_id", customer_id) + checks.lookup("coupon_id", coupon_id)
    checks.refuse(found + sc.instant("at", at), "customer coupon")

    def body(tx: Transaction, now: datetime) -> CustomerCoupon:
        tx.customers.get(seller_id, customer_id)
        coupon = tx.catalog.get_coupon(seller_id, coupon_id)
        held = tx.catalog.get_customer_coupon(seller_id, customer_id)
        if held is not None and held.coupon == coupon:
            return held  # a repeat keeps the start, as a subscription's coupon is added once
        if coupon.currency is not None:
            checks.refuse(_other_currencies(tx, seller_id, customer_id, coupon.currency), "coupon")
        applied = CustomerCoupon(customer_id=customer_id, coupon=coupon, start=at or now)
        tx.catalog.put_customer_coupon(seller_id, applied)
        return applied

    call = calls.ApplyCustomerCoupon(customer_id=customer_id, coupon_id=coupon_id, at=at)
    return run.write(seller_id, call, body, CustomerCoupon, key=idempotency_key)


def _other_currencies(
    tx: Transaction, seller_id: str, customer_id: str, currency: str
) -> list[Problem]:
    """A problem for each currency other than ``currency`` the customer is billed in."""
    others: set[str] = set()
    after = None
    while True:
        page = tx.subscriptions.list(seller_id, customer_id=customer_id, limit=_PAGE, after=after)
        for record in page:
            sub = record.subscription
            if sub.status is not SubscriptionStatus.CANCELED and sub.currency != currency:
                others.add(sub.currency)
        if len(page) < _PAGE:
            break
        after = page[-1].subscription.id
    return [
        problem(
            "coupon_id",
            f"the coupon is in {currency}; the customer has a subscription billed in {code}",
            currency,
        )
        for code in sorted(others)
    ]


def remove_coupon(run: Runner, seller_id: str, customer_id: str) -> CustomerCoupon | None:
    """Take the customer's coupon away from the next bill on; the one removed (None: none held)."""
    checks.refuse(checks.lookup("customer_id", customer_id), "customer coupon")

    def body(tx: Transaction, _: datetime) -> CustomerCoupon | None:
        tx.customers.get(seller_id, customer_id)
        held = tx.catalog.get_customer_coupon(seller_id, customer_id)
        if held is not None:
            tx.catalog.remove_customer_coupon(seller_id, customer_id)
        return held

    call = calls.RemoveCustomerCoupon(customer_id=customer_id)
    return run.write(seller_id, call, body)


def customer_coupon(run: Runner, seller_id: str, customer_id: str) -> CustomerCoupon | None:
    """The coupon the customer holds, or None. NotFoundError for another seller's customer."""
    checks.refuse(checks.lookup("customer_id", customer_id), "customer coupon")
    with run.read() as tx:
        tx.customers.get(seller_id, customer_id)
        return tx.catalog.get_customer_coupon(seller_id, customer_id)
