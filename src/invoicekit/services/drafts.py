"""Drafts of one seller's invoices: create, edit and delete them, each one transaction."""

from __future__ import annotations

import builtins
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from invoicekit.domain import checks, lifecycle
from invoicekit.domain.invoice import Invoice
from invoicekit.domain.line import Charge, Discount, Line
from invoicekit.domain.terms import PaymentTerms
from invoicekit.errors import Problem, problem
from invoicekit.ports import Transaction
from invoicekit.services import calls
from invoicekit.services.changes import InvoiceChanges
from invoicekit.services.unit import Runner

__all__ = ["Drafts", "list_problems"]


class Drafts:
    """The draft operations of ``Invoices``."""

    _run: Runner
    _seller_id: str
    _new_id: Callable[[str], str]
    _changes: InvoiceChanges

    def draft(
        self,
        customer_id: str,
        *,
        lines: Sequence[Line | Mapping[str, Any]],
        terms: PaymentTerms | None = None,
        discounts: Sequence[Discount] = (),
        charges: Sequence[Charge] = (),
        prices: str | None = None,
        memo: str | None = None,
        footer: str | None = None,
        metadata: Mapping[str, Any] | None = None,
        series: str = "invoice",
        currency: str | None = None,
        id: str | None = None,
        idempotency_key: str | None = None,
        buyer_reference: str | None = None,
        order_reference: str | None = None,
        contract_reference: str | None = None,
        project_reference: str | None = None,
    ) -> Invoice:
        """A new draft for one of this seller's customers. Drafts never consume a number."""
        found = checks.lookup("customer_id", customer_id) + checks.metadata("metadata", metadata)
        found += checks.stored_terms("terms", terms)
        found += checks.identifier("id", id, required=False) + list_problems(
            lines, discounts, charges
        )
        checks.refuse(found, "invoice")
        invoice_id = id or self._new_id("inv")

        def body(tx: Transaction, now: datetime) -> Invoice:
            seller = tx.sellers.get(self._seller_id)
            customer = tx.customers.get(self._seller_id, customer_id)
            invoice = Invoice.draft(
                id=invoice_id,
                seller=seller,
                customer=customer,
                lines=lines,
                at=now,
                currency=currency,
                terms=terms,
                discounts=discounts,
                charges=charges,
                prices=prices,
                memo=memo,
                footer=footer,
                metadata=metadata,
                series=series,
                buyer_reference=buyer_reference,
                order_reference=order_reference,
                contract_reference=contract_reference,
                project_reference=project_reference,
            )
            tx.invoices.add(invoice)
            return invoice

        call = calls.Draft(
            id=id,
            customer_id=customer_id,
            lines=list(lines),
            terms=terms,
            discounts=list(discounts),
            charges=list(charges),
            prices=prices,
            memo=memo,
            footer=footer,
            metadata=metadata,
            series=series,
            currency=currency,
            buyer_reference=buyer_reference,
            order_reference=order_reference,
            contract_reference=contract_reference,
            project_reference=project_reference,
        )
        return self._run.write(self._seller_id, call, body, Invoice, key=idempotency_key)

    def edit(
        self,
        invoice_id: str,
        *,
        customer_id: str | None = None,
        lines: Sequence[Line | Mapping[str, Any]] | None = None,
        terms: PaymentTerms | None = None,
        discounts: Sequence[Discount] | None = None,
        charges: Sequence[Charge] | None = None,
        memo: str | None = None,
        footer: str | None = None,
        expected_version: int | None = None,
        idempotency_key: str | None = None,
    ) -> Invoice:
        """Change a draft; ``expected_version`` refuses the edit if someone changed it since."""
        found = checks.lookup("customer_id", customer_id, required=False)
        found += checks.stored_terms("terms", terms)
        checks.refuse(found + list_problems(lines, discounts, charges, optional=True), "invoice")

        def command(tx: Transaction, _: Invoice) -> lifecycle.Command:
            customer = tx.customers.get(self._seller_id, customer_id) if customer_id else None
            return lifecycle.Edit(
                seller=tx.sellers.get(self._seller_id),
                customer=customer,
                lines=tuple(lines) if lines is not None else None,
                discounts=tuple(discounts) if discounts is not None else None,
                charges=tuple(charges) if charges is not None else None,
                terms=terms,
                memo=memo,
                footer=footer,
            )

        call = calls.Edit(
            invoice_id=invoice_id,
            customer_id=customer_id,
            lines=lines,
            terms=terms,
            discounts=discounts,
            charges=charges,
            memo=memo,
            footer=footer,
            expected_version=expected_version,
        )
        return self._changes.apply(
            call, command, expected_version=expected_version, key=idempotency_key
        )

    def delete(self, invoice_id: str, *, idempotency_key: str | None = None) -> None:
        """Delete a draft (issued invoices are never deleted: void or credit them).

        Deleting again raises NotFoundError; with ``idempotency_key`` a retry returns quietly
        instead, and never deletes a new draft that reused the id meanwhile.
        """

        def body(tx: Transaction, now: datetime) -> Invoice:
            inv = tx.invoices.get(self._seller_id, invoice_id, for_update=True)
            _, events = lifecycle.apply(inv, lifecycle.Delete(), at=now)
            tx.invoices.delete(self._seller_id, invoice_id, expected_version=inv.version)
            tx.outbox.append(self._run.outbox_records(inv, events))
            return inv

        call = calls.Delete(invoice_id=invoice_id)
        self._run.write(self._seller_id, call, body, Invoice, key=idempotency_key)


def list_problems(*values: object, optional: bool = False) -> builtins.list[Problem]:
    """``lines``, ``discounts``, ``charges`` are lists or tuples (None too when ``optional``)."""
    return [
        problem(name, "must be a list", value)
        for name, value in zip(("lines", "discounts", "charges"), values, strict=False)
        if not isinstance(value, builtins.list | tuple) and not (optional and value is None)
    ]
