"""What every change of ``books.subscriptions`` shares: its state and the one way a change runs.

``_change`` checks the arguments, runs the domain change on the locked subscription,
saves it and, with ``invoice_now``, bills the change at once, all in one transaction
and under one idempotency key. Split from :mod:`invoicekit.services.subscriptions`,
whose ``Subscriptions`` adds the public methods.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

import attrs

from invoicekit.domain import checks
from invoicekit.domain.invoice import Invoice
from invoicekit.domain.subscription import (
    Change,
    Subscription,
)
from invoicekit.errors import Problem
from invoicekit.ports import Transaction
from invoicekit.services import subscription_calls as calls
from invoicekit.services import subscription_checks as sc
from invoicekit.services.subscription_invoices import IssueIn, bill_now
from invoicekit.services.unit import Runner

__all__ = ["PreviewFn", "SubscriptionsBase"]


#: Answers a preview: (subscription id, at, a plan id to move to, quantities) -> the invoice.
PreviewFn = Callable[[str, datetime | None, str | None, Mapping[str, Any] | None], Invoice]


class SubscriptionsBase:
    """The state of ``books.subscriptions`` and how one change is run and saved."""

    def __init__(
        self,
        runner: Runner,
        seller_id: str,
        new_id: Callable[[str], str],
        issue_in: IssueIn,
        preview: PreviewFn,
    ) -> None:
        self._run = runner
        self._seller_id = seller_id
        self._new_id = new_id
        self._issue_in = issue_in
        self._preview = preview

    def _change(
        self,
        subscription_id: str,
        change: str,
        *,
        at: datetime | None,
        found: builtins.list[Problem],
        details: Mapping[str, Any],
        apply: Callable[[Transaction, Subscription, datetime], Change | None],
        key: str | None = None,
    ) -> Subscription:
        found = checks.lookup("subscription_id", subscription_id) + sc.instant("at", at) + found
        checks.refuse(found, "subscription")

        def body(tx: Transaction, now: datetime) -> Subscription:
            record = tx.subscriptions.get(self._seller_id, subscription_id, for_update=True)
            done = apply(tx, record.subscription, at or now)
            if done is None:
                return record.subscription
            changed = attrs.evolve(
                done.subscription, change_invoice_id=None, change_credit_note_id=None
            )
            tx.subscriptions.save(
                attrs.evolve(record, subscription=changed), expected_version=record.version
            )
            if not (done.invoice_now and done.lines):
                return changed
            invoice_id, note_id = bill_now(
                tx,
                self._run,
                self._seller_id,
                change=attrs.evolve(done, subscription=changed),
                now=now,
                issue_in=self._issue_in,
            )
            # issuing may have moved the record on (a payment at issue sets its status)
            saved = tx.subscriptions.get(self._seller_id, subscription_id, for_update=True)
            changed = attrs.evolve(
                saved.subscription, change_invoice_id=invoice_id, change_credit_note_id=note_id
            )
            tx.subscriptions.save(
                attrs.evolve(saved, subscription=changed), expected_version=saved.version
            )
            return changed

        call = calls.ChangeSubscription(
            subscription_id=subscription_id, change=change, at=at, details=dict(details)
        )
        result_type = Subscription if key is not None else None
        return self._run.write(self._seller_id, call, body, result_type, key=key)
