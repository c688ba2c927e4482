"""The folder tree is the architecture: the pure core imports inward only and does no I/O.

Checked by reading the source (``ast``), not by importing it, so a violation is
found even in a branch no test runs. The pure core is ``errors.py``,
``money.py`` and everything under ``domain/``; it may import the standard
library minus the modules that do I/O, read the clock or randomness, plus
attrs, dateutil and moneyed, and from invoicekit only ``errors``, ``money``
and ``domain``.
"""

from __future__ import annotations

import ast
import importlib.util
import sys
from pathlib import Path
from typing import Final

import pytest

PACKAGE_DIR: Final = Path(__file__).resolve().parents[2] / "src" / "invoicekit"

#: Standard-library modules the pure core must not import: they do I/O, read
#: the clock, draw randomness, run concurrently or import dynamically.
FORBIDDEN_STDLIB: Final = frozenset(
    {
        # named in the issue
        "asyncio",
        "http",
        "io",
        "logging",
        "os",
        "pathlib",
        "random",
        "secrets",
        "socket",
        "sqlite3",
        "subprocess",
        "threading",
        "time",
        "urllib",
        "uuid",
        # the same kind, added for completeness
        "concurrent",
        "ctypes",
        "ftplib",
        "glob",
        "importlib",
        "multiprocessing",
        "select",
        "selectors",
        "shutil",
        "signal",
        "smtplib",
        "socketserver",
        "ssl",
        "tempfile",
        "webbrowser",
    }
)

#: Third-party distributions the pure core may use (their import names).
ALLOWED_THIRD_PARTY: Final = frozenset({"attrs", "dateutil", "moneyed"})

#: Clock reads, as attribute calls: ``datetime.now()``, ``date.today()``, ...
CLOCK_METHODS: Final = frozenset({"now", "utcnow", "today"})


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE_DIR.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _pure_core_files() -> list[Path]:
    files = [PACKAGE_DIR / "errors.py", PACKAGE_DIR / "money.py"]
    domain = PACKAGE_DIR / "domain"
    if domain.is_dir():
        files.extend(sorted(domain.rglob("*.py")))
    return [path for path in files if path.is_file()]


PURE_CORE: Final = _pure_core_files()


def _imported_modules(path: Path) -> list[tuple[int, str]]:
    """Every module ``path`` imports, as ``(line, absolute dotted name)``.

    ``from X import a`` counts as importing ``X``, except ``from invoicekit
    import a`` (and its relative forms), which counts as ``invoicekit.a``: the
    names taken from a package's ``__init__`` are what is depended on; and
    ``from X import m`` of a submodule ``m`` counts as importing ``X.m``.
    """
    module = _module_name(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = importlib.util.resolve_name("." * node.level + (node.module or ""), package)
            else:
                base = node.module or ""
            if base == "invoicekit":
                found.extend((node.lineno, f"invoicekit.{alias.name}") for alias in node.names)
            else:
                found.extend((node.lineno, _submodule(base, alias.name)) for alias in node.names)
    return found


def _submodule(base: str, name: str) -> str:
    """``base.name`` when ``from base import name`` takes a submodule of ours, else ``base``."""
    if not base.startswith("invoicekit."):
        return base
    folder = PACKAGE_DIR.parent.joinpath(*base.split("."))
    is_module = (folder / f"{name}.py").is_file() or (folder / name / "__init__.py").is_file()
    return f"{base}.{name}" if is_module else base


def _allowed_in_pure_core(name: str) -> bool:
    top = name.partition(".")[0]
    if top == "invoicekit":
        return name in {"invoicekit.errors", "invoicekit.money", "invoicekit.domain"} or (
            name.startswith("invoicekit.domain.")
        )
    if top in ALLOWED_THIRD_PARTY:
        return True
    return top in sys.stdlib_module_names and top not in FORBIDDEN_STDLIB


def _ids(paths: list[Path]) -> list[str]:
    return [str(path.relative_to(PACKAGE_DIR)) for path in paths]


def test_the_pure_core_is_found() -> None:
    assert PACKAGE_DIR.is_dir()
    assert PACKAGE_DIR / "errors.py" in PURE_CORE


@pytest.mark.parametrize("path", PURE_CORE, ids=_ids(PURE_CORE))
def test_pure_core_imports_only_inward_and_no_io(path: Path) -> None:
    bad = [
        f"line {line}: imports {name}"
        for line, name in _imported_modules(path)
        if not _allowed_in_pure_core(name)
    ]

    assert bad == [], (
        f"{path.relative_to(PACKAGE_DIR)} is pure core: it may import the standard library "
        "(without I/O, clock or randomness modules), attrs, dateutil, moneyed, and "
        "invoicekit.errors/money/domain only"
    )


@pytest.mark.parametrize("path", PURE_CORE, ids=_ids(PURE_CORE))
def test_pure_core_never_reads_the_clock(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    reads = [
        f"line {node.lineno}: {ast.unparse(node.func)}()"
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and (
            node.func.attr in CLOCK_METHODS
            or (
                isinstance(node.func.value, ast.Name)
                and node.func.value.id == "time"
                and node.func.attr in {"time", "time_ns", "monotonic", "perf_counter"}
            )
        )
    ]

    assert reads == [], "time is a parameter (at=...) in the pure core, never read from a clock"


def test_the_import_check_resolves_relative_imports() -> None:
    # A guard on the checker itself: a domain module importing outward
    # through a relative import must be caught.
    sample = PACKAGE_DIR / "domain" / "invoice.py"
    module = _module_name(sample)
    package = module.rpartition(".")[0]

    assert module == "invoicekit.domain.invoice"
    assert importlib.util.resolve_name("..ports", package) == "invoicekit.ports"
    assert not _allowed_in_pure_core("invoicekit.ports")
    assert not _allowed_in_pure_core("invoicekit")
    assert not _allowed_in_pure_core("os.path")
    assert not _allowed_in_pure_core("sqlalchemy")
    assert _allowed_in_pure_core("invoicekit.domain.lifecycle")
    assert _allowed_in_pure_core("decimal")
    assert _allowed_in_pure_core("dateutil.rrule")


def _package_sources() -> list[Path]:
    return sorted(PACKAGE_DIR.rglob("*.py"))


def test_no_money_round_anywhere_in_the_package() -> None:
    # moneyed.Money.round() (and Decimal rounding by default) is half-even; our
    # rounding mode is always explicit, so `.round(` has no place in our code.
    hits = [
        f"{path.relative_to(PACKAGE_DIR)}:{number}: {line.strip()}"
        for path in _package_sources()
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if ".round(" in line
    ]

    assert hits == [], "use the explicit rounding in invoicekit.money, never .round("


def test_no_builtin_round_anywhere_in_the_package() -> None:
    # round(Decimal) rounds half-even too, silently.
    hits = [
        f"{path.relative_to(PACKAGE_DIR)}:{node.lineno}"
        for path in _package_sources()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path)))
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "round"
    ]

    assert hits == [], "round() is half-even; use the explicit rounding in invoicekit.money"


# --- every layer: imports point inward --------------------------------------------
#
# Layers, innermost first: the pure core (errors, money, domain), the ports (the
# protocols and the records they carry), the services (use cases), then the outer
# ring: adapters (one family per technology), e-invoices, testing helpers. The
# support modules (clock, faults, serialization, _extras) depend on the core only.

#: The pure core, as module name prefixes.
CORE: Final = ("invoicekit.errors", "invoicekit.money", "invoicekit.domain")
#: The ports: the protocols (storage ones in repositories) and the record values they exchange.
PORTS: Final = (
    "invoicekit.ports",
    "invoicekit.repositories",
    # The storage protocols per aggregate, re-exported by repositories.
    "invoicekit.party_repositories",
    "invoicekit.invoice_repositories",
    "invoicekit.message_repositories",
    "invoicekit.payment_repositories",
    "invoicekit.records",
    "invoicekit.payment_records",
    "invoicekit.subscription_records",
    "invoicekit.subscription_repositories",
    # The report port and the report values, definitions and export it carries (issue 17).
    "invoicekit.report_repositories",
    "invoicekit.reports",
    # The live summaries' read port and rows (issue 17, the dashboard).
    "invoicekit.summary_repositories",
)
#: Small support modules any layer outside the core may use.
SUPPORT: Final = (
    "invoicekit.clock",
    "invoicekit.faults",
    "invoicekit.serialization",
    "invoicekit._extras",
)
#: Adapter modules shared by several families (helpers two families need).
SHARED_ADAPTERS: Final = frozenset(
    {
        "invoicekit.adapters",
        "invoicekit.adapters.epc",
        "invoicekit.adapters.signing",
        "invoicekit.adapters.storage.times",
        "invoicekit.adapters.storage.subscription_rows",
        "invoicekit.adapters.storage.usage_batches",
        "invoicekit.adapters.storage.usage_sql",
        "invoicekit.adapters.storage.usage_many",
        # The report queries' SQL, run by the SQLite and the SQLAlchemy adapters alike.
        "invoicekit.adapters.storage.report_sql",
        "invoicekit.adapters.storage.report_entry_sql",
        # The summaries' row helpers (search key, sort orders), the same in every store.
        "invoicekit.adapters.storage.summary_rows",
    }
)
#: What the web app (invoicekit.web, the outermost ring) may import besides core and ports.
WEB_USES: Final = (
    "invoicekit.services",
    "invoicekit.web",
    "invoicekit.adapters.render",
    "invoicekit.adapters.epc",
)
#: The one place that wires concrete adapters into the services.
COMPOSITION_ROOT: Final = "invoicekit.services.billing"
#: The concrete adapter an e-invoice module may build as a default, lazily, and why.
EINVOICE_DEFAULTS: Final = {
    # to_facturx(invoice) draws with a TemplateRenderer when given no Renderer
    ("invoicekit.einvoice.facturx", "invoicekit.adapters.render.renderer"),
}


def _within(name: str, prefixes: tuple[str, ...] | frozenset[str]) -> bool:
    return any(name == prefix or name.startswith(prefix + ".") for prefix in prefixes)


def _adapter_family(module: str) -> str:
    """``notify``, ``payments``, ``render``, or the storage adapter (``storage.sqlite``, ...)."""
    parts = module.split(".")[2:]
    if parts[0] != "storage" or len(parts) == 1:
        return parts[0]
    engine = parts[1].partition("_")[0]
    return "storage.sqlalchemy" if engine == "migrations" else f"storage.{engine}"


def _allowed_import(module: str, name: str) -> bool:  # noqa: PLR0911 - one rule per layer
    """Whether ``module`` (a non-core module of invoicekit) may import ``name``."""
    if not name.startswith("invoicekit"):
        return True  # third-party use outside the core is the extras' business
    if _within(module, ("invoicekit.testing", "invoicekit.cli")):
        return True  # the command is an application on the library, like the examples
    if _within(module, PORTS):
        return _within(name, CORE) or _within(name, PORTS)
    inner = _within(name, CORE + SUPPORT)
    if _within(module, SUPPORT):
        return inner
    if _within(module, ("invoicekit.services",)):
        adapter = _within(name, ("invoicekit.adapters",))
        return (
            inner
            or _within(name, (*PORTS, "invoicekit.services"))
            or (adapter and module == COMPOSITION_ROOT)
        )
    if _within(module, ("invoicekit.einvoice",)):
        return (
            inner
            or _within(name, (*PORTS, "invoicekit.einvoice"))
            or (module, name) in EINVOICE_DEFAULTS
        )
    if _within(module, ("invoicekit.adapters",)):
        if inner or _within(name, PORTS) or name in SHARED_ADAPTERS:
            return True
        return (
            module not in SHARED_ADAPTERS
            and _within(name, ("invoicekit.adapters",))
            and _adapter_family(name) == _adapter_family(module)
        )
    if _within(module, ("invoicekit.web",)):
        # The web app drives Billing from outside: services, ports, and the renderer's view.
        return inner or _within(name, (*PORTS, *WEB_USES))
    return module == "invoicekit"  # the package root: checked by its own test below


def _outer_files() -> list[Path]:
    core = set(PURE_CORE)
    return [
        path
        for path in _package_sources()
        if path not in core and path != PACKAGE_DIR / "__init__.py"
    ]


OUTER: Final = _outer_files()


@pytest.mark.parametrize("path", OUTER, ids=_ids(OUTER))
def test_every_layer_imports_inward(path: Path) -> None:
    module = _module_name(path)
    bad = [
        f"line {line}: imports {name}"
        for line, name in _imported_modules(path)
        if not _allowed_import(module, name)
    ]

    assert bad == [], (
        f"{module} imports across its layer: ports import the core only; services import "
        "ports and the core, never adapters (the composition root services/billing.py "
        "wires them); adapters never import services, einvoice or another adapter family "
        "(move a shared helper to a module both may use, e.g. adapters/storage/times.py)"
    )


def _type_checking_lines(tree: ast.Module) -> set[int]:
    lines: set[int] = set()
    for node in tree.body:
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for inner in node.body:
                lines.update(range(inner.lineno, (inner.end_lineno or inner.lineno) + 1))
    return lines


def test_the_package_root_imports_outer_layers_lazily() -> None:
    # invoicekit/__init__.py names adapters, einvoice and testing helpers in its
    # lazy table (strings) and under TYPE_CHECKING, never in an import that runs.
    path = PACKAGE_DIR / "__init__.py"
    lazy = _type_checking_lines(ast.parse(path.read_text(encoding="utf-8"), str(path)))
    outer = ("invoicekit.adapters", "invoicekit.einvoice", "invoicekit.testing")
    bad = [
        f"line {line}: imports {name}"
        for line, name in _imported_modules(path)
        if _within(name, outer) and line not in lazy
    ]

    assert bad == [], "the package root imports outer layers on first use only (see __getattr__)"


def test_the_layer_check_catches_each_kind_of_leak() -> None:
    # A guard on the checker itself, one case per rule.
    assert not _allowed_import("invoicekit.ports", "invoicekit.services.billing")
    assert not _allowed_import("invoicekit.ports", "invoicekit.serialization")
    assert not _allowed_import("invoicekit.services.invoices", "invoicekit.adapters.render")
    assert _allowed_import(COMPOSITION_ROOT, "invoicekit.adapters.storage.memory")
    assert not _allowed_import("invoicekit.adapters.notify.smtp", "invoicekit.services.billing")
    assert not _allowed_import(
        "invoicekit.adapters.render.renderer", "invoicekit.adapters.payments"
    )
    assert not _allowed_import(
        "invoicekit.adapters.storage.sqlalchemy_messages", "invoicekit.adapters.storage.sqlite"
    )
    assert not _allowed_import("invoicekit.adapters.epc", "invoicekit.adapters.payments.manual")
    assert _allowed_import(
        "invoicekit.adapters.storage.sqlalchemy_repos", "invoicekit.adapters.storage.times"
    )
    assert _allowed_import(
        "invoicekit.adapters.storage.migrations.env",
        "invoicekit.adapters.storage.sqlalchemy_tables",
    )
    assert not _allowed_import("invoicekit.einvoice.cii", "invoicekit.adapters.render.renderer")
    assert not _allowed_import("invoicekit.einvoice.cii", "invoicekit.services.billing")
    assert _allowed_import("invoicekit.testing.fakes", "invoicekit.adapters.storage.memory")
    assert not _allowed_import("invoicekit.clock", "invoicekit.ports")
    assert _allowed_import("invoicekit.web.app", "invoicekit.services.billing")
    assert not _allowed_import("invoicekit.web.app", "invoicekit.adapters.storage.sqlite")
    assert not _allowed_import("invoicekit.services.billing", "invoicekit.web")


def test_ports_define_protocols_and_records_are_apart() -> None:
    # ports.py holds the Protocols; the record values they carry live in records.py
    # (storage protocols in repositories.py), re-exported so old imports keep working.
    from invoicekit import payment_records, ports, records, repositories

    defined_in_ports = [
        name
        for name in ports.__all__
        if getattr(getattr(ports, name), "__module__", None) == "invoicekit.ports"
        and not getattr(getattr(ports, name), "_is_protocol", False)
    ]
    assert defined_in_ports == []
    assert set(records.__all__) | set(repositories.__all__) <= set(ports.__all__)
    assert all(getattr(ports, name) is getattr(records, name) for name in records.__all__)
    assert set(payment_records.__all__) <= set(ports.__all__)
