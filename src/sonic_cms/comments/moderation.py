"""Moderation: approving, marking as spam and deleting comments, one or many, and the queue.

Needs ``comments.moderate``. A bulk request is all or nothing: every id must name a comment
(404 listing the missing ones otherwise) and every change happens in one transaction, with the
approved counts of the items concerned. Comments already in the wanted status are left as they
are (no hook, no count change), so repeating a request changes nothing.
"""

from __future__ import annotations

from typing import Any, Literal

from sqlalchemy import Connection, Row, and_, func, select, update

from sonic_cms.comments.counts import status_moves
from sonic_cms.comments.policy import require_moderator
from sonic_cms.comments.records import WITH_AUTHOR, load_comments, serialize_comment
from sonic_cms.context import Context
from sonic_cms.db.schema import COMMENT_STATUSES
from sonic_cms.db.schema.tables import COLLECTIONS, COMMENTS, CONTENT
from sonic_cms.errors import BadRequest, NotFound, ValidationFailed
from sonic_cms.logs.audit import log_in_transaction
from sonic_cms.pagination import list_envelope, page_block
from sonic_cms.plugins import hookspecs

Action = Literal["approve", "spam", "delete"]
ACTIONS: dict[str, str] = {"approve": "approved", "spam": "spam", "delete": "deleted"}
_HOOKS = {"approve": hookspecs.COMMENT_APPROVE, "delete": hookspecs.COMMENT_DELETE}


def moderate(ctx: Context, action: str, ids: list[str]) -> dict[str, Any]:
    """Apply ``action`` to the comments of ``ids``; ``{"data": [comments], "meta": {...}}``.

    Raises 401/403 without ``comments.moderate``, 422 for an unknown action or no ids or more
    than ``comments_bulk_max``, 404 ``comment_not_found`` (nothing changed) when an id names
    no comment. ``comment:approve`` / ``comment:delete`` filters may refuse a change, which
    refuses the whole request.
    """
    require_moderator(ctx.actor)
    target = _target(action)
    wanted = _checked_ids(ctx, ids)
    now = ctx.clock.now_ms()
    with ctx.db.write() as conn:
        hooks = ctx.hook_scope(conn)
        rows = load_comments(conn, wanted, lock=True)
        _require_all(wanted, rows)
        changing = [row for row in rows if row.status != target]
        hook = _HOOKS.get(action)
        payloads = [_as_changed(row, target, now, action == "approve") for row in changing]
        for payload in payloads if hook is not None else []:
            hooks.filter(_HOOKS[action], payload)
        if changing:
            conn.execute(
                update(COMMENTS)
                .where(COMMENTS.c.id.in_([row.id for row in changing]))
                .values(status=target, updated_at=now)
            )
            status_moves(conn, [(row.content_id, row.status, target) for row in changing])
            _audit(ctx, conn, action, [row.id for row in changing], now)
        for payload in payloads if hook is not None else []:
            hooks.after_commit(_HOOKS[action], payload)
        result = [serialize_comment(row) for row in load_comments(conn, wanted)]
    hooks.fire()
    meta = {"count": len(result), "changed": len(changing)}
    return list_envelope(result, now, **meta)


def _audit(ctx: Context, conn: Connection, action: str, ids: list[str], now: int) -> None:
    """A workflow log record of the moderation, committed with it (who, what, which ids)."""
    log_in_transaction(
        conn,
        now,
        category="workflow",
        message=f"Comments {ACTIONS[action]}: {len(ids)}",
        user_id=ctx.actor.user_id,
        data={"action": action, "comment_ids": ids[:100]},
    )


def _target(action: str) -> str:
    if action not in ACTIONS:
        raise ValidationFailed(
            f"Unknown moderation action {action[:40]!r}",
            details=[{"path": "action", "message": "must be approve, spam or delete"}],
        )
    return ACTIONS[action]


def _checked_ids(ctx: Context, ids: list[str]) -> list[str]:
    wanted = list(dict.fromkeys(ids))
    limit = ctx.settings.comments_bulk_max
    if not wanted or len(wanted) > limit:
        raise ValidationFailed(
            f"Give between 1 and {limit} comment ids",
            details=[{"path": "ids", "message": f"between 1 and {limit} ids"}],
        )
    return wanted


def _require_all(wanted: list[str], rows: list[Row[Any]]) -> None:
    missing = sorted(set(wanted) - {row.id for row in rows})
    if missing:
        raise NotFound(
            f"{len(missing)} comment(s) not found; nothing was changed",
            code="comment_not_found",
            details=[{"path": "ids", "message": f"no comment {i[:60]!r}"} for i in missing[:20]],
        )


def _as_changed(row: Row[Any], target: str, now: int, after: bool) -> dict[str, Any]:
    """The hook payload: the comment as it will be (approve) or as it was (delete, spam)."""
    comment = serialize_comment(row)
    if after:
        comment.update(status=target, updated_at=now)
    return comment


# -- the queue ---------------------------------------------------------------------------------

QUEUE_STATUSES = (*COMMENT_STATUSES, "all")


def comment_queue(
    ctx: Context,
    status: str = "pending",
    *,
    page: int = 1,
    limit: int = 50,
    content_id: str | None = None,
) -> dict[str, Any]:
    """A page of comments in ``status`` (``all``: any), oldest first, each with ``item``
    (id, title, collection) so a moderator sees what it is about; ``meta.pagination`` as the
    seed's lists. Raises 401/403 without ``comments.moderate``, 400 for an unknown status."""
    require_moderator(ctx.actor)
    if status not in QUEUE_STATUSES:
        allowed = ", ".join(QUEUE_STATUSES)
        raise BadRequest(f"Unknown status {status[:40]!r}; one of {allowed}", code="bad_status")
    where = []
    if status != "all":
        where.append(COMMENTS.c.status == status)
    if content_id is not None:
        where.append(COMMENTS.c.content_id == content_id)
    condition = and_(*where) if where else None
    rows_query = (
        WITH_AUTHOR.add_columns(
            CONTENT.c.title.label("item_title"),
            COLLECTIONS.c.name.label("item_collection"),
        )
        .join(CONTENT, CONTENT.c.id == COMMENTS.c.content_id)
        .join(COLLECTIONS, COLLECTIONS.c.id == CONTENT.c.collection_id)
        .order_by(COMMENTS.c.created_at, COMMENTS.c.id)
        .limit(limit)
        .offset((page - 1) * limit)
    )
    count_query = select(func.count()).select_from(COMMENTS)
    if condition is not None:
        rows_query, count_query = rows_query.where(condition), count_query.where(condition)
    with ctx.db.read() as conn:
        rows = conn.execute(rows_query).all()
        total = int(conn.execute(count_query).scalar_one())
    items = [_queued(row) for row in rows]
    return list_envelope(
        items, ctx.clock.now_ms(), count=len(items), pagination=page_block(page, limit, total)
    )


def _queued(row: Row[Any]) -> dict[str, Any]:
    comment = serialize_comment(row)
    comment["item"] = {
        "id": row.content_id,
        "title": row.item_title,
        "collection": row.item_collection,
    }
    return comment


def status_counts(ctx: Context) -> dict[str, int]:
    """How many comments are in each status (every status present, 0 when none): the
    moderation page's tabs, from one grouped count on ``idx_comments_status``."""
    require_moderator(ctx.actor)
    with ctx.db.read() as conn:
        rows = conn.execute(
            select(COMMENTS.c.status, func.count()).group_by(COMMENTS.c.status)
        ).all()
    found = {str(status): int(n) for status, n in rows if status is not None}
    return {status: found.get(status, 0) for status in COMMENT_STATUSES}
