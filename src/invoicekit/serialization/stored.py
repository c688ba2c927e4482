"""Stored documents as storage adapters write and read them: encoded once, hashed from those bytes.

An invoice's stored text is ``{"v":2,"n":N,"f":F,...the rest}``: ``F`` is the frozen part
(compact.py) encoded once in canonical JSON, ``N`` its length in characters, and the
SHA-256 of its UTF-8 bytes is the content hash; the rest (status, payments, metadata...)
follows in the same object. Reading finds ``F`` by ``N`` and checks its hash before
anything is built; a document that was re-serialized by other tools (same content, other
text) is checked by encoding its frozen part again. Documents without a ``"v"`` marker
are format 1 (cattrs, converter.py): read and, for an invoice issued in format 1, saved
in that format, so its hash holds.
"""

from __future__ import annotations

from typing import Any, Final, NamedTuple, TypeVar

import cattrs

from invoicekit.domain.invoice import CreditNote, Invoice
from invoicekit.domain.parties import Customer, Seller
from invoicekit.serialization import compact, compact_values, trusted
from invoicekit.serialization.converter import from_document, to_document
from invoicekit.serialization.hashing import content_hash, frozen_digest
from invoicekit.serialization.jsontext import canonical_bytes, canonical_json, loads

__all__ = [
    "ContentHashMismatch",
    "EncodedInvoice",
    "encode_invoice",
    "frozen_hash",
    "legacy_invoice",
    "load_value",
    "read_invoice",
    "value_text",
]

T = TypeVar("T")

_FORMAT: Final = compact.FORMAT
_HEAD: Final = '{"v":2,"n":'
_FROZEN_KEY: Final = ',"f":'
_MAX_DIGITS: Final = 12
_WRITERS: Final[dict[type[Any], Any]] = {
    Seller: compact_values.seller_document,
    Customer: compact_values.customer_document,
    CreditNote: compact.credit_note_document,
}
_READERS: Final[dict[type[Any], Any]] = {
    Seller: trusted.seller,
    Customer: trusted.customer,
    CreditNote: trusted.credit_note,
}


class EncodedInvoice(NamedTuple):
    """An invoice's stored text and the canonical bytes of its frozen part, from one encoding."""

    text: str
    frozen: bytes

    @property
    def content_hash(self) -> str:
        """The content hash of the frozen part (hex SHA-256 of ``frozen``)."""
        return frozen_digest(self.frozen)


class ContentHashMismatch(ValueError):  # noqa: N818 - a condition adapters turn into IntegrityError
    """A stored invoice's frozen part no longer matches the content hash taken at issue."""

    def __init__(self, computed: str | None) -> None:
        super().__init__(f"the frozen part hashes to {computed}")
        #: What the stored document hashes to now (None when it has no frozen part at all).
        self.computed = computed


def encode_invoice(invoice: Invoice) -> EncodedInvoice:
    """The stored text of ``invoice`` (format 2) and its frozen bytes, each encoded once.

    Raises ValidationError for text that cannot be stored (a lone surrogate).
    """
    frozen, rest = compact.invoice_parts(invoice)
    frozen_bytes = canonical_bytes(frozen)
    frozen_text = frozen_bytes.decode()
    head = f"{_HEAD}{len(frozen_text)}{_FROZEN_KEY}"
    if rest:
        return EncodedInvoice(f"{head}{frozen_text},{canonical_json(rest)[1:]}", frozen_bytes)
    return EncodedInvoice(f"{head}{frozen_text}}}", frozen_bytes)


def frozen_hash(invoice: Invoice) -> str:
    """The content hash storage records when ``invoice`` is saved with ``freeze=True``."""
    frozen, _ = compact.invoice_parts(invoice)
    return frozen_digest(canonical_bytes(frozen))


def legacy_invoice(invoice: Invoice, converter: cattrs.Converter) -> tuple[str, str]:
    """``invoice`` in format 1 and its format-1 content hash, to save an invoice issued in format 1.

    So a payment or a status change keeps the hash taken at issue of such an invoice.
    """
    document = to_document(converter, invoice)
    return canonical_json(document), content_hash(document)


def _span_digest(text: str) -> str | None:
    """The hash of the frozen part found by its length, or None when the text is not laid out so."""
    if not text.startswith(_HEAD):
        return None
    start = len(_HEAD)
    comma = text.find(",", start, start + _MAX_DIGITS)
    digits = text[start:comma]
    if comma < 0 or not text.startswith(_FROZEN_KEY, comma) or not digits.isdecimal():
        return None
    begin = comma + len(_FROZEN_KEY)
    try:
        return frozen_digest(text[begin : begin + int(digits)].encode())
    except UnicodeEncodeError:
        return None


def read_invoice(
    text: str | bytes, stored_hash: str | None, converter: cattrs.Converter
) -> Invoice:
    """The invoice stored as ``text``, after checking its frozen part against ``stored_hash``.

    Raises ContentHashMismatch when an issued invoice's frozen part changed since issue,
    and ValueError, KeyError, TypeError, AttributeError or cattrs' errors when the text
    cannot be read back (not JSON, a format of a newer version, fields missing).
    """
    if isinstance(text, bytes):
        text = text.decode()
    document = loads(text)
    if not isinstance(document, dict):
        if stored_hash is not None:
            raise ContentHashMismatch(None)
        raise ValueError(
            f"an invoice document must be a JSON object, not {type(document).__name__}"
        )
    version = document.get("v")
    if version is None:  # format 1
        if stored_hash is not None:
            computed = content_hash(document)
            if computed != stored_hash:
                raise ContentHashMismatch(computed)
        return from_document(converter, document, Invoice)
    if version != _FORMAT:
        raise ValueError(f"format {version!r} is not one this version of invoicekit reads")
    frozen = document.get("f")
    if not isinstance(frozen, dict):
        if stored_hash is not None:
            raise ContentHashMismatch(None)
        raise ValueError("a format 2 invoice document needs its frozen part 'f'")
    if stored_hash is not None and _span_digest(text) != stored_hash:
        computed = frozen_digest(canonical_bytes(frozen))  # re-serialized by another tool?
        if computed != stored_hash:
            raise ContentHashMismatch(computed)
    return trusted.invoice(frozen, document)


def value_text(value: Seller | Customer | CreditNote | Invoice) -> str:
    """The stored text of a seller, customer, credit note (or a draft invoice), format 2."""
    if isinstance(value, Invoice):
        return encode_invoice(value).text
    document = _WRITERS[type(value)](value)
    if "v" not in document:
        document = {"v": _FORMAT, **document}
    return canonical_json(document)


def load_value(text: str | bytes | dict[str, Any], cls: type[T], converter: cattrs.Converter) -> T:
    """The seller, customer or credit note stored as ``text`` (format 2, or format 1 by cattrs).

    Raises ValueError, KeyError, TypeError or cattrs' errors when it cannot be read back.
    """
    document = loads(text) if isinstance(text, str | bytes) else text
    if not isinstance(document, dict):
        raise ValueError(f"a stored {cls.__name__} must be a JSON object")
    version = document.get("v")
    if version is None:
        return from_document(converter, document, cls)
    if version != _FORMAT:
        raise ValueError(f"format {version!r} is not one this version of invoicekit reads")
    reader = _READERS.get(cls)
    if reader is None:
        raise TypeError(f"{cls.__name__} is not stored as a document of its own")
    built: T = reader(document)
    return built
