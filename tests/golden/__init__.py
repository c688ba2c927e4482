"""Hand-worked golden invoices (tests/golden/cases/*.toml) and their loader."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

CASES_DIR = Path(__file__).resolve().parent / "cases"


def load_cases() -> list[tuple[str, dict[str, Any]]]:
    """Every golden case as ``(file stem, parsed TOML)``, sorted by name."""
    cases: list[tuple[str, dict[str, Any]]] = []
    for path in sorted(CASES_DIR.glob("*.toml")):
        with path.open("rb") as handle:
            cases.append((path.stem, tomllib.load(handle)))
    return cases
