"""The attention list of ``books.reports`` and the checks of the clients table's filters.

Overdue invoices come with the last reminder sent before the as-of instant and the
next step of the seller's dunning policy not sent yet (the customer's own override is
not consulted); then failed payments of invoices still open, then messages that
failed for good.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Final, cast

from invoicekit.domain import checks
from invoicekit.domain.dunning import Step
from invoicekit.domain.parties import Seller
from invoicekit.errors import Problem, ValidationError, problem
from invoicekit.money import check_currency
from invoicekit.records import MessageStatus
from invoicekit.report_repositories import BALANCE_SORTS
from invoicekit.reports.values import AttentionItem
from invoicekit.repositories import Transaction

__all__ = ["attention_items", "balance_problems", "dunning_of", "failed_messages", "overdue_item"]

_MAX_LIMIT: Final = 1000
_MAX_SEARCH: Final = 200
#: The message kinds that chase a payment.
_CHASING: Final = frozenset({"reminder", "final_notice"})


def dunning_of(seller: Seller) -> tuple[list[Step], frozenset[str]]:
    """The seller's dunning steps by days, and the message kinds that chase a payment."""
    steps = sorted(seller.dunning.steps, key=lambda s: s.days) if seller.dunning else []
    return steps, _CHASING | {s.kind for s in steps}


def overdue_item(
    tx: Transaction,
    seller_id: str,
    dunning: tuple[list[Step], frozenset[str]],
    *,
    today: date,
    cut: datetime | None,
    invoice_id: str,
    number: str | None,
    customer_id: str,
    currency: str,
    amount: Decimal,
    due_date: date,
) -> AttentionItem:
    """An overdue invoice, its last reminder sent (before ``cut``) and the next step due.

    The next step is the first of the seller's dunning policy not sent yet. The live page (``live_attention``, now) and ``books.reports`` (as of a date) both
    build their overdue items here, so the two never disagree on what was sent.
    """
    steps, kinds = dunning
    sent = [
        m
        for m in tx.messages.list(seller_id, invoice_id=invoice_id, statuses=[MessageStatus.SENT])
        if m.sent_at is not None and (cut is None or m.sent_at < cut) and m.kind in kinds
    ]
    last = max(sent, key=lambda m: m.sent_at or m.created_at, default=None)
    done = {m.step for m in sent}
    following = next((s for s in steps if s.name not in done), None)
    return AttentionItem(
        kind="overdue",
        invoice_id=invoice_id,
        number=number,
        customer_id=customer_id,
        currency=currency,
        amount=amount,
        due_date=due_date,
        days_overdue=(today - due_date).days,
        last_reminder=None if last is None else last.step,
        last_reminder_at=None if last is None else last.sent_at,
        next_step=None if following is None else following.name,
        next_step_on=None if following is None else due_date + timedelta(days=following.days),
    )


def failed_messages(
    tx: Transaction, seller_id: str, limit: int, cut: datetime | None
) -> list[AttentionItem]:
    """Messages that failed for good (created before ``cut``, if given), ``limit`` at most."""
    return [
        AttentionItem(
            kind="failed_message",
            invoice_id=m.invoice_id,
            number=None,
            customer_id=m.customer_id,
            at=m.created_at,
            detail=m.last_error,
        )
        for m in tx.messages.list(seller_id, statuses=[MessageStatus.FAILED], limit=limit)
        if cut is None or m.created_at < cut
    ]


def attention_items(
    tx: Transaction, seller: Seller, cut: datetime, today: date, limit: int
) -> list[AttentionItem]:
    """Overdue invoices, failed payments and failed messages of ``seller`` before ``cut``."""
    port = tx.reports
    dunning = dunning_of(seller)
    items = [
        overdue_item(
            tx,
            seller.id,
            dunning,
            today=today,
            cut=cut,
            invoice_id=row.invoice_id,
            number=row.number,
            customer_id=row.customer_id,
            currency=row.currency,
            amount=row.open,
            due_date=row.due_date,
        )
        for row in port.overdue(seller.id, cut=cut, today=today, limit=limit)
    ]
    items.extend(
        AttentionItem(
            kind="failed_payment",
            invoice_id=f.invoice_id,
            number=f.number,
            customer_id=f.customer_id,
            currency=f.currency,
            amount=f.amount,
            at=f.at,
            detail=f.reason,
        )
        for f in port.failed_payments(seller.id, cut=cut, limit=limit)
    )
    return items + failed_messages(tx, seller.id, limit, cut)


def balance_problems(  # noqa: PLR0917 - the filters of client_balances, checked together
    currency: object,
    search: object,
    sort: object,
    descending: object,
    limit: object,
    after: object,
) -> list[Problem]:
    """Every problem of the filters and paging of ``client_balances``, with its field."""
    found: list[Problem] = []
    if currency is not None:
        try:
            check_currency(cast("str", currency))
        except (ValidationError, TypeError, AttributeError):
            found.append(problem("currency", "must be an ISO 4217 code such as 'EUR'", currency))
    found += checks.text("search", search, limit=_MAX_SEARCH, required=False)
    if sort not in BALANCE_SORTS:
        found.append(problem("sort", f"allowed: {', '.join(BALANCE_SORTS)}", sort))
    found += checks.flag("descending", descending)
    bad_limit = checks.at_least("limit", limit)
    if not bad_limit and cast("int", limit) > _MAX_LIMIT:
        bad_limit.append(problem("limit", f"must be at most {_MAX_LIMIT}", limit))
    found += bad_limit
    if after is not None and (not isinstance(after, str) or not after.isdigit()):
        found.append(problem("after", "must be the `next` of the previous page", after))
    return found
