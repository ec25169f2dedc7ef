"""CORS as SonicJS answers it, with credentials only for origins named in the settings.

SonicJS runs Hono's ``cors({origin: '*'})`` on ``/api`` and everything below it, and nothing on
``/auth``. So do we, by default (``SONIC_CORS_ORIGINS=*``): any origin may read the public API
and send a bearer token, and never gets ``Access-Control-Allow-Credentials``, so a page on
another site cannot ride a visitor's cookie. An origin listed by name is answered with its own
name and credentials, on ``/auth/*`` too (its front end signs in). CORS decides only what a
browser lets a page read: the same-origin check on cookie-authenticated writes
(:func:`sonic_cms.api.auth.same_origin`) applies to every origin CORS allows.

Starlette's ``CORSMiddleware`` cannot say this: with ``allow_credentials`` and ``*`` it echoes
any origin with credentials, and it applies to every path.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sonic_cms.api.middleware import header_value
from sonic_cms.config import Settings, origin_of

ALLOW_METHODS = b"GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS"
ALLOW_HEADERS = b"Content-Type, Authorization, If-Match, If-None-Match, X-Request-ID"
EXPOSE_HEADERS = b"ETag, Location, Retry-After, X-Request-ID, X-Cache-Status, X-Cache-Source"


def _public_api(path: str) -> bool:
    return path == "/api" or path.startswith("/api/")


def _named_origin_path(path: str) -> bool:
    """Where listed origins get CORS: the public API, and sign-in for their front ends."""
    return _public_api(path) or path.startswith("/auth/")


class CorsPolicy:
    """Which origin gets which answer on which path, from the settings."""

    def __init__(self, settings: Settings) -> None:
        self.any_origin = settings.cors_any_origin
        self.named = settings.cors_credentialed_origins
        self.max_age = str(settings.cors_max_age_seconds).encode()

    def allow(self, origin: str, path: str) -> tuple[bytes, bool] | None:
        """``(Access-Control-Allow-Origin, with credentials)`` for ``origin`` on ``path``, or
        None when CORS does not apply (the browser then keeps the answer from the page)."""
        normalized = origin_of(origin)
        if normalized is not None and normalized in self.named and _named_origin_path(path):
            return origin.encode("latin-1"), True
        if self.any_origin and _public_api(path):
            return b"*", False
        return None

    def varies(self, path: str) -> bool:
        """Whether the answer on ``path`` depends on ``Origin`` (caches must key on it)."""
        return bool(self.named) and _named_origin_path(path)


class CorsMiddleware:
    """Answers preflights of allowed origins and adds the CORS headers to their answers."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.policy = CorsPolicy(settings)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        origin = header_value(scope, b"origin")
        allowed = self.policy.allow(origin, path) if origin else None
        vary = self.policy.varies(path)
        if allowed is None and not vary:
            await self.app(scope, receive, send)
            return
        headers = _allow_headers(allowed) if allowed else []
        if vary:
            headers.append((b"vary", b"Origin"))
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
