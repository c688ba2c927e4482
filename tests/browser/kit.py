"""The browser checks' shared parts: where the tools are, the screen sizes, the loopback site."""

from __future__ import annotations

import atexit
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

ROOT: Final = Path(__file__).resolve().parents[2]
CHROMIUM: Final = Path("/usr/bin/chromium")
#: axe-core as `.ci/run` installs it (npm, into the git-ignored project cache).
AXE_JS: Final = ROOT / ".cache" / "npm" / "node_modules" / "axe-core" / "axe.min.js"
#: This machine refuses outbound connections; without these flags chromium waits on them.
CHROMIUM_ARGS: Final = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)


@dataclass(frozen=True)
class Screen:
    """A screen size the documents are checked at."""

    name: str
    width: int
    height: int
    scale: float
    mobile: bool


PHONE: Final = Screen("phone", 375, 667, 2, mobile=True)
DESKTOP: Final = Screen("desktop", 1280, 800, 1, mobile=False)
SCREENS: Final = (PHONE, DESKTOP)


_DRIVER: list[Any] = []


def launch_chromium() -> Browser:
    """A new headless chromium on the one Playwright driver of this process.

    Playwright's sync API allows one driver per thread: a second ``sync_playwright().start()``
    while the first runs fails ("Sync API inside the asyncio loop"), so every fixture that
    needs a browser (tests/browser, tests/web) launches through this driver, stopped at exit.
    """
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import sync_playwright

    if not _DRIVER:
        driver = sync_playwright().start()
        atexit.register(driver.stop)
        _DRIVER.append(driver)
    try:
        browser: Browser = _DRIVER[0].chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=list(CHROMIUM_ARGS)
        )
    except PlaywrightError as exc:
        pytest.fail(f"could not launch {CHROMIUM} with Playwright: {exc}", pytrace=False)
    return browser


def require_tools() -> None:
    """Fail (never skip) when a tool the browser checks need is missing, naming its installer."""
    missing = []
    if not CHROMIUM.is_file():
        missing.append(f"{CHROMIUM} (install: apt-get install -y chromium)")
    if not AXE_JS.is_file():
        missing.append(
            f"{AXE_JS.relative_to(ROOT)} "
            "(install: npm install --no-save --prefix .cache/npm axe-core@4)"
        )
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing.append(
            "the Python package playwright (install: pip install -e '.[dev]'; "
            "never `playwright install`: we use Debian's chromium)"
        )
    if missing:
        pytest.fail(
            "the browser checks need: "
            + "; ".join(missing)
            + ". `bash .ci/run` installs them all.",
            pytrace=False,
        )


@dataclass
class Site:
    """Documents served over real HTTP on loopback; ``publish`` returns a document's URL."""

    base: str
    documents: dict[str, tuple[bytes, str]] = field(default_factory=dict)

    def publish(self, name: str, content: bytes, media_type: str = "text/html") -> str:
        """Serve ``content`` at ``/name`` and return its URL."""
        self.documents[name] = (content, media_type)
        return f"{self.base}/{name}"


def handler(site_documents: dict[str, tuple[bytes, str]]) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            found = site_documents.get(self.path.lstrip("/"))
            if found is None:
                self.send_error(404, "no such document")
                return
            content, media_type = found
            self.send_response(200)
            self.send_header("Content-Type", f"{media_type}; charset=utf-8")
            self.send_header("Content-Length", str(len(content)))
            self.end_headers()
            self.wfile.write(content)

        def log_message(self, format: str, *args: Any) -> None:
            """Keep the test output quiet."""

    return Handler


@dataclass
class Opened:
    """A page loaded at one screen size, and every request it tried outside the loopback site."""

    page: Page
    screen: Screen
    outside: list[str]


OpenPage = Callable[[str, Screen], Opened]


#: axe-core's violations, one line each (impact, rule, help, the first three targets).
AXE_RUN: Final = """
async () => (await axe.run(document, {resultTypes: ["violations"]})).violations.map(
  (v) => `${v.impact}: ${v.id} (${v.help}) at ${v.nodes.slice(0, 3).map((n) => n.target.join(" "))}`)
"""


def open_at(browser: Browser, url: str, screen: Screen) -> Page:
    """``url`` loaded in a new context the size of ``screen`` (phone: touch, mobile)."""
    context = browser.new_context(
        viewport={"width": screen.width, "height": screen.height},
        device_scale_factor=screen.scale,
        is_mobile=screen.mobile,
        has_touch=screen.mobile,
    )
    page = context.new_page()
    page.goto(url, wait_until="load")
    return page


def axe(page: Page) -> list[str]:
    """axe-core's violations on ``page``, evaluated through the DevTools protocol.

    Our pages' CSP forbids every page script, so axe cannot be added as a <script>.
    """
    page.evaluate(AXE_JS.read_text(encoding="utf-8"))
    found: list[str] = page.evaluate(AXE_RUN)
    return found
