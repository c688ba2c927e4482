"""``billing.run_due``: plan what is due with the pure planner, then perform each step once.

Every step runs in its own short transaction that locks the invoice and asks
``planning.why_not`` again, so a payment that races the sweep wins (T15) and nothing
goes out for an invoice paid meanwhile. Each (invoice, step) is sent at most once: the
message key is (invoice, kind, step, channel) and the outbox stores a key once (T26).
A late fee is decided, drafted, issued and recorded under the key of (invoice, step)
in one transaction with the invoice claimed, so no worker adds it twice and a run
killed half-way leaves nothing to finish (T26, T28). A dry run
plans with the same code and performs nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from decimal import Decimal

from invoicekit.domain import lifecycle
from invoicekit.domain.calendar import books_date
from invoicekit.domain.due_steps import (
    AddLateFee,
    ChargeInvoice,
    DuePlan,
    DueStep,
    GenerateOccurrence,
    MarkOverdueStep,
    RetryCollection,
    SendReminder,
    Skip,
)
from invoicekit.domain.dunning import LateFeeMode
from invoicekit.domain.events import ReminderSent
from invoicekit.domain.invoice import Invoice
from invoicekit.domain.late_fee import LATE_FEE_FOR, interest_on
from invoicekit.domain.line import Line
from invoicekit.domain.parties import Customer
from invoicekit.domain.planning import DueSnapshot, plan_due, why_not
from invoicekit.errors import ValidationError, problem
from invoicekit.ports import InvoiceClaims, MessageRecord, Notifier, Transaction
from invoicekit.records import IdempotencyRecord
from invoicekit.services import calls
from invoicekit.services.changes import InvoiceChanges
from invoicekit.services.collection import CLAIMED, Collection
from invoicekit.services.due_report import DueEntry, DueReport, action_of, skipped_entry
from invoicekit.services.due_snapshot import fee_key, interest_value, open_pages
from invoicekit.services.invoices import Invoices
from invoicekit.services.routing import Route, recipient
from invoicekit.services.unit import Runner

__all__ = ["RunDue"]

#: The recurring generation step (issue 15 item 2): ``recurring_due(now, dry_run)`` -> entries.
GenerationHook = Callable[[datetime, bool], Iterable[DueEntry]]


def _claim(tx: Transaction, seller_id: str, invoice_id: str) -> Invoice | None:
    """The invoice locked for this step, or None when another worker holds it (SKIP LOCKED)."""
    invoices = tx.invoices
    if isinstance(invoices, InvoiceClaims):
        return invoices.claim(seller_id, invoice_id)
    return invoices.get(seller_id, invoice_id, for_update=True)


class RunDue:
    """The executor behind ``billing.run_due``: one instance per Billing."""

    def __init__(
        self,
        runner: Runner,
        invoices_for: Callable[[str], Invoices],
        notifiers: Callable[[], dict[str, Notifier]],
        *,
        generate: GenerationHook | None = None,
    ) -> None:
        self._run = runner
        self._invoices_for = invoices_for
        self._notifiers = notifiers
        #: The generation hook (recurring templates), run first; None until recurring exists.
        self.generate = generate
        #: The executor of automatic charges and their retries; None: they are skipped.
        self.collect: Collection | None = None

    def __call__(self, now: datetime | None = None, *, dry_run: bool = False) -> DueReport:
        """Plan and perform what is due at ``now`` (the clock's time by default) for every seller."""
        if now is None:
            now = self._run.clock.now()
        if not isinstance(now, datetime) or now.utcoffset() is None:
            raise ValidationError(
                [problem("now", "must be a timezone-aware datetime (e.g. tzinfo=UTC)", now)],
                subject="run_due",
            )
        entries: list[DueEntry] = []
        if self.generate is not None:
            entries += self.generate(now, dry_run)
        for seller_id in self._sellers():
            for page in open_pages(self._run, seller_id):
                plan = plan_due(DueSnapshot(invoices=page), now)
                entries += self._entries(seller_id, plan, dry_run=dry_run)
        return DueReport(at=now, dry_run=dry_run, entries=tuple(entries))

    def plan_pages(self, now: datetime) -> list[tuple[str, DuePlan]]:
        """Every seller's plans at ``now``, one per page, performing nothing (``perform`` does)."""
        return [
            (seller_id, plan_due(DueSnapshot(invoices=page), now))
            for seller_id in self._sellers()
            for page in open_pages(self._run, seller_id)
        ]

    def perform(self, plans: Iterable[tuple[str, DuePlan]]) -> DueReport:
        """Perform plans made earlier, each step judged against the invoice as it is now (T15)."""
        entries: list[DueEntry] = []
        at: datetime | None = None
        for seller_id, plan in plans:
            at = plan.at
            entries += self._entries(seller_id, plan, dry_run=False)
        return DueReport(at=at or self._run.clock.now(), dry_run=False, entries=tuple(entries))

    def _sellers(self) -> list[str]:
        with self._run.read() as tx:
            return [s.id for s in tx.sellers.list()]

    def _entries(self, seller_id: str, plan: DuePlan, *, dry_run: bool) -> list[DueEntry]:
        """Perform a plan's steps in order; an invoice found claimed is left whole to its holder.

        A worker that cannot claim an invoice skips the rest of that invoice's steps in this
        plan: the holder (another ``run_due`` with the same plan) goes on through all of them,
        so every step is performed by the last worker to hold the invoice. Skipping only the
        one step could leave it to nobody: A skips the fee while B reminds, B skips it while
        A marks overdue (T26).
        """
        entries: list[DueEntry] = []
        held: set[str] = set()
        for step in plan.steps:
            subject = getattr(step, "invoice_id", None)
            if subject in held and not dry_run and not isinstance(step, Skip):
                name = getattr(step, "step", None)
                entries.append(
                    DueEntry(
                        seller_id, subject, action_of(step), "skipped", step=name, reason=CLAIMED
                    )
                )
                continue
            entry = self._entry(seller_id, step, dry_run=dry_run)
            if entry.reason == CLAIMED and subject is not None:
                held.add(subject)
            entries.append(entry)
        return entries

    def _entry(self, seller_id: str, step: DueStep, *, dry_run: bool) -> DueEntry:
        if isinstance(step, Skip):
            return skipped_entry(seller_id, step)
        subject = step.template_id if isinstance(step, GenerateOccurrence) else step.invoice_id
        name = getattr(step, "step", None)
        base = DueEntry(seller_id, subject, action_of(step), "planned", step=name)
        if dry_run:
            return base
        if isinstance(step, ChargeInvoice | RetryCollection) and self.collect is not None:
            return self.collect.perform(seller_id, step, base)
        reason, made = self._perform(seller_id, step)
        if reason is not None:
            return DueEntry(
                seller_id, subject, base.action, "skipped", step=name, reason=reason, made=made
            )
        return DueEntry(seller_id, subject, base.action, "done", step=name, made=made)

    def _perform(self, seller_id: str, step: DueStep) -> tuple[str | None, tuple[str, ...]]:
        """Perform one step; returns (why it was skipped or None, what it made)."""
        if isinstance(step, MarkOverdueStep):
            return self._mark_overdue(seller_id, step), ()
        if isinstance(step, SendReminder):
            return self._remind(seller_id, step)
        if isinstance(step, AddLateFee):
            return self._late_fee(seller_id, step)
        if isinstance(step, RetryCollection | ChargeInvoice):
            return "this Billing has no collection executor", ()
        return "no recurring generation configured on this Billing", ()

    def _mark_overdue(self, seller_id: str, step: MarkOverdueStep) -> str | None:
        changes = InvoiceChanges(self._run, seller_id)

        def body(tx: Transaction, _: datetime) -> str | None:
            inv = _claim(tx, seller_id, step.invoice_id)
            if inv is None:
                return CLAIMED
            reason = why_not(step, inv)
            if reason is None:  # judged as at run_due's ``now``, which may differ from the clock
                changes.apply_in(tx, inv, [lifecycle.MarkOverdue()], now=step.at)
            return reason

        return self._run.write(seller_id, calls.MarkOverdue(invoice_id=step.invoice_id), body)

    def _remind(self, seller_id: str, step: SendReminder) -> tuple[str | None, tuple[str, ...]]:
        invoices = self._invoices_for(seller_id)
        outgoing: list[MessageRecord] = []

        def body(tx: Transaction, now: datetime) -> str | None:
            outgoing.clear()
            inv = _claim(tx, seller_id, step.invoice_id)
            if inv is None:
                return CLAIMED
            minimum = tx.sellers.get(seller_id).reminder_minimum
            reason = why_not(step, inv, minimum=minimum)
            if reason is not None:
                return reason
            customer = tx.customers.get(seller_id, inv.customer_id)
            channels = self._channels(customer, step.channels)
            queued = invoices._queue_in(  # noqa: SLF001 - the services share Sending's queue
                tx, inv, kind=step.kind, step=step.step, channels=channels, now=now
            )
            outgoing.extend(queued)
            if queued:  # invoice.reminder_sent, in the transaction that queued it (once per step)
                sent = ReminderSent(
                    invoice_id=inv.id,
                    at=now,
                    kind=step.kind,
                    step=step.step,
                    channels=tuple(m.channel for m in queued),
                )
                tx.outbox.append(self._run.outbox_records(inv, [sent], before=str(inv.status)))
            return None if queued else "already sent"

        call = calls.Send(invoice_id=step.invoice_id, kind=step.kind, step=step.step)
        reason = self._run.write(seller_id, call, body)
        invoices._deliver(outgoing)  # noqa: SLF001 - after the commit, as send() does
        return reason, tuple(m.key for m in outgoing)

    def _channels(self, customer: Customer, wanted: tuple[str, ...]) -> tuple[str, ...] | None:
        """The policy's first channel the customer can be reached on; None: the customer's own."""
        notifiers = self._notifiers()
        for channel in wanted:
            if isinstance(recipient(customer, channel, notifiers), Route):
                return (channel,)
        return None

    def _late_fee(self, seller_id: str, step: AddLateFee) -> tuple[str | None, tuple[str, ...]]:
        """Decide and record the fee in one transaction with the invoice claimed (T26, T28).

        The re-check (paid meanwhile? added by another worker?), the fee's invoice (drafted
        and issued with ``issue_many``'s fast path) and the record of (invoice, step) under
        ``fee_key`` commit together or not at all: no double fee under any number of workers.
        """
        if step.mode is LateFeeMode.INTEREST:
            return self._interest(seller_id, step), ()
        invoices = self._invoices_for(seller_id)
        key = fee_key(step.invoice_id, step.step)
        made: list[str] = []

        def body(tx: Transaction, now: datetime) -> str | None:
            made.clear()
            inv = _claim(tx, seller_id, step.invoice_id)
            if inv is None:
                return CLAIMED
            if tx.idempotency.get(seller_id, key) is not None:
                return "done by another worker"
            seller = tx.sellers.get(seller_id)
            reason = why_not(step, inv, minimum=seller.reminder_minimum)
            if reason is not None:
                return reason
            customer = tx.customers.get(seller_id, inv.customer_id)
            line = Line(
                f"{step.description} (invoice {inv.ref}, {step.days_overdue} days late)",
                quantity=Decimal(1),
                unit_price=step.amount,
                tax=step.tax,
            )
            draft = Invoice.draft(
                id=self._run.new_id("inv"),
                seller=seller,
                customer=customer,
                lines=[line],
                at=now,
                currency=step.currency,
                metadata={LATE_FEE_FOR: step.invoice_id, "late_fee_step": step.step},
            )
            tx.invoices.add(draft)
            issued = invoices._issue_in(tx, [draft], now, {customer.id: customer})  # noqa: SLF001 - the services share the fast path
            made.extend(i.id for i in issued)
            value = {"id": made[0], "invoice_id": step.invoice_id, "step": step.step}
            tx.idempotency.put(
                IdempotencyRecord(
                    seller_id=seller_id,
                    key=key,
                    fingerprint="",
                    operation="late_fee",
                    result={"params": {}, "value": value},
                    created_at=now,
                )
            )
            return None

        reason = self._run.write(seller_id, calls.Issue(invoice_id=step.invoice_id), body)
        return reason, tuple(made)

    def _interest(self, seller_id: str, step: AddLateFee) -> str | None:
        """Compute the step's interest day-exact and record it, to be stated on its reminder.

        Decided and recorded under ``fee_key`` in one transaction with the invoice claimed,
        as a fee invoice is; the reminder of the same step (queued next) shows it.
        """
        key = fee_key(step.invoice_id, step.step)

        def body(tx: Transaction, now: datetime) -> str | None:
            inv = _claim(tx, seller_id, step.invoice_id)
            if inv is None:
                return CLAIMED
            if tx.idempotency.get(seller_id, key) is not None:
                return "done by another worker"
            seller = tx.sellers.get(seller_id)
            reason = why_not(step, inv, minimum=seller.reminder_minimum)
            if reason is not None:
                return reason
            if step.late_fee is None or inv.due_date is None:
                return "no interest rate or due date"
            on = books_date(step.at, seller)
            owed = interest_on(step.late_fee, inv.amount_due, inv.currency, inv.due_date, on)
            tx.idempotency.put(
                IdempotencyRecord(
                    seller_id=seller_id,
                    key=key,
                    fingerprint="",
                    operation="late_fee",
                    result={"params": {}, "value": {"interest": interest_value(owed)}},
                    created_at=now,
                )
            )
            return None

        return self._run.write(seller_id, calls.Issue(invoice_id=step.invoice_id), body)
