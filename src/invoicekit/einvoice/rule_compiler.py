"""Compiling the e-invoice rule sets, once per process: XML Schemas with lxml, schematron with Saxon.

Split from :mod:`invoicekit.einvoice.validation`, which runs what is compiled here.
Compiled rules are cached per (file, preloaded documents) with a lock each, and the
one Saxon processor may read local files only, so no compilation touches the network.
"""

from __future__ import annotations

import re
import threading
from pathlib import Path
from typing import Any

from invoicekit._extras import require

try:
    from lxml import etree
except ImportError:  # raise the MissingExtraError naming the extra, not lxml's own error
    require("lxml.etree", extra="einvoice", feature="e-invoice validation")
    raise

from invoicekit.einvoice.rulesets import (
    RuleKind,
    RuleSet,
)
from invoicekit.errors import ConfigurationError

__all__: list[str] = []

_cache: dict[tuple[Path, tuple[str, ...]], tuple[Any, threading.Lock]] = {}
_cache_lock = threading.Lock()
_saxon_lock = threading.Lock()
_saxon_processor: list[Any] = []


def _compiled(rule_set: RuleSet, root: str) -> tuple[Any, threading.Lock]:
    """The compiled rules for this rule set and root element, compiled on first use."""
    path = rule_set.path_for(root)
    key = (path, rule_set.preload)
    with _cache_lock:
        hit = _cache.get(key)
        if hit is None:
            rules: Any = (
                _compile_xsd(rule_set, path)
                if rule_set.kind is RuleKind.XSD
                else _compile_xslt(rule_set, path)
            )
            hit = _cache[key] = (rules, threading.Lock())
    return hit


def _compile_xsd(rule_set: RuleSet, path: Path) -> etree.XMLSchema:
    parser = etree.XMLParser(no_network=True, resolve_entities=False, load_dtd=False)
    try:
        return etree.XMLSchema(etree.parse(str(path), parser=parser))
    except (etree.XMLSchemaParseError, etree.XMLSyntaxError, OSError) as exc:
        raise ConfigurationError(
            f"rule set {rule_set.name!r}: cannot load the XML Schema {path}: {exc}; "
            f"reinstall it with: {rule_set.install}"
        ) from exc


def _saxon() -> Any:
    """The process's one Saxon-HE processor, allowed to read local files and nothing else."""
    if not _saxon_processor:
        saxonche = require("saxonche", extra="einvoice", feature="e-invoice schematron validation")
        processor = saxonche.PySaxonProcessor(license=False)
        processor.set_configuration_property("http://saxon.sf.net/feature/allowedProtocols", "file")
        _saxon_processor.append(processor)
    return _saxon_processor[0]


def _compile_xslt(rule_set: RuleSet, path: Path) -> Any:
    with _saxon_lock:
        processor = _saxon()
        try:
            compiler = processor.new_xslt30_processor()
            if rule_set.preload:
                text, documents = _with_preloaded_documents(rule_set, path)
                executable = compiler.compile_stylesheet(stylesheet_text=text)
                for name, document in documents.items():
                    executable.set_parameter(name, processor.parse_xml(xml_file_name=document))
            else:
                executable = compiler.compile_stylesheet(stylesheet_file=str(path))
        except ConfigurationError:
            raise
        except Exception as exc:  # saxonche raises its own PySaxonApiError
            raise ConfigurationError(
                f"rule set {rule_set.name!r}: Saxon cannot compile {path}: {exc}"
            ) from exc
    if executable is None:
        raise ConfigurationError(f"rule set {rule_set.name!r}: Saxon cannot compile {path}")
    return executable


def _with_preloaded_documents(rule_set: RuleSet, path: Path) -> tuple[str, dict[str, str]]:
    """The stylesheet with each ``document('file')`` read from a parameter parsed once."""
    text = path.read_text(encoding="utf-8")
    documents: dict[str, str] = {}
    declarations = []
    for i, name in enumerate(rule_set.preload):
        call = f"document('{name}')"
        file = path.parent / name
        if call not in text or not file.is_file():
            raise ConfigurationError(
                f"rule set {rule_set.name!r}: {path.name} does not read {name} as expected; "
                f"reinstall it with: {rule_set.install}"
            )
        param = f"invoicekit-document-{i}"
        text = text.replace(call, f"${param}")
        documents[param] = str(file)
        declarations.append(f'<xsl:param name="{param}" as="document-node()" required="yes"/>')
    opening = re.search(r"<xsl:(stylesheet|transform)\b[^>]*>", text)
    if opening is None or "document(" in text:
        raise ConfigurationError(f"rule set {rule_set.name!r}: unexpected stylesheet {path}")
    text = text[: opening.end()] + "".join(declarations) + text[opening.end() :]
    return text, documents
