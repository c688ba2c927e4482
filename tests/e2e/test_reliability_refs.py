"""Every invariant (I1) and test-plan id (T12) cited in src/ and tests/ is described in the docs."""

from __future__ import annotations

import re
from pathlib import Path

HERE = Path(__file__).resolve()
ROOT = HERE.parents[2]
PAGE = ROOT / "docs" / "explanation" / "reliability.md"
#: An id as the code cites it; ``(?<![\w-])`` keeps out ``noqa: T201``-style codes and words.
CITED = re.compile(r"(?<![\w-])([IT]\d\d?)(?!\d|\w)")
#: An id described on the page: the first cell of a table row.
DESCRIBED = re.compile(r"^\| ([IT]\d\d?) \|", re.MULTILINE)
#: Generated code lists, whose unit codes (T0, T3, I2...) look like ids and cite nothing.
GENERATED = {ROOT / "src" / "invoicekit" / "einvoice" / "code_tables.py"}


def _cited() -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for folder in ("src", "tests"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            if path == HERE or path in GENERATED:
                continue
            text = path.read_text(encoding="utf-8")
            for number, line in enumerate(text.splitlines(), 1):
                for ref in CITED.findall(line):
                    found.setdefault(ref, []).append(f"{path.relative_to(ROOT)}:{number}")
    return found


def test_every_cited_id_is_described() -> None:
    described = set(DESCRIBED.findall(PAGE.read_text(encoding="utf-8")))
    missing = {ref: where[:3] for ref, where in _cited().items() if ref not in described}
    assert not missing, f"cited but not described in {PAGE.relative_to(ROOT)}: {missing}"


def test_the_scan_finds_the_ids_the_code_relies_on() -> None:
    cited = _cited()
    assert {"I1", "I3", "I4", "T11", "T12", "T43"} <= set(cited)
    assert CITED.findall("print(x)  # noqa: T201") == []  # a ruff code, not a test id


#: Design notes the project was planned from; they are not in the repository.
OUTSIDE: tuple[str, ...] = ("RELIABILITY.md", "DESIGN.md", "STYLE.md")


def test_no_reference_to_a_file_outside_the_repository() -> None:
    stale = [
        f"{path.relative_to(ROOT)}: {name}"
        for folder in ("src", "tests", "docs", "benchmarks", "examples")
        for path in sorted((ROOT / folder).rglob("*"))
        if path.suffix in {".py", ".md"} and path != HERE
        for name in OUTSIDE
        if name in path.read_text(encoding="utf-8")
    ]
    assert stale == []
