"""The admin's static files: served from the package under a content hash, cached for a year.

Each file's URL carries the first hex digits of its SHA-256 (``/admin/static/3f2a.../admin.css``),
so a new release changes the URL and browsers may keep an old copy forever
(``Cache-Control: immutable``). A URL with a stale hash answers 404 rather than the new bytes
under an old name. The files are read once, when the app is built: they are small, and the
package does not change under a running server.
"""

from __future__ import annotations

import hashlib
import mimetypes
from dataclasses import dataclass
from importlib import resources

from starlette.responses import Response

#: A year: the longest lifetime caches honour, safe because the URL changes with the bytes.
IMMUTABLE = "public, max-age=31536000, immutable"
PREFIX = "/admin/static"
_DIGEST_CHARS = 16


@dataclass(frozen=True)
class Asset:
    """One file's bytes, its type and the hash its URL carries."""

    body: bytes
    media_type: str
    digest: str


class AssetTable:
    """Every file under the package's ``admin/static`` folder, by its path in that folder."""

    def __init__(self) -> None:
        self._assets: dict[str, Asset] = {}
        root = resources.files("sonic_cms.admin") / "static"
        self._walk(root, "")

    def _walk(self, folder: resources.abc.Traversable, prefix: str) -> None:
        for entry in folder.iterdir():
            name = f"{prefix}{entry.name}"
            if entry.is_dir():
                self._walk(entry, f"{name}/")
                continue
            body = entry.read_bytes()
            media_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
            if media_type.startswith("text/") or media_type.endswith("javascript"):
                media_type += "; charset=utf-8"
            digest = hashlib.sha256(body).hexdigest()[:_DIGEST_CHARS]
            self._assets[name] = Asset(body, media_type, digest)

    def url(self, name: str) -> str:
        """The hashed URL of ``name`` (a path under ``static/``).

        Raises:
            KeyError: no such file ships in the package (a template bug, caught by its tests).
        """
        return f"{PREFIX}/{self._assets[name].digest}/{name}"

    def response(self, digest: str, name: str) -> Response:
        """The file, cached for a year; 404 for an unknown name or a stale hash."""
        asset = self._assets.get(name)
        if asset is None or asset.digest != digest:
            return Response("Not found", status_code=404, media_type="text/plain")
        headers = {"cache-control": IMMUTABLE, "x-content-type-options": "nosniff"}
        return Response(asset.body, media_type=asset.media_type, headers=headers)
