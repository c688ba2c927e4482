"""Webhook intake: a provider's signed notification becomes our payment events, once (I5).

``receive`` lets the provider's ``PaymentNotices.read`` verify the raw bytes first
(signature, timestamp, secret; WebhookRejectedError before anything is parsed),
then, in ONE transaction: stores the notice under (provider, event id), the dedupe
(T17); finds the invoice (the seller from the notice or the endpoint; another
seller's invoice is refused); compares the currency (a mismatch is refused and
logged, nothing recorded) (T20); and applies only the difference between what the
SET of the payment's stored notices says and what the invoice records (T18),
through ``InvoiceChanges.apply_in`` like every payment. A crash before the commit
loses the notice with the payment, so the provider's next delivery records it once
(T29). Nothing but a verified notice records a payment (T44).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import ClassVar, Final, Literal

import attrs

from invoicekit.domain import lifecycle
from invoicekit.domain.invoice import Invoice
from invoicekit.errors import InvoiceKitError, NotFoundError, WebhookRejectedError
from invoicekit.payment_records import NoticeKind, ProviderEventRecord, ProviderNotice
from invoicekit.ports import Transaction
from invoicekit.services.calls import Call
from invoicekit.services.changes import InvoiceChanges
from invoicekit.services.convergence import commands_for
from invoicekit.services.providers import Providers
from invoicekit.services.unit import Runner

__all__ = ["WebhookResult", "Webhooks"]

log = logging.getLogger("invoicekit.webhooks")

Outcome = Literal["recorded", "duplicate", "ignored", "refused"]
#: The longest provider event id stored (Stripe's are about 30 characters).
MAX_EVENT_ID: Final = 255
#: The notices that carry money in a currency, which must be the invoice's.
_MONEY: Final = frozenset(
    {NoticeKind.SUCCEEDED, NoticeKind.PENDING, NoticeKind.REFUNDED, NoticeKind.DISPUTED}
)


@attrs.frozen
class WebhookResult:
    """What intake did with one notification (the web endpoint answers 200 with it)."""

    provider: str
    event_id: str
    #: "recorded" (stored and applied), "duplicate" (seen before: nothing changed),
    #: "ignored" (an event type we do not act on), "refused" (verified, but not applicable:
    #: another seller's or unknown invoice, wrong currency; logged, nothing recorded).
    outcome: Outcome
    invoice_id: str | None = None
    detail: str = ""


@attrs.frozen(kw_only=True)
class ReceiveNotice(Call):
    """``webhooks.receive`` (never keyed: the provider's event id is the dedupe)."""

    operation: ClassVar[str] = "receive_webhook"
    provider: str
    event_id: str


class Webhooks:
    """Turns providers' verified notifications into payment events; every call is one transaction."""

    def __init__(
        self,
        runner: Runner,
        providers: Providers,
        changes: Callable[[str], InvoiceChanges],
    ) -> None:
        self._run = runner
        self._providers = providers
        self._changes = changes

    def receive(
        self,
        provider: str,
        body: bytes,
        headers: Mapping[str, str],
        *,
        seller_id: str | None = None,
    ) -> WebhookResult:
        """Verify and apply one notification of ``provider``; raises WebhookRejectedError.

        ``seller_id`` is the seller of the endpoint it arrived at (``/webhooks/stripe/<seller>``),
        when each seller has its own; a notice about another seller's invoice is refused.
        """
        if not isinstance(body, bytes | bytearray | memoryview):
            raise WebhookRejectedError("the body must be the raw request bytes", provider=provider)
        if not isinstance(headers, Mapping):
            raise WebhookRejectedError(
                "the headers must be a mapping of header names to values", provider=provider
            )
        reader = self._providers.notices(provider)
        notice = reader.read(bytes(body), headers, now=self._run.clock.now(), seller_id=seller_id)
        if not isinstance(notice.event_id, str) or not 0 < len(notice.event_id) <= MAX_EVENT_ID:
            raise WebhookRejectedError(
                f"the notice's event id must be 1 to {MAX_EVENT_ID} characters (it is the dedupe key)",
                provider=provider,
            )
        if notice.provider != provider:
            raise WebhookRejectedError(
                f"the notice is {notice.provider!r}'s, not {provider!r}'s", provider=provider
            )
        seller, why = _seller_of(notice, seller_id)
        if seller is None:
            return self._refuse(notice, None, why)
        changes = self._changes(seller)

        def body_(tx: Transaction, now: datetime) -> WebhookResult:
            return _Intake(tx, now, changes, notice, seller).run()

        call = ReceiveNotice(provider=provider, event_id=notice.event_id)
        result = self._run.write(seller, call, body_)
        if result.outcome == "refused":
            log.warning("%s notice %s refused: %s", provider, notice.event_id, result.detail)
        return result

    @staticmethod
    def _refuse(notice: ProviderNotice, invoice_id: str | None, why: str) -> WebhookResult:
        log.warning("%s notice %s refused: %s", notice.provider, notice.event_id, why)
        return WebhookResult(notice.provider, notice.event_id, "refused", invoice_id, why)


def _seller_of(notice: ProviderNotice, endpoint: str | None) -> tuple[str | None, str]:
    """The seller the notice is about, or None with the reason."""
    if notice.seller_id and endpoint and notice.seller_id != endpoint:
        return None, (
            f"the notice is about seller {notice.seller_id!r}'s invoice but arrived at "
            f"seller {endpoint!r}'s endpoint"
        )
    seller = notice.seller_id or endpoint
    if not seller:
        return None, "the notice names no seller (metadata seller_id) and the endpoint none"
    return seller, ""


@attrs.define
class _Intake:
    """One notice, applied inside one write transaction."""

    tx: Transaction
    now: datetime
    changes: InvoiceChanges
    notice: ProviderNotice
    seller: str

    def run(self) -> WebhookResult:
        n = self.notice
        invoice_id = n.invoice_id or self._invoice_from_history()
        if n.kind is NoticeKind.IGNORED:
            return self._store("ignored", invoice_id, f"{n.type} is not acted on")
        if invoice_id is None:
            return self._store("refused", None, "the notice names no invoice")
        try:
            invoice = self.tx.invoices.get(self.seller, invoice_id, for_update=True)
        except NotFoundError:
            why = f"seller {self.seller!r} has no invoice {invoice_id!r}"
            return self._store("refused", invoice_id, why)
        problem = self._mismatch(invoice)
        if problem:
            return self._store("refused", invoice_id, problem)
        commands = self._commands(invoice)
        try:  # a dry run first: a notice the lifecycle refuses is stored as refused
            trial = invoice
            for command in commands:
                trial, _ = lifecycle.apply(trial, command, at=self.now)
        except InvoiceKitError as exc:
            return self._store("refused", invoice_id, f"invoice {invoice.ref}: {exc}")
        result = self._store("recorded", invoice_id, _describe(commands))
        if result.outcome == "recorded" and commands:
            self.changes.apply_in(self.tx, invoice, commands, now=self.now)
        return result

    def _invoice_from_history(self) -> str | None:
        """The invoice of an earlier notice about the same payment (refunds may not name it)."""
        ref = self.notice.payment_ref
        if ref is None:
            return None
        earlier = self.tx.provider_events.for_payment(self.seller, self.notice.provider, ref)
        return next((e.invoice_id for e in earlier if e.invoice_id), None)

    def _mismatch(self, invoice: Invoice) -> str:
        n = self.notice
        if n.kind not in _MONEY:
            return ""
        if n.currency is None or n.currency.upper() != invoice.currency:
            return (
                f"currency {n.currency!r} does not match invoice {invoice.ref}'s "
                f"{invoice.currency}; nothing recorded (settle it by hand if the money arrived)"
            )
        if n.amount is None or not n.amount.is_finite() or n.amount <= 0:
            return f"the {n.kind.value} notice carries no positive amount ({n.amount!r})"
        if n.payment_ref is None:
            return "the notice names no payment (payment_ref)"
        return ""

    def _commands(self, invoice: Invoice) -> list[lifecycle.Command]:
        n = self.notice
        if n.payment_ref is None:  # a failure without a payment: one failed attempt
            if n.kind is NoticeKind.FAILED:
                reason = n.reason or n.code or "the payment did not go through"
                return [lifecycle.FailCollection(reason, n.code)]
            return []
        stored = self.tx.provider_events.for_payment(self.seller, n.provider, n.payment_ref)
        notices = [e for e in stored if e.outcome == "recorded" and e.event_id != n.event_id]
        notices.append(self._record("recorded", invoice.id))
        return commands_for(invoice, n.provider, n.payment_ref, notices)

    def _record(self, outcome: str, invoice_id: str | None) -> ProviderEventRecord:
        n = self.notice
        return ProviderEventRecord(
            provider=n.provider,
            event_id=n.event_id,
            seller_id=self.seller,
            kind=n.kind,
            type=n.type,
            received_at=self.now,
            outcome=outcome,
            invoice_id=invoice_id,
            payment_ref=n.payment_ref,
            amount=n.amount,
            currency=None if n.currency is None else n.currency.upper(),
            reason=n.reason,
            code=n.code,
            refund_ref=n.refund_ref,
            occurred_at=n.occurred_at,
            raw=n.raw,
        )

    def _store(self, outcome: Outcome, invoice_id: str | None, detail: str) -> WebhookResult:
        n = self.notice
        if not self.tx.provider_events.add(self._record(outcome, invoice_id)):
            return WebhookResult(
                n.provider, n.event_id, "duplicate", invoice_id, "this notice was received before"
            )
        return WebhookResult(n.provider, n.event_id, outcome, invoice_id, detail)


def _describe(commands: list[lifecycle.Command]) -> str:
    if not commands:
        return "nothing to change (the invoice records this already, or waits for another notice)"
    return ", ".join(type(c).__name__ for c in commands)
