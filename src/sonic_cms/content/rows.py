"""One content row: reading it by id and its one serializer, below every content service.

The workflow's state changes and the content services both load and serialize items; keeping
these here lets both import them without a cycle.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Row, bindparam, select

from sonic_cms.db.schema.tables import COMMENT_COUNTS, CONTENT

#: The item's fields by their API names, and the column behind each (``fields=`` picks from these).
ITEM_FIELDS = {
    "id": "id",
    "title": "title",
    "slug": "slug",
    "status": "status",
    "collectionId": "collection_id",
    "data": "data",
    "created_at": "created_at",
    "updated_at": "updated_at",
    "author_id": "author_id",
    "published_at": "published_at",
    "version_number": "version_number",
    "is_auto_saved": "is_auto_saved",
    "featured_image_id": "featured_image_id",
}
#: The columns :func:`serialize_item` reads.
ITEM_COLUMNS = tuple(ITEM_FIELDS.values())


def serialize_item(row: Row[Any] | dict[str, Any]) -> dict[str, Any]:
    """SonicJS's item shape plus sonic-cms's columns."""
    m = row._mapping if isinstance(row, Row) else row
    return {
        "id": m["id"],
        "title": m["title"],
        "slug": m["slug"],
        "status": m["status"],
        "collectionId": m["collection_id"],
        "data": m["data"],
        "created_at": m["created_at"],
        "updated_at": m["updated_at"],
        "author_id": m["author_id"],
        "published_at": m["published_at"],
        "version_number": m["version_number"],
        "is_auto_saved": bool(m["is_auto_saved"]),
        "featured_image_id": m["featured_image_id"],
        **_comment_counts(m),
    }


#: An item's approved comments (revision 0014's counter, kept by sonic_cms.comments), as a
#: column of the read's own statement: a primary-key lookup per row, no query of its own.
APPROVED_COMMENTS = (
    select(COMMENT_COUNTS.c.approved)
    .where(COMMENT_COUNTS.c.content_id == CONTENT.c.id)
    .scalar_subquery()
    .label("comments_approved")
)


def _comment_counts(m: Any) -> dict[str, Any]:
    """``comments: {approved: N}`` for rows read with :data:`APPROVED_COMMENTS` (item reads
    and lists); rows read for a write do not carry it."""
    if "comments_approved" not in m:
        return {}
    return {"comments": {"approved": int(m["comments_approved"] or 0)}}


def etag_of(item: dict[str, Any] | Row[Any]) -> str:
    """The item's ETag: its version number and last write time."""
    m = item._mapping if isinstance(item, Row) else item
    return f'"v{m["version_number"]}-{m["updated_at"]}"'


def snapshot(item: dict[str, Any]) -> dict[str, Any]:
    """What a version row holds: the fields a diff and a rollback need."""
    return {
        "title": item["title"],
        "slug": item["slug"],
        "status": item["status"],
        "data": item["data"],
    }


#: One content row by id, built once: building a statement costs more than a warm SQLite read.
_BY_ID = select(CONTENT).where(CONTENT.c.id == bindparam("item_id"))
_BY_ID_LOCKED = _BY_ID.with_for_update()


def load_item(conn: Connection, item_id: str) -> Row[Any] | None:
    """One content row by id."""
    return conn.execute(_BY_ID, {"item_id": item_id}).first()


def load_item_for_update(conn: Connection, item_id: str) -> Row[Any] | None:
    """One content row by id, locked until the transaction ends on PostgreSQL, for a write
    that rewrites the row from what it read: without the lock, an edit that read the item
    before a concurrent publish committed would write the old status back (READ COMMITTED).

    SQLite needs no row lock: every write transaction there begins IMMEDIATE.
    """
    query = _BY_ID_LOCKED if conn.dialect.name == "postgresql" else _BY_ID
    return conn.execute(query, {"item_id": item_id}).first()
