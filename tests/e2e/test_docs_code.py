"""Every Python block of the docs runs, page by page, and prints what the page shows (docs run).

The convention (docs/how-to/run-the-checks.md, "Code in the docs"): the ```python blocks
of one page run in order as one script; a ```text block right after one is the
output it prints, compared exactly; a block that cannot run here is a
``{code-block} python`` whose caption starts with "Not run", which readers see too,
and is listed in ``NOT_RUN`` below. Any other Python fence fails the test.
"""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import attrs
import pytest

DOCS = Path(__file__).resolve().parents[2] / "docs"
FENCE = re.compile(r"^```(?P<info>[^\n]*)\n(?P<body>.*?)^```[ \t]*$", re.DOTALL | re.MULTILINE)
NOT_RUN_CAPTION = re.compile(r"\A:caption: (Not run[^\n]*)\n")
#: Fences that would hold Python a reader might take for tested code.
OTHER_PYTHON = frozenset({"py", "python3", "pycon", "ipython", "{code-block} py"})

#: The blocks the test does not run, by page and caption: each names what it needs.
NOT_RUN: frozenset[tuple[str, str]] = frozenset(
    {
        (
            "how-to/add-a-notifier.md",
            "Not run here: a test module of your project (needs your myapp package)",
        ),
        (
            "how-to/notifiers.md",
            "Not run here: needs a Twilio account (TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN)",
        ),
        ("how-to/notifiers.md", "Not run here: needs your SMTP server and SMTP_PASSWORD"),
        ("how-to/notifiers.md", "Not run here: needs your endpoint and INVOICEKIT_WEBHOOK_SECRET"),
        ("how-to/postgresql.md", "Not run here: needs a PostgreSQL server at db.internal"),
        (
            "how-to/dashboard-behind-your-login.md",
            "Not run here: your Django project's asgi.py (needs Django and your settings)",
        ),
        (
            "how-to/stripe.md",
            "Not run here: needs a Stripe test key (STRIPE_SECRET_KEY) and the network",
        ),
        (
            "how-to/automatic-collection.md",
            "Not run here: needs a Stripe test key (STRIPE_SECRET_KEY) and the network",
        ),
        (
            "how-to/mount-web-app.md",
            "Not run here: your FastAPI project (examples/fastapi_app.py runs the same, tested)",
        ),
        (
            "how-to/mount-web-app.md",
            "Not run here: your Django project's asgi.py (needs Django and your settings)",
        ),
        (
            "how-to/mount-web-app.md",
            "Not run here: your app's session handling (request.session needs a session middleware)",
        ),
        (
            "how-to/receive-e-invoices.md",
            "Not run here: needs a Factur-X PDF you received (pdf_bytes)",
        ),
        (
            "how-to/payment-provider.md",
            "Not run here: a test module of your project (needs your mypay package)",
        ),
        (
            "how-to/storage-adapter.md",
            "Not run here: a test module of your project (needs your mystore package)",
        ),
        ("how-to/validate-e-invoices.md", "Not run here: reads your own INV-2026-00017.xml"),
        ("how-to/run-due.md", "Not run here: needs Celery and a message broker"),
    }
)


@attrs.frozen
class Block:
    """One fenced Python block of a page, with the output the page shows after it."""

    page: str
    line: int
    code: str
    output: str | None


@attrs.frozen
class Fence:
    """One fenced block of a page: where it is, its info string and its body."""

    line: int
    info: str
    body: str
    start: int
    end: int


def _fences(text: str) -> list[Fence]:
    return [
        Fence(text.count("\n", 0, m.start()) + 1, m["info"].strip(), m["body"], m.start(), m.end())
        for m in FENCE.finditer(text)
    ]


def _blocks(page: Path) -> list[Block]:
    text = page.read_text(encoding="utf-8")
    fences = _fences(text)
    found = []
    for fence, after in zip(fences, [*fences[1:], None], strict=False):
        if fence.info != "python":
            continue
        shows = after and after.info == "text" and not text[fence.end : after.start].strip()
        found.append(Block(_name(page), fence.line, fence.body, after.body if shows else None))
    return found


def _name(page: Path) -> str:
    return page.relative_to(DOCS).as_posix()


def _not_run() -> set[tuple[str, str]]:
    found = set()
    for page in sorted(DOCS.rglob("*.md")):
        for fence in _fences(page.read_text(encoding="utf-8")):
            caption = NOT_RUN_CAPTION.match(fence.body)
            if fence.info == "{code-block} python" and caption:
                found.add((_name(page), caption[1]))
    return found


PAGES = sorted(p for p in DOCS.rglob("*.md") if _blocks(p))


def test_tutorial_pages_have_code() -> None:
    assert any(p.name == "first-invoice.md" for p in PAGES)


@pytest.mark.parametrize("page", PAGES, ids=_name)
def test_page_code_runs_and_prints_what_the_page_shows(
    page: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # pages write files (billing.db, invoices) where they run
    namespace: dict[str, object] = {"__name__": f"docs_{page.stem}"}
    for block in _blocks(page):
        code = compile(block.code, f"{block.page}:{block.line}", "exec")
        printed = io.StringIO()
        with contextlib.redirect_stdout(printed):
            exec(code, namespace)  # noqa: S102 - running our own documentation is the point
        if block.output is not None:
            assert printed.getvalue().rstrip("\n") == block.output.rstrip("\n"), (
                f"{block.page}:{block.line} prints something else than the page shows"
            )


def test_blocks_not_run_are_marked_and_listed() -> None:
    assert _not_run() == NOT_RUN


def test_no_python_hides_in_another_fence() -> None:
    hidden = [
        f"{_name(page)}:{fence.line} ({fence.info})"
        for page in sorted(DOCS.rglob("*.md"))
        for fence in _fences(page.read_text(encoding="utf-8"))
        if fence.info in OTHER_PYTHON
        or (fence.info == "{code-block} python" and not NOT_RUN_CAPTION.match(fence.body))
    ]
    assert hidden == [], "mark these ```python, or {code-block} python with a 'Not run' caption"
