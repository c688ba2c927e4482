"""The field checks the parties share: one-line text, locale, e-mail, phone, tuple converters.

Split from :mod:`invoicekit.domain.parties` so that the seller and customer
values and the rules their fields follow each have a module; every check
appends a Problem naming the field's path rather than raising, so a value
reports all of its problems at once.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any, Final

from invoicekit.domain import checks
from invoicekit.domain.numbering import Series
from invoicekit.domain.policy import PriceMode
from invoicekit.errors import Problem, problem

__all__: list[str] = []

_EMAIL: Final = re.compile(
    r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+"
)
_E164: Final = re.compile(r"\+[1-9][0-9]{6,14}")
_LOCALE: Final = re.compile(r"[a-z]{2,3}(?:_[A-Z][a-z]{3})?(?:_(?:[A-Z]{2}|[0-9]{3}))?")
_MAX_NAME: Final = 200
_MAX_EMAIL: Final = 254  # RFC 5321 path limit
_MAX_ENDPOINT: Final = 100


def _text(
    found: list[Problem], path: str, value: object, *, required: bool, limit: int = _MAX_NAME
) -> None:
    """Check a single-line text field: printable, no CR/LF (they would forge e-mail headers)."""
    if value is None and not required:
        return
    if not isinstance(value, str) or not value.strip():
        found.append(problem(path, "must be a non-empty string", value))
    elif len(value) > limit:
        found.append(problem(path, f"at most {limit} characters", value))
    elif not value.isprintable():
        found.append(
            problem(
                path, "must be one line of printable text (no CR, LF or control characters)", value
            )
        )


def _locale(found: list[Problem], path: str, value: object) -> None:
    if value is None:
        return
    if not isinstance(value, str) or not _LOCALE.fullmatch(value):
        found.append(
            problem(path, "must be a locale identifier like 'en', 'de_DE' or 'fr_CH'", value)
        )


def _email(found: list[Problem], path: str, value: object) -> None:
    if value is None:
        return
    if not isinstance(value, str) or len(value) > _MAX_EMAIL or not _EMAIL.fullmatch(value):
        found.append(problem(path, "must be one plain e-mail address like 'ap@example.com'", value))


def _phone(found: list[Problem], path: str, value: object) -> None:
    if value is None:
        return
    if not isinstance(value, str) or not _E164.fullmatch(value):
        found.append(problem(path, "must be an E.164 phone number like '+4915112345678'", value))


def _series(value: Iterable[Series]) -> tuple[Series, ...]:
    return _tuple(value)


def _price_mode(value: PriceMode | str) -> PriceMode:
    """A PriceMode, or the value as given for ``__attrs_post_init__`` to report."""
    return PriceMode(value) if value in tuple(PriceMode) else value  # type: ignore[return-value]


def _channels(value: Iterable[str]) -> tuple[str, ...]:
    return _tuple(value)


def _tuple(value: Any) -> tuple[Any, ...]:
    """The items of a list or tuple; a single value (or a str) as a tuple of one, to be checked."""
    items = checks.plural(value)
    return items if isinstance(items, tuple) else (items,)
