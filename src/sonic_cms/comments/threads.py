"""An item's comments as its readers see them: a tree of approved comments (and the reader's
own pending ones), oldest first at every level.

A reply whose parent the reader does not see (pending by someone else, spam, deleted) keeps
its place under a placeholder, ``{"id", "parent_id", "status": "removed", "body": null,
"author": null, "replies": [...]}``, which tells nothing of what the parent said; a hidden
comment without visible replies is left out entirely.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Row

from sonic_cms.actors import Actor
from sonic_cms.comments.counts import approved_count
from sonic_cms.comments.policy import can_see, commentable_item
from sonic_cms.comments.records import WITH_AUTHOR, serialize_comment
from sonic_cms.context import Context
from sonic_cms.db.schema.tables import COMMENTS
from sonic_cms.pagination import list_envelope


def comment_tree(ctx: Context, content_id: str) -> dict[str, Any]:
    """``{"data": [top-level comments with replies], "meta": {"count", "approved"}}``.

    404 as reading the item would be (``content_not_found``), or ``comments_disabled``.
    """
    now = ctx.clock.now_ms()
    with ctx.db.read() as conn:
        commentable_item(conn, ctx.actor, content_id, now)
        rows = conn.execute(
            WITH_AUTHOR.where(COMMENTS.c.content_id == content_id).order_by(
                COMMENTS.c.created_at, COMMENTS.c.id
            )
        ).all()
        approved = approved_count(conn, content_id)
    tree, shown = build_tree(ctx.actor, rows)
    return list_envelope(tree, now, count=shown, approved=approved)


def build_tree(actor: Actor, rows: Sequence[Row[Any]]) -> tuple[list[dict[str, Any]], int]:
    """The visible tree of ``rows`` (in display order) and how many comments it shows."""
    children: dict[str | None, list[Row[Any]]] = {}
    for row in rows:
        children.setdefault(row.parent_id, []).append(row)
    shown = 0

    def nodes(parent: str | None) -> list[dict[str, Any]]:
        nonlocal shown
        found = []
        for row in children.get(parent, []):
            replies = nodes(row.id)
            if can_see(actor, row):
                shown += 1
                found.append({**serialize_comment(row), "replies": replies})
            elif replies:
                found.append(_placeholder(row, replies))
        return found

    return nodes(None), shown


def _placeholder(row: Row[Any], replies: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "id": row.id,
        "parent_id": row.parent_id,
        "status": "removed",
        "body": None,
        "author": None,
        "replies": replies,
    }
