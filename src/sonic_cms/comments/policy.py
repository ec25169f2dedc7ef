"""Who may comment where, whose comments skip moderation, and who may change which comment.

Commenting follows reading: a signed-in user may comment on an item they may read now (the
content policy's own rule, :func:`~sonic_cms.content.access.require_readable`, so a draft a
stranger cannot read is the same 404 here), in a collection whose schema does not say
``"comments": false``. Moderation needs ``comments.moderate``. An author may edit or delete
their own comment for ``comments_edit_window_seconds`` after writing it.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Row, select

from sonic_cms.actors import Actor
from sonic_cms.config import Settings
from sonic_cms.content.access import require_readable, require_signed_in
from sonic_cms.content.rows import load_item
from sonic_cms.db.schema.tables import COLLECTIONS
from sonic_cms.errors import BadRequest, Forbidden, NotFound

MODERATE = "comments.moderate"


def commenter(actor: Actor) -> str:
    """The user id a comment is written as: 401 for anonymous callers, 400 for the system
    (a comment has an author)."""
    require_signed_in(actor)
    if not actor.user_id:
        raise BadRequest("Comments need an author: act as a user", code="author_required")
    return actor.user_id


def comments_open(schema: Any) -> bool:
    """Whether a collection with this schema takes comments: all do, unless the schema's top
    level says ``"comments": false``."""
    return not (isinstance(schema, dict) and schema.get("comments") is False)


def commentable_item(conn: Connection, actor: Actor, content_id: str, now_ms: int) -> Row[Any]:
    """The item, when ``actor`` may read it now and its collection takes comments.

    Raises NotFound ``content_not_found`` (no such item, or one the actor may not read) or
    ``comments_disabled`` (its collection says ``"comments": false``).
    """
    actor.require("content.read")
    row = require_readable(actor, load_item(conn, content_id), now_ms)
    schema = conn.execute(
        select(COLLECTIONS.c.schema).where(COLLECTIONS.c.id == row.collection_id)
    ).scalar()
    if not comments_open(schema):
        raise NotFound("Comments are disabled for this collection", code="comments_disabled")
    return row


def trusted_roles(settings: Settings) -> frozenset[str]:
    """The roles of ``comments_trusted_roles``."""
    return frozenset(r.strip() for r in settings.comments_trusted_roles.split(",") if r.strip())


def first_status(settings: Settings, actor: Actor) -> str:
    """A new comment's status: approved for trusted roles, pending for everyone else."""
    return "approved" if actor.role in trusted_roles(settings) else "pending"


def require_moderator(actor: Actor) -> None:
    """401 for anonymous callers, 403 ``missing_permission`` without ``comments.moderate``."""
    actor.require(MODERATE)


def require_author_in_window(
    actor: Actor, comment: Row[Any], settings: Settings, now_ms: int
) -> None:
    """Raise unless ``actor`` wrote ``comment`` and its edit window is still open.

    403 ``not_comment_author`` for someone else's comment, 403 ``edit_window_closed`` after
    the window; a deleted comment is a 404 (it is gone for its author too).
    """
    if comment.status == "deleted":
        raise NotFound("Comment not found", code="comment_not_found")
    if comment.user_id != actor.user_id:
        raise Forbidden("Only its author may change a comment", code="not_comment_author")
    if now_ms - comment.created_at > settings.comments_edit_window_seconds * 1000:
        raise Forbidden(
            f"Comments may be changed for {settings.comments_edit_window_seconds} seconds "
            "after they are written",
            code="edit_window_closed",
        )


def can_see(actor: Actor, comment: Row[Any]) -> bool:
    """Whether a reader of the item sees this comment: approved ones, and their own pending."""
    if comment.status == "approved":
        return True
    own = actor.user_id is not None and comment.user_id == actor.user_id
    return own and comment.status == "pending"
