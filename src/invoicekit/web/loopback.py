"""Run an ASGI app with uvicorn on 127.0.0.1 in a background thread (demos, examples, tests).

Production serves the app with the host's own ASGI server; this is the short way to
have a real HTTP server on loopback for the sandbox's pay page and its webhooks.
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

__all__ = ["serve"]

#: How long to wait for uvicorn to start listening.
START_TIMEOUT: Final = 15.0


@contextmanager
def serve(app: object, *, port: int = 0) -> Iterator[str]:
    """Serve ``app`` on 127.0.0.1 (a free port unless ``port``) and yield its base URL.

    Stops the server and joins its thread on exit. Raises MissingExtraError without
    the ``web`` extra (uvicorn) and ConfigurationError when it does not start.
    """
    uvicorn = require("uvicorn", extra="web", feature="invoicekit.web.loopback.serve")
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    bound = sock.getsockname()[1]
    config = uvicorn.Config(app, log_level="warning", lifespan="off", access_log=False)
    server = uvicorn.Server(config)
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name=f"uvicorn-{bound}", daemon=True
    )
    thread.start()
    deadline = time.monotonic() + START_TIMEOUT
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            sock.close()
            raise ConfigurationError(f"uvicorn did not start on 127.0.0.1:{bound}")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{bound}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
