"""Walk a received e-invoice by prefixed paths, remembering every element read.

What was never read is reported as an ``UnknownElement`` with its XPath, so nothing the
reader does not map is dropped silently. Numbers and dates are parsed exactly here, and
every problem names the XPath of the offending element.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any, Final, TypeVar

import attrs

from invoicekit.errors import Problem, ValidationError, problem

_T = TypeVar("_T")

#: The subject of every ValidationError the reader raises.
SUBJECT: Final = "e-invoice"
#: The prefixes paths are written with, for UBL 2.1 and CII D16B.
NS: Final = {
    "ubl": "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2",
    "cn": "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2",
    "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
    "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
    "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
    "udt": "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100",
    "qdt": "urn:un:unece:uncefact:data:standard:QualifiedDataType:100",
}
_PREFIX: Final = {uri: prefix for prefix, uri in NS.items()}
_DATE_102: Final = re.compile(r"\d{8}")
_DECIMAL: Final = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")
_NOT_MAPPED: Final = "not mapped to the invoicekit model"
_NOT_DECIMAL: Final = "must be a decimal number like 1234.56"


@attrs.frozen
class Stated:
    """A value as the document states it, with the XPath it was read from.

    ``at`` is the XPath, or the (source, element) pair it is worked out from when
    asked: most stated values are never reported, so their paths are never needed.
    """

    value: Decimal
    at: str | tuple[Source, Any]

    @property
    def path(self) -> str:
        """The XPath of the element the value was read from."""
        at = self.at
        return at if isinstance(at, str) else at[0].path(at[1])


@attrs.frozen
class UnknownElement:
    """An element of the XML the read document does not hold, with its XPath and why."""

    path: str
    text: str | None
    reason: str = _NOT_MAPPED


@attrs.frozen
class ReadWarning:
    """What a receiver should know but cannot change: kept as stated, at its XPath, and why."""

    path: str
    message: str
    value: str | None = None


def fail(path: str, message: str, value: object = None) -> ValidationError:
    """The error for one problem at ``path`` (an XPath) of the document being read."""
    found = problem(path, message, value) if value is not None else problem(path, message)
    return ValidationError([found], subject=SUBJECT)


def build_or_fail(where: str, build: Callable[[], _T]) -> _T:
    """Run a model constructor, putting the XPath in front of every problem it reports."""
    try:
        return build()
    except ValidationError as exc:
        raise ValidationError(
            [
                Problem(f"{where} {p.path}".strip(), p.message, p.value, p.has_value)
                for p in exc.problems
            ],
            subject=SUBJECT,
        ) from None


class Source:
    """Walks one parsed document, remembering every element read so the rest can be reported."""

    def __init__(self, root: Any) -> None:
        self.root = root
        self.seen: set[Any] = {root}
        #: The XPath of every element asked for so far (parents are asked for again and again).
        self._paths: dict[Any, str] = {}
        self.notes: list[UnknownElement] = []
        self.warnings: list[ReadWarning] = []

    @staticmethod
    def tag(step: str) -> str:
        """The Clark name (``{uri}local``) of one prefixed step such as ``cbc:ID``."""
        return _clark(step)

    def one(self, parent: Any, path: str) -> Any | None:
        """The first element at ``path`` below ``parent``, marked as read; None if absent."""
        node = parent
        for step in _clark_path(path):
            node = next(node.iterchildren(step), None)
            if node is None:
                return None
            self.seen.add(node)
        return node

    def all(self, parent: Any, path: str) -> list[Any]:
        """Every element at ``path`` below ``parent`` (repeated last step), marked as read."""
        head, _, last = path.rpartition("/")
        node = self.one(parent, head) if head else parent
        if node is None:
            return []
        found = list(node.iterchildren(self.tag(last)))
        self.seen.update(found)
        return list(found)

    def text(self, parent: Any, path: str) -> str | None:
        """The stripped text at ``path``; None when absent or empty."""
        node = self.one(parent, path)
        return None if node is None else text_of(node)

    def stated(self, parent: Any, path: str) -> tuple[str, str] | None:
        """The text at ``path`` ("" when empty) with its XPath, to compare with what the model derives."""
        node = self.one(parent, path)
        return None if node is None else (text_of(node) or "", self.path(node))

    def required(self, parent: Any, path: str, term: str) -> str:
        """The text at ``path``; raises ValidationError naming ``term`` when it is missing."""
        value = self.text(parent, path)
        if value is None:
            raise self._missing(parent, path, term)
        return value

    def amount(self, parent: Any, path: str) -> Stated | None:
        """The exact Decimal at ``path`` with its XPath; None when absent."""
        node = self.one(parent, path)
        if node is None:
            return None
        return Stated(decimal(text_of(node), lambda: self.path(node)), (self, node))

    def number(self, parent: Any, path: str) -> Decimal | None:
        """The exact Decimal at ``path``; None when absent."""
        found = self.amount(parent, path)
        return None if found is None else found.value

    def required_date(self, parent: Any, path: str, term: str, *, cii: bool = False) -> date:
        """The date at ``path``; raises ValidationError naming ``term`` when it is missing."""
        found = self.date(parent, path, cii=cii)
        if found is None:
            raise self._missing(parent, path, term)
        return found

    def date(self, parent: Any, path: str, *, cii: bool = False) -> date | None:
        """The date at ``path`` (ISO in UBL, a format-102 DateTimeString in CII); None when absent."""
        node = self.one(parent, path)
        if node is None:
            return None
        return _date(self, node, cii=cii)

    def build(self, node: Any, build: Callable[[], _T]) -> _T:
        """``build_or_fail`` at ``node``'s XPath, worked out only when a problem is reported."""
        try:
            return build()
        except ValidationError:
            return build_or_fail(self.path(node), build)

    def note(self, node: Any, reason: str) -> None:
        """Report ``node`` as read but not held by the model, saying why."""
        self.notes.append(UnknownElement(self.path(node), text_of(node), reason))

    def warn(self, where: Any, message: str, value: str | None = None) -> None:
        """Warn about the element ``where`` (or an XPath): kept as stated, but worth knowing."""
        path = where if isinstance(where, str) else self.path(where)
        self.warnings.append(ReadWarning(path, message, value))

    def path(self, node: Any) -> str:
        """The XPath of ``node``, with prefixes and a position where a name repeats."""
        found = self._paths.get(node)
        if found is None:
            parent = node.getparent()
            if parent is None:
                found = f"/{prefixed(node.tag)}"
            else:
                same = list(parent.iterchildren(node.tag))
                step = prefixed(node.tag)
                if len(same) > 1:
                    step += f"[{same.index(node) + 1}]"
                found = f"{self.path(parent)}/{step}"
            self._paths[node] = found
        return found

    def unknown(self) -> tuple[UnknownElement, ...]:
        """The topmost elements never read, then the read ones the model cannot hold."""
        found = [
            UnknownElement(self.path(node), text_of(node))
            for node in self.root.iter("{*}*")
            if node not in self.seen and node.getparent() in self.seen
        ]
        return (*found, *self.notes)

    def _missing(self, parent: Any, path: str, term: str) -> ValidationError:
        where = f"{self.path(parent)}/{path}"
        return fail(where, f"{term} is required; the document does not state it")


@functools.cache
def _clark(step: str) -> str:
    prefix, local = step.split(":")
    return f"{{{NS[prefix]}}}{local}"


@functools.cache
def _clark_path(path: str) -> tuple[str, ...]:
    """The Clark names of a prefixed path's steps (the reader's own paths: a bounded set)."""
    return tuple(_clark(step) for step in path.split("/"))


@functools.lru_cache(maxsize=1024)
def prefixed(tag: str) -> str:
    """A Clark name written with the reader's prefix (``cbc:ID``); unknown namespaces as is."""
    uri, _, local = tag[1:].partition("}") if tag.startswith("{") else ("", "", tag)
    prefix = _PREFIX.get(uri)
    return f"{prefix}:{local}" if prefix else tag


def text_of(node: Any) -> str | None:
    """An element's stripped text; None when it has none."""
    value = (node.text or "").strip()
    return value or None


def decimal(text: str | None, where: str | Callable[[], str]) -> Decimal:
    """A number as written in the XML, as an exact Decimal (never through float).

    ``where`` is the XPath, or a function giving it: it is needed only for the error.
    """
    if text is None or not _DECIMAL.fullmatch(text):
        raise fail(where if isinstance(where, str) else where(), _NOT_DECIMAL, text)
    return Decimal(text)


def _date(src: Source, node: Any, *, cii: bool) -> date:
    if cii:
        inner = src.one(node, "udt:DateTimeString")
        if inner is None:
            inner = src.one(node, "qdt:DateTimeString")
        if inner is None:
            raise fail(src.path(node), "needs a DateTimeString child")
        text = text_of(inner)
        if inner.get("format", "102") != "102" or text is None or not _DATE_102.fullmatch(text):
            raise fail(src.path(inner), "must be a date in format 102 (YYYYMMDD)", text)
        text = f"{text[:4]}-{text[4:6]}-{text[6:]}"
    else:
        inner, text = node, text_of(node)
    try:
        return date.fromisoformat(text or "")
    except ValueError:
        raise fail(src.path(inner), "must be a date like 2026-03-01", text) from None
