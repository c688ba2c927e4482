"""Money: ISO 4217 precision, explicit rounding, and splits that never lose a minor unit.

Amounts are ``decimal.Decimal`` inside calculations and ``moneyed.Money`` at the
edges. The minor-unit table is our own (py-moneyed and Babel disagree on many
currencies); Babel is told the digits when formatting, never asked.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from decimal import ROUND_DOWN, ROUND_HALF_EVEN, ROUND_HALF_UP, ROUND_UP, Decimal
from decimal import localcontext as _localcontext
from enum import StrEnum
from fractions import Fraction
from typing import Final

import moneyed

from invoicekit.errors import CurrencyMismatchError, ValidationError, problem

__all__ = [
    "CURRENCY_DIGITS",
    "MAX_AMOUNT",
    "Rounding",
    "allocate",
    "check_currency",
    "currency_digits",
    "from_money",
    "minor_unit",
    "parse_amount",
    "parse_decimal",
    "quantize",
    "quantize_to_increment",
    "round_to_sum",
    "split",
    "to_money",
]


class Rounding(StrEnum):
    """How an exact amount becomes one with the currency's minor digits.

    All four modes are symmetric around zero, so ``-x`` rounds to minus what ``x`` rounds to.
    """

    #: Commercial rounding: ties go away from zero (2.345 -> 2.35). The default.
    HALF_UP = "half_up"
    #: Banker's rounding: ties go to the even digit (2.345 -> 2.34).
    HALF_EVEN = "half_even"
    #: Always away from zero (2.341 -> 2.35).
    UP = "up"
    #: Always toward zero, i.e. truncation (2.349 -> 2.34).
    DOWN = "down"


_DECIMAL_MODE: Final = {
    Rounding.HALF_UP: ROUND_HALF_UP,
    Rounding.HALF_EVEN: ROUND_HALF_EVEN,
    Rounding.UP: ROUND_UP,
    Rounding.DOWN: ROUND_DOWN,
}


def _codes(text: str) -> list[str]:
    """The currency codes in a whitespace-separated block of text."""
    return text.split()


#: Minor-unit digits of every active ISO 4217 currency (list of 2025-2026),
#: without the precious metals and funds that have no minor unit (XAU, XDR, ...).
CURRENCY_DIGITS: Final[dict[str, int]] = {
    **dict.fromkeys(
        _codes(
            """
            AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BMD BND BOB BOV BRL BSD
            BTN BWP BYN BZD CAD CDF CHE CHF CHW CNY COP COU CRC CUP CVE CZK DKK DOP DZD EGP
            ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GTQ GYD HKD HNL HTG HUF IDR ILS INR IRR
            JMD KES KGS KHR KPW KYD KZT LAK LBP LKR LRD LSL MAD MDL MGA MKD MMK MNT MOP MRU
            MUR MVR MWK MXN MXV MYR MZN NAD NGN NIO NOK NPR NZD PAB PEN PGK PHP PKR PLN QAR
            RON RSD RUB SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS
            TMT TOP TRY TTD TWD TZS UAH USD USN UYU UZS VED VES WST XCD XCG YER ZAR ZMW ZWG
            """
        ),
        2,
    ),
    **dict.fromkeys(
        _codes("BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF"), 0
    ),
    **dict.fromkeys(_codes("BHD IQD JOD KWD LYD OMR TND"), 3),
    **dict.fromkeys(_codes("CLF UYW"), 4),
}

#: minor_unit() of every currency, made once.
_MINOR_UNITS: Final = {code: Decimal(1).scaleb(-d) for code, d in CURRENCY_DIGITS.items()}

#: The largest absolute amount, quantity or price accepted anywhere (10^15).
MAX_AMOUNT: Final = Decimal(10) ** 15

_DECIMAL_TEXT: Final = re.compile(r"-?[0-9]{1,18}(?:\.[0-9]{1,18})?")
_PRECISION: Final = 60
_MAX_TEXT: Final = 40  # characters in a decimal string; longer input is refused unread
_MAX_ADJUSTED: Final = MAX_AMOUNT.adjusted()  # |x| < MAX_AMOUNT is x.adjusted() < this
_is_decimal_text: Final = _DECIMAL_TEXT.fullmatch


def check_currency(code: object, *, path: str = "currency") -> str:
    """Return ``code`` if it is an active ISO 4217 code, else raise ValidationError."""
    if isinstance(code, str) and code in CURRENCY_DIGITS:
        return code
    if isinstance(code, str) and code.upper() in CURRENCY_DIGITS:
        raise ValidationError(
            [problem(path, f"currency codes are upper case: use {code.upper()!r}", code)],
            subject="currency",
        )
    raise ValidationError(
        [problem(path, "not an active ISO 4217 currency code (e.g. 'EUR', 'USD', 'JPY')", code)],
        subject="currency",
    )


def currency_digits(code: str) -> int:
    """Number of minor-unit digits of ``code`` (JPY 0, EUR 2, BHD 3)."""
    return CURRENCY_DIGITS[check_currency(code)]


def minor_unit(code: str) -> Decimal:
    """The smallest amount in ``code``: Decimal('0.01') for EUR, Decimal('1') for JPY."""
    unit = _MINOR_UNITS.get(code) if type(code) is str else None
    return Decimal(1).scaleb(-currency_digits(code)) if unit is None else unit


def parse_decimal(value: object, *, path: str, subject: str = "input") -> Decimal:
    """Turn user input into a finite Decimal, refusing floats and anything ambiguous.

    Accepts ``Decimal``, ``int`` and plain ASCII decimal strings such as ``"12.30"``.
    A float raises TypeError (binary floats cannot hold 0.10 exactly); everything
    else that is not a plain decimal raises ValidationError naming ``path``.
    """
    # Fast path: a non-zero finite Decimal, or a plain decimal string, below MAX_AMOUNT
    # (adjusted() < 15 is |x| < 10^15). Everything else, zero included, takes the checks below.
    if type(value) is Decimal:
        if value.is_finite() and value and value.adjusted() < _MAX_ADJUSTED:
            return value
    elif type(value) is str and len(value) <= _MAX_TEXT and _is_decimal_text(value):
        fast = Decimal(value)
        if fast and fast.adjusted() < _MAX_ADJUSTED:
            return fast
    return _parse_decimal(value, path=path, subject=subject)


def _parse_decimal(value: object, *, path: str, subject: str) -> Decimal:
    """parse_decimal's every check, for input its fast path did not take."""
    if isinstance(value, float):
        raise TypeError(
            f"{path}: got the float {value!r}; money and quantities must be exact: "
            f"pass a Decimal or a string, e.g. Decimal({str(value)!r})"
        )
    if isinstance(value, bool) or value is None:
        raise ValidationError(
            [problem(path, "must be a Decimal, an int or a decimal string", value)], subject=subject
        )
    if isinstance(value, int):
        result = Decimal(value)
    elif isinstance(value, Decimal):
        if not value.is_finite():
            raise ValidationError(
                [problem(path, "must be a finite number", value)], subject=subject
            )
        result = value
    elif isinstance(value, str):
        if len(value) > _MAX_TEXT or not _DECIMAL_TEXT.fullmatch(value):
            raise ValidationError(
                [
                    problem(
                        path,
                        "must be a plain decimal like '12.30' (ASCII digits, a dot, "
                        "no spaces, exponents or thousands separators)",
                        value,
                    )
                ],
                subject=subject,
            )
        result = Decimal(value)
        if value.startswith("-") and result == 0:
            raise ValidationError(
                [problem(path, "negative zero is not a number; write '0'", value)],
                subject=subject,
            )
    else:
        raise ValidationError(
            [
                problem(
                    path,
                    f"must be a Decimal, an int or a decimal string, not {type(value).__name__}",
                    value,
                )
            ],
            subject=subject,
        )
    if abs(result) >= MAX_AMOUNT:
        raise ValidationError(
            [problem(path, f"must be smaller than {MAX_AMOUNT:,} in absolute value", value)],
            subject=subject,
        )
    return abs(result) if result == 0 else result  # Decimal('-0') is still zero


def parse_amount(
    value: object, currency: str, *, path: str = "amount", subject: str = "amount"
) -> Decimal:
    """An exact amount in ``currency``: a Decimal that fits its minor unit.

    ``moneyed.Money`` is accepted when its currency matches (else CurrencyMismatchError).
    ``'12.345'`` for EUR is refused rather than silently rounded.
    """
    if isinstance(value, moneyed.Money):
        if value.currency.code != currency:
            raise CurrencyMismatchError(currency, value.currency.code, path=path)
        value = value.amount
    amount = parse_decimal(value, path=path, subject=subject)
    digits = currency_digits(currency)
    exponent = int(amount.as_tuple().exponent)  # finite: parse_decimal refused NaN and infinity
    if -exponent > digits and amount != amount.quantize(Decimal(1).scaleb(-digits)):
        raise ValidationError(
            [problem(path, f"{currency} amounts have {digits} decimal places at most", value)],
            subject=subject,
        )
    return amount.quantize(Decimal(1).scaleb(-digits))


def quantize(value: Decimal, currency: str, rounding: Rounding = Rounding.HALF_UP) -> Decimal:
    """Round ``value`` to ``currency``'s minor unit with an explicit mode (half-up by default)."""
    return _quantize_unit(value, minor_unit(currency), rounding)


def _quantize_unit(value: Decimal, unit: Decimal, rounding: Rounding) -> Decimal:
    with _localcontext() as ctx:
        ctx.prec = _PRECISION
        result = value.quantize(unit, rounding=_DECIMAL_MODE[Rounding(rounding)])
    return _zero_sign(result)


def quantize_to_increment(
    value: Decimal, increment: Decimal, currency: str, rounding: Rounding = Rounding.HALF_UP
) -> Decimal:
    """Round ``value`` to a multiple of ``increment`` (cash rounding, e.g. CHF 0.05)."""
    with _localcontext() as ctx:
        ctx.prec = _PRECISION
        steps = (value / increment).quantize(Decimal(1), rounding=_DECIMAL_MODE[Rounding(rounding)])
        return quantize(steps * increment, currency, rounding)


def round_to_sum(
    exact: Sequence[Decimal | Fraction], target: Decimal, unit: Decimal
) -> list[Decimal]:
    """Round each exact value to ``unit`` so that the parts add up to ``target`` exactly.

    Largest remainder: floor every value, then hand the missing units one each to
    the values with the largest fractional part, ties to the earlier value. Every
    part stays within one unit of its exact value when ``target`` is within
    ``len(exact)`` units of the exact sum. Remainders are compared as exact
    fractions, so shares that are equal are treated as a tie.
    """
    if not exact:
        if target != 0:
            raise ValueError(f"cannot split {target} into zero parts")
        return []
    step = Fraction(unit)
    scaled = [Fraction(e) / step for e in exact]
    floors = [math.floor(x) for x in scaled]
    extra = Fraction(target) / step - sum(floors)
    if extra.denominator != 1:
        raise ValueError(f"target {target} is not a multiple of {unit}")
    count = int(extra)
    if not 0 <= count <= len(exact):
        raise ValueError(f"target {target} is too far from the exact sum {sum(scaled) * step}")
    order = sorted(range(len(exact)), key=lambda i: (floors[i] - scaled[i], i))
    bump = set(order[:count])
    return [_zero_sign(Decimal(f + (1 if i in bump else 0)) * unit) for i, f in enumerate(floors)]


def _zero_sign(value: Decimal) -> Decimal:
    """Normalise -0.00 to 0.00 so equal amounts also print the same."""
    return abs(value) if value == 0 else value


def allocate(amount: Decimal, weights: Sequence[Decimal | int], currency: str) -> list[Decimal]:
    """Split ``amount`` in proportion to ``weights``; the parts sum to ``amount`` exactly.

    Weights may be of mixed sign but must not sum to zero. Remainder units go to
    the largest fractional shares, ties to the earlier weight.
    """
    unit = minor_unit(currency)
    weights = [Decimal(w) for w in weights]
    total = sum(weights, Decimal(0))
    if not weights:
        raise ValidationError(
            [problem("weights", "need at least one weight")], subject="allocation"
        )
    if total == 0:
        raise ValidationError(
            [problem("weights", "must not sum to zero", weights)], subject="allocation"
        )
    if amount != amount.quantize(unit):
        raise ValidationError(
            [problem("amount", f"must fit the {currency} minor unit {unit}", amount)],
            subject="allocation",
        )
    exact = [Fraction(amount) * Fraction(w) / Fraction(total) for w in weights]
    return round_to_sum(exact, amount, unit)


def split(amount: Decimal, parts: int, currency: str) -> list[Decimal]:
    """Split ``amount`` into ``parts`` near-equal parts that sum to it exactly."""
    if isinstance(parts, bool) or not isinstance(parts, int) or parts < 1:
        raise ValidationError([problem("parts", "must be an integer >= 1", parts)], subject="split")
    return allocate(amount, [1] * parts, currency)


def to_money(amount: Decimal, currency: str) -> moneyed.Money:
    """Wrap an exact amount as ``moneyed.Money`` for the edges of the API."""
    return moneyed.Money(amount, check_currency(currency))


def from_money(value: moneyed.Money) -> tuple[Decimal, str]:
    """Unwrap ``moneyed.Money`` into (amount, currency code)."""
    return value.amount, value.currency.code
