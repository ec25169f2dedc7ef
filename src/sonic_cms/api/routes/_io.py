"""Request and response helpers shared by the content routes: JSON bodies, ETags, 304s."""

from __future__ import annotations

import hashlib
from typing import Any

import orjson
from fastapi import Request
from starlette.responses import Response

from sonic_cms.api.responses import JSONBytesResponse, dumps
from sonic_cms.services.errors import BadRequest, UnsupportedMediaType


async def json_object(request: Request) -> dict[str, Any]:
    """The body as a JSON object: 415 for another content type, 400 for malformed JSON."""
    content_type = request.headers.get("content-type", "")
    if content_type.split(";")[0].strip().lower() != "application/json":
        raise UnsupportedMediaType("Send the body as application/json")
    raw = await request.body()
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise BadRequest(
            "Malformed JSON body",
            code="invalid_json",
            details=[{"path": "body", "message": str(exc)[:200]}],
        ) from None
    if not isinstance(body, dict):
        raise BadRequest("The body must be a JSON object", code="invalid_json")
    return body


def query_pairs(request: Request) -> list[tuple[str, str]]:
    """Every query parameter in order, repeated keys included."""
    return request.query_params.multi_items()


def body_etag(body: bytes) -> str:
    """A weak ETag of a response body (lists and other computed documents)."""
    return 'W/"' + hashlib.blake2b(body, digest_size=12).hexdigest() + '"'


def _matches(header: str | None, etag: str) -> bool:
    if not header:
        return False
    bare = etag.removeprefix("W/")
    return any(tag.strip().removeprefix("W/") in (bare, "*") for tag in header.split(","))


def conditional(
    request: Request, document: Any, etag: str | None = None, status_code: int = 200
) -> Response:
    """Serialize ``document`` with its ETag; 304 with no body when If-None-Match matches."""
    body = dumps(document)
    tag = etag or body_etag(body)
    if status_code == 200 and _matches(request.headers.get("if-none-match"), tag):
        return Response(status_code=304, headers={"ETag": tag})
    return JSONBytesResponse(body, status_code=status_code, headers={"ETag": tag})
