"""Run an ASGI app with uvicorn on 127.0.0.1 in a background thread (demos, examples, tests).

Production serves the app with the host's own ASGI server; this is the short way to
have a real HTTP server on loopback for the sandbox's pay page and its webhooks. The
port is taken when the ``LoopbackServer`` is made, so its URL can go into the
``Billing`` and the provider before the app exists.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Final

from invoicekit._extras import require
from invoicekit.errors import ConfigurationError

__all__ = ["LoopbackServer", "serve"]

#: How long to wait for uvicorn to start listening.
START_TIMEOUT: Final = 15.0


class LoopbackServer:
    """A listening socket on 127.0.0.1 (a free port unless ``port``), served by uvicorn on demand."""

    def __init__(self, *, port: int = 0) -> None:
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", port))
        self.port: int = self._sock.getsockname()[1]
        #: The server's base URL, e.g. ``http://127.0.0.1:53817``.
        self.url = f"http://127.0.0.1:{self.port}"

    @contextmanager
    def serve(self, app: object) -> Iterator[str]:
        """Serve ``app`` until the block ends; yields the base URL.

        Raises MissingExtraError without the ``web`` extra (uvicorn) and
        ConfigurationError when the server does not start.
        """
        uvicorn = require("uvicorn", extra="web", feature="invoicekit.web.loopback")
        config = uvicorn.Config(app, log_level="warning", lifespan="off", access_log=False)
        server = uvicorn.Server(config)
        thread = threading.Thread(
            target=server.run,
            kwargs={"sockets": [self._sock]},
            name=f"uvicorn-{self.port}",
            daemon=True,
        )
        thread.start()
        deadline = time.monotonic() + START_TIMEOUT
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                self._sock.close()
                raise ConfigurationError(f"uvicorn did not start on {self.url}")
            time.sleep(0.01)
        try:
            yield self.url
        finally:
            server.should_exit = True
            thread.join(timeout=10)
            self._sock.close()


@contextmanager
def serve(app: object, *, port: int = 0) -> Iterator[str]:
    """Serve ``app`` on 127.0.0.1 until the block ends; yields the base URL."""
    with LoopbackServer(port=port).serve(app) as url:
        yield url
