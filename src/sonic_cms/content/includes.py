"""An item's related rows: expanding them for reads (``include=``) and setting its featured image.

Includes: ``author`` (id, name and, for signed-in callers, email), ``collection`` (id, name,
display name) and ``featured_image`` (the media-file representation, ``db.records.media_file``,
as the media routes show it), as the seed's "Complex Joins", one query per relation for a page
of items (never one per item).

The featured image (``content.featured_image_id``, the seed's column) names one media row. A
write sets it explicitly with ``featured_image_id`` in its body: a media id (422 unless such a
media row exists and is not deleted) or null to clear it. A write that does not name it lets
it follow the image field of ``data`` (the first ``media`` or ``file`` field holding an id:
``featuredImage``, then ``featured_image``, then the others in schema order), as SonicJS forms
fill it, but only while the stored value agrees with what that field held before the write: a
value set explicitly to something else, or cleared, stays until the next explicit change. No
column records which way it was set (the seed's tables stay as they are), so agreement with
the data is the rule.

The other direction, which items use a media file (:func:`media_usage`, the media library's
"where it is used" and ``GET /api/media/{id}/usage``): those whose ``featured_image_id`` is the
file's id or whose ``data`` holds the id as a JSON string anywhere (a media field, a repeater, a
block). The data test is a text search for the JSON-quoted id in the stored document, the same on
both engines (SQLite keeps the JSON as text; PostgreSQL's JSONB prints string values quoted the
same way), so an id inside a longer string (a URL) does not count. It is content's question, not
media's, because which items a caller may see is content's rule (:func:`.access.visibility`): a
viewer learns of published items only, an author of their own drafts too.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence, Set
from typing import Any

import orjson
from sqlalchemy import Connection, Row, Text, cast, or_, select

from sonic_cms.content.access import visibility
from sonic_cms.content.schema import CompiledSchema
from sonic_cms.context import Context
from sonic_cms.db.records import media_file
from sonic_cms.db.schema.tables import COLLECTIONS, CONTENT, MEDIA, USERS
from sonic_cms.errors import BadRequest

INCLUDES = ("author", "collection", "featured_image")
#: The body field that sets the featured image, and the longest id it may hold.
FEATURED_FIELD = "featured_image_id"
MAX_MEDIA_ID_LENGTH = 200


def parse_include(raw: str | None) -> frozenset[str]:
    """The relations ``include=`` names (comma-separated); 400 naming the first unknown one.

    The one parser for lists and single items alike.
    """
    names = frozenset(n.strip() for n in (raw or "").split(",") if n.strip())
    unknown = sorted(names - set(INCLUDES))
    if unknown:
        raise BadRequest(
            "Invalid include parameter",
            code="invalid_parameter",
            details=[
                {
                    "path": "include",
                    "message": f"unknown include {unknown[0][:60]!r}; "
                    f"allowed: {', '.join(INCLUDES)}",
                }
            ],
        )
    return names


def _authors(conn: Connection, ids: set[str], show_email: bool) -> dict[str, dict[str, Any]]:
    rows = conn.execute(
        select(USERS.c.id, USERS.c.first_name, USERS.c.last_name, USERS.c.email).where(
            USERS.c.id.in_(ids)
        )
    ).all()
    out = {}
    for r in rows:
        entry: dict[str, Any] = {"id": r.id, "name": f"{r.first_name} {r.last_name}".strip()}
        if show_email:
            entry["email"] = r.email
        out[r.id] = entry
    return out


def people(ctx: Context, ids: Iterable[str | None]) -> dict[str, dict[str, Any]]:
    """``{id: {id, name}}`` of the users ``ids`` name (authors, reviewers), in one query:
    the same public name an item's ``include=author`` shows any reader (never the email)."""
    wanted = {i for i in ids if i}
    if not wanted:
        return {}
    with ctx.db.read() as conn:
        return _authors(conn, wanted, show_email=False)


def _collections(conn: Connection, ids: set[str]) -> dict[str, dict[str, Any]]:
    rows = conn.execute(
        select(COLLECTIONS.c.id, COLLECTIONS.c.name, COLLECTIONS.c.display_name).where(
            COLLECTIONS.c.id.in_(ids)
        )
    ).all()
    return {r.id: {"id": r.id, "name": r.name, "display_name": r.display_name} for r in rows}


def _media(conn: Connection, ids: set[str]) -> dict[str, dict[str, Any]]:
    rows = conn.execute(
        select(MEDIA).where(MEDIA.c.id.in_(ids), MEDIA.c.deleted_at.is_(None))
    ).mappings()
    return {r["id"]: media_file(r) for r in rows}


def attach_includes(
    conn: Connection,
    items: list[dict[str, Any]],
    rows: Sequence[Row[Any]],
    include: Set[str],
    *,
    show_email: bool,
) -> None:
    """Add ``author``, ``collection`` and ``featured_image`` objects to each item in place."""
    if "author" in include:
        authors = _authors(conn, {r.author_id for r in rows}, show_email)
        for item, row in zip(items, rows, strict=True):
            item["author"] = authors.get(row.author_id)
    if "collection" in include:
        found = _collections(conn, {r.collection_id for r in rows})
        for item, row in zip(items, rows, strict=True):
            item["collection"] = found.get(row.collection_id)
    if "featured_image" in include:
        media = _media(conn, {r.featured_image_id for r in rows if r.featured_image_id})
        for item, row in zip(items, rows, strict=True):
            item["featured_image"] = (
                media.get(row.featured_image_id) if row.featured_image_id else None
            )


def existing_media(conn: Connection, ids: Iterable[str]) -> set[str]:
    """Which of ``ids`` name a media row that is not deleted (one query)."""
    wanted = set(ids)
    if not wanted:
        return set()
    rows = conn.execute(
        select(MEDIA.c.id).where(MEDIA.c.id.in_(wanted), MEDIA.c.deleted_at.is_(None))
    )
    return set(rows.scalars())


def featured_from_data(schema: CompiledSchema, data: dict[str, Any]) -> str | None:
    """The id the image field of ``data`` holds, if any."""
    for name in ("featuredImage", "featured_image", *schema.media):
        if name in schema.media and isinstance(data.get(name), str):
            return str(data[name])
    return None


def featured_shape_problems(body: dict[str, Any]) -> list[dict[str, str]]:
    """``featured_image_id`` in a body must be a media id (text) or null."""
    if FEATURED_FIELD not in body:
        return []
    value = body[FEATURED_FIELD]
    if value is None or (isinstance(value, str) and 0 < len(value) <= MAX_MEDIA_ID_LENGTH):
        return []
    return [{"path": FEATURED_FIELD, "message": "must be a media id or null"}]


def choose_featured(
    conn: Connection,
    schema: CompiledSchema,
    body: dict[str, Any],
    data: dict[str, Any],
    row: Row[Any] | None,
) -> tuple[str | None, list[dict[str, str]]]:
    """The value to store for the write of ``body`` (``data`` as it will be stored; ``row``
    the item before an update, None on create), and its problems."""
    if FEATURED_FIELD in body:
        chosen = body[FEATURED_FIELD]
        if chosen is not None and chosen not in existing_media(conn, [chosen]):
            return None, [{"path": FEATURED_FIELD, "message": "no such media"}]
        return chosen, []
    if row is not None and row.featured_image_id != featured_from_data(schema, row.data or {}):
        return row.featured_image_id, []
    return featured_from_data(schema, data), []


#: At most this many items are listed; a file used more often says "and more".
USAGE_LIMIT = 100


def _escape_like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def media_usage(ctx: Context, media_id: str) -> list[dict[str, Any]]:
    """The items (newest change first) that use ``media_id`` and that the caller may read.

    Each entry: ``id``, ``title``, ``slug``, ``status``, ``collection`` (its name),
    ``collectionName`` (its display name), ``updated_at`` and ``featured`` (whether it is the
    item's featured image, not only somewhere in its data).
    """
    ctx.actor.require("media.read")
    quoted = orjson.dumps(media_id).decode()
    in_data = cast(CONTENT.c.data, Text).like(f"%{_escape_like(quoted)}%", escape="\\")
    featured = CONTENT.c.featured_image_id == media_id
    query = (
        select(
            CONTENT.c.id,
            CONTENT.c.title,
            CONTENT.c.slug,
            CONTENT.c.status,
            CONTENT.c.updated_at,
            CONTENT.c.featured_image_id,
            COLLECTIONS.c.name,
            COLLECTIONS.c.display_name,
        )
        .join(COLLECTIONS, COLLECTIONS.c.id == CONTENT.c.collection_id)
        .where(or_(featured, in_data), visibility(ctx.actor, ctx.clock.now_ms()))
        .order_by(CONTENT.c.updated_at.desc(), CONTENT.c.id.desc())
        .limit(USAGE_LIMIT)
    )
    with ctx.db.read() as conn:
        rows = conn.execute(query).all()
    return [
        {
            "id": row.id,
            "title": row.title,
            "slug": row.slug,
            "status": row.status,
            "collection": row.name,
            "collectionName": row.display_name,
            "updated_at": row.updated_at,
            "featured": row.featured_image_id == media_id,
        }
        for row in rows
    ]
