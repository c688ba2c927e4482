"""A Stripe API on 127.0.0.1 that answers the official SDK with the shapes Stripe documents.

Objects are built from Stripe's own published examples (``stripe_fixtures.json`` beside this
file: six objects of stripe/openapi's fixtures3.json, with its MIT licence): ``checkout.session``, ``refund``, ``event``, ``payment_intent``,
``charge`` and ``dispute``. It honours ``Idempotency-Key`` like Stripe (the same key and
parameters replay the first answer with ``Idempotent-Replayed: true``; the same key with
other parameters is a 400 ``idempotency_error``), records every request, and can be told to
fail the next requests (500, 429, a dropped connection, a declined card, a key in use).
Webhook bodies are signed with Stripe's scheme (``t=…,v1=`` HMAC-SHA256 over ``t.body``).

    with StripeStub() as stub:
        account = StripeAccount("sk_test_x", ["whsec_x"], base_url=stub.url)
"""

from __future__ import annotations

import copy
import hashlib
import hmac
import http.server
import itertools
import json
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final, Self
from urllib.parse import parse_qsl, urlsplit

import attrs

__all__ = ["FIXTURES", "Recorded", "StripeStub", "sign"]

#: The six objects of Stripe's fixtures3.json the stub uses, with its MIT licence text.
FIXTURES: Final = Path(__file__).with_name("stripe_fixtures.json")


def _resources() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(FIXTURES.read_text(encoding="utf-8"))["resources"]
    return data


_RESOURCES: Final = _resources()


def fixture(name: str) -> dict[str, Any]:
    """A deep copy of Stripe's published example object ``name`` (e.g. ``"checkout.session"``)."""
    return copy.deepcopy(_RESOURCES[name])


def sign(body: bytes, secret: str, *, timestamp: int | None = None) -> str:
    """The ``Stripe-Signature`` value Stripe would send for ``body`` (computed here, not by the SDK)."""
    at = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(secret.encode(), f"{at}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={at},v1={mac}"


@attrs.frozen
class Recorded:
    """One request the stub received."""

    method: str
    path: str
    headers: dict[str, str]
    params: dict[str, str]

    @property
    def idempotency_key(self) -> str | None:
        """The Idempotency-Key header, if any."""
        return next((v for k, v in self.headers.items() if k.lower() == "idempotency-key"), None)

    @property
    def api_key(self) -> str:
        """The bearer token the SDK sent."""
        auth = next((v for k, v in self.headers.items() if k.lower() == "authorization"), "")
        return auth.removeprefix("Bearer ")


def _error(status: int, kind: str, message: str, code: str | None = None, **more: Any) -> Any:
    body: dict[str, Any] = {"type": kind, "message": message}
    if code:
        body["code"] = code
    body.update(more)
    return status, {"error": body}


class StripeStub:
    """The loopback Stripe API; a context manager that serves on a free port."""

    def __init__(self, *, api_keys: set[str] | None = None) -> None:
        self.api_keys = api_keys
        self.requests: list[Recorded] = []
        self.sessions: dict[str, dict[str, Any]] = {}
        self.intents: dict[str, dict[str, Any]] = {}
        self.refunds: dict[str, dict[str, Any]] = {}
        self._faults: list[str] = []
        self._idempotent: dict[str, tuple[str, int, dict[str, Any]]] = {}
        self._ids = itertools.count(1)
        self._lock = threading.RLock()
        self._server: http.server.ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------------ serving

    def __enter__(self) -> Self:
        stub = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                stub._handle(self, "GET")

            def do_POST(self) -> None:
                stub._handle(self, "POST")

            def log_message(self, format: str, *args: object) -> None:
                """Stay quiet."""

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._server is not None
        assert self._thread is not None
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    @property
    def url(self) -> str:
        """The base address to give StripeAccount(base_url=...)."""
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def fail_next(self, *faults: str) -> None:
        """Answer the next requests with these faults, in order.

        ``"500"``, ``"429"``, ``"drop"`` (close the connection unanswered), ``"card_declined"``
        (402), ``"in_use"`` (409 idempotency_key_in_use), ``"auth"`` (401).
        """
        with self._lock:
            self._faults.extend(faults)

    def posts(self, path_prefix: str = "/v1/") -> list[Recorded]:
        """The POST requests received whose path starts with ``path_prefix``."""
        return [r for r in self.requests if r.method == "POST" and r.path.startswith(path_prefix)]

    def _handle(self, handler: http.server.BaseHTTPRequestHandler, method: str) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        raw = handler.rfile.read(length).decode() if length else ""
        path, _, query = handler.path.partition("?")
        params = dict(parse_qsl(raw if method == "POST" else query, keep_blank_values=True))
        record = Recorded(method, urlsplit(path).path, dict(handler.headers.items()), params)
        with self._lock:
            self.requests.append(record)
            fault = self._faults.pop(0) if self._faults else None
        if fault == "drop":
            handler.close_connection = True
            handler.connection.shutdown(2)
            return
        status, body, extra = self._answer(record, fault)
        data = json.dumps(body).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(data)))
        handler.send_header("Request-Id", f"req_stub_{next(self._ids)}")
        for name, value in extra.items():
            handler.send_header(name, value)
        handler.end_headers()
        handler.wfile.write(data)

    def _answer(self, record: Recorded, fault: str | None) -> tuple[int, Any, dict[str, str]]:
        faults = {
            "500": _error(500, "api_error", "An unknown error occurred"),
            "429": _error(429, "invalid_request_error", "Too many requests", "rate_limit"),
            "card_declined": _error(
                402,
                "card_error",
                "Your card was declined.",
                "card_declined",
                decline_code="insufficient_funds",
            ),
            "in_use": _error(
                409,
                "idempotency_error",
                "There is currently another in-progress request using this Idempotent Key.",
                "idempotency_key_in_use",
            ),
            "auth": _error(401, "invalid_request_error", "Invalid API Key provided: sk_****"),
        }
        if fault is not None:
            status, body = faults[fault]
            return status, body, {}
        if self.api_keys is not None and record.api_key not in self.api_keys:
            status, body = faults["auth"]
            return status, body, {}
        key = record.idempotency_key
        if record.method == "POST" and key:
            fingerprint = json.dumps([record.path, sorted(record.params.items())])
            with self._lock:
                known = self._idempotent.get(key)
                if known is not None:
                    if known[0] != fingerprint:
                        status, body = _error(
                            400,
                            "idempotency_error",
                            "Keys for idempotent requests can only be "
                            "used with the same parameters they were first used with.",
                        )
                        return status, body, {}
                    return known[1], known[2], {"Idempotent-Replayed": "true"}
                status, body = self._route(record)
                if status < 500:
                    self._idempotent[key] = (fingerprint, status, body)
                return status, body, {"Idempotency-Key": key}
        with self._lock:
            status, body = self._route(record)
        return status, body, {}

    # ------------------------------------------------------------------ the API

    def _route(self, record: Recorded) -> tuple[int, Any]:  # noqa: PLR0911 - one per endpoint
        parts = record.path.strip("/").split("/")
        if parts[:3] == ["v1", "checkout", "sessions"]:
            if len(parts) == 3 and record.method == "POST":
                return 200, self._create_session(record.params)
            session = self.sessions.get(parts[3]) if len(parts) > 3 else None
            if session is None:
                return _error(
                    404, "invalid_request_error", "No such checkout.session", "resource_missing"
                )
            if len(parts) == 5 and parts[4] == "expire":
                if session["status"] != "open":
                    return _error(
                        400,
                        "invalid_request_error",
                        "Only Checkout Sessions with a status of `open` can be expired.",
                        "checkout_session_not_open",
                    )
                session["status"] = "expired"
            return 200, session
        if parts == ["v1", "payment_intents"] and record.method == "POST":
            return self._create_intent(record.params)
        if parts[:2] == ["v1", "payment_intents"] and len(parts) == 3:
            intent = self.intents.get(parts[2])
            if intent is None:
                return _error(
                    404, "invalid_request_error", "No such payment_intent", "resource_missing"
                )
            return 200, intent
        if parts[:2] == ["v1", "refunds"] and record.method == "POST":
            return self._create_refund(record.params)
        return _error(404, "invalid_request_error", f"Unrecognized request URL {record.path}")

    def _create_session(self, params: Mapping[str, str]) -> dict[str, Any]:
        n = next(self._ids)
        session = fixture("checkout.session")
        prefix = "line_items[0][price_data]"
        session.update(
            id=f"cs_test_stub{n:04d}",
            amount_total=int(params[f"{prefix}[unit_amount]"]),
            amount_subtotal=int(params[f"{prefix}[unit_amount]"]),
            currency=params[f"{prefix}[currency]"],
            client_reference_id=params.get("client_reference_id"),
            customer_email=params.get("customer_email"),
            success_url=params.get("success_url"),
            cancel_url=params.get("cancel_url"),
            expires_at=int(params["expires_at"]),
            created=int(time.time()),
            locale=params.get("locale"),
            metadata=_nested(params, "metadata"),
            payment_intent=None,
            payment_status="unpaid",
            status="open",
            url=f"{self.url}/pay/cs_test_stub{n:04d}",
        )
        session["_intent_metadata"] = _nested(params, "payment_intent_data[metadata]")
        self.sessions[session["id"]] = session
        return {k: v for k, v in session.items() if not k.startswith("_")}

    def _create_intent(self, params: Mapping[str, str]) -> tuple[int, Any]:
        """An off-session PaymentIntent, confirmed now as Stripe's test payment method behaves."""
        n = next(self._ids)
        intent = fixture("payment_intent")
        intent.update(
            id=f"pi_test_stub{n:04d}",
            amount=int(params["amount"]),
            currency=params["currency"],
            customer=params.get("customer"),
            payment_method=params.get("payment_method"),
            metadata=_nested(params, "metadata"),
            created=int(time.time()),
            next_action=None,
            last_payment_error=None,
        )
        method = params.get("payment_method", "")
        declines = {
            "pm_card_chargeDeclined": ("card_declined", "generic_decline", "Your card was declined."),
            "pm_card_chargeDeclinedInsufficientFunds": (
                "card_declined", "insufficient_funds", "Your card has insufficient funds.",
            ),
            "pm_card_authenticationRequired": (
                "authentication_required", "authentication_required",
                "Your card was declined. This transaction requires authentication.",
            ),
        }  # fmt: skip
        if method in declines:
            code, decline, message = declines[method]
            intent.update(
                status="requires_payment_method",
                amount_received=0,
                latest_charge=None,
                last_payment_error={
                    "type": "card_error", "code": code, "decline_code": decline, "message": message,
                },
            )  # fmt: skip
            self.intents[intent["id"]] = intent
            return _error(
                402, "card_error", message, code, decline_code=decline, payment_intent=intent
            )
        intent.update(
            status="succeeded", amount_received=intent["amount"], latest_charge=f"ch_stub{n:04d}"
        )
        self.intents[intent["id"]] = intent
        return 200, intent

    def _create_refund(self, params: Mapping[str, str]) -> tuple[int, Any]:
        intent = self.intents.get(params.get("payment_intent", ""))
        if intent is None:
            return _error(
                400,
                "invalid_request_error",
                "No such payment_intent",
                "resource_missing",
                param="payment_intent",
            )
        amount = int(params.get("amount") or intent["amount_received"])
        refunded = sum(
            r["amount"] for r in self.refunds.values() if r["payment_intent"] == intent["id"]
        )
        if refunded + amount > intent["amount_received"]:
            return _error(
                400,
                "invalid_request_error",
                "Refund amount is greater than unrefunded amount on charge",
                "charge_already_refunded",
            )
        refund = fixture("refund")
        refund.update(
            id=f"re_test_stub{next(self._ids):04d}",
            amount=amount,
            currency=intent["currency"],
            payment_intent=intent["id"],
            charge=intent["latest_charge"],
            created=int(time.time()),
            metadata=_nested(params, "metadata"),
            status="succeeded",
        )
        self.refunds[refund["id"]] = refund
        return 200, refund

    # ------------------------------------------------------------------ what the payer does

    def complete(self, session_id: str, *, paid: bool = True) -> dict[str, Any]:
        """The payer finished the session: returns its ``checkout.session.completed`` event."""
        with self._lock:
            session = self.sessions[session_id]
            n = next(self._ids)
            intent = fixture("payment_intent")
            intent.update(
                id=f"pi_test_stub{n:04d}",
                amount=session["amount_total"],
                amount_received=session["amount_total"] if paid else 0,
                currency=session["currency"],
                metadata=session["_intent_metadata"],
                latest_charge=f"ch_test_stub{n:04d}",
                status="succeeded" if paid else "processing",
                last_payment_error=None,
            )
            self.intents[intent["id"]] = intent
            session.update(
                status="complete",
                payment_status="paid" if paid else "unpaid",
                payment_intent=intent["id"],
            )
            shown = {k: v for k, v in session.items() if not k.startswith("_")}
        return self.event("checkout.session.completed", shown)

    def event(self, kind: str, obj: Mapping[str, Any], **more: Any) -> dict[str, Any]:
        """An ``event`` object of type ``kind`` about ``obj``, shaped like Stripe's example."""
        event = fixture("event")
        event.update(
            id=f"evt_test_stub{next(self._ids):04d}",
            type=kind,
            created=int(time.time()),
            data={"object": copy.deepcopy(dict(obj)), **more},
        )
        return event


def _nested(params: Mapping[str, str], name: str) -> dict[str, str]:
    """The form-encoded hash ``name[k]=v`` of ``params`` as ``{k: v}``."""
    prefix = name + "["
    return {
        k[len(prefix) : -1]: v
        for k, v in params.items()
        if k.startswith(prefix) and k.endswith("]") and "[" not in k[len(prefix) : -1]
    }


def body_of(event: Mapping[str, Any]) -> bytes:
    """An event as Stripe sends it: pretty-printed JSON bytes."""
    return json.dumps(event, indent=2).encode()
