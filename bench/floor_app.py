"""The floor: a bare ASGI app answering each benchmarked URL with the API's bytes, precomputed.

Served by the same uvicorn settings as the real server, it measures what the HTTP stack, the
load generator and the machine cost on their own; a route's ratio to it is the share of that
ceiling the application reaches. ``BENCH_FLOOR_FILE`` names a JSON file
``{"/path?query": "<body as text>"}`` written by content_load.py from the real server's replies.
"""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable, MutableMapping
from pathlib import Path
from typing import Any

import orjson

Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

_HEADERS = [(b"content-type", b"application/json")]


def load_bodies(path: Path) -> dict[bytes, bytes]:
    """URL (path plus query, as the client sent it) -> response body."""
    raw: dict[str, str] = orjson.loads(path.read_bytes())
    return {url.encode(): body.encode() for url, body in raw.items()}


def make_app(bodies: dict[bytes, bytes]) -> Callable[[Message, Receive, Send], Awaitable[None]]:
    """An ASGI app that looks the request up and sends the stored bytes (404 if unknown)."""

    async def app(scope: Message, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            return await lifespan(receive, send)
        body = bodies.get(request_url(scope))
        status = 200 if body is not None else 404
        await answer(send, status, body if body is not None else b'{"error":"not in the floor"}')

    return app


async def lifespan(receive: Receive, send: Send) -> None:
    """Acknowledge ASGI's start-up and shutdown (a floor has nothing to open or close)."""
    while True:
        kind = (await receive())["type"]
        await send({"type": kind + ".complete"})
        if kind == "lifespan.shutdown":
            return


def request_url(scope: Message) -> bytes:
    """The path and query as the client sent them: the key of a floor's answers."""
    url: bytes = scope["raw_path"]
    return url + b"?" + scope["query_string"] if scope["query_string"] else url


async def answer(
    send: Send, status: int, body: bytes, extra: list[tuple[bytes, bytes]] | None = None
) -> None:
    """Send a JSON response: ``body`` with its length and any ``extra`` headers."""
    headers = [*_HEADERS, (b"content-length", str(len(body)).encode()), *(extra or [])]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def app_from_environment() -> Callable[[Message, Receive, Send], Awaitable[None]]:
    """uvicorn factory: the bodies named by ``BENCH_FLOOR_FILE``."""
    return make_app(load_bodies(Path(os.environ["BENCH_FLOOR_FILE"])))
