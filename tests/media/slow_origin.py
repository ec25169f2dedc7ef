"""A real HTTP server on 127.0.0.1 that answers slowly, for the URL import's bounds.

``/drip`` sends its headers at once, then one byte every ``DRIP_INTERVAL`` seconds for
``DRIP_SECONDS``: each read arrives well inside any per-read timeout, so only a total deadline
ends it. ``/slowhop/N`` waits ``HOP_DELAY`` seconds, then redirects (N more hops, then to
``/img.png``). ``/to?u=...`` redirects anywhere. ``dripping`` counts the drips in progress, so a
test knows when its imports are really in flight.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.media.helpers import image_bytes

PNG = image_bytes(40, 30)
DRIP_INTERVAL = 0.2
DRIP_SECONDS = 60.0
HOP_DELAY = 0.6


class SlowOrigin(ThreadingHTTPServer):
    """The server, with a count of drips in progress and a stop switch for them."""

    daemon_threads = True
    request_queue_size = 256  # many imports connect at once

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.stopping = threading.Event()
        self._lock = threading.Lock()
        self._dripping = 0
        self._started = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    @property
    def dripping(self) -> int:
        with self._lock:
            return self._dripping

    @property
    def started(self) -> int:
        """Drips begun since the server started; never goes down, unlike :attr:`dripping`,
        so drips still ending from an earlier test cannot hide new ones."""
        with self._lock:
            return self._started

    def adjust(self, delta: int) -> None:
        with self._lock:
            self._dripping += delta
            self._started += max(delta, 0)

    def wait_for_drips(self, count: int, seconds: float = 30.0) -> None:
        """Block until ``count`` drips are in progress, or fail."""
        deadline = time.monotonic() + seconds
        while self.dripping < count:
            assert time.monotonic() < deadline, f"only {self.dripping} of {count} drips started"
            time.sleep(0.02)

    def wait_for_started(self, count: int, seconds: float = 30.0) -> None:
        """Block until ``count`` drips have begun since the server started, or fail."""
        deadline = time.monotonic() + seconds
        while self.started < count:
            assert time.monotonic() < deadline, f"only {self.started} of {count} drips began"
            time.sleep(0.02)

    def handle_error(self, request: Any, client_address: Any) -> None:
        return  # an import cut off mid-drip closes the socket; that is the point


class _Handler(BaseHTTPRequestHandler):
    server: SlowOrigin

    def do_GET(self) -> None:
        path = self.path
        if path.startswith("/drip"):
            self._drip()
        elif path.startswith("/slowhop/"):
            time.sleep(HOP_DELAY)
            remaining = int(path.rsplit("/", 1)[1])
            self._redirect("/img.png" if remaining == 0 else f"/slowhop/{remaining - 1}")
        elif path.startswith("/to?u="):
            self._redirect(path.removeprefix("/to?u="))
        else:
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.send_header("Content-Length", str(len(PNG)))
            self.end_headers()
            self.wfile.write(PNG)

    def _drip(self) -> None:
        total = int(DRIP_SECONDS / DRIP_INTERVAL)
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.send_header("Content-Length", str(total))
        self.end_headers()
        self.wfile.flush()
        self.server.adjust(+1)
        try:
            for _ in range(total):
                if self.server.stopping.wait(DRIP_INTERVAL):
                    return
                self.wfile.write(b"x")
                self.wfile.flush()
        except OSError:
            return  # the import hung up
        finally:
            self.server.adjust(-1)

    def _redirect(self, location: str) -> None:
        self.send_response(302)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        return


@contextmanager
def slow_origin() -> Iterator[SlowOrigin]:
    """The server on a free loopback port, for the block."""
    server = SlowOrigin()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.stopping.set()
        server.shutdown()
        server.server_close()
