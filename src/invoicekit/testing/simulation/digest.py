"""A digest of a store's state as the public facade reads it: equal states, equal digests.

Two runs of one seed must end with the same digest. It covers every seller's
invoices (all their fields: status, payments, credits, numbers, versions), messages
(all but who leased them and their storage position) and
recurring templates with their progress.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from typing import Any, Final

import attrs

from invoicekit.records import MessageRecord
from invoicekit.serialization import canonical_json, make_converter
from invoicekit.services.billing import Billing, SellerBooks

__all__ = ["store_digest"]

_PAGE: Final = 500
#: Message fields that name the process (its host and pid) or the store (its own counter).
_PROCESS_FIELDS: Final = frozenset({"lease_owner", "position"})


def store_digest(billing: Billing, seller_ids: Iterable[str]) -> str:
    """SHA-256 over the sellers' invoices, messages and templates, in a fixed order."""
    converter = make_converter()
    digest = hashlib.sha256()

    def add(kind: str, value: Any) -> None:
        digest.update(kind.encode())
        digest.update(canonical_json(converter.unstructure(value)).encode())
        digest.update(b"\n")

    for seller_id in sorted(seller_ids):
        books = billing.seller(seller_id)
        add("seller", billing.sellers.get(seller_id))
        for invoice in _invoices(books):
            add("invoice", invoice)
        for message in _messages(books):
            add("message", _without_process(message))
        for template in _templates(books):
            add("template", template)
            add("progress", books.recurring.progress(template.id).last_index)
    return digest.hexdigest()


def _invoices(books: SellerBooks) -> Iterator[Any]:
    after: str | None = None
    while True:
        page = books.invoices.list(limit=_PAGE, after=after)
        yield from page
        if len(page) < _PAGE:
            return
        after = page[-1].id


def _templates(books: SellerBooks) -> Iterator[Any]:
    after: str | None = None
    while True:
        page = books.recurring.list(limit=_PAGE, after=after)
        yield from page
        if len(page) < _PAGE:
            return
        after = page[-1].id


def _messages(books: SellerBooks) -> Iterator[MessageRecord]:
    after: int | None = None
    while True:
        page = books.messages.list(limit=_PAGE, after=after)
        yield from page
        if len(page) < _PAGE:
            return
        after = page[-1].position


def _without_process(message: MessageRecord) -> dict[str, Any]:
    return {
        name: value
        for name, value in attrs.asdict(message, recurse=False).items()
        if name not in _PROCESS_FIELDS
    }
