"""One seller's subscriptions: created from a plan, changed, paused, cancelled, previewed.

Every change runs the domain's change function (``domain.subscription``) on the stored
subscription at ``at`` (default: now) and saves the result in one transaction. Proration
lines wait on the subscription for its next invoice, except with ``invoice_now``: they are
billed at once (see ``services.subscription_invoices.bill_now``). Invoices of periods come
out of ``billing.run_due`` (``services.subscription_billing``). How a change runs and
is saved is in ``services.subscription_base``.
"""

from __future__ import annotations

import builtins
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import attrs

from invoicekit.domain import checks
from invoicekit.domain import subscription_changes as subs
from invoicekit.domain.coupons import AppliedCoupon
from invoicekit.domain.invoice import Invoice
from invoicekit.domain.line import Line
from invoicekit.domain.subscription import (
    Change,
    PauseBehavior,
    ProrationBehavior,
    Subscription,
    SubscriptionStatus,
)
from invoicekit.errors import problem
from invoicekit.ports import Transaction
from invoicekit.services import subscription_calls as calls
from invoicekit.services import subscription_checks as sc
from invoicekit.services.subscription_base import (  # PreviewFn: importable here as before
    PreviewFn,  # noqa: F401
    SubscriptionsBase,
)
from invoicekit.subscription_records import SubscriptionRecord

__all__ = ["Subscriptions"]


class Subscriptions(SubscriptionsBase):
    """``books.subscriptions``: customers on plans, billed by ``run_due``."""

    def create(
        self,
        customer_id: str,
        *,
        plan_id: str,
        currency: str | None = None,
        quantities: Mapping[str, Decimal | int] | None = None,
        start: datetime | None = None,
        trial_days: int | None = None,
        trial_end: datetime | None = None,
        trial_lines: Sequence[Line | Mapping[str, Any]] | None = None,
        coupon_id: str | None = None,
        id: str | None = None,
        idempotency_key: str | None = None,
    ) -> Subscription:
        """Subscribe ``customer_id`` to plan ``plan_id`` from ``start`` (default: now).

        ``currency`` picks the plan's prices (default: the seller's); ``quantities`` sets
        seats per price id. A trial runs ``trial_days`` (default: the plan's) or until
        ``trial_end``; ``trial_lines`` bill the trial at a price instead of nothing.
        """
        found = checks.lookup("customer_id", customer_id) + checks.lookup("plan_id", plan_id)
        found += checks.identifier("id", id, required=False)
        found += checks.lookup("coupon_id", coupon_id, required=False)
        found += sc.instant("start", start) + sc.instant("trial_end", trial_end)
        found += sc.quantities(quantities)
        if currency is not None:
            found += checks.text("currency", currency, limit=3)
        if trial_days is not None:
            found += checks.at_least("trial_days", trial_days, 0)
            if trial_end is not None:
                found.append(problem("trial_end", "give trial_days or trial_end, not both", None))
        checks.refuse(found, "subscription")
        subscription_id = id or self._new_id("sub")

        def body(tx: Transaction, now: datetime) -> Subscription:
            seller = tx.sellers.get(self._seller_id)
            customer = tx.customers.get(self._seller_id, customer_id)
            plan = tx.catalog.get_plan(self._seller_id, plan_id)
            coupons: tuple[AppliedCoupon, ...] = ()
            if coupon_id is not None:
                coupon = tx.catalog.get_coupon(self._seller_id, coupon_id)
                coupons = (AppliedCoupon(coupon=coupon, first_index=0),)
            begins = start or now
            days = plan.trial_days if trial_days is None else trial_days
            ends = trial_end or (begins + timedelta(days=days) if days else None)
            sub = Subscription.create(
                id=subscription_id,
                customer_id=customer_id,
                plan=plan,
                currency=currency or seller.currency,
                start=begins,
                zone=customer.timezone or seller.timezone,
                quantities=quantities,
                trial_end=ends,
                trial_lines=tuple(trial_lines or ()),
                coupons=coupons,
            )
            tx.subscriptions.add(
                SubscriptionRecord(seller_id=self._seller_id, subscription=sub, created_at=now)
            )
            return sub

        call = calls.CreateSubscription(
            id=id,
            customer_id=customer_id,
            plan_id=plan_id,
            currency=currency,
            quantities=sc.plain(quantities),
            start=start,
            trial_days=trial_days,
            trial_end=trial_end,
            trial_lines=sc.plain(trial_lines),
            coupon_id=coupon_id,
        )
        return self._run.write(self._seller_id, call, body, Subscription, key=idempotency_key)

    def get(self, subscription_id: str) -> Subscription:
        """The subscription. Raises NotFoundError (also for another seller's)."""
        return self.progress(subscription_id).subscription

    def progress(self, subscription_id: str) -> SubscriptionRecord:
        """The stored subscription with its billing progress (last period, usage billed)."""
        checks.refuse(checks.lookup("subscription_id", subscription_id), "subscription")
        with self._run.read() as tx:
            return tx.subscriptions.get(self._seller_id, subscription_id)

    def list(
        self,
        *,
        customer_id: str | None = None,
        status: SubscriptionStatus | str | None = None,
        limit: int = 100,
        after: str | None = None,
    ) -> builtins.list[Subscription]:
        """The seller's subscriptions ordered by id, ``limit`` at a time after id ``after``."""
        chosen = sc.listing(customer_id, status, SubscriptionStatus, limit, after)
        with self._run.read() as tx:
            records = tx.subscriptions.list(
                self._seller_id, customer_id=customer_id, status=chosen, limit=limit, after=after
            )
        return [r.subscription for r in records]

    # -- changes ---------------------------------------------------------------------------

    def change_quantity(
        self,
        subscription_id: str,
        quantity: Decimal | int | str,
        *,
        price_id: str | None = None,
        proration: ProrationBehavior | str = "prorate",
        at: datetime | None = None,
        idempotency_key: str | None = None,
    ) -> Subscription:
        """Set the seats of ``price_id`` (default: the subscription's one seats price) from ``at``."""
        found = sc.quantities({"quantity": quantity}) + sc.choice(
            "proration", proration, ProrationBehavior
        )
        found = [
            attrs.evolve(p, path="quantity") if p.path.startswith("quantities") else p
            for p in found
        ]
        found += checks.lookup("price_id", price_id, required=False)

        def apply(_tx: Transaction, sub: Subscription, when: datetime) -> Change:
            chosen = price_id or sc.seats_price(sub)
            return subs.change_quantity(
                sub,
                chosen,
                Decimal(str(quantity)),
                at=when,
                proration=ProrationBehavior(str(proration)),
            )

        details = {"quantity": str(quantity), "price_id": price_id, "proration": str(proration)}
        return self._change(
            subscription_id,
            "change_quantity",
            at=at,
            found=found,
            details=details,
            apply=apply,
            key=idempotency_key,
        )

    def change_plan(
        self,
        subscription_id: str,
        plan_id: str,
        *,
        quantities: Mapping[str, Decimal | int] | None = None,
        proration: ProrationBehavior | str = "prorate",
        at: datetime | None = None,
        idempotency_key: str | None = None,
    ) -> Subscription:
        """Move to plan ``plan_id`` from ``at``; ``proration`` says what the change bills."""
        found = checks.lookup("plan_id", plan_id) + sc.quantities(quantities)
        found += sc.choice("proration", proration, ProrationBehavior)

        def apply(tx: Transaction, sub: Subscription, when: datetime) -> Change:
            plan = tx.catalog.get_plan(self._seller_id, plan_id)
            return subs.change_plan(
                sub,
                plan,
                at=when,
                proration=ProrationBehavior(str(proration)),
                quantities=quantities,
            )

        details = {
            "plan_id": plan_id,
            "quantities": sc.plain(quantities),
            "proration": str(proration),
        }
        return self._change(
            subscription_id,
            "change_plan",
            at=at,
            found=found,
            details=details,
            apply=apply,
            key=idempotency_key,
        )

    def pause(
        self,
        subscription_id: str,
        *,
        behavior: PauseBehavior | str = "skip",
        at: datetime | None = None,
    ) -> Subscription:
        """Pause from ``at``: periods bill nothing ("skip") or are written off ("mark_uncollectible")."""
        found = sc.choice("behavior", behavior, PauseBehavior)

        def apply(_tx: Transaction, sub: Subscription, when: datetime) -> Change | None:
            if sub.status is SubscriptionStatus.PAUSED:
                return None  # a repeat changes nothing
            return subs.pause(sub, at=when, behavior=PauseBehavior(str(behavior)))

        return self._change(
            subscription_id,
            "pause",
            at=at,
            found=found,
            details={"behavior": str(behavior)},
            apply=apply,
        )

    def resume(self, subscription_id: str, *, at: datetime | None = None) -> Subscription:
        """Bill again from ``at`` (default: now); a subscription not paused is returned as it is."""

        def apply(_tx: Transaction, sub: Subscription, when: datetime) -> Change | None:
            if sub.status is not SubscriptionStatus.PAUSED:
                return None
            return subs.resume(sub, at=when)

        return self._change(subscription_id, "resume", at=at, found=[], details={}, apply=apply)

    def cancel(
        self,
        subscription_id: str,
        *,
        at_period_end: bool = False,
        prorate: bool = True,
        at: datetime | None = None,
    ) -> Subscription:
        """Cancel at ``at`` (or when the current period ends); ``prorate`` credits the unused time."""
        found = checks.flag("at_period_end", at_period_end) + checks.flag("prorate", prorate)

        def apply(_tx: Transaction, sub: Subscription, when: datetime) -> Change | None:
            if sub.status is SubscriptionStatus.CANCELED or (
                at_period_end and sub.cancel_at_period_end
            ):
                return None
            return subs.cancel(sub, at=when, at_period_end=at_period_end, prorate=prorate)

        details = {"at_period_end": at_period_end, "prorate": prorate}
        return self._change(
            subscription_id, "cancel", at=at, found=found, details=details, apply=apply
        )

    def apply_coupon(
        self, subscription_id: str, coupon_id: str, *, at: datetime | None = None
    ) -> Subscription:
        """Take coupon ``coupon_id`` off the subscription's invoices from the next one on."""
        found = checks.lookup("coupon_id", coupon_id)

        def apply(tx: Transaction, sub: Subscription, when: datetime) -> Change | None:
            coupon = tx.catalog.get_coupon(self._seller_id, coupon_id)
            if any(c.coupon.id == coupon.id for c in sub.coupons):
                return None  # a repeat adds it once
            return subs.add_coupon(sub, coupon, at=when)

        return self._change(
            subscription_id,
            "apply_coupon",
            at=at,
            found=found,
            details={"coupon_id": coupon_id},
            apply=apply,
        )

    def preview(
        self,
        subscription_id: str,
        *,
        at: datetime | None = None,
        change_plan: str | None = None,
        quantities: Mapping[str, Decimal | int] | None = None,
    ) -> Invoice:
        """The next invoice as ``run_due`` would make it, with a proposed change; writes nothing.

        ``change_plan`` (a plan id) and ``quantities`` propose a change at ``at``
        (default: now), prorated; the answer is an unsaved draft.
        """
        found = checks.lookup("subscription_id", subscription_id) + sc.instant("at", at)
        found += checks.lookup("change_plan", change_plan, required=False) + sc.quantities(
            quantities
        )
        checks.refuse(found, "preview")
        return self._preview(subscription_id, at, change_plan, quantities)
