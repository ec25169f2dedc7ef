"""Autosaved working copies: what an editor has typed so far, kept apart from the item.

Autosaving used to write the live row (and the first autosave a version), so autosaving a
published item published half-typed edits. Now an autosave upserts the caller's working copy
of the item (``content_autosaves``, one per item and user) and touches nothing readers, the
search index, the cache or the version history see. The editor shows it back; the caller's
Save (an ordinary update) writes the item and one version and deletes it
(:func:`discard_for_save`); only Publish or the workflow changes what readers see.

A working copy is scratch: its fields are checked for shape (types, lengths, no control
characters or NULs; rich text cleaned as on every write, since the editor renders it back)
but may be incomplete or invalid for the schema, which Save judges. Only a
caller who may update the item may keep one, and each caller sees only their own.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Row, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from sonic_cms.actors import Actor
from sonic_cms.content.access import require_signed_in
from sonic_cms.content.includes import FEATURED_FIELD
from sonic_cms.content.items import MAX_TITLE_LENGTH, editable, resolve_target
from sonic_cms.content.schema import clean_data
from sonic_cms.content.slugs import MAX_SLUG_LENGTH
from sonic_cms.context import Context
from sonic_cms.db.schema.tables import AUTOSAVES
from sonic_cms.errors import BadRequest, Conflict, NotFound, ValidationFailed
from sonic_cms.ids import new_id
from sonic_cms.inputs.bodies import check_fields
from sonic_cms.inputs.text import NUL_MESSAGE, control_problems, nul_paths

#: What a working copy keeps: the form's own fields, and the version the editor started from.
#: Status and the featured image are not autosaved: Save or Publish changes them.
FIELDS = frozenset({"title", "slug", "data", "version"})
NOT_AUTOSAVED = ("status", FEATURED_FIELD)


def autosave_problems(body: dict[str, Any]) -> list[dict[str, str]]:
    """Shape problems of an autosave body; an empty title or a half-typed slug is allowed."""
    problems = []
    title = body.get("title")
    if "title" in body and (not isinstance(title, str) or len(title) > MAX_TITLE_LENGTH):
        problems.append({"path": "title", "message": f"must be text of 0-{MAX_TITLE_LENGTH}"})
    slug = body.get("slug")
    if slug is not None and (not isinstance(slug, str) or len(slug) > MAX_SLUG_LENGTH):
        problems.append({"path": "slug", "message": f"must be text of 0-{MAX_SLUG_LENGTH}"})
    if "data" in body and not isinstance(body["data"], dict):
        problems.append({"path": "data", "message": "must be an object"})
    problems += control_problems(body, "title", "slug")
    problems += [{"path": p, "message": NUL_MESSAGE} for p in nul_paths(body.get("data"), "data")]
    version = body.get("version")
    if "version" in body and (type(version) is not int or version < 1):
        problems.append({"path": "version", "message": "must be a positive integer"})
    return problems


def _user(actor: Actor) -> str:
    require_signed_in(actor)
    if not actor.user_id:
        raise BadRequest("A working copy belongs to a user: act as one", code="author_required")
    return actor.user_id


def _own(conn: Connection, item_id: str, user_id: str) -> Row[Any] | None:
    query = select(AUTOSAVES).where(
        AUTOSAVES.c.content_id == item_id, AUTOSAVES.c.user_id == user_id
    )
    return conn.execute(query).first()


def serialize_autosave(copy: Row[Any] | dict[str, Any], item_version: int) -> dict[str, Any]:
    """The ``ContentAutosave`` representation: the working copy, the item's version now, and
    ``stale`` when the item changed since the copy started (a Save would overwrite that)."""
    m = copy._mapping if isinstance(copy, Row) else copy
    return {
        "id": m["id"],
        "content_id": m["content_id"],
        "user_id": m["user_id"],
        "title": m["title"],
        "slug": m["slug"],
        "data": m["data"],
        "base_version": m["base_version"],
        "item_version": item_version,
        "stale": m["base_version"] != item_version,
        "created_at": m["created_at"],
        "updated_at": m["updated_at"],
    }


def save_autosave(ctx: Context, item_id: str, body: dict[str, Any]) -> dict[str, Any]:
    """Upsert the caller's working copy of the item with the fields given (the rest kept from
    the copy, or taken from the item on the first autosave); the item is not touched.

    ``version`` is the item's version the editor started from (default: the copy's, or the
    item's current one on the first autosave).
    """
    user = _user(ctx.actor)
    kept_out = [
        {"path": name, "message": "is not autosaved: Save or Publish changes it"}
        for name in NOT_AUTOSAVED
        if name in body
    ]
    if kept_out:
        raise ValidationFailed("Validation failed", details=kept_out)
    check_fields(body, FIELDS)
    problems = autosave_problems(body)
    if problems:
        raise ValidationFailed("Validation failed", details=problems)
    now = ctx.clock.now_ms()
    with ctx.db.write() as conn:
        row = editable(conn, ctx.actor, item_id)
        copy = _own(conn, item_id, user)
        start: Any = copy._mapping if copy is not None else row._mapping
        values = {
            "title": body.get("title", start["title"]),
            "slug": body.get("slug", start["slug"]),
            # rich text is cleaned as on every write: the editor renders the copy back
            "data": clean_data(
                resolve_target(conn, row.collection_id).schema,
                body.get("data", start["data"]) or {},
            ),
            "base_version": body.get(
                "version", copy.base_version if copy is not None else row.version_number
            ),
            "updated_at": now,
        }
        if copy is not None:
            conn.execute(update(AUTOSAVES).where(AUTOSAVES.c.id == copy.id).values(**values))
            written = {**copy._mapping, **values}
        else:
            written = {
                **values,
                "id": new_id(),
                "content_id": item_id,
                "user_id": user,
                "created_at": now,
            }
            try:
                conn.execute(insert(AUTOSAVES).values(**written))
            except IntegrityError as exc:  # the same user's autosave raced this one
                raise Conflict("Another autosave is being written", code="autosave_race") from exc
        return serialize_autosave(written, row.version_number)


def get_autosave(ctx: Context, item_id: str) -> dict[str, Any]:
    """The caller's working copy of the item; 404 ``autosave_not_found`` when they have none."""
    user = _user(ctx.actor)
    with ctx.db.read() as conn:
        row = editable(conn, ctx.actor, item_id)
        copy = _own(conn, item_id, user)
    if copy is None:
        raise NotFound("No autosaved working copy of this item", code="autosave_not_found")
    return serialize_autosave(copy, row.version_number)


def discard_autosave(ctx: Context, item_id: str) -> bool:
    """Delete the caller's working copy of the item; whether there was one."""
    user = _user(ctx.actor)
    with ctx.db.write() as conn:
        editable(conn, ctx.actor, item_id)
        return discard_for_save(conn, item_id, user)


def discard_for_save(conn: Connection, item_id: str, user_id: str | None) -> bool:
    """Delete ``user_id``'s working copy of the item (a Save applied it); whether one existed."""
    if user_id is None:
        return False
    query = delete(AUTOSAVES).where(
        AUTOSAVES.c.content_id == item_id, AUTOSAVES.c.user_id == user_id
    )
    return conn.execute(query).rowcount > 0
