"""Payment links are asked of the provider after the issuing transaction (issue 11, item 6).

A provider is a network call: inside the write transaction a slow one would hold
SQLite's write lock, and every other writer would wait for it (or give up with
"database is locked"). A provider failure leaves the invoice issued without a
link, and ``add_payment_link`` (or ``issue_many`` again) asks once more.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import attrs
import pytest

import invoicekit as ik
from billing_fixtures import (  # noqa: F401 - fixtures are found by their registered names
    AT,
    clock_fixture,
    line,
    make_billing_fixture,
    storage_kind_fixture,
)
from invoicekit.errors import PaymentError
from invoicekit.ports import PaymentLink
from invoicekit.testing import FixedClock, MemoryNotifier, MemoryPayments

#: Longest wait for the other thread: a guard against a hang, never reached when all is well.
GUARD = 30.0
DOWN = PaymentError("provider unreachable", provider="memory", retryable=True)


@attrs.define
class BlockingPayments(MemoryPayments):
    """Hands out a link only when the test releases it; notes whether the release came."""

    entered: threading.Event = attrs.Factory(threading.Event)
    release: threading.Event = attrs.Factory(threading.Event)
    released: bool = False

    def payment_link(self, invoice: ik.Invoice) -> PaymentLink | None:
        """Wait for the test, then hand out the link."""
        self.entered.set()
        self.released = self.release.wait(GUARD)
        return super().payment_link(invoice)


def setup(billing: ik.Billing, drafts: int = 1, **seller: Any) -> tuple[ik.SellerBooks, list[str]]:
    created = billing.sellers.create(
        name="Northwind", country="DE", currency="EUR", timezone="Europe/Berlin", **seller
    )
    books = billing.seller(created.id)
    customer = books.customers.create("Globex", email="ap@globex.example")
    return books, [books.invoices.draft(customer.id, lines=[line()]).id for _ in range(drafts)]


def test_a_slow_provider_holds_no_lock_on_sqlite(tmp_path: Path) -> None:
    path = tmp_path / "billing.sqlite"
    provider = BlockingPayments()
    with (
        ik.Billing.sqlite(path, payments=provider, clock=FixedClock(AT)) as issuing,
        ik.Billing.sqlite(path, clock=FixedClock(AT)) as other,
    ):
        books, (slow, fast) = setup(issuing, drafts=2)
        result: list[ik.Invoice] = []
        worker = threading.Thread(target=lambda: result.append(books.invoices.issue(slow)))
        worker.start()
        try:
            assert provider.entered.wait(GUARD), "the provider was never asked for a link"
            # While the provider works, another writer issues (takes a number) and pays.
            others = other.seller(books.seller_id)
            issued = others.invoices.issue(fast)
            others.payments.record(issued.id, "10.00")
        finally:
            provider.release.set()
            worker.join(GUARD)
        assert provider.released, "the other writer waited for the provider"
        [linked] = result
        assert linked.payment_link == provider.links[-1]
        assert books.invoices.get(slow).payment_link == linked.payment_link
        assert {linked.number, issued.number} == {"INV-2026-00001", "INV-2026-00002"}


def test_a_provider_failure_leaves_the_invoice_issued_and_the_link_can_be_added_later(
    make_billing: Any, caplog: pytest.LogCaptureFixture
) -> None:
    provider = MemoryPayments(fail_next=DOWN)
    books, [draft_id] = setup(make_billing(payments=provider))

    issued = books.invoices.issue(draft_id)

    assert (issued.status, issued.number, issued.payment_link) == (
        ik.Status.PENDING,
        "INV-2026-00001",
        None,
    )
    assert books.invoices.get(draft_id) == issued
    assert "add_payment_link" in caplog.text
    linked = books.invoices.add_payment_link(draft_id)
    assert linked.payment_link == provider.links[-1]
    assert linked.version == issued.version + 1
    assert books.invoices.get(draft_id) == linked
    assert books.invoices.add_payment_link(draft_id) == linked  # has one: nothing asked
    assert len(provider.links) == 1


def test_add_payment_link_raises_when_the_provider_fails_again(make_billing: Any) -> None:
    provider = MemoryPayments(fail_next=DOWN)
    books, [draft_id] = setup(make_billing(payments=provider))
    issued = books.invoices.issue(draft_id)
    provider.fail_next = DOWN
    with pytest.raises(PaymentError, match="unreachable"):
        books.invoices.add_payment_link(draft_id)
    assert books.invoices.get(draft_id) == issued


def test_issue_many_again_adds_the_links_still_missing(make_billing: Any) -> None:
    provider = MemoryPayments(fail_next=DOWN)
    books, ids = setup(make_billing(payments=provider), drafts=3)
    first = books.invoices.issue_many(ids)
    links = [books.invoices.get(i).payment_link for i in ids]
    assert [link is None for link in links] == [True, False, False]
    again = books.invoices.issue_many(ids)
    assert all(books.invoices.get(i).payment_link for i in ids)
    assert again == first
    assert len(provider.links) == 3


def test_the_invoice_sent_on_issue_carries_its_link(make_billing: Any) -> None:
    notifier = MemoryNotifier()
    provider = MemoryPayments()
    billing = make_billing(payments=provider, notifiers=[notifier])
    books, [draft_id] = setup(billing, send_on_issue=True)
    issued = books.invoices.issue(draft_id)
    [sent] = notifier.sent
    assert sent.url == issued.payment_link == provider.links[-1]
    assert issued.payment_link is not None
    assert issued.payment_link in sent.text
