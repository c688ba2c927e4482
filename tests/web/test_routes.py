"""The web app's routes through Starlette's TestClient, over a real Billing (T36, T44 at the page)."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from starlette.testclient import TestClient

import invoicekit as ik
from billing_fixtures import AT
from invoicekit.errors import ConcurrencyError, ConfigurationError, PaymentError, ValidationError
from invoicekit.faults import FaultPoints
from invoicekit.testing import FixedClock
from invoicekit.web import create_app
from invoicekit.web.csrf import COOKIE, FIELD
from web.conftest import CLOSED_PORT, IBAN, SECRET, Shop

PAY_BUTTON = re.compile(r'<button type="submit" class="pay-button">Pay (.+?) now</button>')


def state_of(shop: Shop) -> str:
    session = shop.sandbox.session(shop.ref)
    assert session is not None
    return session.state


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([0-9a-f]{64})"', html)
    assert found is not None, "the page has no CSRF token"
    return found.group(1)


# ---------------------------------------------------------------- the hosted invoice page


def test_the_page_answers_the_four_questions_and_offers_pay_and_the_bank(shop: Shop) -> None:
    response = shop.client.get(f"/i/{shop.token}")

    assert response.status_code == 200
    html = response.text
    for answer in ("purpose", "amount-due", "due-date", "how-to-pay"):
        assert f'data-answer="{answer}"' in html
    button = PAY_BUTTON.search(html)
    assert button is not None
    assert "1,190.00" in button.group(1)  # 12.5 × 80.00 = 1,000.00 + 19 % VAT
    assert IBAN in html
    assert "Website redesign" in html
    assert 'method="post"' in html
    assert f'action="/i/{shop.token}/pay"' in html


def test_every_page_carries_the_security_headers(shop: Shop) -> None:
    response = shop.client.get(f"/i/{shop.token}")

    csp = response.headers["content-security-policy"]
    assert "script-src" not in csp
    assert "default-src 'none'" in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert response.headers["cache-control"] == "no-store"
    assert "<script" not in response.text
    assert " style=" not in response.text
    cookie = response.headers["set-cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie


@pytest.mark.parametrize(
    "path",
    [
        "/i/nope",
        "/i/{token}x",
        "/i/{short}",
        "/i/" + "A" * 43,
        "/i/{token}/pdf-nope",
        "/nothing-here",
    ],
)
def test_unknown_wrong_or_partial_tokens_get_the_same_plain_404(shop: Shop, path: str) -> None:
    # T36: whatever part of the token was right, the same page; never another invoice.
    reference = shop.client.get("/i/nope")
    response = shop.client.get(path.format(token=shop.token, short=shop.token[:-1]))

    assert response.status_code == 404
    assert response.text == reference.text
    assert "INV-" not in response.text
    assert "Globex" not in response.text


def test_a_paid_invoice_shows_its_status_and_no_pay_button(shop: Shop) -> None:
    shop.billing.seller(shop.seller_id).payments.record(shop.invoice_id, "1190.00")

    html = shop.client.get(f"/i/{shop.token}").text

    assert PAY_BUTTON.search(html) is None
    assert 'data-status="paid"' in html
    assert "Paid in full" in html
    assert IBAN not in html


def test_a_void_invoice_shows_it_was_cancelled(shop: Shop) -> None:
    shop.billing.seller(shop.seller_id).invoices.void(shop.invoice_id)

    html = shop.client.get(f"/i/{shop.token}").text

    assert PAY_BUTTON.search(html) is None
    assert "cancelled" in html


def test_a_success_redirect_only_changes_the_words_never_the_invoice(shop: Shop) -> None:
    # T44 at the page: ?checkout=success says "processing"; nothing is recorded.
    books = shop.billing.seller(shop.seller_id)
    before = books.invoices.get(shop.invoice_id)

    html = shop.client.get(f"/i/{shop.token}?checkout=success").text

    after = books.invoices.get(shop.invoice_id)
    assert "being processed" in html
    assert after == before
    assert after.payments == ()
    assert shop.provider.requests == []


# ---------------------------------------------------------------- Pay


def test_pay_with_the_pages_token_redirects_to_the_providers_checkout(shop: Shop) -> None:
    token = csrf_of(shop.client.get(f"/i/{shop.token}").text)

    response = shop.client.post(f"/i/{shop.token}/pay", data={FIELD: token})

    assert response.status_code == 303
    assert response.headers["location"] == "https://checkout.example/cs_1"
    [request] = shop.provider.requests
    assert (request.amount, request.currency) == (Decimal("1190.00"), "EUR")
    assert request.return_url == f"http://testserver/i/{shop.token}"


@pytest.mark.parametrize("how", ["missing", "wrong", "no-cookie", "other-form"])
def test_pay_without_a_valid_csrf_token_is_refused_with_403(shop: Shop, how: str) -> None:
    page = shop.client.get(f"/i/{shop.token}").text
    token = csrf_of(page)
    data = {
        "missing": {},
        "wrong": {FIELD: "0" * 64},
        "no-cookie": {FIELD: token},
        "other-form": {FIELD: csrf_of(shop.client.get(f"/sandbox/{shop.ref}").text)},
    }[how]
    if how == "no-cookie":
        shop.client.cookies.delete(COOKIE)

    response = shop.client.post(f"/i/{shop.token}/pay", data=data)

    assert response.status_code == 403
    assert shop.provider.requests == []


def test_a_provider_error_shows_the_page_again_with_a_message_and_the_bank(shop: Shop) -> None:
    shop.provider.fail_with = PaymentError("ZZ-internal-detail", provider="stripe", retryable=True)
    token = csrf_of(shop.client.get(f"/i/{shop.token}").text)

    response = shop.client.post(f"/i/{shop.token}/pay", data={FIELD: token})

    assert response.status_code == 503
    assert "could not start the card payment" in response.text
    assert IBAN in response.text
    assert "ZZ-internal-detail" not in response.text


def test_pay_on_a_paid_invoice_goes_back_to_the_page(shop: Shop) -> None:
    token = csrf_of(shop.client.get(f"/i/{shop.token}").text)
    shop.billing.seller(shop.seller_id).payments.record(shop.invoice_id, "1190.00")

    response = shop.client.post(f"/i/{shop.token}/pay", data={FIELD: token})

    assert response.status_code == 303
    assert response.headers["location"] == f"/i/{shop.token}"


def test_pay_with_an_unknown_token_is_the_404(shop: Shop) -> None:
    token = csrf_of(shop.client.get(f"/i/{shop.token}").text)
    shop.client.get(f"/i/{shop.token}")

    response = shop.client.post("/i/nope/pay", data={FIELD: token})

    assert response.status_code == 403  # the token was for the other page: CSRF first


# ---------------------------------------------------------------- the sandbox page


def test_the_sandbox_page_offers_succeed_pending_and_decline(shop: Shop) -> None:
    html = shop.client.get(f"/sandbox/{shop.ref}").text

    for label in ("Succeed", "Pending", "Decline"):
        assert f">{label}</button>" in html
    assert "1,190.00" in html
    assert '<select id="reason" name="reason">' in html


def test_the_sandbox_page_offers_to_save_the_card_with_consent(shop: Shop) -> None:
    html = shop.client.get(f"/sandbox/{shop.ref}").text
    token = csrf_of(html)

    assert '<input type="checkbox" id="save_card" name="save_card" value="yes">' in html
    assert "I allow Northwind Studio to charge this card for my future invoices" in html
    back = shop.client.post(
        f"/sandbox/{shop.ref}", data={FIELD: token, "outcome": "succeed", "save_card": "yes"}
    )

    assert back.status_code == 303
    method = shop.billing.seller(shop.seller_id).customers.get(shop.customer_id).payment_method
    assert method is not None
    assert (method.provider, method.last4) == ("sandbox", "4242")
    assert method.consent.startswith("I allow Northwind Studio to charge this card")
    assert method.consented_at == AT


def test_the_card_is_not_saved_without_the_tick(shop: Shop) -> None:
    token = csrf_of(shop.client.get(f"/sandbox/{shop.ref}").text)
    shop.client.post(f"/sandbox/{shop.ref}", data={FIELD: token, "outcome": "succeed"})

    customer = shop.billing.seller(shop.seller_id).customers.get(shop.customer_id)
    assert customer.payment_method is None


def test_succeed_chooses_and_goes_back_to_the_invoice_page(shop: Shop) -> None:
    token = csrf_of(shop.client.get(f"/sandbox/{shop.ref}").text)

    response = shop.client.post(
        f"/sandbox/{shop.ref}", data={FIELD: token, "outcome": "succeed", "reason": "x"}
    )

    assert response.status_code == 303
    assert response.headers["location"] == f"http://testserver/i/{shop.token}?checkout=success"
    assert state_of(shop) == "succeeded"


def test_the_redirect_alone_records_nothing_the_webhook_does(shop: Shop) -> None:
    # T44 with the real sandbox: its webhook could not be delivered (TestClient is no
    # server), so the payer is back on our page with ?checkout=success and nothing is paid.
    token = csrf_of(shop.client.get(f"/sandbox/{shop.ref}").text)
    back = shop.client.post(f"/sandbox/{shop.ref}", data={FIELD: token, "outcome": "succeed"})

    page = shop.client.get(back.headers["location"].removeprefix("http://testserver"))

    books = shop.billing.seller(shop.seller_id)
    assert "being processed" in page.text
    assert books.invoices.get(shop.invoice_id).payments == ()
    [event_id] = shop.sandbox.undelivered()
    # The kept delivery, as the sandbox signs it, through our endpoint: now it is paid.
    [delivery] = [d for d in shop.sandbox._state.all("delivery") if d["id"] == event_id]
    body, headers = shop.sandbox.signed(json.loads(delivery["body"]))
    assert shop.client.post("/webhooks/sandbox", content=body, headers=headers).status_code == 200
    assert 'data-status="paid"' in shop.client.get(f"/i/{shop.token}").text


def test_decline_passes_the_reason(shop: Shop) -> None:
    token = csrf_of(shop.client.get(f"/sandbox/{shop.ref}").text)

    response = shop.client.post(
        f"/sandbox/{shop.ref}",
        data={FIELD: token, "outcome": "decline", "reason": "insufficient_funds"},
    )

    assert response.headers["location"].endswith("?checkout=failed")
    assert state_of(shop) == "declined"
    [delivery] = shop.sandbox._state.all("delivery")
    assert json.loads(delivery["body"])["data"]["code"] == "insufficient_funds"


@pytest.mark.parametrize(
    "data", [{"outcome": "steal"}, {"outcome": "decline", "reason": "<script>"}, {}]
)
def test_the_sandbox_refuses_unknown_choices(shop: Shop, data: dict[str, str]) -> None:
    token = csrf_of(shop.client.get(f"/sandbox/{shop.ref}").text)

    response = shop.client.post(f"/sandbox/{shop.ref}", data={FIELD: token, **data})

    assert response.status_code == 400
    assert state_of(shop) == "open"


def test_the_sandbox_post_needs_its_csrf_token(shop: Shop) -> None:
    shop.client.get(f"/sandbox/{shop.ref}")

    response = shop.client.post(f"/sandbox/{shop.ref}", data={"outcome": "succeed"})

    assert response.status_code == 403
    assert state_of(shop) == "open"


def test_a_closed_sandbox_session_shows_its_state_without_buttons(shop: Shop) -> None:
    shop.sandbox.choose(shop.ref, "succeed")

    html = shop.client.get(f"/sandbox/{shop.ref}").text

    assert "Succeed</button>" not in html
    assert 'data-state="succeeded"' in html


def test_an_unknown_sandbox_session_is_the_404(shop: Shop) -> None:
    assert shop.client.get("/sandbox/sbx_nope").status_code == 404


def test_without_a_sandbox_there_is_no_sandbox_route(shop: Shop) -> None:
    from starlette.testclient import TestClient

    app = create_app(shop.billing, secret_key=SECRET)
    with TestClient(app) as client:
        assert client.get(f"/sandbox/{shop.ref}").status_code == 404
        assert client.get("/inbox").status_code == 404


# ---------------------------------------------------------------- webhooks


def event(shop: Shop, event_id: str = "sbx_evt_1", amount: str = "1190.00") -> dict[str, Any]:
    """A sandbox ``payment.succeeded`` event for the shop's invoice."""
    return {
        "id": event_id,
        "type": "payment.succeeded",
        "created": int(AT.timestamp()),
        "data": {
            "payment_ref": "sbx_pay_1",
            "session_ref": shop.ref,
            "amount": amount,
            "currency": "EUR",
            "metadata": {"seller_id": shop.seller_id, "invoice_id": shop.invoice_id},
        },
    }


def test_a_signed_webhook_records_the_payment_once(shop: Shop) -> None:
    body, headers = shop.sandbox.signed(event(shop))

    first = shop.client.post("/webhooks/sandbox", content=body, headers=headers)
    again = shop.client.post(f"/webhooks/sandbox/{shop.seller_id}", content=body, headers=headers)

    assert first.status_code == 200
    assert first.json() == {"provider": "sandbox", "event_id": "sbx_evt_1", "outcome": "recorded"}
    assert again.json()["outcome"] == "duplicate"
    invoice = shop.billing.seller(shop.seller_id).invoices.get(shop.invoice_id)
    assert str(invoice.status) == "paid"
    assert len(invoice.payments) == 1


@pytest.mark.parametrize("how", ["tampered", "unsigned", "stale", "other-secret"])
def test_a_rejected_webhook_is_a_400_with_the_reason_and_never_the_body(
    shop: Shop, how: str
) -> None:
    body, headers = shop.sandbox.signed(event(shop))
    if how == "tampered":
        body = body.replace(b"1190.00", b"0001.00")
    elif how == "unsigned":
        headers = {"content-type": "application/json"}
    elif how == "stale":
        body, headers = shop.sandbox.signed(event(shop), at=AT - timedelta(minutes=6))
    else:
        other = ik.SandboxPayments(
            base_url="http://x", webhook_url=CLOSED_PORT, secrets=["0" * 32], clock=FixedClock(AT)
        )
        body, headers = other.signed(event(shop))

    response = shop.client.post("/webhooks/sandbox", content=body, headers=headers)

    assert response.status_code == 400
    assert response.json()["error"] == "rejected"
    assert response.json()["reason"]
    assert shop.invoice_id not in response.text
    assert "1190" not in response.text
    assert shop.billing.seller(shop.seller_id).invoices.get(shop.invoice_id).payments == ()


def test_a_webhook_needs_no_csrf_token_and_sets_no_cookie(shop: Shop) -> None:
    body, headers = shop.sandbox.signed(event(shop))

    response = shop.client.post("/webhooks/sandbox", content=body, headers=headers)

    assert response.status_code == 200
    assert "set-cookie" not in response.headers


def test_an_unknown_provider_is_rejected(shop: Shop) -> None:
    body, headers = shop.sandbox.signed(event(shop))

    response = shop.client.post("/webhooks/paypal", content=body, headers=headers)

    assert response.status_code == 400
    assert "unknown provider" in response.json()["reason"]


def test_a_webhook_for_another_sellers_endpoint_changes_nothing(shop: Shop) -> None:
    body, headers = shop.sandbox.signed(event(shop))

    response = shop.client.post("/webhooks/sandbox/s_other", content=body, headers=headers)

    assert response.status_code == 200  # verified: the provider must not retry it
    assert response.json()["outcome"] == "refused"
    assert shop.billing.seller(shop.seller_id).invoices.get(shop.invoice_id).payments == ()


# ---------------------------------------------------------------- inbox and setup


def test_the_inbox_lists_the_signed_in_customers_messages(shop: Shop) -> None:
    shop.billing.seller(shop.seller_id).invoices.send(shop.invoice_id, channels=["in_app"])

    response = shop.client.get("/inbox", headers={"x-user": "globex"})

    assert response.status_code == 200
    assert "INV-2026-00001" in response.text


def test_the_inbox_without_a_customer_is_refused(shop: Shop) -> None:
    assert shop.client.get("/inbox").status_code == 403


def test_the_stylesheet_is_served_from_our_origin(shop: Shop) -> None:
    response = shop.client.get("/assets/web.css")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/css")
    assert ".pay-button" in response.text
    assert "{{" not in response.text


def test_a_short_secret_key_is_refused(shop: Shop) -> None:
    with pytest.raises(ConfigurationError, match="at least 32 characters"):
        create_app(shop.billing, secret_key="short")


def test_mounted_under_a_prefix_the_links_carry_it(shop: Shop) -> None:
    from starlette.applications import Starlette
    from starlette.routing import Mount
    from starlette.testclient import TestClient

    outer = Starlette(routes=[Mount("/pay", app=create_app(shop.billing, secret_key=SECRET))])
    with TestClient(outer, follow_redirects=False) as client:
        page = client.get(f"/pay/i/{shop.token}")
        token = csrf_of(page.text)
        pay = client.post(f"/pay/i/{shop.token}/pay", data={FIELD: token})

    assert f'action="/pay/i/{shop.token}/pay"' in page.text
    assert 'href="/pay/assets/web.css"' in page.text
    assert pay.status_code == 303


def test_without_the_web_extra_create_app_names_the_extra() -> None:
    import subprocess
    import sys

    code = (
        "import sys\n"
        "sys.modules['starlette'] = None\n"
        "from invoicekit.web import create_app\n"
        "try:\n"
        "    create_app(None, secret_key='x' * 40)\n"
        "except Exception as exc:\n"
        "    print(type(exc).__name__, exc)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout

    assert out.startswith("MissingExtraError")
    assert "pip install 'invoicekit[web]'" in out


def test_a_root_path_dispatcher_like_the_django_how_to_works(shop: Shop) -> None:
    from starlette.testclient import TestClient
    from starlette.types import Receive, Scope, Send

    pay_app = create_app(shop.billing, secret_key=SECRET)

    async def application(scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] == "http" and (path == "/pay" or path.startswith("/pay/")):
            scope = {**scope, "root_path": scope.get("root_path", "") + "/pay", "path": path}
        await pay_app(scope, receive, send)

    with TestClient(application, follow_redirects=False) as client:
        page = client.get(f"/pay/i/{shop.token}")
        pay = client.post(f"/pay/i/{shop.token}/pay", data={FIELD: csrf_of(page.text)})

    assert page.status_code == 200
    assert f'action="/pay/i/{shop.token}/pay"' in page.text
    assert pay.status_code == 303


def test_an_expired_link_gets_the_same_404(shop: Shop) -> None:
    reference = shop.client.get("/i/nope")
    clock = shop.billing.clock
    assert isinstance(clock, FixedClock)
    clock.advance(days=61)  # pay_link_ttl defaults to 60 days

    response = shop.client.get(f"/i/{shop.token}")

    assert response.status_code == 404
    assert response.text == reference.text


def test_the_page_speaks_the_customers_language(shop: Shop) -> None:
    books = shop.billing.seller(shop.seller_id)
    client = books.customers.create("Initech AG", email="ap@initech.example", locale="de_DE")
    draft = books.invoices.draft(
        client.id, lines=[ik.Line("Beratung", quantity=1, unit_price="100.00", tax=ik.Vat("19"))]
    )
    invoice = books.invoices.issue(draft.id)
    token = shop.billing.pay_pages.mint(shop.seller_id, invoice.id).rsplit("/", 1)[1]

    html = shop.client.get(f"/i/{token}").text

    assert '<html lang="de-DE">' in html
    assert "Rechnung" in html
    assert "119,00" in html


def test_a_failed_attempt_says_so_and_offers_pay_again(shop: Shop) -> None:
    shop.billing.seller(shop.seller_id).payments.record_failure(
        shop.invoice_id, reason="card_declined"
    )

    html = shop.client.get(f"/i/{shop.token}").text

    assert "did not go through" in html
    assert PAY_BUTTON.search(html) is not None


def test_a_declined_sandbox_session_may_be_tried_again(shop: Shop) -> None:
    shop.sandbox.choose(shop.ref, "decline", reason="expired_card")

    html = shop.client.get(f"/sandbox/{shop.ref}").text

    assert ">Succeed</button>" in html
    assert "declined" in html


def test_a_fully_credited_invoice_says_so_without_pay(shop: Shop) -> None:
    shop.billing.seller(shop.seller_id).invoices.credit(
        shop.invoice_id,
        lines=[
            ik.Line(
                "Website redesign",
                quantity=Decimal("12.5"),
                unit_price=Decimal("80.00"),
                tax=ik.Vat("19"),
            )
        ],
        reason="Project cancelled",
    )

    html = shop.client.get(f"/i/{shop.token}").text

    assert PAY_BUTTON.search(html) is None
    assert "credited" in html
    assert IBAN not in html


def test_the_pdf_download_is_the_invoice_as_pdf(shop: Shop) -> None:
    response = shop.client.get(f"/i/{shop.token}/pdf")

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    assert "INV-2026-00001" in response.headers["content-disposition"]
    assert shop.client.get("/i/nope/pdf").status_code == 404


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (ConcurrencyError("locked by another worker"), 503),
        (ValidationError([], subject="notice"), 422),
    ],
)
def test_a_webhook_that_cannot_be_applied_says_whether_to_retry(
    shop: Shop, error: Exception, status: int
) -> None:
    def fail() -> None:
        raise error

    failing = ik.Billing(
        storage=shop.billing.storage,
        clock=shop.billing.clock,
        payments=[shop.provider, shop.sandbox],
        faults=FaultPoints({"before_commit": fail}),
    )
    body, headers = shop.sandbox.signed(event(shop))
    with TestClient(create_app(failing, secret_key=SECRET)) as client:
        response = client.post("/webhooks/sandbox", content=body, headers=headers)

    assert response.status_code == status
    assert "1190" not in response.text
    assert shop.billing.seller(shop.seller_id).invoices.get(shop.invoice_id).payments == ()


def test_a_pending_payment_shows_it_is_on_its_way(shop: Shop) -> None:
    token = csrf_of(shop.client.get(f"/sandbox/{shop.ref}").text)
    shop.client.post(f"/sandbox/{shop.ref}", data={FIELD: token, "outcome": "pending"})
    [delivery] = shop.sandbox._state.all("delivery")
    body, headers = shop.sandbox.signed(json.loads(delivery["body"]))
    assert shop.client.post("/webhooks/sandbox", content=body, headers=headers).status_code == 200

    html = shop.client.get(f"/i/{shop.token}").text

    assert "on its way" in html
    assert PAY_BUTTON.search(html) is None  # paying again would pay twice
    invoice = shop.billing.seller(shop.seller_id).invoices.get(shop.invoice_id)
    assert invoice.in_flight == Decimal("1190.00")
