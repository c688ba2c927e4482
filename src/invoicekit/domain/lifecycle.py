"""Invoice status rules: the one owner of the lifecycle.

``ALLOWED`` is the table of which action each status accepts; ``apply`` checks
it, runs the command's handler (``handle_*.py``, each declaring the statuses it
can lead to), whose guards refuse what the table alone cannot (no void after a
payment, no overdue before the due date, ...), and returns the new invoice with
the events that describe the change. A refused action raises
``InvalidTransitionError`` and changes nothing. The commands are in
``commands.py`` and re-exported here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Final, NoReturn

import attrs

from invoicekit.domain import handle_closing, handle_disputes, handle_drafts, handle_payments
from invoicekit.domain.commands import (
    CREDIT_METHOD,
    ApplyCredit,
    Command,
    Credit,
    Delete,
    DisputePayment,
    Edit,
    FailCollection,
    FailPayment,
    Issue,
    MarkOverdue,
    PayWithCredit,
    RecordPayment,
    RefundPayment,
    ResolveDispute,
    Send,
    SettlePayment,
    Void,
    WriteOff,
)
from invoicekit.domain.handle_payments import refundable
from invoicekit.domain.handling import Handler, Refused, Transition
from invoicekit.domain.invoice import Invoice
from invoicekit.domain.status import Action, Status
from invoicekit.errors import (
    InvalidTransitionError,
    PaymentNotAllowedError,
    ValidationError,
    problem,
)

__all__ = [
    "ALLOWED",
    "CREDIT_METHOD",
    "Action",
    "ApplyCredit",
    "Command",
    "Credit",
    "Delete",
    "DisputePayment",
    "Edit",
    "FailCollection",
    "FailPayment",
    "Issue",
    "MarkOverdue",
    "PayWithCredit",
    "RecordPayment",
    "RefundPayment",
    "ResolveDispute",
    "Send",
    "SettlePayment",
    "Status",
    "Void",
    "WriteOff",
    "apply",
    "outcomes",
    "refundable",
    "transitions",
]

_A = Action
_OPEN: Final = frozenset(
    {
        _A.SEND,
        _A.RECORD_PAYMENT,
        _A.SETTLE_PAYMENT,
        _A.FAIL_PAYMENT,
        _A.FAIL_COLLECTION,
        _A.REFUND,
        _A.DISPUTE,
        _A.RESOLVE_DISPUTE,
        _A.MARK_OVERDUE,
        _A.VOID,
        _A.WRITE_OFF,
        _A.CREDIT,
    }
)

_SETTLED: Final = frozenset(
    {
        _A.SEND,
        _A.RECORD_PAYMENT,
        _A.SETTLE_PAYMENT,
        _A.FAIL_PAYMENT,
        _A.REFUND,
        _A.DISPUTE,
        _A.RESOLVE_DISPUTE,
        _A.CREDIT,
    }
)

#: The lifecycle table: the actions each status accepts. Guards refine it
#: (void needs no payments, mark_overdue needs a passed due date and a balance).
ALLOWED: Final[Mapping[Status, frozenset[Action]]] = {
    Status.DRAFT: frozenset({_A.EDIT, _A.DELETE, _A.ISSUE}),
    Status.PENDING: _OPEN,
    Status.PARTIALLY_PAID: _OPEN - {_A.VOID},
    Status.OVERDUE: _OPEN - {_A.MARK_OVERDUE},
    Status.FAILED: _OPEN,
    # A payment on a paid invoice (a duplicate transfer) is recorded as customer credit:
    # money that arrived is never refused by the ledger. Only a paid invoice holds credit
    # (a refund gives it back before re-opening the balance), so only it can apply credit.
    Status.PAID: _SETTLED | {_A.APPLY_CREDIT},
    Status.UNCOLLECTIBLE: _SETTLED,
    Status.VOID: frozenset(),
}

_PAYMENT_ACTIONS: Final = frozenset(
    {
        _A.RECORD_PAYMENT,
        _A.SETTLE_PAYMENT,
        _A.FAIL_PAYMENT,
        _A.REFUND,
        _A.DISPUTE,
        _A.RESOLVE_DISPUTE,
    }
)


def apply(invoice: Invoice, command: Command, *, at: datetime) -> Transition:
    """Apply ``command`` to ``invoice`` at ``at``; return the new invoice and its events.

    Raises InvalidTransitionError (PaymentNotAllowedError for payment actions) when
    the status or a guard refuses, ValidationError for bad input. Never mutates.
    """
    action = command.action
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValidationError(
            [problem("at", "must be a timezone-aware datetime", at)], subject="action"
        )
    allowed = ALLOWED[invoice.status]
    if action not in allowed:
        _refuse(invoice, action)
    try:
        new, events = _HANDLERS[type(command)].run(invoice, command, at)
    except Refused as refused:
        _refuse(invoice, action, refused.reason)
    if new is not invoice and new.version != invoice.version + 1:  # Issue bumps it itself
        new = attrs.evolve(new, version=invoice.version + 1)
    return new, events


def _refuse(invoice: Invoice, action: Action, reason: str | None = None) -> NoReturn:
    allowed = [a.value for a in ALLOWED[invoice.status]]
    cls = PaymentNotAllowedError if action in _PAYMENT_ACTIONS else InvalidTransitionError
    raise cls(invoice.ref, invoice.status.value, action.value, allowed, reason=reason)


#: Every command's handler, each declared next to its function with the statuses it leads to.
_HANDLERS: Final[Mapping[type[Command], Handler]] = {
    **handle_drafts.HANDLERS,
    **handle_payments.HANDLERS,
    **handle_disputes.HANDLERS,
    **handle_closing.HANDLERS,
}


def transitions() -> Iterable[tuple[Status, Action, frozenset[Status]]]:
    """Every (status, action) pair the table allows with the statuses it can lead to.

    The docs draw the lifecycle diagram from this; the tests check that every
    accepted action ends in one of the statuses listed here.
    """
    for status in Status:
        for action in sorted(ALLOWED[status]):
            yield status, action, outcomes(status, action)


def outcomes(status: Status, action: Action) -> frozenset[Status]:
    """The statuses ``action`` can lead to from ``status`` (which one depends on the balance)."""
    if action not in ALLOWED[status]:
        return frozenset()
    result: set[Status] = set()
    for command, handler in _HANDLERS.items():
        if command.action is action:
            result |= handler.leads_to | ({status} if handler.keeps else set())
    if status is Status.UNCOLLECTIBLE:  # it stays written off until it is paid in full
        result = (result & {Status.PAID}) | {status}
    return frozenset(result)
