"""``GET /files/{r2_key}``: media objects with the right type, ETag, Range and caching headers.

Every response carries ``X-Content-Type-Options: nosniff``. Raster images, audio, video and
plain text render inline; anything a browser could run (SVG, HTML, PDF and the rest) is served
as an attachment under ``Content-Security-Policy: sandbox`` so scripts inside never run with
the site's origin. ``?w=&h=&fit=`` serves a resized variant of an image.
"""

from __future__ import annotations

import re
from email.utils import formatdate
from typing import Annotated, Any
from urllib.parse import quote

import anyio.to_thread
from fastapi import APIRouter, Query, Request
from starlette.responses import Response, StreamingResponse

from sonic_cms.api.deps import PublicCtxDep
from sonic_cms.api.etags import etag_matches
from sonic_cms.api.openapi import DocumentedRoute, file_responses
from sonic_cms.api.params import int_query
from sonic_cms.inputs.params import reject_unknown
from sonic_cms.media.serving import (
    ServedObject,
    Signature,
    check_variant,
    resolve_file,
)
from sonic_cms.media.types import renders_inline

router = APIRouter(tags=["media"], route_class=DocumentedRoute)

SANDBOX_CSP = "default-src 'none'; style-src 'unsafe-inline'; sandbox"
_ALLOWED_PARAMS = frozenset({"w", "h", "fit", "expires", "signature"})
_RANGE = re.compile(r"^bytes=(\d*)-(\d*)\Z")


def _disposition(served: ServedObject) -> str:
    kind = "inline" if renders_inline(served.mime_type) else "attachment"
    ascii_name = served.download_name.encode("ascii", "replace").decode().replace('"', "_")
    return f"{kind}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(served.download_name)}"


def file_headers(served: ServedObject, max_age: int, signed: bool) -> dict[str, str]:
    """Type, safety and caching headers for a served object."""
    content_type = served.mime_type
    if content_type.startswith("text/"):
        content_type += "; charset=utf-8"
    headers = {
        "Content-Type": content_type,
        "X-Content-Type-Options": "nosniff",
        "Content-Disposition": _disposition(served),
        "ETag": served.info.etag,
        "Last-Modified": formatdate(served.info.last_modified_ms / 1000, usegmt=True),
        "Accept-Ranges": "bytes",
        "Cache-Control": "private, no-store" if signed else f"public, max-age={max_age}",
    }
    if not renders_inline(served.mime_type):
        headers["Content-Security-Policy"] = SANDBOX_CSP
    return headers


def parse_range(header: str | None, size: int) -> tuple[int, int] | None:
    """The inclusive byte range one ``Range: bytes=a-b`` asks for; None to send it all.

    Raises:
        ValueError: the range cannot be satisfied (the route answers 416).
    """
    if not header:
        return None
    match = _RANGE.match(header.strip())
    if match is None:
        return None  # multiple or malformed ranges: RFC 9110 lets us send the whole object
    first, last = match.groups()
    if first == "" and last == "":
        return None
    if first == "":
        length = int(last)
        if length == 0 or size == 0:
            raise ValueError("unsatisfiable")
        return max(0, size - length), size - 1
    start = int(first)
    end = size - 1 if last == "" else min(int(last), size - 1)
    if start >= size or start > end:
        raise ValueError("unsatisfiable")
    return start, end


@router.head("/files/{key:path}", include_in_schema=False)
@router.get(
    "/files/{key:path}",
    summary="A media object",
    response_class=Response,
    responses=file_responses(),
)
async def serve_file(
    key: str,
    request: Request,
    ctx: PublicCtxDep,
    w: Annotated[int | None, int_query()] = None,
    h: Annotated[int | None, int_query()] = None,
    fit: str | None = None,
    expires: Annotated[int | None, int_query(ge=0)] = None,
    signature: Annotated[str | None, Query(max_length=128)] = None,
) -> Any:
    """The object, a byte range of it (206), 304 when the ETag matches, 416 out of range."""
    reject_unknown(request.query_params.keys(), _ALLOWED_PARAMS)
    variant = check_variant(w, h, fit, ctx.settings)
    signed = None
    if expires is not None or signature is not None:
        signed = Signature(expires or 0, signature or "")
    # always in a thread: a variant made on first request decodes and resizes an image
    served = await anyio.to_thread.run_sync(lambda: resolve_file(ctx, key, variant, signed))
    headers = file_headers(served, ctx.settings.media_cache_max_age_seconds, signed is not None)
    if etag_matches(request.headers.get("if-none-match"), served.info.etag):
        return Response(status_code=304, headers=_without_body_headers(headers))
    size = served.info.size
    try:
        span = parse_range(request.headers.get("range"), size)
    except ValueError:
        headers = {**_without_body_headers(headers), "Content-Range": f"bytes */{size}"}
        return Response(status_code=416, headers=headers)
    status, (start, end) = (200, (0, size - 1)) if span is None else (206, span)
    if span is not None:
        headers["Content-Range"] = f"bytes {start}-{end}/{size}"
    headers["Content-Length"] = str(max(0, end - start + 1))
    if request.method == "HEAD" or size == 0:
        return Response(status_code=status, headers=headers)
    stream = await anyio.to_thread.run_sync(lambda: ctx.storage.open(served.key, start, end))
    return StreamingResponse(stream.chunks, status_code=status, headers=headers)


def _without_body_headers(headers: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in headers.items() if k not in ("Content-Type", "Content-Length")}
