"""The steps a due plan is made of: what ``run_due`` will do, and what it skips and why.

Plain values, so a dry run can print them and the executor can perform them one by
one, each in its own transaction, after checking ``planning.still_applies``.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import attrs

from invoicekit.domain.dunning import LateFee, LateFeeMode
from invoicekit.domain.overdue import SkipReason
from invoicekit.domain.tax import Tax

__all__ = [
    "AddLateFee",
    "ChargeInvoice",
    "DuePlan",
    "DueStep",
    "GenerateOccurrence",
    "InvoiceStep",
    "MarkOverdueStep",
    "RetryCollection",
    "SendReminder",
    "Skip",
]


@attrs.frozen
class MarkOverdueStep:
    """Mark the invoice overdue: its due date ended in the seller's zone with a balance left."""

    invoice_id: str
    at: datetime


@attrs.frozen
class SendReminder:
    """Send the step's document (reminder or final notice) on the first usable channel of ``channels``."""

    invoice_id: str
    step: str
    kind: str
    channels: tuple[str, ...]
    at: datetime

    @property
    def key(self) -> str:
        """The message key without its channel: the same (invoice, step) is sent once."""
        return f"{self.invoice_id}:{self.kind}:{self.step}"


@attrs.frozen
class AddLateFee:
    """Charge the step's late fee: a line on a new invoice, or interest stated on the next reminder."""

    invoice_id: str
    step: str
    amount: Decimal
    currency: str
    mode: LateFeeMode
    tax: Tax
    description: str
    #: Days past the due date the fee was computed for (the step's days).
    days_overdue: int
    at: datetime
    #: The policy's fee, whose rate and rounding the interest mode computes with, day-exact,
    #: when performed; the fields above are what it amounts to, so equality leaves it out.
    late_fee: LateFee | None = attrs.field(default=None, eq=False)


@attrs.frozen
class ChargeInvoice:
    """Charge the customer's saved payment method for the balance: the first attempt (0)."""

    invoice_id: str
    at: datetime

    #: The first attempt; retries are ``RetryCollection`` 1, 2, ...
    attempt = 0


@attrs.frozen
class RetryCollection:
    """Charge the saved payment method again: retry ``attempt`` (1 is the first retry)."""

    invoice_id: str
    attempt: int
    at: datetime


@attrs.frozen
class GenerateOccurrence:
    """Generate the invoice of a recurring template for period ``period`` (an index from 0)."""

    template_id: str
    period: int
    at: datetime


@attrs.frozen
class Skip:
    """Something that was due and is not done now, with the reason; ``later``: when it may go."""

    subject_id: str
    reason: SkipReason
    step: str | None = None
    detail: str | None = None
    later: datetime | None = None


#: A step that acts on one invoice (``still_applies`` judges these).
InvoiceStep = MarkOverdueStep | SendReminder | AddLateFee | RetryCollection | ChargeInvoice
#: Anything a plan holds.
DueStep = (
    MarkOverdueStep
    | SendReminder
    | AddLateFee
    | RetryCollection
    | ChargeInvoice
    | GenerateOccurrence
    | Skip
)


@attrs.frozen
class DuePlan:
    """What is due at ``at``: ``steps`` in the order to perform them, skips included."""

    at: datetime
    steps: tuple[DueStep, ...] = ()

    @property
    def actions(self) -> tuple[DueStep, ...]:
        """The steps to perform (everything but the skips)."""
        return tuple(s for s in self.steps if not isinstance(s, Skip))

    @property
    def skipped(self) -> tuple[Skip, ...]:
        """What was due and is not done now, each with its reason."""
        return tuple(s for s in self.steps if isinstance(s, Skip))
