"""A real HTTP receiver on loopback for webhook tests: records every request and answers with
the statuses it is told to, in order (the last one repeats)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass(frozen=True)
class Received:
    """One request as the receiver got it."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """The receiver's address, what it got, and what it answers next."""

    url: str
    statuses: list[int]
    received: list[Received] = field(default_factory=list)
    #: Extra headers of every answer (a ``Location`` for a redirect).
    answer_headers: dict[str, str] = field(default_factory=dict)
    answer_body: bytes = b"ok"
    #: Seconds to wait before answering (a slow receiver).
    delay_seconds: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def next_status(self) -> int:
        with self._lock:
            return self.statuses.pop(0) if len(self.statuses) > 1 else self.statuses[0]


@contextmanager
def running_receiver(*statuses: int) -> Iterator[Receiver]:
    """A receiver on 127.0.0.1 (a free port), answering ``statuses`` in turn (200 by default)."""
    state: dict[str, Receiver] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            receiver = state["r"]
            length = int(self.headers.get("content-length", "0"))
            body = self.rfile.read(length)
            headers = {k.lower(): v for k, v in self.headers.items()}
            with receiver._lock:
                receiver.received.append(Received("POST", self.path, headers, body))
            time.sleep(receiver.delay_seconds)
            status = receiver.next_status()
            self.send_response(status)
            for name, value in receiver.answer_headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(receiver.answer_body)))
            self.end_headers()
            self.wfile.write(receiver.answer_body)

        do_GET = do_POST  # noqa: N815 - a followed redirect may arrive as anything

        def log_message(self, format: str, *args: object) -> None:
            return

    class Server(ThreadingHTTPServer):
        # two servers' workers send up to 20 requests each at once; the default backlog of 5
        # would refuse some connections
        request_queue_size = 128

    server = Server(("127.0.0.1", 0), Handler)
    port = server.server_address[1]
    state["r"] = Receiver(f"http://127.0.0.1:{port}/hook", list(statuses or (200,)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state["r"]
    finally:
        server.shutdown()
        server.server_close()
