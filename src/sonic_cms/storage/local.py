"""The embedded default: objects are files under one folder (``SONIC_MEDIA_LOCAL_DIR``).

A put writes to a temporary file in the same folder tree and renames it into place once every
byte has arrived, so a reader never sees a half-written object and a failed upload leaves
nothing. Presigned URLs are the public URL plus an expiry and an HMAC the app verifies.
"""

from __future__ import annotations

import hashlib
import hmac
import mimetypes
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO
from urllib.parse import urlencode

from sonic_cms.clock import Clock
from sonic_cms.storage.base import (
    CHUNK_BYTES,
    CountingReader,
    InvalidKey,
    ObjectInfo,
    ObjectNotFound,
    ObjectStream,
    PutResult,
    Storage,
    validate_key,
)

_TMP_DIR = ".tmp"


class LocalStorage(Storage):
    """Objects as files under ``root``."""

    name = "local"

    def __init__(self, root: Path, public_base_url: str, signing_key: str, clock: Clock) -> None:
        super().__init__(public_base_url)
        self.root = root.resolve()
        self._signing_key = signing_key.encode("utf-8")
        self._clock = clock

    def _path(self, key: str) -> Path:
        validate_key(key)
        if key == _TMP_DIR or key.startswith(_TMP_DIR + "/"):
            raise InvalidKey("invalid object key")
        path = (self.root / key).resolve()
        if self.root not in path.parents:
            raise InvalidKey("invalid object key")
        return path

    def put(
        self,
        key: str,
        source: IO[bytes],
        content_type: str,
        *,
        max_bytes: int | None = None,
    ) -> PutResult:
        """Stream into a temporary file, fsync it, then rename it over ``key``."""
        target = self._path(key)
        tmp_dir = self.root / _TMP_DIR
        tmp_dir.mkdir(parents=True, exist_ok=True)
        reader = CountingReader(source, max_bytes)
        fd, tmp_name = tempfile.mkstemp(dir=tmp_dir, prefix="put-")
        try:
            with os.fdopen(fd, "wb") as out:
                while chunk := reader.read(CHUNK_BYTES):
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(tmp_name, target)
        except BaseException:
            Path(tmp_name).unlink(missing_ok=True)
            raise
        return PutResult(key=key, size=reader.size, sha256=reader.sha256)

    def head(self, key: str) -> ObjectInfo | None:
        """Size and modification time of the file; the content type from its extension."""
        path = self._path(key)
        try:
            stat = path.stat()
        except FileNotFoundError:
            return None
        if not path.is_file():
            return None
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return ObjectInfo(
            key=key,
            size=stat.st_size,
            content_type=content_type,
            etag=f'"{stat.st_size:x}-{stat.st_mtime_ns:x}"',
            last_modified_ms=stat.st_mtime_ns // 1_000_000,
        )

    def open(self, key: str, start: int | None = None, end: int | None = None) -> ObjectStream:
        """Stream the file, or a byte range of it, a chunk at a time."""
        info = self.head(key)
        if info is None:
            raise ObjectNotFound(key)
        first = start or 0
        last = info.size - 1 if end is None else min(end, info.size - 1)
        return ObjectStream(info, first, last, _read_range(self._path(key), first, last))

    def delete(self, key: str) -> None:
        """Remove the file and any folders it leaves empty."""
        path = self._path(key)
        path.unlink(missing_ok=True)
        parent = path.parent
        while parent != self.root and self.root in parent.parents:
            try:
                parent.rmdir()
            except OSError:
                break
            parent = parent.parent

    def iter_keys(self, prefix: str = "") -> Iterator[str]:
        """Every stored file's key that starts with ``prefix``."""
        if not self.root.is_dir():
            return
        for dirpath, dirnames, filenames in os.walk(self.root):
            if Path(dirpath) == self.root and _TMP_DIR in dirnames:
                dirnames.remove(_TMP_DIR)
            for filename in filenames:
                key = (Path(dirpath) / filename).relative_to(self.root).as_posix()
                if key.startswith(prefix):
                    yield key

    def presigned_url(self, key: str, expires_in: int) -> str:
        """The public URL with ``expires`` and ``signature``, checked by :meth:`verify`."""
        expires = self._clock.now_ms() // 1000 + expires_in
        query = urlencode({"expires": expires, "signature": self._sign(key, expires)})
        return f"{self.public_url(key)}?{query}"

    def verify(self, key: str, expires: int, signature: str) -> bool:
        """Whether a presigned URL's signature is genuine and not yet expired."""
        now_s = self._clock.now_ms() // 1000
        return now_s <= expires and hmac.compare_digest(signature, self._sign(key, expires))

    def _sign(self, key: str, expires: int) -> str:
        message = f"{key}\n{expires}".encode()
        return hmac.new(self._signing_key, message, hashlib.sha256).hexdigest()


def _read_range(path: Path, first: int, last: int) -> Iterator[bytes]:
    with path.open("rb") as fh:
        fh.seek(first)
        remaining = last - first + 1
        while remaining > 0:
            chunk = fh.read(min(CHUNK_BYTES, remaining))
            if not chunk:
                return
            remaining -= len(chunk)
            yield chunk
