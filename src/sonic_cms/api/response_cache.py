"""The cached-read fast path: a hit is answered before routing, dependency injection and
validation run, straight from the cache tiers.

The fast path knows a URL only after :func:`sonic_cms.api.caching.cached_route` answered it once
(the route records which namespace and type the URL's key belongs to), so every rule of the route
(parameter checks, plugin guard, permissions of an anonymous caller) ran for that exact URL.
Generations still decide: a write that invalidated the namespace makes the fast path miss and the
request falls through to the route. Requests with credentials always fall through.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from sonic_cms.api.auth import ACCESS_COOKIE
from sonic_cms.api.context import AppContext
from sonic_cms.api.etags import etag_matches, unpack
from sonic_cms.api.middleware import header_value
from sonic_cms.cache import CacheKey

#: Most URLs the fast path remembers per process (a bounded map; the oldest are forgotten).
MAX_ROUTES = 50_000
_COOKIE_MARK = ACCESS_COOKIE.encode() + b"="


class ResponseCacheMiddleware:
    """Serves a cached GET before FastAPI sees it; everything else passes through."""

    def __init__(self, app: ASGIApp, context: AppContext) -> None:
        self.app = app
        self.context = context

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "GET":
            await self.app(scope, receive, send)
            return
        known = self.context.cached_urls.get(request_url(scope))
        if known is None or has_credentials(scope) or not self._enabled():
            await self.app(scope, receive, send)
            return
        result = await self.context.cache.peek(known)
        if result is None:
            await self.app(scope, receive, send)
            return
        etag, body = unpack(result.value)
        headers = [
            (b"etag", etag.encode()),
            (b"x-cache-status", b"HIT"),
            (b"x-cache-source", result.source.encode()),
        ]
        if etag_matches(header_value(scope, b"if-none-match"), etag):
            await send({"type": "http.response.start", "status": 304, "headers": headers})
            await send({"type": "http.response.body", "body": b""})
            return
        headers += [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
        ]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    def _enabled(self) -> bool:
        return self.context.cache.enabled and self.context.plugins.is_active("cache")


def remember(context: AppContext, url: str, key: CacheKey) -> None:
    """Record that ``url`` is answered by the cached route keyed ``key``."""
    urls = context.cached_urls
    if url not in urls and len(urls) >= MAX_ROUTES:
        urls.pop(next(iter(urls)))
    urls[url] = key


def request_url(scope: Scope) -> str:
    """Path and raw query string: the fast path's lookup key for a request."""
    query = scope.get("query_string", b"")
    path = scope.get("path", "")
    return f"{path}?{query.decode('latin-1')}" if query else path


def has_credentials(scope: Scope) -> bool:
    """Whether the request may be authenticated (its answer then depends on who asks)."""
    for name, value in scope.get("headers", ()):
        if name == b"authorization" or (name == b"cookie" and _COOKIE_MARK in value):
            return True
    return False
