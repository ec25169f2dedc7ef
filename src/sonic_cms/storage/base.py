"""The object-storage interface media uses, in the shape of an R2 bucket binding.

A backend stores opaque objects under string keys: put a stream, read it back (whole or a byte
range), check, delete, list, and hand out public and presigned URLs. Writes are all-or-nothing:
an upload that fails or runs past its size limit leaves no object behind, so the media service
never has to clean up after a half-written one.
"""

from __future__ import annotations

import hashlib
import re
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO
from urllib.parse import quote

#: Bytes read from a source stream, or sent to a client, at a time.
CHUNK_BYTES = 1024 * 1024

_UNSAFE_KEY = re.compile(r"[\x00-\x1f\x7f\\]")


class StorageError(Exception):
    """The backend failed in a way the caller cannot fix (disk full, bucket unreachable)."""


class ObjectNotFound(StorageError):
    """No object under the key."""


class ObjectTooLarge(StorageError):
    """A put stream ran past ``max_bytes``; nothing was stored."""


class InvalidKey(StorageError):
    """A key that could escape the store (``..``, absolute, control characters)."""


@dataclass(frozen=True)
class ObjectInfo:
    """What a backend knows about a stored object."""

    key: str
    size: int
    content_type: str
    etag: str
    last_modified_ms: int


@dataclass(frozen=True)
class PutResult:
    """A finished write: the byte count and SHA-256 measured while streaming."""

    key: str
    size: int
    sha256: str


@dataclass
class ObjectStream:
    """An open object: its info, the byte range served, and the bytes as chunks.

    ``start`` and ``end`` are inclusive offsets; the whole object is ``0 .. size - 1``.
    Iterate ``chunks`` to read; call ``close`` when done early.
    """

    info: ObjectInfo
    start: int
    end: int
    chunks: Iterator[bytes]

    @property
    def length(self) -> int:
        """Bytes this stream yields."""
        return max(0, self.end - self.start + 1)

    def close(self) -> None:
        """Release the backend's file or connection."""
        close = getattr(self.chunks, "close", None)
        if close is not None:
            close()

    def read_all(self) -> bytes:
        """Every byte of the stream; for small objects (thumbnails, tests) only."""
        try:
            return b"".join(self.chunks)
        finally:
            self.close()


def validate_key(key: str) -> str:
    """Return ``key`` when it is a safe relative key, else raise :class:`InvalidKey`."""
    if not key or len(key.encode("utf-8")) > 1024 or _UNSAFE_KEY.search(key):
        raise InvalidKey("invalid object key")
    parts = key.split("/")
    if key.startswith("/") or any(part in ("", ".", "..") for part in parts):
        raise InvalidKey("invalid object key")
    return key


def url_path(key: str) -> str:
    """The key percent-encoded for a URL path, slashes kept."""
    return quote(key, safe="/")


class CountingReader:
    """Wraps a source stream: counts and hashes what is read, and stops past ``max_bytes``.

    Backends read their source through this, so the size limit holds however the bytes
    arrive (a spooled upload, a download) and the hash costs no second pass.
    """

    def __init__(self, source: IO[bytes], max_bytes: int | None) -> None:
        self._source = source
        self._max_bytes = max_bytes
        self._hash = hashlib.sha256()
        self.size = 0

    def read(self, size: int = -1) -> bytes:
        """Read like a file; raises :class:`ObjectTooLarge` once the limit is passed."""
        data = self._source.read(CHUNK_BYTES if size is None or size < 0 else size)
        self.size += len(data)
        if self._max_bytes is not None and self.size > self._max_bytes:
            raise ObjectTooLarge(f"object exceeds {self._max_bytes} bytes")
        self._hash.update(data)
        return data

    @property
    def sha256(self) -> str:
        """Hex SHA-256 of the bytes read so far."""
        return self._hash.hexdigest()


class Storage(ABC):
    """An object store. Implementations: :class:`LocalStorage`, :class:`S3Storage`."""

    #: Short name for logs and health reports.
    name: str = "storage"

    def __init__(self, public_base_url: str) -> None:
        self.public_base_url = public_base_url.rstrip("/")

    def verify(self, key: str, expires: int, signature: str) -> bool | None:
        """Whether a presigned URL that this app serves (``/files/...?expires=&signature=``) is
        genuine and unexpired; None when the backend's presigned URLs point at the backend
        itself (S3), so the app never sees them."""
        return None

    @abstractmethod
    def put(
        self,
        key: str,
        source: IO[bytes],
        content_type: str,
        *,
        max_bytes: int | None = None,
    ) -> PutResult:
        """Store ``source`` under ``key``, read in chunks; all or nothing.

        Raises:
            ObjectTooLarge: the stream is longer than ``max_bytes`` (nothing is stored).
            InvalidKey: the key could escape the store.
        """

    @abstractmethod
    def head(self, key: str) -> ObjectInfo | None:
        """The object's info, or None when there is none."""

    @abstractmethod
    def open(self, key: str, start: int | None = None, end: int | None = None) -> ObjectStream:
        """Stream the object, or the inclusive byte range ``start..end`` of it.

        Raises:
            ObjectNotFound: no object under the key.
        """

    @abstractmethod
    def delete(self, key: str) -> None:
        """Remove the object; removing a missing object is not an error."""

    @abstractmethod
    def iter_keys(self, prefix: str = "") -> Iterator[str]:
        """Every key that starts with ``prefix``, in no promised order."""

    @abstractmethod
    def presigned_url(self, key: str, expires_in: int) -> str:
        """A URL that reads the object without other credentials until it expires."""

    def exists(self, key: str) -> bool:
        """Whether an object is stored under ``key``."""
        return self.head(key) is not None

    def delete_prefix(self, prefix: str) -> int:
        """Remove every object under ``prefix``; returns how many."""
        keys = list(self.iter_keys(prefix))
        for key in keys:
            self.delete(key)
        return len(keys)

    def public_url(self, key: str) -> str:
        """Where the public reads the object: ``public_base_url/<key>``."""
        return f"{self.public_base_url}/{url_path(validate_key(key))}"
