"""ETags and If-None-Match, shared by the routes and the cached-read fast path."""

from __future__ import annotations

import hashlib


def body_etag(body: bytes) -> str:
    """A weak ETag of a response body (lists and other computed documents)."""
    return 'W/"' + hashlib.blake2b(body, digest_size=12).hexdigest() + '"'


def etag_matches(header: str | None, etag: str) -> bool:
    """Whether an If-None-Match header names ``etag`` (weak comparison, or ``*``)."""
    if not header:
        return False
    bare = etag.removeprefix("W/")
    return any(tag.strip().removeprefix("W/") in (bare, "*") for tag in header.split(","))


def pack(etag: str, body: bytes) -> bytes:
    """One cache value holding a response's ETag and body (an ETag never holds a newline)."""
    return etag.encode() + b"\n" + body


def unpack(value: bytes) -> tuple[str, bytes]:
    """The ETag and body :func:`pack` joined."""
    etag, _, body = value.partition(b"\n")
    return etag.decode(), body
