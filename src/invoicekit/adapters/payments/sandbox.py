"""``SandboxPayments``: a real payment provider for demos, tests and host apps' test suites.

Nothing about it is a stub: checkouts get a hosted pay page (served by ``invoicekit.web``
at ``{base_url}/sandbox/{ref}``) where the payer chooses the outcome (succeed, decline
with a reason, pending then settle or fail), and the sandbox then POSTs a signed
webhook (Standard Webhooks: HMAC-SHA256 over ``id.timestamp.body``) to ``webhook_url``
over HTTP, right away, like a real provider. Those notices go through the same intake
as Stripe's. A delivery that fails is kept and sent again by ``redeliver()``.

Its state (sessions, refunds, undelivered webhooks) lives in memory by default, so it
goes with the object; give ``path=`` (an SQLite file) to share one sandbox between
processes, e.g. a web server's workers and a test. Thread-safe.
"""

from __future__ import annotations

import secrets as random
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Literal

import attrs

from invoicekit.adapters.payments import sandbox_charges
from invoicekit.adapters.payments.sandbox_events import notice_of
from invoicekit.adapters.payments.sandbox_out import SandboxWebhooks
from invoicekit.adapters.payments.sandbox_state import MemoryState, SqliteState, State
from invoicekit.adapters.signing import Secret, WebhookSignatureError, verify
from invoicekit.errors import ConfigurationError, PaymentError, WebhookRejectedError
from invoicekit.payment_records import (
    CheckoutRequest,
    CheckoutSession,
    NoticeKind,
    ProviderNotice,
)

if TYPE_CHECKING:
    from invoicekit.domain.invoice import Invoice
    from invoicekit.ports import Clock, PaymentLink

__all__ = ["SandboxPayments", "SandboxSession"]

#: The sandbox's event types and what they mean for a payment.
EVENT_KINDS: Final = {
    "payment.succeeded": NoticeKind.SUCCEEDED,
    "payment.pending": NoticeKind.PENDING,
    "payment.failed": NoticeKind.FAILED,
    "refund.succeeded": NoticeKind.REFUNDED,
    "dispute.created": NoticeKind.DISPUTED,
    "dispute.won": NoticeKind.DISPUTE_WON,
    "dispute.lost": NoticeKind.DISPUTE_LOST,
}
#: Decline reasons the pay page offers, with what the provider says about each.
DECLINE_REASONS: Final = {
    "card_declined": "The card was declined.",
    "insufficient_funds": "The card has insufficient funds.",
    "expired_card": "The card has expired.",
    "incorrect_cvc": "The card's security code is incorrect.",
}
_TOLERANCE: Final = 300
_SESSION_TTL: Final = timedelta(hours=23)
State_ = Literal["open", "succeeded", "declined", "pending", "failed", "canceled", "expired"]


@attrs.frozen
class SandboxSession:
    """One sandbox checkout, as its pay page shows it."""

    ref: str
    seller_id: str
    invoice_id: str
    amount: Decimal
    currency: str
    description: str
    return_url: str
    #: open, succeeded, declined, pending, failed, canceled or expired.
    state: str
    expires_at: datetime
    #: The sandbox's payment: every notice about this session's money names it.
    payment_ref: str
    key: str


class SandboxPayments(sandbox_charges.SavedCards):
    """A provider over HTTP on loopback: hosted checkout, signed webhooks, refunds."""

    def __init__(
        self,
        *,
        base_url: str,
        webhook_url: str,
        secrets: Sequence[str],
        name: str = "sandbox",
        timeout: float = 5.0,
        clock: Clock | None = None,
        path: str | Path | None = None,
    ) -> None:
        if isinstance(secrets, str) or not secrets:
            raise ConfigurationError(
                "SandboxPayments needs secrets=[...]: a list of webhook signing secrets, the "
                "current one first (e.g. ['whsec_' + base64 of secrets.token_bytes(32)])"
            )
        self._secrets = [Secret(s) for s in secrets]
        if not isinstance(base_url, str) or not base_url.startswith(("https://", "http://")):
            raise ConfigurationError(
                "SandboxPayments(base_url=...) must be the http(s) address where the web app "
                f"is mounted, e.g. 'http://127.0.0.1:8000/pay', not {base_url!r}"
            )
        self.base_url = base_url.rstrip("/")
        #: Where the signed webhooks go; "{seller_id}" in it is replaced by the seller's id.
        self.webhook_url = webhook_url
        self._name = name
        self._timeout = timeout
        self._clock = clock
        self._state: State = MemoryState() if path is None else SqliteState(path)
        self._out = SandboxWebhooks(
            self._state, self._secrets[0], lambda: self.webhook_url, timeout, self._now
        )

    def __repr__(self) -> str:  # never the secrets
        return f"SandboxPayments(name={self._name!r}, base_url={self.base_url!r})"

    @property
    def name(self) -> str:
        """The provider's name: payments it reports carry it as their method."""
        return self._name

    def _now(self) -> datetime:
        return datetime.now(UTC) if self._clock is None else self._clock.now()

    # ------------------------------------------------------------------ PaymentProvider

    def payment_link(self, invoice: Invoice) -> PaymentLink | None:
        """None: payers reach the sandbox through invoicekit's hosted invoice page."""
        del invoice
        return None

    def refund(self, invoice: Invoice, payment_id: str, amount: Decimal, *, key: str) -> str:
        """Refund ``amount`` of a sandbox payment, once per ``key``; its notice is sent too."""
        payment = invoice.payment(payment_id)
        payment_ref = payment.reference or payment_id
        with self._state.transaction():
            done = self._state.get("refund", key)
            if done is not None:
                if Decimal(done["amount"]) != amount:
                    raise PaymentError(
                        f"refund key {key!r} was used for {done['amount']}, not {amount}; "
                        "use a new key for another refund",
                        provider=self._name,
                        code="idempotency_error",
                    )
                return str(done["id"])
            refund_ref = f"sbx_re_{random.token_hex(12)}"
            self._state.put(
                "refund", key, {"id": refund_ref, "amount": str(amount), "payment": payment_ref}
            )
            event = self._out.queue(
                "refund.succeeded",
                seller_id=invoice.seller_id,
                invoice_id=invoice.id,
                payment_ref=payment_ref,
                amount=amount,
                currency=invoice.currency,
                refund_ref=refund_ref,
            )
        self._out.deliver(event)
        return refund_ref

    # ------------------------------------------------------------------ Checkout

    def start_checkout(self, request: CheckoutRequest) -> CheckoutSession:
        """The open session of ``request.key``, or a new one (idempotent by key)."""
        now = self._now()
        with self._state.transaction():
            known = self._state.get("key", request.key)
            current = None if known is None else self.session(str(known["ref"]))
            if current is not None and current.state in {"open", "declined"}:
                if (current.amount, current.currency) != (request.amount, request.currency):
                    raise PaymentError(
                        f"checkout key {request.key!r} was used for {current.amount} "
                        f"{current.currency}; a new amount needs a new key",
                        provider=self._name,
                        code="idempotency_error",
                    )
                return self._checkout(current)
            ref = f"sbx_cs_{random.token_hex(12)}"
            doc = {
                "ref": ref,
                "seller_id": request.seller_id,
                "invoice_id": request.invoice_id,
                "amount": str(request.amount),
                "currency": request.currency,
                "description": request.description,
                "return_url": request.return_url,
                "state": "open",
                "expires_at": (now + _SESSION_TTL).isoformat(),
                "payment_ref": f"sbx_pay_{random.token_hex(12)}",
                "key": request.key,
            }
            self._state.put("session", ref, doc)
            self._state.put("key", request.key, {"ref": ref})
        return self._checkout(self.session(ref))  # type: ignore[arg-type] # stored above

    def _checkout(self, session: SandboxSession) -> CheckoutSession:
        return CheckoutSession(
            provider=self._name,
            ref=session.ref,
            url=f"{self.base_url}/sandbox/{session.ref}",
            amount=session.amount,
            currency=session.currency,
            expires_at=session.expires_at,
        )

    def cancel_checkout(self, session: CheckoutSession) -> None:
        """Close an open session; a closed, paid or unknown one is left as it is."""
        with self._state.transaction():
            doc = self._state.get("session", session.ref)
            if doc is not None and doc["state"] in {"open", "declined"}:
                self._state.put("session", session.ref, {**doc, "state": "canceled"})

    # ------------------------------------------------------------------ the pay page

    def session(self, ref: str) -> SandboxSession | None:
        """The session ``ref`` (its state "expired" once past ``expires_at``), or None."""
        doc = self._state.get("session", ref)
        if doc is None:
            return None
        expires_at = datetime.fromisoformat(doc["expires_at"])
        state = doc["state"]
        if state in {"open", "declined"} and self._now() >= expires_at:
            state = "expired"
        return SandboxSession(
            ref=doc["ref"],
            seller_id=doc["seller_id"],
            invoice_id=doc["invoice_id"],
            amount=Decimal(doc["amount"]),
            currency=doc["currency"],
            description=doc["description"],
            return_url=doc["return_url"],
            state=state,
            expires_at=expires_at,
            payment_ref=doc["payment_ref"],
            key=doc["key"],
        )

    def choose(
        self,
        ref: str,
        outcome: Literal["succeed", "decline", "pending"],
        *,
        reason: str | None = None,
    ) -> SandboxSession:
        """The payer's choice on the pay page; the signed webhook goes out before this returns.

        "decline" takes a reason code (``DECLINE_REASONS``; default ``card_declined``) and
        leaves the session open for another try.
        """
        moves: dict[str, tuple[str, str]] = {
            "succeed": ("succeeded", "payment.succeeded"),
            "decline": ("declined", "payment.failed"),
            "pending": ("pending", "payment.pending"),
        }
        if outcome not in moves:
            raise PaymentError(
                f"outcome must be 'succeed', 'decline' or 'pending', not {outcome!r}",
                provider=self._name,
                code="invalid_request",
            )
        state, event_type = moves[outcome]
        return self._move(ref, {"open", "declined"}, state, event_type, reason)

    def settle(self, ref: str) -> SandboxSession:
        """A pending payment arrived: sends ``payment.succeeded``."""
        return self._move(ref, {"pending"}, "succeeded", "payment.succeeded", None)

    def fail(self, ref: str, reason: str = "insufficient_funds") -> SandboxSession:
        """A pending payment did not arrive: sends ``payment.failed`` with ``reason``."""
        return self._move(ref, {"pending"}, "failed", "payment.failed", reason)

    def dispute(self, ref: str, *, reason: str = "fraudulent") -> SandboxSession:
        """The payer disputes a succeeded payment: sends ``dispute.created``."""
        return self._move(ref, {"succeeded"}, "succeeded", "dispute.created", reason)

    def resolve_dispute(self, ref: str, *, won: bool) -> SandboxSession:
        """Decide the payment's dispute: sends ``dispute.won`` or ``dispute.lost``."""
        event_type = "dispute.won" if won else "dispute.lost"
        return self._move(ref, {"succeeded"}, "succeeded", event_type, None)

    def _move(
        self, ref: str, sources: set[str], state: str, event_type: str, reason: str | None
    ) -> SandboxSession:
        with self._state.transaction():
            session = self.session(ref)
            if session is None:
                raise PaymentError(
                    f"no sandbox session {ref!r}", provider=self._name, code="not_found"
                )
            if session.state not in sources:
                raise PaymentError(
                    f"sandbox session {ref} is {session.state}; it must be "
                    f"{' or '.join(sorted(sources))} for this",
                    provider=self._name,
                    code="invalid_state",
                )
            doc = self._state.get("session", ref)
            assert doc is not None  # noqa: S101 - read just above
            self._state.put("session", ref, {**doc, "state": state})
            code = None
            if event_type == "payment.failed":
                code = reason if reason in DECLINE_REASONS else "card_declined"
                reason = DECLINE_REASONS.get(code, reason)
            event = self._out.queue(
                event_type,
                seller_id=session.seller_id,
                invoice_id=session.invoice_id,
                payment_ref=session.payment_ref,
                amount=session.amount,
                currency=session.currency,
                session_ref=ref,
                reason=reason,
                code=code,
            )
        self._out.deliver(event)
        moved = self.session(ref)
        assert moved is not None  # noqa: S101 - it exists
        return moved

    # ------------------------------------------------------------------ webhooks out

    def undelivered(self) -> list[str]:
        """The ids of events whose delivery failed and waits for ``redeliver``."""
        return self._out.undelivered()

    def redeliver(self) -> int:
        """Send every undelivered event again (each freshly signed); how many got through."""
        return self._out.redeliver()

    def signed(
        self, event: Mapping[str, Any], *, at: datetime | None = None
    ) -> tuple[bytes, dict[str, str]]:
        """A body and headers as the sandbox would send ``event`` (for tests of receivers)."""
        return self._out.signed(event, at=at)

    # ------------------------------------------------------------------ PaymentNotices

    def read(
        self,
        body: bytes,
        headers: Mapping[str, str],
        *,
        now: datetime,
        seller_id: str | None = None,
    ) -> ProviderNotice:
        """The notice of a signed sandbox webhook; the signature is checked before parsing."""
        del seller_id  # one set of secrets for every seller
        self._verify(body, headers, now)
        return notice_of(bytes(body), self._name, EVENT_KINDS)

    def _verify(self, body: bytes, headers: Mapping[str, str], now: datetime) -> None:
        """Any active secret's signature within ±300 s of ``now``; else WebhookRejectedError."""
        reason = "no signature matches"
        for secret in self._secrets:
            try:
                verify(secret, headers, body, tolerance=_TOLERANCE, now=now)
            except WebhookSignatureError as exc:
                reason = str(exc)
                if (
                    "missing header" in reason
                    or "timestamped" in reason
                    or "unix seconds" in reason
                ):
                    break  # the same for every secret
                continue
            return
        raise WebhookRejectedError(reason, provider=self._name)
