"""Automatic collection as values: a customer's saved payment method and the seller's setting.

A ``SavedPaymentMethod`` holds the provider's reference to a card or mandate and what
the customer was shown when they agreed (never card data): enough to charge it
off-session and to show "Visa ending 4242" and the consent given. Pure: values and checks.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Final, cast

import attrs

from invoicekit.domain import checks
from invoicekit.errors import Problem, ValidationError, problem

__all__ = [
    "COLLECTION_MODES",
    "COLLECT_WHEN",
    "SavedPaymentMethod",
    "collection_problems",
    "saved_method_problems",
]

#: How a seller collects: send the invoice and wait, or charge the saved method.
COLLECTION_MODES: Final = ("send_invoice", "charge_automatically")
#: When a charge_automatically seller charges: when the invoice is issued, or on its due date.
COLLECT_WHEN: Final = ("on_issue", "on_due_date")
_MAX_CONSENT: Final = 2000
_MAX_REF: Final = 255
_MAX_BRAND: Final = 32
_LAST4: Final = 4
#: Years a card's expiry may name, and the months of a year.
_YEARS: Final = range(2000, 2101)
_MONTHS: Final = range(1, 13)


def _pair(value: Iterable[int] | None) -> tuple[int, int] | None:
    return None if value is None else cast("tuple[int, int]", tuple(value))


@attrs.frozen
class SavedPaymentMethod:
    """A payment method a customer saved with a provider, for charges of later invoices.

    ``reference`` is the provider's id (Stripe: ``pm_...``; the sandbox: ``sbx_pm_...``),
    ``provider_customer`` the provider's customer id when it needs one (Stripe: ``cus_...``).
    """

    provider: str
    reference: str
    consent: str
    consented_at: datetime
    provider_customer: str | None = None
    #: The card brand as the provider names it (e.g. "visa"); None for non-card methods.
    brand: str | None = None
    #: The last four digits, for display only.
    last4: str | None = None
    #: The month the card expires, as (year, month).
    expires: tuple[int, int] | None = attrs.field(default=None, converter=_pair)

    def __attrs_post_init__(self) -> None:
        found = saved_method_problems(self, "")
        if found:
            raise ValidationError(found, subject="saved payment method")

    def describe(self) -> str:
        """How to show the method to its owner, e.g. "visa ending 4242"."""
        if self.last4 is None:
            return f"{self.provider} payment method"
        return f"{self.brand or 'card'} ending {self.last4}"


def saved_method_problems(method: object, where: str) -> list[Problem]:
    """What is wrong with a saved payment method (``where`` prefixes each path)."""
    if not isinstance(method, SavedPaymentMethod):
        return [
            problem(where.rstrip(".") or "payment_method", "must be a SavedPaymentMethod", method)
        ]
    found = checks.identifier(f"{where}provider", method.provider)
    found += checks.identifier(f"{where}reference", method.reference, limit=_MAX_REF)
    found += checks.identifier(
        f"{where}provider_customer", method.provider_customer, limit=_MAX_REF, required=False
    )
    consent = method.consent
    if not isinstance(consent, str) or not consent.strip() or len(consent) > _MAX_CONSENT:
        found.append(
            problem(
                f"{where}consent",
                f"the wording the customer agreed to (1 to {_MAX_CONSENT} characters)",
                consent,
            )
        )
    at = method.consented_at
    if not isinstance(at, datetime) or at.utcoffset() is None:
        found.append(problem(f"{where}consented_at", "must be a timezone-aware datetime", at))
    last4 = method.last4
    if last4 is not None and (
        not isinstance(last4, str) or len(last4) != _LAST4 or not last4.isdigit()
    ):
        found.append(
            problem(f"{where}last4", "four digits, or None (never the card number)", last4)
        )
    brand = method.brand
    if brand is not None and (
        not isinstance(brand, str) or not brand.isprintable() or len(brand) > _MAX_BRAND
    ):
        found.append(problem(f"{where}brand", "a short name such as 'visa', or None", brand))
    expires = method.expires
    if expires is not None and not (
        len(expires) == len(("year", "month"))
        and all(isinstance(p, int) and not isinstance(p, bool) for p in expires)
        and expires[0] in _YEARS
        and expires[1] in _MONTHS
    ):
        found.append(problem(f"{where}expires", "(year, month), e.g. (2030, 12), or None", expires))
    return found


def collection_problems(collection: object, collect_on: object) -> list[Problem]:
    """The seller's ``collection`` and ``collect_on`` settings."""
    found: list[Problem] = []
    if collection not in COLLECTION_MODES:
        found.append(problem("collection", f"allowed: {', '.join(COLLECTION_MODES)}", collection))
    if collect_on not in COLLECT_WHEN:
        found.append(problem("collect_on", f"allowed: {', '.join(COLLECT_WHEN)}", collect_on))
    return found
