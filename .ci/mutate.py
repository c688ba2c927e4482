"""Mutation testing of the core: does some test notice when one token of the code changes?

Usage: ``python .ci/mutate.py [money] [lifecycle] [commands] [handling] [handle_drafts]
[handle_payments] [handle_closing] [totals] [totals_lines] [totals_tax]
[totals_rounding] [totals_values] [-j 2] [--only TEXT] [--list]``
(or ``nox -s mutate -- ...``). Each mutant (see mutants.py) is written into a scratch copy
of ``src/``; the unit and property tests of its module that ran its lines in a traced run
without mutants (mutate_lines.py; all of them for lines run at import) then run against it
with ``-x`` and a timeout. Survivors listed in docs/explanation/mutation-testing.md are
equivalent and left out of the behaviour-changing score. Exits 1 when a module scores
below ``--fail-under`` percent. Opt-in, not part of CI: see that page for the time it takes.
"""

# ruff: noqa: T201, S603 - a command-line tool: it prints its report and runs pytest

from __future__ import annotations

import argparse
import json
import os
import queue
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from mutants import Mutant, mutants
from mutate_lines import COLLECTION

ROOT = Path(__file__).resolve().parent.parent
EQUIVALENT_LIST = ROOT / "docs" / "explanation" / "mutation-testing.md"
#: The unit and property tests of the lifecycle modules.
LIFECYCLE_TESTS: tuple[str, ...] = (
    "tests/unit/test_lifecycle*.py",
    "tests/unit/test_customer_credit.py",
    "tests/unit/test_bad_input.py",
    "tests/property/test_lifecycle*.py",
    "tests/property/test_credit_property.py",
    "tests/property/test_payments_property.py",
    "tests/property/test_edit_keeps_fields.py",
)
#: Module name -> (source file, test file globs: its unit and property tests).
TARGETS: dict[str, tuple[str, tuple[str, ...]]] = {
    "money": (
        "src/invoicekit/money.py",
        ("tests/unit/test_money*.py", "tests/property/test_money*.py"),
    ),
    # the lifecycle: its table and apply(), its commands, and the handlers of the commands,
    # against the unit and property tests of the lifecycle (credit and input checks included)
    **{
        name: (f"src/invoicekit/domain/{name}.py", LIFECYCLE_TESTS)
        for name in (
            "lifecycle",
            "commands",
            "handling",
            "handle_drafts",
            "handle_payments",
            "handle_closing",
        )
    },
    # totals.py keeps compute_totals and the order of its rules; the rules themselves live in
    # its totals_* siblings (lines, tax, rounding, the returned values and explain())
    **{
        name: (
            f"src/invoicekit/domain/{name}.py",
            ("tests/unit/test_totals*.py", "tests/property/test_totals*.py"),
        )
        for name in ("totals", "totals_lines", "totals_tax", "totals_rounding", "totals_values")
    },
}
# Plugins are not auto-loaded (that alone takes 1.5 s per run); hypothesis is named, its
# seed fixed so a survivor stays a survivor from one run to the next.
PYTEST = ["-m", "pytest", "-p", "hypothesis.extra.pytestplugin", "-p", "no:cacheprovider"]
PYTEST += ["-q", "--no-header", "--hypothesis-seed=0"]


class Scratch:
    """A private copy of ``src/`` where one mutant at a time replaces its module."""

    def __init__(self, base: Path) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="mutate-", dir=base))
        shutil.copytree(
            ROOT / "src", self.dir / "src", ignore=shutil.ignore_patterns("__pycache__")
        )

    @contextmanager
    def holding(self, relpath: str, source: str) -> Iterator[None]:
        """Write ``source`` over ``relpath`` for the duration of the block, then restore it."""
        target = self.dir / relpath
        original = (ROOT / relpath).read_text(encoding="utf-8")
        self._write(target, source)
        try:
            yield
        finally:
            self._write(target, original)

    @staticmethod
    def _write(target: Path, source: str) -> None:
        for stale in (target.parent / "__pycache__").glob(f"{target.stem}.*.pyc"):
            stale.unlink()  # its mtime and size may match the source it replaces
        target.write_text(source, encoding="utf-8")

    def run(self, args: list[str], timeout: float, **extra: str) -> tuple[int | None, str]:
        """Run pytest on this copy: (exit code or None on timeout, output)."""
        hypothesis_db = self.dir / "hypothesis"
        shutil.rmtree(hypothesis_db, ignore_errors=True)  # no failing example carried over
        env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join([str(self.dir / "src"), str(ROOT / ".ci")]),
            "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1",
            "HYPOTHESIS_STORAGE_DIRECTORY": str(hypothesis_db),
            **extra,
        }
        env.pop("HYPOTHESIS_PROFILE", None)
        with subprocess.Popen(
            [sys.executable, *PYTEST, *args],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        ) as proc:
            try:
                out, _ = proc.communicate(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, 9)
                proc.communicate()
                return None, ""
        return proc.returncode, out


def equivalent_ids() -> set[str]:
    """The mutant ids of the list of equivalent mutants: list items that are one code span."""
    if not EQUIVALENT_LIST.exists():
        return set()
    text = EQUIVALENT_LIST.read_text(encoding="utf-8")
    return set(re.findall(r"^- `([^`]+::[^`]+)`$", text, flags=re.MULTILINE))


def tests_of(module: str) -> list[str]:
    """The unit and property test files of ``module``, unit tests first."""
    _, globs = TARGETS[module]
    return [str(p.relative_to(ROOT)) for g in globs for p in sorted(ROOT.glob(g))]


@dataclass
class Baseline:
    """The module's tests run without a mutant: what fails already, how long, who runs what."""

    failing: list[str]
    seconds: float
    #: line of the module -> the tests that run it, in the order they ran
    tests_of_line: dict[int, list[str]]

    def tests_for(self, mutant: Mutant) -> list[str]:
        """The tests that run the mutant's lines; [] (meaning all) for lines run at import."""
        found: dict[str, None] = {}
        for line in range(mutant.line, mutant.end + 1):
            found.update(dict.fromkeys(self.tests_of_line.get(line, ())))
        return [] if COLLECTION in found else list(found)


def baseline(scratch: Scratch, module: str) -> Baseline:
    """Run the tests unmutated, tracing which test runs which line of the module."""
    relpath, _ = TARGETS[module]
    traced = scratch.dir / "lines.json"
    start = time.monotonic()
    code, out = scratch.run(
        ["-p", "mutate_lines", *tests_of(module), "-rf"],
        timeout=1200,
        MUTATE_LINES_FILE=str(scratch.dir / relpath),
        MUTATE_LINES_OUT=str(traced),
    )
    took = time.monotonic() - start
    failing = [
        line.removeprefix("FAILED ").split(" - ")[0]  # a test id may hold spaces
        for line in out.splitlines()
        if line.startswith("FAILED ")
    ]
    if code not in (0, 1) or (code == 1 and not failing):
        sys.exit(f"mutate: the {module} tests do not run cleanly without a mutant:\n{out}")
    for test in failing:
        print(f"  {module}: deselected {test} (fails without any mutant)")
    tests_of_line: dict[int, list[str]] = {}
    for test, lines in json.loads(traced.read_text(encoding="utf-8")).items():
        if test not in failing:
            for line in lines:
                tests_of_line.setdefault(line, []).append(test)
    return Baseline(failing, took, tests_of_line)


def outcome(code: int | None) -> str:
    """killed, timeout or survived, from pytest's exit code."""
    if code is None:
        return "timeout"
    if code in (1, 2):  # a test failed, or collection failed (the mutant broke an import)
        return "killed"
    if code == 0:
        return "survived"
    raise RuntimeError(f"pytest exited with {code}: the runner's arguments are wrong")


@dataclass
class Result:
    """One module's run: what happened to each mutant."""

    module: str
    outcomes: list[tuple[Mutant, str]]
    equivalent: list[Mutant]
    minutes: float

    @property
    def counts(self) -> Counter[str]:
        """How many mutants were killed, timed out, survived."""
        return Counter(result for _, result in self.outcomes)

    @property
    def score(self) -> float:
        """Percent of the mutants detected (killed or timed out)."""
        return _percent(self.detected, len(self.outcomes))

    @property
    def behaviour_score(self) -> float:
        """Percent of the mutants that change behaviour (all but the listed ones) detected."""
        return _percent(self.detected, len(self.outcomes) - len(self.equivalent))

    @property
    def detected(self) -> int:
        """Mutants some test noticed: killed or timed out."""
        return self.counts["killed"] + self.counts["timeout"]

    def survivors(self) -> list[Mutant]:
        """The survivors not listed as equivalent: each wants a test."""
        return [m for m, r in self.outcomes if r == "survived" and m not in self.equivalent]

    def summary(self) -> str:
        """One line of figures for the report."""
        c = self.counts
        return (
            f"{self.module}: {len(self.outcomes)} mutants, {c['killed']} killed, "
            f"{c['timeout']} timeout, {c['survived']} survived ({len(self.equivalent)} listed "
            f"as equivalent) in {self.minutes:.1f} min: {self.score:.1f} % of all mutants, "
            f"{self.behaviour_score:.1f} % of the behaviour-changing ones"
        )

    def as_json(self) -> dict[str, object]:
        """The figures and survivors as JSON-ready data (``--json``)."""
        return {
            "module": self.module,
            "counts": dict(self.counts),
            "equivalent": len(self.equivalent),
            "score": round(self.score, 1),
            "behaviour_score": round(self.behaviour_score, 1),
            "minutes": round(self.minutes, 1),
            "survivors": [m.id for m, r in self.outcomes if r == "survived"],  # listed too
        }


def _percent(part: int, whole: int) -> float:
    return 100 * part / whole if whole else 100.0


def run_module(module: str, pool: queue.Queue[Scratch], args: argparse.Namespace) -> Result:
    """Run every mutant of ``module`` against its tests."""
    relpath, _ = TARGETS[module]
    todo = [m for m in mutants(ROOT / relpath) if args.only in m.id]
    scratch = pool.get()
    base = baseline(scratch, module)
    pool.put(scratch)
    # The baseline ran traced (slower): the factor leaves room for a loaded machine.
    timeout = max(20.0, args.timeout_factor * base.seconds)
    every_test = [*tests_of(module), *(f"--deselect={t}" for t in base.failing)]

    def one(mutant: Mutant) -> tuple[Mutant, str]:
        tests = base.tests_for(mutant) or every_test
        scratch = pool.get()
        try:
            with scratch.holding(relpath, mutant.source):
                return mutant, outcome(scratch.run(["-x", *tests], timeout)[0])
        finally:
            pool.put(scratch)

    start = time.monotonic()
    with ThreadPoolExecutor(args.jobs) as executor:
        outcomes = list(executor.map(one, todo))
    listed = equivalent_ids()
    result = Result(module, outcomes, [], (time.monotonic() - start) / 60)
    for mutant, what in outcomes:
        if mutant.id in listed and what == "survived":
            result.equivalent.append(mutant)
        elif mutant.id in listed:
            print(f"  {module}: listed as equivalent but {what}: {mutant.id}")
    return result


def rescore(path: Path) -> int:
    """Print the scores of an earlier run (``--json``) against today's list of equivalents."""
    listed = equivalent_ids()
    for module in json.loads(path.read_text(encoding="utf-8")):
        counts, survivors = module["counts"], module["survivors"]
        equivalent = [m for m in survivors if m in listed]
        total, detected = sum(counts.values()), counts.get("killed", 0) + counts.get("timeout", 0)
        print(
            f"{module['module']}: {total} mutants, {detected} detected, {len(equivalent)} of "
            f"{len(survivors)} survivors listed as equivalent: {_percent(detected, total):.1f} % "
            f"of all, {_percent(detected, total - len(equivalent)):.1f} % of the "
            "behaviour-changing ones"
        )
        for mutant in survivors:
            if mutant not in listed:
                print(f"  survived  {mutant}")
    return 0


def main() -> int:
    """Parse the arguments, run the modules asked for, print the report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("modules", nargs="*", help=f"any of {', '.join(TARGETS)} (default: all)")
    parser.add_argument("-j", "--jobs", type=int, default=1, help="parallel pytest runs")
    parser.add_argument("--only", default="", help="only mutants whose id contains this text")
    parser.add_argument("--list", action="store_true", help="list the mutants, run nothing")
    parser.add_argument("--timeout-factor", type=float, default=4.0)
    parser.add_argument("--fail-under", type=float, default=90.0, help="percent")
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument(
        "--rescore", type=Path, help="score a --json file against the list again, run nothing"
    )
    args = parser.parse_args()
    if args.rescore:
        return rescore(args.rescore)
    modules = args.modules or list(TARGETS)
    if unknown := set(modules) - set(TARGETS):
        parser.error(f"unknown modules {sorted(unknown)}; choose from {', '.join(TARGETS)}")
    if args.list:
        for module in modules:
            for m in mutants(ROOT / TARGETS[module][0]):
                if args.only in m.id:
                    print(f"line {m.line}: {m.id}")
        return 0
    with tempfile.TemporaryDirectory(prefix="invoicekit-mutate-") as base:
        pool: queue.Queue[Scratch] = queue.Queue()
        for _ in range(args.jobs):
            pool.put(Scratch(Path(base)))
        results = []
        for module in modules:
            results.append(run_module(module, pool, args))
            print(results[-1].summary(), flush=True)
            for m in results[-1].survivors():
                print(f"  survived  line {m.line}: {m.id}", flush=True)
    if args.json:
        data = [r.as_json() for r in results]
        args.json.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    low = [r.module for r in results if r.behaviour_score < args.fail_under]
    if low:
        print(f"below {args.fail_under} %: {', '.join(map(str, low))}")
    return 1 if low else 0


if __name__ == "__main__":
    sys.exit(main())
