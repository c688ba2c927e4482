"""A deliberately simple re-implementation of docs/explanation/totals-rules.md.

This is a test oracle. It must not import or share code with ``invoicekit``.

All arithmetic is done on exact ``Fraction`` values; ``Decimal`` is only used to
read inputs and to format results (inside a high-precision local context), so
no intermediate value is ever rounded except where the rules say ``Q``.

Input: a mapping shaped like a golden-case TOML file (see tests/golden/cases):
``currency``, ``prices`` ("exclusive" / "inclusive"), ``tax_rounding``
("per_category" / "per_line" / "per_document"), ``rounding_mode`` ("half_up" /
"half_even" / "up" / "down"), optional ``cash_increment``, ``lines``,
optional ``allowances`` / ``charges`` and optional ``account``. All amounts,
quantities and rates are decimal strings.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, localcontext
from fractions import Fraction
from typing import Any

__all__ = ["MINOR_DIGITS", "compute", "round_to_sum", "run_account"]

#: ISO 4217 minor digits of the currencies used in tests (our own table).
MINOR_DIGITS: dict[str, int] = {
    "EUR": 2,
    "USD": 2,
    "GBP": 2,
    "CHF": 2,
    "SEK": 2,
    "NOK": 2,
    "DKK": 2,
    "PLN": 2,
    "CZK": 2,
    "HUF": 2,
    "JPY": 0,
    "ISK": 0,
    "CLP": 0,
    "KRW": 0,
    "VND": 0,
    "UYI": 0,
    "BHD": 3,
    "KWD": 3,
    "TND": 3,
    "OMR": 3,
    "JOD": 3,
    "CLF": 4,
}

ROUNDING_MODES = ("half_up", "half_even", "up", "down")
TAX_ROUNDINGS = ("per_category", "per_line", "per_document")
PRICE_MODES = ("exclusive", "inclusive")

PRECISION = 50

# A tax is identified by (name, category, rate); the rate is kept as an exact Fraction
# so that "19" and "19.00" are the same tax.
TaxKey = tuple[str, str, Fraction]


# --------------------------------------------------------------------------- numbers


def _exact(value: object) -> Fraction:
    """Parse a decimal string (or int / Decimal / Fraction) exactly."""
    if isinstance(value, Fraction):
        return value
    if isinstance(value, bool):
        raise TypeError(f"not a number: {value!r}")
    if isinstance(value, int):
        return Fraction(value)
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"not a finite number: {value!r}")
        return Fraction(value)
    if isinstance(value, str):
        with localcontext() as ctx:
            ctx.prec = PRECISION
            parsed = Decimal(value.strip())
        if not parsed.is_finite():
            raise ValueError(f"not a finite number: {value!r}")
        return Fraction(parsed)
    raise TypeError(f"amounts must be decimal strings, got {type(value).__name__}: {value!r}")


def _round_to_integer(x: Fraction, mode: str) -> int:
    """Round ``x`` to an integer with a mode that is symmetric around zero."""
    if x < 0:
        return -_round_to_integer(-x, mode)
    whole = x.numerator // x.denominator  # floor, x >= 0
    rest = x - whole  # 0 <= rest < 1
    half = Fraction(1, 2)
    if mode == "down":  # toward zero
        bump = False
    elif mode == "up":  # away from zero
        bump = rest > 0
    elif mode == "half_up":  # nearest, ties away from zero
        bump = rest >= half
    elif mode == "half_even":  # nearest, ties to the even neighbour
        bump = rest > half or (rest == half and whole % 2 == 1)
    else:
        raise ValueError(f"unknown rounding mode {mode!r}")
    return whole + 1 if bump else whole


def _quantize(x: Fraction, step: Fraction, mode: str) -> Fraction:
    """``Q``: the multiple of ``step`` nearest to ``x`` under ``mode``."""
    return step * _round_to_integer(x / step, mode)


def _floor_to(x: Fraction, step: Fraction) -> Fraction:
    """The largest multiple of ``step`` that is <= ``x`` (toward minus infinity)."""
    ratio = x / step
    return step * (ratio.numerator // ratio.denominator)


def _is_multiple(x: Fraction, step: Fraction) -> bool:
    return (x / step).denominator == 1


def _to_decimal(x: Fraction) -> Decimal:
    with localcontext() as ctx:
        ctx.prec = PRECISION
        return Decimal(x.numerator) / Decimal(x.denominator)


def _format_amount(x: Fraction, digits: int) -> str:
    """Exactly ``digits`` decimals, no exponent, no negative zero."""
    unit = Fraction(1, 10**digits)
    if not _is_multiple(x, unit):
        raise AssertionError(f"{x} is not a multiple of {unit}")
    if x == 0:
        x = Fraction(0)
    quantum = Decimal(1).scaleb(-digits)
    with localcontext() as ctx:
        ctx.prec = PRECISION
        return format(_to_decimal(x).quantize(quantum), "f")


def _format_rate(rate: Fraction) -> str:
    """A rate without trailing zeros: 19, 6.25, 1.5, 0."""
    with localcontext() as ctx:
        ctx.prec = PRECISION
        text = format(_to_decimal(rate).normalize(), "f")
    return "0" if text in ("-0", "0") else text


# --------------------------------------------------------------------------- round-to-sum


def _round_to_sum_exact(
    exact: Sequence[Fraction], target: Fraction, unit: Fraction
) -> list[Fraction]:
    """Round-to-sum on exact values (the spec's definition, word for word)."""
    if unit <= 0:
        raise ValueError("unit must be positive")
    if not _is_multiple(target, unit):
        raise ValueError(f"target {target} is not a multiple of {unit}")
    floors = [_floor_to(e, unit) for e in exact]
    extra = (target - sum(floors, Fraction(0))) / unit
    assert extra.denominator == 1
    k = int(extra)
    if not 0 <= k <= len(exact):
        raise ValueError(
            f"round-to-sum: target {target} needs {k} extra units for {len(exact)} values"
        )
    # largest fractional part first; ties go to the earlier value
    order = sorted(range(len(exact)), key=lambda i: (-(exact[i] - floors[i]), i))
    winners = set(order[:k])
    return [floors[i] + unit if i in winners else floors[i] for i in range(len(exact))]


def round_to_sum(exact: Sequence[Decimal], target: Decimal, unit: Decimal) -> list[Decimal]:
    """Parts that are multiples of ``unit``, sum to ``target`` and are each within one unit.

    ``f_i = floor(e_i / u) * u``; ``k = (T - sum f_i) / u`` extra units go one each to the
    values with the largest fractional part ``e_i - f_i`` (ties to the earlier value).
    Raises ``ValueError`` when ``k`` is not in ``0..n`` (the rules leave that undefined).
    """
    unit_f = _exact(unit)
    parts = _round_to_sum_exact([_exact(e) for e in exact], _exact(target), unit_f)
    with localcontext() as ctx:
        ctx.prec = PRECISION
        return [Decimal(int(p / unit_f)) * unit for p in parts]


# --------------------------------------------------------------------------- settings


@dataclass(frozen=True)
class _Settings:
    currency: str
    digits: int
    unit: Fraction
    prices: str
    tax_rounding: str
    mode: str
    cash_increment: Fraction | None

    def q(self, x: Fraction) -> Fraction:
        return _quantize(x, self.unit, self.mode)

    def fmt(self, x: Fraction) -> str:
        return _format_amount(x, self.digits)


def _settings(case: Mapping[str, Any]) -> _Settings:
    currency = str(case["currency"])
    if currency not in MINOR_DIGITS:
        raise ValueError(f"currency {currency!r} is not in the model's table")
    digits = MINOR_DIGITS[currency]
    prices = str(case.get("prices", "exclusive"))
    tax_rounding = str(case.get("tax_rounding", "per_category"))
    mode = str(case.get("rounding_mode", "half_up"))
    if prices not in PRICE_MODES:
        raise ValueError(f"unknown prices {prices!r}")
    if tax_rounding not in TAX_ROUNDINGS:
        raise ValueError(f"unknown tax_rounding {tax_rounding!r}")
    if mode not in ROUNDING_MODES:
        raise ValueError(f"unknown rounding_mode {mode!r}")
    cash = case.get("cash_increment")
    cash_increment = None if cash is None else _exact(cash)
    if cash_increment is not None and cash_increment <= 0:
        raise ValueError("cash_increment must be positive")
    return _Settings(
        currency=currency,
        digits=digits,
        unit=Fraction(1, 10**digits),
        prices=prices,
        tax_rounding=tax_rounding,
        mode=mode,
        cash_increment=cash_increment,
    )


def _tax_keys(taxes: Sequence[Mapping[str, Any]]) -> list[TaxKey]:
    keys: list[TaxKey] = []
    for tax in taxes:
        key = (str(tax.get("name", "VAT")), str(tax["category"]), _exact(tax["rate"]))
        if key[2] < 0:
            raise ValueError("negative tax rate")
        if key in keys:
            raise ValueError(f"tax {key} listed twice on one item")
        keys.append(key)
    if not keys:
        raise ValueError("every line, allowance and charge needs at least one tax")
    return keys


# --------------------------------------------------------------------------- items


@dataclass
class _Item:
    """A line, a document allowance or a document charge.

    ``amount`` is the step 1-3 / step 5 result (net for exclusive prices, gross for
    inclusive prices), always >= 0 for the usual case; ``sign`` is -1 for allowances.
    ``net`` is filled in later (the BT-131 / allowance / charge net amount).
    """

    kind: str  # "line", "allowance" or "charge"
    amount: Fraction
    taxes: list[TaxKey]
    net: Fraction = field(default=Fraction(0))

    @property
    def sign(self) -> int:
        return -1 if self.kind == "allowance" else 1

    @property
    def signed(self) -> Fraction:
        return self.sign * self.amount


def _fixed_amount(value: object, s: _Settings) -> Fraction:
    amount = _exact(value)
    if not _is_multiple(amount, s.unit):
        raise ValueError(f"fixed amount {value!r} does not fit the minor unit of {s.currency}")
    return amount


def _percent_or_amount(entry: Mapping[str, Any], basis: Fraction, s: _Settings) -> Fraction:
    if ("percent" in entry) == ("amount" in entry):
        raise ValueError(f"give exactly one of percent / amount: {dict(entry)!r}")
    if "percent" in entry:
        return s.q(basis * _exact(entry["percent"]) / 100)
    return _fixed_amount(entry["amount"], s)


def _line_item(line: Mapping[str, Any], s: _Settings) -> _Item:
    quantity = _exact(line["quantity"])
    price = _exact(line["unit_price"])
    base_quantity = _exact(line.get("base_quantity", "1"))
    # A negative quantity is a return or a deposit taken back (EN 16931 allows it); a
    # negative price is not (BR-27).
    if price < 0 or base_quantity <= 0:
        raise ValueError("negative prices / base quantities are outside these rules")
    line_base = s.q(quantity * price / base_quantity)  # step 1
    allowances = [_percent_or_amount(a, line_base, s) for a in line.get("allowances", [])]
    charges = [_percent_or_amount(c, line_base, s) for c in line.get("charges", [])]
    amount = line_base - sum(allowances, Fraction(0)) + sum(charges, Fraction(0))  # step 3
    return _Item("line", amount, _tax_keys(line["taxes"]))


def _build_items(case: Mapping[str, Any], s: _Settings) -> list[_Item]:
    lines = [_line_item(line, s) for line in case["lines"]]
    if not lines:
        raise ValueError("an invoice needs at least one line")
    items = list(lines)
    for kind, key in (("allowance", "allowances"), ("charge", "charges")):
        for entry in case.get(key, []):
            taxes = _tax_keys(entry["taxes"])
            # step 5: a percentage applies to the lines whose tax set equals this one's
            basis = sum((ln.amount for ln in lines if set(ln.taxes) == set(taxes)), Fraction(0))
            items.append(_Item(kind, _percent_or_amount(entry, basis, s), taxes))
    return items


def _groups(items: Sequence[_Item]) -> dict[TaxKey, list[_Item]]:
    """Tax groups in order of first appearance (lines, then allowances, then charges)."""
    groups: dict[TaxKey, list[_Item]] = {}
    for item in items:  # items are already ordered lines, allowances, charges
        for key in item.taxes:
            groups.setdefault(key, []).append(item)
    return groups


# --------------------------------------------------------------------------- exclusive


def _exclusive(items: list[_Item], s: _Settings) -> dict[TaxKey, tuple[Fraction, Fraction]]:
    for item in items:
        item.net = item.amount
    groups = _groups(items)
    bases = {key: sum((i.signed for i in members), Fraction(0)) for key, members in groups.items()}
    rates = {key: key[2] / 100 for key in groups}
    taxes: dict[TaxKey, Fraction] = {}
    if s.tax_rounding == "per_category":
        for key in groups:
            taxes[key] = s.q(bases[key] * rates[key])
    elif s.tax_rounding == "per_line":
        for key, members in groups.items():
            summed = sum((s.q(i.signed * rates[key]) for i in members), Fraction(0))
            taxes[key] = _br_co_17(summed, bases[key], key[2], s)
    else:  # per_document
        keys = list(groups)
        exact = [bases[key] * rates[key] for key in keys]
        target = s.q(sum(exact, Fraction(0)))
        parts = _round_to_sum_exact(exact, target, s.unit)
        taxes.update(zip(keys, parts, strict=True))
    return {key: (bases[key], taxes[key]) for key in groups}


def _br_co_17(tax: Fraction, base: Fraction, rate: Fraction, s: _Settings) -> Fraction:
    """A per-line sum a unit or more off base x rate, or not of the base's sign: Q(base x rate).

    EN 16931 BR-CO-17 as the official rule tests it: |tax| - 1 < round2(|base| x rate)
    < |tax| + 1, unless the rate rounds to 0.
    """
    if (tax < 0 and base >= 0) or (tax > 0 and base <= 0):  # the other sign than the base
        return s.q(base * rate / 100)
    if _round_to_integer(rate, "half_up") == 0:
        return tax
    shown = _quantize(abs(base) * rate / 100, Fraction(1, 100), "half_up")
    if abs(tax) - 1 < shown < abs(tax) + 1:
        return tax
    return s.q(base * rate / 100)


# --------------------------------------------------------------------------- inclusive


def _split_gross(gross: Fraction, rate: Fraction, s: _Settings) -> tuple[Fraction, Fraction]:
    """Convert a gross amount into (N, T) with N + T == gross exactly (inclusive step 3)."""
    if rate == 0:
        return gross, Fraction(0)
    n0 = s.q(gross / (1 + rate))
    for candidate in (n0, n0 - s.unit, n0 + s.unit):
        if candidate + s.q(candidate * rate) == gross:
            return candidate, gross - candidate
    tax = s.q(gross * rate / (1 + rate))
    return gross - tax, tax


def _inclusive(items: list[_Item], s: _Settings) -> dict[TaxKey, tuple[Fraction, Fraction]]:
    for item in items:
        if len(item.taxes) != 1:
            raise ValueError("with inclusive prices every item carries exactly one tax")
    groups = _groups(items)
    result: dict[TaxKey, tuple[Fraction, Fraction]] = {}
    for key, members in groups.items():
        rate = key[2] / 100
        grosses = [i.signed for i in members]
        if s.tax_rounding == "per_line":
            splits = [_split_gross(g, rate, s) for g in grosses]
            parts = [n for n, _ in splits]
            net_total = sum(parts, Fraction(0))
            tax_total = sum((t for _, t in splits), Fraction(0))
        else:  # per_category and per_document convert the group total
            group_gross = sum(grosses, Fraction(0))
            net_total, tax_total = _split_gross(group_gross, rate, s)
            if group_gross != 0:
                exact = [net_total * g / group_gross for g in grosses]
            else:
                exact = [g / (1 + rate) for g in grosses]
            parts = _round_to_sum_exact(exact, net_total, s.unit)
        for item, part in zip(members, parts, strict=True):
            item.net = item.sign * part  # an allowance's net amount is minus its part
        result[key] = (net_total, tax_total)
    return result


# --------------------------------------------------------------------------- public API


def _totals(case: Mapping[str, Any]) -> tuple[_Settings, dict[str, Any], Fraction]:
    s = _settings(case)
    items = _build_items(case, s)
    breakdown = _exclusive(items, s) if s.prices == "exclusive" else _inclusive(items, s)

    lines = [i for i in items if i.kind == "line"]
    allowances = [i for i in items if i.kind == "allowance"]
    charges = [i for i in items if i.kind == "charge"]
    line_net_total = sum((i.net for i in lines), Fraction(0))  # BT-106
    allowance_total = sum((i.net for i in allowances), Fraction(0))  # BT-107
    charge_total = sum((i.net for i in charges), Fraction(0))  # BT-108
    tax_exclusive = line_net_total - allowance_total + charge_total  # BT-109
    tax_total = sum((tax for _, tax in breakdown.values()), Fraction(0))  # BT-110
    tax_inclusive = tax_exclusive + tax_total  # BT-112
    if tax_inclusive < 0:
        raise ValueError("an invoice total below zero is a credit note's job")
    if s.cash_increment is None:
        payable = tax_inclusive
    else:
        payable = _quantize(tax_inclusive, s.cash_increment, s.mode)
    rounding = payable - tax_inclusive  # BT-114

    expected: dict[str, Any] = {
        "line_nets": [s.fmt(i.net) for i in lines],
        "allowances": [s.fmt(i.net) for i in allowances],
        "charges": [s.fmt(i.net) for i in charges],
        "line_net_total": s.fmt(line_net_total),
        "allowance_total": s.fmt(allowance_total),
        "charge_total": s.fmt(charge_total),
        "tax_exclusive": s.fmt(tax_exclusive),
        "tax_total": s.fmt(tax_total),
        "tax_inclusive": s.fmt(tax_inclusive),
        "rounding": s.fmt(rounding),
        "payable": s.fmt(payable),
        "breakdown": [
            {
                "name": key[0],
                "category": key[1],
                "rate": _format_rate(key[2]),
                "base": s.fmt(base),
                "tax": s.fmt(tax),
            }
            for key, (base, tax) in breakdown.items()
        ],
    }
    return s, expected, payable


def compute(case: Mapping[str, Any]) -> dict[str, Any]:
    """Return the ``expected`` mapping (same keys, same string formats) for a case."""
    return _totals(case)[1]


class _RefusedError(Exception):
    """An operation the rules refuse (reported as ``{'error': 'validation'}``)."""


class _Account:
    """The invoice's account after issue (the "After issue" section of the rules)."""

    def __init__(self, case: Mapping[str, Any]) -> None:
        self.case = case
        self.settings, _, self.payable = _totals(case)  # payable = BT-112 + BT-114
        self.paid = Fraction(0)  # payment allocations minus refunds
        self.credited = Fraction(0)  # credit-note allocations
        self.customer_credit = Fraction(0)
        self.credit_notes_total = Fraction(0)  # full payable amounts of accepted credit notes
        # [received, allocated, refunded, refunded from credit] per pay op
        self.payments: list[list[Fraction]] = []

    def amount_due(self) -> Fraction:
        # I1: BT-112 - paid - credited + BT-114, never below 0
        return max(Fraction(0), self.payable - self.paid - self.credited)

    def _amount(self, op: Mapping[str, Any]) -> Fraction:
        amount = _fixed_amount(op["amount"], self.settings)
        if amount <= 0:
            raise ValueError(f"{op['op']} amounts must be positive: {op!r}")
        return amount

    def pay(self, op: Mapping[str, Any]) -> None:
        received = self._amount(op)
        allocated = min(received, self.amount_due())
        self.payments.append([received, allocated, Fraction(0), Fraction(0)])
        self.paid += allocated
        self.customer_credit += received - allocated

    def refund(self, op: Mapping[str, Any]) -> None:
        amount = self._amount(op)
        index = op["payment"]
        if not isinstance(index, int) or not 0 <= index < len(self.payments):
            raise _RefusedError
        # Credit held goes back first; the rest re-opens the balance (issue 11). The cap: what
        # the payment brought in, at most what it still pays plus the credit held.
        received, allocated, refunded, from_credit = self.payments[index]
        still_paying = allocated - refunded + from_credit
        if amount > min(received - refunded, still_paying + self.customer_credit):
            raise _RefusedError
        back = min(amount, self.customer_credit)
        self.payments[index][2:] = [refunded + amount, from_credit + back]
        self.customer_credit -= back
        self.paid -= amount - back

    def credit(self, op: Mapping[str, Any]) -> None:
        s = self.settings
        note: dict[str, Any] = {
            "currency": s.currency,
            "prices": s.prices,
            "tax_rounding": s.tax_rounding,
            "rounding_mode": s.mode,
            "lines": op["lines"],
        }
        if "cash_increment" in self.case:
            note["cash_increment"] = self.case["cash_increment"]
        amount = _totals(note)[2]  # the credit note's payable amount X
        if amount > self.payable - self.credit_notes_total:
            raise _RefusedError
        self.credit_notes_total += amount
        allocated = min(amount, self.amount_due())
        self.credited += allocated
        self.customer_credit += amount - allocated

    def snapshot(self) -> dict[str, str]:
        due = self.amount_due()
        if due == 0:
            status = "paid"
        elif self.paid > 0:
            status = "partially_paid"
        else:
            status = "pending"
        fmt = self.settings.fmt
        return {
            "paid": fmt(self.paid),
            "credited": fmt(self.credited),
            "due": fmt(due),
            "customer_credit": fmt(self.customer_credit),
            "status": status,
        }


def run_account(case: Mapping[str, Any]) -> list[dict[str, str]]:
    """Apply ``case['account']`` ops in order; return one ``expect``-shaped dict per op.

    Refused operations give ``{'error': 'validation'}`` and change nothing.
    """
    account = _Account(case)
    operations = {"pay": account.pay, "refund": account.refund, "credit": account.credit}
    results: list[dict[str, str]] = []
    for op in case.get("account", []):
        if op["op"] not in operations:
            raise ValueError(f"unknown account op {op['op']!r}")
        try:
            operations[op["op"]](op)
        except _RefusedError:
            results.append({"error": "validation"})
        else:
            results.append(account.snapshot())
    return results
