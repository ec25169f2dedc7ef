"""Related rows for a page of items, one query per relation (never one per item).

``author`` (id, name and, for signed-in callers, email), ``collection`` (id, name, display
name) and ``featured_image`` (the media row's public fields), as the seed's "Complex Joins".
"""

from __future__ import annotations

from collections.abc import Sequence, Set
from typing import Any

from sqlalchemy import Connection, Row, select

from sonic_cms.db.schema.tables import COLLECTIONS, MEDIA, USERS
from sonic_cms.errors import BadRequest

INCLUDES = ("author", "collection", "featured_image")


def parse_include(raw: str | None) -> frozenset[str]:
    """The relations ``include=`` names (comma-separated); 400 naming the first unknown one.

    The one parser for lists and single items alike.
    """
    names = frozenset(n.strip() for n in (raw or "").split(",") if n.strip())
    unknown = sorted(names - set(INCLUDES))
    if unknown:
        raise BadRequest(
            "Invalid filter parameters",
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


def _collections(conn: Connection, ids: set[str]) -> dict[str, dict[str, Any]]:
    rows = conn.execute(
        select(COLLECTIONS.c.id, COLLECTIONS.c.name, COLLECTIONS.c.display_name).where(
            COLLECTIONS.c.id.in_(ids)
        )
    ).all()
    return {r.id: {"id": r.id, "name": r.name, "display_name": r.display_name} for r in rows}


def _media(conn: Connection, ids: set[str]) -> dict[str, dict[str, Any]]:
    columns = (
        "id",
        "filename",
        "mime_type",
        "public_url",
        "thumbnail_url",
        "alt",
        "caption",
        "width",
        "height",
    )
    rows = conn.execute(
        select(*(MEDIA.c[c] for c in columns)).where(
            MEDIA.c.id.in_(ids), MEDIA.c.deleted_at.is_(None)
        )
    ).all()
    return {r.id: dict(r._mapping) for r in rows}


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
