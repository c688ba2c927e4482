"""Invoice number formats: parse a user's pattern once, render numbers from it safely.

A pattern such as ``INV-{year}-{seq:05d}`` comes from a seller's settings, so it is
untrusted text. It is read by the small tokenizer in this file against a whitelist of
fields and specs and is never handed to Python's string formatting machinery, which could
reach attributes (``{seq.__class__}``) or allocate huge widths (``{seq:>999999999}``).
Every mistake is a ``ConfigurationError`` raised when the format is configured, naming
the bad token and what is allowed.

The counter itself lives in storage: numbers are sequential per
(seller, series, ``NumberFormat.period_key(issue_date)``), and this module only turns a
sequence number and an issue date into text.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import TYPE_CHECKING, Final

import attrs

from invoicekit.errors import ConfigurationError, ValidationError, problem

if TYPE_CHECKING:
    from datetime import date

__all__ = [
    "DEFAULT_CREDIT_NOTE_FORMAT",
    "DEFAULT_INVOICE_FORMAT",
    "MAX_PATTERN_LENGTH",
    "NumberFormat",
    "Reset",
    "Series",
    "changed_series",
    "default_series",
]

#: The default pattern of the ``invoice`` series.
DEFAULT_INVOICE_FORMAT: Final = "INV-{year}-{seq:05d}"
#: The default pattern of the ``credit_note`` series.
DEFAULT_CREDIT_NOTE_FORMAT: Final = "CN-{year}-{seq:05d}"
#: The longest pattern accepted, in characters; checked before anything else is read.
MAX_PATTERN_LENGTH: Final = 100

_FIELDS: Final = ("seq", "year", "yy", "month", "day", "series")
_YEAR_FIELDS: Final = frozenset({"year", "yy"})
_MAX_WIDTH: Final = 12
_SEQ_SPECS: Final[dict[str, int]] = {"d": 0} | {
    "0" + str(width) + "d": width for width in range(1, _MAX_WIDTH + 1)
}
_ALLOWED: Final = (
    "allowed fields are seq, year, yy, month, day, series;"
    " specs only on seq: 0Nd with N from 1 to 12, or d"
)
_SERIES_NAME: Final = re.compile(r"[A-Za-z0-9_-]{1,40}")


class Reset(StrEnum):
    """When a series' counter starts again at 1; the format must show the period it resets on."""

    #: One counter for the life of the series.
    NEVER = "never"
    #: A new counter each calendar year of the issue date; needs ``{year}`` or ``{yy}``.
    YEARLY = "yearly"
    #: A new counter each calendar month; needs a year field and ``{month}``.
    MONTHLY = "monthly"


@attrs.frozen
class _Literal:
    """Text copied into the number as is (braces already unescaped)."""

    text: str


@attrs.frozen
class _Field:
    """One whitelisted field; ``width`` is the zero-padding of ``seq`` (0: none)."""

    name: str
    width: int = 0


_Token = _Literal | _Field


def _to_reset(value: object) -> Reset:
    """Accept a ``Reset`` or its string value; anything else is a configuration mistake."""
    if isinstance(value, Reset):
        return value
    if isinstance(value, str):
        for reset in Reset:
            if reset.value == value:
                return reset
    allowed = ", ".join(reset.value for reset in Reset)
    raise ConfigurationError(f"unknown reset {value!r} for a number format: allowed are {allowed}")


def _refuse(what: str, pattern: str) -> ConfigurationError:
    return ConfigurationError(f"{what} in number format {pattern!r}: {_ALLOWED}")


def _field(body: str, pattern: str) -> _Field:
    """Check one field body (the text between ``{`` and ``}``) against the whitelist."""
    if not body:
        raise _refuse("empty field '{}' (positional fields are not allowed)", pattern)
    if "!" in body:
        conversion = body[body.index("!") :]
        raise _refuse(f"conversion {conversion!r} in field {body!r} is not allowed", pattern)
    name, colon, spec = body.partition(":")
    if not name or name.isdigit():
        raise _refuse(f"positional field {'{' + body + '}'!r} is not allowed", pattern)
    if name not in _FIELDS:
        raise _refuse(f"unknown field {name!r}", pattern)
    if not colon:
        return _Field(name)
    if name != "seq":
        raise _refuse(f"spec {spec!r} on field {name!r} is not allowed", pattern)
    width = _SEQ_SPECS.get(spec)
    if width is None:
        raise _refuse(f"spec {spec!r} on field 'seq' is not allowed", pattern)
    return _Field(name, width)


def _read_field(pattern: str, start: int) -> tuple[_Field, int]:
    """Read the field opening at ``pattern[start]``; return it and the index after its ``}``."""
    close = pattern.find("}", start + 1)
    if close == -1:
        raise _refuse(
            f"unclosed '{{' at position {start} (write '{{{{' for a literal brace)", pattern
        )
    body = pattern[start + 1 : close]
    if "{" in body:
        raise _refuse(f"'{{' inside field {body!r} (fields do not nest)", pattern)
    return _field(body, pattern), close + 1


def _flush(literal: list[str], tokens: list[_Token]) -> None:
    """Move the pending literal characters, if any, into ``tokens`` as one literal."""
    if literal:
        tokens.append(_Literal("".join(literal)))
        literal.clear()


def _tokenize(pattern: str) -> tuple[_Token, ...]:
    """Split ``pattern`` into literals and whitelisted fields, refusing anything else."""
    tokens: list[_Token] = []
    literal: list[str] = []
    seen_seq = False
    i = 0
    while i < len(pattern):
        char = pattern[i]
        if char in "{}" and pattern.startswith(char * 2, i):
            literal.append(char)
            i += 2
        elif char == "}":
            raise _refuse(
                f"single '}}' at position {i} (write '}}}}' for a literal brace)", pattern
            )
        elif char == "{":
            start = i
            field, i = _read_field(pattern, start)
            if field.name == "seq":
                if seen_seq:
                    second = pattern[start:i]
                    raise _refuse(f"second seq field {second!r} (exactly one is needed)", pattern)
                seen_seq = True
            _flush(literal, tokens)
            tokens.append(field)
        elif not char.isprintable():
            raise _refuse(
                f"character {char!r} at position {i} (only printable characters are allowed"
                " in literal text)",
                pattern,
            )
        else:
            literal.append(char)
            i += 1
    _flush(literal, tokens)
    if not seen_seq:
        raise _refuse("no '{seq}' field (exactly one is needed)", pattern)
    return tuple(tokens)


def _check_reset(tokens: tuple[_Token, ...], reset: Reset, pattern: str) -> None:
    """Refuse a format whose numbers would repeat after its counter resets."""
    names = {token.name for token in tokens if isinstance(token, _Field)}
    has_year = bool(names & _YEAR_FIELDS)
    if reset is Reset.YEARLY and not has_year:
        raise ConfigurationError(
            f"number format {pattern!r} resets yearly but has no '{{year}}' or '{{yy}}' field,"
            " so two years would give the same numbers: add one, or use reset 'never'"
        )
    if reset is Reset.MONTHLY and not (has_year and "month" in names):
        raise ConfigurationError(
            f"number format {pattern!r} resets monthly but lacks a '{{year}}' (or '{{yy}}') and"
            " a '{month}' field, so two months would give the same numbers: add them,"
            " or use reset 'yearly' or 'never'"
        )


def _parse(pattern: object, reset: Reset) -> tuple[_Token, ...]:
    """Validate a whole pattern: type, length (first, so huge input is cheap), tokens, reset."""
    if not isinstance(pattern, str):
        raise ConfigurationError(
            f"number format must be a str, got {type(pattern).__name__}: {_ALLOWED}"
        )
    if len(pattern) > MAX_PATTERN_LENGTH:
        raise ConfigurationError(
            f"number format is {len(pattern)} characters long: at most {MAX_PATTERN_LENGTH}"
            " characters are allowed"
        )
    tokens = _tokenize(pattern)
    _check_reset(tokens, reset, pattern)
    return tokens


def _pad(value: int, width: int) -> str:
    return str(value).zfill(width)


@attrs.frozen
class NumberFormat:
    """A checked numbering pattern and its reset rule; build it with ``NumberFormat.parse``.

    Construction always validates, so a ``NumberFormat`` in hand is safe to render.
    Equal patterns with equal resets are equal.
    """

    #: The pattern exactly as the user wrote it.
    pattern: str
    #: When the counter starts again at 1.
    reset: Reset = attrs.field(default=Reset.YEARLY, converter=_to_reset)
    _tokens: tuple[_Token, ...] = attrs.field(init=False, repr=False, eq=False)

    @_tokens.default
    def _tokens_from_pattern(self) -> tuple[_Token, ...]:
        return _parse(self.pattern, self.reset)

    @classmethod
    def parse(cls, pattern: str, *, reset: Reset = Reset.YEARLY) -> NumberFormat:
        """Check ``pattern`` against the whitelist and the reset rule; raise ConfigurationError.

        Grammar: literal text, ``{{`` and ``}}`` for literal braces, and fields ``{name}``
        where name is one of seq, year, yy, month, day, series, or ``{seq:0Nd}`` (zero-padded
        to N digits, 1 <= N <= 12) or ``{seq:d}``. Exactly one seq field; at most 100
        characters; literal text only printable characters.
        """
        return cls(pattern, reset)

    def __str__(self) -> str:
        """The pattern as written."""
        return self.pattern

    def period_key(self, issue_date: date) -> str:
        """The counter's period for ``issue_date``: ``all``, ``2026`` or ``2026-03``.

        Numbers are sequential per (seller, series, period key). Pass the issue date in
        the seller's time zone.
        """
        if self.reset is Reset.NEVER:
            return "all"
        year = _pad(issue_date.year, 4)
        if self.reset is Reset.YEARLY:
            return year
        return year + "-" + _pad(issue_date.month, 2)

    def render(self, seq: int, *, issue_date: date, series: str) -> str:
        """The number for sequence ``seq`` issued on ``issue_date`` in ``series``.

        Raises ValidationError (a ValueError) unless ``seq`` is an int >= 1. A ``seq``
        longer than its padding is written in full, never cut.
        """
        value: object = seq  # checked as the object it is: callers may pass anything
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValidationError(
                [problem("seq", "must be an integer >= 1", seq)], subject="invoice number"
            )
        parts: list[str] = []
        for token in self._tokens:
            if isinstance(token, _Literal):
                parts.append(token.text)
            elif token.name == "seq":
                parts.append(_pad(seq, token.width))
            elif token.name == "year":
                parts.append(_pad(issue_date.year, 4))
            elif token.name == "yy":
                parts.append(_pad(issue_date.year % 100, 2))
            elif token.name == "month":
                parts.append(_pad(issue_date.month, 2))
            elif token.name == "day":
                parts.append(_pad(issue_date.day, 2))
            else:
                parts.append(series)
        return "".join(parts)


def _check_series_name(_: object, __: attrs.Attribute[str], name: object) -> None:
    if not isinstance(name, str) or _SERIES_NAME.fullmatch(name) is None:
        raise ConfigurationError(
            f"invalid series name {name!r}: allowed are 1 to 40 characters of A-Z, a-z, 0-9,"
            " '_' and '-'"
        )


def _check_format(_: object, __: attrs.Attribute[NumberFormat], value: object) -> None:
    if not isinstance(value, NumberFormat):
        raise ConfigurationError(
            f"series format must be a NumberFormat (use NumberFormat.parse), got"
            f" {type(value).__name__}"
        )


@attrs.frozen
class Series:
    """A named run of numbers with its own counter and format (``invoice``, ``credit_note``)."""

    #: 1 to 40 characters of ``[A-Za-z0-9_-]``; part of the counter key.
    name: str = attrs.field(validator=_check_series_name)
    #: How this series' numbers are written and when its counter resets.
    format: NumberFormat = attrs.field(validator=_check_format)

    @classmethod
    def of(cls, name: str, pattern: str, reset: Reset = Reset.YEARLY) -> Series:
        """Build a series from a name and a pattern; raise ConfigurationError if either is bad."""
        return cls(name, NumberFormat.parse(pattern, reset=reset))

    def number(self, seq: int, issue_date: date) -> str:
        """The number for sequence ``seq`` issued on ``issue_date`` in this series."""
        return self.format.render(seq, issue_date=issue_date, series=self.name)


def default_series() -> tuple[Series, Series]:
    """The ``invoice`` and ``credit_note`` series with the default yearly formats."""
    return (
        Series.of("invoice", DEFAULT_INVOICE_FORMAT),
        Series.of("credit_note", DEFAULT_CREDIT_NOTE_FORMAT),
    )


def changed_series(before: tuple[Series, ...], after: tuple[Series, ...]) -> list[str]:
    """Names of the series in ``before`` that ``after`` removes or gives another format or reset."""
    kept = {series.name: series.format for series in after}
    return [series.name for series in before if kept.get(series.name) != series.format]
