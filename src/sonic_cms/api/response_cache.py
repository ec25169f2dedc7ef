"""The cached-read fast path: a hit is answered in front of the whole middleware stack, before
routing, dependency injection and validation, straight from the cache tiers.

It does for a hit what the layers it skips would: the request id (echoed), the CORS headers
(the same :class:`~sonic_cms.api.middleware.CorsPolicy`), the request log and metrics (the
same :class:`~sonic_cms.api.request_log.RequestLogger`, with the route that answered the URL
first as ``scope["route"]``). It steps aside, and the request takes the
whole stack, whenever one of those layers could answer differently: credentials, maintenance
mode on or its setting not known fresh, ``request:*`` hooks registered, the plugin set due for
a refresh, the cache off.

The fast path knows a URL only after :func:`sonic_cms.api.caching.cached_route` answered it once
(the route records which namespace and type the URL's key belongs to), so every rule of the route
(parameter checks, plugin guard, permissions of an anonymous caller) ran for that exact URL.
Generations still decide: a write that invalidated the namespace makes the fast path miss and the
request falls through to the route. Requests with credentials always fall through.
"""

from __future__ import annotations

import time

from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Receive, Scope, Send

from sonic_cms.api.auth import ACCESS_COOKIE
from sonic_cms.api.context import AppContext, KnownUrl
from sonic_cms.api.etags import etag_matches, unpack
from sonic_cms.api.middleware import CorsPolicy, assign_request_id, header_value
from sonic_cms.api.request_log import RequestLogger, has_request_hooks
from sonic_cms.cache import CacheKey
from sonic_cms.site_settings import store as site_settings

#: Most URLs the fast path remembers per process (a bounded map; the oldest are forgotten).
MAX_ROUTES = 50_000
_COOKIE_MARK = ACCESS_COOKIE.encode() + b"="


class ResponseCacheMiddleware:
    """Serves a cached GET before the middleware stack sees it; everything else passes through
    to ``app`` (the stack)."""

    def __init__(
        self, app: ASGIApp, context: AppContext, cors: CorsPolicy, log: RequestLogger
    ) -> None:
        self.app = app
        self.context = context
        self.cors = cors
        self.log = log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "GET":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        known = self.context.cached_urls.get(request_url(scope))
        if known is None or not self._may_answer(scope):
            await self.app(scope, receive, send)
            return
        result = await self.context.cache.peek(known.key)
        if result is None:
            await self.app(scope, receive, send)
            return
        etag, body = unpack(result.value)
        headers = [
            (b"etag", etag.encode()),
            (b"x-cache-status", b"HIT"),
            (b"x-cache-source", result.source.encode()),
            *self.cors.headers_for(scope)[1],
            assign_request_id(scope),
        ]
        status = 200
        if etag_matches(header_value(scope, b"if-none-match"), etag):
            status, body = 304, b""
        else:
            headers += [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})
        scope["route"] = known.route
        self.log.record(scope, None, status, started)

    def _may_answer(self, scope: Scope) -> bool:
        """Whether no layer the fast path skips could answer this request differently."""
        context = self.context
        if has_credentials(scope) or not context.cache.enabled:
            return False
        if not context.plugins.is_active("cache") or context.plugins.stale():
            return False
        if has_request_hooks(context.hooks):  # the hooks see every request
            return False
        site = site_settings.cached(context.services)
        return site is not None and not site.maintenance_mode


def remember(context: AppContext, url: str, key: CacheKey, route: BaseRoute | None) -> None:
    """Record that ``url`` is answered by the cached ``route`` keyed ``key``."""
    urls = context.cached_urls
    if url not in urls and len(urls) >= MAX_ROUTES:
        urls.pop(next(iter(urls)))
    urls[url] = KnownUrl(key, route)


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
