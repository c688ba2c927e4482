"""Invoice totals as EN 16931 defines them (BT-106 to BT-115), with every rounding step recorded.

The rules are written out in docs/explanation/totals-rules.md; this module is
their one implementation. BR-CO-10 to BR-CO-16 hold exactly by construction,
BR-CO-17 holds exactly for tax-exclusive prices rounded per category.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import (
    ROUND_DOWN,
    ROUND_HALF_EVEN,
    ROUND_HALF_UP,
    ROUND_UP,
    Context,
    Decimal,
    getcontext,
    setcontext,
)
from fractions import Fraction
from operator import attrgetter, itemgetter
from typing import Final, NamedTuple, cast

import attrs

from invoicekit.domain.line import Charge, Discount, Line
from invoicekit.domain.policy import PriceMode, RoundingPolicy, TaxRounding
from invoicekit.domain.tax import Tax
from invoicekit.errors import Problem, ValidationError, problem
from invoicekit.money import (
    Rounding,
    allocate,
    currency_digits,
    minor_unit,
    quantize_to_increment,
    round_to_sum,
)

__all__ = [
    "DocumentAdjustment",
    "LineAmounts",
    "RoundingStep",
    "TaxSubtotal",
    "Totals",
    "compute_totals",
]

_MODE: Final = {
    Rounding.HALF_UP: ROUND_HALF_UP,
    Rounding.HALF_EVEN: ROUND_HALF_EVEN,
    Rounding.UP: ROUND_UP,
    Rounding.DOWN: ROUND_DOWN,
}
#: The rule each mode is recorded under in rounding steps (a plain str, like mode.value).
_RULE: Final = {mode: mode.value for mode in Rounding}
#: The arithmetic context of a computation: 60 digits, so that no product of a quantity
#: and a price is ever rounded silently. Made once; switching to it costs less than a copy.
_CONTEXT: Final = Context(prec=60)
_ZERO: Final = Decimal(0)
_CENT: Final = Decimal("0.01")
# Field getters that run in C, for the loops over every line.
_taxes_of: Final = attrgetter("taxes")
_amount_of: Final = itemgetter(3)  # LineAmounts.net (before conversion: the line's amount)
_tax_amount_of: Final = attrgetter("amount")
_DEFAULT_POLICY: Final = RoundingPolicy()
_SHOWN_PLACES: Final = 10  # decimal places of exact figures shown by explain()
_SHOWN: Final = Decimal(1).scaleb(-_SHOWN_PLACES)


@attrs.frozen
class RoundingStep:
    """One place where an exact figure was rounded: where, the exact value, the result, why."""

    where: str
    exact: Decimal
    rounded: Decimal
    rule: str

    def __str__(self) -> str:
        diff = self.rounded - self.exact
        sign = "+" if diff >= 0 else "-"
        return (
            f"{self.where}: {_short(self.exact)} -> {self.rounded} "
            f"({sign}{_short(abs(diff))}; {self.rule})"
        )


def _short(value: Decimal) -> str:
    """An exact figure cut to 10 decimal places for reading (the stored value keeps them all)."""
    if -int(value.as_tuple().exponent) > _SHOWN_PLACES:
        return f"{value.quantize(_SHOWN).normalize():f}..."
    return f"{value.normalize():f}"


def _one_line(note: str) -> str:
    """A line note on one line of explain(): its lines joined by " / ", tabs as spaces."""
    return " / ".join(part.strip() for part in note.splitlines() if part.strip()).replace("\t", " ")


class LineAmounts(NamedTuple):
    """A line's figures: base (quantity × price), its discounts and charges, net (BT-131).

    A named tuple rather than an attrs class: there is one per line and they are
    built on every computation, so they must be cheap.
    """

    base: Decimal
    discounts: tuple[Decimal, ...]
    charges: tuple[Decimal, ...]
    #: The line net amount, BT-131 (without tax even when prices include tax).
    net: Decimal
    #: The stated gross amount when prices include tax, else None.
    gross: Decimal | None = None
    #: Tax on this line per tax, when tax is rounded per line; empty otherwise.
    taxes: tuple[tuple[Tax, Decimal], ...] = ()


@attrs.frozen
class DocumentAdjustment:
    """A document-level discount (EN allowance, BG-20) or charge (BG-21) as applied."""

    kind: str
    amount: Decimal
    taxes: tuple[Tax, ...]
    percent: Decimal | None = None
    base: Decimal | None = None
    reason: str | None = None
    #: The stated gross amount when prices include tax, else None.
    gross: Decimal | None = None


@attrs.frozen
class TaxSubtotal:
    """One row of the tax breakdown (BG-23): a tax, its taxable base BT-116 and amount BT-117."""

    tax: Tax
    base: Decimal
    amount: Decimal


@attrs.frozen
class Totals:
    """The amounts of a document, each with its EN 16931 meaning, and how they were rounded."""

    currency: str
    lines: tuple[LineAmounts, ...]
    discounts: tuple[DocumentAdjustment, ...]
    charges: tuple[DocumentAdjustment, ...]
    #: BT-106 Sum of invoice line net amounts.
    line_net_total: Decimal
    #: BT-107 Sum of document-level discounts (allowances).
    discount_total: Decimal
    #: BT-108 Sum of document-level charges.
    charge_total: Decimal
    #: BT-109 Invoice total amount without tax.
    tax_exclusive: Decimal
    breakdown: tuple[TaxSubtotal, ...]
    #: BT-110 Invoice total tax amount.
    tax_total: Decimal
    #: BT-112 Invoice total amount with tax.
    tax_inclusive: Decimal
    #: BT-114 Rounding amount (cash rounding), 0 without it.
    rounding: Decimal
    #: BT-112 + BT-114: what the customer pays before any payment.
    payable: Decimal
    prices: PriceMode
    policy: RoundingPolicy = attrs.field(eq=False)
    #: The rounding steps as recorded (cheap tuples); read them through ``steps``.
    recorded: tuple[tuple[tuple[object, ...], Decimal, Decimal, str], ...] = attrs.field(
        eq=False, repr=False
    )
    #: The lines these totals were computed from, for ``explain()`` to show their notes
    #: (BT-127); the caller's tuple itself, so computing costs nothing more. Not compared
    #: and not stored: storage sets them from the document's lines; empty when unknown.
    source_lines: tuple[Line, ...] = attrs.field(default=(), eq=False, repr=False)

    @property
    def notes(self) -> tuple[tuple[int, str], ...]:
        """``(index, note)`` of each line with a note (EN 16931 BT-127), as ``explain()`` shows."""
        return tuple((i, line.note) for i, line in enumerate(self.source_lines) if line.note)

    @property
    def steps(self) -> tuple[RoundingStep, ...]:
        """Every place an exact figure was rounded, in the order it happened."""
        return tuple(
            RoundingStep(" ".join(map(str, where)), exact, rounded, rule)
            for where, exact, rounded, rule in self.recorded
        )

    def bt(self) -> dict[str, Decimal]:
        """The document totals keyed by EN 16931 business term (BT-106 ... BT-115 at issue)."""
        return {
            "BT-106": self.line_net_total,
            "BT-107": self.discount_total,
            "BT-108": self.charge_total,
            "BT-109": self.tax_exclusive,
            "BT-110": self.tax_total,
            "BT-112": self.tax_inclusive,
            "BT-113": _ZERO.quantize(minor_unit(self.currency)),
            "BT-114": self.rounding,
            "BT-115": self.payable,
        }

    def explain(self) -> str:
        """A readable account of how the totals came about, every rounding step included."""
        p = self.policy
        out = [
            f"Totals in {self.currency}: prices {self.prices.value}, tax rounded "
            f"{p.tax_rounding.value.replace('_', ' ')}, mode {p.mode.value}"
            + (
                f", cash rounding to {p.cash_increment(self.currency)}"
                if p.cash_increment(self.currency)
                else ""
            ),
        ]
        notes = dict(self.notes)
        for i, line in enumerate(self.lines):
            parts = [f"  line {i + 1}: base {line.base}"]
            parts += [f"- discount {d}" for d in line.discounts]
            parts += [f"+ charge {c}" for c in line.charges]
            text = " ".join(parts) + f" = net {line.net}"
            if line.gross is not None:
                text += f" (gross {line.gross})"
            if i in notes:
                text += f"  [{_one_line(notes[i])}]"
            out.append(text)
        for adj in (*self.discounts, *self.charges):
            labels = ", ".join(t.label for t in adj.taxes)
            how = (
                f"{adj.percent.normalize():f}% of {adj.base}"
                if adj.percent is not None
                else "fixed"
            )
            out.append(f"  document {adj.kind} {adj.amount} ({how}; {labels})")
        out.append(f"  BT-106 sum of line nets        {self.line_net_total}")
        out.append(f"  BT-107 document discounts      {self.discount_total}")
        out.append(f"  BT-108 document charges        {self.charge_total}")
        out.append(f"  BT-109 total without tax       {self.tax_exclusive}")
        out.extend(f"  {r.tax.label:<28} base {r.base} tax {r.amount}" for r in self.breakdown)
        out.append(f"  BT-110 total tax               {self.tax_total}")
        out.append(f"  BT-112 total with tax          {self.tax_inclusive}")
        out.append(f"  BT-114 rounding amount         {self.rounding}")
        out.append(f"  BT-115 amount due              {self.payable}")
        if self.steps:
            out.append(f"Rounding steps ({len(self.steps)}):")
            out.extend(f"  {step}" for step in self.steps)
        else:
            out.append("Rounding steps: none (every figure was exact)")
        return "\n".join(out)


def compute_totals(
    currency: str,
    lines: Sequence[Line],
    *,
    discounts: Sequence[Discount] = (),
    charges: Sequence[Charge] = (),
    prices: PriceMode = PriceMode.EXCLUSIVE,
    policy: RoundingPolicy | None = None,
    received: bool = False,
) -> Totals:
    """Compute the totals of a document; raises ValidationError listing every problem found.

    ``received``: a document read from another system may total below zero (EN 16931
    allows it); what invoicekit issues may not.
    """
    computation = _Computation(currency, prices, policy or _DEFAULT_POLICY)
    computation.received = received
    return computation.run(lines, discounts, charges)


def _item_label(k: int, lines: int, discounts: int) -> tuple[str, int]:
    """How explain() names item ``k`` of (lines, document discounts, document charges)."""
    if k < lines:
        return "line", k + 1
    if k < lines + discounts:
        return "document discount", k - lines + 1
    return "document charge", k - lines - discounts + 1


class _Computation:
    """One run of the rules; holds the currency unit, the mode and the steps recorded."""

    def __init__(self, currency: str, prices: PriceMode, policy: RoundingPolicy) -> None:
        self.currency = currency
        self.unit = minor_unit(currency)
        self.prices = prices if type(prices) is PriceMode else PriceMode(prices)
        self.policy = policy
        self.received = False
        self.mode = _MODE[policy.mode]
        self.rule = _RULE[policy.mode]
        self.steps: list[tuple[tuple[object, ...], Decimal, Decimal, str]] = []
        self.problems: list[Problem] = []

    def q(self, exact: Decimal, *where: object) -> Decimal:
        """Quantize to the minor unit, recording the step when the value changed."""
        rounded = exact.quantize(self.unit, rounding=self.mode)
        if not rounded:
            rounded = abs(rounded)  # never -0.00 (the tax on a negative base at rate 0)
        if rounded != exact:
            self.steps.append((where, exact, rounded, self.rule))
        return rounded

    def fixed(self, amount: Decimal, where: str) -> Decimal:
        """A fixed amount given by the user: it must fit the minor unit exactly."""
        if amount != amount.quantize(self.unit):
            self.problems.append(
                problem(
                    where,
                    f"{self.currency} amounts have at most "
                    f"{currency_digits(self.currency)} decimal places",
                    amount,
                )
            )
        return amount.quantize(self.unit)

    def run(
        self, lines: Sequence[Line], discounts: Sequence[Discount], charges: Sequence[Charge]
    ) -> Totals:
        outer = getcontext()
        setcontext(_CONTEXT)
        try:
            return self._run(lines, discounts, charges)
        finally:
            setcontext(outer)

    def _run(  # noqa: PLR0912 - the rules read top to bottom as in the spec
        self, lines: Sequence[Line], discounts: Sequence[Discount], charges: Sequence[Charge]
    ) -> Totals:
        if not lines:
            self.problems.append(problem("lines", "an invoice needs at least one line"))
        inclusive = self.prices is PriceMode.INCLUSIVE
        unit, mode, rule, steps = self.unit, self.mode, self.rule, self.steps
        # Steps 1-3: each line's base, discounts, charges and (pre-conversion) amount.
        # With tax-inclusive prices a line's net here is still its gross amount (converted later).
        raw: list[LineAmounts] = []
        new = tuple.__new__  # LineAmounts(...) runs Python code for its defaults; this does not
        for i, line in enumerate(lines):
            exact = line.quantity * line.unit_price
            if line.base_quantity != 1:
                exact /= line.base_quantity
            base = exact.quantize(unit, rounding=mode)  # self.q inlined: once per line
            if base != exact:
                base = abs(base) if base == 0 else base
                steps.append((("line", i + 1, "base"), exact, base, rule))
            if line.discounts or line.charges or inclusive:
                raw.append(self._line(i, line, base, inclusive=inclusive))
            else:
                raw.append(new(LineAmounts, (base, (), (), base, None, ())))  # never negative
        # Step 5: document discounts and charges, expanded per tax set when none is given.
        doc_d = self._document(discounts, "discount", lines, raw) if discounts else []
        doc_c = self._document(charges, "charge", lines, raw) if charges else []
        if self.problems:
            raise ValidationError(self.problems, subject="invoice")
        if inclusive:
            line_amounts, doc_d, doc_c, breakdown = self._inclusive(lines, raw, doc_d, doc_c)
        else:
            line_amounts, breakdown = self._exclusive(lines, raw, doc_d, doc_c)
        with_lines: dict[Tax, bool] | None = None  # only read when a group is negative
        for row in breakdown:
            # With inclusive prices the stated gross is what must not go negative; per-line
            # conversion may leave a net of -0.01 against a tax of +0.01 on a zero gross.
            # A group may be negative by its own negative lines, or when it holds only a
            # document discount (a VAT group of its own); discounts may not sink lines.
            if (row.base + row.amount if inclusive else row.base) >= 0:
                continue
            if with_lines is None:
                with_lines = self._line_groups(lines, raw)
            if with_lines.get(row.tax, False):
                self.problems.append(
                    problem(
                        "discounts",
                        f"document discounts exceed the {row.tax.label} lines "
                        f"they apply to (base {row.base})",
                    )
                )
        if self.problems:
            raise ValidationError(self.problems, subject="invoice")
        zero = _ZERO.quantize(unit)
        line_net_total = sum(map(_amount_of, line_amounts), zero)
        discount_total = sum([d.amount for d in doc_d], zero) if doc_d else zero
        charge_total = sum([c.amount for c in doc_c], zero) if doc_c else zero
        tax_exclusive = line_net_total - discount_total + charge_total
        tax_total = sum(map(_tax_amount_of, breakdown), zero)
        tax_inclusive = tax_exclusive + tax_total
        if tax_inclusive < 0 and not self.received:
            raise ValidationError(
                [
                    problem(
                        "lines",
                        "the invoice total with tax (BT-112) is below zero; lines may be "
                        "negative (a return, a deposit) but not the total: refund with a "
                        "credit note",
                        tax_inclusive,
                    )
                ],
                subject="invoice",
            )
        payable = tax_inclusive
        increment = self.policy.cash_increment(self.currency)
        if increment is not None:
            payable = quantize_to_increment(
                tax_inclusive, increment, self.currency, self.policy.mode
            )
            if payable != tax_inclusive:
                self.steps.append(
                    (
                        ("cash rounding of the total",),
                        tax_inclusive,
                        payable,
                        f"to {increment}, {self.rule}",
                    )
                )
        return Totals(
            currency=self.currency,
            lines=tuple(line_amounts),
            discounts=tuple(doc_d),
            charges=tuple(doc_c),
            line_net_total=line_net_total,
            discount_total=discount_total,
            charge_total=charge_total,
            tax_exclusive=tax_exclusive,
            breakdown=tuple(breakdown),
            tax_total=tax_total,
            tax_inclusive=tax_inclusive,
            rounding=payable - tax_inclusive,
            payable=payable,
            prices=self.prices,
            policy=self.policy,
            recorded=tuple(self.steps),
            source_lines=tuple(lines),  # the same tuple when given one
        )

    @staticmethod
    def _line_groups(lines: Sequence[Line], raw: Sequence[LineAmounts]) -> dict[Tax, bool]:
        """Per tax: True when lines carry it and none of them is negative."""
        out: dict[Tax, bool] = {}
        for line, amounts in zip(lines, raw, strict=True):
            for tax in line.taxes:
                out[tax] = out.get(tax, True) and amounts[3] >= 0
        return out

    def _line(self, i: int, line: Line, base: Decimal, *, inclusive: bool) -> LineAmounts:
        """Line ``i``'s discounts, charges and amount (before conversion when inclusive)."""
        path = f"lines[{i}]"
        if inclusive and len(line.taxes) != 1:
            self.problems.append(
                problem(f"{path}.tax", "with tax-inclusive prices a line carries exactly one tax")
            )
        amount = base
        ds: tuple[Decimal, ...] = ()
        cs: tuple[Decimal, ...] = ()
        if line.discounts:
            ds = tuple(
                self._adjust(d, base, f"{path}.discounts[{k}]", f"line {i + 1} discount {k + 1}")
                for k, d in enumerate(line.discounts)
            )
            amount -= sum(ds, _ZERO)
        if line.charges:
            cs = tuple(
                self._adjust(c, base, f"{path}.charges[{k}]", f"line {i + 1} charge {k + 1}")
                for k, c in enumerate(line.charges)
            )
            amount += sum(cs, _ZERO)
        if amount < 0 <= base:
            self.problems.append(
                problem(
                    f"{path}.discounts",
                    f"discounts ({sum(ds, _ZERO)}) exceed the line amount "
                    f"({base + sum(cs, _ZERO)})",
                )
            )
        elif base < 0 < amount:  # a negative line (a return) that its adjustments turn positive
            self.problems.append(
                problem(
                    f"{path}.charges",
                    f"the adjustments turn the negative line amount ({base}) positive "
                    f"({amount}); a negative line stays negative",
                )
            )
        return LineAmounts(base, ds, cs, amount)

    def _adjust(self, adj: Discount | Charge, base: Decimal, path: str, label: str) -> Decimal:
        if adj.percent is not None:
            return self.q(base * adj.percent / 100, f"{label} ({adj.percent.normalize():f}%)")
        return self.fixed(cast(Decimal, adj.amount), f"{path}.amount")  # one of the two is set

    def _document(
        self,
        items: Sequence[Discount | Charge],
        kind: str,
        lines: Sequence[Line],
        raw: Sequence[LineAmounts],
    ) -> list[DocumentAdjustment]:
        if not items:
            return []
        groups: dict[tuple[Tax, ...], Decimal] = {}
        for line, amounts in zip(lines, raw, strict=True):
            groups[line.taxes] = groups.get(line.taxes, _ZERO) + amounts.net
        out: list[DocumentAdjustment] = []
        for j, item in enumerate(items):
            path = f"{kind}s[{j}]"
            label = f"document {kind} {j + 1}"
            if (
                self.prices is PriceMode.INCLUSIVE
                and item.taxes is not None
                and len(item.taxes) != 1
            ):
                self.problems.append(
                    problem(f"{path}.tax", "with tax-inclusive prices it carries exactly one tax")
                )
            if item.taxes is not None:
                if item.taxes not in groups and item.percent is not None:
                    self.problems.append(
                        problem(
                            f"{path}.tax",
                            "no line carries these taxes, so a percentage has no base; give "
                            "a fixed amount for a VAT group of its own",
                            ", ".join(t.label for t in item.taxes),
                        )
                    )
                    continue
                # Taxes no line carries: a fixed amount in a VAT group of its own (BG-23).
                base = groups.get(item.taxes, _ZERO)
                amount = self._adjust(item, base, path, label)
                out.append(
                    DocumentAdjustment(
                        kind,
                        amount,
                        item.taxes,
                        item.percent,
                        base if item.percent is not None else None,
                        item.reason,
                    )
                )
                continue
            out += self._spread(item, j, kind, groups)
        return out

    def _spread(
        self, item: Discount | Charge, j: int, kind: str, groups: dict[tuple[Tax, ...], Decimal]
    ) -> list[DocumentAdjustment]:
        """A document adjustment without a tax, spread over the lines' tax groups."""
        path = f"{kind}s[{j}]"
        label = f"document {kind} {j + 1}"
        out: list[DocumentAdjustment] = []
        if self.prices is PriceMode.INCLUSIVE and any(len(k) != 1 for k in groups):
            return out  # reported on the lines already
        if any(v < 0 for v in groups.values()):
            self.problems.append(
                problem(
                    f"{path}.tax",
                    "a VAT group of the lines is negative (a return or a deposit), so "
                    f"the {kind} cannot be spread over them; give its tax",
                )
            )
            return out
        if item.percent is not None:
            for taxes, base in groups.items():
                amount = self.q(
                    base * item.percent / 100,
                    label,
                    f"({item.percent.normalize():f}% of",
                    f"{', '.join(t.label for t in taxes)})",
                )
                out.append(DocumentAdjustment(kind, amount, taxes, item.percent, base, item.reason))
            return out
        total = self.fixed(cast(Decimal, item.amount), f"{path}.amount")
        if not groups or sum(groups.values(), _ZERO) == 0:
            self.problems.append(
                problem(
                    f"{path}.amount",
                    "cannot spread a fixed amount over lines that sum to zero; give its tax",
                )
            )
            return out
        parts = allocate(total, list(groups.values()), self.currency)
        for (taxes, _), part in zip(groups.items(), parts, strict=True):
            if part:
                out.append(DocumentAdjustment(kind, part, taxes, None, None, item.reason))
        return out

    def _groups(
        self,
        lines: Sequence[Line],
        raw: Sequence[LineAmounts],
        doc_d: Sequence[DocumentAdjustment],
        doc_c: Sequence[DocumentAdjustment],
    ) -> tuple[list[Tax], list[tuple[int, ...]], list[Decimal]]:
        """The distinct taxes in order of first appearance, each item's tax indexes, the bases.

        Items are the lines, then document discounts, then charges; a tax's base is the sum
        of its items' amounts (discounts subtract). Taxes are told apart by value; a dict
        keyed by object id avoids comparing the same Tax object again and again.
        """
        order: list[Tax] = []
        bases: list[Decimal] = []
        index_of: dict[int, int] = {}
        singles: list[tuple[int]] = []
        groups: list[tuple[int, ...]] = []

        def index(tax: Tax) -> int:
            found = index_of.get(id(tax))
            if found is None:
                found = by_value.get(tax)
                if found is None:
                    found = by_value[tax] = len(order)
                    order.append(tax)
                    bases.append(_ZERO)
                    singles.append((found,))
                index_of[id(tax)] = found
            return found

        by_value: dict[Tax, int] = {}
        items: Iterable[tuple[tuple[Tax, ...], Decimal]] = zip(
            map(_taxes_of, lines), map(_amount_of, raw), strict=True
        )
        if doc_d or doc_c:
            items = [
                *items,
                *[(d.taxes, -d.amount) for d in doc_d],
                *[(c.taxes, c.amount) for c in doc_c],
            ]
        known = index_of.get
        for taxes, amount in items:
            if len(taxes) == 1:  # the common case, kept cheap: a tax object seen before
                found = known(id(taxes[0]))
                if found is None:
                    found = index(taxes[0])
                groups.append(singles[found])
                bases[found] += amount
            else:
                group = tuple(index(t) for t in taxes)
                groups.append(group)
                for j in group:
                    bases[j] += amount
        return order, groups, bases

    def _exclusive(
        self,
        lines: Sequence[Line],
        raw: Sequence[LineAmounts],
        doc_d: Sequence[DocumentAdjustment],
        doc_c: Sequence[DocumentAdjustment],
    ) -> tuple[list[LineAmounts], list[TaxSubtotal]]:
        taxes, groups, bases = self._groups(lines, raw, doc_d, doc_c)
        n_lines = len(lines)
        line_amounts = list(raw)  # the nets are final; per-line rounding adds the line's taxes
        rounding = self.policy.tax_rounding
        if rounding is TaxRounding.PER_CATEGORY:
            tax_amounts = [
                self.q(base * t.fraction, t, "on", base)
                for t, base in zip(taxes, bases, strict=True)
            ]
        elif rounding is TaxRounding.PER_LINE:
            # Every item's signed amount: lines and charges add, discounts subtract.
            amounts = [r[3] for r in raw] + [-d.amount for d in doc_d] + [c.amount for c in doc_c]
            tax_amounts = [_ZERO.quantize(self.unit)] * len(taxes)
            for k, (indexes, amount) in enumerate(zip(groups, amounts, strict=True)):
                kind, number = _item_label(k, n_lines, len(doc_d))
                found = []
                for j in indexes:
                    t = taxes[j]
                    tax = self.q(amount * t.fraction, t, "on", kind, number, f"({amount})")
                    tax_amounts[j] += tax
                    found.append((t, tax))
                if k < n_lines:
                    r = raw[k]
                    line_amounts[k] = LineAmounts(r[0], r[1], r[2], r[3], None, tuple(found))
            for j, (t, base) in enumerate(zip(taxes, bases, strict=True)):
                tax_amounts[j] = self._keep_br_co_17(t, base, tax_amounts[j])
        else:
            exact = [base * t.fraction for t, base in zip(taxes, bases, strict=True)]
            total = self.q(sum(exact, _ZERO), "total tax of the document")
            tax_amounts = round_to_sum(exact, total, self.unit)
            for t, e, part in zip(taxes, exact, tax_amounts, strict=True):
                if part != e:
                    self.steps.append(((t, "share of the total tax"), e, part, "largest remainder"))
        breakdown = [
            TaxSubtotal(t, base, amount)
            for t, base, amount in zip(taxes, bases, tax_amounts, strict=True)
        ]
        return line_amounts, breakdown

    def _keep_br_co_17(self, tax: Tax, base: Decimal, amount: Decimal) -> Decimal:
        """A per-line sum of the base's sign within one currency unit of base x rate.

        EN 16931 BR-CO-17 asks the unit. With few or no decimals (JPY) per-item rounding
        can drift a whole unit off, e.g. tax -1 on a base of 0; the category's tax is then
        taken as Q(base x rate), as it is when the sum's sign is not the base's.
        """
        exact = abs(base) * tax.fraction
        shown = exact.quantize(_CENT, rounding=ROUND_HALF_UP)  # as the official rule rounds
        signed_ok = not (amount < 0 <= base or base <= 0 < amount)
        if signed_ok and (
            tax.rate.to_integral_value(ROUND_HALF_UP) == 0
            or abs(amount) - 1 < shown < abs(amount) + 1
        ):
            return amount
        rounded = self.q(base * tax.fraction, tax, "on", base)
        self.steps.append(
            ((tax, "per-line sum kept to base x rate (BR-CO-17)"), amount, rounded, self.rule)
        )
        return rounded

    def _convert(self, gross: Decimal, tax: Tax, where: str) -> tuple[Decimal, Decimal]:
        """Split a gross amount into (net, tax) that add up to it exactly."""
        if tax.rate == 0:
            return gross, _ZERO.quantize(self.unit)
        r = tax.rate / 100
        n0 = (gross / (1 + r)).quantize(self.unit, rounding=self.mode)
        for net in (n0, n0 - self.unit, n0 + self.unit):
            if net + (net * r).quantize(self.unit, rounding=self.mode) == gross:
                if net * (1 + r) != gross:
                    self.steps.append(
                        (
                            ("net of", where, "at", tax.label),
                            gross / (1 + r),
                            net,
                            f"{self.rule}, net + tax = gross",
                        )
                    )
                return net, gross - net
        tax_amount = (gross * r / (1 + r)).quantize(self.unit, rounding=self.mode)
        self.steps.append(
            (
                ("tax in", where, "at", tax.label, "(no exact net exists)"),
                gross * r / (1 + r),
                tax_amount,
                self.rule,
            )
        )
        return gross - tax_amount, tax_amount

    def _inclusive(
        self,
        lines: Sequence[Line],
        raw: Sequence[LineAmounts],
        doc_d: Sequence[DocumentAdjustment],
        doc_c: Sequence[DocumentAdjustment],
    ) -> tuple[
        list[LineAmounts], list[DocumentAdjustment], list[DocumentAdjustment], list[TaxSubtotal]
    ]:
        taxes, _, _ = self._groups(lines, raw, doc_d, doc_c)
        # (kind, index, tax, signed gross) for every item.
        items: list[tuple[str, int, Tax, Decimal]] = [
            ("line", i, line.taxes[0], r[3])
            for i, (line, r) in enumerate(zip(lines, raw, strict=True))
        ]
        items += [("discount", j, d.taxes[0], -d.amount) for j, d in enumerate(doc_d)]
        items += [("charge", j, c.taxes[0], c.amount) for j, c in enumerate(doc_c)]
        nets: dict[tuple[str, int], Decimal] = {}
        breakdown: list[TaxSubtotal] = []
        per_line = self.policy.tax_rounding is TaxRounding.PER_LINE
        for t in taxes:
            members = [it for it in items if it[2] == t]
            if per_line:
                net_sum = tax_sum = _ZERO.quantize(self.unit)
                for kind, idx, _, gross in members:
                    n, tx = self._convert(gross, t, f"{kind} {idx + 1} ({gross})")
                    nets[(kind, idx)] = n
                    net_sum += n
                    tax_sum += tx
                breakdown.append(TaxSubtotal(t, net_sum, tax_sum))
                continue
            group_gross = sum((m[3] for m in members), _ZERO)
            net, tax_amount = self._convert(group_gross, t, f"gross {group_gross}")
            # Shares as exact fractions, so equal shares tie and the earlier item wins.
            if group_gross != 0:
                exact = [Fraction(net) * Fraction(m[3]) / Fraction(group_gross) for m in members]
            else:
                exact = [Fraction(m[3]) / (1 + Fraction(t.rate) / 100) for m in members]
            for m, part in zip(members, round_to_sum(exact, net, self.unit), strict=True):
                nets[(m[0], m[1])] = part
            breakdown.append(TaxSubtotal(t, net, tax_amount))
        line_amounts = [
            LineAmounts(r[0], r[1], r[2], nets[("line", i)], r[3]) for i, r in enumerate(raw)
        ]
        new_d = [
            attrs.evolve(d, amount=-nets[("discount", j)], gross=d.amount)
            for j, d in enumerate(doc_d)
        ]
        new_c = [
            attrs.evolve(c, amount=nets[("charge", j)], gross=c.amount) for j, c in enumerate(doc_c)
        ]
        return line_amounts, new_d, new_c, breakdown
