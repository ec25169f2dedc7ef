"""Changing media: metadata, folders, soft delete, restore and purge, singly and in bulk.

Who may change an item: whoever holds ``media.update`` (``media.delete`` for deleting) on all
media, which editors and admins do, or its uploader while they may still upload. Moving an item
changes its ``folder`` but not its object key, so URLs already published in content keep working.
Soft delete keeps the object (restore brings it back); purge removes the objects first and the
row after, so a purge that fails half-way can simply be run again.

Both fire ``media:delete`` (``context.extra["permanent"]`` tells them apart) with the media
item: the filter in a write transaction before anything is changed (for a purge, before the
objects are removed, since storage cannot roll back), the action after the commit.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any

from sqlalchemy import Connection, delete, update
from sqlalchemy.engine import RowMapping

from sonic_cms.actors import Actor
from sonic_cms.config import Settings
from sonic_cms.context import Context
from sonic_cms.db.schema import Content, Media
from sonic_cms.errors import BadRequest, Conflict, Forbidden, NotFound, ServiceError
from sonic_cms.media.names import check_folder, derived_prefix
from sonic_cms.media.queries import fetch_row, media_folders, media_item
from sonic_cms.media.upload import check_tags, check_text
from sonic_cms.plugins import hookspecs
from sonic_cms.plugins.hooks import HookScope

_FOLDER_MARKERS = "_folders/"
_UNSET: Any = object()


@dataclass(frozen=True)
class MediaChanges:
    """A PATCH: fields left as ``UNSET`` are not touched; ``None`` clears alt/caption."""

    alt: Any = _UNSET
    caption: Any = _UNSET
    tags: Any = _UNSET
    folder: Any = _UNSET


UNSET = _UNSET


def may_change(actor: Actor, row: RowMapping | Mapping[str, Any], permission: str) -> bool:
    """Whether ``actor`` may change ``row``: a holder of ``permission``, or its uploader.

    ``row`` is a media row or a media item (both carry ``uploaded_by``), so pages can ask
    which buttons to show with the rule the writes enforce.
    """
    if actor.can(permission):
        return True
    own = actor.user_id is not None and row["uploaded_by"] == actor.user_id
    return own and actor.can("media.upload")


def _load(conn: Connection, actor: Actor, media_id: str, permission: str) -> RowMapping:
    """A live row the actor may change; 401/404/403 otherwise (404 before 403 for readers)."""
    if not actor.is_authenticated:
        actor.require(permission)
    row = fetch_row(conn, media_id)
    if row is None or row["deleted_at"] is not None:
        raise NotFound("File not found", code="media_not_found")
    _require_change(actor, row, permission)
    return row


def _require_change(actor: Actor, row: RowMapping, permission: str) -> None:
    if not may_change(actor, row, permission):
        raise Forbidden("Permission denied: not your file", code="not_media_owner")


def update_media(ctx: Context, media_id: str, changes: MediaChanges) -> dict[str, Any]:
    """Update alt, caption, tags and folder; 400 when nothing is given."""
    settings = ctx.settings
    values: dict[str, Any] = {}
    if changes.alt is not UNSET:
        values["alt"] = check_text(changes.alt, "alt", settings)
    if changes.caption is not UNSET:
        values["caption"] = check_text(changes.caption, "caption", settings)
    if changes.tags is not UNSET:
        values["tags"] = check_tags(changes.tags or [], settings)
    if changes.folder is not UNSET:
        values["folder"] = check_folder(changes.folder)
    if not values:
        raise BadRequest("No valid fields to update", code="no_changes")
    with ctx.db.write() as conn:
        _load(conn, ctx.actor, media_id, "media.update")
        values["updated_at"] = ctx.clock.now_ms()
        conn.execute(update(Media).where(Media.id == media_id).values(**values))
        row = fetch_row(conn, media_id)
    assert row is not None
    return media_item(row)


def _check_ids(ids: list[str], settings: Settings) -> None:
    if not ids:
        raise BadRequest("No file IDs provided", code="no_ids")
    if len(ids) > settings.media_bulk_max_ids:
        raise BadRequest(
            f"Too many files selected. Maximum {settings.media_bulk_max_ids} files per operation.",
            code="too_many_ids",
        )


def bulk_move(ctx: Context, ids: list[str], folder: str) -> dict[str, Any]:
    """Move each item to ``folder``; per-item results in SonicJS's shape."""
    _check_ids(ids, ctx.settings)
    target = check_folder(folder)
    moved: list[dict[str, Any]] = []
    errors: list[dict[str, Any]] = []
    for media_id in ids:
        try:
            with ctx.db.write() as conn:
                row = _load(conn, ctx.actor, media_id, "media.update")
                skipped = row["folder"] == target
                if not skipped:
                    conn.execute(
                        update(Media)
                        .where(Media.id == media_id)
                        .values(folder=target, updated_at=ctx.clock.now_ms())
                    )
            moved.append(
                {
                    "fileId": media_id,
                    "filename": row["original_name"],
                    "success": True,
                    "skipped": skipped,
                }
            )
        except ServiceError as exc:
            errors.append({"fileId": media_id, "error": exc.message, "code": exc.code})
    return _summary("moved", moved, errors, len(ids))


def _summary(
    name: str, done: list[dict[str, Any]], errors: list[dict[str, Any]], total: int
) -> dict[str, Any]:
    return {
        "success": bool(done),
        name: done,
        "errors": errors,
        "summary": {"total": total, "successful": len(done), "failed": len(errors)},
    }


def soft_delete(ctx: Context, media_id: str) -> None:
    """Mark the item deleted (``deleted_at``); its object stays until purged."""
    with ctx.db.write() as conn:
        hooks = ctx.hook_scope(conn)
        row = _load(conn, ctx.actor, media_id, "media.delete")
        _delete_filter(hooks, row, permanent=False)
        now = ctx.clock.now_ms()
        conn.execute(
            update(Media).where(Media.id == media_id).values(deleted_at=now, updated_at=now)
        )
        deleted = {**row, "deleted_at": now, "updated_at": now}
        hooks.after_commit(hookspecs.MEDIA_DELETE, media_item(deleted), permanent=False)
        hooks.record(hookspecs.MEDIA_DELETE, partial(media_item, deleted))
    hooks.fire()


def _delete_filter(hooks: HookScope, row: RowMapping, *, permanent: bool) -> None:
    """``media:delete``'s filter: a plugin may refuse; changes to the payload are ignored."""
    if hooks.wants(hookspecs.MEDIA_DELETE):
        hooks.filter(hookspecs.MEDIA_DELETE, media_item(row), permanent=permanent)


def bulk_delete(ctx: Context, ids: list[str]) -> dict[str, Any]:
    """Soft-delete each item; an already deleted one counts as done, as in SonicJS."""
    _check_ids(ids, ctx.settings)
    deleted: list[dict[str, Any]] = []
    errors: list[dict[str, Any]] = []
    for media_id in ids:
        try:
            with ctx.db.read() as conn:
                row = fetch_row(conn, media_id)
            if row is not None and row["deleted_at"] is not None:
                _require_change(ctx.actor, row, "media.delete")
                deleted.append(
                    {
                        "fileId": media_id,
                        "filename": row["original_name"],
                        "success": True,
                        "alreadyDeleted": True,
                    }
                )
                continue
            soft_delete(ctx, media_id)
            name = row["original_name"] if row is not None else None
            deleted.append({"fileId": media_id, "filename": name, "success": True})
        except ServiceError as exc:
            errors.append({"fileId": media_id, "error": exc.message, "code": exc.code})
    return _summary("deleted", deleted, errors, len(ids))


def _load_deleted(conn: Connection, actor: Actor, media_id: str) -> RowMapping:
    if not actor.is_authenticated:
        actor.require("media.delete")
    row = fetch_row(conn, media_id)
    if row is None:
        raise NotFound("File not found", code="media_not_found")
    _require_change(actor, row, "media.delete")
    return row


def restore_media(ctx: Context, media_id: str) -> dict[str, Any]:
    """Bring a soft-deleted item back; 409 when it is not deleted."""
    with ctx.db.write() as conn:
        row = _load_deleted(conn, ctx.actor, media_id)
        if row["deleted_at"] is None:
            raise Conflict("File is not deleted", code="media_not_deleted")
        conn.execute(
            update(Media)
            .where(Media.id == media_id)
            .values(deleted_at=None, updated_at=ctx.clock.now_ms())
        )
        restored = fetch_row(conn, media_id)
    assert restored is not None
    return media_item(restored)


def purge_media(ctx: Context, media_id: str) -> None:
    """Remove the objects (a missing one is fine), then the row and references to it."""
    with ctx.db.write() as conn:
        hooks = ctx.hook_scope(conn)
        row = _load_deleted(conn, ctx.actor, media_id)
        _delete_filter(hooks, row, permanent=True)
    ctx.storage.delete(row["r2_key"])
    ctx.storage.delete_prefix(derived_prefix(media_id))
    with ctx.db.write() as conn:
        conn.execute(
            update(Content)
            .where(Content.featured_image_id == media_id)
            .values(featured_image_id=None)
        )
        conn.execute(delete(Media).where(Media.id == media_id))
    ctx.hooks.action(hookspecs.MEDIA_DELETE, media_item(row), actor=ctx.actor, permanent=True)


def created_folders(ctx: Context) -> list[str]:
    """Folders made with create-folder, whether or not files are in them yet."""
    keys = ctx.storage.iter_keys(_FOLDER_MARKERS)
    names = {key[len(_FOLDER_MARKERS) :].split("/")[0] for key in keys}
    return sorted(name for name in names if name)


def create_folder(ctx: Context, name: str) -> dict[str, Any]:
    """Create an empty folder (a marker object); 409 when the folder exists."""
    ctx.actor.require("media.upload")
    folder = check_folder(name or None, "folderName") if name else _missing_name()
    existing = {entry["folder"] for entry in media_folders(ctx, created_folders(ctx))}
    if folder in existing:
        raise Conflict(f'Folder "{folder}" already exists', code="folder_exists")
    ctx.storage.put(f"{_FOLDER_MARKERS}{folder}/.keep", io.BytesIO(b""), "application/octet-stream")
    return {"success": True, "message": f'Folder "{folder}" created successfully', "folder": folder}


def _missing_name() -> str:
    raise BadRequest("No folder name provided", code="no_folder_name")
