"""Reusable checks of values entering invoicekit; each returns the problems it finds, with paths.

Constructors and service entry points collect these lists and raise one ValidationError,
so a bad value is refused before anything is stored, on every adapter alike.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime
from typing import Any, Final

from invoicekit.domain.countries import COUNTRIES
from invoicekit.domain.frozen import FrozenMapping
from invoicekit.domain.terms import EndOfMonth, FixedDate, NetDays
from invoicekit.errors import Problem, ValidationError, problem

__all__ = [
    "ARGUMENTS",
    "MAX_ID",
    "MAX_KEY",
    "MAX_METADATA_KEY",
    "MAX_METADATA_KEYS",
    "MAX_METADATA_TEXT",
    "MAX_REASON",
    "MAX_REFERENCE",
    "at_least",
    "country",
    "day",
    "flag",
    "frozen_metadata",
    "identifier",
    "instance",
    "items",
    "lookup",
    "metadata",
    "plural",
    "reason",
    "reference",
    "refuse",
    "stored_terms",
    "terms",
    "text",
]

#: Longest id (seller, customer, invoice, payment, refund).
MAX_ID: Final = 64
#: Longest idempotency key.
MAX_KEY: Final = 255
#: Longest payment reference (the SEPA remittance field is 140 characters).
MAX_REFERENCE: Final = 140
#: Longest reason (void, write-off, failed payment, credit note).
MAX_REASON: Final = 1000
#: Metadata limits: keys, key length, string value length.
MAX_METADATA_KEYS: Final = 50
MAX_METADATA_KEY: Final = 40
MAX_METADATA_TEXT: Final = 500
#: Free text may hold tab and newline; other control characters and lone surrogates
#: (which no database can store as UTF-8) are refused.
_BAD_IN_FREE_TEXT: Final = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")
_INT64: Final = 2**63
_OUR_TERMS: Final = "NetDays(days), FixedDate(date), EndOfMonth(days) or DueOnReceipt()"


def refuse(found: list[Problem], subject: str) -> None:
    """Raise one ValidationError listing ``found``; do nothing when it is empty."""
    if found:
        raise ValidationError(found, subject=subject)


def text(
    path: str, value: object, *, limit: int, required: bool = True, one_line: bool = True
) -> list[Problem]:
    """A str of at most ``limit`` characters; one line of printable text unless ``one_line=False``.

    Free text (``one_line=False``) may hold tab and newline, nothing else below U+0020.
    """
    if value is None and not required:
        return []
    if not isinstance(value, str) or (required and not value.strip()):
        return [
            problem(path, "must be a non-empty string" if required else "must be a string", value)
        ]
    if len(value) > limit:
        return [problem(path, f"at most {limit} characters (got {len(value):,})")]
    if one_line and not value.isprintable():
        return [problem(path, "must be one line of printable text (no control characters)", value)]
    if not one_line and _BAD_IN_FREE_TEXT.search(value):
        return [
            problem(
                path,
                "must be valid Unicode text without control characters other than tab and "
                "newline (a lone surrogate means the text was decoded wrongly)",
                value,
            )
        ]
    return []


def identifier(
    path: str, value: object, *, limit: int = MAX_ID, required: bool = True
) -> list[Problem]:
    """An id or key: a non-empty str of printable characters, at most ``limit`` long.

    ``required=False`` allows None (not an empty str).
    """
    return [] if value is None and not required else text(path, value, limit=limit)


def lookup(path: str, value: object, *, required: bool = True) -> list[Problem]:
    """The id or number of a stored object: a str ('' finds nothing; a list is bad input).

    ``required=False`` allows None (a filter that is not set).
    """
    if value == "" or (value is None and not required):
        return []
    return text(path, value, limit=MAX_KEY)


def reason(path: str, value: object, *, required: bool = False) -> list[Problem]:
    """Free text of at most 1,000 characters explaining an action (void, failure, credit)."""
    return text(path, value, limit=MAX_REASON, required=required, one_line=False)


def reference(path: str, value: object) -> list[Problem]:
    """An optional payment reference: one line of at most 140 characters."""
    return text(path, value, limit=MAX_REFERENCE, required=False)


def flag(path: str, value: object) -> list[Problem]:
    """True or False (not 'no', 0 or None, which would be read as a truth value)."""
    return [] if isinstance(value, bool) else [problem(path, "must be True or False", value)]


def at_least(path: str, value: object, least: int = 1) -> list[Problem]:
    """An int (not a bool) >= ``least``, such as a page size (1) or an offset (0)."""
    if isinstance(value, bool) or not isinstance(value, int) or value < least:
        return [problem(path, f"must be an integer >= {least}", value)]
    return []


def day(path: str, value: object) -> list[Problem]:
    """None or a ``datetime.date`` (not a datetime and not a string: use ``date.fromisoformat``)."""
    if value is not None and (isinstance(value, datetime) or not isinstance(value, date)):
        return [problem(path, "must be a datetime.date, e.g. date(2026, 3, 31)", value)]
    return []


def country(path: str, value: object) -> list[Problem]:
    """An officially assigned ISO 3166-1 alpha-2 code such as 'DE'."""
    if isinstance(value, str) and value in COUNTRIES:
        return []
    return [problem(path, "must be an ISO 3166-1 alpha-2 country code like 'DE'", value)]


def terms(path: str, value: object) -> list[Problem]:
    """Payment terms: an object with ``due_date(issue_date)`` and ``describe()``."""
    if callable(getattr(value, "due_date", None)) and callable(getattr(value, "describe", None)):
        return []
    return [problem(path, f"must be payment terms such as {_OUR_TERMS}", value)]


def stored_terms(path: str, value: object) -> list[Problem]:
    """Terms that storage keeps and reads back: NetDays, FixedDate or EndOfMonth."""
    if value is None or isinstance(value, NetDays | FixedDate | EndOfMonth):
        return []
    return [
        problem(
            path,
            f"must be {_OUR_TERMS}: storage keeps no other terms (other PaymentTerms objects "
            "serve only documents built with Invoice.draft, never stored)",
            value,
        )
    ]


def plural(value: Any) -> Any:
    """A tuple of an iterable's items; a str, mapping or non-iterable as given, to be reported."""
    if isinstance(value, Iterable) and not isinstance(value, str | bytes | Mapping):
        return tuple(value)
    return value


def instance(path: str, value: object, kind: type, example: str) -> list[Problem]:
    """A ``kind`` value (an enum member, a settings object); ``example`` shows a good one."""
    return [] if isinstance(value, kind) else [problem(path, f"must be {example}", value)]


def items(path: str, value: object, kind: type | tuple[type, ...], name: str) -> list[Problem]:
    """A list or tuple whose every item is a ``kind`` (``name`` says what in messages)."""
    if not isinstance(value, list | tuple):
        return [problem(path, f"must be a list of {name}", value)]
    return [
        problem(f"{path}[{i}]", f"must be a {name}", item)
        for i, item in enumerate(value)
        if not isinstance(item, kind)
    ]


def metadata(path: str, value: object) -> list[Problem]:
    """JSON-only metadata: at most 50 str keys of at most 40 characters; values str, int, bool, None.

    A str value is at most 500 characters; an int fits in 64 bits. Every adapter gives back
    exactly these values, so nothing else (floats, Decimal, dates, nesting) is accepted.
    """
    if value is None:
        return []
    if not isinstance(value, Mapping):
        return [problem(path, "must be a dict of str keys to str, int, bool or None", value)]
    if len(value) > MAX_METADATA_KEYS:
        return [problem(path, f"at most {MAX_METADATA_KEYS} keys (got {len(value)})")]
    found: list[Problem] = []
    for key, item in value.items():
        where = f"{path}[{key!r}]"
        if not isinstance(key, str):
            found.append(problem(where, "keys must be str (an int key would merge with its text)"))
        else:
            found += text(where, key, limit=MAX_METADATA_KEY)
        if isinstance(item, str):
            found += text(where, item, limit=MAX_METADATA_TEXT, required=False, one_line=False)
        elif isinstance(item, int) and not isinstance(item, bool) and not -_INT64 <= item < _INT64:
            found.append(problem(where, "an int must fit in 64 bits (store it as a str)", item))
        elif item is not None and not isinstance(item, int):
            found.append(
                problem(
                    where,
                    "must be a str, int, bool or None (write decimals and dates as str)",
                    item,
                )
            )
    return found


def frozen_metadata(value: Mapping[str, Any] | None) -> Mapping[str, Any]:
    """The converter of ``metadata`` fields: frozen, or as given when a key is not a str.

    ``metadata()`` then reports it, instead of FrozenMapping merging the keys 1 and '1'.
    """
    if value is None:
        return FrozenMapping()
    if isinstance(value, Mapping) and all(isinstance(key, str) for key in value):
        return FrozenMapping(value)
    return value


def _listed(path: str, value: object, required: bool) -> list[Problem]:
    if isinstance(value, tuple) or (value is None and not required):
        return []
    return [problem(path, "must be a list of Line values or mappings of their fields", value)]


#: The checks of lifecycle command arguments, by argument name: ``check(path, value,
#: required)``, where ``required`` says the argument has no default.
ARGUMENTS: Final[Mapping[str, Callable[[str, object, bool], list[Problem]]]] = {
    "payment_id": lambda path, value, _: identifier(path, value),
    "refund_id": lambda path, value, _: identifier(path, value),
    "credit_note_id": lambda path, value, _: identifier(path, value),
    "pending": lambda path, value, _: flag(path, value),
    "method": lambda path, value, _: identifier(path, value, limit=40),
    "reference": lambda path, value, _: reference(path, value),
    "code": lambda path, value, _: identifier(path, value, required=False),
    "reason": lambda path, value, required: reason(path, value, required=required),
    "lines": _listed,
}
