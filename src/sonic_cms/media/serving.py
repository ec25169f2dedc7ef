"""Which object ``GET /files/{key}`` may serve, and resized variants made on first request.

Only objects that belong to live media are served: an item's own key, or its thumbnail and
variants under ``_derived/<id>/``. Soft-deleted media answer 404 unless the URL is a valid
presigned one. Variants (``?w=&h=&fit=``) exist for raster images only, within
``SONIC_MEDIA_VARIANT_MAX_DIMENSION``, and are stored after the first request so the next one
is a plain read.

Making a variant fires ``media:transform``: the filter before the resize (no transaction: it
writes no row) may change ``width``, ``height`` and ``fit`` (checked again like the query
string) or refuse; the action follows once the variant is stored. Serving a stored variant
fires nothing.
"""

from __future__ import annotations

import io
import tempfile
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import RowMapping

from sonic_cms.config import Settings
from sonic_cms.context import Context
from sonic_cms.db.engine import Database
from sonic_cms.db.schema import Media
from sonic_cms.errors import BadRequest, Forbidden, NotFound
from sonic_cms.media.images import FITS, Fit, resize_image
from sonic_cms.media.names import media_id_of_derived_key, variant_key
from sonic_cms.media.queries import fetch_row
from sonic_cms.media.types import is_raster_image
from sonic_cms.plugins import hookspecs
from sonic_cms.plugins.hooks import HookBus
from sonic_cms.storage import ObjectInfo, Storage
from sonic_cms.storage.base import InvalidKey, validate_key

_SPOOL_BYTES = 1024 * 1024


@dataclass(frozen=True)
class Variant:
    """A resize asked for in the query string."""

    width: int | None
    height: int | None
    fit: Fit


@dataclass(frozen=True)
class Signature:
    """A local presigned URL's ``expires`` and ``signature``."""

    expires: int
    signature: str


@dataclass(frozen=True)
class ServedObject:
    """What the route streams: the key, its info, and the type and name to announce."""

    key: str
    info: ObjectInfo
    mime_type: str
    download_name: str


def check_variant(
    width: int | None, height: int | None, fit: str | None, settings: Settings
) -> Variant | None:
    """The variant asked for, None for the original; 400 for sizes out of bounds."""
    if width is None and height is None:
        if fit is not None:
            raise BadRequest("fit needs w or h", code="invalid_variant")
        return None
    limit = settings.media_variant_max_dimension
    for name, value in (("w", width), ("h", height)):
        if value is not None and not 1 <= value <= limit:
            raise BadRequest(f"{name} must be between 1 and {limit}", code="invalid_variant")
    chosen = fit or "contain"
    if chosen not in FITS:
        raise BadRequest(f"fit must be one of {', '.join(FITS)}", code="invalid_variant")
    return Variant(width, height, chosen)


def _not_found() -> NotFound:
    return NotFound("File not found", code="file_not_found")


def _owner_row(db: Database, key: str) -> RowMapping | None:
    derived_of = media_id_of_derived_key(key)
    with db.read() as conn:
        if derived_of is not None:
            return fetch_row(conn, derived_of)
        query = select(Media.__table__).where(Media.r2_key == key)
        return conn.execute(query).mappings().first()


def _check_signature(storage: Storage, key: str, signature: Signature | None) -> bool:
    if signature is None:
        return False
    genuine = storage.verify(key, signature.expires, signature.signature)
    if genuine is None:
        raise BadRequest("This storage signs its own URLs", code="invalid_signature")
    if not genuine:
        raise Forbidden("Invalid or expired signature", code="invalid_signature")
    return True


def resolve_file(
    ctx: Context, key: str, variant: Variant | None, signature: Signature | None = None
) -> ServedObject:
    """The object to serve for ``key`` (making the variant first if asked and missing)."""
    try:
        validate_key(key)
    except InvalidKey as exc:
        raise _not_found() from exc
    signed = _check_signature(ctx.storage, key, signature)
    row = _owner_row(ctx.db, key)
    if row is None or (row["deleted_at"] is not None and not signed):
        raise _not_found()
    is_original = key == row["r2_key"]
    if variant is not None:
        if not is_original or not is_raster_image(row["mime_type"]):
            raise BadRequest("Only images can be resized", code="not_resizable")
        key = _ensure_variant(ctx, row, variant)
    info = ctx.storage.head(key)
    if info is None:
        raise _not_found()
    mime = row["mime_type"] if key == row["r2_key"] else "image/webp"
    name = row["filename"] if key == row["r2_key"] else key.rsplit("/", 1)[-1]
    return ServedObject(key=key, info=info, mime_type=mime, download_name=name)


def _ensure_variant(ctx: Context, row: RowMapping, variant: Variant) -> str:
    hooks, storage, settings = ctx.hooks, ctx.storage, ctx.settings
    key = variant_key(row["id"], variant.width, variant.height, variant.fit)
    if storage.exists(key):
        return key
    event: dict[str, Any] = {
        "media_id": row["id"],
        "source_key": row["r2_key"],
        "key": key,
        "mime_type": "image/webp",
        "width": variant.width,
        "height": variant.height,
        "fit": variant.fit,
    }
    if hooks.has(hookspecs.MEDIA_TRANSFORM, "filter"):
        event = _filtered(hooks, event, settings)
        variant = Variant(event["width"], event["height"], event["fit"])
    with tempfile.SpooledTemporaryFile(max_size=_SPOOL_BYTES) as original:
        stream = storage.open(row["r2_key"])
        try:
            for chunk in stream.chunks:
                original.write(chunk)
        finally:
            stream.close()
        original.seek(0)
        data = resize_image(
            original, settings.media_max_image_pixels, variant.width, variant.height, variant.fit
        )
    storage.put(key, io.BytesIO(data), "image/webp")
    hooks.action(hookspecs.MEDIA_TRANSFORM, {**event, "size": len(data)})
    return key


def _filtered(hooks: HookBus, event: dict[str, Any], settings: Settings) -> dict[str, Any]:
    """The ``media:transform`` filters' result; only ``width``, ``height`` and ``fit`` count."""
    result = hooks.filter_dict(hookspecs.MEDIA_TRANSFORM, dict(event))
    chosen = check_variant(result.get("width"), result.get("height"), result.get("fit"), settings)
    if chosen is None:
        raise BadRequest("A media:transform filter removed the size", code="invalid_variant")
    return {**event, "width": chosen.width, "height": chosen.height, "fit": chosen.fit}
