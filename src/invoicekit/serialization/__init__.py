"""Domain values as stored documents and JSON, and back: what storage adapters and the outbox use.

- Format 2 (``compact``, ``trusted``, ``stored``): compact documents, encoded once, the
  content hash taken from the bytes written, rebuilt without validating again (a trusted
  load: invoicekit wrote them). Storage adapters call ``encode_invoice``,
  ``read_invoice``, ``value_text`` and ``load_value``.
- Format 1 and the converter (``converter``): cattrs for events, idempotency results and
  call fingerprints, and for documents stored before format 2.
- ``canonical_json`` / ``canonical_bytes`` (``jsontext``): sorted keys, no spaces, by
  orjson when installed (the ``fast`` extra), byte for byte as the stdlib writes them.
"""

from invoicekit.serialization.converter import (
    event_from_document,
    event_to_document,
    from_document,
    make_converter,
    to_document,
)
from invoicekit.serialization.hashing import FROZEN_FIELDS, content_hash
from invoicekit.serialization.jsontext import canonical_bytes, canonical_json, json_backend
from invoicekit.serialization.stored import (
    ContentHashMismatch,
    EncodedInvoice,
    encode_invoice,
    frozen_hash,
    legacy_invoice,
    load_value,
    read_invoice,
    value_text,
)

__all__ = [
    "FROZEN_FIELDS",
    "ContentHashMismatch",
    "EncodedInvoice",
    "canonical_bytes",
    "canonical_json",
    "content_hash",
    "encode_invoice",
    "event_from_document",
    "event_to_document",
    "from_document",
    "frozen_hash",
    "json_backend",
    "legacy_invoice",
    "load_value",
    "make_converter",
    "read_invoice",
    "to_document",
    "value_text",
]
