"""Generating recurring invoices: each due period of each template becomes one invoice, once.

Exactly once, with any number of runs and workers (T14, T25, T28): the invoice of
period ``n`` of a template has an id derived from (seller, template, ``n``), and a
page of templates is claimed (PostgreSQL: ``FOR UPDATE SKIP LOCKED``), drafted,
issued with ``issue_many``'s fast path and its progress (``last_index``) saved in one
transaction: a run that dies leaves the whole page as it was. ``to_issue`` lists drafts
left by a version that issued after the commit; the next page holding them issues them,
and a draft deleted by hand since counts as handled (reported skipped) instead of
blocking its template.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Final, Protocol

import attrs

from invoicekit.domain.invoice import Invoice
from invoicekit.domain.parties import Customer
from invoicekit.domain.recurring import IssueMode, Occurrence
from invoicekit.domain.status import Status
from invoicekit.errors import InvoiceKitError, NotFoundError
from invoicekit.ports import Transaction
from invoicekit.records import TemplateRecord, occurrence_invoice_id
from invoicekit.services import calls
from invoicekit.services.unit import Runner

__all__ = ["Generated", "GenerationReport", "Generator", "PageDone", "Skipped", "generate_pages"]

#: Templates generated per transaction (SQLite: one writer; PostgreSQL: rows claimed).
_CHUNK: Final = 250
#: Why a period whose draft was deleted by hand is not issued (it counts as handled).
DELETED: Final = "its draft was deleted by hand; the period counts as handled"
#: Issues loaded drafts inside the caller's transaction (``Invoices._issue_in``).
IssueIn = Callable[
    [Transaction, Sequence[Invoice], datetime, dict[str, Customer]], Sequence[Invoice]
]


@attrs.frozen
class Generated:
    """One period's invoice: drafted now (or, in a dry run, that would be)."""

    seller_id: str
    template_id: str
    period_index: int
    period_start: date
    period_end: date
    invoice_id: str
    #: Whether it is to be issued (the template's ``issue_mode`` is ``"issue"``).
    issue: bool


@attrs.frozen
class Skipped:
    """A period or template not billed by this run, and why."""

    seller_id: str
    template_id: str
    #: None when the whole template was skipped.
    period_index: int | None
    reason: str


@attrs.frozen
class GenerationReport:
    """What a run generated, issued and skipped (a dry run: what it would have)."""

    generated: tuple[Generated, ...] = ()
    #: Invoice ids issued by this run, including drafts left by a run that died.
    issued: tuple[str, ...] = ()
    skipped: tuple[Skipped, ...] = ()
    dry_run: bool = False

    def __add__(self, other: GenerationReport) -> GenerationReport:
        return GenerationReport(
            self.generated + other.generated,
            self.issued + other.issued,
            self.skipped + other.skipped,
            self.dry_run or other.dry_run,
        )


@attrs.define
class _Batch:
    """What one transaction did; reset when the transaction is retried."""

    generated: builtins.list[Generated] = attrs.Factory(list)
    skipped: builtins.list[Skipped] = attrs.Factory(list)
    #: Invoice ids issued in the transaction, with drafts left by an earlier version.
    issued: builtins.list[str] = attrs.Factory(list)

    def clear(self) -> None:
        self.generated.clear()
        self.skipped.clear()
        self.issued.clear()


class PageDone(Protocol):
    """What one page's transaction generated, issued and skipped (``_Batch``, say)."""

    @property
    def generated(self) -> Sequence[Generated]:
        """The periods drafted, in order."""

    @property
    def issued(self) -> Sequence[str]:
        """The invoice ids issued."""

    @property
    def skipped(self) -> Sequence[Skipped]:
        """The periods, templates or subscriptions skipped, and why."""


def generate_pages(
    runner: Runner,
    seller_id: str,
    ids: Sequence[str],
    generate: Callable[[Sequence[str]], PageDone],
    *,
    after_page: str,
    size: int,
) -> GenerationReport:
    """``generate`` each page of ``size`` ids (one transaction each); one report for all.

    Recurring templates and subscriptions share this loop. A page that fails is done
    again one id at a time, so one bad template or subscription does not stop the others:
    it is reported skipped with its error. ``after_page``: the fault point hit after each page.
    """
    report = GenerationReport()
    for start in range(0, len(ids), size):
        page = ids[start : start + size]
        try:
            done = generate(page)
            generated, issued, skipped = [*done.generated], [*done.issued], [*done.skipped]
        except InvoiceKitError:  # one bad id must not stop the others
            generated, issued, skipped = [], [], []
            for one in page:
                try:
                    single = generate([one])
                except InvoiceKitError as exc:
                    skipped.append(Skipped(seller_id, one, None, f"error: {exc}"))
                    continue
                generated += single.generated
                skipped += single.skipped
                issued += single.issued
        runner.faults.hit(after_page)
        report += GenerationReport(tuple(generated), tuple(issued), tuple(skipped))
    return report


class Generator:
    """Generates one seller's due recurring invoices."""

    def __init__(
        self,
        runner: Runner,
        seller_id: str,
        issue_in: IssueIn,
    ) -> None:
        self._run = runner
        self._seller_id = seller_id
        self._issue_in = issue_in

    def generate_due(self, now: datetime, *, dry_run: bool = False) -> GenerationReport:
        """Draft every due period of every template; issue those of templates in issue mode."""
        with self._run.read() as tx:
            ids = [tid for _, tid in tx.recurring.billing(self._seller_id)]
        if dry_run:
            return self._plan(ids, now)
        return generate_pages(
            self._run,
            self._seller_id,
            ids,
            lambda page: self._generate(page, now),
            after_page="recurring_after_issue",
            size=_CHUNK,
        )

    def _due(self, record: TemplateRecord, now: datetime) -> list[Occurrence]:
        return record.template.occurrences(record.last_index, now)

    def _plan(self, ids: Sequence[str], now: datetime) -> GenerationReport:
        generated: list[Generated] = []
        skipped: list[Skipped] = []
        issued: list[str] = []
        with self._run.read() as tx:
            for template_id in ids:
                record = tx.recurring.get(self._seller_id, template_id)
                issued += record.to_issue
                self._collect(record, self._due(record, now), generated, skipped)
        issued += [g.invoice_id for g in generated if g.issue]
        return GenerationReport(tuple(generated), tuple(issued), tuple(skipped), dry_run=True)

    def _collect(
        self,
        record: TemplateRecord,
        due: Sequence[Occurrence],
        generated: list[Generated],
        skipped: list[Skipped],
    ) -> None:
        t = record.template
        for occurrence in due:
            p = occurrence.period
            if occurrence.skipped is not None:
                skipped.append(Skipped(self._seller_id, t.id, p.index, occurrence.skipped))
                continue
            invoice_id = occurrence_invoice_id(self._seller_id, t.id, p.index)
            issue = t.issue_mode is IssueMode.ISSUE
            generated.append(
                Generated(self._seller_id, t.id, p.index, p.start, p.last_day, invoice_id, issue)
            )

    def _generate(self, template_ids: Sequence[str], now: datetime) -> _Batch:
        """One page in one transaction: claim, draft, issue, save progress."""
        batch = _Batch()

        def body(tx: Transaction, at: datetime) -> None:
            batch.clear()
            seller = tx.sellers.get(self._seller_id)
            drafts: list[Invoice] = []
            to_issue: list[Invoice] = []
            progress: list[TemplateRecord] = []
            claimed = {
                r.template.id: r for r in tx.recurring.claim_many(self._seller_id, template_ids)
            }
            wanted = sorted({r.template.customer_id for r in claimed.values()})
            customers = tx.customers.get_many(self._seller_id, wanted)  # one read per page
            for template_id in template_ids:
                record = claimed.get(template_id)
                if record is None:
                    why = "claimed by another worker"
                    batch.skipped.append(Skipped(self._seller_id, template_id, None, why))
                    continue
                due = self._due(record, now)
                to_issue += self._leftovers(tx, record, batch)
                if not due and not record.to_issue:
                    continue
                generated: list[Generated] = []
                self._collect(record, due, generated, batch.skipped)
                t = record.template
                by_index = {o.period.index: o for o in due}
                for g in generated:
                    draft = Invoice.draft(
                        id=g.invoice_id,
                        seller=seller,
                        customer=customers[t.customer_id],
                        lines=by_index[g.period_index].lines,
                        at=at,
                        currency=t.currency,
                        terms=t.terms,
                        memo=t.memo,
                        metadata={"recurring_template": t.id, "period": g.period_index},
                    )
                    drafts.append(draft)
                    if g.issue:
                        to_issue.append(draft)
                if generated:
                    self._run.faults.hit("recurring_after_draft")
                last = due[-1].period.index if due else record.last_index
                progress.append(attrs.evolve(record, last_index=last, to_issue=()))
                batch.generated += generated
            tx.recurring.save_many(progress)
            if drafts:  # one statement for the whole page where the store allows
                tx.invoices.add_many(drafts)
            if to_issue:
                self._run.faults.hit("recurring_before_issue")
                batch.issued += [inv.id for inv in self._issue_in(tx, to_issue, at, customers)]

        self._run.write(self._seller_id, calls.GenerateRecurring(), body)
        return batch

    def _leftovers(self, tx: Transaction, record: TemplateRecord, batch: _Batch) -> list[Invoice]:
        """The drafts an earlier version left to issue; one deleted by hand is skipped, not fatal."""
        drafts: list[Invoice] = []
        for invoice_id in record.to_issue:
            try:
                inv = tx.invoices.get(self._seller_id, invoice_id, for_update=True)
            except NotFoundError:
                why = f"{DELETED} (invoice {invoice_id})"
                batch.skipped.append(Skipped(self._seller_id, record.template.id, None, why))
                continue
            if inv.status is Status.DRAFT:
                drafts.append(inv)
        return drafts
