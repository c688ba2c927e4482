"""Automatic collection in ``run_due``: charge a customer's saved payment method, at most once per attempt.

Each attempt (0: the first charge, n: retry n) has a key (invoice, attempt). It is
recorded durably BEFORE the provider is asked, then the provider charges under that
key, then the outcome is recorded with the payment or the failure in one transaction.
A process killed between the charge and the record leaves the attempt started and not
finished: the next run asks the provider again with the same key and gets the same
charge back, so each attempt charges at most once (T29).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any, ClassVar, Final

import attrs

from invoicekit.domain import lifecycle
from invoicekit.domain.collection import SavedPaymentMethod
from invoicekit.domain.due_steps import ChargeInvoice, RetryCollection
from invoicekit.domain.invoice import Invoice
from invoicekit.domain.planning import why_not
from invoicekit.errors import InvoiceKitError, PaymentError
from invoicekit.payment_records import ChargeOutcome, ChargeState
from invoicekit.ports import ChargesSaved, InvoiceClaims, PaymentProvider, Transaction
from invoicekit.records import IdempotencyRecord
from invoicekit.serialization.collection_values import method_document, method_from
from invoicekit.services.calls import Call
from invoicekit.services.changes import InvoiceChanges
from invoicekit.services.convergence import payment_id_for
from invoicekit.services.due_report import DueEntry
from invoicekit.services.unit import Runner

__all__ = ["Collection", "attempt_key", "outcome_key"]

#: The seller setting that turns automatic collection on.
AUTOMATIC: Final = "charge_automatically"
#: Why a step was left to another worker (PostgreSQL: the invoice's row was locked).
CLAIMED: Final = "claimed by another worker"


def attempt_key(invoice_id: str, attempt: int) -> str:
    """The key of collection attempt ``attempt`` of an invoice: stored first, passed to the provider."""
    return f"collect:{invoice_id}:{attempt}"


def outcome_key(invoice_id: str, attempt: int) -> str:
    """The key of the record saying attempt ``attempt``'s outcome is recorded on the invoice."""
    return f"{attempt_key(invoice_id, attempt)}:outcome"


@attrs.frozen(kw_only=True)
class ChargeSaved(Call):
    """One step of a collection attempt (never keyed: ``attempt_key`` is its dedupe)."""

    operation: ClassVar[str] = "collect"
    invoice_id: str
    attempt: int


@attrs.frozen
class _Attempt:
    """A started attempt: what to charge, to which method, under which key."""

    invoice: Invoice
    method: SavedPaymentMethod
    amount: Decimal
    key: str


def _claim(tx: Transaction, seller_id: str, invoice_id: str) -> Invoice | None:
    invoices = tx.invoices
    if isinstance(invoices, InvoiceClaims):
        return invoices.claim(seller_id, invoice_id)
    return invoices.get(seller_id, invoice_id, for_update=True)


class Collection:
    """The executor of ``ChargeInvoice`` and ``RetryCollection`` steps: one per Billing."""

    def __init__(self, runner: Runner, providers: Mapping[str, PaymentProvider]) -> None:
        self._run = runner
        self._providers = providers

    def perform(
        self, seller_id: str, step: ChargeInvoice | RetryCollection, base: DueEntry
    ) -> DueEntry:
        """Run one attempt; the entry says what was charged, or what was skipped and why."""
        started = self._start(seller_id, step)
        if isinstance(started, str):
            return attrs.evolve(base, outcome="skipped", reason=started)
        provider = self._providers.get(started.method.provider)
        if not callable(getattr(provider, "charge_saved", None)):
            why = f"provider {started.method.provider!r} cannot charge saved payment methods"
            return attrs.evolve(base, outcome="skipped", reason=why)
        charger: ChargesSaved = provider  # type: ignore[assignment] # checked just above
        self._run.faults.hit("collect_attempt_recorded")
        try:
            outcome = charger.charge_saved(
                started.invoice, started.method, started.amount, key=started.key
            )
        except PaymentError as exc:
            why = f"the provider could not be asked ({exc}); the next run asks again, same key"
            return attrs.evolve(base, outcome="skipped", reason=why)
        self._run.faults.hit("after_provider_call")
        reason, made = self._finish(seller_id, step, started, outcome)
        if reason is not None:
            return attrs.evolve(base, outcome="skipped", reason=reason, made=made)
        return attrs.evolve(base, outcome="done", reason=_describe(outcome, started), made=made)

    def _start(self, seller_id: str, step: ChargeInvoice | RetryCollection) -> _Attempt | str:
        """Record the attempt before any charge (or find it recorded by a run that died)."""
        key = attempt_key(step.invoice_id, step.attempt)

        def body(tx: Transaction, now: datetime) -> _Attempt | str:
            invoice = _claim(tx, seller_id, step.invoice_id)
            if invoice is None:
                return CLAIMED
            if tx.idempotency.get(seller_id, outcome_key(step.invoice_id, step.attempt)):
                return "this attempt's outcome is recorded already"
            reason = why_not(step, invoice)
            earlier = tx.idempotency.get(seller_id, key)
            if earlier is not None:  # started by a run that died: same amount, same method
                return _resumed(earlier, reason, invoice, key)
            if reason is not None:
                return reason
            return _begin(tx, seller_id, invoice, key, now)

        call = ChargeSaved(invoice_id=step.invoice_id, attempt=step.attempt)
        return self._run.write(seller_id, call, body)

    def _finish(
        self,
        seller_id: str,
        step: ChargeInvoice | RetryCollection,
        started: _Attempt,
        outcome: ChargeOutcome,
    ) -> tuple[str | None, tuple[str, ...]]:
        """Record the outcome on the invoice and mark the attempt finished, in one transaction."""
        provider = started.method.provider
        changes = InvoiceChanges(self._run, seller_id)

        def body(tx: Transaction, now: datetime) -> tuple[str | None, tuple[str, ...]]:
            invoice = _claim(tx, seller_id, step.invoice_id)
            if invoice is None:
                return CLAIMED, ()
            done_key = outcome_key(step.invoice_id, step.attempt)
            if tx.idempotency.get(seller_id, done_key):
                return "recorded by another worker", ()
            commands, made = _commands(provider, outcome)
            try:
                changes.apply_in(tx, invoice, commands, now=now)
            except InvoiceKitError as exc:
                # The money moved but the invoice refuses it (voided meanwhile): say so.
                made = (*made, f"unrecorded: {exc}")
            result = {
                "state": outcome.state.value,
                "retryable": outcome.retryable,
                "method": started.method.reference,
                "code": outcome.code,
                "payment_ref": outcome.payment_ref,
            }
            tx.idempotency.put(_record(seller_id, done_key, "collect_outcome", result, now))
            return None, made

        call = ChargeSaved(invoice_id=step.invoice_id, attempt=step.attempt)
        return self._run.write(seller_id, call, body)


def _resumed(
    earlier: IdempotencyRecord, reason: str | None, invoice: Invoice, key: str
) -> _Attempt | str:
    """The attempt a run that died started: charged again only while the invoice is open."""
    if reason is not None:
        return (
            f"attempt {key} was started by a run that stopped, and the invoice is now "
            f"{reason}: not charged again; look the key up at the provider"
        )
    method = method_from(earlier.result["method"])
    assert method is not None  # noqa: S101 - _begin writes one
    return _Attempt(invoice, method, Decimal(earlier.result["amount"]), key)


def _begin(
    tx: Transaction, seller_id: str, invoice: Invoice, key: str, now: datetime
) -> _Attempt | str:
    """Record a new attempt (amount and method) before the provider is asked."""
    if tx.sellers.get(seller_id).collection != AUTOMATIC:
        return "the seller does not charge automatically (collection='send_invoice')"
    method = tx.customers.get(seller_id, invoice.customer_id).payment_method
    if method is None:
        return "the customer has no saved payment method"
    result = {
        "amount": str(invoice.amount_due),
        "currency": invoice.currency,
        "method": method_document(method),
    }
    tx.idempotency.put(_record(seller_id, key, "collect_attempt", result, now))
    return _Attempt(invoice, method, invoice.amount_due, key)


def _record(
    seller_id: str, key: str, operation: str, result: dict[str, Any], now: datetime
) -> IdempotencyRecord:
    return IdempotencyRecord(
        seller_id=seller_id,
        key=key,
        fingerprint="",
        operation=operation,
        result=result,
        created_at=now,
    )


def _commands(
    provider: str, outcome: ChargeOutcome
) -> tuple[list[lifecycle.Command], tuple[str, ...]]:
    """The lifecycle commands recording ``outcome``, and what the report lists as made.

    A charge the provider names (``payment_ref``) is recorded as the payment its webhooks
    converge on (``convergence.payment_id_for``): a decline as that payment, failed, so a
    later ``payment_failed`` notice about it changes nothing (one failure, not two).
    """
    reason = outcome.reason or outcome.code or "the charge did not go through"
    if outcome.payment_ref is None:
        return [lifecycle.FailCollection(reason, outcome.code)], ()
    payment_id = payment_id_for(provider, outcome.payment_ref)
    record = lifecycle.RecordPayment(
        payment_id,
        outcome.amount,
        pending=outcome.state is not ChargeState.SUCCEEDED,
        method=provider,
        reference=outcome.payment_ref,
    )
    if outcome.state is ChargeState.FAILED:
        return [record, lifecycle.FailPayment(payment_id, reason, outcome.code)], (payment_id,)
    return [record], (payment_id,)


def _describe(outcome: ChargeOutcome, started: _Attempt) -> str:
    """The report's words for a charge made: what, to which method, with what result."""
    what = f"{started.amount} {started.invoice.currency} to {started.method.describe()}"
    if outcome.state is ChargeState.SUCCEEDED:
        return f"charged {what}"
    if outcome.state is ChargeState.PENDING:
        return f"charged {what}: pending until the provider confirms"
    retry = "retried by the policy" if outcome.retryable else "the customer must act"
    return f"charge of {what} failed ({outcome.code}: {outcome.reason}); {retry}"
