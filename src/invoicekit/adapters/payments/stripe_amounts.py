"""Amounts as Stripe's API writes them: integers of the currency's smallest unit, Stripe's way.

Stripe mostly follows ISO 4217, with exceptions it documents (docs.stripe.com/currencies):

- zero-decimal currencies (an amount of 500 JPY is ``500``) include MGA, which ISO gives
  two digits: an MGA amount with a fraction cannot be charged;
- ISK is zero-decimal in ISO but written with two decimals (5 ISK is ``500``), and HUF and
  TWD are written with two decimals as ISO has them;
- the three-decimal currencies BHD, JOD, KWD, OMR and TND take three decimals, but the last
  digit must be 0 (5.120 KWD is ``5120``; 5.124 KWD cannot be charged).

An amount Stripe cannot take exactly is refused (PaymentError), never rounded: the payer
would pay more or less than the invoice says.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Final

from invoicekit.errors import PaymentError
from invoicekit.money import CURRENCY_DIGITS

__all__ = ["STRIPE_DIGITS", "from_minor", "stripe_digits", "to_minor"]

#: Stripe's zero-decimal currencies (its list; MGA and UGX among them).
_ZERO_DECIMAL: Final = frozenset(
    [
        "BIF",
        "CLP",
        "DJF",
        "GNF",
        "JPY",
        "KMF",
        "KRW",
        "MGA",
        "PYG",
        "RWF",
        "UGX",
        "VND",
        "VUV",
        "XAF",
        "XOF",
        "XPF",
    ]
)
#: Written with two decimals although ISO 4217 (or the card networks) use whole units.
_TWO_DECIMAL: Final = frozenset({"ISK", "HUF", "TWD"})
#: Three decimals, the last of them always 0.
_THREE_DECIMAL: Final = frozenset({"BHD", "JOD", "KWD", "OMR", "TND"})

#: Digits of the integer amounts Stripe's API reads and writes, where they differ from ISO.
STRIPE_DIGITS: Final[dict[str, int]] = {
    **dict.fromkeys(_ZERO_DECIMAL, 0),
    **dict.fromkeys(_TWO_DECIMAL, 2),
    **dict.fromkeys(_THREE_DECIMAL, 3),
}


def stripe_digits(currency: str) -> int:
    """How many decimals Stripe's integer amounts of ``currency`` (upper case) stand for."""
    return STRIPE_DIGITS.get(currency, CURRENCY_DIGITS.get(currency, 2))


def to_minor(amount: Decimal, currency: str, *, provider: str = "stripe") -> int:
    """``amount`` of ``currency`` as Stripe's integer; PaymentError when Stripe cannot take it.

    Raises PaymentError (``retryable=False``, code ``amount_not_supported``) for an amount
    that is not positive, has more decimals than Stripe takes in that currency, or (for the
    three-decimal currencies) does not end in 0.
    """
    digits = stripe_digits(currency)
    scaled = amount.scaleb(digits)
    exact = scaled == scaled.to_integral_value()
    if currency in _THREE_DECIMAL and exact:
        exact = int(scaled) % 10 == 0
    if not exact or amount <= 0:
        raise PaymentError(
            f"Stripe cannot charge {amount} {currency}: it takes positive {currency} amounts "
            f"with at most {digits - (currency in _THREE_DECIMAL)} decimals; collect this "
            "amount another way (bank transfer) or correct the invoice",
            provider=provider,
            code="amount_not_supported",
            retryable=False,
        )
    return int(scaled)


def from_minor(value: int, currency: str) -> Decimal:
    """Stripe's integer ``value`` of ``currency`` as a Decimal with the ISO digits, when exact.

    An amount finer than ISO 4217 allows (a legacy fractional ISK charge) keeps its exact
    value rather than being rounded.
    """
    exact = Decimal(value).scaleb(-stripe_digits(currency))
    iso = Decimal(1).scaleb(-CURRENCY_DIGITS.get(currency, 2))
    rounded = exact.quantize(iso)
    return rounded if rounded == exact else exact
