"""One seller's recurring invoices: templates kept, paused, resumed, ended, and generated.

``books.recurring.create(...)`` stores a template; ``generate_due()`` turns every due
period of every template into one invoice (see ``services.generation``), issued and
sent by the seller's settings unless the template leaves it as a draft for review.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from typing import Any, Literal

import attrs

from invoicekit.domain import checks, recurring
from invoicekit.domain.line import Line
from invoicekit.domain.recurring import IssueMode, RecurringTemplate, TemplateStatus
from invoicekit.domain.schedule import Schedule
from invoicekit.domain.terms import PaymentTerms
from invoicekit.errors import Problem, ValidationError, problem
from invoicekit.ports import Transaction
from invoicekit.records import TemplateRecord
from invoicekit.services import calls
from invoicekit.services import subscription_checks as sc
from invoicekit.services.generation import GenerationReport, Generator, IssueIn
from invoicekit.services.unit import Runner

__all__ = ["Recurring"]

#: The status each change leads to: a template already in it is returned as it is.
_REACHED = {
    "pause": TemplateStatus.PAUSED,
    "resume": TemplateStatus.ACTIVE,
    "end": TemplateStatus.ENDED,
}


def _schedule(
    schedule: object, start: object, end: object, count: object
) -> tuple[Schedule | None, list[Problem]]:
    """``schedule`` with ``start``, ``end`` and ``count`` applied, or the problems."""
    if not isinstance(schedule, Schedule):
        why = "must be a Schedule, e.g. Schedule.monthly(date(2026, 1, 1), 'Europe/Berlin')"
        return None, [problem("schedule", why, schedule)]
    found: list[Problem] = []
    for path, value in (("start", start), ("end", end)):
        if value is not None and (not isinstance(value, date) or isinstance(value, datetime)):
            found.append(problem(path, "must be a date (datetime.date), or None", value))
    if count is not None:
        found += checks.at_least("count", count)
    if found:
        return None, found
    changes: dict[str, Any] = {
        k: v for k, v in (("start", start), ("end", end), ("count", count)) if v is not None
    }
    try:
        return attrs.evolve(schedule, **changes), []
    except ValidationError as exc:
        return None, [attrs.evolve(p, path=f"schedule.{p.path}") for p in exc.problems]


class Recurring:
    """``books.recurring``: the seller's recurring invoice templates."""

    def __init__(
        self,
        runner: Runner,
        seller_id: str,
        new_id: Callable[[str], str],
        issue_in: IssueIn,
    ) -> None:
        self._run = runner
        self._seller_id = seller_id
        self._new_id = new_id
        self._generator = Generator(runner, seller_id, issue_in)

    def create(
        self,
        customer_id: str,
        *,
        schedule: Schedule,
        lines: Sequence[Line | Mapping[str, Any]],
        terms: PaymentTerms | None = None,
        memo: str | None = None,
        issue_mode: IssueMode | Literal["issue", "draft"] = "issue",
        start: date | None = None,
        end: date | None = None,
        count: int | None = None,
        currency: str | None = None,
        service_periods: bool = True,
        id: str | None = None,
        idempotency_key: str | None = None,
    ) -> RecurringTemplate:
        """Bill ``customer_id`` the ``lines`` on every period of ``schedule``.

        ``start``, ``end`` (exclusive) and ``count`` replace the schedule's own;
        ``currency`` defaults to the seller's. Every bad input is one ValidationError.
        """
        found = checks.lookup("customer_id", customer_id)
        found += checks.identifier("id", id, required=False)
        built, problems = _schedule(schedule, start, end, count)
        found += problems
        if currency is not None:
            found += checks.text("currency", currency, limit=3)
        checks.refuse(found, "recurring template")
        template_id = id or self._new_id("rec")

        def body(tx: Transaction, now: datetime) -> RecurringTemplate:
            seller = tx.sellers.get(self._seller_id)
            tx.customers.get(self._seller_id, customer_id)  # NotFoundError: not this seller's
            assert built is not None  # noqa: S101 - refused above otherwise
            template = RecurringTemplate.create(
                id=template_id,
                customer_id=customer_id,
                schedule=built,
                lines=lines,
                currency=currency or seller.currency,
                terms=terms,
                memo=memo,
                issue_mode=issue_mode,
                service_periods=service_periods,
            )
            tx.recurring.add(
                TemplateRecord(seller_id=self._seller_id, template=template, created_at=now)
            )
            return template

        call = calls.CreateRecurring(
            id=id,
            customer_id=customer_id,
            schedule=schedule,
            lines=list(lines) if isinstance(lines, Sequence) else lines,
            terms=terms,
            memo=memo,
            issue_mode=str(issue_mode),
            start=start,
            end=end,
            count=count,
            currency=currency,
            service_periods=service_periods,
        )
        return self._run.write(self._seller_id, call, body, RecurringTemplate, key=idempotency_key)

    def get(self, template_id: str) -> RecurringTemplate:
        """The template. Raises NotFoundError (also for another seller's)."""
        return self.progress(template_id).template

    def progress(self, template_id: str) -> TemplateRecord:
        """The stored template with its progress (last period handled, drafts to issue)."""
        checks.refuse(checks.lookup("template_id", template_id), "template")
        with self._run.read() as tx:
            return tx.recurring.get(self._seller_id, template_id)

    def list(
        self,
        *,
        customer_id: str | None = None,
        status: TemplateStatus | str | None = None,
        limit: int = 100,
        after: str | None = None,
    ) -> builtins.list[RecurringTemplate]:
        """The seller's templates ordered by id, ``limit`` at a time after id ``after``."""
        chosen = sc.listing(customer_id, status, TemplateStatus, limit, after)
        with self._run.read() as tx:
            records = tx.recurring.list(
                self._seller_id, customer_id=customer_id, status=chosen, limit=limit, after=after
            )
        return [r.template for r in records]

    def pause(self, template_id: str, *, at: datetime | None = None) -> RecurringTemplate:
        """Bill nothing from ``at`` (default: now) until resumed; periods in between are skipped."""
        return self._change(template_id, "pause", at)

    def resume(
        self, template_id: str, *, catch_up: bool = False, at: datetime | None = None
    ) -> RecurringTemplate:
        """Bill again from ``at`` (default: now); ``catch_up=True`` also bills the paused periods."""
        return self._change(template_id, "resume", at, catch_up=catch_up)

    def end(self, template_id: str, *, at: datetime | None = None) -> RecurringTemplate:
        """Bill nothing due at or after ``at`` (default: now), for good."""
        return self._change(template_id, "end", at)

    def _change(
        self, template_id: str, change: str, at: datetime | None, *, catch_up: bool = False
    ) -> RecurringTemplate:
        found = checks.lookup("template_id", template_id) + checks.flag("catch_up", catch_up)
        if at is not None and (not isinstance(at, datetime) or at.utcoffset() is None):
            found.append(problem("at", "must be a timezone-aware datetime, or None (now)", at))
        checks.refuse(found, "template")

        def body(tx: Transaction, now: datetime) -> RecurringTemplate:
            record = tx.recurring.get(self._seller_id, template_id, for_update=True)
            if record.template.status is _REACHED[change]:
                return record.template  # a repeat changes nothing
            when = at or now
            if change == "pause":
                template = recurring.pause(record.template, when)
            elif change == "resume":
                template = recurring.resume(record.template, when, catch_up_on_resume=catch_up)
            else:
                template = recurring.end(record.template, when)
            tx.recurring.save(
                attrs.evolve(record, template=template), expected_version=record.version
            )
            return template

        call = calls.ChangeRecurring(
            template_id=template_id, change=change, at=at, catch_up=catch_up
        )
        return self._run.write(self._seller_id, call, body)

    def generate_due(
        self, now: datetime | None = None, *, dry_run: bool = False
    ) -> GenerationReport:
        """Turn every due period of every template into one invoice, exactly once.

        ``now`` defaults to the clock's. Templates in issue mode have their invoices
        issued (``issue_many``'s fast path, in the page's transaction) and sent by the seller's ``send_on_issue``. Missed periods
        (an outage, a clock jump) are each generated once. ``dry_run=True`` changes
        nothing and reports what would be done.
        """
        found = checks.flag("dry_run", dry_run)
        if now is not None and (not isinstance(now, datetime) or now.utcoffset() is None):
            found.append(problem("now", "must be a timezone-aware datetime, or None", now))
        checks.refuse(found, "generation")
        return self._generator.generate_due(now or self._run.clock.now(), dry_run=dry_run)
