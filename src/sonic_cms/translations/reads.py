"""Reading one item in a locale: the best row of its group along the fallback chain.

``GET /api/content/{id}?locale=fr`` answers with the group's ``fr`` row, else the next
locale of the chain (``fr-CA`` -> ``fr`` -> default) the reader may see, and says in ``meta``
which locale answered. By slug, the slug is looked up in the chain's locales in order, then the
same choice is made in the group it found. A draft the reader may not see is skipped, as if the
row did not exist.
"""

from __future__ import annotations

from collections.abc import Set
from typing import Any

from sqlalchemy import Connection, Row, select

from sonic_cms.content.access import can_read_row, require_readable
from sonic_cms.content.collections import find_collection
from sonic_cms.content.history import content_as_of, with_includes
from sonic_cms.content.rows import APPROVED_COMMENTS, load_item
from sonic_cms.context import Context
from sonic_cms.db.schema.tables import CONTENT
from sonic_cms.errors import NotFound
from sonic_cms.locales.choice import enabled_locale, read_chain, stored_locale
from sonic_cms.locales.groups import DEFAULT_ROWS, group_id, group_rows, locale_of
from sonic_cms.translations.groups import localised


def get_in_locale(
    ctx: Context,
    item_id: str,
    locale: str,
    *,
    include: Set[str] = frozenset(),
    as_of: int | None = None,
) -> dict[str, Any]:
    """``{data, meta}``: the item's group read in ``locale`` (400 if not enabled, 404 if the
    reader may see no row of the group)."""
    ctx.actor.require("content.read")
    tag = enabled_locale(ctx.settings, locale)
    with ctx.db.read() as conn:
        row = require_readable(ctx.actor, load_item(conn, item_id), ctx.clock.now_ms())
        chosen = _best_row(ctx, conn, group_id(row), tag)
        if as_of is None:
            return _answer(ctx, chosen, tag, with_includes(conn, ctx, chosen, include))
    return _answer(ctx, chosen, tag, content_as_of(ctx, chosen.id, as_of, include=include))


def get_by_slug_in_locale(
    ctx: Context,
    collection: str,
    slug: str,
    locale: str,
    *,
    include: Set[str] = frozenset(),
    as_of: int | None = None,
) -> dict[str, Any]:
    """``{data, meta}``: the item whose slug in ``locale`` (or the next locale of its chain)
    is ``slug``, read in ``locale``."""
    ctx.actor.require("content.read")
    tag = enabled_locale(ctx.settings, locale)
    with ctx.db.read() as conn:
        found = find_collection(conn, collection)
        if found is None or not found.is_active:
            message = f"Collection {collection[:200]!r} not found"
            raise NotFound(message, code="collection_not_found")
        holder = _slug_holder(ctx, conn, found.id, slug, tag)
        if holder is None:
            message = f"No item with slug {slug[:200]!r} in collection {found.name!r} ({tag})"
            raise NotFound(message, code="content_not_found")
        chosen = _best_row(ctx, conn, group_id(holder), tag)
        if as_of is None:
            return _answer(ctx, chosen, tag, with_includes(conn, ctx, chosen, include))
    return _answer(ctx, chosen, tag, content_as_of(ctx, chosen.id, as_of, include=include))


def _slug_holder(
    ctx: Context, conn: Connection, collection_id: str, slug: str, tag: str
) -> Row[Any] | None:
    """The readable row holding ``slug`` in the first locale of the chain that has one."""
    now = ctx.clock.now_ms()
    for step in read_chain(ctx.settings, tag):
        stored = stored_locale(ctx.settings, step)
        in_locale = DEFAULT_ROWS if stored is None else CONTENT.c.locale == stored
        query = select(CONTENT).where(
            CONTENT.c.collection_id == collection_id, CONTENT.c.slug == slug, in_locale
        )
        row = conn.execute(query).first()
        if row is not None and can_read_row(ctx.actor, row, now):
            return row
    return None


def _best_row(ctx: Context, conn: Connection, group: str, tag: str) -> Row[Any]:
    """The group's row of the first locale in ``tag``'s chain the reader may see."""
    now, default = ctx.clock.now_ms(), ctx.settings.default_locale
    rows = group_rows(conn, group, APPROVED_COMMENTS)
    by_locale = {locale_of(r, default): r for r in rows}
    for step in read_chain(ctx.settings, tag):
        row = by_locale.get(step)
        if row is not None and can_read_row(ctx.actor, row, now):
            return row
    raise NotFound("Content not found", code="content_not_found")


def _answer(ctx: Context, row: Row[Any], tag: str, item: dict[str, Any]) -> dict[str, Any]:
    """The read's document: the item with its locale, and which locale answered."""
    default = ctx.settings.default_locale
    meta = {
        "locale": locale_of(row, default),
        "requested": tag,
        "fallback": list(read_chain(ctx.settings, tag)),
    }
    return {"data": localised(item, row, default), "meta": meta}
