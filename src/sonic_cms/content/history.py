"""Reading one item: now or as it was at a moment (per-item time travel), by id or by slug.

``GET /api/content/{id}`` and ``GET /api/collections/{name}/content/{slug}`` answer the same
representation under the same rules: the read policy of ``content.access`` (a draft is a 404 to
those who may not see it, with the message an unknown item gets, so its existence is not
disclosed), ``as_of`` and ``include=`` (``content.includes``, the expansion lists use).

Time travel, and bringing a past state back:

Works from ``content_versions`` (each version holds the item's title, slug, status and data as
of its ``created_at``), so it needs neither snapshots nor the change log. Reading obeys the
content read policy; restoring is a rollback to the version current at that moment, so it is
validated and versioned like any edit and never rewrites history (it moves the workflow like
any edit, so it lives in ``workflow.edits``; this module finds the version to restore).

Callers with draft access (the item's author, editors, admins) see any past state. Everyone
else sees a past state only if the public saw it then: the item is readable by them now, its
status at that moment (from the workflow history, which records every status change) was
``published``, and the moment lies inside its embargo/expiry window. Embargo and expiry
changes are not recorded, so the window is the one the item has now; a moment outside it is a
404 even if the window was different then (never the other way round).
"""

from __future__ import annotations

from collections.abc import Set
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Row, bindparam, select

from sonic_cms.clock import utc_datetime
from sonic_cms.content.access import (
    ROW_VISIBILITY_COLUMNS,
    has_draft_access,
    require_history,
    require_readable,
    window_open,
)
from sonic_cms.content.collections import find_collection
from sonic_cms.content.includes import attach_includes
from sonic_cms.content.rows import APPROVED_COMMENTS, ITEM_COLUMNS, load_item, serialize_item
from sonic_cms.content.state import status_for_state
from sonic_cms.content.versions import as_snapshot
from sonic_cms.context import Context
from sonic_cms.db.schema import WorkflowHistory
from sonic_cms.db.schema.tables import CONTENT, VERSIONS
from sonic_cms.errors import BadRequest, NotFound
from sonic_cms.inputs.integers import is_whole_number
from sonic_cms.locales.groups import DEFAULT_ROWS


def parse_as_of(value: str) -> int:
    """Epoch ms from ``as_of``: epoch milliseconds or an ISO 8601 time (UTC without offset)."""
    text = value.strip()
    if is_whole_number(text) and len(text) <= 15:
        return int(text)
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise BadRequest(
            "as_of must be epoch milliseconds or an ISO 8601 time", code="bad_as_of"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp() * 1000)


def content_as_of(
    ctx: Context, content_id: str, as_of_ms: int, *, include: Set[str] = frozenset()
) -> dict[str, Any]:
    """The item as it was at ``as_of_ms``, with ``version`` and ``as_of``; ``include`` expands
    the item's author, collection and featured image as they are now (they are not versioned).

    Raises:
        NotFound: no such item (or not readable), or it did not exist yet (``not_yet``).
    """
    actor = ctx.actor
    actor.require("content.read")
    with ctx.db.read() as conn:
        row = require_readable(actor, load_item(conn, content_id), ctx.clock.now_ms())
        number, stored = _version_at(conn, row, as_of_ms)
        public_only = not has_draft_access(actor, row)
        if public_only and not _was_public(conn, row, as_of_ms):
            raise NotFound("The item was not public at that time", code="not_public_at")
        item = serialize_item(row)
        if include:
            attach_includes(conn, [item], [row], include, show_email=actor.is_authenticated)
    snap = as_snapshot(stored)
    for key in ("title", "slug", "status", "data"):
        if snap[key] is not None:
            item[key] = snap[key]
    if public_only:
        item["status"] = "published"
    return {**item, "version": number, "as_of": as_of_ms}


def history_rows(conn: Connection, content_id: str) -> list[Row[Any]]:
    """Every workflow history row of an item, oldest first (``seq`` orders the rows written
    within one millisecond)."""
    rows = conn.execute(
        select(WorkflowHistory).where(WorkflowHistory.content_id == content_id)
    ).all()
    return sorted(rows, key=lambda r: (r.created_at, (r.metadata or {}).get("seq", 0)))


def status_at(conn: Connection, row: Any, moment_ms: int) -> str:
    """The item's status at ``moment_ms``, from its workflow history.

    Every status change (publish, unpublish, transitions, the scheduler, an edit that changes
    status) writes a history row through ``content_state.apply_state``; before the first one the
    item had the state that row moved it from, and with none at all it never changed status.
    """
    rows = history_rows(conn, row.id)
    moment = utc_datetime(moment_ms)
    before = [r for r in rows if r.created_at <= moment]
    if before:
        return status_for_state(before[-1].to_state_id)
    if rows:
        return status_for_state(rows[0].from_state_id or "draft")
    return str(row.status)


def _was_public(conn: Connection, row: Any, moment_ms: int) -> bool:
    return status_at(conn, row, moment_ms) == "published" and window_open(row, moment_ms)


def version_to_restore(ctx: Context, content_id: str, as_of_ms: int) -> int:
    """The number of the version current at ``as_of_ms`` (reads history, so it needs draft
    access before anything about the past is looked up)."""
    with ctx.db.read() as conn:
        row = require_history(ctx.actor, load_item(conn, content_id), ctx.clock.now_ms())
        number, _ = _version_at(conn, row, as_of_ms)
    return number


def _version_at(conn: Connection, row: Any, as_of_ms: int) -> tuple[int, Any]:
    if row.created_at > as_of_ms:
        raise NotFound("The item did not exist at that time", code="not_yet")
    version = conn.execute(
        select(VERSIONS.c.version, VERSIONS.c.data)
        .where(VERSIONS.c.content_id == row.id, VERSIONS.c.created_at <= as_of_ms)
        .order_by(VERSIONS.c.created_at.desc(), VERSIONS.c.version.desc())
        .limit(1)
    ).first()
    if version is None:
        raise NotFound("No version of the item covers that time", code="no_version_at")
    return int(version.version), version.data


#: What a read that shows one item selects: its representation, what its visibility check
#: reads and the approved comment count. Not the whole row: each column costs the driver a
#: description entry and a conversion, and psycopg builds the description anew for every
#: statement; 16 columns instead of 28 took a PostgreSQL read by id from 0.57 to 0.53 ms of
#: CPU in-process (bench/README.md, "Item reads select what they show").
_READABLE = (
    *(CONTENT.c[name] for name in sorted({*ITEM_COLUMNS, *ROW_VISIBILITY_COLUMNS})),
    APPROVED_COMMENTS,
)
_READ_BY_ID = select(*_READABLE).where(CONTENT.c.id == bindparam("item_id"))
_BY_SLUG = select(*_READABLE).where(
    CONTENT.c.collection_id == bindparam("collection_id"),
    CONTENT.c.slug == bindparam("slug"),
    DEFAULT_ROWS,
)

#: The query parameters of a single item's read.
ITEM_PARAMS = frozenset({"as_of", "include"})


def get_item(
    ctx: Context, item_id: str, *, include: Set[str] = frozenset(), as_of: int | None = None
) -> dict[str, Any]:
    """One item the actor may read now (404 otherwise), or as it was at ``as_of`` (epoch ms)."""
    ctx.actor.require("content.read")
    if as_of is not None:
        return content_as_of(ctx, item_id, as_of, include=include)
    # without includes the read is one statement, which needs no transaction of its own
    reading = ctx.db.read_committed() if include else ctx.db.read_statement()
    with reading as conn:
        row = conn.execute(_READ_BY_ID, {"item_id": item_id}).first()
        row = require_readable(ctx.actor, row, ctx.clock.now_ms())
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
    with ctx.db.read_committed() as conn:
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
    row = conn.execute(_BY_SLUG, {"collection_id": found.id, "slug": slug}).first()
    try:
        return require_readable(ctx.actor, row, ctx.clock.now_ms())
    except NotFound:
        message = f"No item with slug {slug[:200]!r} in collection {found.name!r}"
        raise NotFound(message, code="content_not_found") from None
