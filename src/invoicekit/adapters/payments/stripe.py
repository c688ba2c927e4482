"""``StripePayments``: Stripe Checkout for the amount due, refunds, and Stripe's signed webhooks.

Needs the ``stripe`` extra (the official SDK), imported on first use. Each seller may have
its own Stripe account: give a resolver ``seller_id -> StripeAccount``. Every request goes
through a ``stripe.StripeClient`` made for that account (no module globals), with an
idempotency key derived from invoicekit's own key, so a retry never creates a second
session or refund. Amounts and currency come from the ``CheckoutRequest`` (the frozen
invoice), never from the payer's browser.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Final

import attrs

from invoicekit._extras import require
from invoicekit.adapters.payments import stripe_charges
from invoicekit.adapters.payments.stripe_account import StripeAccount, StripeClients
from invoicekit.adapters.payments.stripe_amounts import from_minor, to_minor
from invoicekit.adapters.payments.stripe_checkout import digest, session_params
from invoicekit.adapters.payments.stripe_errors import payment_error
from invoicekit.adapters.payments.stripe_notices import notice_from_event, verify_signature
from invoicekit.clock import SystemClock
from invoicekit.errors import (
    ConfigurationError,
    InvoiceKitError,
    PaymentError,
    ValidationError,
    WebhookRejectedError,
    problem,
)
from invoicekit.payment_records import (
    CheckoutRequest,
    CheckoutSession,
    NoticeKind,
    ProviderNotice,
)

if TYPE_CHECKING:
    from invoicekit.domain.collection import SavedPaymentMethod
    from invoicekit.domain.invoice import Invoice
    from invoicekit.payment_records import ChargeOutcome
    from invoicekit.ports import Clock, PaymentLink

__all__ = ["StripeAccount", "StripePayments"]

#: Stripe lets a Checkout Session live between 30 minutes and 24 hours.
_MIN_TTL: Final = timedelta(minutes=90)
_MAX_TTL: Final = timedelta(hours=24)
#: A checkout started within the same hour reuses Stripe's idempotent answer (see start_checkout).
_BUCKET: Final = 3600
#: A provider's name is a path segment of its webhook endpoint.
_NAME: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,39}")


class StripePayments:
    """PaymentProvider, Checkout and PaymentNotices for Stripe (the ``stripe`` extra).

    ``account`` is one StripeAccount for every seller, or a resolver called with the
    seller id (None for a webhook endpoint that names no seller) that returns that
    seller's account. Thread-safe: clients are made once per account and shared.
    """

    def __init__(
        self,
        account: StripeAccount | Callable[[str | None], StripeAccount],
        *,
        name: str = "stripe",
        session_ttl: timedelta = timedelta(hours=23),
        clock: Clock | None = None,
    ) -> None:
        found = []
        if not isinstance(account, StripeAccount) and not callable(account):
            found.append(problem("account", "must be a StripeAccount or a resolver", account))
        if not isinstance(name, str) or not _NAME.fullmatch(name):
            found.append(problem("name", "must be a short name like 'stripe' or 'stripe-eu'", name))
        if not isinstance(session_ttl, timedelta) or not _MIN_TTL <= session_ttl < _MAX_TTL:
            found.append(
                problem(
                    "session_ttl", "must be at least 90 minutes and under 24 hours", session_ttl
                )
            )
        if found:
            raise ValidationError(found, subject="StripePayments")
        self._account = account
        self._name = name
        self._ttl = session_ttl
        self._clock: Clock = clock or SystemClock()
        self._lock = threading.Lock()
        self._clients = StripeClients()
        self._sessions: dict[str, tuple[CheckoutSession, str | None]] = {}

    def __repr__(self) -> str:
        return f"StripePayments(name={self._name!r})"

    @property
    def name(self) -> str:
        """The provider's name in Billing and on payments (``method``): "stripe" by default."""
        return self._name

    # ------------------------------------------------------------------ accounts and clients

    def account_for(self, seller_id: str | None) -> StripeAccount:
        """The StripeAccount of ``seller_id``; PaymentError when the resolver has none."""
        if isinstance(self._account, StripeAccount):
            return self._account
        try:
            account = self._account(seller_id)
        except (InvoiceKitError, LookupError) as exc:  # LookupError: a dict's KeyError
            raise self._no_account(seller_id, repr(exc)) from exc
        if account is None:
            raise self._no_account(seller_id, "the resolver returned None")
        if not isinstance(account, StripeAccount):
            raise ConfigurationError(
                f"the account resolver of StripePayments returned {type(account).__name__} "
                f"for seller {seller_id!r}; it must return a StripeAccount"
            )
        return account

    def _no_account(self, seller_id: str | None, why: str) -> PaymentError:
        return PaymentError(
            f"no Stripe account for seller {seller_id!r} ({why}); make the account "
            "resolver given to StripePayments return a StripeAccount for this seller",
            provider=self._name,
            code="no_account",
        )

    def _client(self, account: StripeAccount) -> Any:
        return self._clients.get(account)

    def _call(self, action: str, run: Callable[[], Any]) -> Any:
        """Run one SDK call, its exceptions turned into PaymentError."""
        stripe = require("stripe", extra="stripe", feature="StripePayments")
        try:
            return run()
        except stripe.StripeError as exc:
            raise payment_error(exc, provider=self._name, action=action) from exc

    # ------------------------------------------------------------------ PaymentProvider

    def payment_link(self, invoice: Invoice) -> PaymentLink | None:  # noqa: ARG002
        """None: sessions expire within a day, so messages link to invoicekit's pay page."""
        return None

    def refund(self, invoice: Invoice, payment_id: str, amount: Decimal, *, key: str) -> str:
        """Refund ``amount`` of the payment's PaymentIntent; returns Stripe's refund id (``re_…``).

        Idempotent by ``key`` (Stripe's idempotency key is derived from it). Raises
        ValidationError for a bad amount or key, PaymentError when the payment has no
        PaymentIntent or Stripe refuses (``retryable`` as Stripe means it).
        """
        found = []
        if not isinstance(amount, Decimal) or not amount.is_finite() or amount <= 0:
            found.append(problem("amount", "must be a positive Decimal", amount))
        if not isinstance(key, str) or not key:
            found.append(problem("key", "must be a non-empty string", key))
        if found:
            raise ValidationError(found, subject="refund")
        intent = self._payment_intent(invoice, payment_id)
        minor = to_minor(amount, invoice.currency, provider=self._name)
        client = self._client(self.account_for(invoice.seller_id))
        params = {
            "payment_intent": intent,
            "amount": minor,
            "metadata": {
                "seller_id": invoice.seller_id,
                "invoice_id": invoice.id,
                "payment_id": payment_id,
            },
        }
        options = {"idempotency_key": "invoicekit-rf-" + digest("refund", key)}
        refund = self._call(
            f"refund {amount} {invoice.currency} of payment {payment_id!r}",
            lambda: client.v1.refunds.create(params=params, options=options),
        )
        return str(refund["id"])

    def charge_saved(
        self, invoice: Invoice, method: SavedPaymentMethod, amount: Decimal, *, key: str
    ) -> ChargeOutcome:
        """Charge the saved card off-session (a confirmed PaymentIntent), once per ``key``."""
        client = self._client(self.account_for(invoice.seller_id))
        return stripe_charges.charge_saved(client, self._name, invoice, method, amount, key=key)

    def _payment_intent(self, invoice: Invoice, payment_id: str) -> str:
        """The PaymentIntent id behind our payment ``payment_id`` of ``invoice``."""
        for payment in invoice.payments:
            if (
                payment.id == payment_id
                and payment.reference
                and payment.reference.startswith("pi_")
            ):
                return payment.reference
        if payment_id.startswith("pi_"):
            return payment_id
        raise PaymentError(
            f"payment {payment_id!r} of invoice {invoice.id!r} has no Stripe PaymentIntent "
            "(pi_…) as its reference; refund it in the Stripe dashboard, or record the refund "
            "with a provider that paid it",
            provider=self._name,
            code="no_payment_intent",
        )

    # ------------------------------------------------------------------ Checkout

    def start_checkout(self, request: CheckoutRequest) -> CheckoutSession:
        """A Checkout Session for the request's amount (open for ``session_ttl``), or the open one.

        Idempotent by ``request.key``: within this process the open session is returned;
        across processes, Stripe's idempotency answers within the hour the session was
        started in (the key sent is derived from ``request.key`` and that hour, so its
        parameters, ``expires_at`` included, are the same). Raises PaymentError.
        """
        account = self.account_for(request.seller_id)
        client = self._client(account)
        known = self._open_session(client, request)
        if known is not None:
            return known
        now = self._clock.now()
        bucket = int(now.timestamp()) // _BUCKET * _BUCKET
        expires_at = bucket + int(self._ttl.total_seconds())
        params = session_params(request, expires_at=expires_at, provider=self._name)
        base_key = "invoicekit-cs-" + digest("checkout", request.key, str(bucket))
        idempotency_key, session = base_key, None
        for _ in range(3):
            session = self._create(client, params, idempotency_key, request.invoice_id)
            if not self._replayed(session) or self._status(client, session["id"]) == "open":
                break
            # The session this key made is closed already: a new one, with a key of its own.
            idempotency_key = "invoicekit-cs-" + digest(base_key, str(session["id"]))
        result = self._session(session, request)
        with self._lock:
            for kept_key, (kept, _) in list(self._sessions.items()):
                if kept.expires_at is not None and kept.expires_at <= now:
                    del self._sessions[kept_key]
            self._sessions[request.key] = (result, request.seller_id)
            self._sessions[result.ref] = (result, request.seller_id)
        return result

    def _create(self, client: Any, params: dict[str, Any], key: str, invoice_id: str) -> Any:
        return self._call(
            f"start a checkout for invoice {invoice_id!r}",
            lambda: client.v1.checkout.sessions.create(
                params=params, options={"idempotency_key": key}
            ),
        )

    def _status(self, client: Any, ref: str) -> str:
        """The session's status at Stripe now: open, complete or expired."""
        session = self._call(
            "read a checkout session", lambda: client.v1.checkout.sessions.retrieve(ref)
        )
        return str(session["status"])

    @staticmethod
    def _replayed(session: Any) -> bool:
        """Whether Stripe answered from its idempotency store (an earlier request's session)."""
        response = getattr(session, "last_response", None)
        headers: Mapping[str, str] = getattr(response, "headers", None) or {}
        return any(k.lower() == "idempotent-replayed" and v == "true" for k, v in headers.items())

    def _open_session(self, client: Any, request: CheckoutRequest) -> CheckoutSession | None:
        """The session this process started for ``request.key``, if Stripe still has it open."""
        with self._lock:
            known = self._sessions.get(request.key)
        if known is None:
            return None
        session, _ = known
        expires = session.expires_at
        if expires is not None and expires <= self._clock.now() + timedelta(minutes=5):
            return None
        return session if self._status(client, session.ref) == "open" else None

    def _session(self, stripe_session: Any, request: CheckoutRequest) -> CheckoutSession:
        session = stripe_session.to_dict()
        expires = session.get("expires_at")
        total, currency = session.get("amount_total"), session.get("currency")
        amount = request.amount
        if isinstance(total, int) and isinstance(currency, str):
            amount = from_minor(total, currency.upper())
        return CheckoutSession(
            provider=self._name,
            ref=str(session["id"]),
            url=str(session["url"]),
            amount=amount,
            currency=request.currency,
            expires_at=datetime.fromtimestamp(expires, UTC) if isinstance(expires, int) else None,
            seller_id=request.seller_id,
        )

    def cancel_checkout(self, session: CheckoutSession) -> None:
        """Expire the Checkout Session; one already expired or complete is left as it is.

        Raises PaymentError when Stripe cannot be reached or refuses for another reason.
        """
        with self._lock:
            known = self._sessions.get(session.ref)
        seller_id = session.seller_id or (known[1] if known else None)
        client = self._client(self.account_for(seller_id))
        stripe = require("stripe", extra="stripe", feature="StripePayments")
        try:
            client.v1.checkout.sessions.expire(session.ref)
        except stripe.InvalidRequestError as exc:
            if self._status(client, session.ref) not in {"expired", "complete"}:
                raise payment_error(exc, provider=self._name, action="expire a checkout") from exc
        except stripe.StripeError as exc:
            raise payment_error(exc, provider=self._name, action="expire a checkout") from exc
        with self._lock:
            for key, (kept, _) in list(self._sessions.items()):
                if kept.ref == session.ref:
                    del self._sessions[key]

    # ------------------------------------------------------------------ PaymentNotices

    def read(
        self,
        body: bytes,
        headers: Mapping[str, str],
        *,
        now: datetime,
        seller_id: str | None = None,
    ) -> ProviderNotice:
        """The notice a Stripe webhook carries, after the SDK's signature check on the raw bytes.

        The secrets are those of ``seller_id``'s account (the resolver's answer for None
        when the endpoint names no seller). Raises WebhookRejectedError before reading the
        body when the signature, its timestamp (300 s either side of ``now``) or the
        account is wrong. An event about a payment whose object carries no invoicekit
        metadata (a dispute, a refund made in the dashboard) costs one request: the
        PaymentIntent's metadata names the seller and invoice (PaymentError if that fails).
        """
        if not isinstance(body, bytes | bytearray):
            raise WebhookRejectedError("the body must be the raw bytes", provider=self._name)
        try:
            account = self.account_for(seller_id)
        except PaymentError:
            raise WebhookRejectedError(
                "no Stripe account for this endpoint", provider=self._name
            ) from None
        raw = bytes(body)
        verify_signature(raw, headers, account.webhook_secrets, now=now, provider=self._name)
        notice = notice_from_event(raw, provider=self._name)
        if notice.kind is NoticeKind.IGNORED or notice.payment_ref is None:
            return notice
        if notice.seller_id is None or notice.invoice_id is None:
            notice = self._with_intent_metadata(account, notice)
        return notice

    def _with_intent_metadata(
        self, account: StripeAccount, notice: ProviderNotice
    ) -> ProviderNotice:
        """The notice with the seller and invoice ids of its PaymentIntent's metadata.

        Disputes, and refunds made in the dashboard, carry no metadata of ours: the
        PaymentIntent of the checkout does. Raises PaymentError (retryable when Stripe could
        not be reached: the endpoint answers 5xx and Stripe delivers the event again).
        """
        client = self._client(account)
        ref = str(notice.payment_ref)
        intent = self._call(
            f"read PaymentIntent {ref!r}", lambda: client.v1.payment_intents.retrieve(ref)
        ).to_dict()
        meta = intent.get("metadata")
        meta = meta if isinstance(meta, dict) else {}
        seller, invoice = meta.get("seller_id"), meta.get("invoice_id")
        return attrs.evolve(
            notice,
            seller_id=notice.seller_id or (seller if isinstance(seller, str) else None),
            invoice_id=notice.invoice_id or (invoice if isinstance(invoice, str) else None),
        )
