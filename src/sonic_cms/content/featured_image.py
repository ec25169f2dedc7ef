"""An item's ``featured_image_id``: set explicitly, or following the collection's image field.

The seed's ``content.featured_image_id`` column names one media row (``include=featured_image``
expands it). A write sets it explicitly with ``featured_image_id`` in its body: a media id
(422 unless such a media row exists and is not deleted) or null to clear it. A write that
does not name it lets it follow the image field of ``data`` (the first ``media`` or ``file``
field holding an id: ``featuredImage``, then ``featured_image``, then the others in schema
order), as SonicJS forms fill it, but only while the stored value agrees with what that field
held before the write: a value set explicitly to something else, or cleared, stays until the
next explicit change. No column records which way it was set (the seed's tables stay as they
are), so agreement with the data is the rule.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, Row, select

from sonic_cms.content.schema import CompiledSchema
from sonic_cms.db.schema.tables import MEDIA

#: The body field that sets it, and the longest id it may hold.
FIELD = "featured_image_id"
MAX_ID_LENGTH = 200


def existing_media(conn: Connection, ids: Iterable[str]) -> set[str]:
    """Which of ``ids`` name a media row that is not deleted (one query)."""
    wanted = set(ids)
    if not wanted:
        return set()
    rows = conn.execute(
        select(MEDIA.c.id).where(MEDIA.c.id.in_(wanted), MEDIA.c.deleted_at.is_(None))
    )
    return set(rows.scalars())


def from_data(schema: CompiledSchema, data: dict[str, Any]) -> str | None:
    """The id the image field of ``data`` holds, if any."""
    for name in ("featuredImage", "featured_image", *schema.media):
        if name in schema.media and isinstance(data.get(name), str):
            return str(data[name])
    return None


def shape_problems(body: dict[str, Any]) -> list[dict[str, str]]:
    """``featured_image_id`` in a body must be a media id (text) or null."""
    if FIELD not in body:
        return []
    value = body[FIELD]
    if value is None or (isinstance(value, str) and 0 < len(value) <= MAX_ID_LENGTH):
        return []
    return [{"path": FIELD, "message": "must be a media id or null"}]


def choose(
    conn: Connection,
    schema: CompiledSchema,
    body: dict[str, Any],
    data: dict[str, Any],
    row: Row[Any] | None,
) -> tuple[str | None, list[dict[str, str]]]:
    """The value to store for the write of ``body`` (``data`` as it will be stored; ``row``
    the item before an update, None on create), and its problems."""
    if FIELD in body:
        chosen = body[FIELD]
        if chosen is not None and chosen not in existing_media(conn, [chosen]):
            return None, [{"path": FIELD, "message": "no such media"}]
        return chosen, []
    if row is not None and row.featured_image_id != from_data(schema, row.data or {}):
        return row.featured_image_id, []
    return from_data(schema, data), []
