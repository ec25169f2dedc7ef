"""Applying a workflow state to a content row: the columns that must move together.

``status`` is what public reads look at (draft, published, archived); ``workflow_state_id`` is
the finer review state; publishing sets ``published_at`` the first time. Every path that
changes state (transitions, the scheduler, publish/unpublish) goes through :func:`apply_state`,
which is therefore where ``content:publish`` fires: whatever path publishes or unpublishes.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from sqlalchemy import Connection, update

from sonic_cms.content.rows import load_item, serialize_item
from sonic_cms.db.schema import Content
from sonic_cms.plugins import hookspecs
from sonic_cms.plugins.hooks import HookScope

#: The public status each workflow state maps to.
STATUS_OF_STATE = {
    "draft": "draft",
    "pending-review": "draft",
    "approved": "draft",
    "rejected": "draft",
    "published": "published",
    "archived": "archived",
}

#: The review_status column each state implies ("none" until first submitted).
REVIEW_STATUS_OF_STATE = {
    "pending-review": "pending",
    "approved": "approved",
    "rejected": "rejected",
}


def status_for_state(state: str) -> str:
    """The public status of a workflow state; custom states count as draft."""
    return STATUS_OF_STATE.get(state, "draft")


def state_for_status(status: str) -> str:
    """The workflow state a public status corresponds to (a new item's, or the target of
    publish, unpublish and archive)."""
    return status if status in ("published", "archived") else "draft"


def apply_state(
    conn: Connection,
    row: Any,
    state: str,
    now_ms: int,
    *,
    hooks: HookScope,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Move ``row`` to ``state``; returns the column changes written.

    A move into or out of ``published`` runs the ``content:publish`` filters first (a plugin
    may refuse it) and queues its action on ``hooks`` for after the commit.
    """
    status = status_for_state(state)
    if publishes(row.status, status):
        publish_filter(hooks, row.id, row.collection_id, row.status, status, state)
        hooks.after_commit_read(hookspecs.CONTENT_PUBLISH, partial(_committed_item, row.id))
    changes: dict[str, Any] = {"workflow_state_id": state, "status": status, "updated_at": now_ms}
    if status != row.status:
        # a status change ends a run of auto-saves: the next save writes a new version, so a
        # version's time span never crosses a publish or unpublish (content.replaces_auto_save)
        changes["is_auto_saved"] = False
    if status == "published" and row.status != "published":
        changes["published_at"] = now_ms
    if state in REVIEW_STATUS_OF_STATE:
        changes["review_status"] = REVIEW_STATUS_OF_STATE[state]
    changes.update(extra or {})
    conn.execute(update(Content).where(Content.id == row.id).values(**changes))
    if publishes(row.status, status):
        hooks.record(hookspecs.CONTENT_PUBLISH, partial(_committed_item, row.id, conn))
    return changes


def publishes(from_status: str | None, status: str) -> bool:
    """Whether going from ``from_status`` (None: a new item) to ``status`` publishes or
    unpublishes, which is what ``content:publish`` announces."""
    return status != from_status and "published" in (status, from_status)


def publish_filter(
    hooks: HookScope,
    item_id: str,
    collection_id: str,
    from_status: str | None,
    status: str,
    state: str,
) -> None:
    """``content:publish``'s filter, before the write. Refusal only: changes to its payload
    are ignored (a plugin may stop a publish, not redirect it)."""
    if hooks.wants(hookspecs.CONTENT_PUBLISH):
        payload = {
            "id": item_id,
            "collection_id": collection_id,
            "from_status": from_status,
            "status": status,
            "workflow_state_id": state,
        }
        hooks.filter(hookspecs.CONTENT_PUBLISH, payload)


def _committed_item(item_id: str, conn: Connection) -> dict[str, Any] | None:
    row = load_item(conn, item_id)
    return None if row is None else serialize_item(row)
