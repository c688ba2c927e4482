"""Properties of rate() and apply_coupons over generated tiers, quantities, lines and coupons.

Graduated amounts never fall as usage grows; a volume quantity inside one tier costs
quantity × that tier's price (+ its flat fee); with one tier graduated and volume agree;
package rounds up; minimum and maximum bound the period; coupon discounts never exceed
the positive nets and a fixed coupon's split sums exactly to what it takes.
"""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Final

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from invoicekit.domain.coupons import AppliedCoupon, Coupon, apply_coupons
from invoicekit.domain.line import Line
from invoicekit.domain.pricing import Price, Tier
from invoicekit.domain.pricing_rate import rate
from invoicekit.domain.tax import Vat
from invoicekit.domain.totals import compute_totals
from invoicekit.domain.usage import Usage
from invoicekit.money import quantize
from sizes import examples

N: Final = examples(ci=500, dev=50)
CURRENCIES: Final = ("EUR", "JPY", "BHD")

prices_per_unit = st.decimals(min_value=0, max_value=100, places=4)
quantities = st.decimals(min_value=0, max_value=10**7, places=2)


@st.composite
def tier_tables(draw: st.DrawFn, *, most: int = 5) -> list[Tier]:
    """Contiguous ascending tiers, the last open-ended."""
    bounds = sorted(draw(st.sets(st.integers(1, 10**6), max_size=most - 1)))
    return [
        Tier(
            up_to=Decimal(bound) if bound is not None else None,
            unit_amount=draw(prices_per_unit),
            flat_amount=draw(st.sampled_from([Decimal(0), Decimal("5.00"), Decimal("0.01")])),
        )
        for bound in [*bounds, None]
    ]


def _price(model: str, currency: str = "EUR", **fields: object) -> Price:
    return Price.create(
        id="p",
        description="Usage",
        currency=currency,
        kind="metered",
        model=model,
        meter="m",
        tax=Vat("19"),
        **fields,  # type: ignore[arg-type]
    )


@settings(max_examples=N)
@given(tiers=tier_tables(), q1=quantities, q2=quantities, currency=st.sampled_from(CURRENCIES))
def test_graduated_is_monotonic_in_the_quantity(
    tiers: list[Tier], q1: Decimal, q2: Decimal, currency: str
) -> None:
    price = _price("graduated", currency, tiers=tiers)
    low, high = sorted((q1, q2))
    assert rate(price, Usage(low)).amount <= rate(price, Usage(high)).amount


@settings(max_examples=N)
@given(tiers=tier_tables(), data=st.data())
def test_a_volume_quantity_inside_a_tier_costs_quantity_times_its_price(
    tiers: list[Tier], data: st.DataObject
) -> None:
    index = data.draw(st.integers(0, len(tiers) - 1))
    lower = Decimal(0) if index == 0 else tiers[index - 1].up_to
    assert lower is not None
    upper = tiers[index].up_to or lower + 10**6
    quantity = data.draw(st.decimals(min_value=lower + 1, max_value=upper, places=0))
    tier = tiers[index]
    rated = rate(_price("volume", tiers=tiers), Usage(quantity))
    expected = quantize(quantity * tier.unit_amount, "EUR") + tier.flat_amount
    assert rated.amount == expected


@settings(max_examples=N)
@given(
    unit=prices_per_unit,
    flat=st.decimals(min_value=0, max_value=1000, places=2),
    quantity=quantities,
)
def test_with_one_tier_graduated_equals_volume(
    unit: Decimal, flat: Decimal, quantity: Decimal
) -> None:
    tiers = [Tier(up_to=None, unit_amount=unit, flat_amount=flat)]
    graduated = rate(_price("graduated", tiers=tiers), Usage(quantity))
    volume = rate(_price("volume", tiers=tiers), Usage(quantity))
    assert graduated.amount == volume.amount


@settings(max_examples=N)
@given(
    size=st.integers(1, 10**5),
    unit=st.decimals(min_value=0, max_value=1000, places=2),
    quantity=quantities,
)
def test_package_counts_packages_rounded_up(size: int, unit: Decimal, quantity: Decimal) -> None:
    price = _price("package", unit_amount=unit, package_size=size)
    rated = rate(price, Usage(quantity))
    packages = math.ceil(quantity / size)
    assert rated.parts[0].quantity == packages
    assert (packages - 1) * size < quantity <= packages * size or packages == 0
    assert rated.amount == quantize(packages * unit, "EUR")


@settings(max_examples=N)
@given(
    tiers=tier_tables(),
    quantity=quantities,
    bounds=st.lists(st.decimals(min_value=0, max_value=10**5, places=2), min_size=2, max_size=2),
    which=st.sampled_from(["minimum", "maximum", "both"]),
)
def test_minimum_and_maximum_bound_the_period(
    tiers: list[Tier], quantity: Decimal, bounds: list[Decimal], which: str
) -> None:
    low, high = sorted(bounds)
    fields: dict[str, object] = {"tiers": tiers}
    if which in {"minimum", "both"}:
        fields["minimum"] = low
    if which in {"maximum", "both"}:
        fields["maximum"] = high
    rated = rate(_price("graduated", "EUR", **fields), Usage(quantity))
    free = rate(_price("graduated", tiers=tiers), Usage(quantity)).amount
    if "minimum" in fields:
        assert rated.amount >= low
    if "maximum" in fields:
        assert rated.amount <= high
    if (
        low <= free <= high
        or (which == "minimum" and free >= low)
        or (which == "maximum" and free <= high)
    ):
        assert rated.amount == free
    assert rated.amount == sum(p.amount for p in rated.parts)


@settings(max_examples=N)
@given(
    tiers=tier_tables(),
    quantity=quantities,
    model=st.sampled_from(["graduated", "volume"]),
)
def test_each_part_is_its_quantity_times_price_rounded_half_up(
    tiers: list[Tier], quantity: Decimal, model: str
) -> None:
    rated = rate(_price(model, tiers=tiers), Usage(quantity))
    for part in rated.parts:
        assert part.amount == quantize(part.quantity * part.unit_price, "EUR")
    assert rated.amount == sum(p.amount for p in rated.parts)


line_prices = st.decimals(min_value=0, max_value=10**4, places=2)


@st.composite
def invoices(draw: st.DrawFn) -> list[Line]:
    """A few lines; some negative (credits), some zero."""
    count = draw(st.integers(1, 6))
    return [
        Line(
            f"line {i}",
            draw(st.sampled_from([1, 1, 2, 3, -1])),
            draw(line_prices),
            tax=Vat("19"),
        )
        for i in range(count)
    ]


@st.composite
def coupon_lists(draw: st.DrawFn) -> list[AppliedCoupon]:
    found: list[AppliedCoupon] = []
    for i in range(draw(st.integers(1, 3))):
        if draw(st.booleans()):
            coupon = Coupon.create(
                id=f"c{i}",
                name=f"{i} percent",
                percent_off=draw(st.decimals(min_value="0.01", max_value=100, places=2)),
            )
        else:
            coupon = Coupon.create(
                id=f"c{i}",
                name=f"{i} amount",
                amount_off=draw(st.decimals(min_value="0.01", max_value=10**4, places=2)),
                currency="EUR",
            )
        found.append(AppliedCoupon(coupon=coupon, first_index=0))
    return found


@settings(max_examples=N)
@given(lines=invoices(), coupons=coupon_lists())
def test_coupon_discounts_never_exceed_the_positive_nets_nor_the_invoice(
    lines: list[Line], coupons: list[AppliedCoupon]
) -> None:
    before = compute_totals("EUR", lines, received=True)
    assume(before.line_net_total >= 0)
    out = apply_coupons(lines, coupons, 0, "EUR")
    after = compute_totals("EUR", out)  # raises if any line or the total went below zero
    positive = sum((n.net for n in before.lines if n.net > 0), Decimal(0))
    taken = before.line_net_total - after.line_net_total
    assert 0 <= taken <= positive
    assert after.line_net_total >= 0
    for old, new in zip(before.lines, after.lines, strict=True):
        assert new.net >= 0 or new.net == old.net  # credits are never discounted


@settings(max_examples=N)
@given(lines=invoices(), amount=st.decimals(min_value="0.01", max_value=10**4, places=2))
def test_a_fixed_coupon_split_sums_exactly_to_what_it_takes(
    lines: list[Line], amount: Decimal
) -> None:
    before = compute_totals("EUR", lines, received=True)
    assume(before.line_net_total >= 0)
    coupon = Coupon.create(id="f", name="Fixed", amount_off=amount, currency="EUR")
    out = apply_coupons(lines, [AppliedCoupon(coupon=coupon, first_index=0)], 0, "EUR")
    shares = [d.amount or Decimal(0) for line in out for d in line.discounts]
    positive = sum((n.net for n in before.lines if n.net > 0), Decimal(0))
    expected = min(amount, positive, before.line_net_total)
    assert sum(shares, Decimal(0)) == expected


@st.composite
def any_prices(draw: st.DrawFn) -> Price:
    """A metered price of any model, in a currency with 0, 2 or 3 decimals."""
    currency = draw(st.sampled_from(CURRENCIES))
    model = draw(st.sampled_from(["per_unit", "package", "graduated", "volume", "percentage"]))
    fields: dict[str, object] = {}
    if model in {"graduated", "volume"}:
        fields["tiers"] = draw(tier_tables())
    elif model == "percentage":
        fields["percent"] = draw(st.decimals(min_value=0, max_value=100, places=8))
        fields["fixed_fee"] = draw(prices_per_unit)
    else:
        fields["unit_amount"] = draw(st.decimals(min_value=0, max_value=1000, places=10))
    if model == "package":
        fields["package_size"] = draw(st.integers(1, 10**4))
    if draw(st.booleans()):
        fields["minimum"] = draw(st.integers(0, 10**4))
    if draw(st.booleans()):
        fields["maximum"] = draw(st.integers(10**4, 10**6))
    return _price(model, currency, **fields)


@settings(max_examples=N)
@given(
    price=any_prices(),
    quantity=st.decimals(min_value=0, max_value=10**9, places=6),
    events=st.integers(0, 10**6),
)
def test_the_parts_are_valid_lines_that_total_the_rated_amount(
    price: Price, quantity: Decimal, events: int
) -> None:
    rated = rate(price, Usage(quantity, events))
    lines = [
        Line(p.description, p.quantity, p.unit_price, tax=price.taxes)
        for p in rated.parts
        if p.quantity
    ]
    total = compute_totals(price.currency, lines).line_net_total if lines else Decimal(0)
    assert total == rated.amount


@settings(max_examples=N)
@given(
    tiers=tier_tables(),
    quantity=quantities,
    bounds=st.lists(st.decimals(min_value=0, max_value=10**5, places=2), min_size=2, max_size=2),
    which=st.sampled_from(["none", "minimum", "maximum", "both"]),
    percent=st.decimals(min_value="0.01", max_value=100, places=2),
    other=st.decimals(min_value=0, max_value=10**4, places=2),
)
def test_a_percent_coupon_takes_exactly_its_percent_of_what_each_price_bills(  # noqa: PLR0917 - hypothesis draws
    tiers: list[Tier],
    quantity: Decimal,
    bounds: list[Decimal],
    which: str,
    percent: Decimal,
    other: Decimal,
) -> None:
    low, high = sorted(bounds)
    fields: dict[str, object] = {"tiers": tiers}
    if which in {"minimum", "both"}:
        fields["minimum"] = low
    if which in {"maximum", "both"}:
        fields["maximum"] = high
    rated = rate(_price("graduated", "EUR", **fields), Usage(quantity))
    parts = [
        Line(p.description, p.quantity, p.unit_price, tax=Vat("19"))
        for p in rated.parts
        if p.quantity
    ]
    assume(parts)
    lines = [*parts, Line("Plan", 1, other, tax=Vat("19"))]
    groups = [*(["usage"] * len(parts)), "plan"]
    coupon = AppliedCoupon(
        coupon=Coupon.create(id="c", name="C", percent_off=percent), first_index=0
    )
    out = apply_coupons(lines, [coupon], 0, "EUR", groups=groups)

    def net(chosen: list[Line] | tuple[Line, ...]) -> Decimal:
        return compute_totals("EUR", chosen).line_net_total

    taken = net(parts) - net(out[: len(parts)])
    assert taken == quantize(percent * rated.amount / 100, "EUR")
    assert taken >= 0
    assert net(lines[-1:]) - net(out[-1:]) == quantize(percent * other / 100, "EUR")
