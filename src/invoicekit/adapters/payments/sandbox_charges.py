"""The sandbox's saved payment methods and their off-session charges (automatic collection).

A method is saved with one of Stripe's well-known test card numbers, and later charges
of it behave as that card does: 4242 4242 4242 4242 succeeds, ...0002 is declined,
...9995 has insufficient funds, ...3184 needs the customer (``authentication_required``).
Charges are kept by key: asking again with a key gives the stored charge (T29).
"""

from __future__ import annotations

import secrets as random
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any, Final

from invoicekit.adapters.payments.sandbox_state import State
from invoicekit.domain.collection import SavedPaymentMethod
from invoicekit.domain.invoice import Invoice
from invoicekit.errors import PaymentError
from invoicekit.payment_records import ChargeOutcome, ChargeState

__all__ = ["TEST_CARDS", "SavedCards", "charge", "charges", "save"]

#: Test card number -> (outcome, failure code, what the provider says).
TEST_CARDS: Final = {
    "4242424242424242": ("succeeded", None, None),
    "4000000000000002": ("failed", "card_declined", "The card was declined."),
    "4000000000009995": ("failed", "insufficient_funds", "The card has insufficient funds."),
    "4000002760003184": (
        "failed",
        "authentication_required",
        "The bank asks the customer to confirm this payment; ask them to pay on the invoice page.",
    ),
}


def save(
    state: State,
    provider: str,
    *,
    customer_ref: str,
    card: str,
    consent: str,
    at: datetime,
) -> SavedPaymentMethod:
    """Keep a test card for ``customer_ref`` and return the method invoicekit stores."""
    number = card.replace(" ", "")
    if number not in TEST_CARDS:
        raise PaymentError(
            f"the sandbox knows the test cards {', '.join(TEST_CARDS)}, not {card!r}",
            provider=provider,
            code="invalid_card",
        )
    reference = f"sbx_pm_{random.token_hex(12)}"
    with state.transaction():
        state.put("method", reference, {"card": number, "customer": customer_ref})
    return SavedPaymentMethod(
        provider=provider,
        reference=reference,
        provider_customer=customer_ref,
        brand="visa",
        last4=number[-4:],
        expires=(at.year + 3, 12),
        consent=consent,
        consented_at=at,
    )


def charge(
    state: State,
    provider: str,
    method: SavedPaymentMethod,
    amount: Decimal,
    *,
    currency: str,
    key: str,
) -> ChargeOutcome:
    """The charge of ``key``: made now as the method's card behaves, or the one made before."""
    with state.transaction():
        done = state.get("charge", key)
        if done is not None:
            if (Decimal(done["amount"]), done["currency"]) != (amount, currency):
                raise PaymentError(
                    f"charge key {key!r} was used for {done['amount']} {done['currency']}; "
                    "a new amount needs a new key",
                    provider=provider,
                    code="idempotency_error",
                    retryable=False,
                )
            return _outcome(done)
        saved = state.get("method", method.reference)
        behaviour: tuple[str, str | None, str | None] = (
            ("failed", "payment_method_missing", "The card was removed.")
            if saved is None
            else TEST_CARDS[saved["card"]]
        )
        outcome, code, reason = behaviour
        doc = {
            "key": key,
            "state": outcome,
            "amount": str(amount),
            "currency": currency,
            "payment_ref": f"sbx_pay_{random.token_hex(12)}",
            "code": code,
            "reason": reason,
            "method": method.reference,
        }
        state.put("charge", key, doc)
    return _outcome(doc)


def _outcome(doc: Mapping[str, Any]) -> ChargeOutcome:
    state = ChargeState(str(doc["state"]))
    return ChargeOutcome(
        state=state,
        amount=Decimal(str(doc["amount"])),
        currency=str(doc["currency"]),
        payment_ref=doc["payment_ref"] if state is not ChargeState.FAILED else None,
        code=doc["code"],
        reason=doc["reason"],
        retryable=doc["code"] not in {"authentication_required", "payment_method_missing"},
    )


def charges(state: State) -> list[dict[str, str]]:
    """Every charge the sandbox made, in order (a test counts them per key)."""
    return [dict(d) for d in state.all("charge")]


class SavedCards:
    """What ``SandboxPayments`` adds for automatic collection (``ports.ChargesSaved``)."""

    _state: State
    _name: str
    #: Fault for tests: this many next charges are made, then answered with a timeout.
    timeouts_after_charge: int = 0

    def _now(self) -> datetime:
        raise NotImplementedError  # pragma: no cover - SandboxPayments defines it

    def save_method(
        self, customer_ref: str, *, consent: str, card: str = "4242424242424242"
    ) -> SavedPaymentMethod:
        """Save test ``card`` (one of ``TEST_CARDS``) for later off-session charges."""
        return save(
            self._state, self._name, customer_ref=customer_ref, card=card, consent=consent,
            at=self._now(),
        )  # fmt: skip

    def charge_saved(
        self, invoice: Invoice, method: SavedPaymentMethod, amount: Decimal, *, key: str
    ) -> ChargeOutcome:
        """Charge ``method`` as its test card behaves, once per ``key`` (T29)."""
        outcome = charge(
            self._state, self._name, method, amount, currency=invoice.currency, key=key
        )
        if self.timeouts_after_charge > 0:
            self.timeouts_after_charge -= 1
            raise PaymentError("timed out", provider=self._name, code="timeout", retryable=True)
        return outcome

    def charges(self) -> list[dict[str, str]]:
        """Every off-session charge made, in order."""
        return charges(self._state)
