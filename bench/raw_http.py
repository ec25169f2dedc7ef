"""A minimal HTTP/1.1 keep-alive client for load generators written in Python.

httpx builds a request object, a header model and a response object per request: about half a
millisecond of CPU. Sixteen asyncio clients doing that on the benchmark's two cores used a whole
core at 350 req/s (bench/README.md, "Mixed load"), so the client's own queueing was measured as
the server's latency. This client sends prebuilt bytes and reads only what it needs: the status
code and a body framed by ``Content-Length`` (or chunked). It speaks to the benchmark's own
server on loopback, nothing else.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from urllib.parse import urlsplit


@dataclass(frozen=True)
class Answer:
    """What a load generator needs of a response."""

    status: int
    body: bytes


class RawConnection:
    """One keep-alive connection to ``base`` (``http://host:port``); reconnects when the
    server closes it."""

    def __init__(self, base: str) -> None:
        parts = urlsplit(base)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.host_header = f"Host: {parts.netloc}\r\n".encode()
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    def request_bytes(
        self, method: str, path: str, headers: dict[str, str] | None = None, body: bytes = b""
    ) -> bytes:
        """The bytes of one request; build once, send many times."""
        head = f"{method} {path} HTTP/1.1\r\n".encode() + self.host_header
        for name, value in (headers or {}).items():
            head += f"{name}: {value}\r\n".encode()
        if body or method in ("POST", "PUT", "PATCH"):
            head += b"Content-Type: application/json\r\n"
            head += f"Content-Length: {len(body)}\r\n".encode()
        return head + b"\r\n" + body

    async def send(self, request: bytes) -> Answer:
        """Send ``request`` and read its answer."""
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        self.writer.write(request)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        length, chunked, close = _framing(head)
        if chunked:
            body = await _read_chunks(self.reader)
        else:
            body = await self.reader.readexactly(length)
        if close:
            await self.close()
        return Answer(status, body)

    async def close(self) -> None:
        """Close the connection (the next send opens a new one)."""
        if self.writer is not None:
            self.writer.close()
            await self.writer.wait_closed()
        self.reader = self.writer = None


def _framing(head: bytes) -> tuple[int, bool, bool]:
    """(Content-Length, chunked, connection close) from a response head."""
    length, chunked, close = 0, False, False
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(value)
        elif name == b"transfer-encoding":
            chunked = b"chunked" in value.lower()
        elif name == b"connection":
            close = b"close" in value.lower()
    return length, chunked, close


async def _read_chunks(reader: asyncio.StreamReader) -> bytes:
    body = b""
    while True:
        size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
        chunk = await reader.readexactly(size + 2)
        if size == 0:
            return body
        body += chunk[:-2]
