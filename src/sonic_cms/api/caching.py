"""Cached JSON responses: ``X-Cache-Status: HIT|MISS`` and ``X-Cache-Source``.

:func:`cached_route` is the decorator for public read routes (content by id/slug, list pages,
collections); :func:`cached_json` is the same as a call. Requests with credentials bypass the
cache (their answer depends on who asks) and say ``MISS`` / ``database``. So does everything
while the core cache plugin is inactive or ``SONIC_CACHE_ENABLED`` is false.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Awaitable, Callable
from typing import Any, ParamSpec

from fastapi import Request
from starlette.responses import Response

from sonic_cms.api.context import AppContext
from sonic_cms.api.response_cache import remember
from sonic_cms.api.responses import JSONBytesResponse, dumps
from sonic_cms.cache import CacheKey, CacheResult

P = ParamSpec("P")


def cache_headers(result: CacheResult) -> dict[str, str]:
    """The two headers that say where an answer came from."""
    return {"X-Cache-Status": "HIT" if result.hit else "MISS", "X-Cache-Source": result.source}


def request_identifier(request: Request) -> str:
    """Path and query string, hashed (keys stay short and free of ``:``)."""
    raw = f"{request.url.path}?{request.url.query}"
    return hashlib.sha256(raw.encode()).hexdigest()[:24]


def _url(request: Request) -> str:
    query = request.scope.get("query_string", b"")
    path = request.scope.get("path", "")
    return f"{path}?{query.decode('latin-1')}" if query else path


def _bypass(request: Request, context: AppContext) -> bool:
    return (
        "authorization" in request.headers
        or not context.cache.enabled
        or not context.plugins.is_active("cache")
    )


async def cached_json(
    request: Request,
    key: CacheKey,
    build: Callable[[], Awaitable[Any]],
    ttl: int | None = None,
) -> Response:
    """The JSON of ``build()``, served from the cache when it holds it."""
    context: AppContext = request.app.state.ctx

    async def load() -> bytes:
        return dumps(await build())

    if _bypass(request, context):
        result = CacheResult(await load(), "database")
    else:
        result = await context.cache.get_or_load(key, load, ttl)
        remember(context, _url(request), key)
    return JSONBytesResponse(result.value, headers=cache_headers(result))


def cached_route(
    namespace: str,
    type_: str,
    identifier: Callable[[Request], str] = request_identifier,
    ttl: int | None = None,
) -> Callable[[Callable[P, Awaitable[Any]]], Callable[P, Awaitable[Response]]]:
    """Cache a read route's JSON under ``namespace:type_:identifier(request):generation``.

    The route must take ``request: Request`` as a keyword parameter and return JSON-able data.
    Writes that change what it returns call ``cache.invalidate(namespace)`` before responding.
    """

    def decorate(fn: Callable[P, Awaitable[Any]]) -> Callable[P, Awaitable[Response]]:
        @functools.wraps(fn)
        async def wrapper(*args: P.args, **kwargs: P.kwargs) -> Response:
            request = kwargs["request"]
            assert isinstance(request, Request), "cached routes take `request: Request`"
            key = CacheKey(namespace, type_, identifier(request))
            return await cached_json(request, key, lambda: fn(*args, **kwargs), ttl)

        return wrapper

    return decorate
