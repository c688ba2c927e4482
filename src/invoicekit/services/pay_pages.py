"""Pay links: a token per message, the page behind it, and the checkout its Pay button starts (T36).

A token is 256 bits from ``secrets`` (``token_urlsafe(32)``), never derived from the
invoice's id or number, minted for one message (a retry mints its own) and stored
only as its SHA-256, with an expiry. Opening a token looks up that hash: an
unknown, mistyped, expired or malformed token gets the same PayPageNotFoundError,
and the lookup's time does not depend on how much of the token was right. The
checkout's amount and currency come from the stored invoice, never from the browser.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Final, cast
from urllib.parse import urlsplit

import attrs

from invoicekit.domain import lifecycle
from invoicekit.domain.invoice import Invoice
from invoicekit.domain.status import Status
from invoicekit.errors import (
    ConfigurationError,
    NotFoundError,
    PaymentError,
    PaymentNotAllowedError,
    PayPageNotFoundError,
    ValidationError,
)
from invoicekit.payment_records import (
    CheckoutRecord,
    CheckoutRequest,
    CheckoutSession,
    CheckoutState,
    PayTokenRecord,
)
from invoicekit.ports import Checkout, MessageRecord, PaymentProvider, Transaction
from invoicekit.services.unit import Runner

__all__ = ["PayPage", "PayPages", "checkout_key", "token_hash"]

log = logging.getLogger("invoicekit.pay_pages")

#: Bytes of randomness in a token (256 bits; T36 asks for at least 128).
TOKEN_BYTES: Final = 32
#: Anything longer is not one of our tokens (they are 43 characters).
_MAX_TOKEN: Final = 128
#: The longest a pay link may live (ten years): longer is a mistake, and overflows dates.
MAX_TTL: Final = timedelta(days=3650)
#: An open checkout this close to its expiry is not handed out again.
_EXPIRY_MARGIN: Final = timedelta(minutes=5)
#: The statuses whose invoices can take a payment on the pay page.
_PAYABLE: Final = frozenset(
    s
    for s in Status
    if s is not Status.DRAFT and lifecycle.Action.RECORD_PAYMENT in lifecycle.ALLOWED[s]
)

#: The provider that takes an invoice's payments (the seller's choice, else Billing's default).
ProviderFor = Callable[[Invoice], PaymentProvider | None]


def token_hash(token: str) -> str:
    """The SHA-256 (hex) a token is stored and looked up by."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def checkout_key(invoice: Invoice) -> str:
    """The key of a checkout for the invoice's amount due: the same while that amount is due."""
    return f"{invoice.id}:{invoice.amount_due}:{invoice.currency}"


@attrs.frozen
class PayPage:
    """An invoice behind a valid pay-link token: what the hosted page shows."""

    token: str = attrs.field(repr=False)
    invoice: Invoice
    #: Something is due, no pending payment covers it, and the invoice accepts payments:
    #: the page shows a Pay button.
    can_pay: bool
    status: Status
    amount_due: Decimal
    currency: str
    #: When the link stops working.
    expires_at: datetime
    seller_id: str
    customer_id: str


class PayPages:
    """``billing.pay_pages``: mint pay-link tokens, open the page behind one, start its checkout."""

    def __init__(
        self,
        runner: Runner,
        *,
        pay_url: str | None,
        ttl: timedelta,
        provider_for: ProviderFor,
    ) -> None:
        _check_pay_url(pay_url)
        _check_ttl(ttl)
        self._run = runner
        self.pay_url = pay_url.rstrip("/") if pay_url is not None else None
        self.ttl = ttl
        self._provider_for = provider_for

    def _base(self) -> str:
        if self.pay_url is None:
            raise ConfigurationError(
                "Billing has no pay_url: pass Billing(pay_url='https://…/pay') where the web app is mounted"
            )
        return self.pay_url

    # -- tokens ---------------------------------------------------------------------------

    def mint(self, seller_id: str, invoice_id: str, *, message_key: str | None = None) -> str:
        """A new pay link for an issued invoice: ``f"{pay_url}/i/{token}"``, valid for ``pay_link_ttl``."""
        base = self._base()
        with self._run.storage.transaction() as tx:
            invoice = tx.invoices.get(seller_id, invoice_id)
            return self.mint_in(
                tx, invoice, self._run.clock.now(), message_key=message_key, base=base
            )

    def mint_in(
        self,
        tx: Transaction,
        invoice: Invoice,
        now: datetime,
        *,
        message_key: str | None = None,
        base: str | None = None,
    ) -> str:
        """Mint a pay link for ``invoice`` inside the caller's write transaction ``tx``."""
        if invoice.status is Status.DRAFT:
            raise PaymentNotAllowedError(
                invoice.ref, invoice.status.value, "pay", [], reason="issue the invoice first"
            )
        token = secrets.token_urlsafe(TOKEN_BYTES)
        tx.pay_tokens.add(
            PayTokenRecord(
                token_hash=token_hash(token),
                seller_id=invoice.seller_id,
                invoice_id=invoice.id,
                customer_id=invoice.customer_id,
                message_key=message_key,
                created_at=now,
                expires_at=now + self.ttl,
            )
        )
        return f"{base or self._base()}/i/{token}"

    def for_message(self, record: MessageRecord, invoice: Invoice) -> str | None:
        """A new pay link for one message being composed (each message and retry its own).

        None for a draft (nothing to pay). Runs in a short write transaction of its own.
        """
        if self.pay_url is None or invoice.status is Status.DRAFT:
            return None
        with self._run.storage.transaction() as tx:
            return self.mint_in(tx, invoice, self._run.clock.now(), message_key=record.key)

    def open(self, token: str) -> PayPage:
        """The page behind ``token``. Raises PayPageNotFoundError, the same for every bad token."""
        if not isinstance(token, str) or not token or len(token) > _MAX_TOKEN:
            raise PayPageNotFoundError
        digest = token_hash(token)
        with self._run.read() as tx:
            now = self._run.clock.now()
            record = tx.pay_tokens.get(digest)
            if record is None or now >= record.expires_at:
                raise PayPageNotFoundError
            try:
                invoice = tx.invoices.get(record.seller_id, record.invoice_id)
            except NotFoundError:
                raise PayPageNotFoundError from None
        due = invoice.amount_due
        can_pay = invoice.status in _PAYABLE and due > invoice.in_flight  # not paid twice
        return PayPage(
            token=token,
            invoice=invoice,
            can_pay=can_pay,
            status=invoice.status,
            amount_due=invoice.amount_due,
            currency=invoice.currency,
            expires_at=record.expires_at,
            seller_id=record.seller_id,
            customer_id=record.customer_id,
        )

    # -- checkout -------------------------------------------------------------------------

    def checkout(self, token: str) -> str:
        """The provider's checkout URL for the amount due of the invoice behind ``token``.

        Reuses the open session for the same amount; otherwise asks the provider outside
        any write transaction and stores the session, so it is cancelled when the invoice
        is paid, voided or credited. Raises PayPageNotFoundError, PaymentNotAllowedError
        when nothing is due (or pending payments cover it), and PaymentError when no provider takes card payments (pay
        by bank transfer) or the provider refuses.
        """
        page = self.open(token)
        invoice = page.invoice
        if not page.can_pay:
            allowed = [a.value for a in lifecycle.ALLOWED[invoice.status]]
            why = "a payment of it is on its way" if invoice.amount_due > 0 else "nothing is due"
            raise PaymentNotAllowedError(
                invoice.ref, invoice.status.value, "pay", allowed, reason=why
            )
        provider = self._provider_of(invoice)
        if provider is None or not callable(getattr(provider, "start_checkout", None)):
            raise PaymentError(
                f"invoice {invoice.ref} cannot be paid online: no payment provider with a checkout "
                "is configured; pay by bank transfer with the details on the invoice",
                provider=getattr(provider, "name", ""),
                code="no_checkout",
            )
        key = checkout_key(invoice)
        with self._run.read() as tx:
            stored = tx.checkouts.get_by_key(invoice.seller_id, key)
            now = self._run.clock.now()
        if _usable(stored, now):
            assert stored is not None  # noqa: S101 - checked by _usable
            return stored.url
        session = cast("Checkout", provider).start_checkout(self._request(page, key))
        self._store(invoice, key, session)
        return session.url

    def _provider_of(self, invoice: Invoice) -> PaymentProvider | None:
        """The invoice's provider; PaymentError when the seller chose one Billing no longer has."""
        try:
            return self._provider_for(invoice)
        except ValidationError as exc:
            chosen = invoice.seller.payment_provider if invoice.seller is not None else None
            raise PaymentError(
                f"invoice {invoice.ref} cannot be paid online: its seller chose payment provider "
                f"{chosen!r}, which this Billing does not have ({exc}); add it to "
                "Billing(payments=...) or change Seller.payment_provider; meanwhile the payer "
                "can pay by bank transfer",
                provider=chosen or "",
                code="provider_not_configured",
            ) from exc

    def _request(self, page: PayPage, key: str) -> CheckoutRequest:
        invoice = page.invoice
        seller, customer = invoice.seller, invoice.customer
        seller_name = seller.name if seller is not None else invoice.seller_id
        return CheckoutRequest(
            seller_id=invoice.seller_id,
            invoice_id=invoice.id,
            number=invoice.ref,
            amount=invoice.amount_due,
            currency=invoice.currency,
            description=f"Invoice {invoice.ref} from {seller_name}",
            return_url=f"{self._base()}/i/{page.token}",
            key=key,
            customer_id=invoice.customer_id,
            customer_email=customer.email if customer is not None else None,
            locale=(customer.locale if customer is not None else None)
            or (seller.locale if seller is not None else None),
        )

    def _store(self, invoice: Invoice, key: str, session: CheckoutSession) -> None:
        with self._run.storage.transaction() as tx:
            tx.checkouts.add(
                CheckoutRecord(
                    provider=session.provider,
                    ref=session.ref,
                    seller_id=invoice.seller_id,
                    invoice_id=invoice.id,
                    key=key,
                    amount=session.amount,
                    currency=session.currency,
                    url=session.url,
                    created_at=self._run.clock.now(),
                    expires_at=session.expires_at,
                )
            )


def _check_pay_url(pay_url: object) -> None:
    """ConfigurationError unless ``pay_url`` is None or an http(s) URL a token can be appended to."""
    if pay_url is None:
        return
    example = "such as 'https://example.com/pay' (where the web app is mounted)"
    if not isinstance(pay_url, str):
        raise ConfigurationError(f"pay_url must be an http(s) URL {example}, not {pay_url!r}")
    parts = urlsplit(pay_url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise ConfigurationError(f"pay_url must be an http(s) URL {example}, not {pay_url!r}")
    if parts.query or parts.fragment or "?" in pay_url or "#" in pay_url:
        raise ConfigurationError(
            f"pay_url {pay_url!r} has a query or fragment: links are pay_url + '/i/<token>', "
            "so give the mount point only, e.g. 'https://example.com/pay'"
        )
    if any(c.isspace() or ord(c) < 0x20 for c in pay_url):  # noqa: PLR2004 - control characters
        raise ConfigurationError(
            f"pay_url must not contain spaces or control characters: {pay_url!r}"
        )


def _check_ttl(ttl: object) -> None:
    """ConfigurationError unless ``ttl`` is a timedelta between a second and MAX_TTL."""
    if not isinstance(ttl, timedelta):
        raise ConfigurationError(
            f"pay_link_ttl must be a datetime.timedelta such as timedelta(days=60), not {ttl!r}"
        )
    if ttl <= timedelta(0):
        raise ConfigurationError(f"pay_link_ttl must be positive, not {ttl!r}")
    if ttl > MAX_TTL:
        raise ConfigurationError(
            f"pay_link_ttl must be at most {MAX_TTL.days} days, not {ttl!r}; "
            "a link that never expires is a standing key to the invoice"
        )


def _usable(stored: CheckoutRecord | None, now: datetime) -> bool:
    """Whether a stored session may be handed out again (open, not about to expire)."""
    if stored is None or stored.state is not CheckoutState.OPEN:
        return False
    return stored.expires_at is None or stored.expires_at - _EXPIRY_MARGIN > now
