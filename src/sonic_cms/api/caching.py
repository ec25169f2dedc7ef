"""Cached JSON responses: ``X-Cache-Status: HIT|MISS``, ``X-Cache-Source`` and an ETag.

:func:`cached_route` is the decorator for public read routes; :func:`cached_json` is the same as
a call. Only anonymous requests are cached: a request with credentials (an Authorization header
or the session cookie) may see drafts, so it bypasses the cache and says ``MISS`` /
``database``. So does everything while the core cache plugin is inactive or
``SONIC_CACHE_ENABLED`` is false. A cached answer keeps its ETag, so If-None-Match gets a 304
from the cache as it would from the route.
"""

from __future__ import annotations

import functools
import hashlib
import inspect
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, ParamSpec

from fastapi import Request
from starlette.responses import Response

from sonic_cms.api.context import AppContext
from sonic_cms.api.etags import body_etag, etag_matches, pack, unpack
from sonic_cms.api.response_cache import has_credentials, remember, request_url
from sonic_cms.api.responses import JSONBytesResponse, dumps
from sonic_cms.cache import CacheKey, CacheResult, Loaded

P = ParamSpec("P")


@dataclass(frozen=True)
class Document:
    """What a cached route computed: the JSON document, its ETag (default: a weak ETag of the
    body) and, when it must not live as long as its namespace's TTL, how long it may live."""

    content: Any
    etag: str | None = None
    max_age_seconds: int | None = None


def cache_headers(result: CacheResult) -> dict[str, str]:
    """The two headers that say where an answer came from."""
    return {"X-Cache-Status": "HIT" if result.hit else "MISS", "X-Cache-Source": result.source}


def request_identifier(request: Request) -> str:
    """The URL the fast path looks up (path and raw query string), hashed: keys stay short and
    free of ``:``."""
    return hashlib.sha256(request_url(request.scope).encode()).hexdigest()[:24]


def _bypass(request: Request, context: AppContext) -> bool:
    return (
        has_credentials(request.scope)
        or not context.cache.enabled
        or not context.plugins.is_active("cache")
    )


def representation_etag(content: Any, body: bytes) -> str:
    """A weak ETag of what a document says, not of when it was read: a list's
    ``meta.timestamp`` is left out, so re-reading an unchanged list still answers 304."""
    meta = content.get("meta") if isinstance(content, dict) else None
    if not isinstance(meta, dict) or "timestamp" not in meta:
        return body_etag(body)
    # The envelope ends with the timestamp (pagination.list_envelope): hash the body without
    # its last bytes instead of serializing the document a second time.
    tail = dumps({"timestamp": meta["timestamp"]})[1:-1] + b"}}"
    if body.endswith(tail):
        return body_etag(body[: -len(tail)])
    timeless = {key: value for key, value in meta.items() if key != "timestamp"}
    return body_etag(dumps({**content, "meta": timeless}))


def _packed(built: Any) -> bytes | Loaded:
    document = built if isinstance(built, Document) else Document(built)
    body = dumps(document.content)
    value = pack(document.etag or representation_etag(document.content, body), body)
    if document.max_age_seconds is None:
        return value
    return Loaded(value, max(0, document.max_age_seconds))


async def cached_json(
    request: Request,
    key: CacheKey,
    build: Callable[[], Awaitable[Any]],
    ttl: int | None = None,
) -> Response:
    """The JSON of ``build()`` (a document or a :class:`Document`), from the cache when it
    holds it; 304 when If-None-Match names its ETag."""
    context: AppContext = request.app.state.ctx

    async def load() -> bytes | Loaded:
        return _packed(await build())

    if _bypass(request, context):
        loaded = await load()
        result = CacheResult(loaded.value if isinstance(loaded, Loaded) else loaded, "database")
    else:
        result = await context.cache.get_or_load(key, load, ttl)
        remember(context, request_url(request.scope), key, request.scope.get("route"))
    etag, body = unpack(result.value)
    headers = {**cache_headers(result), "ETag": etag}
    if etag_matches(request.headers.get("if-none-match"), etag):
        return Response(status_code=304, headers=headers)
    return JSONBytesResponse(body, headers=headers)


def cached_route(
    namespace: str,
    type_: str,
    identifier: Callable[[Request], str] = request_identifier,
    ttl: int | None = None,
) -> Callable[[Callable[P, Awaitable[Any]]], Callable[P, Awaitable[Response]]]:
    """Cache a read route's JSON under ``namespace:type_:identifier(request):generation``.

    The route must take ``request: Request`` as a keyword parameter and return JSON-able data
    or a :class:`Document`. Writes invalidate through the database's commit listener (the
    tables they touched), so routes need not remember to.
    """

    def decorate(fn: Callable[P, Awaitable[Any]]) -> Callable[P, Awaitable[Response]]:
        @functools.wraps(fn)
        async def wrapper(*args: P.args, **kwargs: P.kwargs) -> Response:
            request = kwargs["request"]
            assert isinstance(request, Request), "cached routes take `request: Request`"
            key = CacheKey(namespace, type_, identifier(request))
            return await cached_json(request, key, lambda: fn(*args, **kwargs), ttl)

        # FastAPI reads the signature through ``__wrapped__``; what it calls answers a Response
        wrapper.__signature__ = inspect.signature(fn).replace(  # type: ignore[attr-defined]
            return_annotation=Response
        )
        return wrapper

    return decorate
