"""The payment providers Billing was given, by name: each seller chooses one, the first is the default.

A provider's ``name`` is how a seller chooses it (``Seller.payment_provider``), how a
payment's ``method`` names where the money came from (refunds go back there) and the
path of its webhook endpoint. Credentials are the provider's business (a resolver
from seller id to account, for platforms whose sellers each have their own).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence

from invoicekit.domain.invoice import Invoice
from invoicekit.domain.parties import Seller
from invoicekit.errors import ConfigurationError, ValidationError, WebhookRejectedError, problem
from invoicekit.ports import Checkout, PaymentNotices, PaymentProvider

__all__ = ["Providers"]

#: The methods every payment provider has (PaymentProvider), checked when Billing is built.
_METHODS = ("payment_link", "refund")


class Providers(Mapping[str, PaymentProvider]):
    """Name → provider, in the order given; the first is the default."""

    def __init__(self, given: PaymentProvider | Sequence[PaymentProvider] | None) -> None:
        if isinstance(given, str | bytes | bytearray | Mapping):
            raise ConfigurationError(
                f"payments= takes provider objects, not {type(given).__name__} {given!r}: "
                "e.g. Billing(payments=[StripePayments(...), SandboxPayments(...)]); "
                "each provider's name is its .name"
            )
        if given is None:
            items: Sequence[PaymentProvider] = ()
        elif isinstance(given, Sequence):
            items = given
        else:
            items = (given,)
        self._by_name: dict[str, PaymentProvider] = {}
        for provider in items:
            name = getattr(provider, "name", None)
            if not isinstance(name, str) or not name:
                raise ConfigurationError(
                    f"payment provider {provider!r} has no name; give it a `name` str property"
                )
            missing = [m for m in _METHODS if not callable(getattr(provider, m, None))]
            if missing:
                raise ConfigurationError(
                    f"payment provider {name!r} ({type(provider).__name__}) has no "
                    f"{' or '.join(missing)} method: a provider implements PaymentProvider "
                    "(name, payment_link, refund); see the how-to 'write a payment provider'"
                )
            if name in self._by_name:
                raise ConfigurationError(
                    f"two payment providers are named {name!r}; give each its own name "
                    "(e.g. StripePayments(..., name='stripe-eu'))"
                )
            self._by_name[name] = provider

    def __getitem__(self, name: str) -> PaymentProvider:
        return self._by_name[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._by_name)

    def __len__(self) -> int:
        return len(self._by_name)

    @property
    def default(self) -> PaymentProvider | None:
        """The first provider given, or None."""
        return next(iter(self._by_name.values()), None)

    def check_choice(self, name: object) -> None:
        """ValidationError naming ``payment_provider`` and our names when ``name`` is not ours."""
        if name is None or name in self._by_name:
            return
        have = ", ".join(repr(n) for n in self._by_name) or "none"
        why = f"is not a payment provider of this Billing (it has: {have})"
        raise ValidationError([problem("payment_provider", why, name)], subject="seller")

    def for_seller(self, seller: Seller) -> PaymentProvider | None:
        """The provider ``seller`` chose, else the default; None when Billing has none."""
        if seller.payment_provider is None:
            return self.default
        self.check_choice(seller.payment_provider)
        return self._by_name[seller.payment_provider]

    def for_invoice(self, invoice: Invoice) -> PaymentProvider | None:
        """The provider of the seller snapshot an issued invoice carries (a draft: the default)."""
        return self.default if invoice.seller is None else self.for_seller(invoice.seller)

    def checkout_for(self, seller: Seller) -> Checkout | None:
        """The seller's provider as a ``Checkout``, or None when it has no hosted checkout."""
        provider = self.for_seller(seller)
        if provider is None or not callable(getattr(provider, "start_checkout", None)):
            return None
        return provider  # type: ignore[return-value] # checked structurally above

    def notices(self, name: str) -> PaymentNotices:
        """The reader of provider ``name``'s notifications; WebhookRejectedError when none."""
        provider = self._by_name.get(name)
        if provider is None or not callable(getattr(provider, "read", None)):
            raise WebhookRejectedError("unknown provider", provider=name)
        return provider  # type: ignore[return-value] # checked structurally above
