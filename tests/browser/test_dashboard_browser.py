"""The dashboard in Debian's chromium over uvicorn on loopback: axe-core, both sizes, screenshots.

At 375×667 and 1280×800, every page the dashboard serves (overview, clients table,
one client, "as of" a past date, the 403 page) has no axe-core violation and never
scrolls sideways (wide tables scroll inside their own focusable region). The screenshots
of the overview and the clients table go into the docs. A click on "Mark as paid" in
the browser goes through the CSRF check and the summaries show it at once.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

import pytest

import invoicekit as ik
from billing_fixtures import AT
from browser.kit import ROOT, SCREENS, Screen, axe, launch_chromium, open_at, require_tools
from invoicekit.testing import FixedClock
from invoicekit.web import dashboard_app
from invoicekit.web.loopback import LoopbackServer
from web.dashboard_fixtures import Books, make_books

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

SCREENSHOTS: Final = ROOT / "docs" / "_static" / "screenshots"
SECRET: Final = "dashboard-browser-secret-0123456789abcdef"
NAMES: Final = (
    "Globex GmbH",
    "Initech AG",
    "Umbrella Corp",
    "Stark Industries",
    "Wayne Enterprises",
    "Acme Corporation",
    "Soylent Green Foods",
    "Tyrell Corporation",
)


@dataclass
class Served:
    base: str
    billing: ik.Billing
    books: Books


@pytest.fixture(scope="module")
def chromium() -> Iterator[Browser]:
    require_tools()
    launched = launch_chromium()
    yield launched
    launched.close()


@pytest.fixture
def served() -> Iterator[Served]:
    server = LoopbackServer()
    clock = FixedClock(AT)
    billing = ik.Billing.in_memory(clock=clock)
    books = make_books(billing, clock, names=NAMES)
    app = dashboard_app(
        billing,
        authorize=lambda _request: books.seller_id,
        secret_key=SECRET,
        actions={"remind", "mark_paid", "void"},
    )
    with server.serve(app):
        yield Served(server.url, billing, books)
    billing.close()


def sideways(page: Page) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth > window.innerWidth"))


@pytest.mark.parametrize("screen", SCREENS, ids=lambda s: s.name)
def test_every_page_passes_axe_and_fits_the_screen(
    chromium: Browser, served: Served, screen: Screen
) -> None:
    customer = served.books.customer_ids[0]
    pages = {
        "overview": "/",
        "clients": "/clients?sort=name&dir=asc",
        "client": f"/clients/{customer}",
        "as-of": "/?as_of=2026-03-20",
        "search": "/clients?q=corp",
    }
    for name, path in pages.items():
        page = open_at(chromium, served.base + path, screen)
        assert axe(page) == [], f"{name} at {screen.name}"
        assert not sideways(page), f"{name} scrolls sideways at {screen.name}"
        if name in {"overview", "clients"}:
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(
                path=str(SCREENSHOTS / f"dashboard-{name}-{screen.name}.png"),
                full_page=name == "clients",
            )
        page.context.close()


@pytest.mark.parametrize("screen", SCREENS, ids=lambda s: s.name)
def test_the_refusal_page_passes_axe(chromium: Browser, screen: Screen) -> None:
    server = LoopbackServer()
    billing = ik.Billing.in_memory()
    with server.serve(dashboard_app(billing, authorize=None, secret_key=SECRET)):
        page = open_at(chromium, server.url + "/", screen)
        assert page.locator("h1").inner_text() == "No access"
        assert axe(page) == []
        page.context.close()
    billing.close()


def test_mark_as_paid_is_one_click_in_the_browser(chromium: Browser, served: Served) -> None:
    page = open_at(chromium, f"{served.base}/clients/{served.books.customer_ids[0]}", SCREENS[1])
    page.get_by_role("button", name="Mark as paid: INV-2026-00001").click()
    page.wait_for_load_state("load")

    books = served.billing.seller(served.books.seller_id)
    assert books.invoices.get(served.books.overdue_id).status == "paid"
    assert page.url.endswith(f"/clients/{served.books.customer_ids[0]}")
    assert "Mark as paid: INV-2026-00001" not in page.content()
    page.context.close()
