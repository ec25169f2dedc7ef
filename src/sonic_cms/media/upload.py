"""Ingesting a file: check it, stream it to storage, record it, or leave no trace.

The source is a seekable binary file (the spooled upload, or a downloaded import), read in
chunks and never held whole in memory. The order makes failures clean: every check that can
refuse the file (size, sniffed type, image decode) runs before anything is stored; then the
object and its thumbnail are written; then the row is inserted in one transaction. If the row
cannot be written the objects are deleted again, so a failed upload leaves no orphan.

``media:upload`` filters run in that transaction, before the insert, with the row about to be
written; they may change ``alt``, ``caption``, ``tags`` and ``folder`` (checked again like a
client's; a new folder keeps the object key, as a move does) or refuse the file, which is then
removed from storage like any failed upload. The action gets the media item after the commit.
"""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass, field
from functools import partial
from typing import IO, Any

from sqlalchemy import insert

from sonic_cms.config import Settings
from sonic_cms.context import Context
from sonic_cms.db.schema import Media
from sonic_cms.errors import (
    PayloadTooLarge,
    ServiceError,
    UnsupportedMediaType,
    ValidationFailed,
)
from sonic_cms.ids import new_id
from sonic_cms.inputs.text import CONTROL_MESSAGE, has_control
from sonic_cms.media.images import inspect_image
from sonic_cms.media.names import (
    check_folder,
    clean_display_name,
    object_key,
    safe_filename,
    thumbnail_key,
)
from sonic_cms.media.queries import media_item
from sonic_cms.media.types import SNIFF_BYTES, is_raster_image, sniff_mime_type
from sonic_cms.plugins import hookspecs
from sonic_cms.plugins.hooks import HookScope
from sonic_cms.storage import ObjectTooLarge, Storage

logger = logging.getLogger("sonic_cms.media")


@dataclass(frozen=True)
class MediaMeta:
    """What a client may say about a file besides its bytes."""

    folder: str | None = None
    alt: str | None = None
    caption: str | None = None
    tags: list[str] | None = field(default=None)


@dataclass(frozen=True)
class _Checked:
    size: int
    mime_type: str
    width: int | None
    height: int | None
    thumbnail: bytes | None


def check_text(value: str | None, path: str, settings: Settings) -> str | None:
    """Alt text or caption: control characters refused, length bounded."""
    if value is None:
        return None
    if has_control(value):
        raise ValidationFailed(
            "Validation failed", details=[{"path": path, "message": CONTROL_MESSAGE}]
        )
    if len(value) > settings.media_max_text_chars:
        message = f"must be at most {settings.media_max_text_chars} characters"
        raise ValidationFailed("Validation failed", details=[{"path": path, "message": message}])
    return value


def check_tags(tags: list[str] | None, settings: Settings) -> list[str] | None:
    """Tags: at most ``media_max_tags`` distinct non-empty strings of at most 64 characters."""
    if tags is None:
        return None
    cleaned = list(dict.fromkeys(tag.strip() for tag in tags if tag.strip()))
    problems = [
        {"path": f"tags.{i}", "message": "must be at most 64 characters"}
        for i, tag in enumerate(cleaned)
        if len(tag) > 64
    ] + [
        {"path": f"tags.{i}", "message": CONTROL_MESSAGE}
        for i, tag in enumerate(cleaned)
        if has_control(tag)
    ]
    if len(cleaned) > settings.media_max_tags:
        problems.append({"path": "tags", "message": f"at most {settings.media_max_tags} tags"})
    if problems:
        raise ValidationFailed("Validation failed", details=problems)
    return cleaned


def _size_of(source: IO[bytes]) -> int:
    source.seek(0, io.SEEK_END)
    size = source.tell()
    source.seek(0)
    return size


def check_file(source: IO[bytes], settings: Settings) -> _Checked:
    """Every refusal before anything is stored: empty, too large, wrong type, broken image."""
    size = _size_of(source)
    if size == 0:
        raise ValidationFailed(
            "The file is empty",
            code="empty_file",
            details=[{"path": "file", "message": "must not be empty"}],
        )
    if size > settings.media_max_bytes:
        raise PayloadTooLarge(
            f"The file exceeds {settings.media_max_bytes} bytes", code="file_too_large"
        )
    mime_type = sniff_mime_type(source.read(SNIFF_BYTES))
    source.seek(0)
    if mime_type not in settings.media_allowed_types:
        raise UnsupportedMediaType(
            f"Files of type {mime_type} are not accepted", code="unsupported_file_type"
        )
    if not is_raster_image(mime_type):
        return _Checked(size, mime_type, None, None, None)
    facts = inspect_image(source, settings.media_max_image_pixels, settings.media_thumbnail_size)
    source.seek(0)
    return _Checked(size, mime_type, facts.width, facts.height, facts.thumbnail)


def upload_media(ctx: Context, source: IO[bytes], filename: str, meta: MediaMeta) -> dict[str, Any]:
    """Store one file and its row; returns the media item.

    Raises:
        PayloadTooLarge: 413, the file is larger than SONIC_MEDIA_MAX_BYTES.
        UnsupportedMediaType: 415, the sniffed type is not allowed.
        ValidationFailed: 422, empty file, bad folder/tags, broken image or image bomb.
    """
    ctx.actor.require("media.upload")
    settings, storage = ctx.settings, ctx.storage
    folder = check_folder(meta.folder)
    alt = check_text(meta.alt, "alt", settings)
    caption = check_text(meta.caption, "caption", settings)
    tags = check_tags(meta.tags, settings)
    checked = check_file(source, settings)
    media_id, now = new_id(), ctx.clock.now_ms()
    name = safe_filename(filename, checked.mime_type, settings.media_max_filename_bytes)
    key = object_key(folder, media_id, name, now)
    row = {
        "id": media_id,
        "filename": name,
        "original_name": clean_display_name(filename),
        "mime_type": checked.mime_type,
        "size": checked.size,
        "width": checked.width,
        "height": checked.height,
        "folder": folder,
        "r2_key": key,
        "public_url": storage.public_url(key),
        "thumbnail_url": None,
        "alt": alt,
        "caption": caption,
        "tags": tags or [],
        "uploaded_by": ctx.actor.user_id,
        "uploaded_at": now,
        "updated_at": now,
    }
    written: list[str] = []
    try:
        _put(storage, key, source, checked.mime_type, settings.media_max_bytes, written)
        if checked.thumbnail is not None:
            thumb = thumbnail_key(media_id)
            _put(storage, thumb, io.BytesIO(checked.thumbnail), "image/webp", None, written)
            row["thumbnail_url"] = storage.public_url(thumb)
        with ctx.db.write() as conn:
            hooks = ctx.hook_scope(conn)
            row = _filtered(hooks, row, settings)
            conn.execute(insert(Media).values(**row))
            hooks.after_commit(hookspecs.MEDIA_UPLOAD, media_item(row))
            hooks.record(hookspecs.MEDIA_UPLOAD, partial(media_item, row))
    except BaseException:
        _remove(storage, written)
        raise
    hooks.fire()
    return media_item(row)


#: The row fields a ``media:upload`` filter may change.
FILTERABLE = ("alt", "caption", "tags", "folder")


def _filtered(hooks: HookScope, row: dict[str, Any], settings: Settings) -> dict[str, Any]:
    """The row after the ``media:upload`` filters, changed fields checked like a client's."""
    if not hooks.wants(hookspecs.MEDIA_UPLOAD):
        return row
    result = hooks.filter_dict(hookspecs.MEDIA_UPLOAD, {**row, "tags": list(row["tags"])})
    changed = {k: result.get(k) for k in FILTERABLE if result.get(k) != row[k]}
    if "alt" in changed:
        changed["alt"] = check_text(changed["alt"], "alt", settings)
    if "caption" in changed:
        changed["caption"] = check_text(changed["caption"], "caption", settings)
    if "tags" in changed:
        changed["tags"] = check_tags(changed["tags"] or [], settings) or []
    if "folder" in changed:
        changed["folder"] = check_folder(changed["folder"])
    return {**row, **changed}


def _put(
    storage: Storage,
    key: str,
    source: IO[bytes],
    mime_type: str,
    max_bytes: int | None,
    written: list[str],
) -> None:
    written.append(key)  # before the put: a put that fails half-way is cleaned up too
    try:
        storage.put(key, source, mime_type, max_bytes=max_bytes)
    except ObjectTooLarge as exc:
        raise PayloadTooLarge(f"The file exceeds {max_bytes} bytes", code="file_too_large") from exc


def _remove(storage: Storage, keys: list[str]) -> None:
    for key in keys:
        try:
            storage.delete(key)
        except Exception:  # noqa: BLE001 - cleanup must not hide the original error
            logger.warning("could not remove object %s after a failed upload", key)


@dataclass(frozen=True)
class NamedSource:
    """One file of a multi-file upload."""

    source: IO[bytes]
    filename: str


def upload_many(ctx: Context, files: list[NamedSource], meta: MediaMeta) -> dict[str, Any]:
    """Each file on its own (one bad file does not sink the rest), in SonicJS's result shape."""
    ctx.actor.require("media.upload")
    uploaded: list[dict[str, Any]] = []
    errors: list[dict[str, Any]] = []
    for item in files:
        try:
            uploaded.append(upload_media(ctx, item.source, item.filename, meta))
        except ServiceError as exc:
            errors.append(
                {
                    "filename": clean_display_name(item.filename),
                    "error": exc.message,
                    "code": exc.code,
                    "status": exc.status,
                }
            )
    return {
        "success": bool(uploaded),
        "uploaded": uploaded,
        "errors": errors,
        "summary": {"total": len(files), "successful": len(uploaded), "failed": len(errors)},
    }
