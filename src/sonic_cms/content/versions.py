"""Version history: list, get one, diff two, and what rolling back writes (the rollback itself
is an edit that moves the workflow, ``workflow.edits.rollback``).

A version row's ``data`` holds a snapshot ``{title, slug, status, data}``. Rows imported from
SonicJS hold the bare ``data`` object; they read as a snapshot with only ``data``.

Every route here reads history, drafts included, so each goes through
:func:`~sonic_cms.content.access.require_history` first (draft access).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Row, select

from sonic_cms.actors import Actor
from sonic_cms.content.access import require_history
from sonic_cms.content.rows import load_item
from sonic_cms.context import Context
from sonic_cms.db.schema.tables import VERSIONS
from sonic_cms.errors import BadRequest, NotFound
from sonic_cms.inputs.integers import checked_int

_SNAPSHOT_KEYS = frozenset({"title", "slug", "status", "data"})


def as_snapshot(value: Any) -> dict[str, Any]:
    """A version row's value as a snapshot (older rows and imports hold bare ``data``)."""
    if isinstance(value, dict) and set(value) == _SNAPSHOT_KEYS:
        return value
    return {"title": None, "slug": None, "status": None, "data": value}


def _serialize(row: Row[Any], current: int | None) -> dict[str, Any]:
    snap = as_snapshot(row.data)
    return {
        "version": row.version,
        "title": snap["title"],
        "slug": snap["slug"],
        "status": snap["status"],
        "data": snap["data"],
        "author_id": row.author_id,
        "created_at": row.created_at,
        "is_current": row.version == current,
    }


def _readable(conn: Connection, actor: Actor, item_id: str, now_ms: int) -> Row[Any]:
    return require_history(actor, load_item(conn, item_id), now_ms)


def list_versions(ctx: Context, item_id: str) -> list[dict[str, Any]]:
    """Every version of an item, newest first."""
    with ctx.db.read() as conn:
        item = _readable(conn, ctx.actor, item_id, ctx.clock.now_ms())
        rows = conn.execute(
            select(VERSIONS)
            .where(VERSIONS.c.content_id == item_id)
            .order_by(VERSIONS.c.version.desc())
        ).all()
    return [_serialize(r, item.version_number) for r in rows]


#: content_versions.version is INTEGER: 32-bit signed on PostgreSQL, so no version past this
#: exists, and comparing the column with a larger number is an error there, not "no row".
MAX_VERSION = 2**31 - 1


def _version(conn: Connection, item_id: str, number: int) -> Row[Any]:
    """Version ``number`` of the item (every lookup by number goes through here), or 404."""
    if not 1 <= number <= MAX_VERSION:
        raise NotFound(f"Version {number} not found", code="version_not_found")
    row = conn.execute(
        select(VERSIONS).where(VERSIONS.c.content_id == item_id, VERSIONS.c.version == number)
    ).first()
    if row is None:
        raise NotFound(f"Version {number} not found", code="version_not_found")
    return row


def get_version(ctx: Context, item_id: str, number: int) -> dict[str, Any]:
    """One version's snapshot."""
    with ctx.db.read() as conn:
        item = _readable(conn, ctx.actor, item_id, ctx.clock.now_ms())
        return _serialize(_version(conn, item_id, number), item.version_number)


def diff_snapshots(old: dict[str, Any], new: dict[str, Any]) -> list[dict[str, Any]]:
    """Per-field changes of title, slug, status and each key of ``data``."""
    changes = [
        {"field": key, "from": old[key], "to": new[key]}
        for key in ("title", "slug", "status")
        if old[key] != new[key]
    ]
    old_data = old["data"] if isinstance(old["data"], dict) else {}
    new_data = new["data"] if isinstance(new["data"], dict) else {}
    for key in sorted(set(old_data) | set(new_data)):
        before, after = old_data.get(key), new_data.get(key)
        if before != after or (key in old_data) != (key in new_data):
            kind = (
                "added" if key not in old_data else "removed" if key not in new_data else "changed"
            )
            changes.append({"field": f"data.{key}", "from": before, "to": after, "change": kind})
    return changes


def field_rows(old: dict[str, Any], new: dict[str, Any]) -> list[dict[str, Any]]:
    """Every field of two snapshots side by side (title, slug, status, then each key of
    ``data``), each with ``changed`` as :func:`diff_snapshots` decides it; for a diff view
    that can show the unchanged fields too."""
    changed = {change["field"] for change in diff_snapshots(old, new)}
    old_data = old["data"] if isinstance(old["data"], dict) else {}
    new_data = new["data"] if isinstance(new["data"], dict) else {}
    rows = [
        {"field": key, "from": old[key], "to": new[key], "changed": key in changed}
        for key in ("title", "slug", "status")
    ]
    for key in sorted(set(old_data) | set(new_data)):
        name = f"data.{key}"
        before, after = old_data.get(key), new_data.get(key)
        rows.append({"field": name, "from": before, "to": after, "changed": name in changed})
    return rows


def rollback_changes(current: dict[str, Any], target: dict[str, Any]) -> list[dict[str, Any]]:
    """What rolling back from snapshot ``current`` to snapshot ``target`` changes: the fields
    :func:`rollback_body` writes (title and slug when the version has them, and data), as
    :func:`diff_snapshots` entries. Status is not restored, so it is not listed."""
    body = _body_of(target)
    after = {
        "title": body.get("title", current["title"]),
        "slug": body.get("slug", current["slug"]),
        "status": current["status"],
        "data": body["data"],
    }
    return diff_snapshots(current, after)


def diff_versions(ctx: Context, item_id: str, start: int, end: int) -> dict[str, Any]:
    """What changed between two versions."""
    with ctx.db.read() as conn:
        _readable(conn, ctx.actor, item_id, ctx.clock.now_ms())
        old = as_snapshot(_version(conn, item_id, start).data)
        new = as_snapshot(_version(conn, item_id, end).data)
    return {"from": start, "to": end, "changes": diff_snapshots(old, new)}


def rollback_body(ctx: Context, item_id: str, number: Any) -> dict[str, Any]:
    """The update that brings back version ``number``'s title, slug and data (a new version:
    history stays); 400 for a number that is not a positive integer."""
    if type(number) is not int or number < 1:
        raise BadRequest("`version` must be a positive integer", code="invalid_version")
    checked_int("version", number, 1, in_body=True)
    with ctx.db.read() as conn:
        _readable(conn, ctx.actor, item_id, ctx.clock.now_ms())
        snap = as_snapshot(_version(conn, item_id, number).data)
    return _body_of(snap)


def _body_of(snap: dict[str, Any]) -> dict[str, Any]:
    """The update that brings back snapshot ``snap``."""
    body: dict[str, Any] = {"data": snap["data"] or {}}
    if snap["title"]:
        body.update(title=snap["title"], slug=snap["slug"])
    return body
