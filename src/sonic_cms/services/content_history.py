"""Per-item time travel: an item as it was at a moment, and bringing that state back.

Works from ``content_versions`` (each version holds the item's ``data`` at ``created_at``), so
it needs neither snapshots nor the change log. The routes (`GET /api/content/{id}?as_of=T`,
`POST /api/content/{id}/restore?as_of=T`) belong to the content API and call these functions.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Table, func, insert, select, update

from sonic_cms.clock import Clock
from sonic_cms.db.engine import Database
from sonic_cms.db.schema import Content, ContentVersion
from sonic_cms.ids import new_id
from sonic_cms.services.actors import Actor
from sonic_cms.services.errors import BadRequest, Forbidden, NotFound

_CONTENT: Table = Content.__table__  # type: ignore[assignment]
_VERSIONS: Table = ContentVersion.__table__  # type: ignore[assignment]


def content_as_of(db: Database, actor: Actor, content_id: str, as_of_ms: int) -> dict[str, Any]:
    """The item with ``data`` as it was at ``as_of_ms``, plus ``version`` and ``as_of``.

    Raises:
        NotFound: no such item, or it did not exist yet at that moment (code ``not_yet``).
    """
    actor.require("content.read")
    _check_moment(as_of_ms)
    with db.read() as conn:
        item, version = _state_at(conn, content_id, as_of_ms)
    return {**item, "data": version["data"], "version": version["version"], "as_of": as_of_ms}


def restore_content_as_of(
    db: Database, actor: Actor, clock: Clock, content_id: str, as_of_ms: int
) -> dict[str, Any]:
    """Bring back the item's data of ``as_of_ms`` as a new version (history is never rewritten).

    Raises:
        NotFound: as :func:`content_as_of`.
        Forbidden: the actor may not edit this item.
    """
    _check_moment(as_of_ms)
    with db.write() as conn:
        item, old = _state_at(conn, content_id, as_of_ms)
        _require_edit(actor, item)
        number = (
            int(
                conn.execute(
                    select(func.coalesce(func.max(_VERSIONS.c.version), 0)).where(
                        _VERSIONS.c.content_id == content_id
                    )
                ).scalar_one()
            )
            + 1
        )
        now = clock.now_ms()
        conn.execute(
            insert(_VERSIONS).values(
                id=new_id(),
                content_id=content_id,
                version=number,
                data=old["data"],
                author_id=actor.user_id or item["author_id"],
                created_at=now,
            )
        )
        changes: dict[str, Any] = {"data": old["data"], "updated_at": now, "version_number": number}
        if isinstance(old["data"], dict) and isinstance(old["data"].get("title"), str):
            changes["title"] = old["data"]["title"]
        conn.execute(update(_CONTENT).where(_CONTENT.c.id == content_id).values(**changes))
        restored = dict(
            conn.execute(select(_CONTENT).where(_CONTENT.c.id == content_id)).one()._mapping
        )
    return {**restored, "version": number, "restored_from": old["version"], "as_of": as_of_ms}


def _check_moment(as_of_ms: int) -> None:
    if as_of_ms < 0:
        raise BadRequest("as_of must be epoch milliseconds or an ISO 8601 time", code="bad_as_of")


def _require_edit(actor: Actor, item: dict[str, Any]) -> None:
    if actor.can("content.update"):
        return
    if actor.can("content.update_own") and actor.user_id == item["author_id"]:
        return
    actor.require("content.update")
    raise Forbidden("Missing permission: content.update", code="missing_permission")


def _state_at(
    conn: Connection, content_id: str, as_of_ms: int
) -> tuple[dict[str, Any], dict[str, Any]]:
    row = conn.execute(select(_CONTENT).where(_CONTENT.c.id == content_id)).first()
    if row is None:
        raise NotFound(f"Content {content_id} not found")
    item = dict(row._mapping)
    if item["created_at"] > as_of_ms:
        raise NotFound(f"Content {content_id} did not exist at that time", code="not_yet")
    version = conn.execute(
        select(_VERSIONS.c.version, _VERSIONS.c.data)
        .where(_VERSIONS.c.content_id == content_id, _VERSIONS.c.created_at <= as_of_ms)
        .order_by(_VERSIONS.c.created_at.desc(), _VERSIONS.c.version.desc())
        .limit(1)
    ).first()
    if version is not None:
        return item, {"version": version.version, "data": version.data}
    # No version recorded at or before T: the unversioned row is right if unchanged since.
    if item["updated_at"] <= as_of_ms:
        return item, {"version": 0, "data": item["data"]}
    raise NotFound(f"No version of {content_id} covers that time", code="no_version_at")
