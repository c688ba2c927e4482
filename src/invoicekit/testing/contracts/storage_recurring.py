"""The contract of ``Transaction.recurring``: templates stored, listed and saved by version.

A template reads back equal (its document whole: schedule, lines, terms, pauses);
``save`` takes ``expected_version`` and bumps it, so of two workers saving the same
version one gets a retryable ConcurrencyError; another seller's templates are never
visible. ``claim`` returns the template (None when it is not stored); ``claim_many``
the stored ones, ordered by id.
"""

# ruff: noqa: S101
# (a contract suite checks with assert and literal expected values, as tests do)

from __future__ import annotations

from datetime import UTC, date, datetime, time

import attrs
import pytest

from invoicekit.domain.line import Line
from invoicekit.domain.recurring import RecurringTemplate, TemplateStatus, pause
from invoicekit.domain.schedule import Schedule
from invoicekit.domain.tax import Vat
from invoicekit.domain.terms import NetDays
from invoicekit.errors import ConcurrencyError, DuplicateError, NotFoundError
from invoicekit.ports import Storage, TemplateRecord
from invoicekit.testing.contracts.storage_base import StorageFixtures
from invoicekit.testing.contracts.storage_builders import AT, Reopen, fresh

__all__ = ["RecurringStorageContract", "template_record"]


def template_record(
    template_id: str, *, seller_id: str = "s-1", customer_id: str = "c-1"
) -> TemplateRecord:
    """A monthly template of 1,500.00 at 19 % for ``customer_id``, net 14."""
    template = RecurringTemplate.create(
        id=template_id,
        customer_id=customer_id,
        schedule=Schedule.monthly(date(2026, 1, 31), "Europe/Berlin", time_of_day=time(9)),
        lines=[Line("Retainer {month_name} {year}", 1, "1500.00", tax=Vat("19"))],
        currency="EUR",
        terms=NetDays(14),
    )
    return TemplateRecord(seller_id=seller_id, template=template, created_at=AT)


class RecurringStorageContract(StorageFixtures):
    """``Transaction.recurring`` behaves as ``MemoryStorage``'s does."""

    def test_a_template_reads_back_as_written(self, storage: Storage, reopen: Reopen) -> None:
        """The whole template and its progress read back equal, at version 1."""
        record = template_record("t-1")
        paused = attrs.evolve(
            template_record("t-2"),
            template=pause(template_record("t-2").template, datetime(2026, 2, 1, tzinfo=UTC)),
            last_index=4,
            to_issue=("inv-a", "inv-b"),
        )
        with storage.transaction() as tx:
            tx.recurring.add(record)
            tx.recurring.add(paused)
            with pytest.raises(DuplicateError):
                tx.recurring.add(record)
        with fresh(reopen, storage) as tx:
            assert tx.recurring.get("s-1", "t-1") == record
            assert tx.recurring.get("s-1", "t-2") == paused
            assert tx.recurring.claim("s-1", "t-2") == paused
            assert tx.recurring.claim("s-1", "t-9") is None
            claimed = tx.recurring.claim_many("s-1", ["t-9", "t-2", "t-1", "t-2"])
            assert claimed == [record, paused]
            assert tx.recurring.claim_many("s-2", ["t-1"]) == []
            with pytest.raises(NotFoundError):
                tx.recurring.get("s-2", "t-1")

    def test_save_checks_and_bumps_the_version(self, storage: Storage, reopen: Reopen) -> None:
        """A save at a stale version is a retryable ConcurrencyError and changes nothing."""
        record = template_record("t-1")
        with storage.transaction() as tx:
            tx.recurring.add(record)
        with storage.transaction() as tx:
            saved = tx.recurring.save(
                attrs.evolve(record, last_index=0, to_issue=("inv-0",)), expected_version=1
            )
            assert (saved.version, saved.last_index, saved.to_issue) == (2, 0, ("inv-0",))
        with storage.transaction() as tx, pytest.raises(ConcurrencyError) as caught:
            tx.recurring.save(attrs.evolve(record, last_index=5), expected_version=1)
        assert caught.value.retryable
        with storage.transaction() as tx, pytest.raises(NotFoundError):
            tx.recurring.save(template_record("t-9"), expected_version=1)
        with fresh(reopen, storage) as tx:
            assert tx.recurring.get("s-1", "t-1") == saved

    def test_save_many_saves_each_at_its_version_or_none(
        self, storage: Storage, reopen: Reopen
    ) -> None:
        """``save_many`` bumps every version; one stale record refuses the whole transaction."""
        one, two = template_record("t-1"), template_record("t-2")
        with storage.transaction() as tx:
            tx.recurring.add(one)
            tx.recurring.add(two)
        with storage.transaction() as tx:
            first = tx.recurring.claim_many("s-1", ["t-1", "t-2"])
            tx.recurring.save_many([attrs.evolve(r, last_index=3) for r in first])
        with storage.transaction() as tx:
            assert [
                (r.version, r.last_index) for r in tx.recurring.claim_many("s-1", ["t-1", "t-2"])
            ] == [(2, 3), (2, 3)]
        stale = [attrs.evolve(r, last_index=9) for r in first]  # still at version 1
        with pytest.raises(ConcurrencyError), storage.transaction() as tx:
            tx.recurring.save_many(stale)
        with pytest.raises(NotFoundError), storage.transaction() as tx:
            tx.recurring.save_many([template_record("t-8"), template_record("t-9")])
        with fresh(reopen, storage) as tx:
            assert {r.last_index for r in tx.recurring.list("s-1")} == {3}

    def test_list_filters_orders_and_pages(self, storage: Storage, reopen: Reopen) -> None:
        """``list`` is one seller's templates by id; ``billing`` is every template's key."""
        ended = template_record("t-3", customer_id="c-2")
        ended = attrs.evolve(
            ended, template=attrs.evolve(ended.template, status=TemplateStatus.ENDED)
        )
        with storage.transaction() as tx:
            for record in (template_record("t-2"), template_record("t-1"), ended):
                tx.recurring.add(record)
            tx.recurring.add(template_record("t-1", seller_id="s-2"))
        with fresh(reopen, storage) as tx:
            assert [r.template.id for r in tx.recurring.list("s-1")] == ["t-1", "t-2", "t-3"]
            assert [r.template.id for r in tx.recurring.list("s-1", customer_id="c-2")] == ["t-3"]
            assert [r.template.id for r in tx.recurring.list("s-1", status="ended")] == ["t-3"]
            assert [r.template.id for r in tx.recurring.list("s-1", limit=1, after="t-1")] == [
                "t-2"
            ]
            assert tx.recurring.billing("s-2") == [("s-2", "t-1")]
            assert tx.recurring.billing() == [
                ("s-1", "t-1"),
                ("s-1", "t-2"),
                ("s-1", "t-3"),
                ("s-2", "t-1"),
            ]

    def test_a_rolled_back_add_stores_nothing(self, storage: Storage, reopen: Reopen) -> None:
        """Templates are part of the transaction: a rollback leaves none."""

        def add_then_fail() -> None:
            with storage.transaction() as tx:
                tx.recurring.add(template_record("t-1"))
                raise RuntimeError

        with pytest.raises(RuntimeError):
            add_then_fail()
        with fresh(reopen, storage) as tx:
            assert tx.recurring.list("s-1") == []
