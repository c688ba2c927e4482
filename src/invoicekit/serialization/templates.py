"""Recurring templates as stored documents: a cattrs document (templates are not hot)."""

from __future__ import annotations

import json
from typing import Final

import cattrs

from invoicekit.domain.recurring import RecurringTemplate
from invoicekit.errors import IntegrityError

__all__ = ["TEMPLATE_FORMAT", "template_from_text", "template_text"]

#: The format of the stored template document; bump it when its shape changes.
TEMPLATE_FORMAT: Final = 1


def template_text(converter: cattrs.Converter, template: RecurringTemplate) -> str:
    """The JSON text stored for ``template``."""
    unstructured = converter.unstructure(template)
    document = {"format": TEMPLATE_FORMAT, "template": unstructured}
    return json.dumps(document, sort_keys=True, separators=(",", ":"))


def template_from_text(converter: cattrs.Converter, text: str, where: str) -> RecurringTemplate:
    """The template stored as ``text``; IntegrityError when it cannot be read back."""
    try:
        document = json.loads(text)
        if document["format"] != TEMPLATE_FORMAT:
            raise ValueError(f"unknown template format {document['format']!r}")
        template: RecurringTemplate = converter.structure(document["template"], RecurringTemplate)
        return template
    except (ValueError, KeyError, TypeError, cattrs.BaseValidationError) as exc:
        raise IntegrityError(
            f"the stored recurring template in {where} cannot be read back ({exc!s:.200}); "
            "it was changed outside invoicekit or written by another version: restore a backup"
        ) from exc
