"""One nox session per concern: ``nox -s lint typecheck tests docs``.

Each session builds its own virtual environment from ``pyproject.toml``'s
extras pinned by ``.ci/constraints/py3.X.txt`` (as CI installs them), so a
session that passes here passes on a fresh machine.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nox

nox.needs_version = ">=2024.3.2"
nox.options.sessions = ["lint", "typecheck", "tests", "docs"]
nox.options.error_on_external_run = True

ROOT = Path(__file__).resolve().parent
LINT_TARGETS = [
    name
    for name in ("src", "tests", "examples", "benchmarks", "docs", "noxfile.py")
    if (ROOT / name).exists()
]
TYPECHECK_TARGETS = [name for name in ("src", "tests/typechecks") if (ROOT / name).exists()]
#: The supported Pythons: those ``bash .ci/lock`` writes a constraints file for.
PYTHONS = sorted(
    (path.stem.removeprefix("py") for path in (ROOT / ".ci" / "constraints").glob("py*.txt")),
    key=lambda version: tuple(map(int, version.split("."))),
)
#: What ``.ci/pythons`` runs on every supported Python: needs only the ``testing`` extra.
PYTHONS_TESTS = [
    "tests/unit",
    "tests/property",
    "tests/contract/test_memory_storage.py",
    "tests/contract/test_sqlite_storage.py",
]


def constraints(session: nox.Session) -> list[str]:
    """``-c`` and the constraints (lock) file of the session's Python, for ``session.install``."""
    version = session.python or f"{sys.version_info.major}.{sys.version_info.minor}"
    return ["-c", str(ROOT / ".ci" / "constraints" / f"py{version}.txt")]


def install(session: nox.Session, *extras: str, editable: bool = True) -> None:
    """Install invoicekit with ``extras`` into the session (editable unless told otherwise)."""
    target = f".[{','.join(extras)}]" if extras else "."
    session.install(*constraints(session), *(["-e"] if editable else []), target)


@nox.session
def lint(session: nox.Session) -> None:
    """Ruff lint and format check."""
    session.install(*constraints(session), "ruff>=0.12")
    session.run("ruff", "check", *LINT_TARGETS)
    session.run("ruff", "format", "--check", *LINT_TARGETS)


@nox.session
def typecheck(session: nox.Session) -> None:
    """Type-check the package and tests/typechecks with mypy --strict."""
    install(session, "dev")
    session.run("mypy", "--strict", *TYPECHECK_TARGETS)


@nox.session
def tests(session: nox.Session) -> None:
    """The whole test suite with every extra installed (soak tests opt in: -- -m soak)."""
    install(session, "all")
    session.install(*constraints(session), "pytest-timeout>=2.2")
    session.run("python", "-m", "pytest", *session.posargs)


@nox.session(python=PYTHONS)
def pythons(session: nox.Session) -> None:
    """.ci/pythons' tests (or ``-- <pytest args>``) on one Python: ``nox -s pythons-3.13``."""
    install(session, "testing")
    session.install(*constraints(session), "pytest-timeout>=2.2")
    session.run("python", "-m", "pytest", *(session.posargs or PYTHONS_TESTS))


@nox.session
def tests_core_only(session: nox.Session) -> None:
    """Unit tests against a plain (non-editable) install with no extras at all."""
    install(session, editable=False)
    session.install(*constraints(session), "pytest>=8", "hypothesis>=6.100")
    session.run(
        "python",
        "-m",
        "pytest",
        "tests/unit",
        "-m",
        "not soak",
        *session.posargs,
        env={"INVOICEKIT_CORE_ONLY": "1"},
    )


@nox.session
def docs(session: nox.Session) -> None:
    """Build the HTML docs with warnings as errors."""
    install(session, "docs")
    session.run(
        "sphinx-build", "-E", "-W", "--keep-going", "-b", "html", "docs", "docs/_build/html"
    )


@nox.session
def examples(session: nox.Session) -> None:
    """Run every script in examples/ and check what it prints and writes."""
    install(session, "all")
    session.run("python", "-m", "pytest", "tests/e2e/test_examples.py", *session.posargs)


@nox.session
def bench(session: nox.Session) -> None:
    """The benchmark suite (pass arguments to benchmarks/run.py after --)."""
    install(session)
    session.run("python", "benchmarks/run.py", *session.posargs)


@nox.session
def mutate(session: nox.Session) -> None:
    """Mutation testing of money.py, totals.py and the lifecycle modules (opt-in; see .ci/mutate.py)."""
    install(session, "testing")
    session.run("python", ".ci/mutate.py", *session.posargs)
