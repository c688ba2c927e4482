"""Recurring templates: checked creation, placeholders, service periods, pause/resume/end."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any

import pytest

from invoicekit.domain.line import Line, ServicePeriod
from invoicekit.domain.recurring import (
    IssueMode,
    RecurringTemplate,
    TemplateStatus,
    end,
    pause,
    resume,
)
from invoicekit.domain.schedule import Schedule
from invoicekit.domain.tax import Vat
from invoicekit.domain.terms import NetDays
from invoicekit.errors import ValidationError

NOW = datetime(2026, 3, 1, tzinfo=UTC)


def _template(**fields: Any) -> RecurringTemplate:
    values: dict[str, Any] = {
        "id": "tmpl_globex",
        "customer_id": "globex",
        "schedule": Schedule.monthly(date(2026, 1, 1), "Europe/Berlin"),
        "lines": [Line("Retainer {month_name} {year}", 1, "1500.00", tax=Vat("19"))],
        "currency": "EUR",
        "terms": NetDays(14),
    }
    return RecurringTemplate.create(**{**values, **fields})


def _at(month: int, day: int = 15) -> datetime:
    return datetime(2026, month, day, 12, tzinfo=UTC)


def test_occurrences_fill_placeholders_and_service_periods() -> None:
    template = _template(
        lines=[Line("Retainer {month}/{year}: {period_start} to {period_end}", 1, 1, tax=Vat("19"))]
    )
    found = template.occurrences(None, NOW)
    assert [o.period.index for o in found] == [0, 1, 2]
    february = found[1].lines[0]
    assert february.description == "Retainer 02/2026: 2026-02-01 to 2026-02-28"
    assert february.period == ServicePeriod(date(2026, 2, 1), date(2026, 2, 28))
    assert found[1].bill_at == datetime(2026, 2, 1, tzinfo=found[1].bill_at.tzinfo)
    assert all(o.skipped is None for o in found)


def test_month_names_come_from_the_callers_formatter() -> None:
    german = ("Januar", "Februar", "März")
    found = _template().occurrences(None, NOW, month_name=lambda m: german[m - 1])
    assert [o.lines[0].description for o in found] == [
        "Retainer Januar 2026",
        "Retainer Februar 2026",
        "Retainer März 2026",
    ]
    assert _template().occurrences(1, NOW)[0].lines[0].description == "Retainer March 2026"


def test_literal_braces_and_lines_without_service_periods() -> None:
    template = _template(
        lines=[Line("Support {{premium}} {year}", 1, 1, tax=Vat("19"))], service_periods=False
    )
    line = template.occurrences(None, NOW)[0].lines[0]
    assert line.description == "Support {premium} 2026"
    assert line.period is None


@pytest.mark.parametrize(
    ("description", "words"),
    [
        ("Retainer {monthname}", "unknown placeholder {monthname}"),
        ("Retainer {0}", "unknown placeholder {0}"),
        ("Retainer {}", "unknown placeholder {}"),
        ("Retainer {month:>3}", "without a format"),
        ("Retainer {month!r}", "without a format"),
        ("Retainer {month", "malformed braces"),
        ("Retainer month}", "malformed braces"),
    ],
)
def test_bad_placeholders_are_refused_at_creation(description: str, words: str) -> None:
    ok = Line("fine", 1, 1, tax=Vat("19"))
    with pytest.raises(ValidationError) as caught:
        _template(lines=[ok, Line(description, 1, 1, tax=Vat("19"))])
    assert caught.value.paths == ("lines[1].description",)
    assert words in str(caught.value)


def test_every_bad_field_is_listed_with_its_path() -> None:
    wrong_currency: Mapping[str, Any] = {
        "description": "Hosting",
        "quantity": 1,
        "unit_price": "10.00",
        "tax": Vat("19"),
        "currency": "USD",
    }
    with pytest.raises(ValidationError) as caught:
        _template(
            id="",
            customer_id=None,
            schedule="monthly",
            lines=[wrong_currency],
            currency="eur",
            issue_mode="review",
            service_periods="yes",
            memo="x" * 1001,
        )
    assert set(caught.value.paths) == {
        "id",
        "customer_id",
        "schedule",
        "currency",
        "lines[0].currency",
        "issue_mode",
        "service_periods",
        "memo",
    }


def test_a_line_in_another_currency_is_refused() -> None:
    line = {"description": "Hosting", "quantity": 1, "unit_price": "10", "tax": Vat("19")}
    with pytest.raises(ValidationError) as caught:
        _template(lines=[{**line, "currency": "USD"}])
    assert caught.value.paths == ("lines[0].currency",)
    same = _template(lines=[{**line, "currency": "EUR"}])
    assert same.lines[0].description == "Hosting"


def test_lines_are_required_and_terms_must_be_storable() -> None:
    with pytest.raises(ValidationError) as caught:
        _template(lines=[], terms=object())
    assert set(caught.value.paths) == {"lines", "terms"}


def test_draft_mode_is_kept() -> None:
    assert _template(issue_mode="draft").issue_mode is IssueMode.DRAFT


def test_paused_periods_are_skipped_not_billed_later() -> None:
    template = pause(_template(), _at(3))
    assert template.status is TemplateStatus.PAUSED
    # While paused nothing past the pause comes back (resuming decides their fate).
    assert [o.period.index for o in template.occurrences(1, _at(7))] == [2]
    resumed = resume(template, _at(6))
    found = resumed.occurrences(2, _at(7))
    assert [(o.period.index, o.skipped) for o in found] == [
        (3, "paused"),
        (4, "paused"),
        (5, "paused"),
        (6, None),
    ]
    assert found[0].lines == ()


def test_catch_up_on_resume_bills_the_paused_periods() -> None:
    resumed = resume(pause(_template(), _at(3)), _at(6), catch_up_on_resume=True)
    found = resumed.occurrences(2, _at(7))
    assert [(o.period.index, o.skipped) for o in found] == [(i, None) for i in (3, 4, 5, 6)]
    assert found[0].lines[0].description == "Retainer April 2026"


def test_end_stops_billing_for_good() -> None:
    ended = end(_template(), _at(4))
    assert ended.status is TemplateStatus.ENDED
    assert [o.period.index for o in ended.occurrences(None, _at(9))] == [0, 1, 2, 3]
    with pytest.raises(ValidationError, match="cannot resume a template that is ended"):
        resume(ended, _at(5))


def test_state_changes_are_checked() -> None:
    template = _template()
    with pytest.raises(ValidationError, match="cannot resume a template that is active"):
        resume(template, _at(3))
    paused = pause(template, _at(3))
    with pytest.raises(ValidationError, match="cannot pause a template that is paused"):
        pause(paused, _at(4))
    with pytest.raises(ValidationError) as caught:
        resume(paused, _at(2))
    assert caught.value.paths == ("at",)
    with pytest.raises(ValidationError) as caught:
        pause(template, datetime(2026, 3, 1))  # noqa: DTZ001 - the naive input under test
    assert caught.value.paths == ("at",)
    assert template.status is TemplateStatus.ACTIVE  # values: nothing changed in place
