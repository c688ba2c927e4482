"""Locale-aware formatting of money, quantities, rates and dates for documents, through Babel.

Babel is told how many minor digits a currency has from our own ISO 4217 table
(``invoicekit.money``); its own table disagrees for several currencies.
"""

from __future__ import annotations

import copy
import datetime as dt
import functools
import re
from decimal import Decimal
from typing import Final

from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_skeleton
from babel.numbers import NumberPattern, format_currency, format_decimal, format_percent

from invoicekit.errors import ValidationError, problem
from invoicekit.money import currency_digits

__all__ = ["Formatter", "formatter", "negotiate_locale"]

_FALLBACK: Final = "en"
_LETTER_DIGIT: Final = re.compile(r"([^\W\d_])(\d)")
_DIGIT_LETTER: Final = re.compile(r"(\d)([^\W\d_])")


@functools.lru_cache(maxsize=64)
def negotiate_locale(identifier: str | None) -> Locale:
    """The Babel locale for ``identifier`` ('de_CH', 'fr'); English when None.

    Raises ValidationError when Babel knows no such locale.
    """
    try:
        return Locale.parse(identifier or _FALLBACK)
    except (UnknownLocaleError, ValueError) as exc:
        raise ValidationError(
            [
                problem(
                    "locale", "Babel has no data for this locale (e.g. 'en', 'de_DE')", identifier
                )
            ],
            subject="document",
        ) from exc


@functools.lru_cache(maxsize=256)
def _money_pattern(locale: Locale, digits: int) -> NumberPattern:
    """The locale's currency pattern with exactly ``digits`` fraction digits."""
    pattern: NumberPattern = copy.copy(locale.currency_formats["standard"])
    pattern.frac_prec = (digits, digits)
    return pattern


@functools.lru_cache(maxsize=64)
def _places_pattern(locale: Locale, places: int) -> NumberPattern:
    """The locale's decimal pattern showing exactly ``places`` fraction digits."""
    pattern: NumberPattern = copy.copy(locale.decimal_formats[None])
    pattern.frac_prec = (places, places)
    return pattern


class Formatter:
    """Formats values for one locale; build it with :func:`formatter` (cached per locale)."""

    def __init__(self, locale: Locale) -> None:
        self.locale = locale
        #: The BCP 47 tag for the html ``lang`` attribute ('de-DE').
        self.lang = str(locale).replace("_", "-")

    def money(self, amount: Decimal, currency: str) -> str:
        """``amount`` in ``currency`` with our minor digits: '€928.00', '928,00 €', '¥1,000'."""
        pattern = _money_pattern(self.locale, currency_digits(currency))
        text = format_currency(
            amount, currency, format=pattern, locale=self.locale, currency_digits=False
        )
        # CLDR's currency spacing, which Babel leaves out: 'BHD 11.900', not 'BHD11.900'.
        return _LETTER_DIGIT.sub("\\1\xa0\\2", _DIGIT_LETTER.sub("\\1\xa0\\2", text))

    def quantity(self, value: Decimal) -> str:
        """A quantity exactly as stored ('1.50' stays '1.50'), grouped the locale's way."""
        exponent = value.as_tuple().exponent
        places = -exponent if isinstance(exponent, int) and exponent < 0 else 0
        return format_decimal(
            value, format=_places_pattern(self.locale, places), locale=self.locale
        )

    def percent(self, rate: Decimal) -> str:
        """A tax rate given in percent (19 -> '19%', 7.5 -> '7,5 %' in German)."""
        return format_percent(rate.scaleb(-2), locale=self.locale, decimal_quantization=False)

    def date(self, value: dt.date) -> str:
        """A date in the locale's long form: '15 March 2026', '15. März 2026'."""
        return format_date(value, "long", locale=self.locale)

    def day_month(self, value: dt.date) -> str:
        """Day and month only, for sentences: '15 March', '15. März'."""
        return format_skeleton("MMMMd", value, locale=self.locale)

    def short_date(self, value: dt.date) -> str:
        """A compact date for short messages: 'Mar 15, 2026', '15.03.2026'."""
        return format_date(value, "medium", locale=self.locale)


@functools.lru_cache(maxsize=64)
def formatter(identifier: str | None) -> Formatter:
    """The formatter for a locale identifier, cached."""
    return Formatter(negotiate_locale(identifier))
