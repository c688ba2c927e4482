"""Real-browser fixtures: Debian's chromium driven by Playwright, pages served over loopback HTTP.

One browser per session, a fresh context (viewport, scale) per page. A missing
chromium, playwright or axe-core fails the test naming the command that
installs it (``bash .ci/run`` installs all three); nothing here is skipped.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import ThreadingHTTPServer
from typing import TYPE_CHECKING

import pytest

from browser.kit import (
    Opened,
    OpenPage,
    Screen,
    Site,
    handler,
    launch_chromium,
    require_tools,
)

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Route


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Debian's chromium, headless, launched once for the whole session."""
    require_tools()
    launched = launch_chromium()
    yield launched
    launched.close()


@pytest.fixture(scope="session")
def site() -> Iterator[Site]:
    """A ThreadingHTTPServer on 127.0.0.1 (a free port) serving what the tests publish."""
    documents: dict[str, tuple[bytes, str]] = {}
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler(documents))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, name="browser-site", daemon=True)
    thread.start()
    host, port = server.server_address[:2]
    try:
        yield Site(f"http://{host!s}:{port}", documents)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.fixture
def open_page(browser: Browser, site: Site) -> Iterator[OpenPage]:
    """Open a URL in a fresh context at a screen size; requests leaving the site are blocked."""
    contexts: list[BrowserContext] = []

    def open_(url: str, screen: Screen) -> Opened:
        context = browser.new_context(
            viewport={"width": screen.width, "height": screen.height},
            device_scale_factor=screen.scale,
            is_mobile=screen.mobile,
            has_touch=screen.mobile,
        )
        contexts.append(context)
        outside: list[str] = []

        def guard(route: Route) -> None:
            url = route.request.url
            if url.startswith((site.base + "/", "data:", "blob:")):
                route.continue_()
            else:
                outside.append(url)
                route.abort()

        context.route("**/*", guard)
        page = context.new_page()
        response = page.goto(url, wait_until="load")
        assert response is not None
        assert response.ok, f"{url}: HTTP {response.status}"
        return Opened(page, screen, outside)

    yield open_
    for context in contexts:
        context.close()
