"""The dunning policy: its checks (every problem with its path), overrides, late fees and send times."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from invoicekit.domain.dunning import (
    DunningPolicy,
    LateFee,
    LateFeeMode,
    PolicyOverride,
    QuietHours,
    Step,
    resolve,
)
from invoicekit.domain.send_window import allowed, next_allowed, step_moment
from invoicekit.domain.tax import TaxCategory
from invoicekit.errors import ValidationError
from invoicekit.money import Rounding

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
TOKYO = ZoneInfo("Asia/Tokyo")


def paths(exc: pytest.ExceptionInfo[ValidationError]) -> list[str]:
    return [p.path for p in exc.value.problems]


def test_the_default_policy_is_the_issues_example() -> None:
    policy = DunningPolicy()
    assert [s.name for s in policy.steps] == ["d-3", "d0", "d+3", "d+7", "d+14"]
    assert policy.steps[-1].kind == "final_notice"
    assert policy.channels == ("email",)
    assert policy.retry_days == (1, 3, 7)
    assert policy.step("d+7") == Step(days=7)
    assert policy.step("d+99") is None


def test_a_step_can_be_named() -> None:
    assert Step(days=7, name="first-warning").name == "first-warning"


@pytest.mark.parametrize(
    ("steps", "path", "words"),
    [
        ([Step(3), Step(-3)], "steps[1].days", "increasing order"),
        ([Step(3), Step(3, name="again")], "steps[1].days", "duplicates"),
        ([Step(3), Step(5, name="d+3")], "steps[1].name", "unique"),
        (
            [Step(3, kind="final_notice"), Step(5, kind="final_notice")],
            "steps[1].kind",
            "only one final notice",
        ),
        ([Step(14, kind="final_notice"), Step(20)], "steps[0].kind", "must be the last"),
        (["d+3"], "steps[0]", "must be a Step"),
    ],
)
def test_bad_steps_are_refused_with_their_path(steps: list[Step], path: str, words: str) -> None:
    with pytest.raises(ValidationError) as exc:
        DunningPolicy(steps=steps)
    assert path in paths(exc)
    assert words in str(exc.value)


@pytest.mark.parametrize(
    ("kwargs", "path", "words"),
    [
        ({"days": 1000}, "days", "from -365 to 365"),
        ({"days": -400}, "days", "from -365 to 365"),
        ({"days": True}, "days", "integer"),
        ({"days": 3, "kind": "invoice"}, "kind", "allowed: reminder, final_notice"),
        ({"days": 3, "name": "a:b"}, "name", "without ':'"),
        ({"days": 3, "name": ""}, "name", "printable"),
        ({"days": 0, "late_fee": LateFee(fixed={"EUR": "5.00"})}, "late_fee", "days > 0"),
    ],
)
def test_a_bad_step_is_refused_with_its_path(
    kwargs: dict[str, object], path: str, words: str
) -> None:
    with pytest.raises(ValidationError) as exc:
        Step(**kwargs)  # type: ignore[arg-type]
    assert path in paths(exc)
    assert words in str(exc.value)


@pytest.mark.parametrize(
    ("kwargs", "path", "words"),
    [
        ({"channels": ["email", "fax"]}, "channels[1]", "allowed: email, sms, webhook, in_app"),
        ({"channels": []}, "channels", "non-empty"),
        ({"channels": ["sms", "sms"]}, "channels", "twice"),
        ({"retry_days": [3, 1]}, "retry_days[1]", "greater than the one before (3)"),
        ({"retry_days": [1, 1]}, "retry_days[1]", "greater than the one before"),
        ({"retry_days": [0]}, "retry_days[0]", "from 1 to 90"),
        ({"retry_days": [1, 400]}, "retry_days[1]", "from 1 to 90"),
        ({"send_at": "09:00"}, "send_at", "datetime.time"),
        ({"send_at": time(9, tzinfo=UTC)}, "send_at", "without tzinfo"),
        ({"skip_weekends": "yes"}, "skip_weekends", "True or False"),
    ],
)
def test_bad_settings_are_refused_with_their_path(
    kwargs: dict[str, object], path: str, words: str
) -> None:
    with pytest.raises(ValidationError) as exc:
        DunningPolicy(**kwargs)  # type: ignore[arg-type]
    assert path in paths(exc)
    assert words in str(exc.value)


def test_every_problem_is_listed_at_once() -> None:
    with pytest.raises(ValidationError) as exc:
        DunningPolicy(steps=[Step(3), Step(1)], channels=["fax"], retry_days=[2, 2])
    assert paths(exc) == ["steps[1].days", "channels[0]", "retry_days[1]"]


def test_quiet_hours_that_cover_the_whole_day_are_refused() -> None:
    with pytest.raises(ValidationError, match=r"end: quiet hours would cover the whole day"):
        QuietHours(time(8), time(8))


def test_quiet_hours_may_span_midnight() -> None:
    night = QuietHours(time(21), time(8))
    assert night.covers(time(23))
    assert night.covers(time(0))
    assert night.covers(time(7, 59))
    assert not night.covers(time(8))
    assert not night.covers(time(20, 59))
    lunch = QuietHours(time(12), time(14))
    assert lunch.covers(time(12))
    assert not lunch.covers(time(14))
    assert not lunch.covers(time(11))


def test_a_customer_override_replaces_only_what_it_sets() -> None:
    seller = DunningPolicy(channels=["email"], send_at=time(9))
    mine = resolve(seller, PolicyOverride(channels=["sms", "email"]))
    assert mine.channels == ("sms", "email")
    assert mine.send_at == time(9)
    assert mine.steps == seller.steps
    assert resolve(seller, None) is seller
    whole = DunningPolicy(steps=[Step(10)])
    assert resolve(seller, whole) is whole


def test_an_override_that_breaks_the_policy_is_refused() -> None:
    with pytest.raises(ValidationError) as exc:
        resolve(DunningPolicy(), PolicyOverride(channels=["pigeon"]))
    assert paths(exc) == ["channels[0]"]
    with pytest.raises(ValidationError, match="customer_policy"):
        resolve(DunningPolicy(), {"channels": ["sms"]})  # type: ignore[arg-type]


def test_a_fixed_fee_is_per_currency() -> None:
    fee = LateFee(fixed={"EUR": "40.00", "JPY": "5000"})
    assert fee.amount(Decimal("1000.00"), "EUR", 7) == Decimal("40.00")
    assert fee.amount(Decimal(100000), "JPY", 7) == Decimal(5000)
    assert fee.amount(Decimal("1000.00"), "USD", 7) is None
    assert fee.mode is LateFeeMode.NEW_INVOICE


def test_interest_is_simple_per_day_and_rounded_explicitly() -> None:
    # 1,000.00 x 8 % x 7 / 365 = 1.5342... EUR
    fee = LateFee(annual_rate="8", mode=LateFeeMode.INTEREST)
    assert fee.amount(Decimal("1000.00"), "EUR", 7) == Decimal("1.53")
    up = LateFee(annual_rate="8", rounding=Rounding.UP)
    assert up.amount(Decimal("1000.00"), "EUR", 7) == Decimal("1.54")
    assert fee.amount(Decimal(100000), "JPY", 30) == Decimal(658)  # 657.53 -> 658
    assert fee.amount(Decimal("1000.00"), "KWD", 365) == Decimal("80.000")


def test_a_late_fee_is_outside_the_scope_of_vat_by_default() -> None:
    tax = LateFee(annual_rate="8").tax
    assert tax.category is TaxCategory.OUTSIDE_SCOPE
    assert tax.exemption_code == "VATEX-EU-O"
    assert tax.exemption_reason
    assert "outside the scope of VAT" in tax.exemption_reason


@pytest.mark.parametrize(
    ("kwargs", "path"),
    [
        ({}, "fixed"),
        ({"fixed": {"EUR": "5.00"}, "annual_rate": "8"}, "fixed"),
        ({"fixed": {"EUR": "5.001"}}, "fixed['EUR']"),
        ({"fixed": {"EUR": "-5.00"}}, "fixed['EUR']"),
        ({"fixed": {"eur": "5.00"}}, "fixed['eur']"),
        ({"fixed": {"EUR": 5.0}}, "fixed['EUR']"),
        ({"annual_rate": "0"}, "annual_rate"),
        ({"annual_rate": "250"}, "annual_rate"),
        ({"annual_rate": 8.5}, "annual_rate"),
        ({"annual_rate": "8", "mode": "later"}, "mode"),
        ({"annual_rate": "8", "tax": "O"}, "tax"),
    ],
)
def test_a_bad_late_fee_is_refused_with_its_path(kwargs: dict[str, object], path: str) -> None:
    with pytest.raises(ValidationError) as exc:
        LateFee(**kwargs)  # type: ignore[arg-type]
    assert path in paths(exc)


def test_a_step_goes_out_at_the_send_time_on_the_customers_clock() -> None:
    policy = DunningPolicy(send_at=time(9))
    moment = step_moment(date(2026, 3, 10), policy, NEW_YORK, BERLIN)  # a Tuesday
    assert moment == datetime(2026, 3, 10, 9, tzinfo=NEW_YORK)


def test_a_step_is_never_before_its_day_in_the_sellers_books() -> None:
    # 09:00 in Tokyo on the 10th is still the 9th in New York: the next 09:00 in Tokyo it is.
    moment = step_moment(date(2026, 3, 10), DunningPolicy(), TOKYO, NEW_YORK)
    assert moment == datetime(2026, 3, 11, 9, tzinfo=TOKYO)
    assert moment.astimezone(NEW_YORK).date() == date(2026, 3, 10)
    # 09:00 in Tokyo on the 10th is 01:00 on the 10th in Berlin: that day it is.
    assert step_moment(date(2026, 3, 10), DunningPolicy(), TOKYO, BERLIN).day == 10


def test_a_weekend_step_moves_to_monday_at_the_send_time() -> None:
    moment = step_moment(date(2026, 3, 7), DunningPolicy(), BERLIN, BERLIN)  # a Saturday
    assert moment == datetime(2026, 3, 9, 9, tzinfo=BERLIN)
    weekends_ok = DunningPolicy(skip_weekends=False)
    assert step_moment(date(2026, 3, 7), weekends_ok, BERLIN, BERLIN).day == 7


def test_a_step_in_quiet_hours_moves_to_their_end() -> None:
    policy = DunningPolicy(send_at=time(7), quiet_hours=QuietHours(time(21), time(8)))
    assert step_moment(date(2026, 3, 10), policy, BERLIN, BERLIN) == datetime(
        2026, 3, 10, 8, tzinfo=BERLIN
    )
    late = DunningPolicy(send_at=time(22), quiet_hours=QuietHours(time(21), time(8)))
    # Friday 22:00 is quiet until Saturday 08:00, a weekend: Monday at the send time, still quiet,
    # so Monday 08:00... no: Monday 22:00 is quiet too, so Tuesday 08:00.
    assert step_moment(date(2026, 3, 13), late, BERLIN, BERLIN) == datetime(
        2026, 3, 17, 8, tzinfo=BERLIN
    )


def test_a_send_time_in_the_spring_forward_gap_is_the_instant_it_names() -> None:
    policy = DunningPolicy(send_at=time(2, 30), skip_weekends=False)
    moment = step_moment(date(2026, 3, 29), policy, BERLIN, BERLIN)  # clocks go 02:00 -> 03:00
    assert moment.astimezone(BERLIN).time() == time(3, 30)
    assert moment == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)


def test_next_allowed_leaves_an_allowed_moment_alone() -> None:
    policy = DunningPolicy(quiet_hours=QuietHours(time(21), time(8)))
    tuesday_noon = datetime(2026, 3, 10, 12, tzinfo=BERLIN)
    assert allowed(tuesday_noon, policy, BERLIN)
    assert next_allowed(tuesday_noon, policy, BERLIN) == tuesday_noon
    tuesday_night = datetime(2026, 3, 10, 23, tzinfo=BERLIN)
    assert not allowed(tuesday_night, policy, BERLIN)
    assert next_allowed(tuesday_night, policy, BERLIN) == datetime(2026, 3, 11, 8, tzinfo=BERLIN)


def test_an_ambiguous_send_time_is_its_first_occurrence() -> None:
    policy = DunningPolicy(send_at=time(2, 30), skip_weekends=False)
    moment = step_moment(date(2026, 10, 25), policy, BERLIN, BERLIN)  # clocks go 03:00 -> 02:00
    # (compared in UTC: PEP 495 makes an ambiguous time unequal to every other zone's)
    assert moment.astimezone(UTC) == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)  # 02:30 CEST
