"""Content items: create, read, delete, and the pieces of an edit, with a version row for
every write.

Every write is one transaction: the item, its version row and (through triggers) its search
entry commit together. ``data`` is validated against the collection's compiled schema on every
write path, SonicJS's admin form checks only. Optimistic concurrency: a stale ``If-Match`` is a
412 and a stale ``version`` in the body a 409, so two racing editors never overwrite each other.

An edit can move the item's workflow (a status change, or an edit of rejected content), and the
workflow sits above content, so the edit itself is assembled in ``workflow.edits`` from the
pieces here: :func:`check_update` before the transaction, :func:`open_edit` and
:func:`write_edit` inside it, around the workflow's move.

Every write fires its ``content:*`` hooks (docs/plugins.md): filters inside the transaction
before validation (see content_hooks), actions after the commit with the serialized item.
"""

from __future__ import annotations

from collections.abc import Callable, Set
from dataclasses import dataclass
from functools import partial
from typing import Any

from sqlalchemy import ColumnElement, Connection, Row, delete, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from sonic_cms.actors import Actor
from sonic_cms.content import hook_payloads as content_hooks
from sonic_cms.content.access import (
    STATUSES,
    can_read_row,
    require_delete,
    require_edit,
    require_readable,
    require_signed_in,
    require_slug_check,
    require_status_change,
)
from sonic_cms.content.collections import compiled_schema, find_collection
from sonic_cms.content.includes import (
    FEATURED_FIELD,
    choose_featured,
    existing_media,
    featured_from_data,
    featured_shape_problems,
)
from sonic_cms.content.rows import (
    etag_of,
    load_item,
    load_item_for_update,
    serialize_item,
    snapshot,
)
from sonic_cms.content.schema import CompiledSchema, clean_data, data_errors, undeclared_keys
from sonic_cms.content.slugs import is_valid_slug, numbered, slugify
from sonic_cms.content.state import publish_filter, publishes, state_for_status
from sonic_cms.context import Context
from sonic_cms.db.schema.tables import COLLECTIONS, CONTENT, VERSIONS
from sonic_cms.errors import (
    BadRequest,
    Conflict,
    NotFound,
    PreconditionFailed,
    ValidationFailed,
)
from sonic_cms.ids import new_id
from sonic_cms.inputs.bodies import check_fields, unknown_field_details
from sonic_cms.inputs.text import NUL_MESSAGE, control_problems, nul_paths
from sonic_cms.locales.groups import DEFAULT_ROWS
from sonic_cms.locales.shared import copy_shared
from sonic_cms.plugins import hookspecs
from sonic_cms.plugins.hooks import HookScope

MAX_TITLE_LENGTH = 500
WRITABLE = frozenset(
    {"title", "slug", "status", "data", "version", "is_auto_saved", FEATURED_FIELD}
)


@dataclass
class Target:
    """The collection an item belongs to, with its compiled schema."""

    id: str
    name: str
    schema: CompiledSchema


def resolve_target(conn: Connection, key: Any) -> Target:
    """The active collection named or identified by ``key``; 404 otherwise."""
    if not isinstance(key, str) or not key:
        raise ValidationFailed(
            "Validation failed", details=[{"path": "collectionId", "message": "is required"}]
        )
    row = find_collection(conn, key)
    if row is None or not row.is_active:
        raise NotFound("Collection not found", code="collection_not_found")
    return Target(row.id, row.name, compiled_schema(row))


def unknown_field_problems(body: dict[str, Any], allowed: frozenset[str]) -> list[dict[str, str]]:
    """One entry per key of ``body`` outside ``allowed`` (``inputs.bodies``, the one rule)."""
    return unknown_field_details(body, allowed)


#: The item's fields SonicJS spells in camelCase: either spelling, never both.
SPELLINGS = (("collectionId", "collection_id"),)


def field_problems(body: dict[str, Any], *, creating: bool) -> list[dict[str, str]]:
    """Shape problems of the item's own fields: title, slug, status, data, version."""
    problems = []
    title = body.get("title")
    if (creating or "title" in body) and (
        not isinstance(title, str) or not title.strip() or len(title) > MAX_TITLE_LENGTH
    ):
        problems.append(
            {"path": "title", "message": f"is required: 1-{MAX_TITLE_LENGTH} characters"}
        )
    slug = body.get("slug")
    if slug is not None and (not isinstance(slug, str) or not is_valid_slug(slug)):
        problems.append({"path": "slug", "message": "must be lower-case words joined by hyphens"})
    if "status" in body and body["status"] not in STATUSES:
        problems.append({"path": "status", "message": f"must be one of {list(STATUSES)}"})
    if "data" in body and not isinstance(body["data"], dict):
        problems.append({"path": "data", "message": "must be an object"})
    problems += control_problems(body, "title", "slug")
    problems += [{"path": p, "message": NUL_MESSAGE} for p in nul_paths(body.get("data"), "data")]
    if "version" in body and (type(body["version"]) is not int):
        problems.append({"path": "version", "message": "must be an integer"})
    return problems + featured_shape_problems(body)


def _prepare_data(
    target: Target, data: dict[str, Any], title: str, slug: str, *, creating: bool
) -> dict[str, Any]:
    """Fill defaults on create; mirror title and slug into fields the schema declares."""
    out = dict(data)
    if creating:
        for name, value in target.schema.defaults.items():
            out.setdefault(name, value)
    if "title" in target.schema.fields:
        out["title"] = title
    for name in target.schema.slug_fields:
        out[name] = slug
    return out


def existence_problems(
    conn: Connection, target: Target, data: dict[str, Any]
) -> list[dict[str, str]]:
    """References and media ids must exist (one query per field kind, never per item)."""
    problems = []
    refs = {n: data[n] for n in target.schema.references if isinstance(data.get(n), str)}
    if refs:
        rows = conn.execute(
            select(CONTENT.c.id, CONTENT.c.collection_id).where(
                CONTENT.c.id.in_(set(refs.values()))
            )
        ).all()
        found = {r.id: r.collection_id for r in rows}
        for name, ref in refs.items():
            allowed = target.schema.references[name]
            allowed_ids = _collection_ids(conn, allowed)
            if ref not in found or (allowed and found[ref] not in allowed_ids):
                problems.append({"path": name, "message": f"references no item in {list(allowed)}"})
    media = {n: data[n] for n in target.schema.media if isinstance(data.get(n), str)}
    ids = existing_media(conn, media.values())
    problems += [{"path": n, "message": "no such media"} for n, v in media.items() if v not in ids]
    return problems


def _collection_ids(conn: Connection, names: tuple[str, ...]) -> set[str]:
    if not names:
        return set()
    rows = conn.execute(
        select(COLLECTIONS.c.id).where(
            or_(COLLECTIONS.c.name.in_(names), COLLECTIONS.c.id.in_(names))
        )
    )
    return set(rows.scalars())


def _slug_taken(
    conn: Connection,
    collection_id: str,
    slug: str,
    exclude: str | None,
    locale: str | None = None,
) -> bool:
    """Whether another row of the collection holds ``slug`` in ``locale`` (None: the default
    locale): a slug is unique per collection and locale."""
    in_locale = DEFAULT_ROWS if locale is None else CONTENT.c.locale == locale
    query = select(CONTENT.c.id).where(
        CONTENT.c.collection_id == collection_id, CONTENT.c.slug == slug, in_locale
    )
    if exclude:
        query = query.where(CONTENT.c.id != exclude)
    return conn.execute(query.limit(1)).first() is not None


def unique_slug(title: str, taken: Callable[[str], bool], base: str | None = None) -> str:
    """The generated slug for ``title``: its slugified form (``base`` when the caller already
    computed it), numbered ``-2``, ``-3``... if taken."""
    base = base or slugify(title) or "item"
    candidate, number = base, 1
    while taken(candidate):
        number += 1
        candidate = numbered(base, number)
    return candidate


def auto_slug(conn: Connection, collection_id: str, title: str, locale: str | None = None) -> str:
    """A free slug for ``title`` in the collection and locale (``-2``, ``-3``... if taken)."""
    return unique_slug(title, lambda slug: _slug_taken(conn, collection_id, slug, None, locale))


def require_free_slug(
    conn: Connection, target: Target, slug: str, exclude: str | None, locale: str | None
) -> None:
    """409 ``slug_taken`` when another row of the collection holds ``slug`` in ``locale``."""
    if _slug_taken(conn, target.id, slug, exclude, locale):
        where = f" ({locale})" if locale else ""
        raise Conflict(f"Slug {slug!r} is already used in {target.name}{where}", code="slug_taken")


def checked_data(
    conn: Connection,
    target: Target,
    fields: dict[str, Any],
    *,
    creating: bool,
    kept: Set[str] = frozenset(),
) -> tuple[dict[str, Any], list[dict[str, str]]]:
    """The data to store (defaults, mirrored title and slug, HTML fields cleaned) and its
    problems, paths ``data.*``: the schema's, undeclared keys (``kept``: the undeclared keys
    the item already holds, which an update may keep), missing references and media.

    Every write path goes through here (create, update and autosave, rollback, bulk import, and
    what plugins' filters return), so rich text is cleaned in one place; the schema then checks
    the value as it will be stored.
    """
    data = _prepare_data(target, fields["data"], fields["title"], fields["slug"], creating=creating)
    data = clean_data(target.schema, data)
    problems = data_errors(target.schema, data) + undeclared_keys(target.schema, data, kept)
    problems = [
        {**p, "path": f"data.{p['path']}" if p["path"] != "data" else "data"} for p in problems
    ]
    problems += [{**p, "path": f"data.{p['path']}"} for p in existence_problems(conn, target, data)]
    return data, problems


def _validated(
    conn: Connection,
    target: Target,
    fields: dict[str, Any],
    body: dict[str, Any],
    row: Row[Any] | None,
) -> tuple[dict[str, Any], str | None]:
    """The data to store and the featured image id, or a 422 with every problem of both
    (``row``: the item an update changes; None on create)."""
    kept = set(row.data) if row is not None and isinstance(row.data, dict) else set()
    data, problems = checked_data(conn, target, fields, creating=row is None, kept=kept)
    featured, featured_problems = choose_featured(conn, target.schema, body, data, row)
    if problems or featured_problems:
        raise ValidationFailed("Validation failed", details=problems + featured_problems)
    return data, featured


def version_row(item: dict[str, Any], author_id: str, now: int) -> dict[str, Any]:
    """The ``content_versions`` row of ``item`` at its current version number."""
    return {
        "id": new_id(),
        "content_id": item["id"],
        "version": item["version_number"],
        "data": snapshot(item),
        "author_id": author_id,
        "created_at": now,
    }


def _write_version(
    conn: Connection, item: dict[str, Any], author_id: str, now: int, *, replace: bool
) -> None:
    """Insert the item's version row, or overwrite it when it is an auto-saved draft."""
    values = {"data": snapshot(item), "author_id": author_id, "created_at": now}
    if replace:
        conn.execute(
            update(VERSIONS)
            .where(
                VERSIONS.c.content_id == item["id"], VERSIONS.c.version == item["version_number"]
            )
            .values(**values)
        )
        return
    conn.execute(insert(VERSIONS).values(**version_row(item, author_id, now)))


def _actor_user(actor: Actor) -> str:
    if not actor.user_id:
        raise BadRequest("Content needs an author: act as a user", code="author_required")
    return actor.user_id


def create_item(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    """Create an item and its version 1; 422 per failing field, 409 on a taken slug.

    Returns the item as every route shows it (:func:`~sonic_cms.content.rows.serialize_item`).
    """
    actor = ctx.actor
    actor.require("content.create")
    check_fields(
        body, WRITABLE | {"collectionId", "collection_id", "author_id"} - {"version"}, SPELLINGS
    )
    _check_fields(actor, body, None, creating=True)
    author = str(
        body.get("author_id") if actor.is_system and body.get("author_id") else _actor_user(actor)
    )
    with ctx.db.write() as conn:
        hooks = ctx.hook_scope(conn)
        target = resolve_target(conn, body.get("collectionId", body.get("collection_id")))
        payload = content_hooks.write_payload(
            {**body, "status": body.get("status", "draft")},
            item_id=None,
            collection_id=target.id,
            collection=target.name,
            author_id=author,
        )
        body = _filtered(hooks, "create", payload, body, None)
        item = _new_item(
            conn, target, ctx.clock.now_ms(), body, author, body.get("status", "draft")
        )
        publish_created(hooks, item)
        insert_with_version(conn, item, target)
        after_write(hooks, "create", item)
    hooks.fire()
    return serialize_item(item)


def _check_fields(
    actor: Actor, body: dict[str, Any], from_status: str | None, *, creating: bool
) -> None:
    """Field shapes (422 per field) and the right to set the status the body asks for."""
    problems = field_problems(body, creating=creating)
    if problems:
        raise ValidationFailed("Validation failed", details=problems)
    if creating or "status" in body:
        require_status_change(actor, from_status, body.get("status", from_status or "draft"))


def _filtered(
    hooks: HookScope,
    operation: str,
    payload: dict[str, Any],
    body: dict[str, Any],
    from_status: str | None,
) -> dict[str, Any]:
    """The body with the fields plugins' filters changed, checked again like a client's."""
    changes = content_hooks.filter_write(hooks, operation, payload)
    if not changes:
        return body
    changed = {**body, **changes}
    _check_fields(_acting(hooks), changed, from_status, creating=operation == "create")
    return changed


def _acting(hooks: HookScope) -> Actor:
    if hooks.actor is None:  # content scopes are always opened with the caller's actor
        raise ValueError("content hooks need an actor")
    return hooks.actor


def publish_created(hooks: HookScope, item: dict[str, Any]) -> None:
    """``content:publish`` for a new item born published: the filter before its insert, the
    action queued with the item as written."""
    if publishes(None, item["status"]):
        state = item["workflow_state_id"]
        publish_filter(hooks, item["id"], item["collection_id"], None, item["status"], state)
        if hooks.wants(hookspecs.CONTENT_PUBLISH, "action"):
            hooks.after_commit(hookspecs.CONTENT_PUBLISH, serialize_item(item))
        hooks.record(hookspecs.CONTENT_PUBLISH, partial(serialize_item, item))


def after_write(hooks: HookScope, operation: str, item: dict[str, Any]) -> None:
    """Queue the actions ``content:<operation>`` and ``content:save`` with the written item,
    and write ``content:<operation>``'s webhook event into the transaction."""
    hook = hookspecs.BY_NAME[f"content:{operation}"]
    hooks.record(hook, partial(serialize_item, item))
    if hooks.wants(hook, "action") or hooks.wants(hookspecs.CONTENT_SAVE, "action"):
        written = serialize_item(item)
        hooks.after_commit(hook, written, operation=operation)
        hooks.after_commit(hookspecs.CONTENT_SAVE, written, operation=operation)


def _new_item(
    conn: Connection, target: Target, now: int, body: dict[str, Any], author: str, status: str
) -> dict[str, Any]:
    title = body["title"].strip()
    slug = body.get("slug")
    if slug is not None:
        require_free_slug(conn, target, slug, None, None)
    slug = slug or auto_slug(conn, target.id, title)
    fields = {"title": title, "slug": slug, "data": body.get("data") or {}}
    data, featured = _validated(conn, target, fields, body, None)
    item = new_item_row(target, now, fields | {"data": data}, author, status, body)
    return item | {"featured_image_id": featured}


def new_item_row(
    target: Target,
    now: int,
    fields: dict[str, Any],
    author: str,
    status: str,
    body: dict[str, Any],
) -> dict[str, Any]:
    """A new ``content`` row at version 1 from checked ``fields`` (title, slug, data)."""
    title, slug, data = fields["title"], fields["slug"], fields["data"]
    return {
        "id": new_id(),
        "collection_id": target.id,
        "title": title,
        "slug": slug,
        "data": data,
        "status": status,
        "workflow_state_id": state_for_status(status),
        "author_id": author,
        "created_at": now,
        "updated_at": now,
        "published_at": now if status == "published" else None,
        "version_number": 1,
        "is_auto_saved": bool(body.get("is_auto_saved", False)),
        "featured_image_id": featured_from_data(target.schema, data),
    }


def insert_with_version(conn: Connection, item: dict[str, Any], target: Target) -> None:
    """Insert a new row and its version 1 (409 ``slug_taken`` if a racing write took the
    slug)."""
    _insert_item(conn, item, target)
    _write_version(conn, item, item["author_id"], item["created_at"], replace=False)


def _insert_item(conn: Connection, item: dict[str, Any], target: Target) -> None:
    try:
        conn.execute(insert(CONTENT).values(**item))
    except IntegrityError as exc:
        raise Conflict(
            f"Slug {item['slug']!r} is already used in {target.name}", code="slug_taken"
        ) from exc


def check_concurrency(row: Row[Any], body: dict[str, Any], if_match: str | None) -> None:
    """412 for a stale ``If-Match``, 409 for a stale ``version`` in the body."""
    if if_match is not None and if_match.strip() != "*" and if_match.strip() != etag_of(row):
        raise PreconditionFailed("The item changed since you read it (If-Match does not match)")
    if "version" in body and body["version"] != row.version_number:
        raise Conflict(
            f"Stale version {body['version']}: the item is at version {row.version_number}",
            code="version_conflict",
            details=[{"path": "version", "message": f"current version is {row.version_number}"}],
        )


def check_update(actor: Actor, body: dict[str, Any]) -> None:
    """What an update's body must pass before any transaction: a signed-in caller, known
    fields, the right shapes (partial: title, slug, status, data replace what is given)."""
    require_signed_in(actor)
    check_fields(body, WRITABLE)
    problems = field_problems(body, creating=False)
    if problems:
        raise ValidationFailed("Validation failed", details=problems)


@dataclass(frozen=True)
class Edit:
    """An update opened in its transaction: the item as it was, its collection, and the body
    as plugins' filters left it."""

    row: Row[Any]
    target: Target
    body: dict[str, Any]

    @property
    def status(self) -> str:
        """The status the edit asks for (the item's own when the body names none)."""
        return str(self.body.get("status", self.row.status))


def open_edit(
    conn: Connection, hooks: HookScope, item_id: str, body: dict[str, Any], *, if_match: str | None
) -> Edit:
    """Load the item the hooks' actor may edit, check concurrency, run the update's filters
    and check the right to the status asked for."""
    actor = _acting(hooks)
    row = editable(conn, actor, item_id)
    check_concurrency(row, body, if_match)
    target = resolve_target(conn, row.collection_id)
    payload = _update_payload(hooks, target, row, body)
    body = _filtered(hooks, "update", payload, body, row.status)
    require_status_change(actor, row.status, body.get("status", row.status))
    return Edit(row, target, body)


def write_edit(
    conn: Connection, hooks: HookScope, edit: Edit, row: Row[Any], now: int
) -> dict[str, Any]:
    """Write ``edit`` over ``row`` (the item once the workflow followed the edit) and its
    version; ``now`` is the moment of the workflow's move too, so that the history row of a
    publish and the version it shows agree (as_of at that moment finds this version)."""
    item = _updated_item(conn, edit.target, row, edit.body, now)
    _save(conn, item, row, _actor_user_or(_acting(hooks), row.author_id), edit.target)
    copy_shared(conn, edit.target.schema.shared_fields, item, now)
    after_write(hooks, "update", item)
    return item


def _update_payload(
    hooks: HookScope, target: Target, row: Row[Any], body: dict[str, Any]
) -> dict[str, Any]:
    """The update's filter payload: the values to be written, and the item as it is now."""
    if not hooks.wants(hookspecs.CONTENT_UPDATE) and not hooks.wants(hookspecs.CONTENT_SAVE):
        return {}
    values = {
        "title": body.get("title", row.title),
        "slug": body.get("slug") or row.slug,
        "status": body.get("status", row.status),
        "data": body.get("data", row.data) or {},
    }
    return content_hooks.write_payload(
        values,
        item_id=row.id,
        collection_id=target.id,
        collection=target.name,
        author_id=row.author_id,
        previous=serialize_item(row),
    )


def _actor_user_or(actor: Actor, fallback: str) -> str:
    return actor.user_id or fallback


def editable(conn: Connection, actor: Actor, item_id: str) -> Row[Any]:
    """The item ``actor`` may edit, locked for the rest of the transaction (PostgreSQL); 404
    when they may not read it, 403 when they may only read it."""
    row = require_readable(actor, load_item_for_update(conn, item_id), None)
    require_edit(actor, row)
    return row


def _updated_item(
    conn: Connection, target: Target, row: Row[Any], body: dict[str, Any], now: int
) -> dict[str, Any]:
    item = dict(row._mapping)
    title = body["title"].strip() if "title" in body else row.title
    slug = body.get("slug") or row.slug
    if slug != row.slug:
        require_free_slug(conn, target, slug, row.id, row.locale)
    fields = {"title": title, "slug": slug, "data": body.get("data", row.data) or {}}
    data, featured = _validated(conn, target, fields, body, row)
    status = body.get("status", row.status)
    auto = bool(body.get("is_auto_saved", False))
    item.update(
        title=title,
        slug=slug,
        data=data,
        status=status,
        updated_at=now,
        is_auto_saved=auto,
        featured_image_id=featured,
    )
    if status == "published" and row.status != "published":
        item["published_at"] = now
    # consecutive auto-saves (and the save that ends them) share one version row
    item["version_number"] = row.version_number + (0 if replaces_auto_save(row) else 1)
    return item


def replaces_auto_save(row: Row[Any]) -> bool:
    """Whether a save overwrites the current version instead of adding one: only an auto-saved
    draft, which only rows written before issue 15 are (an autosave now keeps a working copy,
    ``workflow.autosaves``, and never writes the item). A published version is never
    overwritten, and a status change ends a run of auto-saves (``content_state.apply_state``),
    so every text the public saw keeps its version and time, and ``as_of`` never mistakes a
    never-published draft for what was public."""
    return bool(row.is_auto_saved) and row.status != "published"


def _save(
    conn: Connection, item: dict[str, Any], row: Row[Any], author: str, target: Target
) -> None:
    try:
        conn.execute(
            update(CONTENT)
            .where(CONTENT.c.id == row.id)
            .values(**{k: v for k, v in item.items() if k != "id"})
        )
    except IntegrityError as exc:
        raise Conflict(
            f"Slug {item['slug']!r} is already used in {target.name}", code="slug_taken"
        ) from exc
    _write_version(conn, item, author, item["updated_at"], replace=replaces_auto_save(row))


def delete_item(ctx: Context, item_id: str, *, if_match: str | None = None) -> None:
    """Delete an item with its versions (``content:delete`` gets the item as it was).

    Deleting a default-locale row deletes its translations with it (a translation has no
    item without its source); deleting a translation deletes that row alone.
    """
    actor = ctx.actor
    require_signed_in(actor)
    with ctx.db.write() as conn:
        hooks = ctx.hook_scope(conn)
        row = require_readable(actor, load_item(conn, item_id), None)
        require_delete(actor, row)
        check_concurrency(row, {}, if_match)
        if hooks.wants(hookspecs.CONTENT_DELETE) or hooks.wants(hookspecs.CONTENT_DELETE, "action"):
            hooks.filter(hookspecs.CONTENT_DELETE, serialize_item(row))
            hooks.after_commit(hookspecs.CONTENT_DELETE, serialize_item(row))
        hooks.record(hookspecs.CONTENT_DELETE, partial(serialize_item, row))
        doomed = [item_id, *_translation_ids(conn, row)]
        conn.execute(delete(VERSIONS).where(VERSIONS.c.content_id.in_(doomed)))
        conn.execute(delete(CONTENT).where(CONTENT.c.id.in_(doomed)))
    hooks.fire()


def _same_locale_as(conn: Connection, item_id: str | None) -> ColumnElement[bool]:
    """The rows a slug check compares with: those in the locale of the item being edited (a
    slug is unique per collection and locale), the default locale's for a new item."""
    row = load_item(conn, item_id) if item_id else None
    locale = row.locale if row is not None else None
    return DEFAULT_ROWS if locale is None else CONTENT.c.locale == locale


def _translation_ids(conn: Connection, row: Row[Any]) -> list[str]:
    """The translations that go with ``row`` when it is deleted: all of a default-locale
    row's, none of a translation's."""
    if row.locale is not None:
        return []
    query = select(CONTENT.c.id).where(CONTENT.c.translation_group_id == row.id)
    return list(conn.execute(query).scalars())


def slug_available(ctx: Context, collection: str, slug: str, exclude_id: str | None = None) -> bool:
    """SonicJS's check-slug: whether ``slug`` is free in the collection (for content writers
    only: the answer discloses drafts' slugs)."""
    return slug_holder(ctx, collection, slug, exclude_id) is None


@dataclass(frozen=True)
class SlugHolder:
    """The item that holds a slug: its title only when the asker may read that item."""

    id: str | None
    title: str | None


def slug_holder(
    ctx: Context, collection: str, slug: str, exclude_id: str | None = None
) -> SlugHolder | None:
    """Who holds ``slug`` in the collection (None: it is free), for the editor's "already used
    by <title>". The same writers-only check as :func:`slug_available`; the holder's id and
    title are named only to a caller who may read that item (a draft of another author stays
    anonymous), so the answer discloses no more than the check-slug boolean does. The check is
    in the locale of ``exclude_id`` (the item being edited), the default locale without it."""
    require_slug_check(ctx.actor)
    with ctx.db.read() as conn:
        target = resolve_target(conn, collection)
        columns = ("id", "title", "status", "author_id", "embargo_until", "expires_at")
        query = select(*(CONTENT.c[name] for name in columns)).where(
            CONTENT.c.collection_id == target.id,
            CONTENT.c.slug == slug,
            _same_locale_as(conn, exclude_id),
        )
        if exclude_id:
            query = query.where(CONTENT.c.id != exclude_id)
        row = conn.execute(query.limit(1)).first()
    if row is None:
        return None
    if not can_read_row(ctx.actor, row, ctx.clock.now_ms()):
        return SlugHolder(None, None)
    return SlugHolder(row.id, row.title)
