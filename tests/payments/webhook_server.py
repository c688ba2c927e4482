"""A host's webhook endpoint on 127.0.0.1: POSTs go to ``billing.webhooks.receive``.

It stands in for ``invoicekit.web``'s ``POST /webhooks/{provider}[/{seller_id}]`` in the
tests of the core (the web app has its own tests): 200 with the outcome, 400 for a
rejected notice, and it can be told to answer 500 to the next ``fail_next`` requests.
"""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import attrs

import invoicekit as ik
from invoicekit.errors import WebhookRejectedError
from invoicekit.services.webhooks import WebhookResult

__all__ = ["Endpoint", "endpoint"]


@attrs.define
class Endpoint:
    """The running endpoint: its URL, what it received, and how many requests to fail."""

    url: str
    results: list[WebhookResult] = attrs.field(factory=list)
    rejected: list[str] = attrs.field(factory=list)
    fail_next: int = 0


@contextmanager
def endpoint(billing: ik.Billing, provider: str = "sandbox") -> Iterator[Endpoint]:
    """Serve ``/webhooks/<provider>[/<seller_id>]`` for ``billing`` until the block ends."""
    state = Endpoint(url="")
    lock = threading.Lock()

    class Receiver(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            parts = self.path.strip("/").split("/")
            seller_id = parts[2] if len(parts) > 2 else None
            with lock:
                failing = state.fail_next > 0
                state.fail_next -= 1 if failing else 0
            if failing:
                self._answer(500, b"down")
                return
            try:
                result = billing.webhooks.receive(
                    parts[1], body, dict(self.headers.items()), seller_id=seller_id
                )
            except WebhookRejectedError as exc:
                with lock:
                    state.rejected.append(exc.reason)
                self._answer(400, exc.reason.encode())
                return
            with lock:
                state.results.append(result)
            self._answer(200, result.outcome.encode())

        def _answer(self, status: int, body: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            """Stay quiet."""

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/webhooks/{provider}"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
