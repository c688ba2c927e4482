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
    names taken from a package's ``__init__`` are what is depended on.
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
                found.append((node.lineno, base))
    return found


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
