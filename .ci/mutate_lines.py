"""pytest plugin for .ci/mutate.py: which test runs which line of the mutated module.

Loaded with ``-p mutate_lines`` in the run without a mutant. ``MUTATE_LINES_FILE`` names
the module to watch; the plugin writes ``{test id: [line, ...]}`` as JSON to
``MUTATE_LINES_OUT``. A mutant then runs only the tests that run its lines.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Generator, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import Any

import pytest

#: The key of the lines run while collecting (importing test modules, building strategies).
COLLECTION = "<collection>"
_WATCHED = str(Path(os.environ.get("MUTATE_LINES_FILE", "-")).resolve())
_LINES: dict[str, set[int]] = {}


@pytest.hookimpl(hookwrapper=True)
def pytest_collection() -> Generator[None, None, None]:
    """Trace the lines the watched module runs while the tests are collected."""
    with _tracing(COLLECTION):
        yield


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item) -> Generator[None, None, None]:
    """Trace the lines of the watched module that a test's setup, call and teardown run."""
    with _tracing(item.nodeid):
        yield


@contextmanager
def _tracing(key: str) -> Iterator[None]:
    seen = _LINES.setdefault(key, set())

    def local(frame: FrameType, event: str, _: Any) -> Any:
        if event == "line":
            seen.add(frame.f_lineno)
        return local

    def calls(frame: FrameType, event: str, _: Any) -> Any:
        if event == "call" and frame.f_code.co_filename == _WATCHED:
            seen.add(frame.f_lineno)
            return local
        return None

    previous = sys.gettrace()
    sys.settrace(calls)
    try:
        yield
    finally:
        sys.settrace(previous)


def pytest_sessionfinish(session: pytest.Session) -> None:  # noqa: ARG001 - pytest's signature
    """Write what was traced."""
    out = os.environ.get("MUTATE_LINES_OUT")
    if out:
        data = {test: sorted(lines) for test, lines in _LINES.items()}
        Path(out).write_text(json.dumps(data), encoding="utf-8")
