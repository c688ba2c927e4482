"""Why a payment did not go through, in plain words: common provider codes mapped to one sentence.

A code the mapping does not know shows the reason as recorded (the provider's or
the seller's words); no reason at all gets a general sentence. Suspected fraud
(``stolen_card``, ``fraudulent``) reads as a plain decline: the payer is not accused.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Final

from invoicekit.domain.invoice import CollectionFailure

if TYPE_CHECKING:
    from invoicekit.adapters.render.view import Gettext

__all__ = ["KNOWN_CODES", "plain_reason"]


def _declined(t: Gettext) -> str:
    return t.gettext("Your card was declined by the bank that issued it.")


def _funds(t: Gettext) -> str:
    return t.gettext("There was not enough money in the account.")


def _expired(t: Gettext) -> str:
    return t.gettext("The card has expired.")


def _cvc(t: Gettext) -> str:
    return t.gettext("The card's security code was not correct.")


def _number(t: Gettext) -> str:
    return t.gettext("The card number was not correct.")


def _processing(t: Gettext) -> str:
    return t.gettext("The payment could not be processed.")


def _authentication(t: Gettext) -> str:
    return t.gettext("Your bank asked you to confirm the payment, and it was not confirmed.")


def _limit(t: Gettext) -> str:
    return t.gettext("The payment is over the card's limit.")


def _returned(t: Gettext) -> str:
    return t.gettext("Your bank returned the payment.")


_SENTENCES: Final[dict[str, Callable[[Gettext], str]]] = {
    "card_declined": _declined,
    "generic_decline": _declined,
    "do_not_honor": _declined,
    "lost_card": _declined,
    "stolen_card": _declined,
    "pickup_card": _declined,
    "fraudulent": _declined,
    "insufficient_funds": _funds,
    "expired_card": _expired,
    "incorrect_cvc": _cvc,
    "invalid_cvc": _cvc,
    "incorrect_number": _number,
    "invalid_number": _number,
    "processing_error": _processing,
    "authentication_required": _authentication,
    "card_velocity_exceeded": _limit,
    "withdrawal_count_limit_exceeded": _limit,
    "debit_returned": _returned,
    "payment_returned": _returned,
}
#: The provider codes that get a sentence of their own.
KNOWN_CODES: Final = frozenset(_SENTENCES)


def plain_reason(failure: CollectionFailure | None, reason: str | None, t: Gettext) -> str:
    """One sentence saying why: by the failure's code, else its reason (or ``reason``) as given."""
    code = failure.code if failure is not None else None
    if code is not None and code.lower() in _SENTENCES:
        return _SENTENCES[code.lower()](t)
    given = (failure.reason if failure is not None else None) or reason
    if given and given.strip():
        text = " ".join(given.split())
        return text if text.endswith((".", "!", "?")) else text + "."
    return t.gettext("The payment was declined.")
