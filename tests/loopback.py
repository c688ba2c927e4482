"""A real HTTP server on 127.0.0.1 that answers every GET with one body and records the paths.

The tests that prove nothing is fetched (PDF rendering, e-invoice parsing and
validation) point documents at it and check that it was never asked::

    from loopback import serving

    with serving(b"<!ENTITY leak 'fetched'>") as (url, requests):
        ...
        assert requests == []
"""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["serving"]


@contextmanager
def serving(
    body: bytes, content_type: str = "application/octet-stream"
) -> Iterator[tuple[str, list[str]]]:
    """Serve ``body`` to every GET; yields the base URL and the list of paths requested."""
    requests: list[str] = []

    class Recorder(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            requests.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            """Stay quiet."""

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", requests
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
