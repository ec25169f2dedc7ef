"""Moving content through workflow states: allowed transitions, approvals, history, queue.

A transition is allowed only along an edge of the collection's workflow and with the edge's
permission. The content's status and review columns, a workflow_history row and a system log
entry are written in one transaction. With ``approval_levels = N`` content reaches *approved*
only after N distinct reviewers approved it in the current review round; authors never review
their own content; ``auto_publish`` publishes on approval.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import partial
from typing import Any

from sqlalchemy import Connection, Row, insert, select

from sonic_cms.actors import Actor
from sonic_cms.clock import epoch_ms, utc_datetime
from sonic_cms.content.access import can_read_row, require_history
from sonic_cms.content.history import history_rows
from sonic_cms.content.rows import load_item_for_update
from sonic_cms.content.state import apply_state, state_for_status
from sonic_cms.context import Context
from sonic_cms.db.schema import Content, WorkflowHistory, WorkflowState
from sonic_cms.errors import Conflict, Forbidden, NotFound, ValidationFailed
from sonic_cms.ids import new_id
from sonic_cms.logs.audit import log_in_transaction
from sonic_cms.plugins import hookspecs
from sonic_cms.plugins.hooks import HookScope
from sonic_cms.workflow.definitions import transitions_from, workflow_for_collection

MAX_COMMENT_LENGTH = 5000
REVIEW_STATES = frozenset({"approved", "rejected"})


@dataclass(frozen=True)
class Move:
    """One requested move, who asks for it, and the hooks of its transaction (a move that
    publishes or unpublishes fires ``content:publish``)."""

    actor: Actor
    to_state: str
    comment: str | None
    now_ms: int
    hooks: HookScope


def current_state(row: Row[Any]) -> str:
    """The workflow state of a content row (older rows may only have a status)."""
    return str(row.workflow_state_id or ("published" if row.status == "published" else "draft"))


def load_for_update(conn: Connection, content_id: str) -> Row[Any] | None:
    """The content row, locked against concurrent transitions on PostgreSQL
    (:func:`~sonic_cms.content.rows.load_item_for_update`)."""
    return load_item_for_update(conn, content_id)


def can_see(actor: Actor, row: Row[Any]) -> bool:
    """The content read policy, plus reviewers, who see what they review."""
    return actor.can("content.review") or can_read_row(actor, row)


def change_status(
    conn: Connection, row: Row[Any], actor: Actor, status: str, now_ms: int, *, hooks: HookScope
) -> None:
    """Publish, unpublish or archive inside the caller's transaction, as a workflow move.

    Asking for the state the item is already in changes nothing.
    """
    target = state_for_status(status)
    if target != current_state(row):
        _move(conn, row, Move(actor, target, None, now_ms, hooks))


def follow_edit(
    conn: Connection, row: Row[Any], actor: Actor, status: str, now_ms: int, *, hooks: HookScope
) -> Row[Any]:
    """Keep the workflow in step with an edit; returns the row as it now is.

    A status changed by editing is a workflow move like any other; an edit of rejected
    content reopens it as a draft.
    """
    if status != row.status:
        change_status(conn, row, actor, status, now_ms, hooks=hooks)
    elif current_state(row) == "rejected":
        workflow_row = workflow_for_collection(conn, row.collection_id)
        reopen = Move(actor, "draft", "Edited after rejection", now_ms, hooks)
        _enter(conn, row, workflow_row, "rejected", reopen)
    else:
        return row
    return conn.execute(select(Content).where(Content.id == row.id)).one()


def transition(ctx: Context, content_id: str, to_state: Any, comment: Any = None) -> dict[str, Any]:
    """Move content to ``to_state``; returns the new state and the history written."""
    state, note = _checked_state(to_state), _checked_comment(comment)
    with ctx.db.write() as conn:
        hooks = ctx.hook_scope(conn)
        row = load_for_update(conn, content_id)
        if row is None or not can_see(ctx.actor, row):
            raise NotFound("Content not found", code="content_not_found")
        result = _move(conn, row, Move(ctx.actor, state, note, ctx.clock.now_ms(), hooks))
    hooks.fire()
    return result


def _checked_state(value: Any) -> str:
    if not isinstance(value, str) or not value or len(value) > 64:
        raise ValidationFailed(
            "Validation failed", details=[{"path": "to_state", "message": "a workflow state id"}]
        )
    return value


def _checked_comment(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > MAX_COMMENT_LENGTH:
        raise ValidationFailed(
            "Validation failed",
            details=[{"path": "comment", "message": f"a string of at most {MAX_COMMENT_LENGTH}"}],
        )
    return value


def _move(conn: Connection, row: Row[Any], move: Move) -> dict[str, Any]:
    workflow = workflow_for_collection(conn, row.collection_id)
    state = current_state(row)
    edges = transitions_from(conn, workflow.id, state)
    edge = next((e for e in edges if e.to_state_id == move.to_state), None)
    if edge is None:
        raise Conflict(
            f"Transition from {state!r} to {move.to_state!r} is not allowed",
            code="transition_not_allowed",
            details=[{"allowed": [e.to_state_id for e in edges if _may_take(move.actor, e)]}],
        )
    _authorize(move.actor, row, edge, workflow, state)
    if move.to_state == "approved" and (workflow.approval_levels or 1) > 1:
        approvals = _record_approval(conn, row, workflow, move)
        if approvals < workflow.approval_levels:
            return _result(conn, row.id, state, approvals, workflow.approval_levels)
    _enter(conn, row, workflow, state, move)
    final = move.to_state
    if final == "approved" and workflow.auto_publish:
        fresh = conn.execute(select(Content).where(Content.id == row.id)).one()
        auto = replace(move, to_state="published", comment="Published automatically on approval")
        _enter(conn, fresh, workflow, "approved", auto, automatic=True)
        final = "published"
    return _result(conn, row.id, final, None, workflow.approval_levels)


def _may_take(actor: Actor, edge: Row[Any]) -> bool:
    return edge.required_permission is None or actor.can(edge.required_permission)


def _authorize(actor: Actor, row: Row[Any], edge: Row[Any], workflow: Row[Any], state: str) -> None:
    if edge.required_permission:
        actor.require(edge.required_permission)
    owns = actor.user_id is not None and row.author_id == actor.user_id
    if edge.to_state_id in REVIEW_STATES and owns and not actor.is_system:
        raise Forbidden("Authors cannot review their own content", code="own_content_review")
    if (
        edge.required_permission == "content.submit"
        and not owns
        and not (actor.is_system or actor.can("content.update"))
    ):
        raise Forbidden("Only the author or an editor can do this", code="not_content_owner")
    needs_approval = workflow.require_approval and state != "approved" and not actor.is_system
    if edge.to_state_id == "published" and needs_approval:
        raise Conflict(
            "This workflow requires approval before publishing",
            code="approval_required",
            details=[{"allowed": ["pending-review"]}],
        )


def _enter(
    conn: Connection,
    row: Row[Any],
    workflow: Row[Any],
    state: str,
    move: Move,
    *,
    automatic: bool = False,
    metadata: dict[str, Any] | None = None,
) -> None:
    extra: dict[str, Any] = {}
    if move.to_state in REVIEW_STATES:
        extra = {
            "reviewer_id": move.actor.user_id,
            "reviewed_at": move.now_ms,
            "review_notes": move.comment,
        }
    apply_state(conn, row, move.to_state, move.now_ms, hooks=move.hooks, extra=extra)
    data = {"automatic": automatic, **(metadata or {})}
    record_history(conn, row.id, workflow.id, state, move, data)
    log_in_transaction(
        conn,
        move.now_ms,
        category="workflow",
        user_id=move.actor.user_id,
        message=f"Content moved from {state} to {move.to_state}",
        data={"content_id": row.id, "from": state, "to": move.to_state, **data},
    )


def record_history(
    conn: Connection,
    content_id: str,
    workflow_id: str,
    from_state: str | None,
    move: Move,
    metadata: dict[str, Any],
) -> None:
    """Append a workflow_history row; ``seq`` orders rows written within one millisecond.

    Every move passes here, so this is where ``workflow:transition`` is announced: its action
    queued for after the commit, its webhook event written into the transaction.
    """
    seq = len(history_rows(conn, content_id)) + 1
    history_id = new_id()
    row = {
        "id": history_id,
        "content_id": content_id,
        "workflow_id": workflow_id,
        "from_state_id": from_state,
        "to_state_id": move.to_state,
        "user_id": move.actor.user_id or _system_user(conn, content_id),
        "comment": move.comment,
        "meta": {"seq": seq, **metadata},
        "created_at": utc_datetime(move.now_ms),
    }
    conn.execute(insert(WorkflowHistory).values(**row))
    hooks = move.hooks
    if hooks.wants(hookspecs.WORKFLOW_TRANSITION, "action"):
        hooks.after_commit(hookspecs.WORKFLOW_TRANSITION, _transition_event(conn, history_id))
    hooks.record(hookspecs.WORKFLOW_TRANSITION, partial(_transition_event, conn, history_id))


def _transition_event(conn: Connection, history_id: str) -> dict[str, Any]:
    """``workflow:transition``'s payload: the history row as the API shows it, with the
    item's collection."""
    row = conn.execute(select(WorkflowHistory).where(WorkflowHistory.id == history_id)).one()
    collection = conn.execute(
        select(Content.collection_id).where(Content.id == row.content_id)
    ).scalar_one_or_none()
    return {**serialize_history(row), "collection_id": collection}


def _system_user(conn: Connection, content_id: str) -> str:
    # history.user_id is NOT NULL: system moves are attributed to the content's author.
    return str(conn.execute(select(Content.author_id).where(Content.id == content_id)).scalar_one())


def _record_approval(conn: Connection, row: Row[Any], workflow: Row[Any], move: Move) -> int:
    """Add this reviewer's approval to the round; returns how many distinct approvals it has."""
    approvers = _round_approvers(conn, row.id)
    if move.actor.user_id in approvers:
        raise Conflict("You have already approved this content", code="already_approved")
    approvers.add(move.actor.user_id)
    step = replace(move, to_state="pending-review")
    if len(approvers) < workflow.approval_levels:
        record_history(
            conn,
            row.id,
            workflow.id,
            "pending-review",
            step,
            {"kind": "approval", "approvals": len(approvers), "required": workflow.approval_levels},
        )
        log_in_transaction(
            conn,
            move.now_ms,
            category="workflow",
            user_id=move.actor.user_id,
            message="Content approved by one reviewer",
            data={"content_id": row.id, "approvals": len(approvers)},
        )
    return len(approvers)


def _round_approvers(conn: Connection, content_id: str) -> set[str | None]:
    """Reviewers who approved since the content last entered review."""
    return _review_round(history_rows(conn, content_id))[0]


def _review_round(entries: list[Row[Any]]) -> tuple[set[str | None], int | None]:
    """The approvers of the current review round and when it began (epoch ms), from an item's
    history oldest first."""
    approvers: set[str | None] = set()
    began: int | None = None
    for entry in entries:
        meta = entry.metadata or {}
        if entry.to_state_id == "pending-review" and meta.get("kind") != "approval":
            approvers = set()  # a new submission starts a new round
            began = epoch_ms(entry.created_at) if entry.created_at else None
        elif meta.get("kind") == "approval":
            approvers.add(entry.user_id)
    return approvers, began


def _result(
    conn: Connection, content_id: str, state: str, approvals: int | None, required: int | None
) -> dict[str, Any]:
    row = conn.execute(select(Content).where(Content.id == content_id)).one()
    result: dict[str, Any] = {
        "content_id": content_id,
        "workflow_state_id": row.workflow_state_id,
        "status": row.status,
        "review_status": row.review_status,
        "reviewer_id": row.reviewer_id,
        "reviewed_at": row.reviewed_at,
        "published_at": row.published_at,
    }
    if approvals is not None:
        result["approvals"] = {"count": approvals, "required": required}
    return result


def allowed_transitions(ctx: Context, content_id: str) -> list[dict[str, Any]]:
    """The moves the actor may take from the item's current state."""
    moves: list[dict[str, Any]] = item_workflow(ctx, content_id)["moves"]
    return moves


def item_workflow(ctx: Context, content_id: str) -> dict[str, Any]:
    """The item's workflow state (id and name) and the moves the actor may take from it.

    ``moves`` lists the edges whose permission the actor holds; ``offered`` narrows them to the
    moves :func:`transition` would accept now (an author never reviews their own content, a
    workflow that requires approval refuses to publish unapproved content), so a user interface
    shows only the buttons that work; the service still checks every move it is asked for.
    """
    actor = ctx.actor
    with ctx.db.read() as conn:
        row = conn.execute(select(Content).where(Content.id == content_id)).first()
        if row is None or not can_see(actor, row):
            raise NotFound("Content not found", code="content_not_found")
        workflow = workflow_for_collection(conn, row.collection_id)
        state = current_state(row)
        edges = [e for e in transitions_from(conn, workflow.id, state) if _may_take(actor, e)]
        name = conn.execute(
            select(WorkflowState.name).where(WorkflowState.id == state)
        ).scalar_one_or_none()
    return {
        "state": state,
        "state_name": name or state,
        "moves": [
            {"to": e.to_state_id, "required_permission": e.required_permission} for e in edges
        ],
        "offered": [e.to_state_id for e in edges if _accepts(actor, row, e, workflow, state)],
    }


def _accepts(actor: Actor, row: Row[Any], edge: Row[Any], workflow: Row[Any], state: str) -> bool:
    try:
        _authorize(actor, row, edge, workflow, state)
    except (Forbidden, Conflict):
        return False
    return True


def serialize_history(row: Row[Any]) -> dict[str, Any]:
    """A history row as the API returns it (``created_at`` in epoch ms, like the rest)."""
    meta = dict(row.metadata or {})
    meta.pop("seq", None)
    return {
        "id": row.id,
        "content_id": row.content_id,
        "workflow_id": row.workflow_id,
        "from_state": row.from_state_id,
        "to_state": row.to_state_id,
        "user_id": row.user_id,
        "comment": row.comment,
        "metadata": meta,
        "created_at": epoch_ms(row.created_at) if row.created_at else None,
    }


def content_history(ctx: Context, content_id: str) -> list[dict[str, Any]]:
    """Every state change of an item, oldest first.

    History tells of the item's unpublished life (its comments are review notes on drafts), so
    besides reviewers only callers with draft access read it (content_access.require_history).
    """
    actor = ctx.actor
    actor.require("workflow.read")
    with ctx.db.read() as conn:
        row = conn.execute(select(Content).where(Content.id == content_id)).first()
        if row is None or not actor.can("content.review"):
            require_history(actor, row, None)
        return [serialize_history(r) for r in history_rows(conn, content_id)]


def review_queue(ctx: Context, *, limit: int = 50, offset: int = 0) -> dict[str, Any]:
    """Content pending review that the actor may act on: not their own, not yet approved by them.

    Each item carries ``submitted_at``, when it last entered review (epoch ms). The history of
    every pending item is read in one query, so the queue costs the same for 2 items or 200.
    """
    actor = ctx.actor
    actor.require("content.review")
    with ctx.db.read() as conn:
        rows = conn.execute(
            select(
                Content.id,
                Content.title,
                Content.slug,
                Content.collection_id,
                Content.author_id,
                Content.updated_at,
            )
            .where(Content.workflow_state_id == "pending-review")
            .where(Content.author_id != (actor.user_id or ""))
            .order_by(Content.updated_at, Content.id)
        ).all()
        histories = _histories(conn, [r.id for r in rows])
    rounds = {r.id: _review_round(histories.get(r.id, [])) for r in rows}
    pending = [r for r in rows if actor.user_id not in rounds[r.id][0]]
    page = pending[offset : offset + limit]
    return {
        "items": [dict(r._mapping) | {"submitted_at": rounds[r.id][1]} for r in page],
        "total": len(pending),
    }


def _histories(conn: Connection, content_ids: list[str]) -> dict[str, list[Row[Any]]]:
    """The workflow history of each item, oldest first, in one query per chunk of ids."""
    found: dict[str, list[Row[Any]]] = {}
    for start in range(0, len(content_ids), 500):
        chunk = content_ids[start : start + 500]
        query = select(WorkflowHistory).where(WorkflowHistory.content_id.in_(chunk))
        for row in conn.execute(query):
            found.setdefault(row.content_id, []).append(row)
    return {
        key: sorted(rows, key=lambda r: (r.created_at, (r.metadata or {}).get("seq", 0)))
        for key, rows in found.items()
    }
