"""Related rows for a page of items, one query per relation (never one per item).

``author`` (id, name and, for signed-in callers, email), ``collection`` (id, name, display
name) and ``featured_image`` (the media-file representation, ``db.records.media_file``, as the
media routes show it), as the seed's "Complex Joins".
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Row, select

from sonic_cms.db.records import media_file
from sonic_cms.db.schema.tables import COLLECTIONS, MEDIA, USERS

INCLUDES = ("author", "collection", "featured_image")


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
    include: set[str],
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
