"""The sandbox provider's pay page: the payer picks what happens (test mode, no real money)."""

from __future__ import annotations

from typing import Any, Final

from invoicekit.adapters.render.formatting import formatter
from invoicekit.web.host import SandboxSessionView

__all__ = ["CHOOSABLE", "CONSENT", "REASONS", "sandbox_context"]

#: States in which the payer may still choose (a declined card may be tried again).
CHOOSABLE: Final = frozenset({"open", "declined"})

#: What the payer agrees to by ticking "save this card"; kept with the saved method.
CONSENT: Final = (
    "I allow {seller} to charge this card for my future invoices when they are due. "
    "I can ask {seller} to remove the card at any time."
)

#: Decline reasons the page offers, as provider codes with their words.
REASONS: Final = {
    "card_declined": "Card declined",
    "insufficient_funds": "Insufficient funds",
    "expired_card": "Expired card",
    "incorrect_cvc": "Incorrect security code",
}


def sandbox_context(
    session: SandboxSessionView,
    *,
    action: str,
    csrf_token: str,
    error: str | None,
    consent: str | None = None,
) -> dict[str, Any]:
    """The page of ``session``: its amount and, while it is open, the three choices.

    ``consent``: the wording of "save this card for future invoices" (None: not offered).
    """
    return {
        "lang": "en",
        "title": f"Sandbox checkout: {session.description}",
        "s": session,
        "amount": formatter("en").money(session.amount, session.currency),
        "action": action if session.state in CHOOSABLE else None,
        "csrf_token": csrf_token,
        "reasons": list(REASONS.items()),
        "error": error,
        "consent": consent,
    }
