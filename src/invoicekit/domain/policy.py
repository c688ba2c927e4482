"""A seller's declared rounding policy: where tax is rounded, how, and optional cash rounding."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from enum import StrEnum

import attrs

from invoicekit.domain.frozen import FrozenMapping
from invoicekit.errors import ConfigurationError, ValidationError
from invoicekit.money import Rounding, check_currency, minor_unit

__all__ = ["PriceMode", "RoundingPolicy", "TaxRounding"]


class PriceMode(StrEnum):
    """Whether unit prices include tax."""

    #: Prices are net; tax is added on top (B2B, EN 16931's native form).
    EXCLUSIVE = "exclusive"
    #: Prices are gross; net and tax are derived so that they add up to the gross exactly (B2C).
    INCLUSIVE = "inclusive"


class TaxRounding(StrEnum):
    """Where tax amounts are rounded to the currency's minor unit."""

    #: Once per tax category and rate on its taxable base (EN 16931 BR-CO-17). The default.
    PER_CATEGORY = "per_category"
    #: On every line, then summed (the US/ERP convention).
    PER_LINE = "per_line"
    #: Once on the document's total tax, then spread over the categories without losing a cent.
    PER_DOCUMENT = "per_document"


def _increments(value: Mapping[str, Decimal | str] | None) -> Mapping[str, Decimal]:
    result: dict[str, Decimal] = {}
    for currency, increment in (value or {}).items():
        try:
            check_currency(currency, path="cash_increments")
        except ValidationError as exc:
            raise ConfigurationError(str(exc)) from exc
        if isinstance(increment, float) or not isinstance(increment, Decimal | str):
            raise ConfigurationError(
                f"cash increment for {currency} must be a Decimal or a string, not {increment!r}"
            )
        amount = Decimal(increment)
        unit = minor_unit(currency)
        if not amount.is_finite() or amount <= 0 or amount % unit != 0:
            raise ConfigurationError(
                f"cash increment for {currency} must be a positive multiple of {unit}, "
                f"got {increment!r} (e.g. '0.05' for CHF)"
            )
        result[currency] = amount
    return FrozenMapping(result)


@attrs.frozen(hash=False)
class RoundingPolicy:
    """How a seller rounds: where tax is rounded, the rounding mode, and optional cash rounding.

    ``cash_increments`` maps a currency to the step its payable amount is rounded to,
    e.g. ``{"CHF": "0.05"}``; the difference is shown as the rounding amount (BT-114).
    """

    tax_rounding: TaxRounding = attrs.field(default=TaxRounding.PER_CATEGORY, converter=TaxRounding)
    mode: Rounding = attrs.field(default=Rounding.HALF_UP, converter=Rounding)
    cash_increments: Mapping[str, Decimal] = attrs.field(factory=dict, converter=_increments)

    def cash_increment(self, currency: str) -> Decimal | None:
        """The cash-rounding step for ``currency``; None when its amounts are not cash rounded."""
        return self.cash_increments.get(currency)
