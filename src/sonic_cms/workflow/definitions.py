"""Workflow definitions: states, per-collection workflows, and the transitions they allow.

A collection follows its own active workflow if it has one, else the default workflow
(collection_id NULL). A new workflow starts with a copy of the default transitions.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import Connection, Row, insert, select, update

from sonic_cms.clock import utc_datetime
from sonic_cms.context import Context
from sonic_cms.db.schema import Collection, Workflow, WorkflowState, WorkflowTransition
from sonic_cms.errors import Conflict, NotFound, ValidationFailed
from sonic_cms.ids import new_id
from sonic_cms.inputs.bodies import check_fields, unknown_field_details
from sonic_cms.inputs.text import control_problems

DEFAULT_WORKFLOW_ID = "default"
STATE_ID = re.compile(r"^[a-z][a-z0-9-]{0,62}\Z")
COLOR = re.compile(r"^#[0-9A-Fa-f]{6}\Z")
WORKFLOW_FIELDS = (
    "name",
    "description",
    "is_active",
    "auto_publish",
    "require_approval",
    "approval_levels",
)


def workflow_for_collection(conn: Connection, collection_id: str) -> Row[Any]:
    """The active workflow of a collection, or the default one."""
    own = conn.execute(
        select(Workflow).where(Workflow.collection_id == collection_id, Workflow.is_active == 1)
    ).first()
    if own is not None:
        return own
    default = conn.execute(select(Workflow).where(Workflow.id == DEFAULT_WORKFLOW_ID)).first()
    if default is None:
        raise NotFound("No default workflow is defined", code="workflow_not_found")
    return default


def transitions_from(conn: Connection, workflow_id: str, state: str) -> list[Row[Any]]:
    """The transitions a workflow allows out of ``state``."""
    query = (
        select(WorkflowTransition)
        .where(WorkflowTransition.workflow_id == workflow_id)
        .where(WorkflowTransition.from_state_id == state)
        .order_by(WorkflowTransition.to_state_id)
    )
    return list(conn.execute(query))


def serialize_state(row: Row[Any]) -> dict[str, Any]:
    """A workflow state as the API returns it."""
    return {
        "id": row.id,
        "name": row.name,
        "description": row.description,
        "color": row.color,
        "is_initial": bool(row.is_initial),
        "is_final": bool(row.is_final),
    }


def serialize_workflow(row: Row[Any], transitions: list[Row[Any]]) -> dict[str, Any]:
    """A workflow with its transitions."""
    return {
        "id": row.id,
        "name": row.name,
        "description": row.description,
        "collection_id": row.collection_id,
        "is_active": bool(row.is_active),
        "auto_publish": bool(row.auto_publish),
        "require_approval": bool(row.require_approval),
        "approval_levels": row.approval_levels,
        "transitions": [
            {
                "id": t.id,
                "from": t.from_state_id,
                "to": t.to_state_id,
                "required_permission": t.required_permission,
            }
            for t in transitions
        ],
    }


def list_states(ctx: Context) -> list[dict[str, Any]]:
    """Every workflow state."""
    ctx.actor.require("workflow.read")
    with ctx.db.read() as conn:
        rows = conn.execute(select(WorkflowState).order_by(WorkflowState.id)).all()
    return [serialize_state(row) for row in rows]


def create_state(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    """Add a state (admins extend the six defaults)."""
    ctx.actor.require("workflow.manage")
    values = _state_values(body)
    values["created_at"] = utc_datetime(ctx.clock.now_ms())
    with ctx.db.write() as conn:
        if conn.execute(select(WorkflowState.id).where(WorkflowState.id == values["id"])).first():
            raise Conflict(f"Workflow state {values['id']!r} already exists", code="state_exists")
        conn.execute(insert(WorkflowState).values(**values))
        row = conn.execute(select(WorkflowState).where(WorkflowState.id == values["id"])).one()
    return serialize_state(row)


#: The fields a new state's body may carry.
STATE_FIELDS = frozenset({"id", "name", "description", "color", "is_initial", "is_final"})


def _state_values(body: dict[str, Any]) -> dict[str, Any]:
    check_fields(body, STATE_FIELDS)
    problems = []
    state_id, name = body.get("id"), body.get("name")
    if not isinstance(state_id, str) or not STATE_ID.match(state_id):
        problems.append({"path": "id", "message": "lower-case letters, digits and hyphens"})
    if not isinstance(name, str) or not 0 < len(name.strip()) <= 100:
        problems.append({"path": "name", "message": "1 to 100 characters"})
    color = body.get("color", "#6B7280")
    if not isinstance(color, str) or not COLOR.match(color):
        problems.append({"path": "color", "message": "a colour like #6B7280"})
    description = body.get("description")
    if description is not None and not isinstance(description, str):
        problems.append({"path": "description", "message": "a string"})
    for flag in ("is_initial", "is_final"):
        if not isinstance(body.get(flag, False), bool):
            problems.append({"path": flag, "message": "a boolean"})
    problems += control_problems(body, "id", "name", "description")
    if problems:
        raise ValidationFailed("Validation failed", details=problems)
    assert isinstance(name, str)
    return {
        "id": state_id,
        "name": name.strip(),
        "description": description,
        "color": color,
        "is_initial": body.get("is_initial", False),
        "is_final": body.get("is_final", False),
    }


def list_workflows(ctx: Context) -> list[dict[str, Any]]:
    """Every workflow with its transitions."""
    ctx.actor.require("workflow.read")
    with ctx.db.read() as conn:
        rows = conn.execute(select(Workflow).order_by(Workflow.id)).all()
        return [serialize_workflow(row, _transitions(conn, row.id)) for row in rows]


def _transitions(conn: Connection, workflow_id: str) -> list[Row[Any]]:
    query = select(WorkflowTransition).where(WorkflowTransition.workflow_id == workflow_id)
    return list(
        conn.execute(
            query.order_by(WorkflowTransition.from_state_id, WorkflowTransition.to_state_id)
        )
    )


def create_workflow(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    """A workflow for one collection, starting from the default workflow's transitions."""
    ctx.actor.require("workflow.manage")
    values = _workflow_values(body, creating=True)
    now = utc_datetime(ctx.clock.now_ms())
    with ctx.db.write() as conn:
        collection_id = _collection_id(conn, body.get("collection"))
        if conn.execute(select(Workflow.id).where(Workflow.collection_id == collection_id)).first():
            raise Conflict("This collection already has a workflow", code="workflow_exists")
        workflow_id = new_id()
        conn.execute(
            insert(Workflow).values(
                id=workflow_id,
                collection_id=collection_id,
                created_at=now,
                updated_at=now,
                **values,
            )
        )
        _copy_default_transitions(conn, workflow_id, now)
        row = conn.execute(select(Workflow).where(Workflow.id == workflow_id)).one()
        return serialize_workflow(row, _transitions(conn, workflow_id))


def _collection_id(conn: Connection, name_or_id: Any) -> str:
    if not isinstance(name_or_id, str):
        raise ValidationFailed(
            "Validation failed", details=[{"path": "collection", "message": "a collection name"}]
        )
    row = conn.execute(
        select(Collection.id).where((Collection.name == name_or_id) | (Collection.id == name_or_id))
    ).first()
    if row is None:
        raise NotFound("Collection not found", code="collection_not_found")
    return str(row.id)


def _copy_default_transitions(conn: Connection, workflow_id: str, now: Any) -> None:
    for t in _transitions(conn, DEFAULT_WORKFLOW_ID):
        conn.execute(
            insert(WorkflowTransition).values(
                id=new_id(),
                workflow_id=workflow_id,
                from_state_id=t.from_state_id,
                to_state_id=t.to_state_id,
                required_permission=t.required_permission,
                auto_transition=t.auto_transition,
                transition_conditions=t.transition_conditions,
                created_at=now,
            )
        )


def update_workflow(ctx: Context, workflow_id: str, body: dict[str, Any]) -> dict[str, Any]:
    """Change a workflow's name, flags or approval levels."""
    ctx.actor.require("workflow.manage")
    values = _workflow_values(body, creating=False)
    with ctx.db.write() as conn:
        if conn.execute(select(Workflow.id).where(Workflow.id == workflow_id)).first() is None:
            raise NotFound("Workflow not found", code="workflow_not_found")
        if values:
            values["updated_at"] = utc_datetime(ctx.clock.now_ms())
            conn.execute(update(Workflow).where(Workflow.id == workflow_id).values(**values))
        row = conn.execute(select(Workflow).where(Workflow.id == workflow_id)).one()
        return serialize_workflow(row, _transitions(conn, workflow_id))


def _workflow_values(body: dict[str, Any], *, creating: bool) -> dict[str, Any]:
    allowed = {*WORKFLOW_FIELDS, *({"collection"} if creating else ())}
    problems = unknown_field_details(body, allowed)
    values: dict[str, Any] = {}
    for key in WORKFLOW_FIELDS:
        if key not in body:
            continue
        value = body[key]
        problem = _workflow_field_problem(key, value)
        if problem:
            problems.append({"path": key, "message": problem})
        values[key] = value
    if creating and "name" not in values:
        problems.append({"path": "name", "message": "required"})
    problems += control_problems(values, "name", "description")
    if problems:
        raise ValidationFailed("Validation failed", details=problems)
    return values


def _workflow_field_problem(key: str, value: Any) -> str | None:
    if key == "name":
        ok = isinstance(value, str) and 0 < len(value.strip()) <= 100
        return None if ok else "1 to 100 characters"
    if key == "description":
        return None if value is None or isinstance(value, str) else "a string"
    if key == "approval_levels":
        ok = isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 10
        return None if ok else "an integer from 1 to 10"
    return None if isinstance(value, bool) else "a boolean"
