"""rate(): each pricing model's parts, amounts rounded half-up per part, and the notes shown."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from invoicekit.domain.line import Line
from invoicekit.domain.pricing import Price
from invoicekit.domain.pricing_rate import Rated, rate
from invoicekit.domain.tax import Vat
from invoicekit.domain.totals import compute_totals
from invoicekit.domain.usage import Usage
from invoicekit.errors import ValidationError

TIERS: list[dict[str, Any]] = [
    {"up_to": 1000, "unit_amount": "0.00"},
    {"up_to": 10000, "unit_amount": "0.0100"},
    {"up_to": 50000, "unit_amount": "0.008", "flat_amount": "5.00"},
    {"up_to": None, "unit_amount": "0.005"},
]


def _price(**fields: Any) -> Price:
    values: dict[str, Any] = {
        "id": "api",
        "description": "API calls",
        "currency": "EUR",
        "kind": "metered",
        "model": "per_unit",
        "meter": "api_calls",
        "tax": Vat("19"),
    }
    return Price.create(**{**values, **fields})


def _used(quantity: int | str, events: int = 0) -> Usage:
    return Usage(Decimal(quantity), events)


def _notes(rated: Rated) -> list[str]:
    return [part.note for part in rated.parts]


def test_a_fixed_fee_is_one_part() -> None:
    price = _price(kind="fixed", meter=None, unit_amount="49.00", description="Pro plan")
    rated = rate(price, Usage())
    assert rated.quantity == 1
    assert rated.amount == Decimal("49.00")
    assert [(p.description, p.quantity, p.unit_price) for p in rated.parts] == [
        ("Pro plan", Decimal(1), Decimal("49.00"))
    ]
    assert rated.note == "fixed fee: 1 × 49.00 = 49.00"


def test_per_unit_rounds_half_up_to_the_cent() -> None:
    rated = rate(_price(unit_amount="0.0125"), _used(1234))
    assert rated.amount == Decimal("15.43")  # 15.425 -> 15.43, half-up not half-even
    assert rated.note == "1,234 × 0.0125 = 15.43"


def test_per_unit_in_yen_and_dinar() -> None:
    assert rate(_price(currency="JPY", unit_amount="2.5"), _used(3)).amount == Decimal(8)
    assert rate(_price(currency="BHD", unit_amount="0.0005"), _used(3)).amount == Decimal("0.002")


def test_seats_are_priced_by_the_model() -> None:
    price = _price(kind="seats", meter=None, unit_amount="10.00", description="Seats")
    rated = rate(price, Usage(), seats=7)
    assert (rated.quantity, rated.amount) == (Decimal(7), Decimal("70.00"))
    volume = _price(kind="seats", meter=None, model="volume", tiers=[*TIERS[:2], {"up_to": None}])
    assert rate(volume, Usage(), seats=Decimal(2000)).amount == Decimal("20.00")


def test_a_seats_price_needs_seats_and_no_quantity_is_negative() -> None:
    price = _price(kind="seats", meter=None, unit_amount="10.00")
    with pytest.raises(ValidationError) as caught:
        rate(price, Usage())
    assert caught.value.paths == ("seats",)
    with pytest.raises(ValidationError) as caught:
        rate(price, Usage(), seats=-1)
    assert caught.value.paths == ("seats",)
    with pytest.raises(ValidationError) as caught:
        rate(_price(unit_amount=1), _used(-1))
    assert caught.value.paths == ("usage.quantity",)


def test_package_rounds_the_packages_up() -> None:
    price = _price(model="package", unit_amount="2.00", package_size=1000)
    rated = rate(price, _used(12345))
    assert rated.amount == Decimal("26.00")
    assert rated.note == "package: ceil(12,345 / 1,000) = 13 × 2.00 = 26.00"
    assert (rated.parts[0].quantity, rated.quantity) == (Decimal(13), Decimal(12345))
    assert rate(price, _used(1000)).amount == Decimal("2.00")
    assert rate(price, _used(1001)).amount == Decimal("4.00")
    assert rate(price, _used(0)).amount == Decimal("0.00")


def test_graduated_prices_each_tier_reached() -> None:
    rated = rate(_price(model="graduated", tiers=TIERS), _used(12345))
    assert _notes(rated) == [
        "first 1,000: 1,000 × 0.00 = 0.00",
        "units 1,001–10,000: 9,000 × 0.0100 = 90.00",
        "units 10,001–50,000: 2,345 × 0.008 = 18.76",
        "units 10,001–50,000: flat fee 5.00",
    ]
    assert rated.amount == Decimal("113.76")
    assert rated.note.endswith("; total 113.76")
    assert rated.parts[1].description == "API calls (units 1,001–10,000)"


def test_graduated_at_a_tier_bound_stays_in_that_tier() -> None:
    rated = rate(_price(model="graduated", tiers=TIERS), _used(10000))
    assert [p.quantity for p in rated.parts] == [1000, 9000]
    assert rated.amount == Decimal("90.00")


def test_graduated_into_the_open_tier() -> None:
    rated = rate(_price(model="graduated", tiers=TIERS), _used(60000))
    assert _notes(rated)[-1] == "units 50,001 and up: 10,000 × 0.005 = 50.00"
    assert rated.amount == Decimal("465.00")


def test_graduated_zero_usage_shows_the_first_tier_empty() -> None:
    rated = rate(_price(model="graduated", tiers=TIERS), _used(0))
    assert _notes(rated) == ["first 1,000: 0 × 0.00 = 0.00"]


def test_a_first_tier_flat_fee_is_charged_once_any_usage_reaches_it() -> None:
    tiers = [{"up_to": 10, "flat_amount": "20.00"}, {"up_to": None, "unit_amount": "1.50"}]
    graduated = _price(model="graduated", tiers=tiers)
    assert rate(graduated, _used(0)).amount == Decimal("0.00")
    assert rate(graduated, _used(1)).amount == Decimal("20.00")
    assert rate(graduated, _used(12)).amount == Decimal("23.00")


def test_volume_prices_every_unit_at_the_tier_reached() -> None:
    rated = rate(_price(model="volume", tiers=TIERS), _used(12345))
    assert _notes(rated) == [
        "volume tier 10,001–50,000: 12,345 × 0.008 = 98.76",
        "volume tier 10,001–50,000: flat fee 5.00",
    ]
    assert rated.amount == Decimal("103.76")
    assert rate(_price(model="volume", tiers=TIERS), _used(60000)).note == (
        "volume tier 50,001 and up: 60,000 × 0.005 = 300.00"
    )
    assert rate(_price(model="volume", tiers=TIERS), _used(1000)).note == (
        "volume tier 1–1,000: 1,000 × 0.00 = 0.00"
    )


def test_decimal_usage_is_shown_without_trailing_zeros() -> None:
    rated = rate(_price(unit_amount="0.10"), _used("1234.500000"))
    assert rated.note == "1,234.5 × 0.10 = 123.45"


def test_percentage_with_a_fee_per_event() -> None:
    price = _price(model="percentage", percent="2.9", fixed_fee="0.30", meter="payments")
    rated = rate(price, Usage(Decimal("1000.00"), 12))
    assert _notes(rated) == [
        "2.9% of 1,000.00 = 29.00",
        "fee per event: 12 × 0.30 = 3.60",
    ]
    assert rated.amount == Decimal("32.60")
    assert rated.parts[0].unit_price == Decimal("0.029")


def test_a_percentage_of_eight_places_fits_a_line() -> None:
    price = _price(model="percentage", percent="1.23456789", meter="payments")
    part = rate(price, Usage(Decimal("1000.00"), 1)).parts[0]
    assert part.unit_price == Decimal("0.0123456789")
    line = Line(part.description, part.quantity, part.unit_price, tax=Vat("19"))
    assert line.unit_price == part.unit_price


def test_a_minimum_lifts_the_period() -> None:
    price = _price(model="package", unit_amount="2.00", package_size=1000, minimum="50.00")
    rated = rate(price, _used(12345))
    assert _notes(rated)[-1] == "minimum 50.00 per period: +24.00"
    assert rated.amount == Decimal("50.00")
    assert rated.parts[-1].quantity == 1


def test_a_maximum_caps_the_period_with_a_negative_part() -> None:
    price = _price(model="percentage", percent="2.9", fixed_fee="0.30", maximum="30.00")
    rated = rate(price, Usage(Decimal("1000.00"), 12))
    assert _notes(rated)[-1] == "maximum 30.00 per period: -2.60"
    assert (rated.parts[-1].quantity, rated.parts[-1].unit_price) == (Decimal(-1), Decimal("2.60"))
    assert rated.amount == Decimal("30.00")


def test_within_the_bounds_no_part_is_added() -> None:
    price = _price(unit_amount="1.00", minimum="5.00", maximum="10.00")
    assert len(rate(price, _used(7)).parts) == 1


@pytest.mark.parametrize(
    "fields",
    [
        pytest.param({"model": "graduated", "tiers": TIERS, "minimum": "500.00"}, id="graduated"),
        pytest.param({"model": "volume", "tiers": TIERS, "maximum": "50.00"}, id="volume"),
        pytest.param({"unit_amount": "0.0125"}, id="per-unit"),
        pytest.param({"model": "percentage", "percent": "2.95", "fixed_fee": "0.25"}, id="pct"),
    ],
)
def test_the_parts_as_invoice_lines_total_the_rated_amount(fields: dict[str, Any]) -> None:
    rated = rate(_price(**fields), Usage(Decimal("12345.67"), 321))
    lines = [Line(p.description, p.quantity, p.unit_price, tax=Vat("19")) for p in rated.parts]
    assert compute_totals("EUR", lines).line_net_total == rated.amount


@pytest.mark.parametrize(
    ("calls", "graduated", "volume"),
    [
        (800, "0.00", "0.00"),
        (10_000, "90.00", "100.00"),
        (10_001, "95.01", "85.01"),
        (60_000, "465.00", "300.00"),
    ],
)
def test_the_worked_table_of_the_pricing_models_page(
    calls: int, graduated: str, volume: str
) -> None:
    usage = _used(calls)
    assert rate(_price(model="graduated", tiers=TIERS), usage).amount == Decimal(graduated)
    assert rate(_price(model="volume", tiers=TIERS), usage).amount == Decimal(volume)
