"""A translation group's rows: listing them and adding one in a new locale.

A translation is a content row (its own title, slug, data, status, versions, workflow and
schedule) whose ``locale`` names its language and whose ``translation_group_id`` names the
default-locale row it translates; it is written through the content service's own pieces, so
every rule of a create (schema, references, slug, hooks, version 1) holds for it too.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Row

from sonic_cms.content.access import can_read_row, require_readable
from sonic_cms.content.items import (
    Target,
    after_write,
    auto_slug,
    checked_data,
    field_problems,
    insert_with_version,
    new_item_row,
    require_free_slug,
    resolve_target,
)
from sonic_cms.content.rows import load_item, load_item_for_update, serialize_item
from sonic_cms.context import Context
from sonic_cms.errors import Conflict, NotFound, ValidationFailed
from sonic_cms.inputs.bodies import check_fields
from sonic_cms.locales.choice import enabled_locale, stored_locale
from sonic_cms.locales.groups import group_id, group_rows, locale_of
from sonic_cms.locales.shared import with_shared
from sonic_cms.pagination import list_envelope

CREATE_FIELDS = frozenset({"locale", "title", "slug", "data"})


def localised(item: dict[str, Any], row: Row[Any] | dict[str, Any], default: str) -> dict[str, Any]:
    """The item's representation with its locale and group (the serializer's, plus two keys
    only locale-aware answers carry, so default reads keep SonicJS's shape)."""
    return {**item, "locale": locale_of(row, default), "translationGroupId": group_id(row)}


def list_translations(ctx: Context, item_id: str) -> dict[str, Any]:
    """``{data, meta}``: the rows of the item's group the actor may read, the default locale
    first; ``meta.missing`` lists the enabled locales without a row (drafts the actor may not
    see count as missing to them, so their existence is not disclosed)."""
    actor, settings = ctx.actor, ctx.settings
    actor.require("content.read")
    now = ctx.clock.now_ms()
    with ctx.db.read() as conn:
        row = require_readable(actor, load_item(conn, item_id), now)
        rows = [r for r in group_rows(conn, group_id(row)) if can_read_row(actor, r, now)]
    default = settings.default_locale
    data = [_summary(r, default) for r in rows]
    present = {entry["locale"] for entry in data}
    missing = [tag for tag in settings.enabled_locales if tag not in present]
    meta = {"group": group_id(row), "defaultLocale": default, "missing": missing}
    return list_envelope(data, now, count=len(data), **meta)


def _summary(row: Row[Any], default: str) -> dict[str, Any]:
    return {
        "id": row.id,
        "locale": locale_of(row, default),
        "isSource": row.translation_group_id is None,
        "title": row.title,
        "slug": row.slug,
        "status": row.status,
        "version_number": row.version_number,
        "updated_at": row.updated_at,
    }


def create_translation(ctx: Context, item_id: str, body: dict[str, Any]) -> dict[str, Any]:
    """A new row of the item's group in ``body["locale"]``: a draft at version 1, its data the
    body's or else the item's, its non-translatable fields the group's.

    Raises:
        BadRequest: ``locale`` malformed or not enabled (400, the enabled list in ``details``).
        ValidationFailed: unknown fields, a bad title, slug or data (422).
        NotFound: no item the actor may read.
        Conflict: the group has a row in that locale (``translation_exists``), or the slug is
            taken in that locale (``slug_taken``).
    """
    actor, settings = ctx.actor, ctx.settings
    actor.require("content.create")
    check_fields(body, CREATE_FIELDS)
    tag = enabled_locale(settings, body.get("locale"))
    problems = field_problems({k: v for k, v in body.items() if k != "locale"}, creating=True)
    if problems:
        raise ValidationFailed("Validation failed", details=problems)
    with ctx.db.write() as conn:
        hooks = ctx.hook_scope(conn)
        source = require_readable(actor, load_item_for_update(conn, item_id), ctx.clock.now_ms())
        root = _root(conn, source)
        _require_free_locale(conn, root, tag, settings.default_locale)
        target = resolve_target(conn, root.collection_id)
        item = _new_translation(ctx, conn, target, root, source, body, tag)
        insert_with_version(conn, item, target)
        after_write(hooks, "create", item)
    hooks.fire()
    return localised(serialize_item(item), item, settings.default_locale)


def _root(conn: Connection, source: Row[Any]) -> Row[Any]:
    """The default-locale row of ``source``'s group, locked until the transaction ends."""
    if source.translation_group_id is None:
        return source
    # locked like the source: two translations racing for one locale wait for each other
    root = load_item_for_update(conn, source.translation_group_id)
    if root is None:  # a translation whose source was deleted outside the service
        raise NotFound("The item this translation belongs to is gone", code="content_not_found")
    return root


def _require_free_locale(conn: Connection, root: Row[Any], tag: str, default: str) -> None:
    taken = {locale_of(r, default): r.id for r in group_rows(conn, root.id)}
    if tag in taken:
        raise Conflict(
            f"The item already has a {tag} translation",
            code="translation_exists",
            details=[{"path": "locale", "message": f"taken by {taken[tag]}"}],
        )


def _new_translation(
    ctx: Context,
    conn: Connection,
    target: Target,
    root: Row[Any],
    source: Row[Any],
    body: dict[str, Any],
    tag: str,
) -> dict[str, Any]:
    """The checked row of a new translation (422 with every problem of its data)."""
    locale = stored_locale(ctx.settings, tag)
    title = body["title"].strip()
    slug = body.get("slug")
    if slug is not None:
        require_free_slug(conn, target, slug, None, locale)
    slug = slug or auto_slug(conn, target.id, title, locale)
    base = body["data"] if isinstance(body.get("data"), dict) else dict(source.data or {})
    shared = target.schema.shared_fields
    data = with_shared(base, root.data or {}, shared) if shared else base
    fields = {"title": title, "slug": slug, "data": data}
    data, problems = checked_data(conn, target, fields, creating=True)
    if problems:
        raise ValidationFailed("Validation failed", details=problems)
    author = ctx.actor.user_id or root.author_id
    row = new_item_row(target, ctx.clock.now_ms(), fields | {"data": data}, author, "draft", {})
    return row | {"locale": locale, "translation_group_id": root.id}
