"""The dashboard's routes through Starlette's TestClient, over a real Billing (memory and SQLite).

Deny by default (T35 at the page): no hook, a hook saying None, failing, or naming an
unknown seller: 403. Another seller's client or invoice: 404. Actions: POST with a
CSRF token bound to seller, invoice and action; each calls the books' own service.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from starlette.requests import Request
from starlette.testclient import TestClient

import invoicekit as ik
from billing_fixtures import AT
from invoicekit.errors import ConfigurationError
from invoicekit.testing import FixedClock
from invoicekit.web import dashboard_app
from invoicekit.web.csrf import COOKIE
from web.dashboard_fixtures import Books, line, make_books

SECRET = "dashboard-secret-0123456789abcdef0123456789"
ALL_ACTIONS = {"remind", "mark_paid", "void"}
FORM = re.compile(
    r'<form class="act" method="post" action="(?P<url>[^"]+)">\s*'
    r'<input type="hidden" name="csrf_token" value="(?P<token>[0-9a-f]{64})">\s*'
    r'<input type="hidden" name="next" value="(?P<next>[^"]*)">\s*'
    r'(?:<input type="hidden" name="version" value="(?P<version>\d+)">)?'
)


def by_header(request: Request) -> str | None:
    """The test host's login: the seller id in a header (a real host reads its session)."""
    return request.headers.get("x-seller")


@dataclass
class Desk:
    billing: ik.Billing
    clock: FixedClock
    books: Books
    client: TestClient

    def get(self, path: str, seller: str | None = None, **kwargs: Any) -> Any:
        headers = {"x-seller": seller or self.books.seller_id}
        return self.client.get(path, headers=headers, **kwargs)

    def forms(self, html: str) -> list[dict[str, str]]:
        return [m.groupdict() for m in FORM.finditer(html)]

    def form_for(self, invoice_id: str, action: str, page: str = "/") -> dict[str, str]:
        html = self.get(page).text
        url = f"/invoices/{invoice_id}/{action}"
        found = [f for f in self.forms(html) if f["url"] == url]
        assert found, f"no {action} form for {invoice_id} on {page}"
        return found[0]

    def post(self, form: dict[str, str], **changes: str) -> Any:
        data = {"csrf_token": form["token"], "next": form["next"], **changes}
        if form.get("version"):
            data.setdefault("version", form["version"])
        headers = {"x-seller": self.books.seller_id}
        return self.client.post(form["url"], data=data, headers=headers, follow_redirects=False)


def _billing(kind: str, tmp_path: Path, clock: FixedClock) -> ik.Billing:
    if kind == "memory":
        return ik.Billing.in_memory(clock=clock)
    return ik.Billing.sqlite(tmp_path / "books.db", clock=clock)


@pytest.fixture(params=["memory", "sqlite"])
def make_desk(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Callable[..., Desk]]:
    made: list[ik.Billing] = []

    def make(**options: Any) -> Desk:
        clock = FixedClock(AT)
        billing = _billing(request.param, tmp_path, clock)
        made.append(billing)
        books = make_books(billing, clock)
        options.setdefault("authorize", by_header)
        options.setdefault("actions", ALL_ACTIONS)
        app = dashboard_app(billing, secret_key=SECRET, **options)
        return Desk(billing, clock, books, TestClient(app))

    yield make
    for billing in made:
        billing.close()


@pytest.fixture
def desk(make_desk: Callable[..., Desk]) -> Desk:
    return make_desk()


# ---------------------------------------------------------------- access


PAGES = ("/", "/clients", "/?as_of=2026-03-10", "/clients?as_of=2026-03-10")


@pytest.mark.parametrize("path", PAGES)
def test_without_a_hook_every_page_is_refused(make_desk: Callable[..., Desk], path: str) -> None:
    desk = make_desk(authorize=None)

    response = desk.get(path)

    assert response.status_code == 403
    assert "Northwind" not in response.text
    assert "EUR" not in response.text


def _raising(_request: Request) -> str:
    raise RuntimeError("the session store is down")


@pytest.mark.parametrize(
    "hook",
    [lambda _r: None, _raising, lambda _r: "sel_nobody", lambda _r: 42, lambda _r: ""],
    ids=["none", "raises", "unknown-seller", "not-a-string", "empty"],
)
def test_a_hook_that_names_no_known_seller_is_refused(
    make_desk: Callable[..., Desk], hook: Callable[[Request], Any]
) -> None:
    desk = make_desk(authorize=hook)

    for path in (*PAGES, f"/clients/{desk.books.customer_ids[0]}"):
        response = desk.get(path)
        assert response.status_code == 403, path
        assert "725.90" not in response.text
    form = {"url": f"/invoices/{desk.books.overdue_id}/void", "token": "0" * 64, "next": "/"}
    assert desk.post(form).status_code == 403


def test_an_async_hook_is_awaited(make_desk: Callable[..., Desk]) -> None:
    async def hook(request: Request) -> str | None:
        return by_header(request)

    desk = make_desk(authorize=hook)

    assert desk.get("/").status_code == 200


def test_one_seller_never_sees_another_sellers_client_or_invoice(desk: Desk) -> None:
    theirs = desk.books.other_customer_id

    assert desk.get(f"/clients/{theirs}").status_code == 404
    assert desk.get(f"/clients/{theirs}", seller=desk.books.other_seller_id).status_code == 200
    overview = desk.get("/").text
    assert "1,188.81" not in overview
    assert "Stranger" not in overview
    assert _names(desk.get("/clients?q=Stranger").text) == []
    # A valid token for the other seller's invoice, signed for this seller: still not found.
    form = desk.form_for(desk.books.overdue_id, "void")
    form["url"] = f"/invoices/{desk.books.other_invoice_id}/void"
    assert desk.post(form).status_code == 403  # the token is bound to the invoice
    foreign = desk.billing.seller(desk.books.other_seller_id).invoices.get(
        desk.books.other_invoice_id
    )
    assert foreign.status == "pending"


def test_pages_carry_the_security_headers_and_no_script(desk: Desk) -> None:
    for path in ("/", "/clients", f"/clients/{desk.books.customer_ids[0]}"):
        response = desk.get(path)
        assert response.status_code == 200
        assert "script-src" not in response.headers["content-security-policy"]
        assert "default-src 'none'" in response.headers["content-security-policy"]
        assert response.headers["cache-control"] == "no-store"
        assert "<script" not in response.text
    css = desk.get("/assets/dashboard.css")
    assert css.status_code == 200
    assert css.headers["content-type"].startswith("text/css")


# ---------------------------------------------------------------- figures


def test_the_overview_shows_the_live_figures_per_currency(desk: Desk) -> None:
    html = desk.get("/").text

    # Open: 119.00 + 238.00 + 357.00 (overdue) + 11.90 (new, not yet due); USD 83.30 overdue.
    assert "<dd>725.90 EUR</dd>" in html
    assert "<dd>714.00 EUR</dd>" in html
    assert "<dd>83.30 USD</dd>" in html
    assert html.count("<svg") == 4  # aging and months, per currency
    assert "Live figures for today, 2026-04-16." in html


def test_as_of_a_past_date_shows_that_days_figures(desk: Desk) -> None:
    html = desk.get("/?as_of=2026-03-10").text

    assert "as of the end of 2026-03-10" in html
    assert "<dd>714.00 EUR</dd>" in html  # issued, none of it due yet
    assert "<dd>0.00 EUR</dd>" in html  # nothing overdue then


@pytest.mark.parametrize(
    "value",
    ["2026-13-01", "yesterday", "2026-3-1", "2026-02-30", "9" * 40, "<b>x</b>", "2026-03-10T00:00"],
)
def test_a_bad_as_of_date_is_400_with_a_message(desk: Desk, value: str) -> None:
    for path in ("/", "/clients"):
        response = desk.get(path, params={"as_of": value})
        assert response.status_code == 400
        assert "YYYY-MM-DD" in response.text
        assert "<b>x</b>" not in response.text


# ---------------------------------------------------------------- clients table


def _names(html: str) -> list[str]:
    return re.findall(r'<th scope="row"><a href="/clients/[^"]+">([^<]+)</a></th>', html)


def test_clients_are_sorted_searched_and_paged_on_the_server(
    make_desk: Callable[..., Desk],
) -> None:
    desk = make_desk(page_size=2)

    first = desk.get("/clients?sort=name&dir=asc").text
    second = desk.get("/clients?sort=name&dir=asc&page=2").text
    by_open = desk.get("/clients?sort=open&dir=desc").text

    assert _names(first) == ["Globex GmbH", "Initech AG"]
    assert _names(second) == ["Umbrella Corp", "Umbrella Corp"]  # a row per currency
    assert "Page 1 of 2" in first
    assert 'rel="next"' in first
    assert 'rel="prev"' in second
    assert _names(by_open)[0] == "Umbrella Corp"  # 357.00 EUR open
    assert _names(desk.get("/clients?q=INITECH").text) == ["Initech AG"]
    assert 'aria-sort="ascending"' in first


def _sorted_by(html: str) -> list[str]:
    """The sort keys of the header links, and which header says it sorts the table."""
    links = re.findall(r'<th scope="col"( aria-sort="[a-z]+")?[^>]*><a href="[^"]*sort=(\w+)', html)
    return [key + ("*" if current else "") for current, key in links]


def test_every_column_sorts_on_the_server_overdue_by_today(desk: Desk) -> None:
    books = desk.billing.seller(desk.books.seller_id)
    big = books.invoices.draft(desk.books.customer_ids[0], lines=[line("1000.00")])
    books.invoices.issue(big.id)  # Globex owes the most, but none of it is due yet

    by_open = desk.get("/clients?sort=open&dir=desc").text
    by_overdue = desk.get("/clients?sort=overdue&dir=desc").text
    by_currency = desk.get("/clients?sort=currency&dir=desc").text
    as_of = desk.get("/clients?sort=overdue&dir=desc&as_of=2026-04-16").text

    assert _names(by_open)[0] == "Globex GmbH"
    assert _names(by_overdue) == ["Umbrella Corp", "Initech AG", "Globex GmbH", "Umbrella Corp"]
    assert "<td>USD</td>" in by_currency.split("<tbody>")[1].split("</tr>")[0]
    assert _sorted_by(by_overdue) == [
        "name",
        "currency",
        "open",
        "overdue*",
        "credit",
        "net",
        "invoiced",
    ]
    # As of a date: the same order from the reports; no invoiced column (not in them).
    assert _names(as_of) == _names(by_overdue)
    assert _sorted_by(as_of) == ["name", "currency", "open", "overdue*", "credit", "net"]
    by_currency_then = desk.get("/clients?sort=currency&dir=desc&as_of=2026-04-16").text
    assert "<td>USD</td>" in by_currency_then.split("<tbody>")[1].split("</tr>")[0]


@pytest.mark.parametrize(
    "search",
    ["' OR 1=1 --", "%", "\\", "<script>alert(1)</script>", '"; DROP TABLE summary_clients; --'],
)
def test_hostile_searches_match_as_plain_text(desk: Desk, search: str) -> None:
    response = desk.get("/clients", params={"q": search})

    assert response.status_code == 200
    assert _names(response.text) == []
    assert "<script>alert(1)</script>" not in response.text
    assert desk.get("/clients").status_code == 200  # the table is still there


@pytest.mark.parametrize(
    "query",
    [
        "page=0",
        "page=-1",
        "page=abc",
        "page=99999999999999999999",
        "page=1e9",
        "sort=secret",
        "sort=open;DROP",
        "dir=sideways",
        "q=" + "x" * 201,
        "q=%00",
    ],
)
def test_bad_table_parameters_are_400(desk: Desk, query: str) -> None:
    response = desk.get(f"/clients?{query}")

    assert response.status_code == 400


def test_a_page_past_the_end_is_empty_not_an_error(desk: Desk) -> None:
    response = desk.get("/clients?page=1000")

    assert response.status_code == 200
    assert "No clients match." in response.text


def test_the_client_page_lists_figures_invoices_and_messages(desk: Desk) -> None:
    customer_id = desk.books.customer_ids[0]

    html = desk.get(f"/clients/{customer_id}").text

    assert "Globex GmbH" in html
    assert "INV-2026-00001" in html
    assert "INV-2026-00004" in html
    assert "119.00 EUR" in html
    assert desk.get("/clients/cus_nobody").status_code == 404
    assert desk.get("/clients/%3Cscript%3E").status_code == 404


# ---------------------------------------------------------------- actions and CSRF


def test_a_missing_or_wrong_csrf_token_is_403_and_changes_nothing(desk: Desk) -> None:
    form = desk.form_for(desk.books.overdue_id, "void")
    books = desk.billing.seller(desk.books.seller_id)

    assert desk.post({**form, "token": ""}).status_code == 403
    assert desk.post({**form, "token": "0" * 64}).status_code == 403
    remind = desk.form_for(desk.books.overdue_id, "remind")
    assert desk.post({**form, "token": remind["token"]}).status_code == 403  # another purpose
    desk.client.cookies.clear()
    assert desk.post(form).status_code == 403  # no cookie: no nonce to check against
    assert (
        books.invoices.get(desk.books.overdue_id).status == "overdue"
        or books.invoices.get(desk.books.overdue_id).status == "pending"
    )


def test_void_from_the_page(desk: Desk) -> None:
    form = desk.form_for(desk.books.overdue_id, "void")

    response = desk.post(form)

    assert response.status_code == 303
    assert response.headers["location"] == "/"
    books = desk.billing.seller(desk.books.seller_id)
    assert books.invoices.get(desk.books.overdue_id).status == "void"
    assert desk.post(form).status_code == 409  # void is final: said, not done twice


def test_mark_paid_from_the_page_pays_once(desk: Desk) -> None:
    form = desk.form_for(desk.books.overdue_id, "mark_paid")

    first = desk.post(form)
    again = desk.post(form)  # a double click: the same version, the same idempotency key

    assert first.status_code == 303
    books = desk.billing.seller(desk.books.seller_id)
    invoice = books.invoices.get(desk.books.overdue_id)
    assert invoice.status == "paid"
    assert len(invoice.payments) == 1
    assert again.status_code in {303, 409}
    assert "<dd>606.90 EUR</dd>" in desk.get("/").text  # 725.90 − 119.00, from the summaries


def test_remind_from_the_page_sends_a_reminder(desk: Desk) -> None:
    form = desk.form_for(desk.books.overdue_id, "remind")

    response = desk.post(form)

    assert response.status_code == 303
    books = desk.billing.seller(desk.books.seller_id)
    kinds = [m.kind for m in books.messages.list(invoice_id=desk.books.overdue_id)]
    assert "reminder" in kinds


def test_actions_the_host_does_not_allow_are_not_offered_nor_accepted(
    make_desk: Callable[..., Desk],
) -> None:
    desk = make_desk(actions={"remind"})
    html = desk.get("/").text
    remind = desk.form_for(desk.books.overdue_id, "remind")

    assert "/void" not in html
    assert "/mark_paid" not in html
    response = desk.post({**remind, "url": f"/invoices/{desk.books.overdue_id}/void"})
    assert response.status_code == 404


def test_next_never_leaves_the_site(desk: Desk) -> None:
    form = desk.form_for(desk.books.overdue_id, "remind")

    for target in ("//evil.example/", "https://evil.example/", "\\\\evil", "javascript:alert(1)"):
        response = desk.post(form, next=target)
        assert response.headers["location"] == "/"


def test_actions_from_the_client_page(desk: Desk) -> None:
    page = f"/clients/{desk.books.customer_ids[0]}"
    form = desk.form_for(desk.books.overdue_id, "mark_paid", page=page)

    response = desk.post(form)

    assert response.status_code == 303
    assert response.headers["location"] == page


def test_the_form_cookie_is_http_only_and_same_site(desk: Desk) -> None:
    desk.client.cookies.clear()
    response = desk.get("/")

    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"{COOKIE}=")
    assert "httponly" in cookie.lower()
    assert "samesite=lax" in cookie.lower()


# ---------------------------------------------------------------- configuration


def test_bad_options_are_configuration_errors() -> None:
    billing = ik.Billing.in_memory()
    with pytest.raises(ConfigurationError, match="32 characters"):
        dashboard_app(billing, authorize=by_header, secret_key="short")
    with pytest.raises(ConfigurationError, match="refund"):
        dashboard_app(billing, authorize=by_header, secret_key=SECRET, actions={"refund"})
    with pytest.raises(ConfigurationError, match="page_size"):
        dashboard_app(billing, authorize=by_header, secret_key=SECRET, page_size=0)
