"""Prices and plans: Price.create and Plan.create check every field at once, with paths."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from invoicekit.domain.pricing import Plan, Price, PriceKind, PricingModel, Tier
from invoicekit.domain.schedule import Frequency
from invoicekit.domain.tax import Tax, Vat
from invoicekit.domain.usage import Aggregation, Meter
from invoicekit.errors import ValidationError

TIERS: list[dict[str, Any]] = [
    {"up_to": 1000, "unit_amount": "0"},
    {"up_to": 10000, "unit_amount": "0.0100"},
    {"up_to": None, "unit_amount": "0.008", "flat_amount": "5.00"},
]


def _price(**fields: Any) -> Price:
    values: dict[str, Any] = {
        "id": "api",
        "description": "API calls",
        "currency": "EUR",
        "kind": "metered",
        "model": "graduated",
        "tiers": TIERS,
        "meter": "api_calls",
        "tax": Vat("19"),
    }
    return Price.create(**{**values, **fields})


def _paths(**fields: Any) -> tuple[str, ...]:
    with pytest.raises(ValidationError) as caught:
        _price(**fields)
    return caught.value.paths


def test_a_graduated_price_from_mappings_and_strings() -> None:
    price = _price()
    assert price.kind is PriceKind.METERED
    assert price.model is PricingModel.GRADUATED
    assert price.meter == Meter(key="api_calls")
    assert price.tiers == (
        Tier(up_to=Decimal(1000), unit_amount=Decimal(0)),
        Tier(up_to=Decimal(10000), unit_amount=Decimal("0.0100")),
        Tier(up_to=None, unit_amount=Decimal("0.008"), flat_amount=Decimal("5.00")),
    )
    assert price.taxes == (Vat("19"),)


def test_tiers_may_be_tier_values_and_the_meter_a_meter() -> None:
    meter = Meter(key="seats_used", aggregation=Aggregation.WEIGHTED_SUM)
    tiers = (Tier(up_to=Decimal(5), unit_amount=Decimal(10)), Tier(up_to=None))
    price = _price(model=PricingModel.VOLUME, tiers=tiers, meter=meter)
    assert price.tiers == tiers
    assert price.meter is meter


def test_every_problem_is_reported_at_once_with_its_path() -> None:
    paths = _paths(
        id="",
        description=" ",
        currency="eur",
        kind="metered",
        tiers=[{"up_to": 10}, {"up_to": 5}, {"up_to": None, "unit_amount": "-1"}],
        minimum="9",
        maximum="5",
        percent="3",
        tax=(),
        unit="",
    )
    assert paths == (
        "id",
        "description",
        "currency",
        "tiers[2].unit_amount",
        "tiers[1].up_to",
        "percent",
        "maximum",
        "tax",
        "unit",
    )


def test_the_currency_must_be_a_real_iso_code() -> None:
    assert _paths(currency="XYZ") == ("currency",)
    assert _paths(currency=None) == ("currency",)


@pytest.mark.parametrize(
    ("tiers", "path"),
    [
        pytest.param([], "tiers", id="none"),
        pytest.param([{"up_to": 10}], "tiers[0].up_to", id="last-bounded"),
        pytest.param([{"up_to": None}, {"up_to": None}], "tiers[0].up_to", id="open-before-last"),
        pytest.param(
            [{"up_to": 10}, {"up_to": 10}, {"up_to": None}], "tiers[1].up_to", id="overlap"
        ),
        pytest.param(
            [{"up_to": 10}, {"up_to": 5}, {"up_to": None}], "tiers[1].up_to", id="descending"
        ),
        pytest.param([{"up_to": 0}, {"up_to": None}], "tiers[0].up_to", id="zero"),
        pytest.param([{"up_to": "-5"}, {"up_to": None}], "tiers[0].up_to", id="negative"),
        pytest.param([{"up_to": None, "flat_amount": "-1"}], "tiers[0].flat_amount", id="flat"),
        pytest.param([{"up_to": None, "unit": "2"}], "tiers[0]", id="unknown-field"),
        pytest.param(["10"], "tiers[0]", id="not-a-tier"),
        pytest.param("10", "tiers", id="a-str"),
        pytest.param([{"up_to": "1.0000001"}, {}], "tiers[0].up_to", id="too-many-places"),
    ],
)
def test_tiers_are_contiguous_ascending_and_end_open(tiers: object, path: str) -> None:
    assert path in _paths(tiers=tiers)


def test_tiers_are_up_to_and_including_so_a_decimal_bound_is_fine() -> None:
    price = _price(tiers=[{"up_to": "0.5"}, {"up_to": "1000.25"}, {"up_to": None}])
    assert [t.up_to for t in price.tiers] == [Decimal("0.5"), Decimal("1000.25"), None]


@pytest.mark.parametrize(
    ("fields", "path"),
    [
        pytest.param({"model": "per_unit", "tiers": TIERS, "unit_amount": 1}, "tiers", id="tiers"),
        pytest.param({"unit_amount": "0.01"}, "unit_amount", id="tiered-unit-amount"),
        pytest.param({"package_size": 100}, "package_size", id="package-size"),
        pytest.param({"fixed_fee": "0.30"}, "fixed_fee", id="fixed-fee"),
        pytest.param({"model": "package", "tiers": (), "unit_amount": 2}, "package_size", id="ps"),
        pytest.param(
            {"model": "package", "tiers": (), "unit_amount": 2, "package_size": 0},
            "package_size",
            id="package-size-zero",
        ),
        pytest.param({"model": "percentage", "tiers": ()}, "percent", id="percent-missing"),
        pytest.param(
            {"model": "percentage", "tiers": (), "percent": "100.5"}, "percent", id="over-100"
        ),
        pytest.param(
            {"model": "percentage", "tiers": (), "percent": "1.123456789"},
            "percent",
            id="percent-places",
        ),
        pytest.param(
            {"model": "percentage", "tiers": (), "percent": "2", "unit_amount": "1"},
            "unit_amount",
            id="percentage-unit-amount",
        ),
        pytest.param({"model": "tiered"}, "model", id="unknown-model"),
        pytest.param({"kind": "usage"}, "kind", id="unknown-kind"),
        pytest.param({"meter": None}, "meter", id="meter-missing"),
        pytest.param({"meter": 3}, "meter", id="meter-not-a-meter"),
        pytest.param({"meter": ""}, "meter.key", id="meter-key-empty"),
        pytest.param({"minimum": "-1"}, "minimum", id="minimum-negative"),
        pytest.param({"minimum": "1.001"}, "minimum", id="minimum-places"),
        pytest.param({"maximum": "1.001"}, "maximum", id="maximum-places"),
        pytest.param({"minimum": "10.00", "maximum": "5.00"}, "maximum", id="min-above-max"),
        pytest.param({"tax": None}, "tax", id="no-tax"),
        pytest.param({"tax": ["19"]}, "tax[0]", id="tax-not-a-tax"),
        pytest.param({"tax": [Vat("19"), Vat("19")]}, "tax[1]", id="same-tax-twice"),
        pytest.param({"unit": "x" * 21}, "unit", id="unit"),
        pytest.param({"description": "x" * 1001}, "description", id="description"),
        pytest.param({"id": "x" * 65}, "id", id="id"),
    ],
)
def test_each_rule_of_a_price(fields: dict[str, Any], path: str) -> None:
    assert path in _paths(**fields)


@pytest.mark.parametrize(
    ("kind", "model", "ok"),
    [
        ("fixed", "per_unit", True),
        ("fixed", "package", False),
        ("fixed", "graduated", False),
        ("seats", "per_unit", True),
        ("seats", "package", True),
        ("seats", "graduated", True),
        ("seats", "volume", True),
        ("seats", "percentage", False),
        ("metered", "percentage", True),
    ],
)
def test_which_models_each_kind_takes(kind: str, model: str, ok: bool) -> None:
    fields: dict[str, Any] = {"kind": kind, "model": model, "meter": None, "tiers": ()}
    if kind == "metered":
        fields["meter"] = "payments"
    if model in {"graduated", "volume"}:
        fields["tiers"] = TIERS
    else:
        fields["unit_amount"] = "2.00"
    if model == "package":
        fields["package_size"] = 1000
    if model == "percentage":
        fields |= {"percent": "2.9", "fixed_fee": "0.30", "unit_amount": 0}
    if ok:
        assert _price(**fields).model == model
    else:
        assert "model" in _paths(**fields)


def test_only_a_metered_price_has_a_meter() -> None:
    paths = _paths(kind="fixed", model="per_unit", tiers=(), unit_amount="49.00")
    assert paths == ("meter",)


def test_a_float_is_a_type_error_as_on_lines() -> None:
    with pytest.raises(TypeError, match="float"):
        _price(model="per_unit", tiers=(), unit_amount=0.1)


def test_minimum_and_maximum_fit_the_currency() -> None:
    price = _price(currency="JPY", minimum=500, maximum="1000")
    assert (price.minimum, price.maximum) == (Decimal(500), Decimal(1000))
    assert _paths(currency="JPY", minimum="0.5") == ("minimum",)


def test_unit_amounts_keep_their_places_for_sub_cent_prices() -> None:
    price = _price(model="per_unit", tiers=(), unit_amount="0.0001234567")
    assert price.unit_amount == Decimal("0.0001234567")
    assert _paths(model="per_unit", tiers=(), unit_amount="0.00012345678") == ("unit_amount",)


def test_enum_members_are_accepted_as_well_as_their_values() -> None:
    price = _price(kind=PriceKind.SEATS, model=PricingModel.VOLUME, meter=None)
    assert price.kind is PriceKind.SEATS


def test_an_exempt_tax_is_accepted_as_on_lines() -> None:
    price = _price(tax=Tax.reverse_charge())
    assert price.taxes == (Tax.reverse_charge(),)


# --- plans ---------------------------------------------------------------------------------


def _plan(**fields: Any) -> Plan:
    values: dict[str, Any] = {
        "id": "pro",
        "name": "Pro",
        "frequency": "monthly",
        "prices": [
            {
                "id": "base",
                "description": "Pro plan",
                "currency": "EUR",
                "kind": "fixed",
                "unit_amount": "49.00",
                "tax": Vat("19"),
            },
            _price(),
        ],
    }
    return Plan.create(**{**values, **fields})


def _plan_paths(**fields: Any) -> tuple[str, ...]:
    with pytest.raises(ValidationError) as caught:
        _plan(**fields)
    return caught.value.paths


def test_a_plan_takes_prices_and_mappings_of_their_fields() -> None:
    plan = _plan(trial_days=14, interval=2)
    assert plan.frequency is Frequency.MONTHLY
    assert [p.id for p in plan.prices] == ["base", "api"]
    assert (plan.interval, plan.trial_days) == (2, 14)
    assert plan.currencies() == ("EUR",)


def test_a_plan_may_offer_one_price_in_several_currencies() -> None:
    plan = _plan(prices=[_price(), _price(currency="USD")])
    assert plan.currencies() == ("EUR", "USD")
    assert [p.currency for p in plan.prices_in("USD")] == ["USD"]


@pytest.mark.parametrize(
    ("fields", "path"),
    [
        pytest.param({"prices": []}, "prices", id="no-prices"),
        pytest.param({"prices": None}, "prices", id="prices-none"),
        pytest.param({"prices": [_price(), _price()]}, "prices[1].id", id="duplicate-id"),
        pytest.param({"prices": ["api"]}, "prices[0]", id="not-a-price"),
        pytest.param({"prices": [{"id": "x"}]}, "prices[0]", id="missing-fields"),
        pytest.param(
            {"prices": [_price(), {"id": "seats", "kind": "seat"}]}, "prices[1]", id="bad-fields"
        ),
        pytest.param({"frequency": "custom"}, "frequency", id="custom"),
        pytest.param({"frequency": "daily"}, "frequency", id="daily"),
        pytest.param({"interval": 0}, "interval", id="interval-0"),
        pytest.param({"interval": True}, "interval", id="interval-bool"),
        pytest.param({"trial_days": -1}, "trial_days", id="trial-negative"),
        pytest.param({"trial_days": 731}, "trial_days", id="trial-long"),
        pytest.param({"name": ""}, "name", id="name"),
        pytest.param({"id": None}, "id", id="id"),
    ],
)
def test_each_rule_of_a_plan(fields: dict[str, Any], path: str) -> None:
    assert path in _plan_paths(**fields)


def test_a_bad_price_mapping_is_reported_under_its_index() -> None:
    bad = {
        "id": "seats",
        "description": "Seats",
        "currency": "EUR",
        "kind": "seats",
        "unit_amount": "-5",
        "tax": Vat("19"),
    }
    assert _plan_paths(prices=[_price(), bad], interval=0) == ("interval", "prices[1].unit_amount")
