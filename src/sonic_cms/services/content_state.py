"""Applying a workflow state to a content row: the columns that must move together.

``status`` is what public reads look at (draft, published, archived); ``workflow_state_id`` is
the finer review state; publishing sets ``published_at`` the first time. Every path that
changes state (transitions, the scheduler, publish/unpublish) goes through :func:`apply_state`.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, update

from sonic_cms.db.schema import Content

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


def apply_state(
    conn: Connection,
    row: Any,
    state: str,
    now_ms: int,
    *,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Move ``row`` to ``state``; returns the column changes written."""
    status = status_for_state(state)
    changes: dict[str, Any] = {"workflow_state_id": state, "status": status, "updated_at": now_ms}
    if status == "published" and row.status != "published":
        changes["published_at"] = now_ms
    if state in REVIEW_STATUS_OF_STATE:
        changes["review_status"] = REVIEW_STATUS_OF_STATE[state]
    changes.update(extra or {})
    conn.execute(update(Content).where(Content.id == row.id).values(**changes))
    return changes
