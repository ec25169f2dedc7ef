"""One item read by id or by slug: now or as it was at a moment, with its includes.

``GET /api/content/{id}`` and ``GET /api/collections/{name}/content/{slug}`` answer the same
representation under the same rules: the read policy of ``content.access`` (a draft is a 404 to
those who may not see it, with the message an unknown item gets, so its existence is not
disclosed), ``as_of`` through ``content.history`` and ``include=`` through ``content.includes``,
the same expansion lists use.
"""

from __future__ import annotations

from collections.abc import Set
from typing import Any

from sqlalchemy import Connection, Row, select

from sonic_cms.content.access import require_readable
from sonic_cms.content.collections import find_collection
from sonic_cms.content.history import content_as_of
from sonic_cms.content.includes import attach_includes
from sonic_cms.content.rows import load_item, serialize_item
from sonic_cms.context import Context
from sonic_cms.db.schema.tables import CONTENT
from sonic_cms.errors import NotFound

#: The query parameters of a single item's read.
ITEM_PARAMS = frozenset({"as_of", "include"})


def get_item(
    ctx: Context, item_id: str, *, include: Set[str] = frozenset(), as_of: int | None = None
) -> dict[str, Any]:
    """One item the actor may read now (404 otherwise), or as it was at ``as_of`` (epoch ms)."""
    ctx.actor.require("content.read")
    if as_of is not None:
        return content_as_of(ctx, item_id, as_of, include=include)
    with ctx.db.read() as conn:
        row = require_readable(ctx.actor, load_item(conn, item_id), ctx.clock.now_ms())
        return with_includes(conn, ctx, row, include)


def get_item_by_slug(
    ctx: Context,
    collection: str,
    slug: str,
    *,
    include: Set[str] = frozenset(),
    as_of: int | None = None,
) -> dict[str, Any]:
    """The item with ``slug`` in the active collection named (or identified by) ``collection``.

    ``as_of`` looks the item up by the slug it has now. Raises NotFound naming the collection
    (``collection_not_found``) or the slug (``content_not_found``: unknown, or a draft the
    actor may not read).
    """
    ctx.actor.require("content.read")
    with ctx.db.read() as conn:
        row = _by_slug(conn, ctx, collection, slug)
        if as_of is None:
            return with_includes(conn, ctx, row, include)
    return content_as_of(ctx, row.id, as_of, include=include)


def with_includes(
    conn: Connection, ctx: Context, row: Row[Any], include: Set[str]
) -> dict[str, Any]:
    """The item's representation with the relations ``include`` names."""
    item = serialize_item(row)
    if include:
        attach_includes(conn, [item], [row], include, show_email=ctx.actor.is_authenticated)
    return item


def _by_slug(conn: Connection, ctx: Context, collection: str, slug: str) -> Row[Any]:
    found = find_collection(conn, collection)
    if found is None or not found.is_active:
        raise NotFound(f"Collection {collection[:200]!r} not found", code="collection_not_found")
    row = conn.execute(
        select(CONTENT).where(CONTENT.c.collection_id == found.id, CONTENT.c.slug == slug)
    ).first()
    try:
        return require_readable(ctx.actor, row, ctx.clock.now_ms())
    except NotFound:
        message = f"No item with slug {slug[:200]!r} in collection {found.name!r}"
        raise NotFound(message, code="content_not_found") from None
