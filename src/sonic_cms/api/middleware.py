"""Pure-ASGI middleware: request ids, the body-size limit and CORS, cheap on the hot path."""

from __future__ import annotations

import itertools
import os
import re

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sonic_cms.api.errors import error_response
from sonic_cms.config import Settings, origin_of

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


def assign_request_id(scope: Scope) -> tuple[bytes, bytes]:
    """Give the request its id in ``scope["state"]``; returns the header that echoes it.

    The id is the incoming X-Request-ID when a trusted proxy (``SONIC_TRUSTED_PROXIES``) sent
    it and it is safe to print, else a new one: a client must not be able to give its requests
    the id of someone else's, which would mix them up in the logs an operator follows.
    """
    incoming = header_value(scope, b"x-request-id")
    trusted = incoming is not None and _SAFE_REQUEST_ID.match(incoming) and _from_proxy(scope)
    request_id = incoming if trusted and incoming else new_request_id()
    scope.setdefault("state", {})["request_id"] = request_id
    return (b"x-request-id", request_id.encode())


def _from_proxy(scope: Scope) -> bool:
    """Whether the socket peer is one of the app's trusted proxies (the app is in the scope
    before any middleware runs, the response cache's fast path included)."""
    client = scope.get("client")
    app = scope.get("app")
    if client is None or app is None:
        return False
    settings: Settings = app.state.ctx.settings
    return bool(client[0] in settings.trusted_proxy_addresses)


class RequestIdMiddleware:
    """Gives each request an id (a trusted proxy's X-Request-ID, else a new one), echoes it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        header = assign_request_id(scope)

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


Header = tuple[bytes, bytes]
ALLOW_METHODS = b"GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS"
ALLOW_HEADERS = b"Content-Type, Authorization, If-Match, If-None-Match, X-Request-ID"
EXPOSE_HEADERS = b"ETag, Location, Retry-After, X-Request-ID, X-Cache-Status, X-Cache-Source"


def _public_api(path: str) -> bool:
    """The public API, and media files (SonicJS answers ``/files/*`` with ``*`` too)."""
    return path == "/api" or path.startswith(("/api/", "/files/"))


def _named_origin_path(path: str) -> bool:
    """Where listed origins get CORS: the public API, and sign-in for their front ends."""
    return _public_api(path) or path.startswith("/auth/")


class CorsPolicy:
    """Which origin gets which answer on which path, from the settings.

    CORS as SonicJS answers it, with credentials only for origins named in the settings.

    SonicJS runs Hono's ``cors({origin: '*'})`` on ``/api`` and everything below it (and sets
    ``*`` on ``/files/*``), and nothing on ``/auth``. So do we, by default
    (``SONIC_CORS_ORIGINS=*``): any origin may read the public API and send a bearer token, and
    never gets ``Access-Control-Allow-Credentials``, so a page on another site cannot ride a
    visitor's cookie. An origin listed by name is answered with its own name and credentials,
    on ``/auth/*`` too (its front end signs in). CORS decides only what a browser lets a page
    read: the same-origin check on cookie-authenticated writes
    (:func:`sonic_cms.api.auth.same_origin`) applies to every origin CORS allows.

    Starlette's ``CORSMiddleware`` cannot say this: with ``allow_credentials`` and ``*`` it echoes
    any origin with credentials, and it applies to every path.
    """

    def __init__(self, settings: Settings) -> None:
        self.any_origin = settings.cors_any_origin
        self.named = settings.cors_credentialed_origins
        self.max_age = str(settings.cors_max_age_seconds).encode()

    def allow(self, origin: str, path: str) -> tuple[bytes, bool] | None:
        """``(Access-Control-Allow-Origin, with credentials)`` for ``origin`` on ``path``, or
        None when CORS does not apply (the browser then keeps the answer from the page)."""
        normalized = origin_of(origin)
        if normalized is not None and normalized in self.named and _named_origin_path(path):
            return normalized.encode("latin-1"), True
        if self.any_origin and _public_api(path):
            return b"*", False
        return None

    def headers_for(self, scope: Scope) -> tuple[tuple[bytes, bool] | None, list[Header]]:
        """What :meth:`allow` says for the request's origin and path, and the headers to add to
        its answer (none when CORS does not apply and the answer does not vary)."""
        path: str = scope["path"]
        origin = header_value(scope, b"origin")
        allowed = self.allow(origin, path) if origin else None
        headers = _allow_headers(allowed) if allowed else []
        if self.varies(path):
            headers.append((b"vary", b"Origin"))
        return allowed, headers

    def varies(self, path: str) -> bool:
        """Whether the answer on ``path`` depends on ``Origin``: a shared cache must not hand
        the answer to a request without ``Origin`` (no CORS headers) to a page that sent one."""
        return (self.any_origin and _public_api(path)) or (
            bool(self.named) and _named_origin_path(path)
        )


class CorsMiddleware:
    """Answers preflights of allowed origins and adds the CORS headers to their answers."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.policy = CorsPolicy(settings)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        allowed, headers = self.policy.headers_for(scope)
        if not headers:
            await self.app(scope, receive, send)
            return
        preflight = header_value(scope, b"access-control-request-method")
        if allowed and scope["method"] == "OPTIONS" and preflight is not None:
            await self._preflight(send, headers)
            return

        async def send_with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = _merged(list(message.get("headers", [])), headers)
            await send(message)

        await self.app(scope, receive, send_with_cors)

    async def _preflight(self, send: Send, headers: list[tuple[bytes, bytes]]) -> None:
        """204 with the methods and headers the API takes, cacheable for ``max_age``."""
        headers = [
            *headers,
            (b"access-control-allow-methods", ALLOW_METHODS),
            (b"access-control-allow-headers", ALLOW_HEADERS),
            (b"access-control-max-age", self.policy.max_age),
        ]
        await send({"type": "http.response.start", "status": 204, "headers": headers})
        await send({"type": "http.response.body", "body": b""})


def _allow_headers(allowed: tuple[bytes, bool]) -> list[tuple[bytes, bytes]]:
    value, credentials = allowed
    headers = [
        (b"access-control-allow-origin", value),
        (b"access-control-expose-headers", EXPOSE_HEADERS),
    ]
    if credentials:
        headers.append((b"access-control-allow-credentials", b"true"))
    return headers


def _merged(
    existing: list[tuple[bytes, bytes]], added: list[tuple[bytes, bytes]]
) -> list[tuple[bytes, bytes]]:
    """``existing`` with ``added``: a route's own CORS headers give way, ``Vary`` is joined."""
    names = {name for name, _ in added}
    merged = [(name, value) for name, value in existing if name not in names]
    for name, value in added:
        if name == b"vary":
            value = b", ".join([*(v for n, v in existing if n == b"vary"), value])
        merged.append((name, value))
    return merged
