"""Many drafts from data in one transaction: every item checked before anything is written."""

from __future__ import annotations

import builtins
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any, Final

from invoicekit.domain import checks
from invoicekit.domain.invoice import Invoice
from invoicekit.domain.parties import Customer
from invoicekit.errors import Problem, ValidationError, problem
from invoicekit.ports import Transaction
from invoicekit.services import calls
from invoicekit.services.drafts import list_problems
from invoicekit.services.fields import DraftFields
from invoicekit.services.unit import Runner

__all__ = ["DraftBatches"]

#: Drafts per ``draft_many`` call: one transaction, held in memory until it commits.
MAX_DRAFTS: Final = 1000
_FIELDS: Final = DraftFields.__required_keys__ | DraftFields.__optional_keys__
_REQUIRED: Final = sorted(DraftFields.__required_keys__)


class DraftBatches:
    """``invoices.draft_many``: drafts from rows of data, all or none."""

    _run: Runner
    _seller_id: str
    _new_id: Callable[[str], str]

    def draft_many(
        self,
        drafts: Sequence[DraftFields | Mapping[str, Any]],
        *,
        idempotency_key: str | None = None,
    ) -> builtins.list[str]:
        """Create up to 1,000 drafts in one transaction; returns their ids in the order given.

        Each item holds ``draft``'s keyword arguments (``DraftFields``). Every item is
        checked before any is written; a ValidationError lists each problem with the
        item's index (``drafts[3].lines[0].quantity``) and stores nothing. Drafts never
        consume a number; pass the ids to ``issue_many``. A customer that is not this
        seller's raises NotFoundError, as ``draft`` does.
        """
        found = _shape_problems(drafts)
        checks.refuse(found, "invoice")
        items = [dict(item) for item in drafts]
        ids = [item.get("id") or self._new_id("inv") for item in items]
        found += _repeated_ids(ids)
        checks.refuse(found, "invoice")

        def body(tx: Transaction, now: datetime) -> builtins.list[str]:
            made = self._build(tx, items, ids, now)
            tx.invoices.add_many(made)
            return ids

        call = calls.DraftMany(drafts=tuple(items))
        result: builtins.list[str] = self._run.write(
            self._seller_id, call, body, builtins.list[str], key=idempotency_key
        )
        return result

    def _build(
        self, tx: Transaction, items: Sequence[dict[str, Any]], ids: Sequence[str], now: datetime
    ) -> builtins.list[Invoice]:
        """The drafts, built against the seller and customers read once; or every problem.

        An unknown customer (or another seller's) is NotFoundError, as in ``draft``.
        """
        seller = tx.sellers.get(self._seller_id)
        customers: dict[str, Customer] = {}
        for item in items:
            if item["customer_id"] not in customers:
                customer = tx.customers.get(self._seller_id, item["customer_id"])
                customers[item["customer_id"]] = customer
        made: builtins.list[Invoice] = []
        found: builtins.list[Problem] = []
        for index, (item, invoice_id) in enumerate(zip(items, ids, strict=True)):
            customer = customers[item["customer_id"]]
            fields = {k: v for k, v in item.items() if k not in {"customer_id", "id"}}
            try:
                made.append(
                    Invoice.draft(id=invoice_id, seller=seller, customer=customer, at=now, **fields)
                )
            except ValidationError as exc:
                found += exc.prefixed(f"drafts[{index}]").problems
        checks.refuse(found, "invoice")
        return made


def _shape_problems(drafts: object) -> builtins.list[Problem]:
    """What ``draft`` would refuse of each item before a transaction, with the item's index."""
    if not isinstance(drafts, builtins.list | tuple):
        return [problem("drafts", "must be a list of drafts (dicts of draft's arguments)", drafts)]
    if len(drafts) > MAX_DRAFTS:
        return [problem("drafts", f"at most {MAX_DRAFTS} per call; call again for the rest")]
    found: builtins.list[Problem] = []
    for index, item in enumerate(drafts):
        where = f"drafts[{index}]"
        if not isinstance(item, Mapping):
            found.append(problem(where, "must be a dict of draft's arguments", item))
            continue
        found += [
            problem(f"{where}.{key}", f"unknown field; known: {', '.join(sorted(_FIELDS))}")
            for key in item
            if key not in _FIELDS
        ]
        found += [problem(f"{where}.{key}", "is required") for key in _REQUIRED if key not in item]
        mine = checks.lookup("customer_id", item.get("customer_id"))
        mine += checks.metadata("metadata", item.get("metadata"))
        mine += checks.stored_terms("terms", item.get("terms"))
        mine += checks.identifier("id", item.get("id"), required=False)
        mine += list_problems(
            item.get("lines", []), item.get("discounts", ()), item.get("charges", ())
        )
        if mine:
            found += ValidationError(mine).prefixed(where).problems
    return found


def _repeated_ids(ids: Sequence[str]) -> builtins.list[Problem]:
    """An id given to two drafts of the call (the second is named)."""
    seen: set[str] = set()
    found = []
    for index, invoice_id in enumerate(ids):
        if invoice_id in seen:
            found.append(
                problem(f"drafts[{index}].id", "is given to an earlier draft too", invoice_id)
            )
        seen.add(invoice_id)
    return found
