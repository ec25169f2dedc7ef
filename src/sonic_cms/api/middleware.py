"""Pure-ASGI middleware: request ids and the body-size limit, cheap on the hot path."""

from __future__ import annotations

import itertools
import os
import re

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sonic_cms.api.errors import error_response

_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}\Z")
#: Request ids: a random per-process prefix and a counter. Unique across processes without
#: asking the kernel for randomness per request (uuid4's os.urandom cost 7 us here, a third
#: of a cached read); a request id names a request in the logs, it is not a secret.
_ID_PREFIX = os.urandom(8).hex()
_ID_COUNTER = itertools.count(1)


def new_request_id() -> str:
    """A fresh 32-hex-digit request id."""
    return f"{_ID_PREFIX}{next(_ID_COUNTER):016x}"


#: Multipart upload routes (/upload and /upload-multiple); other media routes take JSON.
UPLOAD_PATH_PREFIX = "/api/media/upload"


class RequestIdMiddleware:
    """Gives each request an id (a safe incoming X-Request-ID, else a new one) and echoes it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = header_value(scope, b"x-request-id")
        request_id = incoming if incoming and _SAFE_REQUEST_ID.match(incoming) else new_request_id()
        scope.setdefault("state", {})["request_id"] = request_id
        header = (b"x-request-id", request_id.encode())

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", ()), header]
            await send(message)

        await self.app(scope, receive, send_with_id)


class BodyLimitMiddleware:
    """Answers 413 when a body is larger than its limit, by header or by the bytes that arrive.

    ``limit_for`` picks the limit per path, so uploads can allow more than JSON routes.
    """

    def __init__(self, app: ASGIApp, default_limit: int, upload_limit: int | None = None) -> None:
        self.app = app
        self.default_limit = default_limit
        self.upload_limit = upload_limit or default_limit

    def limit_for(self, path: str) -> int:
        """The byte limit for a request path."""
        return self.upload_limit if path.startswith(UPLOAD_PATH_PREFIX) else self.default_limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope["path"])
        declared = header_value(scope, b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            await self._reject(scope, receive, send, limit)
            return
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise _BodyTooLarge(limit)
            return message

        try:
            await self.app(scope, limited_receive, send)
        except _BodyTooLarge:
            await self._reject(scope, receive, send, limit)

    @staticmethod
    async def _reject(scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        response = error_response(413, _too_large_message(limit), "payload_too_large")
        await response(scope, receive, send)


class RefuseNulInUrlMiddleware:
    """Answers 400 to a URL whose path or query holds a NUL (``%00``), on every route.

    A NUL is never part of an id, a slug or a query value, and PostgreSQL cannot even compare a
    text column with one (psycopg refuses the parameter: a 500 on every id route). One check
    here, before routing and the cache, keeps both engines answering alike.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and _url_has_nul(scope):
            response = error_response(400, "The URL may not contain NUL characters", "bad_request")
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)


def _url_has_nul(scope: Scope) -> bool:
    query: bytes = scope.get("query_string", b"")
    return "\x00" in scope["path"] or b"%00" in query or b"\x00" in query


def _too_large_message(limit: int) -> str:
    return f"Request body exceeds {limit} bytes"


class _BodyTooLarge(HTTPException):
    """An HTTPException, so FastAPI's body reader passes it on instead of answering 400."""

    def __init__(self, limit: int) -> None:
        super().__init__(status_code=413, detail=_too_large_message(limit))


def header_value(scope: Scope, name: bytes) -> str | None:
    """The first value of header ``name`` (lower-case bytes) in an ASGI scope, or None."""
    for key, value in scope.get("headers", ()):
        if key == name:
            return str(value.decode("latin-1"))
    return None
