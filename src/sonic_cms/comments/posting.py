"""Writing comments as their author: posting (and replying), editing and deleting one's own.

Each write is one transaction: the item's read check, the parent's check, the rate limit's
count, the comment, the approved count and the ``comment:*`` filters; the actions run after it
commits. Nothing is written when any step refuses.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, insert, update

from sonic_cms.auth.throttling import Limit, record_failure
from sonic_cms.comments.bodies import checked_body
from sonic_cms.comments.counts import status_moves
from sonic_cms.comments.policy import (
    can_see,
    commentable_item,
    commenter,
    first_status,
    require_author_in_window,
    trusted_roles,
)
from sonic_cms.comments.records import load_comment, serialize_comment
from sonic_cms.context import Context
from sonic_cms.db.schema import COMMENT_STATUSES
from sonic_cms.db.schema.tables import COMMENTS
from sonic_cms.errors import NotFound, ValidationFailed
from sonic_cms.ids import new_id
from sonic_cms.plugins import hookspecs
from sonic_cms.plugins.hooks import HookScope


def post_comment(
    ctx: Context, content_id: str, body: str, parent_id: str | None = None
) -> dict[str, Any]:
    """A new comment (a reply when ``parent_id`` is given) on an item the caller may read.

    ``pending`` unless the caller's role is trusted (``comments_trusted_roles``). Raises 401
    for anonymous callers, 404 for an item they may not read or whose collection takes no
    comments, 422 for a bad body or parent, 429 past the per-user rate limit.
    """
    actor, settings = ctx.actor, ctx.settings
    user_id = commenter(actor)
    checked_body(body, settings.comments_max_body_chars)
    now = ctx.clock.now_ms()
    with ctx.db.write() as conn:
        hooks = ctx.hook_scope(conn)
        commentable_item(conn, actor, content_id, now)
        if parent_id is not None:
            _check_parent(ctx, conn, content_id, parent_id)
        record_failure(conn, [_rate_limit(ctx, user_id)], now_ms=now)
        values = {
            "content_id": content_id,
            "parent_id": parent_id,
            "user_id": user_id,
            "body": body,
            "status": first_status(settings, actor),
        }
        values = _filtered(ctx, hooks, values)
        comment_id = new_id()
        conn.execute(
            insert(COMMENTS).values(id=comment_id, created_at=now, updated_at=now, **values)
        )
        status_moves(conn, [(content_id, None, values["status"])])
        comment = _written(conn, comment_id)
        if comment["status"] == "approved":
            hooks.filter(hookspecs.COMMENT_APPROVE, comment)
        hooks.after_commit(hookspecs.COMMENT_CREATE, comment)
        if comment["status"] == "approved":
            hooks.after_commit(hookspecs.COMMENT_APPROVE, comment)
    hooks.fire()
    return comment


def _rate_limit(ctx: Context, user_id: str) -> Limit:
    settings = ctx.settings
    window = settings.comments_rate_window_seconds * 1000
    return Limit(f"comment:{user_id}", settings.comments_per_user_per_window, window)


def _check_parent(ctx: Context, conn: Connection, content_id: str, parent_id: str) -> None:
    """422 unless ``parent_id`` is a comment on the same item that the caller sees, and a
    reply to it stays within ``comments_max_depth``."""
    parent = load_comment(conn, parent_id)
    if parent is None or not can_see(ctx.actor, parent):
        raise _parent_problem("no such comment", "parent_not_found")
    if parent.content_id != content_id:
        raise _parent_problem("belongs to another item", "parent_on_other_item")
    limit = ctx.settings.comments_max_depth
    if _depth(conn, parent, limit) >= limit:
        raise _parent_problem(f"replies nest at most {limit} deep", "thread_too_deep")


def _depth(conn: Connection, comment: Any, limit: int) -> int:
    """How deep ``comment`` sits (a top-level comment is 1), counting no further than
    ``limit``: at most ``limit`` primary-key reads."""
    depth = 1
    while comment is not None and comment.parent_id is not None and depth < limit:
        comment = load_comment(conn, comment.parent_id)
        depth += 1
    return depth


def _parent_problem(message: str, code: str) -> ValidationFailed:
    return ValidationFailed(
        f"Invalid parent_id: {message}",
        code=code,
        details=[{"path": "parent_id", "message": message}],
    )


def _filtered(ctx: Context, hooks: HookScope, values: dict[str, Any]) -> dict[str, Any]:
    """The new comment's values after ``comment:create`` filters, which may change ``body``
    and ``status``; what they return is checked like a client's body."""
    if not hooks.wants(hookspecs.COMMENT_CREATE):
        return values
    changed = hooks.filter_dict(hookspecs.COMMENT_CREATE, dict(values))
    result = {**values, "body": changed.get("body", values["body"])}
    result["body"] = checked_body(result["body"], ctx.settings.comments_max_body_chars)
    status = changed.get("status", values["status"])
    if status not in COMMENT_STATUSES or status == "deleted":
        raise ValidationFailed(
            "A comment:create filter returned an invalid status",
            details=[{"path": "status", "message": "must be pending, approved or spam"}],
        )
    result["status"] = status
    return result


def _written(conn: Connection, comment_id: str) -> dict[str, Any]:
    row = load_comment(conn, comment_id)
    if row is None:  # the row was written in this transaction
        raise NotFound("Comment not found", code="comment_not_found")
    return serialize_comment(row)


def edit_comment(ctx: Context, comment_id: str, body: str) -> dict[str, Any]:
    """The author's new body, within the edit window.

    An approved comment by an author whose role is not trusted goes back to ``pending``: an
    approval covers the text that was approved. Raises 401, 403 ``not_comment_author`` or
    ``edit_window_closed``, 404 (no such comment, or its item is no longer readable), 422.
    """
    actor, settings = ctx.actor, ctx.settings
    commenter(actor)
    checked_body(body, settings.comments_max_body_chars)
    now = ctx.clock.now_ms()
    with ctx.db.write() as conn:
        row = _own_comment(ctx, conn, comment_id, now)
        trusted = actor.role in trusted_roles(settings)
        status = "pending" if row.status == "approved" and not trusted else row.status
        conn.execute(
            update(COMMENTS)
            .where(COMMENTS.c.id == comment_id)
            .values(body=body, status=status, updated_at=now)
        )
        status_moves(conn, [(row.content_id, row.status, status)])
        return _written(conn, comment_id)


def delete_own_comment(ctx: Context, comment_id: str) -> dict[str, Any]:
    """The author deletes their comment within the edit window (its status becomes
    ``deleted``: its replies keep their place in the thread). Fires ``comment:delete``."""
    actor = ctx.actor
    commenter(actor)
    now = ctx.clock.now_ms()
    with ctx.db.write() as conn:
        hooks = ctx.hook_scope(conn)
        row = _own_comment(ctx, conn, comment_id, now)
        before = serialize_comment(row)
        hooks.filter(hookspecs.COMMENT_DELETE, before)
        conn.execute(
            update(COMMENTS)
            .where(COMMENTS.c.id == comment_id)
            .values(status="deleted", updated_at=now)
        )
        status_moves(conn, [(row.content_id, row.status, "deleted")])
        hooks.after_commit(hookspecs.COMMENT_DELETE, before)
        deleted = _written(conn, comment_id)
    hooks.fire()
    return deleted


def _own_comment(ctx: Context, conn: Connection, comment_id: str, now: int) -> Any:
    """The caller's comment, locked, when they may still change it (and read its item)."""
    row = load_comment(conn, comment_id, lock=True)
    if row is None or not (can_see(ctx.actor, row) or row.user_id == ctx.actor.user_id):
        raise NotFound("Comment not found", code="comment_not_found")
    require_author_in_window(ctx.actor, row, ctx.settings, now)
    commentable_item(conn, ctx.actor, row.content_id, now)
    return row
