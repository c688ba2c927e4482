"""The pay page in Debian's chromium over uvicorn on loopback: first screen, axe, two clicks.

At 375×667 and 1280×800: the four answers and the Pay button are visible without
scrolling, nothing scrolls sideways, axe-core finds no violation on any page we serve
(hosted page, paid page, 404, sandbox page, inbox); and paying takes two clicks once
the page has loaded: "Pay …" on our page, then "Succeed" on the sandbox's.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Final

import pytest

import invoicekit as ik
from billing_fixtures import AT
from browser.kit import (
    DESKTOP,
    PHONE,
    ROOT,
    SCREENS,
    Screen,
    axe,
    launch_chromium,
    open_at,
    require_tools,
)
from invoicekit import SandboxPayments
from invoicekit.testing import FixedClock
from invoicekit.web import create_app
from invoicekit.web.loopback import LoopbackServer
from web.conftest import SECRET, WEBHOOK_SECRET, issue_one

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

ANSWERS: Final = ("purpose", "amount-due", "due-date", "how-to-pay")
SCREENSHOTS: Final = ROOT / "docs" / "_static" / "screenshots"

_GEOMETRY: Final = """
(names) => ({
  innerWidth: window.innerWidth, innerHeight: window.innerHeight,
  scrollWidth: document.documentElement.scrollWidth,
  boxes: [...names.map((n) => `[data-answer="${n}"]`), "button.pay-button"].map((sel) => {
    const el = document.querySelector(sel);
    if (!el) return {sel, missing: true};
    const r = el.getBoundingClientRect();
    return {sel, top: r.top, bottom: r.bottom, left: r.left, right: r.right,
            visible: el.checkVisibility({opacityProperty: true, visibilityProperty: true}),
            text: el.innerText.trim()};
  }),
})
"""


@dataclass
class Live:
    base: str
    billing: ik.Billing
    seller_id: str
    customer_id: str
    invoice_id: str

    def link(self) -> str:
        return self.billing.pay_pages.mint(self.seller_id, self.invoice_id)


@pytest.fixture(scope="module")
def chromium() -> Iterator[Browser]:
    require_tools()
    launched = launch_chromium()
    yield launched
    launched.close()


@pytest.fixture
def live() -> Iterator[Live]:
    server = LoopbackServer()
    clock = FixedClock(AT)
    sandbox = SandboxPayments(
        base_url=server.url,
        webhook_url=f"{server.url}/webhooks/sandbox",
        secrets=[WEBHOOK_SECRET],
        clock=clock,
    )
    billing = ik.Billing.in_memory(clock=clock, payments=sandbox, pay_url=server.url)
    seller_id, customer_id, invoice_id = issue_one(billing)
    app = create_app(
        billing,
        secret_key=SECRET,
        sandbox=sandbox,
        inbox_customer=lambda _request: (seller_id, customer_id),
    )
    with server.serve(app):
        yield Live(server.url, billing, seller_id, customer_id, invoice_id)
    billing.close()


def first_screen(page: Page, screen: Screen) -> list[str]:
    page.evaluate("window.scrollTo(0, 0)")
    found: dict[str, Any] = page.evaluate(_GEOMETRY, list(ANSWERS))
    problems = []
    if found["scrollWidth"] > found["innerWidth"] or found["innerWidth"] != screen.width:
        problems.append(f"horizontal scroll at {screen.name}: {found}")
    for box in found["boxes"]:
        if box.get("missing") or not box["visible"] or not box["text"]:
            problems.append(f"{box['sel']} missing or empty at {screen.name}")
        elif box["bottom"] > found["innerHeight"] or box["right"] > found["innerWidth"]:
            problems.append(
                f"{box['sel']} below or beside the first screen at {screen.name}: {box}"
            )
    return problems


@pytest.mark.parametrize("screen", SCREENS, ids=lambda s: s.name)
def test_the_hosted_page_shows_the_answers_and_pay_on_the_first_screen(
    chromium: Browser, live: Live, screen: Screen
) -> None:
    page = open_at(chromium, live.link(), screen)

    problems = first_screen(page, screen) + axe(page)

    assert problems == []
    label = page.get_by_role("button", name="Pay").inner_text()
    assert label.startswith("Pay ")
    assert "1,190.00" in label
    shot = {PHONE.name: "pay-phone.png", DESKTOP.name: "pay-desktop.png"}[screen.name]
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / shot))
    page.context.close()


@pytest.mark.parametrize("screen", SCREENS, ids=lambda s: s.name)
def test_paying_takes_two_clicks_pay_then_succeed(
    chromium: Browser, live: Live, screen: Screen
) -> None:
    page = open_at(chromium, live.link(), screen)

    page.get_by_role("button", name="Pay").click()  # click 1
    page.wait_for_url(f"{live.base}/sandbox/*")
    sandbox_problems = axe(page) + [
        f"{screen.name}: horizontal scroll on the sandbox page"
        for _ in [0]
        if page.evaluate("document.documentElement.scrollWidth > window.innerWidth")
    ]
    page.get_by_role("button", name="Succeed").click()  # click 2
    page.wait_for_url(f"{live.base}/i/*?checkout=success")

    assert sandbox_problems == []
    status = page.locator("[data-status]")
    assert status.get_attribute("data-status") == "paid"
    assert "Paid in full" in status.inner_text()
    assert page.get_by_role("button", name="Pay").count() == 0
    invoice = live.billing.seller(live.seller_id).invoices.get(live.invoice_id)
    assert str(invoice.status) == "paid"
    assert invoice.amount_due == Decimal("0.00")
    assert axe(page) == []
    page.context.close()


@pytest.mark.parametrize("screen", SCREENS, ids=lambda s: s.name)
@pytest.mark.parametrize("which", ["not-found", "inbox"])
def test_the_other_pages_pass_axe(
    chromium: Browser, live: Live, screen: Screen, which: str
) -> None:
    if which == "inbox":
        live.billing.seller(live.seller_id).invoices.send(live.invoice_id, channels=["in_app"])
    url = {"not-found": f"{live.base}/i/not-a-token", "inbox": f"{live.base}/inbox"}[which]
    page = open_at(chromium, url, screen)

    problems = axe(page)
    if page.evaluate("document.documentElement.scrollWidth > window.innerWidth"):
        problems.append("horizontal scroll")

    assert problems == []
    page.context.close()


def test_a_declined_card_comes_back_to_pay_again(chromium: Browser, live: Live) -> None:
    page = open_at(chromium, live.link(), PHONE)

    page.get_by_role("button", name="Pay").click()
    page.get_by_label("Decline reason").select_option("insufficient_funds")
    page.get_by_role("button", name="Decline").click()
    page.wait_for_url(f"{live.base}/i/*?checkout=failed")

    assert "did not go through" in page.locator("[data-status]").inner_text()
    assert page.get_by_role("button", name="Pay").count() == 1
    invoice = live.billing.seller(live.seller_id).invoices.get(live.invoice_id)
    assert str(invoice.status) == "failed"
    page.context.close()


def test_saving_the_card_is_a_labelled_choice_and_axe_clean(chromium: Browser, live: Live) -> None:
    page = open_at(chromium, live.link(), PHONE)
    page.get_by_role("button", name="Pay").click()
    page.wait_for_url(f"{live.base}/sandbox/*")

    box = page.get_by_label("Save this card for future invoices", exact=False)
    box.check()
    problems = axe(page)
    page.get_by_role("button", name="Succeed").click()
    page.wait_for_url(f"{live.base}/i/*?checkout=success")

    assert problems == []
    customer = live.billing.seller(live.seller_id).customers.get(live.customer_id)
    assert customer.payment_method is not None
    assert "charge this card for my future invoices" in customer.payment_method.consent
    page.context.close()
