"""The field checks of prices, plans and coupons: each converts a raw value and collects problems.

``Price.create``, ``Plan.create`` and ``Coupon.create`` call these on every field and raise
one ValidationError listing every problem with its path. A float still raises TypeError
(as on lines): binary floats cannot hold 0.10 exactly.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from enum import StrEnum
from typing import Final, TypeVar

from invoicekit.domain.line import MAX_PLACES, MAX_UNIT_PRICE
from invoicekit.errors import Problem, ValidationError, problem
from invoicekit.money import CURRENCY_DIGITS, check_currency, parse_decimal

__all__ = [
    "MAX_NAME",
    "MAX_QUANTITY_BOUND",
    "amount_places",
    "choice",
    "count",
    "currency",
    "forbidden",
    "number",
    "places",
    "tier_rows",
]

#: Longest plan, price or coupon name (one line of text).
MAX_NAME: Final = 200
#: The largest tier bound or package size: the largest usage quantity (10^12).
MAX_QUANTITY_BOUND: Final = Decimal(10) ** 12

_E = TypeVar("_E", bound=StrEnum)


def places(value: Decimal) -> int:
    """The decimal places ``value`` is written with (Decimal('0.0100') has 4)."""
    exponent = value.as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def number(
    found: list[Problem],
    path: str,
    value: object,
    *,
    required: bool = False,
    low: Decimal = Decimal(0),
    high: Decimal = MAX_UNIT_PRICE,
    low_inclusive: bool = True,
    most_places: int = MAX_PLACES,
) -> Decimal | None:
    """``value`` as a Decimal in [low, high] (``(low, high]`` unless ``low_inclusive``), or None.

    None stays None unless ``required``. Each rule broken is added to ``found``.
    """
    if value is None:
        if required:
            found.append(problem(path, "is required"))
        return None
    try:
        parsed = parse_decimal(value, path=path)
    except ValidationError as exc:
        found.extend(exc.problems)
        return None
    below = parsed < low if low_inclusive else parsed <= low
    if below or parsed > high:
        bound = ">=" if low_inclusive else ">"
        found.append(problem(path, f"must be {bound} {low} and <= {high:,}", value))
        return None
    if places(parsed) > most_places:
        found.append(problem(path, f"at most {most_places} decimal places", value))
        return None
    return parsed


def currency(found: list[Problem], path: str, value: object) -> str | None:
    """An active ISO 4217 code, or None (with the problem added to ``found``)."""
    try:
        return check_currency(value, path=path)
    except ValidationError as exc:
        found.extend(exc.problems)
        return None


def amount_places(code: str | None) -> int:
    """The minor-unit digits of ``code``; MAX_PLACES when the currency is unknown (reported apart)."""
    return CURRENCY_DIGITS.get(code, MAX_PLACES) if code is not None else MAX_PLACES


def choice(
    found: list[Problem], path: str, value: object, kind: type[_E], allowed: tuple[_E, ...] = ()
) -> _E | None:
    """A member of ``kind`` given as itself or its value ("graduated"); only ``allowed`` if given."""
    members = allowed or tuple(kind)
    if isinstance(value, str):
        for member in members:
            if value == member.value:
                return member
    names = ", ".join(repr(m.value) for m in members)
    found.append(problem(path, f"must be one of {names}", value))
    return None


def count(found: list[Problem], path: str, value: object, *, low: int, high: int) -> int | None:
    """An int (not a bool) in [low, high], or None."""
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        found.append(problem(path, f"must be an integer from {low} to {high:,}", value))
        return None
    return value


def forbidden(found: list[Problem], path: str, value: object, why: str) -> None:
    """Report ``value`` at ``path`` unless it is None or zero: the field does not apply."""
    if value is None:
        return
    if isinstance(value, int | Decimal | str) and not isinstance(value, bool):
        try:
            if parse_decimal(value, path=path) == 0:
                return
        except ValidationError:
            pass
    found.append(problem(path, why, value))


_TIER_FIELDS: Final = frozenset({"up_to", "unit_amount", "flat_amount"})


def tier_rows(
    found: list[Problem], path: str, value: object
) -> list[tuple[Decimal | None, Decimal, Decimal]]:
    """``(up_to, unit_amount, flat_amount)`` of each tier (a Tier or a mapping of its fields).

    Tiers must be contiguous and ascending: each ``up_to`` (units up to and including it)
    above the one before, the last one None (no upper bound) and only the last one.
    """
    if value is None:
        return []
    if isinstance(value, str | bytes | Mapping) or not hasattr(value, "__iter__"):
        found.append(problem(path, "must be a list of Tier values or mappings of their fields"))
        return []
    rows: list[tuple[Decimal | None, Decimal, Decimal]] = []
    bounds: list[Decimal | None] = []
    ok = bounds_ok = True
    for i, item in enumerate(tuple(value)):
        where = f"{path}[{i}]"
        if isinstance(item, Mapping):
            fields = dict(item)
        elif all(hasattr(item, name) for name in _TIER_FIELDS):
            fields = {name: getattr(item, name) for name in _TIER_FIELDS}
        else:
            found.append(problem(where, "must be a Tier or a mapping of its fields", item))
            ok = bounds_ok = False
            continue
        unknown = sorted(set(fields) - _TIER_FIELDS, key=str)
        if unknown:
            found.append(
                problem(where, "a tier has only up_to, unit_amount and flat_amount", unknown)
            )
        before = len(found)
        up_to = number(
            found,
            f"{where}.up_to",
            fields.get("up_to"),
            low=Decimal(0),
            low_inclusive=False,
            high=MAX_QUANTITY_BOUND,
            most_places=6,
        )
        if len(found) > before:
            ok = bounds_ok = False
        bounds.append(up_to)
        unit = number(found, f"{where}.unit_amount", fields.get("unit_amount", 0), required=True)
        flat = number(found, f"{where}.flat_amount", fields.get("flat_amount", 0), required=True)
        if unknown or unit is None or flat is None:
            ok = False
        else:
            rows.append((up_to, unit, flat))
    if bounds_ok:
        _order(found, path, bounds)
    return rows if ok else []


def _order(found: list[Problem], path: str, bounds: list[Decimal | None]) -> None:
    """Report tiers that are not contiguous and ascending, the last one open-ended."""
    previous = Decimal(0)
    for i, up_to in enumerate(bounds):
        last = i == len(bounds) - 1
        if up_to is None and not last:
            found.append(
                problem(f"{path}[{i}].up_to", "only the last tier is open-ended (up_to None)")
            )
        elif up_to is not None and last:
            found.append(
                problem(
                    f"{path}[{i}].up_to",
                    "the last tier must be open-ended (up_to None), so every quantity is priced",
                    up_to,
                )
            )
        if up_to is not None and up_to <= previous:
            found.append(
                problem(
                    f"{path}[{i}].up_to",
                    f"must be above the previous tier's up_to {previous:,}: tiers are "
                    "contiguous and ascending (each holds the units above the one before, "
                    "up to and including its up_to)",
                    up_to,
                )
            )
        previous = up_to if up_to is not None else previous
