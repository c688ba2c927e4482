"""Recurring invoice templates: what to bill a customer on every period of a schedule.

A template is a value: pausing, resuming and ending return new templates, and
``occurrences`` says which periods are due at an instant (and which are skipped
because the template was paused). Storing templates and issuing the invoices is
the services' job.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from enum import StrEnum
from typing import Any, Final

import attrs

from invoicekit.domain import checks
from invoicekit.domain.line import Line, ServicePeriod, build_lines
from invoicekit.domain.placeholders import english_month, placeholder_problems, render
from invoicekit.domain.schedule import BillingPeriod, Schedule, due_periods
from invoicekit.domain.terms import PaymentTerms
from invoicekit.errors import Problem, ValidationError, problem
from invoicekit.money import check_currency

__all__ = [
    "IssueMode",
    "Occurrence",
    "Pause",
    "RecurringTemplate",
    "TemplateStatus",
    "end",
    "pause",
    "resume",
]

_MAX_MEMO: Final = 1000


class IssueMode(StrEnum):
    """What happens to each occurrence's invoice."""

    #: Issued (numbered) and sent by the seller's settings.
    ISSUE = "issue"
    #: Left as a draft for someone to review and issue.
    DRAFT = "draft"


class TemplateStatus(StrEnum):
    """Whether a template still bills."""

    #: Bills every period.
    ACTIVE = "active"
    #: Bills nothing until resumed.
    PAUSED = "paused"
    #: Bills nothing billed after the end; final.
    ENDED = "ended"


@attrs.frozen
class Pause:
    """Bills falling at or after ``start`` and before ``end`` are skipped (``end`` None: still paused)."""

    start: datetime
    end: datetime | None = None

    def covers(self, at: datetime) -> bool:
        """True when a bill at ``at`` falls inside this pause."""
        return self.start <= at and (self.end is None or at < self.end)


@attrs.frozen
class Occurrence:
    """One due period of a template: its lines, or why it is skipped (then it has no lines)."""

    period: BillingPeriod
    bill_at: datetime
    lines: tuple[Line, ...]
    skipped: str | None = None


def _aware(path: str, value: object) -> list[Problem]:
    if isinstance(value, datetime) and value.utcoffset() is not None:
        return []
    return [problem(path, "must be a timezone-aware datetime (e.g. tzinfo=UTC)", value)]


def _mapping_line(
    item: Mapping[str, Any], index: int, currency: str
) -> tuple[Mapping[str, Any], list[Problem]]:
    """A mapping line without its ``currency``, which must be the template's."""
    if "currency" not in item:
        return item, []
    rest = {k: v for k, v in item.items() if k != "currency"}
    if item["currency"] != currency:
        why = f"must be the template's currency {currency!r}; a template bills in one currency"
        return rest, [problem(f"lines[{index}].currency", why, item["currency"])]
    return rest, []


def _lines(items: object, currency: str) -> tuple[tuple[Line, ...], list[Problem]]:
    items = checks.plural(items)
    if not isinstance(items, tuple) or not items:
        return (), [problem("lines", "needs at least one Line (or mapping of its fields)", items)]
    found: list[Problem] = []
    plain: list[Line | Mapping[str, Any]] = []
    for i, item in enumerate(items):
        if isinstance(item, Mapping):
            rest, wrong = _mapping_line(item, i, currency)
            found += wrong
            plain.append(rest)
        else:
            plain.append(item)
    built, problems = build_lines(plain)
    found += problems
    for i, line in enumerate(built if not problems else ()):
        found += placeholder_problems(f"lines[{i}].description", line.description)
    return built, found


@attrs.frozen(kw_only=True)
class RecurringTemplate:
    """Bill ``customer_id`` the ``lines`` on every period of ``schedule``; build with ``create``."""

    id: str
    customer_id: str
    schedule: Schedule
    lines: tuple[Line, ...]
    currency: str
    #: None: the seller's default terms.
    terms: PaymentTerms | None = None
    memo: str | None = None
    issue_mode: IssueMode = IssueMode.ISSUE
    #: Put each billing period on the lines as their service period (EN 16931 BG-26).
    service_periods: bool = True
    status: TemplateStatus = TemplateStatus.ACTIVE
    pauses: tuple[Pause, ...] = ()
    ended_at: datetime | None = None

    @classmethod
    def create(
        cls,
        *,
        id: str,
        customer_id: str,
        schedule: Schedule,
        lines: Iterable[Line | Mapping[str, Any]],
        currency: str,
        terms: PaymentTerms | None = None,
        memo: str | None = None,
        issue_mode: IssueMode | str = IssueMode.ISSUE,
        service_periods: bool = True,
    ) -> RecurringTemplate:
        """Check everything at once; one ValidationError lists every problem with its path."""
        found = checks.identifier("id", id) + checks.identifier("customer_id", customer_id)
        found += checks.instance("schedule", schedule, Schedule, "a Schedule")
        try:
            check_currency(currency)
        except ValidationError as exc:
            found += exc.problems
        built, line_problems = _lines(lines, currency)
        found += line_problems
        found += checks.stored_terms("terms", terms)
        found += checks.text("memo", memo, limit=_MAX_MEMO, required=False, one_line=False)
        mode = issue_mode
        if isinstance(issue_mode, str) and issue_mode in {m.value for m in IssueMode}:
            mode = IssueMode(issue_mode)
        found += checks.instance("issue_mode", mode, IssueMode, "'issue' or 'draft' (for review)")
        found += checks.flag("service_periods", service_periods)
        checks.refuse(found, "recurring template")
        return cls(
            id=id,
            customer_id=customer_id,
            schedule=schedule,
            lines=built,
            currency=currency,
            terms=terms,
            memo=memo,
            issue_mode=IssueMode(mode),
            service_periods=service_periods,
        )

    def lines_for(
        self, period: BillingPeriod, month_name: Callable[[int], str] = english_month
    ) -> tuple[Line, ...]:
        """The lines billed for ``period``: placeholders filled, the service period set."""
        service = ServicePeriod(period.start, period.last_day) if self.service_periods else None
        built: list[Line] = []
        for line in self.lines:
            text = render(line.description, period, month_name)
            if text != line.description:  # a new description is checked as any line's is
                built.append(attrs.evolve(line, description=text, period=service or line.period))
            elif self.service_periods:
                built.append(_with_period(line, service))
            else:
                built.append(line)
        return tuple(built)

    def occurrences(
        self,
        last_billed_index: int | None,
        now: datetime,
        *,
        month_name: Callable[[int], str] = english_month,
        limit: int | None = None,
    ) -> list[Occurrence]:
        """The periods due at ``now`` after ``last_billed_index``, in order, each exactly once.

        A period billed while the template was paused comes back skipped (record it as
        handled); nothing at or after an open pause or the end comes back at all.
        """
        found: list[Occurrence] = []
        for period in due_periods(self.schedule, last_billed_index, now, limit=limit):
            at = self.schedule.bill_at(period)
            if self.ended_at is not None and at >= self.ended_at:
                break
            pause = next((p for p in self.pauses if p.covers(at)), None)
            if pause is not None and pause.end is None:
                break  # wait: resuming decides whether this period is billed
            if pause is not None:
                found.append(Occurrence(period, at, (), skipped="paused"))
            else:
                found.append(Occurrence(period, at, self.lines_for(period, month_name)))
        return found


def _with_period(line: Line, period: ServicePeriod | None) -> Line:
    """``line`` with another service period: the rest was checked already, so is not again."""
    copied = copy.copy(line)
    object.__setattr__(copied, "period", period)  # a fresh copy: frozen for everyone else
    return copied


def _refuse_status(template: RecurringTemplate, action: str, allowed: set[TemplateStatus]) -> None:
    if template.status not in allowed:
        names = ", ".join(sorted(allowed))
        why = f"cannot {action} a template that is {template.status}; allowed when: {names}"
        raise ValidationError([problem("status", why, template.status)], subject="template")


def _check_at(template: RecurringTemplate, at: datetime) -> None:
    found = _aware("at", at)
    latest = max((p.end or p.start for p in template.pauses), default=None)
    if not found and latest is not None and at < latest:
        found.append(problem("at", f"must not be before the last pause or resume {latest}", at))
    checks.refuse(found, "template")


def pause(template: RecurringTemplate, at: datetime) -> RecurringTemplate:
    """Stop billing from ``at`` on; periods billed while paused are skipped unless caught up."""
    _refuse_status(template, "pause", {TemplateStatus.ACTIVE})
    _check_at(template, at)
    return attrs.evolve(
        template, status=TemplateStatus.PAUSED, pauses=(*template.pauses, Pause(at))
    )


def resume(
    template: RecurringTemplate, at: datetime, *, catch_up_on_resume: bool = False
) -> RecurringTemplate:
    """Bill again from ``at``; ``catch_up_on_resume=True`` also bills the periods paused over."""
    _refuse_status(template, "resume", {TemplateStatus.PAUSED})
    _check_at(template, at)
    checks.refuse(checks.flag("catch_up_on_resume", catch_up_on_resume), "template")
    *earlier, current = template.pauses
    pauses = tuple(earlier) if catch_up_on_resume else (*earlier, Pause(current.start, at))
    return attrs.evolve(template, status=TemplateStatus.ACTIVE, pauses=pauses)


def end(template: RecurringTemplate, at: datetime) -> RecurringTemplate:
    """Bill nothing due at or after ``at``, for good (periods due before it are still billed)."""
    _refuse_status(template, "end", {TemplateStatus.ACTIVE, TemplateStatus.PAUSED})
    _check_at(template, at)
    return attrs.evolve(template, status=TemplateStatus.ENDED, ended_at=at)
