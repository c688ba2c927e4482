"""What ``run_due`` did, skipped and why, per invoice: the value it returns (also for a dry run)."""

from __future__ import annotations

from datetime import datetime
from typing import Final, Literal

import attrs

from invoicekit.domain.due_steps import (
    AddLateFee,
    ChargeInvoice,
    DueStep,
    GenerateOccurrence,
    MarkOverdueStep,
    RetryCollection,
    SendReminder,
    Skip,
)
from invoicekit.services.generation import GenerationReport

__all__ = ["DueEntry", "DueReport", "Outcome", "action_of", "generation_entries"]

#: ``planned``: a dry run's step; ``done``: performed now; ``skipped``: not done, see ``reason``.
Outcome = Literal["planned", "done", "skipped"]


#: The report's action name of each step type (a reminder step's is its kind).
_ACTIONS: Final[dict[type, str]] = {
    MarkOverdueStep: "mark_overdue",
    AddLateFee: "late_fee",
    RetryCollection: "retry_collection",
    ChargeInvoice: "charge",
    GenerateOccurrence: "generate",
}


def action_of(step: DueStep) -> str:
    """The step's action name as the report shows it."""
    if isinstance(step, SendReminder):
        return step.kind
    return _ACTIONS.get(type(step), "skip")


@attrs.frozen
class DueEntry:
    """One line of the report: what happened to one step of one invoice (or template), and why."""

    seller_id: str
    subject_id: str
    action: str
    outcome: Outcome
    step: str | None = None
    reason: str | None = None
    #: What the step made: the late fee's invoice id, the reminder's message keys.
    made: tuple[str, ...] = ()

    def __str__(self) -> str:
        """One line: outcome, action, step and reason, e.g. ``skipped reminder d+7: paid``."""
        words = " ".join(w for w in (self.outcome, self.action, self.step) if w)
        return f"{words}: {self.reason}" if self.reason else words


@attrs.frozen
class DueReport:
    """What ``run_due`` did at ``at``: every entry in the order performed; ``dry_run``: nothing written."""

    at: datetime
    dry_run: bool
    entries: tuple[DueEntry, ...] = ()

    @property
    def done(self) -> tuple[DueEntry, ...]:
        """The steps performed now."""
        return tuple(e for e in self.entries if e.outcome == "done")

    @property
    def skipped(self) -> tuple[DueEntry, ...]:
        """What was due and not done, each with its reason."""
        return tuple(e for e in self.entries if e.outcome == "skipped")

    @property
    def planned(self) -> tuple[DueEntry, ...]:
        """A dry run's steps: what a real run would do now."""
        return tuple(e for e in self.entries if e.outcome == "planned")

    def for_invoice(self, invoice_id: str) -> tuple[DueEntry, ...]:
        """The entries about one invoice."""
        return tuple(e for e in self.entries if e.subject_id == invoice_id)


def skipped_entry(seller_id: str, skip: Skip) -> DueEntry:
    """The report's entry for a planner's ``Skip``."""
    why = skip.reason.value + (f": {skip.detail}" if skip.detail else "")
    if skip.later is not None:
        why += f" (may go at {skip.later.isoformat()})"
    return DueEntry(seller_id, skip.subject_id, "skip", "skipped", step=skip.step, reason=why)


def generation_entries(report: GenerationReport) -> list[DueEntry]:
    """The report's entries for what ``recurring_due`` generated, issued and skipped."""
    outcome: Outcome = "planned" if report.dry_run else "done"
    entries = [
        DueEntry(
            g.seller_id,
            g.template_id,
            "generate",
            outcome,
            step=f"period {g.period_index}",
            made=(g.invoice_id,),
        )
        for g in report.generated
    ]
    entries += [
        DueEntry(
            s.seller_id,
            s.template_id,
            "generate",
            "skipped",
            step=None if s.period_index is None else f"period {s.period_index}",
            reason=s.reason,
        )
        for s in report.skipped
    ]
    return entries
