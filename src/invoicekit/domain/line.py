"""Invoice lines and the discounts and charges on a line or on the whole document.

Every class here checks all of its fields at construction and raises one
ValidationError listing every problem, so no half-built line ever exists.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from decimal import Decimal
from typing import Any, Final, cast

import attrs

from invoicekit.domain import checks
from invoicekit.domain.tax import Tax, tax_problems
from invoicekit.errors import Problem, ValidationError, problem
from invoicekit.money import MAX_AMOUNT, parse_decimal

__all__ = ["Charge", "Discount", "Line", "ServicePeriod", "build_lines"]

#: The largest quantity accepted on a line.
MAX_QUANTITY: Final = Decimal(10) ** 9
#: The largest unit price accepted on a line.
MAX_UNIT_PRICE: Final = Decimal(10) ** 12
#: Decimal places allowed in quantities and unit prices.
MAX_PLACES: Final = 10
_MAX_TEXT: Final = 1000
_MAX_UNIT: Final = 20
_ONE: Final = Decimal(1)  # the default base quantity, known to be valid
_MAX_ADJUSTED: Final = MAX_AMOUNT.adjusted()  # |x| < MAX_AMOUNT is x.adjusted() < this


@attrs.frozen
class _Invalid:
    """A field value that could not be read; kept until __attrs_post_init__ reports it."""

    value: object
    problem: Problem


#: What a quantity, price, percent or amount may be given as (floats raise TypeError).
Number = Decimal | int | str


def _lenient(value: object, field: str, *, optional: bool = True) -> Any:
    """A Decimal, or an _Invalid marker that __attrs_post_init__ reports with the other problems."""
    if value is None:
        return None if optional else _Invalid(value, problem(field, "is required", value))
    try:
        return parse_decimal(value, path=field)
    except ValidationError as exc:
        return _Invalid(value, exc.problems[0])


# The converters take a non-zero finite Decimal below MAX_AMOUNT as it is (what
# parse_decimal would return for it) without a call; anything else goes through _lenient.


def _quantity(value: Number) -> Decimal:
    if type(value) is Decimal and value.is_finite() and value and value.adjusted() < _MAX_ADJUSTED:
        return value
    return cast(Decimal, _lenient(value, "quantity", optional=False))


def _unit_price(value: Number) -> Decimal:
    if type(value) is Decimal and value.is_finite() and value and value.adjusted() < _MAX_ADJUSTED:
        return value
    return cast(Decimal, _lenient(value, "unit_price", optional=False))


def _base_quantity(value: Number) -> Decimal:
    if value is _ONE:
        return _ONE
    return cast(Decimal, _lenient(value, "base_quantity", optional=False))


def _percent(value: Number | None) -> Decimal | None:
    return cast("Decimal | None", _lenient(value, "percent"))


def _amount(value: Number | None) -> Decimal | None:
    return cast("Decimal | None", _lenient(value, "amount"))


def _places(value: Decimal) -> int:
    exponent = value.as_tuple().exponent
    return max(0, -cast(int, exponent))


def _number_problems(
    path: str,
    value: object,
    *,
    low: Decimal,
    high: Decimal,
    low_inclusive: bool = True,
    places: int = MAX_PLACES,
) -> list[Problem]:
    if isinstance(value, _Invalid):
        return [attrs.evolve(value.problem, path=path)]
    value = cast(Decimal, value)  # not _Invalid, so the converter produced a Decimal
    below = value < low if low_inclusive else value <= low
    if below or value > high:
        bound = ">=" if low_inclusive else ">"
        return [problem(path, f"must be {bound} {low} and <= {high:,}", value)]
    if _places(value) > places:
        return [problem(path, f"at most {places} decimal places", value)]
    return []


def _text_problems(path: str, value: object, *, required: bool) -> list[Problem]:
    return checks.text(path, value, limit=_MAX_TEXT, required=required, one_line=False)


def _taxes(value: object) -> tuple[Tax, ...]:
    if type(value) is Tax:
        return (value,)
    if value is None:
        return ()
    if isinstance(value, Tax):
        return (value,)
    if isinstance(value, Iterable) and not isinstance(value, str | bytes | Mapping):
        return tuple(cast(Iterable[Tax], value))
    return (cast(Tax, value),)


def _taxes_or_none(value: object) -> tuple[Tax, ...] | None:
    return None if value is None else _taxes(value)


def _taxes_problems(path: str, taxes: tuple[Tax, ...], *, required: bool) -> list[Problem]:
    found: list[Problem] = []
    if required and not taxes:
        found.append(
            problem(path, "needs at least one tax; use Tax.outside_scope() when none applies")
        )
    seen: set[Tax] = set()
    for i, tax in enumerate(taxes):
        if not isinstance(tax, Tax):
            found.append(problem(f"{path}[{i}]", "must be a Tax, e.g. Vat('19')", tax))
            continue
        found.extend(tax_problems(tax, f"{path}[{i}]"))
        if tax in seen:
            found.append(problem(f"{path}[{i}]", "the same tax twice on one item", tax.label))
        seen.add(tax)
    return found


@attrs.frozen
class ServicePeriod:
    """The period a line (or invoice) bills for; ``end`` is inclusive (EN 16931 BG-14)."""

    start: date
    end: date

    def __attrs_post_init__(self) -> None:
        if not isinstance(self.start, date) or not isinstance(self.end, date):
            raise ValidationError(
                [problem("period", "start and end must be dates")], subject="period"
            )
        if self.end < self.start:
            raise ValidationError(
                [problem("period.end", f"must not be before the start {self.start}", self.end)],
                subject="period",
            )


@attrs.frozen
class _Adjustment:
    """A discount or charge: a percentage of its base, or a fixed amount."""

    percent: Decimal | None = attrs.field(default=None, converter=_percent)
    amount: Decimal | None = attrs.field(default=None, converter=_amount)
    reason: str | None = None
    #: Document level only: the taxes of the lines it applies to. None spreads it
    #: over every tax group of the lines in proportion to their amounts.
    taxes: tuple[Tax, ...] | None = attrs.field(default=None, alias="tax", converter=_taxes_or_none)

    def __attrs_post_init__(self) -> None:
        found = self.problems("")
        if found:
            raise ValidationError(found, subject=type(self).__name__.lower())

    def problems(self, path: str) -> list[Problem]:
        """Every rule this adjustment breaks on its own, with paths under ``path``."""
        where = f"{path}." if path else ""
        found: list[Problem] = []
        if (self.percent is None) == (self.amount is None):
            found.append(problem(path or "<adjustment>", "give exactly one of percent or amount"))
        if self.percent is not None:
            found += _number_problems(
                f"{where}percent",
                self.percent,
                low=Decimal(0),
                high=Decimal(100),
                low_inclusive=False,
            )
        if self.amount is not None:
            found += _number_problems(
                f"{where}amount",
                self.amount,
                low=Decimal(0),
                high=MAX_UNIT_PRICE,
                low_inclusive=False,
            )
        found += _text_problems(f"{where}reason", self.reason, required=False)
        if self.taxes is not None:
            found += _taxes_problems(f"{where}tax", self.taxes, required=True)
        return found


class Discount(_Adjustment):
    """A discount (EN 16931 allowance): ``Discount(percent="10")``, ``Discount(amount="5.00")``."""


class Charge(_Adjustment):
    """A charge such as shipping or a surcharge: ``Charge(amount="4.90", reason="Shipping")``."""


def _discounts(value: Iterable[Discount]) -> tuple[Discount, ...]:
    if type(value) is tuple:
        return value  # what plural() returns for a tuple, without its ABC checks
    return cast("tuple[Discount, ...]", checks.plural(value))


def _charges(value: Iterable[Charge]) -> tuple[Charge, ...]:
    if type(value) is tuple:
        return value
    return cast("tuple[Charge, ...]", checks.plural(value))


@attrs.frozen
class Line:
    """One invoice line: what was supplied, how much of it, at what price, with which taxes.

    ``quantity × unit_price / base_quantity`` minus discounts plus charges, rounded to the
    currency, is the line's net amount (EN 16931 BT-131). A negative quantity (a return, a
    deposit taken back) makes a negative line; the price is never negative (BR-27).
    """

    description: str
    quantity: Decimal = attrs.field(converter=_quantity)
    unit_price: Decimal = attrs.field(converter=_unit_price)
    taxes: tuple[Tax, ...] = attrs.field(alias="tax", converter=_taxes)
    #: UN/ECE Recommendation 20 unit code ("C62" one, "HUR" hour, "DAY", "KGM").
    unit: str = "C62"
    #: The price is for this many units (a price per 100 pieces has base_quantity 100).
    base_quantity: Decimal = attrs.field(default=_ONE, converter=_base_quantity)
    discounts: tuple[Discount, ...] = attrs.field(default=(), converter=_discounts)
    charges: tuple[Charge, ...] = attrs.field(default=(), converter=_charges)
    period: ServicePeriod | None = None
    #: Free text about this line (EN 16931 BT-127), such as how its amount came about
    #: ("12 of 30 days"); shown on documents and by ``Totals.explain()``.
    note: str | None = None

    def __attrs_post_init__(self) -> None:
        if _plainly_valid(self):
            return
        found = self.problems("")
        if found:
            raise ValidationError(found, subject="line")

    def problems(self, path: str) -> list[Problem]:
        """Every rule this line breaks on its own, with paths under ``path``."""
        where = f"{path}." if path else ""
        found = _text_problems(f"{where}description", self.description, required=True)
        # Negative: a return or a deposit on the same invoice (the total stays >= 0).
        found += _number_problems(
            f"{where}quantity", self.quantity, low=-MAX_QUANTITY, high=MAX_QUANTITY
        )
        found += _number_problems(
            f"{where}unit_price", self.unit_price, low=Decimal(0), high=MAX_UNIT_PRICE
        )
        found += _number_problems(
            f"{where}base_quantity",
            self.base_quantity,
            low=Decimal(0),
            high=MAX_QUANTITY,
            low_inclusive=False,
        )
        found += _taxes_problems(f"{where}tax", self.taxes, required=True)
        if (
            not isinstance(self.unit, str)
            or not 1 <= len(self.unit) <= _MAX_UNIT
            or not self.unit.isprintable()
        ):
            found.append(
                problem(f"{where}unit", "must be a unit code of 1-20 characters", self.unit)
            )
        for kind, items, cls in (
            ("discounts", self.discounts, Discount),
            ("charges", self.charges, Charge),
        ):
            found += checks.items(f"{where}{kind}", items, cls, cls.__name__)
            for i, item in enumerate(items if isinstance(items, tuple) else ()):
                if isinstance(item, cls) and item.taxes is not None:
                    found.append(
                        problem(
                            f"{where}{kind}[{i}].tax",
                            "a line's discounts and charges take the line's taxes",
                        )
                    )
        if self.period is not None and not isinstance(self.period, ServicePeriod):
            found.append(problem(f"{where}period", "must be a ServicePeriod", self.period))
        if self.note is not None:  # None is no note; a note says something
            found += _text_problems(f"{where}note", self.note, required=True)
        return found


def _plain_number(value: object, high: Decimal, *, signed: bool = False) -> bool:
    """A Decimal in [0, high] (or [-high, high] when ``signed``) with at most MAX_PLACES places."""
    return (
        type(value) is Decimal
        and (-high if signed else 0) <= value <= high
        and cast(int, value.as_tuple().exponent) >= -MAX_PLACES
    )


def _plainly_valid(line: Line) -> bool:
    """True when ``line`` breaks none of the rules of Line.problems, checked the quick way.

    False only means "not plainly": problems() then finds the rules broken, if any.
    A Tax, Discount or Charge checks itself when built, so the line does not again.
    """
    text = line.description
    taxes = line.taxes
    unit = line.unit
    base = line.base_quantity
    note = line.note
    return (
        type(text) is str
        and 0 < len(text) <= _MAX_TEXT
        and text.isprintable()
        and not text.isspace()
        and _plain_number(line.quantity, MAX_QUANTITY, signed=True)
        and _plain_number(line.unit_price, MAX_UNIT_PRICE)
        and (base is _ONE or (base != 0 and _plain_number(base, MAX_QUANTITY)))
        and type(taxes) is tuple
        and (
            (len(taxes) == 1 and type(taxes[0]) is Tax)
            or (
                len(taxes) > 1
                and all(type(tax) is Tax for tax in taxes)
                and len(set(taxes)) == len(taxes)
            )
        )
        and type(unit) is str
        and 0 < len(unit) <= _MAX_UNIT
        and unit.isprintable()
        and _plain_adjustments(line.discounts, Discount)
        and _plain_adjustments(line.charges, Charge)
        and (line.period is None or type(line.period) is ServicePeriod)
        and (
            note is None
            or (
                type(note) is str
                and 0 < len(note) <= _MAX_TEXT
                and note.isprintable()
                and not note.isspace()
            )
        )
    )


def _plain_adjustments(items: object, kind: type[_Adjustment]) -> bool:
    """No discounts (charges), or only ``kind`` values that take the line's taxes."""
    return type(items) is tuple and (
        not items or all(type(item) is kind and item.taxes is None for item in items)
    )


def build_lines(
    items: Iterable[Line | Mapping[str, Any]], *, path: str = "lines"
) -> tuple[tuple[Line, ...], list[Problem]]:
    """Build lines from Line objects or mappings, collecting every problem with its index path."""
    lines: list[Line] = []
    found: list[Problem] = []
    items = checks.plural(items)
    if not isinstance(items, tuple):
        return (), [
            problem(path, "must be a list of Line values or mappings of their fields", items)
        ]
    for i, item in enumerate(items):
        if isinstance(item, Line):
            lines.append(item)
            continue
        if not isinstance(item, Mapping):
            found.append(problem(f"{path}[{i}]", "must be a Line or a mapping of its fields", item))
            continue
        try:
            lines.append(Line(**item))
        except ValidationError as exc:
            found.extend(exc.prefixed(f"{path}[{i}]").problems)
        except TypeError as exc:
            if "float" in str(exc):
                raise
            found.append(problem(f"{path}[{i}]", f"bad fields: {exc}"))
    return tuple(lines), found
