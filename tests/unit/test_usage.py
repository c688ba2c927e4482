"""Usage records are checked on the way in, and the reference aggregate means what the spec says."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from invoicekit.domain.usage import (
    Aggregation,
    Meter,
    Usage,
    UsageRecord,
    aggregate,
    level_before,
)
from invoicekit.errors import ValidationError

DAY0 = datetime(2026, 3, 1, tzinfo=UTC)
HOUR = timedelta(hours=1)


def rec(key: str, quantity: Any = 1, at: datetime = DAY0, **fields: Any) -> UsageRecord:
    values: dict[str, Any] = {
        "seller_id": "s-1",
        "subscription_id": "sub-1",
        "meter": "m",
        "received_at": DAY0,
        **fields,
    }
    return UsageRecord.create(key=key, quantity=quantity, at=at, **values)


def meter(kind: Aggregation) -> Meter:
    return Meter(key="m", aggregation=kind, property="user")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("quantity", 1.5),
        ("quantity", True),
        ("quantity", -1),
        ("quantity", "1.0000001"),
        ("quantity", Decimal(10**12) + 1),
        ("quantity", "NaN"),
        ("quantity", "ten"),
        ("at", datetime(2026, 3, 1)),  # noqa: DTZ001 - naive on purpose
        ("received_at", "2026-03-01"),
        ("key", ""),
        ("meter", "x" * 65),
        ("properties", {"a b": "x"}),
        ("properties", {"k": "x" * 201}),
        ("properties", {f"k{i}": "v" for i in range(21)}),
        ("properties", {"k": 5}),
        ("properties", ["k"]),
    ],
)
def test_a_bad_field_is_refused_with_its_path(field: str, value: object) -> None:
    fields: dict[str, Any] = {"key": "k-1", "quantity": 1, "at": DAY0, field: value}
    with pytest.raises(ValidationError) as caught:
        rec(**fields)
    assert caught.value.paths[0].startswith(field)


def test_every_problem_is_listed_at_once() -> None:
    with pytest.raises(ValidationError) as caught:
        UsageRecord.create(
            seller_id="",
            subscription_id="sub",
            meter="m",
            key="k",
            quantity=0.5,
            at=datetime(2026, 3, 1),  # noqa: DTZ001 - naive on purpose
            received_at=DAY0,
        )
    assert set(caught.value.paths) == {"seller_id", "at", "quantity"}


def test_good_quantities_are_decimals() -> None:
    assert rec("a", "0.000001").quantity == Decimal("0.000001")
    assert rec("b", 10**12).quantity == Decimal(10**12)
    assert rec("c", " 2.50 ").quantity == Decimal("2.50")


def test_each_aggregation_on_a_small_period() -> None:
    records = [
        rec("k-0", 4, DAY0 - HOUR),  # before the window: only the level counts
        rec("k-1", 2, DAY0 + HOUR, properties={"user": "a"}),
        rec("k-3", 7, DAY0 + 3 * HOUR, properties={"user": "b"}),
        rec("k-2", 1, DAY0 + 3 * HOUR, properties={"user": "a"}),
        rec("k-9", 9, DAY0 + 10 * HOUR),  # at the end: not in [start, end)
    ]
    end = DAY0 + 10 * HOUR
    before = level_before(records, DAY0)
    got = {
        kind: aggregate(meter(kind), records, DAY0, end, level_before=before)
        for kind in Aggregation
    }
    assert got == {
        Aggregation.SUM: Usage(Decimal(10), 3),
        Aggregation.COUNT: Usage(Decimal(3), 3),
        Aggregation.MAX: Usage(Decimal(7), 3),
        Aggregation.UNIQUE_COUNT: Usage(Decimal(2), 3),
        Aggregation.LAST: Usage(Decimal(7), 3),  # a tie at 3h: the greatest key, k-3
        # 4 for 1h, 2 for 2h, then k-2 (1) and k-3 (7) at 3h: k-3 holds 7 for 7h
        Aggregation.WEIGHTED_SUM: Usage(Decimal(4 + 4 + 49), 3),
    }
    assert before == 4


def test_no_records_aggregate_to_zero() -> None:
    for kind in Aggregation:
        assert aggregate(meter(kind), [], DAY0, DAY0 + HOUR) == Usage(Decimal(0), 0)
    weighted = aggregate(meter(Aggregation.WEIGHTED_SUM), [], DAY0, DAY0 + HOUR, level_before=3)
    assert weighted == Usage(Decimal(3), 0)


def test_weighted_sum_rounds_half_up_to_six_places() -> None:
    one_second = [rec("k", "0.000001", DAY0)]
    got = aggregate(
        meter(Aggregation.WEIGHTED_SUM), one_second, DAY0, DAY0 + timedelta(seconds=1800)
    )
    assert got.quantity == Decimal("0.000001")  # 0.0000005 level-hours, half-up


_minutes = st.lists(st.tuples(st.integers(0, 599), st.integers(0, 10**6)), min_size=0, max_size=20)


@given(_minutes, st.integers(1, 599))
def test_sum_and_count_add_up_over_split_windows(points: list[tuple[int, int]], cut: int) -> None:
    records = [rec(f"k{i}", q, DAY0 + timedelta(minutes=m)) for i, (m, q) in enumerate(points)]
    middle, end = DAY0 + timedelta(minutes=cut), DAY0 + 10 * HOUR
    for kind in (Aggregation.SUM, Aggregation.COUNT, Aggregation.WEIGHTED_SUM):
        whole = aggregate(meter(kind), records, DAY0, end)
        left = aggregate(meter(kind), records, DAY0, middle)
        right = aggregate(
            meter(kind), records, middle, end, level_before=level_before(records, middle)
        )
        assert whole.events == left.events + right.events
        if kind is not Aggregation.WEIGHTED_SUM:
            assert whole.quantity == left.quantity + right.quantity
        else:  # each half is rounded to 6 places
            assert abs(whole.quantity - left.quantity - right.quantity) <= Decimal("0.000001")


@given(st.integers(0, 10**6), st.integers(1, 10_000))
def test_a_constant_level_weighs_level_times_hours(level: int, minutes: int) -> None:
    got = aggregate(
        meter(Aggregation.WEIGHTED_SUM),
        [],
        DAY0,
        DAY0 + timedelta(minutes=minutes),
        level_before=level,
    )
    exact = Decimal(level) * minutes / 60
    assert got.quantity == exact.quantize(Decimal("0.000001"), rounding=ROUND_HALF_UP)
