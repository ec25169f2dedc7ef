"""Where a media file is used: the content items that name it, as the caller may see them.

An item uses a file when its ``featured_image_id`` is the file's id or when its ``data`` holds
the id as a JSON string anywhere (a media field, a repeater, a block, a rich-text embed that
stores the id). The data test is a text search for the JSON-quoted id in the stored document,
the same on both engines (SQLite keeps the JSON as text, PostgreSQL's JSONB prints string
values quoted the same way), so an id inside a longer string (a URL) does not count.

It lives in the content domain, not in media, because which items a caller may see is
content's rule (:func:`.access.visibility`): a viewer learns of published items only, an author
of their own drafts too, so usage never discloses a draft its reader could not open.
"""

from __future__ import annotations

from typing import Any

import orjson
from sqlalchemy import Text, cast, or_, select

from sonic_cms.content.access import visibility
from sonic_cms.context import Context
from sonic_cms.db.schema.tables import COLLECTIONS, CONTENT

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
