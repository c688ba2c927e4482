"""Subscription invoices in ``run_due``: each due bill of each subscription becomes one invoice, once.

As recurring generation does (``services.generation``): the invoice of bill ``n`` has an
id derived from (seller, subscription, ``n``) (``subscription_invoice_id``, I2); a page
of subscriptions is claimed, drafted, issued and its progress saved in one transaction,
so a run that dies leaves the page as it was and the next run does it once.

A bill with metered prices is drafted at its ``bill_at`` and held for the usage grace
(the seller's ``usage_grace``, one hour by default): the first run at or after
``bill_at + grace`` recomputes its usage lines (usage received in the grace counts) and
issues it. What each metered price billed is kept (``BilledUsage``) with the instant
usage was counted up to (``usage_billed_until``); usage received later for a billed
period becomes one adjustment line on the next bill, and the kept amount is updated in
the same transaction, so it is billed exactly once. A trial whose end has come ends
here: into billing when the customer can pay (a saved payment method, or the seller
sends invoices to be paid by transfer), else into cancellation.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Final

import attrs

from invoicekit.domain import lifecycle
from invoicekit.domain import subscription_changes as subs
from invoicekit.domain.invoice import Invoice
from invoicekit.domain.parties import Customer, Seller
from invoicekit.domain.status import Status
from invoicekit.domain.subscription import Subscription, SubscriptionStatus
from invoicekit.domain.subscription_billing import PeriodBill, after_bill, due_bills
from invoicekit.errors import NotFoundError, ValidationError, problem
from invoicekit.ports import Transaction
from invoicekit.services import subscription_calls as calls
from invoicekit.services.changes import InvoiceChanges
from invoicekit.services.generation import Generated, GenerationReport, Skipped, generate_pages
from invoicekit.services.subscription_invoices import (
    SUBSCRIPTION,
    IssueIn,
    subscription_invoice_id,
)
from invoicekit.services.subscription_lines import (
    Known,
    bill_for,
    compose,
    keep,
    metered,
    prefetch,
)
from invoicekit.services.unit import Runner
from invoicekit.subscription_records import BilledUsage, SubscriptionRecord

__all__ = ["SubscriptionGenerator", "can_pay", "end_trial_if_due", "generate_all"]

#: Subscriptions generated per transaction.
_CHUNK: Final = 250
#: The reason a paused period's invoice is written off.
_PAUSED: Final = "subscription paused: marked uncollectible"


def can_pay(seller: Seller, customer: Customer) -> bool:
    """Whether a trial ends into billing: a saved payment method, or the seller sends invoices."""
    return customer.payment_method is not None or seller.collection == "send_invoice"


def end_trial_if_due(
    sub: Subscription, seller: Seller, customer: Customer, now: datetime
) -> Subscription:
    """``sub`` with its trial ended at ``trial_end`` when that has come by ``now``."""
    if sub.status is not SubscriptionStatus.TRIALING or sub.trial_end is None:
        return sub
    if sub.trial_end > now:
        return sub
    change = subs.end_trial(sub, at=sub.trial_end, has_payment_method=can_pay(seller, customer))
    return change.subscription


@attrs.define
class _Page:
    """What one page's transaction does; reset when the transaction is retried."""

    generated: builtins.list[Generated] = attrs.Factory(list)
    skipped: builtins.list[Skipped] = attrs.Factory(list)
    issued: builtins.list[str] = attrs.Factory(list)
    drafts: builtins.list[Invoice] = attrs.Factory(list)
    to_issue: builtins.list[Invoice] = attrs.Factory(list)
    uncollectible: set[str] = attrs.Factory(set)
    progress: builtins.list[SubscriptionRecord] = attrs.Factory(list)

    def clear(self) -> None:
        for part in (self.generated, self.skipped, self.issued, self.drafts, self.to_issue):
            part.clear()
        self.uncollectible.clear()
        self.progress.clear()


@attrs.define
class _State:
    """One subscription's progress while its page is generated."""

    sub: Subscription
    billed: builtins.list[BilledUsage]
    last: int | None
    held: builtins.list[str] = attrs.Factory(list)
    #: Usage was counted by a bill issued now (``usage_billed_until`` moves).
    counted: bool = False


@attrs.frozen
class _Run:
    """What every subscription of a page is generated with."""

    seller: Seller
    customer: Customer
    #: The instant ``run_due`` runs at (what is due).
    now: datetime
    #: The transaction's clock (issue and received times).
    at: datetime
    page: _Page
    #: The usage of the page's due bills, aggregated ahead in one ``aggregate_many``.
    known: Known = attrs.Factory(dict)


class SubscriptionGenerator:
    """Generates one seller's due subscription invoices."""

    def __init__(self, runner: Runner, seller_id: str, issue_in: IssueIn) -> None:
        self._run = runner
        self._seller_id = seller_id
        self._issue_in = issue_in

    def generate_due(self, now: datetime, *, dry_run: bool = False) -> GenerationReport:
        """Draft every due bill of every subscription; issue each once its grace has passed."""
        with self._run.read() as tx:
            ids = [sid for _, sid in tx.subscriptions.billing(self._seller_id)]
        if dry_run:
            return self._plan(ids, now)
        return generate_pages(
            self._run,
            self._seller_id,
            ids,
            lambda page: self._generate(page, now),
            after_page="subscriptions_after_issue",
            size=_CHUNK,
        )

    def _plan(self, ids: Sequence[str], now: datetime) -> GenerationReport:
        generated: list[Generated] = []
        skipped: list[Skipped] = []
        with self._run.read() as tx:
            grace = tx.sellers.get(self._seller_id).usage_grace
            for sub_id in ids:
                record = tx.subscriptions.get(self._seller_id, sub_id)
                for bill in due_bills(record.subscription, record.last_index, now):
                    if bill.skipped is not None:
                        skipped.append(Skipped(self._seller_id, sub_id, bill.index, bill.skipped))
                    else:
                        ripe = _ripe(record.subscription, bill, now, grace)
                        generated.append(self._made(record.subscription, bill, issue=ripe))
        issued = [g.invoice_id for g in generated if g.issue]
        return GenerationReport(tuple(generated), tuple(issued), tuple(skipped), dry_run=True)

    def _made(self, sub: Subscription, bill: PeriodBill, *, issue: bool) -> Generated:
        p = bill.period
        invoice_id = subscription_invoice_id(self._seller_id, sub.id, bill.index)
        return Generated(
            self._seller_id, sub.id, bill.index, p.start, p.last_day, invoice_id, issue
        )

    def _generate(self, ids: Sequence[str], now: datetime) -> _Page:
        """One page in one transaction: claim, end trials, draft, issue, save progress."""
        page = _Page()

        def body(tx: Transaction, at: datetime) -> None:
            page.clear()
            seller = tx.sellers.get(self._seller_id)
            claimed = {
                r.subscription.id: r for r in tx.subscriptions.claim_many(self._seller_id, ids)
            }
            wanted = sorted({r.subscription.customer_id for r in claimed.values()})
            customers = tx.customers.get_many(self._seller_id, wanted)
            due: dict[str, tuple[Subscription, list[PeriodBill]]] = {}
            for sub_id, r in claimed.items():
                customer = customers[r.subscription.customer_id]
                sub = end_trial_if_due(r.subscription, seller, customer, now)
                due[sub_id] = sub, list(due_bills(sub, r.last_index, now))
            known = prefetch(tx, self._seller_id, list(due.values()))
            for sub_id in ids:
                record = claimed.get(sub_id)
                if record is None:
                    why = "claimed by another worker"
                    page.skipped.append(Skipped(self._seller_id, sub_id, None, why))
                    continue
                customer = customers[record.subscription.customer_id]
                self._one(tx, record, _Run(seller, customer, now, at, page, known), *due[sub_id])
            tx.subscriptions.save_many(page.progress)
            if page.drafts:
                tx.invoices.add_many(page.drafts)
            if page.to_issue:
                self._run.faults.hit("subscriptions_before_issue")
                issued = self._issue_in(tx, page.to_issue, at, customers)
                page.issued += [inv.id for inv in issued]
                changes = InvoiceChanges(self._run, self._seller_id)
                for inv in issued:
                    if inv.id in page.uncollectible:
                        changes.apply_in(tx, inv, [lifecycle.WriteOff(_PAUSED)], now=at)

        self._run.write(self._seller_id, calls.GenerateSubscriptions(), body)
        return page

    def _one(
        self,
        tx: Transaction,
        record: SubscriptionRecord,
        run: _Run,
        sub: Subscription,
        bills: Sequence[PeriodBill],
    ) -> None:
        """One subscription: its held drafts, its due bills; progress appended.

        ``sub``: its subscription with its trial ended if due; ``bills``: its ``due_bills``.
        """
        state = _State(sub=sub, billed=list(record.billed), last=record.last_index)
        for invoice_id in record.to_issue:
            self._release(tx, record, invoice_id, state, run)
        for bill in bills:
            self._bill(tx, record, bill, state, run)
        # Canceled with nothing held: nothing more to bill, billing() leaves it out.
        finished = state.sub.status is SubscriptionStatus.CANCELED and not state.held
        unchanged = state.sub == record.subscription and state.last == record.last_index
        if unchanged and not record.to_issue and finished == record.finished:
            return
        run.page.progress.append(
            attrs.evolve(
                record,
                subscription=state.sub,
                last_index=state.last,
                to_issue=tuple(state.held),
                billed=keep(state.billed),
                usage_billed_until=run.at if state.counted else record.usage_billed_until,
                finished=finished,
            )
        )

    def _release(
        self, tx: Transaction, record: SubscriptionRecord, invoice_id: str, state: _State, run: _Run
    ) -> None:
        """A draft held for usage: issued with its usage recounted once its grace has passed."""
        draft = self._held(tx, record, invoice_id, run.page)
        if draft is None:
            return
        bill = bill_for(state.sub, int(draft.metadata["period"]), run.now)
        if bill is None or not _ripe(state.sub, bill, run.now, run.seller.usage_grace):
            state.held.append(invoice_id)
            return
        current = _with_billed(record, state.billed)
        composed = compose(tx, current, state.sub, bill, run.now, late=not state.counted)
        state.billed = [*composed.amended, *composed.billed]
        edit = lifecycle.Edit(seller=run.seller, lines=composed.lines or None)
        edited = InvoiceChanges(self._run, self._seller_id).apply_in(tx, draft, [edit], now=run.at)
        run.page.to_issue.append(edited)
        if bill.uncollectible:
            run.page.uncollectible.add(edited.id)
        state.counted = True

    def _bill(
        self,
        tx: Transaction,
        record: SubscriptionRecord,
        bill: PeriodBill,
        state: _State,
        run: _Run,
    ) -> None:
        """One due bill: drafted, and issued now or held for its usage grace."""
        page, sub = run.page, state.sub
        state.last = bill.index
        if bill.skipped is not None:
            page.skipped.append(Skipped(self._seller_id, sub.id, bill.index, bill.skipped))
            state.sub = after_bill(sub, bill)
            return
        issue = _ripe(sub, bill, run.now, run.seller.usage_grace)
        current = _with_billed(record, state.billed)
        # Late usage of billed periods goes on the first bill issued now, once.
        late = issue and not state.counted
        composed = compose(tx, current, sub, bill, run.now, late=late, known=run.known)
        if issue:
            state.billed = [*composed.amended, *composed.billed]
        state.sub = after_bill(sub, bill)  # its pending prorations are on this bill
        if not composed.lines:  # a final bill without usage, say: handled, no invoice
            page.skipped.append(Skipped(self._seller_id, sub.id, bill.index, "nothing to bill"))
            return
        made = self._made(sub, bill, issue=issue)
        page.generated.append(made)
        draft = Invoice.draft(
            id=made.invoice_id,
            seller=run.seller,
            customer=run.customer,
            lines=composed.lines,
            at=run.at,
            currency=sub.currency,
            terms=sub.terms,
            metadata={SUBSCRIPTION: sub.id, "period": bill.index},
        )
        page.drafts.append(draft)
        self._run.faults.hit("subscriptions_after_draft")
        if issue:
            page.to_issue.append(draft)
            if bill.uncollectible:
                page.uncollectible.add(draft.id)
            state.counted = True
        else:
            state.held.append(draft.id)

    def _held(
        self, tx: Transaction, record: SubscriptionRecord, invoice_id: str, page: _Page
    ) -> Invoice | None:
        """A draft held for late usage, still a draft; one deleted by hand is skipped."""
        try:
            inv = tx.invoices.get(self._seller_id, invoice_id, for_update=True)
        except NotFoundError:
            why = f"its draft was deleted by hand; the period counts as handled (invoice {invoice_id})"
            page.skipped.append(Skipped(self._seller_id, record.subscription.id, None, why))
            return None
        return inv if inv.status is Status.DRAFT else None


def _with_billed(record: SubscriptionRecord, billed: Sequence[BilledUsage]) -> SubscriptionRecord:
    """``record`` with ``billed`` (itself when that is what it holds: no copy per bill)."""
    kept = tuple(billed)
    return record if kept == record.billed else attrs.evolve(record, billed=kept)


def _ripe(sub: Subscription, bill: PeriodBill, now: datetime, grace: timedelta) -> bool:
    """Whether the bill is issued now: no usage to wait for, or the seller's grace has passed."""
    if bill.usage_window is None or not metered(sub):
        return True
    return now >= bill.bill_at + grace


def generate_all(
    runner: Runner,
    issue_in_for: Callable[[str], IssueIn],
    now: datetime | None,
    *,
    dry_run: bool = False,
) -> GenerationReport:
    """``generate_due`` for every seller with subscriptions that may bill; one report for all."""
    when = now or runner.clock.now()
    if not isinstance(when, datetime) or when.utcoffset() is None:
        raise ValidationError(
            [problem("now", "must be a timezone-aware datetime, or None", now)],
            subject="generation",
        )
    with runner.read() as tx:
        sellers = sorted({seller_id for seller_id, _ in tx.subscriptions.billing()})
    report = GenerationReport(dry_run=dry_run)
    for seller_id in sellers:
        generator = SubscriptionGenerator(runner, seller_id, issue_in_for(seller_id))
        report += generator.generate_due(when, dry_run=dry_run)
    return report
