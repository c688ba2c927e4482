"""A real HTTP server on 127.0.0.1 for notifier tests: it records requests and answers as told.

Import the fixture where needed (``tests`` is on ``sys.path``)::

    from notify.http_server import LoopbackServer, loopback_fixture  # noqa: F401

``loopback`` (the fixture's registered name) is a started ``LoopbackServer``: by
default every request gets ``200 {"ok": true}``. ``server.plan(Answer(500), times=2)``
makes the next two requests get a 500; ``Answer(hang=True)`` keeps a request
waiting without an answer until the test ends (a client timeout);
``server.requests`` lists what arrived, in order. ``LoopbackServer(tls=context)``
serves HTTPS on ``https://localhost:<port>``.
"""

from __future__ import annotations

import json
import ssl
import threading
from collections import deque
from collections.abc import Iterator, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import attrs
import pytest

__all__ = ["Answer", "LoopbackServer", "Recorded", "closed_port_url", "loopback_fixture"]


@attrs.frozen
class Recorded:
    """One request as it arrived: method, path, headers (names lower-cased) and raw body."""

    method: str
    path: str
    headers: Mapping[str, str]
    body: bytes

    def json(self) -> Any:
        """The body parsed as JSON."""
        return json.loads(self.body)


@attrs.frozen
class Answer:
    """What the server answers one request with; ``hang`` sends nothing until shutdown."""

    status: int = 200
    body: bytes = b'{"ok":true}'
    headers: Mapping[str, str] = attrs.field(factory=dict)
    hang: bool = False


class LoopbackServer:
    """A ThreadingHTTPServer on an ephemeral loopback port, run in a daemon thread."""

    def __init__(self, *, tls: ssl.SSLContext | None = None) -> None:
        self.requests: list[Recorded] = []
        self._tls = tls is not None
        self._plan: deque[Answer] = deque()
        self._lock = threading.Lock()
        self._release = threading.Event()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        if tls is not None:
            self._server.socket = tls.wrap_socket(self._server.socket, server_side=True)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def url(self) -> str:
        """The base URL: ``http://127.0.0.1:54321``, or ``https://localhost:54321`` with TLS."""
        host, port = self._server.server_address[:2]
        return f"https://localhost:{port}" if self._tls else f"http://{host!s}:{port}"

    def plan(self, answer: Answer, *, times: int = 1) -> None:
        """Answer the next ``times`` requests (after any already planned) with ``answer``."""
        with self._lock:
            self._plan.extend([answer] * times)

    def _next_answer(self) -> Answer:
        with self._lock:
            return self._plan.popleft() if self._plan else Answer()

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                recorded = Recorded(
                    method=self.command,
                    path=self.path,
                    headers={k.lower(): v for k, v in self.headers.items()},
                    body=body,
                )
                with server._lock:
                    server.requests.append(recorded)
                answer = server._next_answer()
                if answer.hang:
                    server._release.wait(timeout=30)
                    self.close_connection = True
                    return
                self.send_response(answer.status)
                for name, value in answer.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer.body)))
                self.end_headers()
                self.wfile.write(answer.body)

            do_POST = _handle  # noqa: N815 - the name http.server dispatches to
            do_GET = _handle  # noqa: N815 - the name http.server dispatches to

            def log_message(self, format: str, *args: Any) -> None:
                """Quiet: the test reads ``server.requests`` instead."""

        return Handler

    def start(self) -> LoopbackServer:
        """Start serving in the background."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Release hanging requests, stop serving and close the socket."""
        self._release.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)


def closed_port_url() -> str:
    """An http URL on 127.0.0.1 where nothing listens (connections are refused)."""
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/hook"


@pytest.fixture(name="loopback")
def loopback_fixture() -> Iterator[LoopbackServer]:
    """A started LoopbackServer, stopped after the test."""
    server = LoopbackServer().start()
    yield server
    server.stop()
