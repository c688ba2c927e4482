"""The contract of ``Transaction.catalog`` and ``Transaction.subscriptions``.

Plans and coupons read back equal and are one seller's, and so does the coupon a
customer holds (put replaces it, remove forgets it); a subscription reads back
whole (items, schedule, trial lines, pauses, coupons, pending proration) with its
progress (last_index, to_issue, billed, usage_billed_until, finished); ``save`` takes
``expected_version`` and bumps it; ``billing()`` lists every subscription not finished.
"""

# ruff: noqa: S101
# (a contract suite checks with assert and literal expected values, as tests do)

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import attrs
import pytest

from invoicekit.domain.customer_coupons import CustomerCoupon
from invoicekit.domain.subscription import SubscriptionStatus
from invoicekit.errors import ConcurrencyError, DuplicateError, NotFoundError
from invoicekit.ports import BilledUsage, Storage, SubscriptionRecord
from invoicekit.testing.contracts.storage_base import StorageFixtures
from invoicekit.testing.contracts.storage_builders import AT, Reopen, fresh
from invoicekit.testing.subscription_values import rich_coupon, rich_plan, rich_subscription

__all__ = ["SubscriptionsStorageContract", "subscription_record"]


def subscription_record(
    subscription_id: str, *, seller_id: str = "s-1", customer_id: str = "c-1"
) -> SubscriptionRecord:
    """A rich subscription (every optional field set) of ``customer_id``, not yet billed."""
    sub = attrs.evolve(
        rich_subscription(subscription_id, customer_id), status=SubscriptionStatus.ACTIVE
    )
    return SubscriptionRecord(seller_id=seller_id, subscription=sub, created_at=AT)


class SubscriptionsStorageContract(StorageFixtures):
    """``Transaction.catalog`` and ``Transaction.subscriptions`` behave as ``MemoryStorage``'s do."""

    def test_plans_and_coupons_read_back_per_seller(self, storage: Storage, reopen: Reopen) -> None:
        """Plans and coupons read back equal, ordered by id; another seller's are not found."""
        with storage.transaction() as tx:
            tx.catalog.add_plan("s-1", rich_plan("pro"))
            tx.catalog.add_plan("s-1", rich_plan("basic"))
            tx.catalog.add_plan("s-2", rich_plan("pro"))
            tx.catalog.add_coupon("s-1", rich_coupon("spring"))
            with pytest.raises(DuplicateError):
                tx.catalog.add_plan("s-1", rich_plan("pro"))
            with pytest.raises(DuplicateError):
                tx.catalog.add_coupon("s-1", rich_coupon("spring"))
        renamed = attrs.evolve(rich_plan("basic"), name="Basic", trial_days=0)
        with storage.transaction() as tx:
            tx.catalog.update_plan("s-1", renamed)
            with pytest.raises(NotFoundError):
                tx.catalog.update_plan("s-3", renamed)
        with fresh(reopen, storage) as tx:
            assert tx.catalog.get_plan("s-1", "pro") == rich_plan("pro")
            assert tx.catalog.list_plans("s-1") == [renamed, rich_plan("pro")]
            assert tx.catalog.get_coupon("s-1", "spring") == rich_coupon("spring")
            assert tx.catalog.list_coupons("s-1") == [rich_coupon("spring")]
            assert tx.catalog.list_coupons("s-2") == []
            with pytest.raises(NotFoundError):
                tx.catalog.get_coupon("s-2", "spring")
            with pytest.raises(NotFoundError):
                tx.catalog.get_plan("s-3", "pro")

    def test_a_customers_coupon_is_replaced_removed_and_one_sellers(
        self, storage: Storage, reopen: Reopen
    ) -> None:
        """Putting replaces a customer's coupon, removing forgets it; another seller sees none."""
        spring = CustomerCoupon(customer_id="c-1", coupon=rich_coupon("spring"), start=AT)
        later = datetime(2026, 3, 1, 12, 30, 0, 250, tzinfo=UTC)
        summer = CustomerCoupon(customer_id="c-1", coupon=rich_coupon("summer"), start=later)
        other = CustomerCoupon(customer_id="c-2", coupon=rich_coupon("spring"), start=AT)
        with storage.transaction() as tx:
            tx.catalog.put_customer_coupon("s-1", spring)
            tx.catalog.put_customer_coupon("s-1", other)
        with storage.transaction() as tx:
            tx.catalog.put_customer_coupon("s-1", summer)
            assert tx.catalog.remove_customer_coupon("s-1", "c-2") is True
            assert tx.catalog.remove_customer_coupon("s-1", "c-2") is False
            assert tx.catalog.remove_customer_coupon("s-2", "c-1") is False
        with fresh(reopen, storage) as tx:
            assert tx.catalog.get_customer_coupon("s-1", "c-1") == summer
            assert tx.catalog.get_customer_coupon("s-1", "c-2") is None
            assert tx.catalog.get_customer_coupon("s-2", "c-1") is None
        with pytest.raises(RuntimeError), storage.transaction() as tx:  # noqa: PT012 - the body is what rolls back
            tx.catalog.remove_customer_coupon("s-1", "c-1")
            raise RuntimeError("roll back")
        with fresh(reopen, storage) as tx:
            assert tx.catalog.get_customer_coupon("s-1", "c-1") == summer

    def test_a_subscription_reads_back_as_written(self, storage: Storage, reopen: Reopen) -> None:
        """The whole subscription and its progress read back equal, at version 1."""
        record = subscription_record("sub-1")
        billed = attrs.evolve(
            subscription_record("sub-2"),
            last_index=4,
            to_issue=("inv-a",),
            billed=(
                BilledUsage(
                    period_index=4, price_id="calls", quantity=Decimal("12.5"), amount=Decimal(5)
                ),
            ),
            usage_billed_until=datetime(2026, 5, 31, 22, tzinfo=UTC),
        )
        with storage.transaction() as tx:
            tx.subscriptions.add(record)
            tx.subscriptions.add(billed)
            with pytest.raises(DuplicateError):
                tx.subscriptions.add(record)
        with fresh(reopen, storage) as tx:
            assert tx.subscriptions.get("s-1", "sub-1") == record
            assert tx.subscriptions.get("s-1", "sub-2") == billed
            claimed = tx.subscriptions.claim_many("s-1", ["sub-9", "sub-2", "sub-1", "sub-2"])
            assert claimed == [record, billed]
            assert tx.subscriptions.claim_many("s-2", ["sub-1"]) == []
            with pytest.raises(NotFoundError):
                tx.subscriptions.get("s-2", "sub-1")

    def test_save_checks_and_bumps_the_version(self, storage: Storage, reopen: Reopen) -> None:
        """A save at a stale version is a retryable ConcurrencyError and changes nothing."""
        record = subscription_record("sub-1")
        with storage.transaction() as tx:
            tx.subscriptions.add(record)
        with storage.transaction() as tx:
            got = tx.subscriptions.get("s-1", "sub-1", for_update=True)
            saved = tx.subscriptions.save(
                attrs.evolve(got, last_index=0, to_issue=("inv-0",)), expected_version=1
            )
            assert (saved.version, saved.last_index, saved.to_issue) == (2, 0, ("inv-0",))
        with storage.transaction() as tx, pytest.raises(ConcurrencyError) as caught:
            tx.subscriptions.save(attrs.evolve(record, last_index=5), expected_version=1)
        assert caught.value.retryable
        with storage.transaction() as tx, pytest.raises(NotFoundError):
            tx.subscriptions.save(subscription_record("sub-9"), expected_version=1)
        with fresh(reopen, storage) as tx:
            assert tx.subscriptions.get("s-1", "sub-1") == saved

    def test_save_many_saves_each_at_its_version_or_none(
        self, storage: Storage, reopen: Reopen
    ) -> None:
        """``save_many`` bumps every version; one stale record refuses the whole transaction."""
        with storage.transaction() as tx:
            tx.subscriptions.add(subscription_record("sub-1"))
            tx.subscriptions.add(subscription_record("sub-2"))
        with storage.transaction() as tx:
            first = tx.subscriptions.claim_many("s-1", ["sub-1", "sub-2"])
            tx.subscriptions.save_many([attrs.evolve(r, last_index=3) for r in first])
        stale = [attrs.evolve(r, last_index=9) for r in first]
        with pytest.raises(ConcurrencyError), storage.transaction() as tx:
            tx.subscriptions.save_many(stale)
        with fresh(reopen, storage) as tx:
            found = tx.subscriptions.claim_many("s-1", ["sub-1", "sub-2"])
            assert [(r.version, r.last_index) for r in found] == [(2, 3), (2, 3)]

    def test_list_filters_pages_and_billing_leaves_finished_out(
        self, storage: Storage, reopen: Reopen
    ) -> None:
        """``list`` is one seller's subscriptions by id; ``billing`` those not finished."""
        canceled = subscription_record("sub-3", customer_id="c-2")
        canceled = attrs.evolve(
            canceled,
            subscription=attrs.evolve(canceled.subscription, status=SubscriptionStatus.CANCELED),
            finished=True,
        )
        with storage.transaction() as tx:
            for record in (
                subscription_record("sub-2"),
                subscription_record("sub-1", customer_id="c-2"),
                canceled,
                subscription_record("sub-1", seller_id="s-2"),
            ):
                tx.subscriptions.add(record)
        with fresh(reopen, storage) as tx:
            ids = [r.subscription.id for r in tx.subscriptions.list("s-1")]
            assert ids == ["sub-1", "sub-2", "sub-3"]
            by_customer = tx.subscriptions.list("s-1", customer_id="c-2")
            assert [r.subscription.id for r in by_customer] == ["sub-1", "sub-3"]
            ended = tx.subscriptions.list("s-1", status="canceled")
            assert [r.subscription.id for r in ended] == ["sub-3"]
            page = tx.subscriptions.list("s-1", limit=1, after="sub-1")
            assert [r.subscription.id for r in page] == ["sub-2"]
            assert tx.subscriptions.billing() == [
                ("s-1", "sub-1"),
                ("s-1", "sub-2"),
                ("s-2", "sub-1"),
            ]
            assert tx.subscriptions.billing("s-2") == [("s-2", "sub-1")]
