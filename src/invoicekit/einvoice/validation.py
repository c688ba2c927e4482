"""Check an e-invoice against the official rules (XML Schema, CEN's EN 16931 schematron), offline.

Each rule set is compiled once per process and cached; the files come from installed
wheels (see :mod:`invoicekit.einvoice.rulesets`) and Saxon may read local files only,
so no validation ever touches the network. A rule set that is not installed is a
``ConfigurationError``, never a silent pass. The compiling is in rule_compiler; this
module chooses the rule sets, runs them and reports the findings.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping, Sequence
from enum import StrEnum
from typing import Any, Final

import attrs

from invoicekit._extras import require

try:
    from lxml import etree
except ImportError:  # raise the MissingExtraError naming the extra, not lxml's own error
    require("lxml.etree", extra="einvoice", feature="e-invoice validation")
    raise

from invoicekit.einvoice import safexml
from invoicekit.einvoice.rule_compiler import _compiled, _saxon, _saxon_lock
from invoicekit.einvoice.rulesets import (
    AUTO,
    CII,
    RULESETS,
    UNAVAILABLE,
    RuleKind,
    RuleSet,
)
from invoicekit.errors import ConfigurationError, ValidationError, problem

__all__ = [
    "Finding",
    "RuleSetInfo",
    "Severity",
    "ValidationReport",
    "bundled_rules",
    "prepare",
    "validate",
]

_SVRL: Final = "{http://purl.oclc.org/dsdl/svrl}"
_RULE_ID_IN_TEXT: Final = re.compile(r"^\s*\[([A-Za-z0-9._-]+)\]\s*-?\s*")
_NS_STEP: Final = re.compile(r"\*:([\w.-]+)\[namespace-uri\(\)='[^']*'\]")
_CLARK_STEP: Final = re.compile(r"Q\{[^}]*\}")
_CIUS_GUIDELINE: Final = re.compile(r"^urn:cen\.eu:en16931:2017#(compliant|conformant)#\S+")
_GUIDELINE_ID: Final = (
    "{urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100}ExchangedDocumentContext/"
    "{urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100}"
    "GuidelineSpecifiedDocumentContextParameter/"
    "{urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100}ID"
)


class Severity(StrEnum):
    """How bad a finding is; only fatal findings make a document invalid."""

    #: The document breaks the rule; receivers must reject it.
    FATAL = "fatal"
    #: The rule advises against what the document does; it stays valid.
    WARNING = "warning"


@attrs.frozen
class Finding:
    """One rule a document broke: the rule id (``BR-CO-10``), where (an XPath) and the rule's text."""

    rule_id: str
    severity: Severity
    location: str
    message: str
    rule_set: str
    test: str = ""

    @property
    def path(self) -> str:
        """The location without namespace noise, e.g. ``/Invoice[1]/LegalMonetaryTotal[1]``."""
        return _CLARK_STEP.sub("", _NS_STEP.sub(r"\1", self.location))

    def __str__(self) -> str:
        return f"[{self.rule_id or self.rule_set}] {self.message} (at {self.path or '/'})"


@attrs.frozen
class RuleSetInfo:
    """What a rule set is, which version is installed, and from which package."""

    name: str
    title: str
    kind: RuleKind
    version: str
    package: str
    package_version: str | None
    installed: bool
    install: str


@attrs.frozen
class ValidationReport:
    """The outcome of :func:`validate`: ``valid`` unless a fatal finding exists."""

    valid: bool
    errors: tuple[Finding, ...]
    warnings: tuple[Finding, ...]
    rules: tuple[RuleSetInfo, ...]

    @property
    def rule_ids(self) -> frozenset[str]:
        """The ids of every fatal finding, for quick checks such as ``"BR-CO-10" in ...``."""
        return frozenset(f.rule_id for f in self.errors)

    def raise_for_errors(self) -> ValidationReport:
        """Return the report if valid, else raise one ValidationError listing every error.

        Raises:
            ValidationError: one problem per fatal finding, its path the finding's
                location and its message ``[rule id] rule text``.
        """
        if self.valid:
            return self
        used = ", ".join(r.name for r in self.rules)
        raise ValidationError(
            [
                problem(f.path or "/", f"[{f.rule_id or f.rule_set}] {f.message}")
                for f in self.errors
            ],
            subject=f"e-invoice (rules: {used})",
        )


def bundled_rules(table: Mapping[str, RuleSet] | None = None) -> tuple[RuleSetInfo, ...]:
    """Every rule set invoicekit knows, with the installed version and package (for the docs)."""
    return tuple(_info(r) for r in (RULESETS if table is None else table).values())


def prepare(
    rules: str | RuleSet | Sequence[str | RuleSet] = "auto",
    *,
    table: Mapping[str, RuleSet] | None = None,
) -> tuple[RuleSetInfo, ...]:
    """Compile rule sets now rather than on the first validation (e.g. at server start).

    ``"auto"`` compiles what :func:`validate` runs for UBL and for CII documents.

    Raises:
        ConfigurationError: a rule set is unknown, not installed or does not compile.
    """
    done: dict[str, RuleSetInfo] = {}
    for root in AUTO:
        try:
            chosen = _choose(rules, root, table)
        except ConfigurationError:
            continue
        for rule_set in chosen:
            _compiled(rule_set, root)
            done[rule_set.name] = _info(rule_set)
    if not done:
        _choose(rules, next(iter(AUTO)), table)  # raises the reason nothing matched
    return tuple(done.values())


def validate(
    xml: bytes,
    *,
    rules: str | RuleSet | Sequence[str | RuleSet] = "auto",
    table: Mapping[str, RuleSet] | None = None,
    max_bytes: int = safexml.DEFAULT_MAX_BYTES,
) -> ValidationReport:
    """Check one UBL or CII e-invoice against the official rules and report every finding.

    ``rules`` names rule sets from :func:`bundled_rules` (or passes :class:`RuleSet`
    objects); ``"auto"`` runs the XML Schema and the EN 16931 rules for the document's
    syntax. ``table`` replaces the table of rule sets the names are looked up in.

    Raises:
        ValidationError: the bytes are not an e-invoice: hostile or malformed XML
            (see :func:`invoicekit.einvoice.safexml.parse`) or an unknown root element.
        ConfigurationError: a rule set is unknown, not installed, does not check this
            syntax, or failed to run.
        MissingExtraError: saxonche is not installed (the ``einvoice`` extra).
    """
    root = safexml.parse(xml, max_bytes=max_bytes)
    if root.tag not in AUTO:
        raise ValidationError(
            [
                problem(
                    "/",
                    "root element is not an e-invoice; expected UBL Invoice, UBL CreditNote "
                    "or CII CrossIndustryInvoice",
                    root.tag,
                )
            ],
            subject="e-invoice XML",
        )
    chosen = _choose(rules, root.tag, table)
    findings: list[Finding] = []
    for rule_set in chosen:
        compiled = _compiled(rule_set, root.tag)
        if rule_set.kind is RuleKind.XSD:
            findings.extend(_run_xsd(rule_set, compiled, root))
        else:
            findings.extend(_run_schematron(rule_set, compiled, root))
    errors = tuple(f for f in findings if f.severity is Severity.FATAL)
    warnings = tuple(f for f in findings if f.severity is not Severity.FATAL)
    return ValidationReport(
        valid=not errors,
        errors=errors,
        warnings=warnings,
        rules=tuple(_info(r) for r in chosen),
    )


def _choose(
    rules: str | RuleSet | Sequence[str | RuleSet],
    root: str,
    table: Mapping[str, RuleSet] | None,
) -> tuple[RuleSet, ...]:
    """The rule sets to run on a document with this root, in order, without repeats."""
    known = RULESETS if table is None else table
    wanted: list[str | RuleSet] = [rules] if isinstance(rules, str | RuleSet) else list(rules)
    if not wanted:
        raise ConfigurationError(
            "no rule sets given: a validation without rules would pass anything; "
            "use rules='auto' or name rule sets from bundled_rules()"
        )
    chosen: dict[str, RuleSet] = {}
    for item in wanted:
        for rule_set in _lookup(item, root, known):
            if not rule_set.applies_to(root):
                rule_set.path_for(root)  # raises: names the syntax the rule set checks
            chosen.setdefault(rule_set.name, rule_set)
    return tuple(chosen.values())


def _lookup(item: str | RuleSet, root: str, known: Mapping[str, RuleSet]) -> list[RuleSet]:
    if isinstance(item, RuleSet):
        return [item]
    if item == "auto":
        return [_lookup(name, root, known)[0] for name in AUTO[root]]
    if item in known:
        return [known[item]]
    if item in UNAVAILABLE:
        raise ConfigurationError(f"rule set {item!r} is not available: {UNAVAILABLE[item]}")
    raise ConfigurationError(
        f"unknown rule set {item!r}; known: 'auto', {', '.join(repr(k) for k in known)}"
    )


def _info(rule_set: RuleSet) -> RuleSetInfo:
    try:
        rule_set.base_directory()
        installed = all(
            (rule_set.base_directory() / f).is_file() for f in set(rule_set.files.values())
        )
    except ConfigurationError:
        installed = False
    return RuleSetInfo(
        name=rule_set.name,
        title=rule_set.title,
        kind=rule_set.kind,
        version=rule_set.installed_version() if installed else rule_set.version,
        package=rule_set.distribution,
        package_version=rule_set.distribution_version(),
        installed=installed,
        install=rule_set.install,
    )


# -- running -------------------------------------------------------------------------------


def _run_xsd(
    rule_set: RuleSet, compiled: tuple[Any, threading.Lock], root: etree._Element
) -> list[Finding]:
    schema, lock = compiled
    with lock:
        if schema.validate(root.getroottree()):
            return []
        entries = list(schema.error_log)
    return [
        Finding(
            rule_id="XSD",
            severity=Severity.FATAL,
            location=e.path or "",
            message=f"line {e.line}: {e.message}",
            rule_set=rule_set.name,
        )
        for e in entries
    ]


def _run_schematron(
    rule_set: RuleSet, compiled: tuple[Any, threading.Lock], root: etree._Element
) -> list[Finding]:
    executable, _ = compiled
    text = etree.tostring(root, encoding="unicode")
    with _saxon_lock:
        try:
            document = _saxon().parse_xml(xml_text=text)
            svrl = executable.transform_to_string(xdm_node=document)
        except Exception as exc:  # saxonche raises its own PySaxonApiError
            raise ConfigurationError(
                f"rule set {rule_set.name!r} failed to run, so nothing was checked: {exc}"
            ) from exc
    if not svrl:
        raise ConfigurationError(f"rule set {rule_set.name!r} produced no report")
    report = etree.fromstring(svrl.encode("utf-8"), parser=safexml.parser())
    tolerate = _is_cius(root) and bool(rule_set.cius_tolerated)
    return [
        _finding(rule_set, node, tolerate=tolerate)
        for node in report.iter(f"{_SVRL}failed-assert", f"{_SVRL}successful-report")
    ]


def _finding(rule_set: RuleSet, node: etree._Element, *, tolerate: bool) -> Finding:
    raw = " ".join(str(s) for t in node.iter(f"{_SVRL}text") for s in t.itertext())
    text = " ".join(raw.split())
    rule_id = node.get("id") or ""
    prefix = _RULE_ID_IN_TEXT.match(text)
    if prefix:
        rule_id = rule_id or prefix.group(1)
        text = text[prefix.end() :]
    flag = (node.get("flag") or "fatal").lower()
    severity = Severity.WARNING if flag in {"warning", "information", "info"} else Severity.FATAL
    if tolerate and rule_id in rule_set.cius_tolerated and severity is Severity.FATAL:
        severity = Severity.WARNING
        text += (
            " (reported as a warning: the guideline id is a CIUS of EN 16931, e.g. "
            "XRechnung, which the Factur-X code list does not list)"
        )
    test = node.get("test") or ""
    for i, name in enumerate(rule_set.preload):  # show the test as the official file has it
        test = test.replace(f"$invoicekit-document-{i}", f"document('{name}')")
    return Finding(
        rule_id=rule_id,
        severity=severity,
        location=node.get("location") or "",
        message=text,
        rule_set=rule_set.name,
        test=test,
    )


def _is_cius(root: etree._Element) -> bool:
    """Whether a CII document declares a CIUS of EN 16931 (XRechnung) as its guideline."""
    if root.tag != CII:
        return False
    return bool(_CIUS_GUIDELINE.match((root.findtext(_GUIDELINE_ID) or "").strip()))
