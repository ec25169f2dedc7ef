"""Who may see and change which content: one policy, used by reads, lists, search and versions.

Editors (``content.update``) see everything; authors (``content.update_own``) see what is
published plus their own items; everyone else, anonymous callers included, sees published items
only. SonicJS returns drafts to anonymous callers; sonic-cms never does.
"""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import ColumnElement, Connection, Row, Table, and_, func, or_, select, true

from sonic_cms.clock import Clock
from sonic_cms.db.engine import Database
from sonic_cms.db.schema import Content
from sonic_cms.services.actors import Actor
from sonic_cms.services.errors import Forbidden, Unauthorized
from sonic_cms.services.ownership import require_own_or_any

CONTENT = cast(Table, Content.__table__)
STATUSES = ("draft", "published", "archived")


def sees_everything(actor: Actor) -> bool:
    """Whether the actor may read unpublished content of any author."""
    return actor.can("content.update")


def is_public(now_ms: int | None) -> ColumnElement[bool]:
    """Published, past its embargo and not yet expired (checked at read time, so content
    disappears at its expiry minute even if the scheduler runs late)."""
    published = CONTENT.c.status == "published"
    if now_ms is None:
        return published
    return and_(
        published,
        or_(CONTENT.c.embargo_until.is_(None), CONTENT.c.embargo_until <= now_ms),
        or_(CONTENT.c.expires_at.is_(None), CONTENT.c.expires_at > now_ms),
    )


def next_visibility_change(conn: Connection, now_ms: int) -> int | None:
    """The next moment after ``now_ms`` an item's embargo ends or it expires (None: never).

    A cached public read must not outlive it. Two seeks on partial indexes (revision 0006).
    """
    embargo = select(func.min(CONTENT.c.embargo_until)).where(CONTENT.c.embargo_until > now_ms)
    expiry = select(func.min(CONTENT.c.expires_at)).where(CONTENT.c.expires_at > now_ms)
    row = conn.execute(select(embargo.scalar_subquery(), expiry.scalar_subquery())).one()
    moments = [int(moment) for moment in row if moment is not None]
    return min(moments) if moments else None


def public_view_lifetime(db: Database, clock: Clock) -> int | None:
    """Whole seconds the public view of content stays as it is now (None: until a write)."""
    now = clock.now_ms()
    with db.read() as conn:
        moment = next_visibility_change(conn, now)
    return None if moment is None else (moment - now) // 1000


def row_is_public(row: Row[Any], now_ms: int | None) -> bool:
    """The row-level form of :func:`is_public`."""
    if row.status != "published" or now_ms is None:
        return bool(row.status == "published")
    embargoed = row.embargo_until is not None and row.embargo_until > now_ms
    expired = row.expires_at is not None and row.expires_at <= now_ms
    return not (embargoed or expired)


def visibility(actor: Actor, now_ms: int | None = None) -> ColumnElement[bool]:
    """The WHERE clause of what ``actor`` may read at ``now_ms`` (None: ignore time windows)."""
    actor.require("content.read")
    if sees_everything(actor):
        return true()
    public = is_public(now_ms)
    if actor.can("content.update_own") and actor.user_id:
        return or_(public, CONTENT.c.author_id == actor.user_id)
    return public


def can_read_row(actor: Actor, row: Row[Any], now_ms: int | None = None) -> bool:
    """The row-level form of :func:`visibility`."""
    if sees_everything(actor) or row_is_public(row, now_ms):
        return True
    return actor.can("content.update_own") and row.author_id == actor.user_id


def require_signed_in(actor: Actor) -> None:
    """Writes need an identity: anonymous callers get 401 before any lookup."""
    if not actor.is_authenticated:
        raise Unauthorized("Authentication required")


def require_edit(actor: Actor, row: Row[Any]) -> None:
    """Raise unless the actor may edit this item (any item, or their own)."""
    require_own_or_any(actor, "content.update", row.author_id)


def require_delete(actor: Actor, row: Row[Any]) -> None:
    """Raise unless the actor may delete this item (any item, or their own)."""
    require_own_or_any(actor, "content.delete", row.author_id)


def require_status_change(actor: Actor, old: str | None, new: str) -> None:
    """Publishing, unpublishing and archiving need ``content.publish``."""
    if new == old or (old is None and new == "draft"):
        return
    if not actor.can("content.publish"):
        raise Forbidden("Missing permission: content.publish", code="missing_permission")
