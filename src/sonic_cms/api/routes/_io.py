"""Request and response helpers shared by the content routes: JSON bodies, ETags, 304s."""

from __future__ import annotations

from typing import Any

from fastapi import Request

from sonic_cms.api.bodies import parse_json_object
from sonic_cms.api.caching import Document
from sonic_cms.content import access as content_access
from sonic_cms.context import Context
from sonic_cms.errors import UnsupportedMediaType


async def json_object(request: Request) -> dict[str, Any]:
    """The body as a JSON object: 415 for another content type, 400 for malformed JSON."""
    content_type = request.headers.get("content-type", "")
    if content_type.split(";")[0].strip().lower() != "application/json":
        raise UnsupportedMediaType("Send the body as application/json")
    return parse_json_object(await request.body())


def query_pairs(request: Request) -> list[tuple[str, str]]:
    """Every query parameter in order, repeated keys included."""
    return request.query_params.multi_items()


async def public_document(ctx: Context, content: Any, etag: str | None = None) -> Document:
    """A content read for :func:`~sonic_cms.api.caching.cached_route`; an anonymous caller's
    copy lives no longer than the next embargo end or expiry, when the public view changes
    without a write."""
    if ctx.actor.is_authenticated:
        return Document(content, etag)
    lifetime = await ctx.run_read(lambda: content_access.public_view_lifetime(ctx))
    return Document(content, etag, lifetime)
