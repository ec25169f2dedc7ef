"""Who may see and change which content: one policy, used by reads, lists, search and versions.

Editors (``content.update``) see everything; authors (``content.update_own``) see what is
published plus their own items; everyone else, anonymous callers included, sees published items
only. SonicJS returns drafts to anonymous callers; sonic-cms never does.
"""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import ColumnElement, Row, Table, or_, true

from sonic_cms.db.schema import Content
from sonic_cms.services.actors import Actor
from sonic_cms.services.errors import Forbidden, Unauthorized

CONTENT = cast(Table, Content.__table__)
STATUSES = ("draft", "published", "archived")


def sees_everything(actor: Actor) -> bool:
    """Whether the actor may read unpublished content of any author."""
    return actor.can("content.update")


def visibility(actor: Actor) -> ColumnElement[bool]:
    """The WHERE clause of what ``actor`` may read."""
    actor.require("content.read")
    if sees_everything(actor):
        return true()
    published = CONTENT.c.status == "published"
    if actor.can("content.update_own") and actor.user_id:
        return or_(published, CONTENT.c.author_id == actor.user_id)
    return published


def can_read_row(actor: Actor, row: Row[Any]) -> bool:
    """The row-level form of :func:`visibility`."""
    if sees_everything(actor) or row.status == "published":
        return True
    return actor.can("content.update_own") and row.author_id == actor.user_id


def require_signed_in(actor: Actor) -> None:
    """Writes need an identity: anonymous callers get 401 before any lookup."""
    if not actor.is_authenticated:
        raise Unauthorized("Authentication required")


def require_edit(actor: Actor, row: Row[Any]) -> None:
    """Raise unless the actor may edit this item."""
    if actor.can("content.update"):
        return
    if actor.can("content.update_own") and actor.user_id and row.author_id == actor.user_id:
        return
    actor.require("content.update")


def require_delete(actor: Actor, row: Row[Any]) -> None:
    """Raise unless the actor may delete this item."""
    if actor.can("content.delete"):
        return
    if actor.can("content.delete_own") and actor.user_id and row.author_id == actor.user_id:
        return
    actor.require("content.delete")


def require_status_change(actor: Actor, old: str | None, new: str) -> None:
    """Publishing, unpublishing and archiving need ``content.publish``."""
    if new == old or (old is None and new == "draft"):
        return
    if not actor.can("content.publish"):
        raise Forbidden("Missing permission: content.publish", code="missing_permission")
